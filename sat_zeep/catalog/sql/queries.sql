-- The catalog's statements, one text for SQLite and PostgreSQL: SQL both speak, with named
-- parameters ``:name`` (the PostgreSQL connector turns them into psycopg's ``%(name)s``).
-- What differs between the backends (column types) is in migrations/<backend>/.

-- name: schema_version
SELECT max(version) AS version FROM schema_version;

-- name: record_migration
INSERT INTO schema_version (version) VALUES (:version);

-- name: package
SELECT * FROM packages WHERE sha256 = :sha256;

-- name: claim_package
-- The package's row, written first: an index that another process has already written (or is
-- writing: PostgreSQL waits for it) changes nothing (0 rows); one an older version read is
-- claimed again to be read once more.
INSERT INTO packages (sha256, path, size, kind, service, direction, taxpayer_rfc, documents,
                      indexed_at, index_version)
VALUES (:sha256, :path, :size, :kind, :service, :direction, :taxpayer_rfc, 0, :indexed_at,
        :index_version)
ON CONFLICT (sha256) DO UPDATE SET
    path = excluded.path,
    indexed_at = excluded.indexed_at,
    index_version = excluded.index_version
WHERE packages.index_version < excluded.index_version;

-- name: finish_package
UPDATE packages SET documents = :documents, taxpayer_rfc = :taxpayer_rfc WHERE sha256 = :sha256;

-- name: packages
SELECT * FROM packages ORDER BY indexed_at, path;

-- name: record_status_change
-- A later metadata row with another Estatus: recorded before the row itself is updated.
INSERT INTO status_changes (uuid, taxpayer_rfc, old_estatus, new_estatus, fecha_cancelacion,
                            seen_at, package)
SELECT uuid, taxpayer_rfc, estatus, :estatus, :fecha_cancelacion, :seen_at, :package
FROM documents
WHERE uuid = :uuid AND taxpayer_rfc = :taxpayer_rfc AND estatus IS NOT NULL
  AND estatus <> :estatus;

-- name: upsert_metadata
INSERT INTO documents (uuid, taxpayer_rfc, direction, service, rfc_emisor, nombre_emisor,
                       rfc_receptor, nombre_receptor, rfc_pac, fecha_emision,
                       fecha_certificacion_sat, monto_cents, efecto_comprobante, estatus,
                       fecha_cancelacion, rfc_a_cuenta_terceros, nombre_a_cuenta_terceros,
                       metadata_package, first_seen, last_seen)
VALUES (:uuid, :taxpayer_rfc, :direction, :service, :rfc_emisor, :nombre_emisor,
        :rfc_receptor, :nombre_receptor, :rfc_pac, :fecha_emision, :fecha_certificacion_sat,
        :monto_cents, :efecto_comprobante, :estatus, :fecha_cancelacion,
        :rfc_a_cuenta_terceros, :nombre_a_cuenta_terceros, :package, :seen_at, :seen_at)
ON CONFLICT (uuid, taxpayer_rfc) DO UPDATE SET
    rfc_emisor = excluded.rfc_emisor,
    nombre_emisor = excluded.nombre_emisor,
    rfc_receptor = excluded.rfc_receptor,
    nombre_receptor = excluded.nombre_receptor,
    rfc_pac = excluded.rfc_pac,
    fecha_emision = excluded.fecha_emision,
    fecha_certificacion_sat = excluded.fecha_certificacion_sat,
    monto_cents = excluded.monto_cents,
    efecto_comprobante = excluded.efecto_comprobante,
    estatus = excluded.estatus,
    fecha_cancelacion = excluded.fecha_cancelacion,
    rfc_a_cuenta_terceros = excluded.rfc_a_cuenta_terceros,
    nombre_a_cuenta_terceros = excluded.nombre_a_cuenta_terceros,
    metadata_package = excluded.metadata_package,
    last_seen = excluded.last_seen;

-- name: upsert_xml
INSERT INTO documents (uuid, taxpayer_rfc, direction, service, rfc_emisor, nombre_emisor,
                       rfc_receptor, nombre_receptor, fecha_emision, version, fecha_timbrado,
                       subtotal_cents, total_cents, moneda, tipo_de_comprobante, complementos,
                       serie, folio, xml_package, xml_entry, first_seen, last_seen)
