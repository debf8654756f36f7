-- The fleet: taxpayers, the periods each keeps in sync, every Solicitud attempt (append-only),
-- the requests SAT accepted and their packages. Times are ISO text in UTC ('…Z'); periods are
-- SAT's local times ('YYYY-MM-DDTHH:MM:SS'). Only paths and environment-variable names of an
-- e.firma are kept: never a password, a key or a token.
CREATE TABLE fleet_taxpayers (
    rfc TEXT PRIMARY KEY,
    service TEXT NOT NULL DEFAULT 'cfdi',
    certificate TEXT NOT NULL,
    private_key TEXT NOT NULL,
    password_env TEXT,
    password_file TEXT,
    start_date TEXT,
    end_date TEXT,
    since_days INTEGER,
    directions TEXT NOT NULL DEFAULT 'emitidos,recibidos',
    kinds TEXT NOT NULL DEFAULT 'Metadata,CFDI',
    fence BIGINT NOT NULL DEFAULT 0,
    holder TEXT,
    held_since TEXT,
    next_due TEXT,
    planned_on TEXT,
    last_error TEXT,
    added_at TEXT NOT NULL,
    CHECK (password_env IS NOT NULL OR password_file IS NOT NULL),
    CHECK (start_date IS NOT NULL OR since_days IS NOT NULL)
);
CREATE TABLE fleet_periods (
    key TEXT PRIMARY KEY,
    rfc TEXT NOT NULL REFERENCES fleet_taxpayers (rfc),
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    parent TEXT,
    status TEXT NOT NULL DEFAULT 'planned',
    variant INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    last_error TEXT,
    id_solicitud TEXT,
    codigo INTEGER,
    numero_cfdis INTEGER NOT NULL DEFAULT 0,
    updated TEXT NOT NULL
);
CREATE INDEX fleet_periods_rfc ON fleet_periods (rfc, status);
CREATE TABLE fleet_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfc TEXT NOT NULL,
    parameters TEXT NOT NULL,
    variant INTEGER NOT NULL,
    period_key TEXT NOT NULL REFERENCES fleet_periods (key),
    sent_start TEXT NOT NULL,
    sent_end TEXT NOT NULL,
    fence BIGINT NOT NULL,
    worker TEXT,
    created TEXT NOT NULL,
    UNIQUE (rfc, parameters, variant)
);
CREATE FUNCTION fleet_attempts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'fleet_attempts is append-only';
END;
$$;
CREATE TRIGGER fleet_attempts_append_only BEFORE UPDATE OR DELETE ON fleet_attempts
    FOR EACH ROW EXECUTE FUNCTION fleet_attempts_append_only();
CREATE TABLE fleet_requests (
    id_solicitud TEXT PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES fleet_attempts (id),
    rfc TEXT NOT NULL,
    period_key TEXT NOT NULL REFERENCES fleet_periods (key),
    status TEXT NOT NULL DEFAULT 'accepted',
    checks INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    next_check TEXT,
    numero_cfdis INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated TEXT NOT NULL
);
CREATE INDEX fleet_requests_rfc ON fleet_requests (rfc, status);
CREATE TABLE fleet_packages (
    id_paquete TEXT PRIMARY KEY,
    rfc TEXT NOT NULL,
    period_key TEXT NOT NULL REFERENCES fleet_periods (key),
    id_solicitud TEXT NOT NULL REFERENCES fleet_requests (id_solicitud),
    status TEXT NOT NULL DEFAULT 'pending',
    downloads_used INTEGER NOT NULL DEFAULT 0 CHECK (downloads_used BETWEEN 0 AND 2),
    path TEXT NOT NULL,
    size BIGINT,
    sha256 TEXT,
    errors INTEGER NOT NULL DEFAULT 0,
    not_before TEXT,
    last_error TEXT,
    updated TEXT NOT NULL
);
CREATE INDEX fleet_packages_rfc ON fleet_packages (rfc, status);
