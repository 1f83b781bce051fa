-- Triggers that keep derived state and the audit, and the RLS policies.
-- The triggers are ENABLE ALWAYS: session_replication_role = replica does
-- not silence them.

-- After any change of enrollments: audit flag changes (a reason is
-- required), recompute the effective state of every person touched, and
-- audit changes of protection (a reason is required to lower it).  An
-- acting function: it records the role running the statement.
CREATE FUNCTION dvflag.enrollment_changed()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_enrollment_changed'
  LANGUAGE C SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

CREATE TRIGGER enrollment_inserted AFTER INSERT ON dvflag.enrollment
  REFERENCING NEW TABLE AS dvflag_new
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();
CREATE TRIGGER enrollment_updated AFTER UPDATE ON dvflag.enrollment
  REFERENCING OLD TABLE AS dvflag_old NEW TABLE AS dvflag_new
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();
CREATE TRIGGER enrollment_deleted AFTER DELETE ON dvflag.enrollment
  REFERENCING OLD TABLE AS dvflag_old
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();

-- Refuse what would bypass the row triggers above or the audit.
CREATE FUNCTION dvflag.refuse_change()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_refuse_change'
  LANGUAGE C SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

CREATE TRIGGER enrollment_no_truncate BEFORE TRUNCATE ON dvflag.enrollment
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
-- Every person with an enrollment has a row in dvflag.person: the INSERT
-- trigger relies on it to derive a new person's state from the inserted
-- rows alone.  A row may go only when no enrollment of the person is left
-- and it keeps no ND of a purged enrollment.
CREATE FUNCTION dvflag.person_guard()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_person_guard'
  LANGUAGE C SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER person_no_delete BEFORE DELETE ON dvflag.person
  FOR EACH ROW EXECUTE FUNCTION dvflag.person_guard();
CREATE TRIGGER person_no_truncate BEFORE TRUNCATE ON dvflag.person
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.person_guard();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON dvflag.audit
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON dvflag.audit
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();

ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_inserted;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_updated;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_deleted;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_no_truncate;
ALTER TABLE dvflag.person ENABLE ALWAYS TRIGGER person_no_delete;
ALTER TABLE dvflag.person ENABLE ALWAYS TRIGGER person_no_truncate;
ALTER TABLE dvflag.audit ENABLE ALWAYS TRIGGER audit_append_only;
ALTER TABLE dvflag.audit ENABLE ALWAYS TRIGGER audit_no_truncate;

-- Insurer staff: their mapped insurers' enrollments, nothing else.  The
-- sub-select makes the mapping an InitPlan, read once per statement.
CREATE POLICY enrollment_staff ON dvflag.enrollment FOR ALL TO dvflag_insurer
  USING (insurer_no OPERATOR(pg_catalog.=) ANY ((SELECT dvflag.staff_insurers())::pg_catalog.text[]))
  WITH CHECK (insurer_no OPERATOR(pg_catalog.=) ANY ((SELECT dvflag.staff_insurers())::pg_catalog.text[]));
CREATE POLICY enrollment_admin ON dvflag.enrollment FOR ALL TO dvflag_admin
  USING (true) WITH CHECK (true);
CREATE POLICY insurer_admin ON dvflag.insurer FOR ALL TO dvflag_admin
  USING (true) WITH CHECK (true);

-- The audit, read by the auditor and admin.  The other tables (person, card,
-- proxy, disaster, insurer_staff) have no policy: only dvflag's functions
-- reach them.
CREATE POLICY audit_readers ON dvflag.audit FOR SELECT TO dvflag_admin, dvflag_auditor USING (true);
