-- The catalog: one row per (taxpayer, UUID), its status over time, and the packages read.
-- Amounts are integer cents (exact sums); times are ISO text 'YYYY-MM-DDTHH:MM:SS'.
CREATE TABLE packages (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    kind TEXT NOT NULL,
    service TEXT NOT NULL,
    direction TEXT,
    taxpayer_rfc TEXT,
    documents INTEGER NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE TABLE documents (
    uuid TEXT NOT NULL,
    taxpayer_rfc TEXT NOT NULL,
    direction TEXT NOT NULL,
    service TEXT NOT NULL,
    rfc_emisor TEXT,
    nombre_emisor TEXT,
    rfc_receptor TEXT,
    nombre_receptor TEXT,
    rfc_pac TEXT,
    fecha_emision TEXT,
    fecha_certificacion_sat TEXT,
    monto_cents INTEGER,
    efecto_comprobante TEXT,
    estatus INTEGER,
    fecha_cancelacion TEXT,
    rfc_a_cuenta_terceros TEXT,
    nombre_a_cuenta_terceros TEXT,
    metadata_package TEXT,
    version TEXT,
    fecha_timbrado TEXT,
    subtotal_cents INTEGER,
    total_cents INTEGER,
    moneda TEXT,
    tipo_de_comprobante TEXT,
    complementos TEXT,
    xml_package TEXT,
    xml_entry TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (uuid, taxpayer_rfc)
);
CREATE INDEX documents_by_month ON documents (taxpayer_rfc, direction, fecha_emision);
CREATE TABLE status_changes (
    uuid TEXT NOT NULL,
    taxpayer_rfc TEXT NOT NULL,
    old_estatus INTEGER NOT NULL,
    new_estatus INTEGER NOT NULL,
    fecha_cancelacion TEXT,
    seen_at TEXT NOT NULL,
    package TEXT NOT NULL
);
CREATE INDEX status_changes_by_time ON status_changes (seen_at);
