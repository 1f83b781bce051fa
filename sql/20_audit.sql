-- The audit trail (RULES.md §3, "every ... is audited"): dvflag.audit is
-- append-only, read by the auditor and admin.  What goes into it, and into
-- the server log for reads that cannot leave a row, is written by C
-- (src/audit.c); the format of the log line is in the README.

CREATE TABLE dvflag.audit (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor  text NOT NULL,
  client text,
  action text NOT NULL,
  target text,
  detail jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE dvflag.audit IS 'append-only audit: flag changes, card registrations and refusals, card stops, proxy changes, disaster searches, information provision';
COMMENT ON COLUMN dvflag.audit.id IS 'identity, in insertion order (order events by at: a queued read''s row is inserted later)';
COMMENT ON COLUMN dvflag.audit.at IS 'when the event happened';
COMMENT ON COLUMN dvflag.audit.actor IS 'the login role (session user)';
COMMENT ON COLUMN dvflag.audit.client IS 'the application''s own identity of the operator (setting dvflag.client)';
COMMENT ON COLUMN dvflag.audit.action IS 'the kind of event: flag_change, protection_change, card_register_refused, disaster_search, provision_completed ...';
COMMENT ON COLUMN dvflag.audit.target IS 'what the event is about: an insurance card (insurer/symbol/number/branch), a card serial, a link_no; or NULL';
COMMENT ON COLUMN dvflag.audit.detail IS 'the event''s particulars: its event id, old and new values, reason, criteria, result count ...';
CREATE INDEX audit_at ON dvflag.audit (at);
ALTER TABLE dvflag.audit ENABLE ROW LEVEL SECURITY;

-- Nobody may UPDATE, DELETE or TRUNCATE it, not even its owner, except the
-- retention purge (src/purge.c).
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON dvflag.audit
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON dvflag.audit
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
ALTER TABLE dvflag.audit ENABLE ALWAYS TRIGGER audit_append_only;
ALTER TABLE dvflag.audit ENABLE ALWAYS TRIGGER audit_no_truncate;

CREATE POLICY audit_readers ON dvflag.audit FOR SELECT TO dvflag_admin, dvflag_auditor USING (true);

-- The rows of audited reads (a disaster search that answered) are queued in
-- shared memory and inserted by the audit writer in batches (src/durable.c),
-- so that the read writes nothing itself; their log lines come first.
-- audit_flush() waits (at most 10 s) until this database's queued rows are
-- in the table; audit_rows_lost() counts the queued rows the writer failed
-- to insert since the server started (check() reports them).
CREATE FUNCTION dvflag.audit_flush()
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_audit_flush'
  LANGUAGE C VOLATILE
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.audit_flush() IS
  'waits (at most 10 s) until this database''s queued audit rows are in dvflag.audit; false if they are not yet; admin, auditor';
CREATE FUNCTION dvflag.audit_rows_lost()
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_audit_rows_lost'
  LANGUAGE C VOLATILE
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.audit_rows_lost() IS
  'queued audit rows the writer failed to insert since the server started (their events are in the server log); for check(), no audience role';

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
GRANT SELECT ON dvflag.audit TO dvflag_auditor, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.audit_flush() TO dvflag_auditor, dvflag_admin;

SELECT pg_catalog.pg_extension_config_dump('dvflag.audit', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.audit_id_seq', '');
