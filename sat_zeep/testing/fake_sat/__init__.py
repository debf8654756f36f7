"""The fake SAT server, module by module.

``server`` (FakeSat, cheroot) → ``app`` (WSGI routing and answers) → ``authentication``
(Autentica's WS-Security), ``tokens`` (WRAP tokens), ``request_rules`` (seals and 301 rules) →
``ledger`` (requests, packages, limits; ``ledger_store`` keeps it on disk) → ``universe``
(which documents a query finds: ``documents``, ``taxpayers``, ``uuids``, ``streams``) →
``package_writer`` (ZIPs) and ``documents_xml`` (CFDI 4.0 / Retenciones 2.0 text).
``responses`` writes the envelopes, ``faults`` injects failures.
"""
