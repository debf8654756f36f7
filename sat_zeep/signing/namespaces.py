"""The XML namespaces and algorithm URIs of SAT's services, named once."""

from __future__ import annotations

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
#: Autenticación's own namespace; note that it has no ``.sat``.
AUTENTICACION = "http://DescargaMasivaTerceros.gob.mx"
#: Solicitud, Verificación and Descarga.
DESCARGA_MASIVA = "http://DescargaMasivaTerceros.sat.gob.mx"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

X509_TOKEN = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
BASE64_ENCODING = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"

#: The prefixes of SAT's own sample messages; ``None`` is the default namespace.
SAT_PREFIXES: dict[str, str | None] = {
    SOAP_ENV: "s",
    DESCARGA_MASIVA: "des",
    AUTENTICACION: None,
    WSSE: "o",
    WSU: "u",
    DSIG: None,
}