VALUES (:uuid, :taxpayer_rfc, :direction, :service, :rfc_emisor, :nombre_emisor,
        :rfc_receptor, :nombre_receptor, :fecha_emision, :version, :fecha_timbrado,
        :subtotal_cents, :total_cents, :moneda, :tipo_de_comprobante, :complementos,
        :serie, :folio, :package, :entry, :seen_at, :seen_at)
ON CONFLICT (uuid, taxpayer_rfc) DO UPDATE SET
    rfc_emisor = coalesce(documents.rfc_emisor, excluded.rfc_emisor),
    nombre_emisor = coalesce(documents.nombre_emisor, excluded.nombre_emisor),
    rfc_receptor = coalesce(documents.rfc_receptor, excluded.rfc_receptor),
    nombre_receptor = coalesce(documents.nombre_receptor, excluded.nombre_receptor),
    fecha_emision = coalesce(documents.fecha_emision, excluded.fecha_emision),
    version = excluded.version,
    fecha_timbrado = excluded.fecha_timbrado,
    subtotal_cents = excluded.subtotal_cents,
    total_cents = excluded.total_cents,
    moneda = excluded.moneda,
    tipo_de_comprobante = excluded.tipo_de_comprobante,
    complementos = excluded.complementos,
    serie = excluded.serie,
    folio = excluded.folio,
    xml_package = excluded.xml_package,
    xml_entry = excluded.xml_entry,
    last_seen = excluded.last_seen;

-- name: documents_by_uuid
SELECT d.*, m.path AS metadata_path, x.path AS xml_path
FROM documents d
LEFT JOIN packages m ON m.sha256 = d.metadata_package
LEFT JOIN packages x ON x.sha256 = d.xml_package
WHERE d.uuid = :uuid
ORDER BY d.taxpayer_rfc;

-- name: changes_since
SELECT * FROM status_changes WHERE seen_at >= :since ORDER BY seen_at, taxpayer_rfc, uuid;

-- name: report_counts
-- Per taxpayer, direction and month of emission. XML missing for a cancelled received CFDI
-- is expected (SAT sends none); the other missing ones get their reason from the sync state.
SELECT taxpayer_rfc, direction, substr(fecha_emision, 1, 7) AS month,
       sum(CASE WHEN metadata_package IS NOT NULL THEN 1 ELSE 0 END) AS in_metadata,
       sum(CASE WHEN metadata_package IS NOT NULL AND xml_package IS NOT NULL
                THEN 1 ELSE 0 END) AS xml_held,
       sum(CASE WHEN metadata_package IS NOT NULL AND xml_package IS NULL AND estatus = 0
                     AND direction = 'recibidos' THEN 1 ELSE 0 END) AS missing_cancelled,
       sum(CASE WHEN metadata_package IS NULL THEN 1 ELSE 0 END) AS xml_without_metadata
FROM documents
GROUP BY taxpayer_rfc, direction, substr(fecha_emision, 1, 7)
ORDER BY taxpayer_rfc, direction, month;

-- name: report_missing
-- Listed in a metadata package, no XML held, and not explained by a cancellation.
SELECT d.taxpayer_rfc, d.direction, d.service, d.fecha_emision, p.path AS metadata_path
FROM documents d JOIN packages p ON p.sha256 = d.metadata_package
WHERE d.xml_package IS NULL AND NOT (d.estatus = 0 AND d.direction = 'recibidos');

-- name: report_totals
SELECT taxpayer_rfc, direction, substr(fecha_emision, 1, 7) AS month,
       CASE WHEN direction = 'emitidos' THEN rfc_receptor ELSE rfc_emisor END AS counterpart,
       coalesce(tipo_de_comprobante, efecto_comprobante) AS tipo,
       count(*) AS documents,
       sum(coalesce(total_cents, monto_cents, 0)) AS total_cents
FROM documents
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5;

-- name: export_documents
SELECT * FROM documents ORDER BY taxpayer_rfc, fecha_emision, uuid;

-- name: all_status_changes
SELECT * FROM status_changes ORDER BY seen_at, taxpayer_rfc, uuid, new_estatus;
