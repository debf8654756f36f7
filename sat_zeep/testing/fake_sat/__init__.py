"""The fake SAT server, module by module.

``server`` (FakeSat, cheroot) → ``app`` (WSGI routing and answers) → ``authentication``
(Autentica's WS-Security), ``tokens`` (WRAP tokens), ``request_rules`` (seals and 301 rules) →
``ledger`` (requests, packages, limits) → ``universe`` (synthetic documents) and
``package_writer`` (ZIPs). ``responses`` writes the envelopes, ``faults`` injects failures.
"""
