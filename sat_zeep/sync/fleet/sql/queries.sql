-- The fleet's statements, one text for SQLite and PostgreSQL, ``:name`` parameters (psycopg's
-- ``%(name)s`` on PostgreSQL). Column types and triggers, where the backends differ, are in
-- migrations/<backend>/.
--
-- The rules that must hold under any race are here, in SQL:
-- * ``insert_attempt``: UNIQUE (rfc, parameters, variant), committed before each SolicitaDescarga;
--   no row back means another worker has (or may have) sent it, so it is not sent again.
-- * ``start_download``: the conditional increment committed before each Descargar; no row back
--   means both downloads are spent (or the package is not pending), so nothing is sent.
-- * fencing: ``claim_step`` takes a new fence for a taxpayer; every write of a step first holds
--   it (``hold_fence``, which waits for a concurrent claim and then matches nothing) and carries
--   it in its WHERE, so a step whose fence was taken over changes 0 rows.

-- name: schema_version
SELECT max(version) AS version FROM fleet_schema_version;

-- name: record_migration
INSERT INTO fleet_schema_version (version) VALUES (:version);

-- taxpayers ---------------------------------------------------------------------------------

-- name: add_taxpayer
INSERT INTO fleet_taxpayers (rfc, service, certificate, private_key, password_env,
                             password_file, start_date, end_date, since_days, directions,
                             kinds, next_due, added_at)
VALUES (:rfc, :service, :certificate, :private_key, :password_env, :password_file,
        :start_date, :end_date, :since_days, :directions, :kinds, :now, :now)
ON CONFLICT (rfc) DO UPDATE SET
    service = excluded.service,
    certificate = excluded.certificate,
    private_key = excluded.private_key,
    password_env = excluded.password_env,
    password_file = excluded.password_file,
    start_date = excluded.start_date,
    end_date = excluded.end_date,
    since_days = excluded.since_days,
    directions = excluded.directions,
    kinds = excluded.kinds,
    next_due = excluded.next_due,
    planned_on = NULL;

-- name: taxpayer
SELECT * FROM fleet_taxpayers WHERE rfc = :rfc;

-- name: taxpayers
SELECT * FROM fleet_taxpayers ORDER BY rfc;

