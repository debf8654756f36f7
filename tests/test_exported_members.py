from __future__ import annotations

import importlib.metadata

import sat_zeep


def test_all_exports_exist_and_are_sorted() -> None:
    names = [name for name in sat_zeep.__all__ if name != "__version__"]
    assert names == sorted(names, key=lambda name: (not name.isupper(), name))
    for name in sat_zeep.__all__:
        assert hasattr(sat_zeep, name), name


def test_exported_classes_claim_the_public_module() -> None:
    # Every public class is reachable from the top; its home module is not private.
    for name in sat_zeep.__all__:
        member = getattr(sat_zeep, name)
        module = getattr(member, "__module__", "sat_zeep")
        assert module.startswith("sat_zeep"), (name, module)
        assert not any(part.startswith("_") for part in module.split(".")), (name, module)


def test_every_status_error_is_exported() -> None:
    from sat_zeep.errors import STATUS_ERRORS

    for cls in STATUS_ERRORS.values():
        assert getattr(sat_zeep, cls.__name__) is cls


def test_version_matches_the_distribution() -> None:
    assert sat_zeep.__version__ == importlib.metadata.version("sat-zeep")
