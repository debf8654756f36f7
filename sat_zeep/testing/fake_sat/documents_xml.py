"""CFDI 4.0 and Retenciones 2.0 XML for a ``Document``: string templates, seals and the Addenda.

The templates are plain f-strings (fast enough for 200,000 documents). Every value that is not in
the ``Document`` (folio, seals, certificates, conceptos, related UUIDs, the payment or payroll
complement) is drawn from a stream keyed by the document's UUID, so the same document always has
the same bytes. Importes add up: conceptos to SubTotal, traslados to the IVA, SubTotal and IVA to
Total.

The optional Addenda pads a document to a requested size with incompressible text (see
``addenda``), so a package padded to 1 GB is some 0.8 GB of ZIP, not a few MB.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import zlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from .streams import amount, stream
from .taxpayers import GENERIC_RFC

if TYPE_CHECKING:
    from .documents import Document

__all__ = ["addenda", "cfdi_xml", "filler", "hash_code", "retenciones_xml", "seal"]

_ZERO = Decimal("0.00")


def hash_code(text: str) -> int:
    """A stable small number derived from ``text`` (postal codes, folios)."""
    return zlib.crc32(text.encode())


def seal(uuid: str, label: str, size: int) -> str:
    """A deterministic base64 string that looks like a seal or a certificate."""
    return base64.b64encode(hashlib.shake_256(f"{uuid}{label}".encode()).digest(size)).decode()


@functools.lru_cache(maxsize=8192)
def _certificate(rfc: str) -> str:
    return seal(rfc, "cer", 96)


_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
_XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
_TFD_NS = "http://www.sat.gob.mx/TimbreFiscalDigital"
_TFD_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd"
_CFDI_XSD = "http://www.sat.gob.mx/cfd/4 http://www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"
_PAGOS_NS = "http://www.sat.gob.mx/Pagos20"
_PAGOS_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"
_NOMINA_NS = "http://www.sat.gob.mx/nomina12"
_NOMINA_XSD = "http://www.sat.gob.mx/sitio_internet/cfd/nomina/nomina12.xsd"
_RET_NS = "http://www.sat.gob.mx/esquemas/retencionpago/2"
_RET_XSD = f"{_RET_NS} http://www.sat.gob.mx/esquemas/retencionpago/2/retencionpagov2.xsd"
_RET_COMPLEMENTS = {
    "dividendos": "http://www.sat.gob.mx/esquemas/retencionpago/1/dividendos",
    "intereses": "http://www.sat.gob.mx/esquemas/retencionpago/1/intereses",
}
_DESCRIPTIONS = (
    "Servicios de consultoría",
    "Mantenimiento de equipo de cómputo",
    'Renta de oficina "Torre Reforma"',
    "Papelería & artículos de oficina",
    "Diseño de señalización <interior>",
    "Transporte de mercancía",
    "Licencia de software anual",
    "Capacitación en línea",
)


@functools.lru_cache(maxsize=8192)
def _x(text: str) -> str:
    """Escape for an XML attribute value (LF and CR as character references, so they survive)."""
    return text.translate(_ESCAPES)


def _iso(value: datetime) -> str:
    return value.isoformat("T", "seconds")


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


@functools.lru_cache(maxsize=8192)
def _postal_code(rfc: str) -> str:
    return f"{hash_code(rfc) % 90000 + 10000:05d}"


@functools.lru_cache(maxsize=8192)
def _certificate_number(rfc: str) -> str:
    return f"{30001000000400000000 + hash_code(rfc) % 100000:020d}"


@functools.lru_cache(maxsize=8192)
def _regimen(rfc: str) -> str:
    return "601" if len(rfc) == 12 else "612"


def _random_uuid(rng: random.Random) -> str:
    value = rng.getrandbits(128) & ~(0xF << 76 | 3 << 62) | 4 << 76 | 2 << 62
    text = f"{value:032X}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _split(cents: int, parts: int, rng: random.Random) -> list[int]:
    if parts <= 1 or cents < parts:
        return [cents]
    cuts = sorted(rng.sample(range(1, cents), parts - 1))
    return [end - begin for begin, end in zip([0, *cuts], [*cuts, cents], strict=True)]


# Printable ASCII without "<", "&" and ">": valid anywhere in element content ("]]>" cannot form).
_FILLER_ALPHABET = bytes(c for c in range(0x21, 0x7F) if c not in b"<&>")
_FILLER = bytes(_FILLER_ALPHABET[i % len(_FILLER_ALPHABET)] for i in range(256))
_FILLER_CHUNK = 1 << 24


def filler(uuid: str, size: int) -> str:
    """``size`` characters of incompressible text, the same for the same ``uuid``.

    Pseudo-random bytes (a stream keyed by the UUID) mapped onto 91 printable ASCII characters:
    about 6.5 bits of entropy per byte, so DEFLATE keeps some 82% of it.
    """
    rng = stream("relleno", uuid)
    chunks = range(0, max(0, size), _FILLER_CHUNK)  # randbytes draws at most 2**31 bits at once
    parts = (rng.randbytes(min(_FILLER_CHUNK, size - start)) for start in chunks)
    return "".join(part.translate(_FILLER).decode("ascii") for part in parts)


def addenda(uuid: str, prefix: str, padding: int) -> str:
    """An Addenda of exactly ``padding`` bytes (at least its tags), or nothing if ``padding <= 0``.

    Its content is incompressible pseudo-random text (``filler``), so padded documents weigh about
    the same inside a ZIP as outside it and package sizes on disk are realistic: a package of N
    documents padded to P bytes is at least ~0.8·N·P bytes of ZIP. Generation runs at a few
    hundred MB/s.
    """
    if padding <= 0:
        return ""
    opening = f'<{prefix}:Addenda><relleno xmlns="urn:sat-zeep:fake-sat:relleno">'
    closing = f"</relleno></{prefix}:Addenda>"
    return opening + filler(uuid, padding - len(opening) - len(closing)) + closing


def _tfd(doc: Document, sello: str) -> str:
    return (
        f'<tfd:TimbreFiscalDigital xmlns:tfd="{_TFD_NS}" xsi:schemaLocation="{_TFD_NS} {_TFD_XSD}"'
        f' Version="1.1" UUID="{doc.uuid}" FechaTimbrado="{_iso(doc.fecha_certificacion)}"'
        f' RfcProvCertif="{_x(doc.rfc_pac)}" SelloCFD="{sello}"'
        f' NoCertificadoSAT="{30001000000500000000 + hash_code(doc.rfc_pac) % 10000:020d}"'
        f' SelloSAT="{seal(doc.uuid, "sat", 256)}"/>'
    )


def _traslado(base: int, iva: int) -> str:
    return (
        f'<cfdi:Traslado Base="{_cents(base)}" Impuesto="002" TipoFactor="Tasa"'
        f' TasaOCuota="0.160000" Importe="{_cents(iva)}"/>'
    )


def _concepto(clave: str, unidad: str, text: str, importe: int, extra: str, inner: str) -> str:
    objeto = "02" if inner else "01"
    return (
        f'<cfdi:Concepto ClaveProdServ="{clave}" Cantidad="1" ClaveUnidad="{unidad}"'
        f' Descripcion="{_x(text)}" ValorUnitario="{_cents(importe)}" Importe="{_cents(importe)}"'
        f'{extra} ObjetoImp="{objeto}">{inner}</cfdi:Concepto>'
    )


def _invoice_body(doc: Document, rng: random.Random) -> tuple[str, str]:
    """Conceptos and Impuestos of an Ingreso or Egreso: importes add up to SubTotal and Total."""
    subtotal, iva = int(doc.subtotal * 100), int((doc.total - doc.subtotal) * 100)
    parts = _split(subtotal, 1 + rng.randrange(3), rng)
    taxes = [(part * 16 + 50) // 100 for part in parts]
    taxes[parts.index(max(parts))] += iva - sum(taxes)
    conceptos: list[str] = []
    for position, (part, tax) in enumerate(zip(parts, taxes, strict=True)):
        traslados = f"<cfdi:Traslados>{_traslado(part, tax)}</cfdi:Traslados>"
        inner = f"<cfdi:Impuestos>{traslados}</cfdi:Impuestos>"
        if position == 0 and doc.tercero is not None:
            rfc, name = doc.tercero
            inner += (
                f'<cfdi:ACuentaTerceros RfcACuentaTerceros="{_x(rfc)}"'
                f' NombreACuentaTerceros="{_x(name)}"'
                f' RegimenFiscalACuentaTerceros="{_regimen(rfc)}"'
                f' DomicilioFiscalACuentaTerceros="{_postal_code(rfc)}"/>'
            )
        text = _DESCRIPTIONS[rng.randrange(len(_DESCRIPTIONS))]
        conceptos.append(_concepto("81111500", "E48", text, part, "", inner))
    impuestos = (
        f'<cfdi:Impuestos TotalImpuestosTrasladados="{_cents(iva)}"><cfdi:Traslados>'
        f"{_traslado(subtotal, iva)}</cfdi:Traslados></cfdi:Impuestos>"
    )
    return "".join(conceptos), impuestos


def _pagos(doc: Document, rng: random.Random) -> str:
    monto = _cents(int(amount(rng, 100, 500_000) * 100))
    paid = doc.fecha_emision.date() - timedelta(days=rng.randrange(0, 5))
    return (
        f'<pago20:Pagos xmlns:pago20="{_PAGOS_NS}" Version="2.0">'
        f'<pago20:Totales MontoTotalPagos="{monto}"/>'
        f'<pago20:Pago FechaPago="{paid:%Y-%m-%d}T12:00:00" FormaDePagoP="03" MonedaP="MXN"'
        f' TipoCambioP="1" Monto="{monto}"><pago20:DoctoRelacionado'
        f' IdDocumento="{_random_uuid(rng)}" MonedaDR="MXN" EquivalenciaDR="1" NumParcialidad="1"'
        f' ImpSaldoAnt="{monto}" ImpPagado="{monto}" ImpSaldoInsoluto="0.00" ObjetoImpDR="01"/>'
        "</pago20:Pago></pago20:Pagos>"
    )


def _nomina(doc: Document, percepciones: str, deducciones: str) -> str:
    paid = doc.fecha_emision.date()
    curp = f"{doc.rfc_receptor[:10]}HDFRNS09"
    return (
        f'<nomina12:Nomina xmlns:nomina12="{_NOMINA_NS}" Version="1.2" TipoNomina="O"'
        f' FechaPago="{paid}" FechaInicialPago="{paid - timedelta(days=14)}"'
        f' FechaFinalPago="{paid}" NumDiasPagados="15" TotalPercepciones="{percepciones}"'
        f' TotalDeducciones="{deducciones}"><nomina12:Emisor RegistroPatronal="Y5512345109"/>'
        f'<nomina12:Receptor Curp="{_x(curp)}" TipoContrato="01" TipoRegimen="02"'
        f' NumEmpleado="{hash_code(doc.rfc_receptor) % 100000}" PeriodicidadPago="04"'
        ' ClaveEntFed="CMX"/>'
        f'<nomina12:Percepciones TotalSueldos="{percepciones}" TotalGravado="{percepciones}"'
        ' TotalExento="0.00"><nomina12:Percepcion TipoPercepcion="001" Clave="001"'
        f' Concepto="Sueldo" ImporteGravado="{percepciones}" ImporteExento="0.00"/>'
        f'</nomina12:Percepciones><nomina12:Deducciones TotalImpuestosRetenidos="{deducciones}">'
        '<nomina12:Deduccion TipoDeduccion="002" Clave="002" Concepto="ISR"'
        f' Importe="{deducciones}"/></nomina12:Deducciones></nomina12:Nomina>'
    )


def cfdi_xml(doc: Document, padding: int = 0) -> str:
    """A CFDI 4.0 document with its TimbreFiscalDigital (and Pagos 2.0 or Nómina 1.2)."""
    rng = stream("xml", doc.uuid)
    tipo, sello = doc.tipo_comprobante, seal(doc.uuid, "cfd", 256)
    lugar = _postal_code(doc.rfc_emisor)
    generic = doc.rfc_receptor == GENERIC_RFC
    regimen_r, uso = (
        _regimen(doc.rfc_receptor),
        {"P": "CP01", "T": "S01", "E": "G02"}.get(tipo, "G03"),
    )
    if generic:
        regimen_r, uso = "616", "S01"
    elif tipo == "N":
        regimen_r, uso = "605", "CN01"
    namespaces, schemas, complement, related, money = "", _CFDI_XSD, "", "", ""
    if tipo in ("I", "E"):
        conceptos, impuestos = _invoice_body(doc, rng)
        ppd = tipo == "I" and rng.random() < 0.3
        money = f' FormaPago="{"99" if ppd else "03"}"'
        if tipo == "E" and rng.random() < 0.8:
            related = (
                '<cfdi:CfdiRelacionados TipoRelacion="01">'
                f'<cfdi:CfdiRelacionado UUID="{_random_uuid(rng)}"/></cfdi:CfdiRelacionados>'
            )
        tail = f' MetodoPago="{"PPD" if ppd else "PUE"}"'
        if doc.moneda != "MXN":
            money += f' TipoCambio="{rng.uniform(16.5, 20.5):.4f}"'
    elif tipo == "N":
        percepciones, deducciones = f"{doc.subtotal:.2f}", f"{doc.subtotal - doc.total:.2f}"
        cents = int(doc.subtotal * 100)
        extra = f' Descuento="{deducciones}"'
        conceptos = _concepto("84111505", "ACT", "Pago de nómina", cents, extra, "")
        impuestos, tail, money = "", ' MetodoPago="PUE"', ' FormaPago="99"'
        namespaces = f' xmlns:nomina12="{_NOMINA_NS}"'
        schemas += f" {_NOMINA_NS} {_NOMINA_XSD}"
        complement = _nomina(doc, percepciones, deducciones)
    else:
        text = "Pago" if tipo == "P" else "Traslado de mercancía"
        conceptos = _concepto("84111506" if tipo == "P" else "78101800", "ACT", text, 0, "", "")
        impuestos, tail = "", ""
        if tipo == "P":
            namespaces = f' xmlns:pago20="{_PAGOS_NS}"'
            schemas += f" {_PAGOS_NS} {_PAGOS_XSD}"
            complement = _pagos(doc, rng)
    descuento = f' Descuento="{doc.subtotal - doc.total:.2f}"' if tipo == "N" else ""
    amounts = (
        ' SubTotal="0" ' if tipo in ("P", "T") else f' SubTotal="{doc.subtotal:.2f}"{descuento} '
    )
    total = "0" if tipo in ("P", "T") else f"{doc.total:.2f}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" {_XSI}{namespaces}'
        f' xsi:schemaLocation="{schemas}" Version="4.0" Serie="{tipo}"'
        f' Folio="{hash_code(doc.uuid) % 1000000}" Fecha="{_iso(doc.fecha_emision)}"'
        f' Sello="{sello}"{money} NoCertificado="{_certificate_number(doc.rfc_emisor)}"'
        f' Certificado="{_certificate(doc.rfc_emisor)}"{amounts}Moneda="{doc.moneda}"'
        f' Total="{total}" TipoDeComprobante="{tipo}" Exportacion="01"{tail}'
        f' LugarExpedicion="{lugar}">{related}'
        f'<cfdi:Emisor Rfc="{_x(doc.rfc_emisor)}" Nombre="{_x(doc.nombre_emisor)}"'
        f' RegimenFiscal="{_regimen(doc.rfc_emisor)}"/>'
        f'<cfdi:Receptor Rfc="{_x(doc.rfc_receptor)}" Nombre="{_x(doc.nombre_receptor)}"'
        f' DomicilioFiscalReceptor="{lugar if generic else _postal_code(doc.rfc_receptor)}"'
        f' RegimenFiscalReceptor="{regimen_r}" UsoCFDI="{uso}"/>'
        f"<cfdi:Conceptos>{conceptos}</cfdi:Conceptos>{impuestos}"
        f"<cfdi:Complemento>{complement}{_tfd(doc, sello)}</cfdi:Complemento>"
        f"{addenda(doc.uuid, 'cfdi', padding)}</cfdi:Comprobante>\n"
    )


def retenciones_xml(doc: Document, padding: int = 0) -> str:
    """A Retenciones 2.0 document with its TimbreFiscalDigital (and Dividendos or Intereses)."""
    kind = doc.complementos[0] if doc.complementos else ""
    sello = seal(doc.uuid, "ret", 256)
    retenido = doc.monto_retenido or _ZERO
    namespaces, schemas, complement = "", _RET_XSD, ""
    clave = {"dividendos": "14", "intereses": "16"}.get(kind, "25")
    description = ' DescRetenc="Otras retenciones"' if clave == "25" else ""
    if kind == "dividendos":
        complement = (
            '<dividendos:Dividendos Version="1.0"><dividendos:DividOUtil CveTipDivOUtil="01"'
            f' MontISRAcredRetMexico="{retenido:.2f}" MontISRAcredRetExtranjero="0.00"'
            ' TipoSocDistrDiv="Sociedad Nacional"/></dividendos:Dividendos>'
        )
    elif kind == "intereses":
        complement = (
            '<intereses:Intereses Version="1.0" SistFinanciero="SI" RetiroAORESRetInt="NO"'
            f' OperFinancDerivad="NO" MontIntNominal="{doc.total:.2f}"'
            f' MontIntReal="{doc.subtotal:.2f}" Perdida="0.00"/>'
        )
    if kind in _RET_COMPLEMENTS:
        namespaces = f' xmlns:{kind}="{_RET_COMPLEMENTS[kind]}"'
        schemas += f" {_RET_COMPLEMENTS[kind]} {_RET_COMPLEMENTS[kind]}/{kind}.xsd"
    issued = doc.fecha_emision
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<retenciones:Retenciones xmlns:retenciones="{_RET_NS}" {_XSI}{namespaces}'
        f' xsi:schemaLocation="{schemas}" Version="2.0" FolioInt="{hash_code(doc.uuid) % 1000000}"'
        f' Sello="{sello}" NoCertificado="{_certificate_number(doc.rfc_emisor)}"'
        f' Certificado="{_certificate(doc.rfc_emisor)}" FechaExp="{_iso(issued)}"'
        f' LugarExpRetenc="{_postal_code(doc.rfc_emisor)}" CveRetenc="{clave}"{description}>'
        f'<retenciones:Emisor RfcE="{_x(doc.rfc_emisor)}" NomDenRazSocE="{_x(doc.nombre_emisor)}"'
        f' RegimenFiscalE="{_regimen(doc.rfc_emisor)}"/>'
        '<retenciones:Receptor NacionalidadR="Nacional">'
        f'<retenciones:Nacional RfcR="{_x(doc.rfc_receptor)}"'
        f' NomDenRazSocR="{_x(doc.nombre_receptor)}"'
        f' DomicilioFiscalR="{_postal_code(doc.rfc_receptor)}"/></retenciones:Receptor>'
        f'<retenciones:Periodo MesIni="{issued.month:02d}" MesFin="{issued.month:02d}"'
        f' Ejercicio="{issued.year}"/>'
        f'<retenciones:Totales MontoTotOperacion="{doc.total:.2f}"'
        f' MontoTotGrav="{doc.subtotal:.2f}" MontoTotExent="{doc.total - doc.subtotal:.2f}"'
        f' MontoTotRet="{retenido:.2f}"><retenciones:ImpRetenidos BaseRet="{doc.subtotal:.2f}"'
        f' ImpuestoRet="001" MontoRet="{retenido:.2f}" TipoPagoRet="01"/></retenciones:Totales>'
        f"<retenciones:Complemento>{complement}{_tfd(doc, sello)}</retenciones:Complemento>"
        f"{addenda(doc.uuid, 'retenciones', padding)}</retenciones:Retenciones>\n"
    )
