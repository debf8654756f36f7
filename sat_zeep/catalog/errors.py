"""Errors of the document catalog."""

from __future__ import annotations

from ..errors import SatError

__all__ = ["CatalogError"]


class CatalogError(SatError):
    """The catalog cannot do what was asked (unknown UUID, XML not held, bad option…)."""
