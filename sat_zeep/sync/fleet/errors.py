"""Errors of the fleet (under ``SatError``)::

SatError
└── FleetError              the fleet cannot go on as asked (the message says why)
    ├── StaleFenceError     a step's fence was taken over: it writes and sends nothing more
    └── TaxpayerConfigError a taxpayer entry that cannot be used (firms.toml, --efirma)
"""

from __future__ import annotations

from ...errors import SatError

__all__ = ["FleetError", "StaleFenceError", "TaxpayerConfigError"]


class FleetError(SatError):
    """The fleet cannot go on as asked (the message says why and what to do)."""


class StaleFenceError(FleetError):
    """Another step holds the taxpayer now; this one stops without sending anything more."""


class TaxpayerConfigError(FleetError):
    """A taxpayer entry that cannot be used as written."""
