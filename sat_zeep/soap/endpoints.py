"""Where SAT's four services live, for CFDI and for Retenciones."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict


class ServiceType(str, enum.Enum):
    """The two families of the service: CFDI (invoices) and Retenciones (withholding receipts)."""

    CFDI = "cfdi"
    RETENCIONES = "retenciones"


_PRODUCTION_HOSTS = {
    ServiceType.CFDI: ("cfdidescargamasivasolicitud", "cfdidescargamasiva"),
    ServiceType.RETENCIONES: ("retendescargamasivasolicitud", "retendescargamasiva"),
}


class Endpoints(BaseModel):
    """The four service URLs of one family.

    >>> Endpoints.cfdi().descarga
    'https://cfdidescargamasiva.clouda.sat.gob.mx/DescargaMasivaService.svc'
    """

    model_config = ConfigDict(frozen=True)

    service: ServiceType
    autenticacion: str
    solicitud: str
    verificacion: str
    descarga: str

    @classmethod
    def cfdi(cls) -> Endpoints:
        """SAT's production URLs for CFDI."""
        return cls._production(ServiceType.CFDI)

    @classmethod
    def retenciones(cls) -> Endpoints:
        """SAT's production URLs for Retenciones."""
        return cls._production(ServiceType.RETENCIONES)

    @classmethod
    def from_base_url(cls, url: str, service: ServiceType | str = ServiceType.CFDI) -> Endpoints:
        """The layout the fake SAT server serves: ``{url}/{service}/…svc``."""
        kind = ServiceType(service)
        root = f"{url.rstrip('/')}/{kind.value}"
        return cls(
            service=kind,
            autenticacion=f"{root}/Autenticacion/Autenticacion.svc",
            solicitud=f"{root}/SolicitaDescargaService.svc",
            verificacion=f"{root}/VerificaSolicitudDescargaService.svc",
            descarga=f"{root}/DescargaMasivaService.svc",
        )

    @classmethod
    def _production(cls, kind: ServiceType) -> Endpoints:
        request_host, download_host = _PRODUCTION_HOSTS[kind]
        request_root = f"https://{request_host}.clouda.sat.gob.mx"
        return cls(
            service=kind,
            autenticacion=f"{request_root}/Autenticacion/Autenticacion.svc",
            solicitud=f"{request_root}/SolicitaDescargaService.svc",
            verificacion=f"{request_root}/VerificaSolicitudDescargaService.svc",
            descarga=f"https://{download_host}.clouda.sat.gob.mx/DescargaMasivaService.svc",
        )
