"""zeep plugins for SAT's services, for use with any ``zeep.Client`` built on the vendored WSDLs.

- ``WsSecurityPlugin`` on Autenticación adds the signed WS-Security header;
- ``WrapAuthorizationPlugin`` on the other three adds ``Authorization: WRAP access_token="…"``;
- ``RequestSigningPlugin`` on the other three signs the request element (list it last).

They live in ``sat_zeep.soap.plugins``; this module is their public name.
"""

from __future__ import annotations

from .soap.plugins import (
    RequestSigningPlugin,
    WrapAuthorizationPlugin,
    WsSecurityPlugin,
    utc_now,
    wrap_authorization,
)

__all__ = [
    "RequestSigningPlugin",
    "WrapAuthorizationPlugin",
    "WsSecurityPlugin",
    "utc_now",
    "wrap_authorization",
]
