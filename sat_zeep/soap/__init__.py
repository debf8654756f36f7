"""SOAP: the vendored WSDLs, SAT-shaped envelopes, the HTTP transport, the port, the zeep plugins.

- ``wsdl``: the WSDL files and the zeep documents parsed from them once per process;
- ``endpoints``: where the four services live, for CFDI and for Retenciones;
- ``envelope``: envelopes in SAT's own prefixes and order;
- ``transport``: timeouts, an overall deadline per call, no redirects;
- ``port``: one service endpoint bound to an address, and the reading of its replies;
- ``plugins``: zeep plugins over ``sat_zeep.signing`` (public as ``sat_zeep.plugins``);
- ``wsdl_refresh``: compare SAT's published WSDLs with the vendored ones and update them.
"""