-- name: claim_step
-- A step starts: a new fence for the taxpayer (the old holder's writes now change nothing).
UPDATE fleet_taxpayers SET fence = fence + 1, holder = :worker, held_since = :now
WHERE rfc = :rfc
RETURNING fence;

-- name: hold_fence
-- First statement of every fenced transaction: 1 while the fence is current, else 0.
UPDATE fleet_taxpayers SET holder = holder WHERE rfc = :rfc AND fence = :fence;

-- name: end_step
UPDATE fleet_taxpayers SET holder = NULL, held_since = NULL, next_due = :next_due,
                           last_error = :last_error
WHERE rfc = :rfc AND fence = :fence;

-- name: orphans
-- PostgreSQL only (procrastinate's table): taxpayers with work due and no job waiting or
-- running (its job died with a worker during a database outage, say).
SELECT t.rfc, t.next_due FROM fleet_taxpayers t
WHERE t.next_due IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j
                  WHERE j.lock = t.rfc AND j.status IN ('todo', 'doing'))
ORDER BY t.next_due;

-- name: planned_on
UPDATE fleet_taxpayers SET planned_on = :day WHERE rfc = :rfc AND fence = :fence;

-- name: taxpayers_due
SELECT rfc FROM fleet_taxpayers WHERE next_due IS NOT NULL AND next_due <= :now ORDER BY next_due;

-- name: next_due
-- The earliest moment the taxpayer has something to do ('' = now), or NULL: nothing to do.
SELECT min(due) AS due FROM (
    SELECT coalesce(not_before, '') AS due FROM fleet_periods
    WHERE rfc = :rfc AND status IN ('planned', 'submitting', 'unconfirmed')
      AND attempts < :max_attempts
    UNION ALL
    SELECT coalesce(next_check, '') FROM fleet_requests
    WHERE rfc = :rfc AND status = 'accepted' AND errors < :max_errors
    UNION ALL
    SELECT coalesce(not_before, '') FROM fleet_packages
    WHERE rfc = :rfc AND status IN ('pending', 'downloading')
) AS due_times;

-- periods -----------------------------------------------------------------------------------

-- name: plan_period
INSERT INTO fleet_periods (key, rfc, direction, kind, period_start, period_end, parent, updated)
SELECT :key, :rfc, :direction, :kind, :period_start, :period_end, :parent, :now
WHERE EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
ON CONFLICT (key) DO NOTHING;

-- name: periods_of
SELECT * FROM fleet_periods WHERE rfc = :rfc ORDER BY period_start, direction, kind, key;

-- name: periods_to_submit
SELECT * FROM fleet_periods
WHERE rfc = :rfc AND status IN ('planned', 'submitting', 'unconfirmed')
ORDER BY period_start, direction, kind, key;

-- name: period_submitting
UPDATE fleet_periods SET status = 'submitting', variant = :variant, attempts = attempts + 1,
                         updated = :now
WHERE key = :key
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: period_answered
-- After a Solicitud (or the discovery that another worker sent it): where the period stands.
UPDATE fleet_periods SET status = :status, variant = :variant, id_solicitud = :id_solicitud,
                         codigo = :codigo, not_before = :not_before, last_error = :last_error,
                         updated = :now
WHERE key = :key
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: period_ended
UPDATE fleet_periods SET status = :status, codigo = :codigo, numero_cfdis = :numero_cfdis,
                         last_error = :last_error, updated = :now
WHERE key = :key
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: period_replan
-- Ask again (a rolling window's recent past, expired packages): the next variant, planned.
UPDATE fleet_periods SET status = 'planned', variant = variant + 1, attempts = 0,
                         not_before = NULL, id_solicitud = NULL, updated = :now
WHERE key = :key AND status IN ('finished', 'empty', 'expired')
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- attempts (append-only) --------------------------------------------------------------------

-- name: insert_attempt
INSERT INTO fleet_attempts (rfc, parameters, variant, period_key, sent_start, sent_end, fence,
                            worker, created)
SELECT :rfc, :parameters, :variant, :period_key, :sent_start, :sent_end, :fence, :worker, :now
WHERE EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
ON CONFLICT (rfc, parameters, variant) DO NOTHING
RETURNING id;

-- name: attempt
SELECT * FROM fleet_attempts WHERE rfc = :rfc AND parameters = :parameters
                               AND variant = :variant;

-- name: attempts_of
SELECT * FROM fleet_attempts WHERE rfc = :rfc ORDER BY id;

-- name: all_attempts
SELECT * FROM fleet_attempts ORDER BY id;

-- requests ----------------------------------------------------------------------------------

-- name: record_request
-- Not fenced: an IdSolicitud SAT gave is recorded whoever asked, however late.
INSERT INTO fleet_requests (id_solicitud, attempt_id, rfc, period_key, next_check, updated)
VALUES (:id_solicitud, :attempt_id, :rfc, :period_key, :next_check, :now)
ON CONFLICT (id_solicitud) DO NOTHING;

-- name: request_of_attempt
SELECT * FROM fleet_requests WHERE attempt_id = :attempt_id;

-- name: requests_to_check
SELECT * FROM fleet_requests WHERE rfc = :rfc AND status = 'accepted'
ORDER BY next_check, id_solicitud;

-- name: request_checked
UPDATE fleet_requests SET checks = :checks, errors = :errors, next_check = :next_check,
                          last_error = :last_error, updated = :now
WHERE id_solicitud = :id_solicitud
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: request_ended
UPDATE fleet_requests SET status = :status, numero_cfdis = :numero_cfdis,
                          last_error = :last_error, next_check = NULL, updated = :now
WHERE id_solicitud = :id_solicitud AND status = 'accepted'
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- packages ----------------------------------------------------------------------------------

-- name: add_package
INSERT INTO fleet_packages (id_paquete, rfc, period_key, id_solicitud, path, updated)
SELECT :id_paquete, :rfc, :period_key, :id_solicitud, :path, :now
WHERE EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
ON CONFLICT (id_paquete) DO NOTHING;

-- name: packages_to_download
SELECT * FROM fleet_packages WHERE rfc = :rfc AND status IN ('pending', 'downloading')
ORDER BY id_paquete;

-- name: packages_of
SELECT * FROM fleet_packages WHERE rfc = :rfc ORDER BY id_paquete;

-- name: all_packages
SELECT * FROM fleet_packages ORDER BY id_paquete;

-- name: start_download
-- Committed before each Descargar: SAT serves a package twice, never a third time.
UPDATE fleet_packages SET downloads_used = downloads_used + 1, status = 'downloading',
                          updated = :now
WHERE id_paquete = :id_paquete AND downloads_used < 2 AND status IN ('pending', 'downloading')
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
RETURNING downloads_used;

-- name: package_downloaded
UPDATE fleet_packages SET status = 'downloaded', size = :size, sha256 = :sha256,
                          last_error = NULL, updated = :now
WHERE id_paquete = :id_paquete
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: package_not_downloaded
UPDATE fleet_packages SET status = :status, errors = errors + 1, not_before = :not_before,
                          last_error = :last_error, updated = :now
WHERE id_paquete = :id_paquete
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- status ------------------------------------------------------------------------------------

-- name: status
SELECT t.rfc, t.holder, t.held_since, t.next_due, t.last_error,
       (SELECT count(*) FROM fleet_periods p WHERE p.rfc = t.rfc
          AND p.status IN ('planned', 'submitting', 'unconfirmed', 'accepted')) AS periods_open,
       (SELECT count(*) FROM fleet_periods p WHERE p.rfc = t.rfc
          AND p.status IN ('finished', 'empty')) AS periods_done,
       (SELECT count(*) FROM fleet_periods p WHERE p.rfc = t.rfc
          AND p.status IN ('failed', 'expired')) AS periods_failed,
       (SELECT count(*) FROM fleet_requests r WHERE r.rfc = t.rfc
          AND r.status = 'accepted') AS requests_open,
       (SELECT count(*) FROM fleet_requests r WHERE r.rfc = t.rfc
          AND r.status <> 'accepted') AS requests_finished,
       (SELECT count(*) FROM fleet_packages k WHERE k.rfc = t.rfc) AS packages,
       (SELECT count(*) FROM fleet_packages k WHERE k.rfc = t.rfc
          AND k.status = 'downloaded') AS packages_downloaded,
       (SELECT coalesce(sum(k.size), 0) FROM fleet_packages k WHERE k.rfc = t.rfc
          AND k.status = 'downloaded') AS bytes,
       (SELECT coalesce(sum(p.numero_cfdis), 0) FROM fleet_periods p WHERE p.rfc = t.rfc
          AND p.status = 'finished') AS documents,
       (SELECT min(r.next_check) FROM fleet_requests r WHERE r.rfc = t.rfc
          AND r.status = 'accepted') AS next_check
FROM fleet_taxpayers t
ORDER BY t.rfc;

-- import-state (an existing per-folder sync state, nothing sent) --------------------------------

-- name: import_period
INSERT INTO fleet_periods (key, rfc, direction, kind, period_start, period_end, parent, status,
                           variant, id_solicitud, codigo, numero_cfdis, last_error, updated)
SELECT :key, :rfc, :direction, :kind, :period_start, :period_end, :parent, :status, :variant,
       :id_solicitud, :codigo, :numero_cfdis, :last_error, :now
WHERE EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
ON CONFLICT (key) DO NOTHING;

-- name: import_request
UPDATE fleet_requests SET status = :status, checks = :checks, next_check = :next_check,
                          numero_cfdis = :numero_cfdis, updated = :now
WHERE id_solicitud = :id_solicitud
  AND EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence);

-- name: import_package
INSERT INTO fleet_packages (id_paquete, rfc, period_key, id_solicitud, status, downloads_used,
                            path, size, sha256, last_error, updated)
SELECT :id_paquete, :rfc, :period_key, :id_solicitud, :status, :downloads_used, :path, :size,
       :sha256, :last_error, :now
WHERE EXISTS (SELECT 1 FROM fleet_taxpayers f WHERE f.rfc = :rfc AND f.fence = :fence)
ON CONFLICT (id_paquete) DO NOTHING;
