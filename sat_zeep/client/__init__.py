"""The client surface: ``SatClient`` and what goes in and comes out of it.

- ``sat_client``: ``SatClient``, the four services behind one object, tokens handled for you;
- ``parameters``: request payloads, checked before anything is sent;
- ``models``: SAT's answers as frozen pydantic models, and the token;
- ``codes``: SAT's codes and enumerated values; ``complementos``: SAT's ``Complemento`` values;
- ``polling``: how often to ask again about a request SAT is still preparing.

The names users need are exported by ``sat_zeep`` itself (``from sat_zeep import SatClient``).
"""
