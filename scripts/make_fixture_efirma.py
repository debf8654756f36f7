#!/usr/bin/env python3
"""Generate the test e.firma committed in tests/fixtures/efirma/.

Usage (with the project's virtualenv, which has sat_zeep and its dependencies)::

    .venv/bin/python scripts/make_fixture_efirma.py          # fills tests/fixtures/efirma/
    .venv/bin/python scripts/make_fixture_efirma.py --force  # new keys: golden envelopes change!
    .venv/bin/python scripts/make_fixture_efirma.py --output DIR

It refuses to overwrite existing files without ``--force``.

It writes, all made by sat_zeep's own test CA (nothing here is trusted by SAT):

- ``ca.cer`` (DER), ``ca.pem``, ``ca.key`` (unencrypted PKCS#8 PEM): the test CA;
- ``fiel.cer`` / ``fiel.key``: an e.firma (FIEL) for RFC SZP200101AB1;
- ``csd.cer`` / ``csd.key``: a CSD (seal certificate) for the same RFC;
- ``password.txt``: the password of both keys, ``12345678a``, without a newline.

Keys are encrypted PKCS#8 DER, certificates valid 2024-01-01 to 2034-01-01 UTC, with SAT-style
20-ASCII-digit serial numbers. The signatures in the golden envelope files depend on fiel.key, so
regenerate only on purpose and refresh those files afterwards.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sat_zeep.testing.certificates import TestCertificateAuthority  # noqa: E402

RFC = "SZP200101AB1"
NAME = "SAT ZEEP PRUEBAS SA DE CV"
PASSWORD = "12345678a"
NOT_BEFORE = datetime(2024, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2034, 1, 1, tzinfo=timezone.utc)
FIEL_SERIAL = "00001000000500000001"
CSD_SERIAL = "00001000000500000002"
FILES = ("ca.cer", "ca.pem", "ca.key", "fiel.cer", "fiel.key", "csd.cer", "csd.key", "password.txt")


def generate(output: Path) -> list[Path]:
    """Write the fixture e.firma into ``output``; return the files written."""
    ca = TestCertificateAuthority.create(
        "sat_zeep test CA",
        not_before=datetime(2020, 1, 1, tzinfo=timezone.utc),
        not_after=datetime(2050, 1, 1, tzinfo=timezone.utc),
    )
    written = list(ca.save(output))
    fiel = ca.issue_fiel(
        RFC,
        name=NAME,
        password=PASSWORD,
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
        serial_number=FIEL_SERIAL,
    )
    csd = ca.issue_csd(
        RFC,
        name=NAME,
        password=PASSWORD,
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
        serial_number=CSD_SERIAL,
    )
    for stem, issued in (("fiel", fiel), ("csd", csd)):
        cer, key = output / f"{stem}.cer", output / f"{stem}.key"
        cer.write_bytes(issued.certificate_der)
        key.write_bytes(issued.private_key_der)
        written += [cer, key]
    password = output / "password.txt"
    password.write_bytes(PASSWORD.encode("utf-8"))
    written.append(password)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "tests" / "fixtures" / "efirma")
    parser.add_argument("--force", action="store_true", help="replace existing files")
    args = parser.parse_args(argv)
    output: Path = args.output
    existing = [name for name in FILES if (output / name).exists()]
    if existing and not args.force:
        sys.stderr.write(
            f"{output} already holds {', '.join(existing)}; pass --force to replace them "
            "(the golden envelopes then need regenerating)\n"
        )
        return 1
    output.mkdir(parents=True, exist_ok=True)
    for path in generate(output):
        sys.stdout.write(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
