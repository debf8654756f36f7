"""Every Python snippet of README.md runs, in order and unchanged, against the fake SAT.

The snippets form one story (authenticate, request, wait, download, read, raw zeep, the fake SAT
itself), so they share one namespace. The only things this test provides are what a reader has
on their own machine: an e.firma in ``FIEL.cer``/``FIEL.key``/``password.txt``, a metadata
package in ``metadata.zip``, and SAT (here the fake one, at the addresses of ``Endpoints``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from sat_zeep import Endpoints, TipoSolicitud
from sat_zeep.testing import FakeSat, IssuedCredential

README = Path(__file__).parent.parent / "README.md"
SNIPPETS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def test_the_readme_shows_python_snippets() -> None:
    assert len(SNIPPETS) >= 8, "README.md lost its Python snippets (or this test's pattern did)"


def test_every_python_snippet_of_the_readme_runs_against_the_fake_sat(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_sat: FakeSat,
    fake_sat_fiel: IssuedCredential,
) -> None:
    monkeypatch.chdir(tmp_path)
    cer, key, password = fake_sat_fiel.write(tmp_path)
    cer.rename("FIEL.cer")
    key.rename("FIEL.key")
    password.rename("password.txt")
    for name in ("cfdi", "retenciones"):
        endpoints = fake_sat.endpoints(name)
        monkeypatch.setattr(Endpoints, name, classmethod(lambda cls, e=endpoints: e))
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)
    _metadata_package(fake_sat, fake_sat_fiel, tmp_path / "metadata.zip")

    namespace: dict[str, object] = {"__name__": "readme"}
    for number, snippet in enumerate(SNIPPETS, 1):
        first_line = snippet.splitlines()[0]
        try:
            exec(compile(snippet, f"README.md python snippet {number}", "exec"), namespace)
        except Exception as error:
            pytest.fail(f"README snippet {number} ({first_line!r}) failed: {error!r}")

    assert pauses, "the wait_for_solicitud snippet never had to wait: it shows no loop"
    assert (tmp_path / "metadata.parquet").stat().st_size > 0
    assert list((tmp_path / "paquetes").glob("*.zip"))


def _metadata_package(sat: FakeSat, credential: IssuedCredential, path: Path) -> None:
    with sat.client(credential.fiel()) as client:
        solicitud = client.solicita_descarga_emitidos(
            date(2025, 4, 1), date(2025, 4, 30), TipoSolicitud.METADATA
        ).raise_for_status()
        assert solicitud.id_solicitud is not None
        estado = client.wait_for_solicitud(
            solicitud.id_solicitud, max_wait=timedelta(minutes=1), sleep=lambda _: None
        ).raise_for_status()
        client.descargar(estado.ids_paquetes[0], destino=path).raise_for_status()
