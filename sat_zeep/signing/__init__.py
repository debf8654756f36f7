"""Signing: the taxpayer's e.firma and the two signatures SAT checks, as pure functions over lxml.

- ``fiel``: the certificate and RSA key (``Fiel``), the only holder of the private key;
- ``security_header``: Autenticación's WS-Security header (BinarySecurityToken + signed Timestamp);
- ``request_signature``: the enveloped signature of Solicitud, Verificación and Descarga requests,
  and its independent verifier;
- ``namespaces``: the XML namespaces and algorithm URIs, named once (SOAP uses them too).

Nothing here knows about zeep, HTTP or the client: ``sat_zeep.soap.plugins`` adapts these to zeep.
"""
