"""The ``Complemento`` values SAT lists for each service family.

In the WSDL ``Complemento`` is a plain string, so these lists come from SAT's documentation: the
v1.5 (2025) table for CFDI and the v1.2 (2022) table for Retenciones, which v1.5 does not repeat.
``cartaporte10``, ``cartaporte20`` and ``pagos20`` were in the v1.2 CFDI table but not in v1.5's;
they are current complements, so they stay accepted (``COMPLEMENTOS_CFDI_V12_EXTRA``).
"""

from __future__ import annotations

from ..soap.endpoints import ServiceType

__all__ = [
    "COMPLEMENTOS_CFDI",
    "COMPLEMENTOS_CFDI_V12_EXTRA",
    "COMPLEMENTOS_CFDI_V15",
    "COMPLEMENTOS_RETENCIONES",
    "complementos",
]

#: The CFDI table of SAT's v1.5 documentation (identical for Emitidos and Recibidos).
COMPLEMENTOS_CFDI_V15: frozenset[str] = frozenset(
    {
        "acreditamientoieps10",
        "aerolineas",
        "certificadodedestruccion",
        "cfdiregistrofiscal",
        "comercioexterior10",
        "comercioexterior11",
        "comprobante",
        "consumodecombustibles",
        "consumodecombustibles11",
        "detallista",
        "divisas",
        "donat11",
        "ecc11",
        "ecc12",
        "gastoshidrocarburos10",
        "iedu",
        "implocal",
        "ine11",
        "ingresoshidrocarburos",
        "leyendasfisc",
        "nomina11",
        "nomina12",
        "notariospublicos",
        "obrasarteantiguedades",
        "pagoenespecie",
        "pagos10",
        "pfic",
        "renovacionysustitucionvehiculos",
        "servicioparcialconstruccion",
        "spei",
        "terceros11",
        "turistapasajeroextranjero",
        "valesdedespensa",
        "vehiculousado",
        "ventavehiculos11",
    }
)

#: In the v1.2 (2022) CFDI table but missing from v1.5's.
COMPLEMENTOS_CFDI_V12_EXTRA: frozenset[str] = frozenset({"cartaporte10", "cartaporte20", "pagos20"})

#: Every ``Complemento`` accepted for CFDI requests.
COMPLEMENTOS_CFDI: frozenset[str] = COMPLEMENTOS_CFDI_V15 | COMPLEMENTOS_CFDI_V12_EXTRA

#: Every ``Complemento`` accepted for Retenciones requests (SAT's v1.2 table).
COMPLEMENTOS_RETENCIONES: frozenset[str] = frozenset(
    {
        "arrendamientoenfideicomiso",
        "dividendos",
        "enajenaciondeacciones",
        "fideicomisonoempresarial",
        "intereses",
        "intereseshipotecarios",
        "operacionesconderivados",
        "pagosaextranjeros",
        "planesderetiro",
        "planesderetiro11",
        "premios",
        "retencionpago1",
        "sectorfinanciero",
        "serviciosplataformastecnologicas10",
    }
)

_BY_SERVICE: dict[ServiceType, frozenset[str]] = {
    ServiceType.CFDI: COMPLEMENTOS_CFDI,
    ServiceType.RETENCIONES: COMPLEMENTOS_RETENCIONES,
}


def complementos(service: ServiceType) -> frozenset[str]:
    """The ``Complemento`` values valid for a service family."""
    return _BY_SERVICE[ServiceType(service)]
