"""sat_zeep: a zeep client for SAT's Descarga Masiva de CFDI y Retenciones."""

__version__ = "0.1.0"
