"""Detect and absorb changes in SAT's WSDLs: ``sat-zeep wsdl check`` / ``update``.

results = check("all", base_url=None)        # SAT's production URLs
print(render(results)); any(r.changes for r in results)
"""

from __future__ import annotations

from .diff import Change, compare
from .errors import WsdlConflictError, WsdlError, WsdlFetchError, WsdlParseError
from .fetch import fetch_wsdl
from .model import Contract, describe
from .refresh import NOT_PUBLISHED, ServiceResult, check
from .report import render
from .update import absorb, update

__all__ = [
    "NOT_PUBLISHED",
    "Change",
    "Contract",
    "ServiceResult",
    "WsdlConflictError",
    "WsdlError",
    "WsdlFetchError",
    "WsdlParseError",
    "absorb",
    "check",
    "compare",
    "describe",
    "fetch_wsdl",
    "render",
    "update",
]
