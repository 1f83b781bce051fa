-- dvflag 1.2 -> 1.3.  Also run by CREATE EXTENSION dvflag VERSION '1.2'
-- followed by an update; a fresh 1.3 is built from sql/ and must equal the
-- result (test/sh/upgrade.t).
\echo Use "ALTER EXTENSION dvflag UPDATE TO '1.3'" to load this file. \quit

-- The audience roles are named once, in C, for the rights checks, the role
-- creation and check().
CREATE FUNCTION dvflag.audience_roles()
  RETURNS text[]
  AS 'MODULE_PATHNAME', 'dvflag_audience_roles'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION dvflag.audience_roles() FROM PUBLIC;

-- The SB listing's state moves out of the audit's JSON into tables of its
-- own: when each SB was last set, and the refused registrations.  Both are
-- filled from the audit rows that 1.2 kept for them (by the two partial
-- indexes 1.2 built for that), which then go.
CREATE TABLE dvflag.sb_flag_set (
  enrollment_id bigint PRIMARY KEY,
  set_at        timestamptz NOT NULL
);
COMMENT ON TABLE dvflag.sb_flag_set IS 'when the SB of an enrollment was last set (for sb_due_for_clearing)';
CREATE TABLE dvflag.registration_refusal (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL,
  link_no     text NOT NULL,
  card_serial text COLLATE "C" NOT NULL,
  event       text NOT NULL
);
COMMENT ON TABLE dvflag.registration_refusal IS 'initial registrations refused under SB (DV001), the sign of a re-issued card; event is the audit event id';
CREATE INDEX registration_refusal_person ON dvflag.registration_refusal (link_no);
CREATE INDEX registration_refusal_at ON dvflag.registration_refusal (at);
ALTER TABLE dvflag.sb_flag_set          ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.registration_refusal ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.registration_refusal ALTER COLUMN link_no SET STATISTICS 0,
  ALTER COLUMN card_serial SET STATISTICS 0;

INSERT INTO dvflag.sb_flag_set (enrollment_id, set_at)
SELECT e.id, pg_catalog.max(a.at)
  FROM dvflag.enrollment e
  JOIN dvflag.audit a
    ON a.action OPERATOR(pg_catalog.=) 'flag_change'
   AND (a.detail OPERATOR(pg_catalog.->>) 'flag') OPERATOR(pg_catalog.=) 'sb'
   AND (a.detail OPERATOR(pg_catalog.->>) 'new') OPERATOR(pg_catalog.=) 'true'
   AND (a.detail OPERATOR(pg_catalog.->>) 'enrollment_id') OPERATOR(pg_catalog.=) e.id::pg_catalog.text
 WHERE e.sb
 GROUP BY e.id;
INSERT INTO dvflag.registration_refusal (at, link_no, card_serial, event)
SELECT a.at, a.detail OPERATOR(pg_catalog.->>) 'link_no', a.detail OPERATOR(pg_catalog.->>) 'card_serial',
       a.detail OPERATOR(pg_catalog.->>) 'event'
  FROM dvflag.audit a
 WHERE a.action OPERATOR(pg_catalog.=) 'card_register_refused'
   AND a.detail OPERATOR(pg_catalog.?) 'card_serial' AND a.detail OPERATOR(pg_catalog.?) 'link_no'
 ORDER BY a.id;
DROP INDEX dvflag.audit_sb_set;
DROP INDEX dvflag.audit_register_refused;
REVOKE ALL ON dvflag.sb_flag_set, dvflag.registration_refusal FROM PUBLIC;
REVOKE ALL ON SEQUENCE dvflag.registration_refusal_id_seq FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('dvflag.sb_flag_set', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.registration_refusal', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.registration_refusal_id_seq', '');

-- A move carries SB over (RULES.md §2, §5): the person remembers the
-- enrollment whose SB it carries, and the trigger's C symbol is the one of
-- that rule (the 1.2 symbol keeps 1.2's rule, for a database not updated).
ALTER TABLE dvflag.person ADD COLUMN sb_carried_from bigint, ADD COLUMN sb_carried_since timestamptz;
COMMENT ON COLUMN dvflag.person.sb_carried_from IS 'the enrollment whose SB a move carried over onto latest(P) (RULES.md §5), until its insurer decides';
CREATE INDEX person_sb_carried ON dvflag.person (latest_id) WHERE sb_carried_from IS NOT NULL;
-- The person's key includes the flags, which the read paths then take from
-- the index alone (an index-only read): rebuilt here, under an exclusive
-- lock of dvflag.person for the time it takes (seconds per million persons).
ALTER TABLE dvflag.person DROP CONSTRAINT person_pkey,
  ADD CONSTRAINT person_pkey PRIMARY KEY (link_no) INCLUDE (nd_eff, sb_eff);
CREATE OR REPLACE FUNCTION dvflag.enrollment_changed()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_enrollment_changed_1_3'
  LANGUAGE C SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
-- protected() is audited from 1.3 on: it writes
ALTER FUNCTION dvflag.protected(text) VOLATILE;
CREATE FUNCTION dvflag.sb_carried()
  RETURNS TABLE (insurer_no text, symbol text, number text, branch text, link_no text,
                 since timestamptz)
  AS 'MODULE_PATHNAME', 'dvflag_sb_carried'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;
CREATE FUNCTION dvflag.decide_carried_sb(insurer_no text, symbol text, number text, branch text,
                                         keep boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_decide_carried_sb'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION dvflag.sb_carried(), dvflag.decide_carried_sb(text, text, text, text, boolean, text)
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.sb_carried(),
                          dvflag.decide_carried_sb(text, text, text, text, boolean, text)
  TO dvflag_insurer, dvflag_admin;

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
CREATE FUNCTION dvflag.audit_rows_lost()
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_audit_rows_lost'
  LANGUAGE C VOLATILE
  SET search_path = pg_catalog, pg_temp;
REVOKE ALL ON FUNCTION dvflag.audit_flush(), dvflag.audit_rows_lost() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.audit_flush() TO dvflag_auditor, dvflag_admin;

-- A staff COPY into dvflag.enrollment and purge() call this once a row, in
-- their own statements: it counts the row (a NOTICE every
-- dvflag.progress_rows rows; a COPY's pg_stat_progress_copy), and keeps its
-- place in a COPY's input, which the COPY's errors name (src/progress.c).
-- Outside them it does nothing.  C that resolves no name, called for every
-- row: no setting of its own.  The COPY's move runs as the caller.
CREATE FUNCTION dvflag.at_row(ordinal bigint)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_at_row'
  LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dvflag.at_row(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.at_row(bigint) TO dvflag_insurer, dvflag_admin;

-- check() in one piece again (1.2 wrapped 1.1's, renamed check_catalog()),
-- and it checks the derived state too.
-- The persons whose stored state is not what the rules in C give for their
-- enrollments (person_state_drift), and person rows with nothing left
-- (person_without_enrollment); one pass over dvflag.person and its
-- enrollments.  Only check() calls it.
CREATE FUNCTION dvflag.person_drift()
  RETURNS TABLE (problem text, object text, detail text)
  AS 'MODULE_PATHNAME', 'dvflag_person_drift'
  LANGUAGE C STABLE SECURITY INVOKER ROWS 1
  SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION dvflag.person_drift() FROM PUBLIC;

CREATE OR REPLACE FUNCTION dvflag.check()
  RETURNS TABLE (problem text, object text, detail text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $check$
WITH ext AS (
  SELECT e.oid, e.extowner FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'dvflag'
), members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
   WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
     AND d.refobjid OPERATOR(pg_catalog.=) ext.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
), audience(name) AS (
  SELECT pg_catalog.unnest(dvflag.audience_roles())
), name_free(name) AS (
  -- C that resolves no name: the immutable helpers and the read paths
  VALUES ('fold'), ('insurer_no_valid'), ('is_blank'), ('portal_qualifications'), ('portal_self_info'),
         ('clinic_by_card'), ('clinic_by_insurance_card'), ('portal_exchange_history'), ('disaster_search'),
         ('insurer_changed'), ('is_staff_of'), ('is_staff_of_enrollment'), ('portal_health'), ('clinic_health_by_card'), ('disaster_health'),
         ('at_row')
), objects AS (
  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid,
         pg_catalog.format('%s %s', CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, c.oid::pg_catalog.regclass) AS name,
         COALESCE(c.relacl, pg_catalog.acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)) AS acl,
         CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END AS kind, c.relowner AS owner
    FROM pg_catalog.pg_class c JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                               AND m.objid OPERATOR(pg_catalog.=) c.oid
  UNION ALL
  SELECT 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure),
         COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner)), 'f', p.proowner
    FROM pg_catalog.pg_proc p JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                              AND m.objid OPERATOR(pg_catalog.=) p.oid
  UNION ALL
  SELECT 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid, pg_catalog.format('type %s', t.oid::pg_catalog.regtype),
         COALESCE(t.typacl, pg_catalog.acldefault('T', t.typowner)), 'T', t.typowner
    FROM pg_catalog.pg_type t JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass
                                              AND m.objid OPERATOR(pg_catalog.=) t.oid
), granted AS (
  SELECT o.name, a.grantee, a.privilege_type FROM objects o, pg_catalog.aclexplode(o.acl) a
), initial AS (
  SELECT o.name, a.grantee, a.privilege_type
    FROM objects o
    LEFT JOIN pg_catalog.pg_init_privs i ON i.classoid OPERATOR(pg_catalog.=) o.classid
          AND i.objoid OPERATOR(pg_catalog.=) o.objid AND i.objsubid OPERATOR(pg_catalog.=) 0,
         pg_catalog.aclexplode(COALESCE(i.initprivs, pg_catalog.acldefault(o.kind, o.owner))) a
), logins AS (
  -- every login role, with the audience roles it is a member of, directly or not
  WITH RECURSIVE m(login, role) AS (
    SELECT r.oid, r.oid FROM pg_catalog.pg_roles r WHERE r.rolcanlogin
    UNION
    SELECT m.login, am.roleid FROM m JOIN pg_catalog.pg_auth_members am ON am.member OPERATOR(pg_catalog.=) m.role
  )
  SELECT m.login, pg_catalog.array_agg(r.rolname::pg_catalog.text ORDER BY r.rolname) AS audiences
    FROM m JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.role
   WHERE r.rolname::pg_catalog.text IN (SELECT name FROM audience)
   GROUP BY m.login
)
SELECT 'privilege_granted', g.name,
       pg_catalog.format('%s holds %s, which the extension did not grant',
                         CASE g.grantee WHEN 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END,
                         g.privilege_type)
  FROM (SELECT * FROM granted EXCEPT SELECT * FROM initial) g
UNION ALL
SELECT 'privilege_revoked', g.name,
       pg_catalog.format('%s no longer holds %s',
                         CASE g.grantee WHEN 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END,
                         g.privilege_type)
  FROM (SELECT * FROM initial EXCEPT SELECT * FROM granted) g
UNION ALL
SELECT 'owner_changed', o.name, pg_catalog.format('owned by %s, not by the extension''s owner %s',
                                                  o.owner::pg_catalog.regrole, ext.extowner::pg_catalog.regrole)
  FROM objects o, ext WHERE o.owner OPERATOR(pg_catalog.<>) ext.extowner
UNION ALL
SELECT 'search_path_changed', pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure),
       pg_catalog.format('runs with %s instead of search_path=pg_catalog, pg_temp',
                         COALESCE(pg_catalog.array_to_string(p.proconfig, ', '), 'the caller''s settings'))
  FROM pg_catalog.pg_proc p JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                            AND m.objid OPERATOR(pg_catalog.=) p.oid
 WHERE p.proname::pg_catalog.text NOT IN (SELECT name FROM name_free)
   AND NOT COALESCE(p.proconfig OPERATOR(pg_catalog.@>) ARRAY['search_path=pg_catalog, pg_temp'], false)
UNION ALL
-- the C functions that resolve no name run as their caller with no setting
-- of their own: given definer rights, they would read as the owner with
-- whatever search_path the caller set
SELECT 'name_free_function_changed', pg_catalog.format('function %s', p.oid::pg_catalog.regprocedure),
       pg_catalog.concat_ws(', ', CASE WHEN p.prosecdef THEN 'has definer rights' END,
                            CASE WHEN p.proconfig IS NOT NULL THEN 'has settings '
                                 OPERATOR(pg_catalog.||) pg_catalog.array_to_string(p.proconfig, ', ') END)
  FROM pg_catalog.pg_proc p JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                                            AND m.objid OPERATOR(pg_catalog.=) p.oid
 WHERE p.proname::pg_catalog.text IN (SELECT name FROM name_free) AND (p.prosecdef OR p.proconfig IS NOT NULL)
UNION ALL
SELECT 'row_security_off', pg_catalog.format('table %s', c.oid::pg_catalog.regclass),
       'row-level security is disabled: its policies no longer apply'
  FROM pg_catalog.pg_class c JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                             AND m.objid OPERATOR(pg_catalog.=) c.oid
 WHERE c.relkind OPERATOR(pg_catalog.=) 'r' AND NOT c.relrowsecurity
UNION ALL
SELECT 'trigger_not_always', pg_catalog.format('trigger %s on %s', t.tgname, t.tgrelid::pg_catalog.regclass),
       CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'fires only in replica sessions'
                        ELSE 'enabled as an ordinary trigger: a replica session skips it (dvflag.rearm_triggers())' END
  FROM pg_catalog.pg_trigger t JOIN members m ON m.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
                                               AND m.objid OPERATOR(pg_catalog.=) t.tgrelid
 WHERE NOT t.tgisinternal AND t.tgenabled OPERATOR(pg_catalog.<>) 'A'
UNION ALL
SELECT 'login_in_two_audiences', pg_catalog.format('role %s', l.login::pg_catalog.regrole),
       pg_catalog.format('member of %s: one login should serve one audience',
                         pg_catalog.array_to_string(l.audiences, ', '))
  FROM logins l WHERE pg_catalog.cardinality(l.audiences) OPERATOR(pg_catalog.>) 1
UNION ALL
SELECT 'audience_role_too_strong', pg_catalog.format('role %s', r.rolname),
       pg_catalog.concat_ws(', ', CASE WHEN r.rolcanlogin THEN 'can log in' END,
                            CASE WHEN r.rolsuper THEN 'is a superuser' END,
                            CASE WHEN r.rolbypassrls THEN 'bypasses row-level security' END,
                            CASE WHEN r.rolcreaterole THEN 'can create roles' END)
  FROM pg_catalog.pg_roles r
 WHERE r.rolname::pg_catalog.text IN (SELECT name FROM audience)
   AND (r.rolcanlogin OR r.rolsuper OR r.rolbypassrls OR r.rolcreaterole)
UNION ALL
SELECT 'staff_mapping_dangling', pg_catalog.format('insurer_staff %s', s.staff::pg_catalog.oid),
       pg_catalog.format('maps a dropped role to insurer %s', s.insurer_no)
  FROM dvflag.insurer_staff s
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) s.staff::pg_catalog.oid)
UNION ALL
SELECT 'log_suppressed', 'setting log_min_messages',
       pg_catalog.format('%s drops the LOG lines that record rolled-back and refused reads; audited reads are refused',
                         pg_catalog.current_setting('log_min_messages'))
 WHERE pg_catalog.current_setting('log_min_messages') IN ('fatal', 'panic')
UNION ALL
SELECT 'not_preloaded', 'setting shared_preload_libraries',
       'dvflag is not in shared_preload_libraries: the audit writer has no worker slot of its own, and '
       OPERATOR(pg_catalog.||) CASE WHEN pg_catalog.current_setting('session_preload_libraries') OPERATOR(pg_catalog.~) '(^|[ ,"])dvflag($|[ ,"])'
            THEN 'COPY into dvflag.enrollment and dvflag.health_record by insurer staff works as this database loads dvflag per session (session_preload_libraries)'
            ELSE 'COPY into dvflag.enrollment and dvflag.health_record by insurer staff fails in a session that has not loaded dvflag' END
 WHERE NOT 'dvflag' OPERATOR(pg_catalog.=) ANY (pg_catalog.string_to_array(
             pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ','))
UNION ALL
-- the derived state: persons as the rules give them, every enrollment's
-- person there, every trigger that keeps them there
SELECT d.problem, d.object, d.detail FROM dvflag.person_drift() d
UNION ALL
SELECT 'enrollment_without_person', pg_catalog.format('person %s', e.link_no),
       'enrollments whose person has no row in dvflag.person: their protection is not derived'
  FROM (SELECT DISTINCT e.link_no FROM dvflag.enrollment e
         WHERE NOT EXISTS (SELECT FROM dvflag.person p
                            WHERE p.link_no OPERATOR(pg_catalog.=) e.link_no COLLATE pg_catalog."C")) e
UNION ALL
SELECT 'trigger_missing', pg_catalog.format('trigger %s on dvflag.%s', t.tgname, t.relname),
       'dropped: what it guards is no longer kept'
  FROM (VALUES ('enrollment', 'enrollment_inserted'), ('enrollment', 'enrollment_updated'),
               ('enrollment', 'enrollment_deleted'), ('enrollment', 'enrollment_no_truncate'),
               ('person', 'person_no_delete'), ('person', 'person_no_truncate'),
               ('insurer', 'insurer_changed'),
               ('audit', 'audit_append_only'), ('audit', 'audit_no_truncate'),
               ('provision_record', 'provision_record_append_only'),
               ('provision_record', 'provision_record_no_truncate'),
               ('provision_mark', 'provision_mark_append_only'),
               ('provision_mark', 'provision_mark_no_truncate')) AS t(relname, tgname)
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) g.tgrelid
                    WHERE c.relnamespace OPERATOR(pg_catalog.=) 'dvflag'::pg_catalog.regnamespace
                      AND c.relname OPERATOR(pg_catalog.=) t.relname AND g.tgname OPERATOR(pg_catalog.=) t.tgname)
UNION ALL
SELECT 'audit_rows_lost', 'audit writer',
       pg_catalog.format('%s queued audit rows were not written since the server started; their events are in the server log (tools/audit-log)',
                         dvflag.audit_rows_lost())
 WHERE dvflag.audit_rows_lost() OPERATOR(pg_catalog.>) 0
UNION ALL
-- the audit writer connects as the bootstrap superuser, which must keep
-- LOGIN, or every refusal's row is lost (with a WARNING; its log line stays)
SELECT 'audit_writer_cannot_log_in', pg_catalog.format('role %s', r.rolname),
       'the bootstrap superuser cannot log in: the audit writer cannot keep the row of a refused registration'
  FROM pg_catalog.pg_roles r
 WHERE r.oid OPERATOR(pg_catalog.=) 10 AND NOT r.rolcanlogin
ORDER BY 1, 2, 3;
$check$;
DROP FUNCTION dvflag.check_catalog();

-- The C read paths resolve no name and read the heap and the indexes
-- directly: they need neither definer rights nor a pinned search_path, and
-- the function-call wrapper those cost (about 5 µs a call) goes.
ALTER FUNCTION dvflag.portal_qualifications(text, text) SECURITY INVOKER RESET ALL;
ALTER FUNCTION dvflag.portal_self_info(text, text) SECURITY INVOKER RESET ALL;
ALTER FUNCTION dvflag.clinic_by_card(text) SECURITY INVOKER RESET ALL;
ALTER FUNCTION dvflag.clinic_by_insurance_card(text, text, text, text) SECURITY INVOKER RESET ALL;
ALTER FUNCTION dvflag.portal_exchange_history(text, text) SECURITY INVOKER RESET ALL;
ALTER FUNCTION dvflag.disaster_search(date, text, text, text, text, smallint) SECURITY INVOKER RESET ALL;

-- Every backend caches insurers' names (store.c); a change of the table
-- makes them forget.  C that resolves no names: no definer rights.
CREATE FUNCTION dvflag.insurer_changed()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_insurer_changed'
  LANGUAGE C SECURITY INVOKER;
REVOKE ALL ON FUNCTION dvflag.insurer_changed() FROM PUBLIC;
CREATE TRIGGER insurer_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dvflag.insurer
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.insurer_changed();
ALTER TABLE dvflag.insurer ENABLE ALWAYS TRIGGER insurer_changed;

-- The write check of the staff's policy, asked for every row written: the
-- current role's insurers are read once per statement and hashed (an ANY
-- over the array would compare each row with every insurer of the role).
-- C that resolves no names: no definer rights, no settings.
CREATE FUNCTION dvflag.is_staff_of(insurer_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_staff_of'
  LANGUAGE C STABLE STRICT SECURITY INVOKER;
REVOKE ALL ON FUNCTION dvflag.is_staff_of(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.is_staff_of(text) TO dvflag_insurer, dvflag_admin;
ALTER POLICY enrollment_staff ON dvflag.enrollment
  WITH CHECK (dvflag.is_staff_of(insurer_no));

-- ---------------------------------------------------------------------------
-- Health information (RULES.md §3a): the table, its policies, the result type
-- and the three read paths, as sql/80_health.sql defines them.  The table is
-- new and empty: nothing of the existing data is read.
-- ---------------------------------------------------------------------------
-- One record of health information, as the insurer delivered it.  An
-- institution is a place: where a person now gets treated or collects
-- medicine says where they live.  A record goes with its enrollment (a
-- correction, or the retention purge).
CREATE TABLE dvflag.health_record (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  enrollment_id    bigint NOT NULL REFERENCES dvflag.enrollment ON DELETE CASCADE,
  kind             text NOT NULL
    CONSTRAINT health_record_kind CHECK (kind IN ('medication', 'checkup', 'medical_fee')),
  service_date     date NOT NULL
    CONSTRAINT health_record_service_date CHECK (service_date >= '1900-01-01' AND service_date < 'infinity'),
  institution_code text
    CONSTRAINT health_record_institution_code CHECK (NOT dvflag.is_blank(institution_code) AND length(institution_code) <= 20),
  institution_name text
    CONSTRAINT health_record_institution_name CHECK (NOT dvflag.is_blank(institution_name) AND length(institution_name) <= 200),
  content          jsonb NOT NULL
    CONSTRAINT health_record_content_object CHECK (jsonb_typeof(content) = 'object')
);
COMMENT ON TABLE dvflag.health_record IS '薬剤情報, 特定健診情報等, 医療費通知情報: health information of one enrollment, shown under the same flags (RULES.md §3a)';
COMMENT ON COLUMN dvflag.health_record.kind IS 'medication (薬剤情報), checkup (特定健診情報等) or medical_fee (医療費通知情報)';
COMMENT ON COLUMN dvflag.health_record.service_date IS 'the date of care, dispensing or checkup, or the first day of the month of a medical-fee notice';
COMMENT ON COLUMN dvflag.health_record.institution_code IS 'the treating, dispensing or checkup institution (医療機関コード): off the portal, shown only while the address would be';
COMMENT ON COLUMN dvflag.health_record.institution_name IS 'the institution''s name: shown on the portal only';
COMMENT ON COLUMN dvflag.health_record.content IS 'the record as delivered (drug, dose, results, cost ...), a JSON object';
-- A person's records, enrollment by enrollment, in the order of their
-- dates; the foreign key's cascade finds an enrollment's records by it.
CREATE INDEX health_record_enrollment ON dvflag.health_record (enrollment_id, service_date);

-- No planner statistics of personal data (see dvflag.enrollment): staff may
-- EXPLAIN queries on this table, and most-common values of enrollment_id or
-- of the institutions would tell them about other insurers' people.
ALTER TABLE dvflag.health_record
  ALTER COLUMN enrollment_id SET STATISTICS 0, ALTER COLUMN service_date SET STATISTICS 0,
  ALTER COLUMN institution_code SET STATISTICS 0, ALTER COLUMN institution_name SET STATISTICS 0,
  ALTER COLUMN content SET STATISTICS 0;

ALTER TABLE dvflag.health_record ENABLE ROW LEVEL SECURITY;
-- The check of the staff's policy, asked for every row read or written: is
-- the record's enrollment one of the current role's insurers'?  The
-- enrollment by its primary key (not under its own policy), the role's
-- insurers hashed per statement (an ANY over the array of every insurer a
-- role is mapped to, per row, made a staff COPY several times slower).
-- C that resolves no names: no definer rights, no settings.
CREATE FUNCTION dvflag.is_staff_of_enrollment(enrollment_id bigint)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_staff_of_enrollment'
  LANGUAGE C STABLE STRICT SECURITY INVOKER;
COMMENT ON FUNCTION dvflag.is_staff_of_enrollment(bigint) IS
  'is this enrollment one of the current role''s insurers''? false for another insurer''s and for none alike; the check of the staff''s row-level security on dvflag.health_record; insurer staff, admin';
REVOKE ALL ON FUNCTION dvflag.is_staff_of_enrollment(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.is_staff_of_enrollment(bigint) TO dvflag_insurer, dvflag_admin;

-- Insurer staff: the records of their mapped insurers' enrollments, nothing
-- else.  A record of another insurer's enrollment and one of an enrollment
-- that does not exist are refused alike (42501): staff learn nothing of
-- other insurers' ids.  Admin: all.
CREATE POLICY health_record_staff ON dvflag.health_record FOR ALL TO dvflag_insurer
  USING (dvflag.is_staff_of_enrollment(enrollment_id))
  WITH CHECK (dvflag.is_staff_of_enrollment(enrollment_id));
CREATE POLICY health_record_admin ON dvflag.health_record FOR ALL TO dvflag_admin
  USING (true) WITH CHECK (true);

-- The same columns on every health path, so no path says more by its
-- shape; a hidden column is NULL, a hidden record absent.
CREATE TYPE dvflag.health_info AS (
  insurer_no       text,
  symbol           text,
  number           text,
  branch           text,
  kind             text,
  service_date     date,
  institution_code text,
  institution_name text,
  content          jsonb
);
COMMENT ON TYPE dvflag.health_info IS 'a health record as the read paths show it, with the insurance card of its enrollment';

-- §3a row 1: every record of P, by the card (or for the principal of a
-- proxy); none while SB_eff(P).  kind filters.
CREATE FUNCTION dvflag.portal_health(card_serial text, principal_link_no text DEFAULT NULL,
                                     kind text DEFAULT NULL)
  RETURNS SETOF dvflag.health_info
  AS 'MODULE_PATHNAME', 'dvflag_portal_health'
  LANGUAGE C STABLE ROWS 10;

-- §3a row 2: P's medication and checkups at a clinic or pharmacy, with the
-- patient's consent (22023 without); none while SB_eff(P); no institution
-- name; the code only when not hide_address(P).  Audited.
CREATE FUNCTION dvflag.clinic_health_by_card(card_serial text, consent boolean, kind text DEFAULT NULL)
  RETURNS SETOF dvflag.health_info
  AS 'MODULE_PATHNAME', 'dvflag_clinic_health_by_card'
  LANGUAGE C VOLATILE ROWS 10;

-- §3a row 4: while a disaster is declared (DV002 otherwise), P's medication
-- and checkups by the exact insurance card of one of P's enrollments, with
-- consent; shown also while SB_eff(P), institutions as on the clinic path.
-- Audited.
CREATE FUNCTION dvflag.disaster_health(insurer_no text, symbol text, number text, branch text,
                                       consent boolean, kind text DEFAULT NULL)
  RETURNS SETOF dvflag.health_info
  AS 'MODULE_PATHNAME', 'dvflag_disaster_health'
  LANGUAGE C VOLATILE ROWS 10;

REVOKE ALL ON dvflag.health_record FROM PUBLIC;
REVOKE ALL ON SEQUENCE dvflag.health_record_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION dvflag.portal_health(text, text, text), dvflag.clinic_health_by_card(text, boolean, text),
                       dvflag.disaster_health(text, text, text, text, boolean, text) FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.health_info FROM PUBLIC;
GRANT USAGE ON TYPE dvflag.health_info TO dvflag_portal, dvflag_clinic, dvflag_disaster;
GRANT EXECUTE ON FUNCTION dvflag.portal_health(text, text, text) TO dvflag_portal;
GRANT EXECUTE ON FUNCTION dvflag.clinic_health_by_card(text, boolean, text) TO dvflag_clinic;
GRANT EXECUTE ON FUNCTION dvflag.disaster_health(text, text, text, text, boolean, text) TO dvflag_disaster;
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.health_record TO dvflag_insurer, dvflag_admin;

SELECT pg_catalog.pg_extension_config_dump('dvflag.health_record', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.health_record_id_seq', '');


-- sex is integer on every function that takes it: 1.2's smallint made
-- sex => 2, or an int parameter, fail with 42883 ("function does not
-- exist").  The functions are dropped and created again with their grants;
-- their C symbols carry 1.3 and read an int4, while 1.2's symbols keep
-- reading a smallint for a database not yet updated.  disaster_search is a
-- read path with no definer rights and no settings, like the others.
DROP FUNCTION dvflag.disaster_search(date, text, text, text, text, smallint);
CREATE FUNCTION dvflag.disaster_search(birth_date date, name text DEFAULT NULL,
                                       kana text DEFAULT NULL, address text DEFAULT NULL,
                                       insurer_name text DEFAULT NULL, sex integer DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_disaster_search_1_3'
  LANGUAGE C VOLATILE ROWS 5;
REVOKE ALL ON FUNCTION dvflag.disaster_search(date, text, text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.disaster_search(date, text, text, text, text, integer) TO dvflag_disaster;
DROP FUNCTION dvflag.inquiry_without_my_number(text, date, smallint, text, text, text, daterange, daterange);
CREATE FUNCTION dvflag.inquiry_without_my_number(kana text, birth_date date, sex integer,
                                                 institution text, department text, inquirer text,
                                                 acquired_between daterange DEFAULT NULL,
                                                 lost_between daterange DEFAULT NULL)
  RETURNS TABLE (status text, candidates integer, link_no text, protected boolean,
                 insurer_no text, insurer_name text, symbol text, number text, branch text,
                 acquired_on date, lost_on date, name text, kana text, sex smallint,
                 birth_date date, address text, postcode text)
  AS 'MODULE_PATHNAME', 'dvflag_inquiry_without_my_number_1_3'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 1
  SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION dvflag.inquiry_without_my_number(text, date, integer, text, text, text,
                                                        daterange, daterange) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.inquiry_without_my_number(text, date, integer, text, text, text,
                                                           daterange, daterange)
  TO dvflag_insurer;

-- The declared disasters, the newest first, with their state as this
-- statement sees it: 'scheduled' (it starts later), 'active' (disaster-mode
-- search works), 'ended' (by end_disaster()) or 'expired' (past its ends).
-- For admin, who needs the id that end_disaster() takes.
CREATE FUNCTION dvflag.disasters()
  RETURNS TABLE (id bigint, starts timestamptz, ends timestamptz, note text,
                 declared_at timestamptz, ended_at timestamptz, state text)
  LANGUAGE sql STABLE SECURITY DEFINER ROWS 10
  SET search_path = pg_catalog, pg_temp
AS $$
SELECT d.id, d.starts, d.ends, d.note, d.declared_at, d.ended_at,
       CASE WHEN d.ended_at IS NOT NULL THEN 'ended'
            WHEN pg_catalog.statement_timestamp() OPERATOR(pg_catalog.<) d.starts THEN 'scheduled'
            WHEN pg_catalog.statement_timestamp() OPERATOR(pg_catalog.>=) d.ends THEN 'expired'
            ELSE 'active' END
  FROM dvflag.disaster d
 ORDER BY d.id DESC
$$;
REVOKE ALL ON FUNCTION dvflag.disasters() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.disasters() TO dvflag_admin;

-- What the audit holds, by day (in the caller's time zone), action and
-- outcome, for admin and the auditor: refusals, searches, flag changes
-- (which flag, set or cleared), protection raised or lowered (a lapse),
-- inquiries, provisions.  Never who, whom or what: the outcome is one of a
-- fixed list read from the event (NULL for an action without one, or for a
-- value not of the list).  from_day and to_day (inclusive) bound it through
-- the index on at.  Both may read the audit: it runs as its caller.
CREATE FUNCTION dvflag.audit_summary(from_day date DEFAULT NULL, to_day date DEFAULT NULL)
  RETURNS TABLE (day date, action text, outcome text, events bigint)
  LANGUAGE sql STABLE SECURITY INVOKER ROWS 100
  SET search_path = pg_catalog, pg_temp
AS $$
SELECT a.at::pg_catalog.date, a.action,
       CASE
         WHEN a.action IN ('flag_change', 'item_flag_change') AND (a.detail OPERATOR(pg_catalog.->>) 'flag') IN ('nd', 'sb', 'ar')
           THEN (a.detail OPERATOR(pg_catalog.->>) 'flag') OPERATOR(pg_catalog.||)
                CASE a.detail OPERATOR(pg_catalog.->>) 'new' WHEN 'true' THEN ' set' ELSE ' cleared' END
         WHEN a.action OPERATOR(pg_catalog.=) 'protection_change'
           THEN CASE WHEN (a.detail OPERATOR(pg_catalog.#>>) '{nd_eff,old}', a.detail OPERATOR(pg_catalog.#>>) '{nd_eff,new}')
                          OPERATOR(pg_catalog.=) ('true', 'false')
                       OR (a.detail OPERATOR(pg_catalog.#>>) '{sb_eff,old}', a.detail OPERATOR(pg_catalog.#>>) '{sb_eff,new}')
                          OPERATOR(pg_catalog.=) ('true', 'false')
                     THEN 'lowered' ELSE 'raised' END
         WHEN a.action OPERATOR(pg_catalog.=) 'disaster_search'
              AND (a.detail OPERATOR(pg_catalog.->>) 'outcome') IN ('answered', 'no_disaster', 'too_many')
           THEN a.detail OPERATOR(pg_catalog.->>) 'outcome'
         WHEN a.action OPERATOR(pg_catalog.=) 'inquiry_without_my_number'
              AND (a.detail OPERATOR(pg_catalog.->>) 'status') IN ('match', 'no_match', 'several')
           THEN a.detail OPERATOR(pg_catalog.->>) 'status'
         WHEN a.action OPERATOR(pg_catalog.=) 'provision_completed'
              AND (a.detail OPERATOR(pg_catalog.->>) 'outcome') IN ('provided', 'declined', 'expired', 'no_copy', 'no_agency_code')
           THEN a.detail OPERATOR(pg_catalog.->>) 'outcome'
       END,
       pg_catalog.count(*)
  FROM dvflag.audit a
 WHERE a.at OPERATOR(pg_catalog.>=) COALESCE(from_day::pg_catalog.timestamptz, '-infinity')
   AND a.at OPERATOR(pg_catalog.<) COALESCE((to_day OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamptz, 'infinity')
 GROUP BY 1, 2, 3
 ORDER BY 1, 2, 3
$$;
REVOKE ALL ON FUNCTION dvflag.audit_summary(date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.audit_summary(date, date) TO dvflag_admin, dvflag_auditor;

-- ---------------------------------------------------------------------------
-- The catalog documents itself (1.3): a comment on every function, type,
-- table and column that had none, as sql/ gives them, and on the audience
-- roles.  The objects created above carry theirs already.
-- ---------------------------------------------------------------------------
-- What each audience role is for (\du+), on those that have no comment (an
-- earlier version created them without); a comment set on a role is kept.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT a.rolname, c.note
             FROM pg_catalog.pg_roles a
             JOIN (VALUES
               ('dvflag_admin', 'dvflag audience: administrators: insurers, enrollments and health records, the staff mapping, disasters, check(), purge()'),
               ('dvflag_insurer', 'dvflag audience: insurer staff: their mapped insurers'' enrollments and health records (RLS), flags, cards, proxies, provision'),
               ('dvflag_portal', 'dvflag audience: the patient portal (マイナポータル): the portal read paths, card registration, proxies'),
               ('dvflag_clinic', 'dvflag audience: clinics and pharmacies: qualification and health information by My Number card or insurance card'),
               ('dvflag_disaster', 'dvflag audience: clinics in disaster mode: disaster_search() and disaster_health() while a disaster is declared'),
               ('dvflag_requester', 'dvflag audience: information requesters (情報照会): request_information(), request_answer(), protected()'),
               ('dvflag_auditor', 'dvflag audience: auditors: read the audit and the provision records, check(), audit_summary()'))
               AS c(name, note) ON a.rolname OPERATOR(pg_catalog.=) c.name
            WHERE a.rolname OPERATOR(pg_catalog.=) ANY (dvflag.audience_roles())
              AND pg_catalog.shobj_description(a.oid, 'pg_authid') IS NULL
  LOOP
    EXECUTE pg_catalog.format('COMMENT ON ROLE %I IS %L', r.rolname, r.note);
  END LOOP;
END
$$;

-- as in sql/00_setup.sql
COMMENT ON FUNCTION dvflag.audience_roles() IS
  'the names of the audience roles (RULES.md §9), the one list; for the extension''s scripts and check(), no audience role';
-- as in sql/10_helpers.sql
COMMENT ON FUNCTION dvflag.is_blank(text) IS
  'true for text that is empty or only white space (any Unicode White_Space), the test of the CHECKs; admin, insurer staff';
COMMENT ON FUNCTION dvflag.refuse_change() IS
  'trigger: refuses UPDATE, DELETE and TRUNCATE of the append-only tables and TRUNCATE of enrollment; no role calls it';
-- as in sql/20_audit.sql
COMMENT ON COLUMN dvflag.audit.id IS 'identity, in insertion order (order events by at: a queued read''s row is inserted later)';
COMMENT ON COLUMN dvflag.audit.at IS 'when the event happened';
COMMENT ON COLUMN dvflag.audit.action IS 'the kind of event: flag_change, protection_change, card_register_refused, disaster_search, provision_completed ...';
COMMENT ON COLUMN dvflag.audit.target IS 'what the event is about: an insurance card (insurer/symbol/number/branch), a card serial, a link_no; or NULL';
COMMENT ON COLUMN dvflag.audit.detail IS 'the event''s particulars: its event id, old and new values, reason, criteria, result count ...';
COMMENT ON FUNCTION dvflag.audit_flush() IS
  'waits (at most 10 s) until this database''s queued audit rows are in dvflag.audit; false if they are not yet; admin, auditor';
COMMENT ON FUNCTION dvflag.audit_rows_lost() IS
  'queued audit rows the writer failed to insert since the server started (their events are in the server log); for check(), no audience role';
-- as in sql/30_enrollment.sql
COMMENT ON COLUMN dvflag.insurer.insurer_no IS '保険者番号: 8 digits with a check digit, or 6 digits for municipal NHI (市町村国保)';
COMMENT ON COLUMN dvflag.insurer.name IS '保険者名称: the name the read paths show and the disaster search matches a fragment of';
COMMENT ON FUNCTION dvflag.insurer_changed() IS
  'trigger: makes every backend forget its cached insurer names after a change of dvflag.insurer; no role calls it';
COMMENT ON COLUMN dvflag.enrollment.id IS 'identity: the enrollment''s id, which health records, copies and provision records refer to';
COMMENT ON COLUMN dvflag.enrollment.link_no IS '紐付番号: the person, the same across all their insurers';
COMMENT ON COLUMN dvflag.enrollment.insurer_no IS 'the insurer (保険者番号) this enrollment belongs to';
COMMENT ON COLUMN dvflag.enrollment.symbol IS '記号 of the insurance card; NULL where the insurer uses none';
COMMENT ON COLUMN dvflag.enrollment.number IS '番号 of the insurance card';
COMMENT ON COLUMN dvflag.enrollment.branch IS '枝番: the 2-digit branch of the insurance card (個人単位被保険者番号)';
COMMENT ON COLUMN dvflag.enrollment.acquired_on IS '資格取得日: when the enrollment began';
COMMENT ON COLUMN dvflag.enrollment.lost_on IS '資格喪失日: when it ended; NULL while current';
COMMENT ON COLUMN dvflag.enrollment.name IS 'the person''s name (氏名), matched after fold()';
COMMENT ON COLUMN dvflag.enrollment.kana IS 'the reading of the name (カナ氏名), matched after fold()';
COMMENT ON COLUMN dvflag.enrollment.sex IS '1 male, 2 female, 0 unknown, 9 not applicable';
COMMENT ON COLUMN dvflag.enrollment.birth_date IS 'date of birth';
COMMENT ON COLUMN dvflag.enrollment.address IS '住所: NULL on the insurance-card and disaster paths while hide_address (ND_eff or SB_eff)';
COMMENT ON COLUMN dvflag.enrollment.postcode IS '郵便番号, NNN-NNNN or NNNNNNN: hidden with the address';
COMMENT ON COLUMN dvflag.person.link_no IS '紐付番号: the person';
COMMENT ON COLUMN dvflag.person.latest_id IS 'the enrollment that is latest(P) (RULES.md §2)';
COMMENT ON COLUMN dvflag.person.nd_eff IS 'ND_eff(P): ND on any enrollment of the person, past or present, or retained';
COMMENT ON COLUMN dvflag.person.sb_eff IS 'SB_eff(P): SB of latest(P), or carried over a move onto it';
COMMENT ON COLUMN dvflag.person.nd_retained IS 'ND of enrollments purged by retention, still in force';
COMMENT ON COLUMN dvflag.person.version IS 'bumped by every recomputation, so that concurrent recomputations of one person conflict';
COMMENT ON COLUMN dvflag.person.updated_at IS 'when the state was last recomputed';
COMMENT ON COLUMN dvflag.person.sb_carried_since IS 'since when the SB of sb_carried_from is carried';
COMMENT ON TABLE dvflag.insurer_staff IS 'which login (or group) role works for which insurer: written by grant_insurer() and revoke_insurer()';
COMMENT ON COLUMN dvflag.insurer_staff.staff IS 'the role: its members that may SET ROLE to it work for the insurer';
COMMENT ON COLUMN dvflag.insurer_staff.insurer_no IS 'the insurer whose enrollments and health records the role sees and writes';
COMMENT ON FUNCTION dvflag.enrollment_changed() IS
  'trigger: audits flag changes (a reason required), recomputes each touched person''s dvflag.person and audits protection changes; no role calls it';
COMMENT ON FUNCTION dvflag.person_guard() IS
  'trigger: refuses to delete a person row while the person has an enrollment or retains ND; no role calls it';
COMMENT ON FUNCTION dvflag.set_flag(text, text, text, text, text, boolean, text) IS
  'sets or clears nd, sb or ar of one enrollment, with a reason, audited; true if it changed; insurer staff (their insurers), admin';
COMMENT ON FUNCTION dvflag.protected(text) IS
  'is this person a protected target (ND_eff or SB_eff; false if unknown)? audited; insurer staff, requester, admin';
COMMENT ON FUNCTION dvflag.sb_carried() IS
  'the persons whose SB a move carried onto the caller''s insurers'' enrollments, and since when (RULES.md §5); insurer staff, admin (all)';
COMMENT ON FUNCTION dvflag.decide_carried_sb(text, text, text, text, boolean, text) IS
  'decides a carried SB: keep sets SB on that enrollment, otherwise it ends; audited; false if none was carried; insurer staff, admin';
COMMENT ON FUNCTION dvflag.grant_insurer(regrole, text) IS
  'maps a role to an insurer: its members (insurer staff) see and write that insurer''s enrollments; admin';
COMMENT ON FUNCTION dvflag.revoke_insurer(regrole, text) IS
  'removes the mapping of a role to an insurer; admin';
COMMENT ON FUNCTION dvflag.staff_insurers() IS
  'the insurers the current role is mapped to (the read check of the staff''s row-level security); insurer staff, admin';
COMMENT ON FUNCTION dvflag.is_staff_of(text) IS
  'is the current role mapped to this insurer? the write check of the staff''s row-level security; insurer staff, admin';
-- as in sql/40_cards.sql
COMMENT ON TABLE dvflag.card IS 'マイナンバーカード by certificate serial, bound to a person by initial registration (初回登録); written by the functions only';
COMMENT ON COLUMN dvflag.card.card_serial IS 'the certificate serial: the key of the portal and clinic card paths';
COMMENT ON COLUMN dvflag.card.link_no IS '紐付番号: the person the card is bound to';
COMMENT ON COLUMN dvflag.card.registered_at IS 'when it was registered';
COMMENT ON COLUMN dvflag.card.stopped_at IS 'when it was stopped (停止); a stopped card answers nothing';
COMMENT ON COLUMN dvflag.card.stop_reason IS 'why it was stopped';
COMMENT ON TABLE dvflag.proxy IS '代理人: the agent may view the principal''s portal data; written by the functions only';
COMMENT ON COLUMN dvflag.proxy.principal_link_no IS '紐付番号 of the principal, who named the proxy';
COMMENT ON COLUMN dvflag.proxy.agent_link_no IS '紐付番号 of the agent, who calls the portal paths with their own card';
COMMENT ON COLUMN dvflag.proxy.created_at IS 'when the principal named the agent';
COMMENT ON FUNCTION dvflag.register_card(text, text, text, text, text) IS
  'initial registration (初回登録) of a card to the person of that enrollment; DV001 while SB_eff, audited; portal';
COMMENT ON FUNCTION dvflag.stop_card(text, text) IS
  'stops a card (STEP1 of RULES.md §5), with a reason: it answers nothing anywhere after; audited; insurer staff of the person, admin';
COMMENT ON FUNCTION dvflag.set_proxy(text, text) IS
  'the principal, with their card, names a proxy (代理人); audited; portal';
COMMENT ON FUNCTION dvflag.remove_proxy(text, text) IS
  'the principal, with their card, removes a proxy; true if one was removed; audited; portal';
COMMENT ON FUNCTION dvflag.remove_proxy_for(text, text, text) IS
  'removes a proxy for a principal who cannot (STEP3 of RULES.md §5), with a reason; audited; insurer staff of the principal, admin';
COMMENT ON COLUMN dvflag.sb_flag_set.enrollment_id IS 'the enrollment whose SB is set';
COMMENT ON COLUMN dvflag.sb_flag_set.set_at IS 'when it was last set';
COMMENT ON COLUMN dvflag.registration_refusal.id IS 'identity';
COMMENT ON COLUMN dvflag.registration_refusal.at IS 'when the registration was refused';
COMMENT ON COLUMN dvflag.registration_refusal.link_no IS '紐付番号: the person the card was to be bound to';
COMMENT ON COLUMN dvflag.registration_refusal.card_serial IS 'the serial of the refused card (never shown by sb_due_for_clearing)';
COMMENT ON COLUMN dvflag.registration_refusal.event IS 'the event id of the refusal''s audit row and log line';
COMMENT ON FUNCTION dvflag.sb_due_for_clearing() IS
  'the SB flags that look due for clearing: a card of the person showed up after the flag was set (RULES.md §5 STEP4); insurer staff, admin (all)';
-- as in sql/50_read_paths.sql
COMMENT ON TYPE dvflag.qualification IS 'an enrollment as the read paths show it, the same columns on every path; a hidden column is NULL';
COMMENT ON FUNCTION dvflag.portal_qualifications(text, text) IS
  'every enrollment of the card''s person (or of the principal, for a proxy); none while SB_eff (RULES.md §3 row 1); portal';
COMMENT ON FUNCTION dvflag.portal_self_info(text, text) IS
  'each enrollment of the card''s person (or principal) whose own SB is not set (RULES.md §3 row 2); portal';
COMMENT ON FUNCTION dvflag.clinic_by_card(text) IS
  'the current qualification of the person of an active card; none while SB_eff (RULES.md §3 row 4); clinic';
COMMENT ON FUNCTION dvflag.clinic_by_insurance_card(text, text, text, text) IS
  'the enrollment of that insurance card, address and postcode NULL while hide_address (RULES.md §3 row 5); clinic';
-- as in sql/60_disaster.sql
COMMENT ON TABLE dvflag.disaster IS 'declared disasters: disaster-mode search works from starts to ends unless ended; written by the functions only';
COMMENT ON COLUMN dvflag.disaster.id IS 'identity: the id end_disaster() takes';
COMMENT ON COLUMN dvflag.disaster.starts IS 'when disaster mode begins';
COMMENT ON COLUMN dvflag.disaster.ends IS 'when it ends at the latest';
COMMENT ON COLUMN dvflag.disaster.note IS 'what the disaster is, as the admin declared it';
COMMENT ON COLUMN dvflag.disaster.declared_at IS 'when it was declared';
COMMENT ON COLUMN dvflag.disaster.ended_at IS 'when end_disaster() ended it; NULL if not';
COMMENT ON FUNCTION dvflag.disaster_search(date, text, text, text, text, integer) IS
  'while a disaster is declared: at most 20 candidates by name or kana, birth date and a fragment (RULES.md §3 row 6); audited; disaster';
COMMENT ON FUNCTION dvflag.declare_disaster(timestamptz, timestamptz, text) IS
  'declares a disaster: disaster-mode search works from starts to ends; returns its id; audited; admin';
COMMENT ON FUNCTION dvflag.end_disaster(bigint) IS
  'ends a declared disaster now; audited; admin';
-- as in sql/70_provision.sql
COMMENT ON COLUMN dvflag.item_flag.insurer_no IS 'the insurer';
COMMENT ON COLUMN dvflag.item_flag.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.item_flag.nd IS 'ND on the item: every provision of it at this insurer is marked';
COMMENT ON COLUMN dvflag.item_flag.ar IS 'AR on the item: every request for it at this insurer waits for staff';
COMMENT ON COLUMN dvflag.item_copy.enrollment_id IS 'the enrollment';
COMMENT ON COLUMN dvflag.item_copy.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.item_copy.content IS 'the answer given automatically to a request for the item';
COMMENT ON COLUMN dvflag.item_copy.registered_at IS 'when it was registered';
COMMENT ON COLUMN dvflag.provision_request.id IS 'identity: the request_id of the functions';
COMMENT ON COLUMN dvflag.provision_request.requested_at IS 'when it was asked';
COMMENT ON COLUMN dvflag.provision_request.expires_at IS 'when a pending request expires (setting dvflag.request_validity)';
COMMENT ON COLUMN dvflag.provision_request.requester IS 'the requesting login role, by name';
COMMENT ON COLUMN dvflag.provision_request.requester_client IS 'the requester''s dvflag.client';
COMMENT ON COLUMN dvflag.provision_request.insurer_no IS 'the insurer asked';
COMMENT ON COLUMN dvflag.provision_request.symbol IS '記号 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.number IS '番号 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.branch IS '枝番 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.enrollment_id IS 'the enrollment of that card; NULL when none (no_agency_code)';
COMMENT ON COLUMN dvflag.provision_request.item_code IS '特定個人情報名コード: the item asked for';
COMMENT ON COLUMN dvflag.provision_request.ndc IS 'the requester set NDC (不開示コード): the record is marked';
COMMENT ON COLUMN dvflag.provision_request.status IS 'pending, provided, declined, expired, no_copy (副本未登録) or no_agency_code (機関別符号未発行)';
COMMENT ON COLUMN dvflag.provision_request.answer IS 'the content provided, once provided';
COMMENT ON COLUMN dvflag.provision_request.record_id IS 'the provision record, once completed';
COMMENT ON COLUMN dvflag.provision_record.id IS 'identity: the record_id of the functions';
COMMENT ON COLUMN dvflag.provision_record.request_id IS 'the request it completes';
COMMENT ON COLUMN dvflag.provision_record.requester IS 'the requesting login role, by name';
COMMENT ON COLUMN dvflag.provision_record.requester_client IS 'the requester''s dvflag.client';
COMMENT ON COLUMN dvflag.provision_record.insurer_no IS 'the providing insurer';
COMMENT ON COLUMN dvflag.provision_record.enrollment_id IS 'the enrollment; NULL when none was found';
COMMENT ON COLUMN dvflag.provision_record.link_no IS '紐付番号 of the person, for the exchange history; NULL when none was found';
COMMENT ON COLUMN dvflag.provision_record.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.provision_record.ndc IS 'the requester set NDC (不開示コード)';
COMMENT ON COLUMN dvflag.provision_record.requested_at IS 'when the request was asked';
COMMENT ON COLUMN dvflag.provision_record.completed_at IS 'when it completed';
COMMENT ON COLUMN dvflag.provision_record.outcome IS 'provided, declined, expired, no_copy or no_agency_code';
COMMENT ON COLUMN dvflag.provision_record.manual IS 'completed by staff (approved or declined), not automatically';
COMMENT ON COLUMN dvflag.provision_mark.id IS 'identity';
COMMENT ON COLUMN dvflag.provision_mark.record_id IS 'the provision record marked';
COMMENT ON COLUMN dvflag.provision_mark.marked_at IS 'when the mark was appended';
COMMENT ON COLUMN dvflag.provision_mark.actor IS 'the login role that appended it';
COMMENT ON COLUMN dvflag.provision_mark.reason IS 'why (記録事項変更事由)';
COMMENT ON TYPE dvflag.provision_answer IS 'what a requester gets back: the request, its status and, once provided, the content and the record';
COMMENT ON TYPE dvflag.exchange IS 'a row of the portal''s exchange history (やりとり履歴): a provision that completed normally, unmarked';
COMMENT ON FUNCTION dvflag.request_information(text, text, text, text, text, boolean) IS
  'asks an insurer for an item of an enrollment (情報照会, RULES.md §6): answered at once, or pending while AR holds; requester';
COMMENT ON FUNCTION dvflag.request_answer(bigint) IS
  'the caller''s own request by id: its status and, once provided, the content and record; requester';
COMMENT ON FUNCTION dvflag.pending_requests() IS
  'the requests waiting for staff, with the 副本 content and whether the record must be marked; insurer staff (their insurers), admin (all)';
COMMENT ON FUNCTION dvflag.approve_request(bigint, jsonb, boolean, text) IS
  'approves (送信許可) a pending request, optionally with corrected content and a mark; returns the record id; insurer staff, admin';
COMMENT ON FUNCTION dvflag.decline_request(bigint, text) IS
  'declines a pending request with a reason; returns the record id; insurer staff, admin';
COMMENT ON FUNCTION dvflag.expire_requests() IS
  'closes the pending requests past dvflag.request_validity as expired; returns how many; insurer staff (their insurers), admin (all)';
COMMENT ON FUNCTION dvflag.set_item_flag(text, text, text, boolean, text) IS
  'sets or clears nd or ar on an item at an insurer, with a reason; audited; true if it changed; insurer staff, admin';
COMMENT ON FUNCTION dvflag.register_item_copy(text, text, text, text, text, jsonb) IS
  'registers or replaces the 副本 of an item of an enrollment; insurer staff, admin';
COMMENT ON FUNCTION dvflag.mark_record(bigint, text) IS
  'appends a non-disclosure mark to a record (記録事項変更事由の追記); false if already marked; insurer staff of the provider, admin';
COMMENT ON FUNCTION dvflag.mark_person_records(text, text) IS
  'marks every unmarked record of a person, in the step that sets ND; returns how many; insurer staff of the person, admin';
COMMENT ON FUNCTION dvflag.portal_exchange_history(text, text) IS
  'やりとり履歴: the person''s provision records that completed normally and carry no mark (RULES.md §3 row 3); portal';
-- as in sql/75_inquiries.sql
COMMENT ON FUNCTION dvflag.inquiry_without_my_number(text, date, integer, text, text, text, daterange, daterange) IS
  'a municipality''s inquiry without My Number (RULES.md §7): match, no_match or several by kana, birth date and sex; audited; insurer staff';
-- as in sql/80_health.sql
COMMENT ON COLUMN dvflag.health_record.id IS 'identity, in the order the records were loaded';
COMMENT ON COLUMN dvflag.health_record.enrollment_id IS 'the enrollment (個人単位被保険者番号) the record belongs to; it goes with it';
COMMENT ON FUNCTION dvflag.portal_health(text, text, text) IS
  'every health record of the card''s person (or principal), institutions shown; none while SB_eff (RULES.md §3a row 1); portal';
COMMENT ON FUNCTION dvflag.clinic_health_by_card(text, boolean, text) IS
  'with consent: medication and checkups of the card''s person; none while SB_eff, no institution name (RULES.md §3a row 2); audited; clinic';
COMMENT ON FUNCTION dvflag.disaster_health(text, text, text, text, boolean, text) IS
  'while a disaster is declared, with consent: medication and checkups by an insurance card, also under SB_eff (RULES.md §3a row 4); audited; disaster';
-- as in sql/90_operations.sql
COMMENT ON FUNCTION dvflag.at_row(bigint) IS
  'counts a row of a staff COPY or of purge() for their progress reports; does nothing elsewhere; called by them as insurer staff or admin';
COMMENT ON FUNCTION dvflag.rearm_triggers() IS
  'after a restore: puts dvflag''s triggers back to ENABLE ALWAYS; returns how many it changed; superuser, no audience role';
COMMENT ON FUNCTION dvflag.person_drift() IS
  'the persons whose stored state is not what the rules give, and person rows with nothing left; for check(), no audience role';
COMMENT ON FUNCTION dvflag."check"() IS
  'the deployment self-check: one row per problem found (privileges, owners, settings, triggers, roles, derived state), none if all is well; admin, auditor';
COMMENT ON FUNCTION dvflag.purge() IS
  'deletes what is past its retention (RULES.md §8), keeping every flag''s effect; returns the rows per kind; audited; admin';
COMMENT ON FUNCTION dvflag.disasters() IS
  'the declared disasters, newest first, with their state: scheduled, active, ended or expired; admin';
COMMENT ON FUNCTION dvflag.audit_summary(date, date) IS
  'the audited events counted by day, action and outcome, without who, whom or what; admin, auditor';

-- Without dvflag in shared_preload_libraries, PostgreSQL refuses a COPY
-- into dvflag.enrollment by a role under its row-level security (insurer
-- staff, admin) before any of dvflag runs ("COPY FROM not supported with
-- row-level security"): only dvflag's hook, which comes with the library,
-- stages it (src/copy.c).  So that every session of this database has the
-- library all the same, the update (as CREATE EXTENSION) then sets the database's
-- session_preload_libraries to dvflag, when the database sets none (DROP
-- EXTENSION takes it out again), and warns: what preloading gives beyond
-- that (the audit writer's worker slot and queue) needs a restart.
DO $$
DECLARE
  db_libs text;
BEGIN
  IF 'dvflag' OPERATOR(pg_catalog.=) ANY (pg_catalog.string_to_array(pg_catalog.replace(
       pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ',')) THEN
    RETURN;
  END IF;
  SELECT pg_catalog.substr(c, 27) INTO db_libs
    FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) AS c
   WHERE s.setrole OPERATOR(pg_catalog.=) 0 AND pg_catalog.starts_with(c, 'session_preload_libraries=')
     AND s.setdatabase OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                                WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database());
  IF db_libs IS NULL THEN
    EXECUTE pg_catalog.format('ALTER DATABASE %I SET session_preload_libraries = dvflag',
                              pg_catalog.current_database());
    db_libs := 'dvflag';
  END IF;
  IF db_libs OPERATOR(pg_catalog.~) '(^|[ ,"])dvflag($|[ ,"])' THEN
    RAISE WARNING 'dvflag is not in shared_preload_libraries'
      USING DETAIL = 'This database loads dvflag at the start of each session (session_preload_libraries), so that '
                     'insurer staff can COPY into dvflag.enrollment; but the audit writer has no worker slot of its '
                     'own, and a refused registration can lose its audit row while max_worker_processes is taken.',
            HINT = 'Add dvflag to shared_preload_libraries in postgresql.conf and restart the server.';
  ELSE
    RAISE WARNING 'dvflag is not in shared_preload_libraries'
      USING DETAIL = 'PostgreSQL refuses COPY into dvflag.enrollment by insurer staff in a session that has not '
                     'loaded dvflag, and this database''s session_preload_libraries does not load it.',
            HINT = 'Add dvflag to shared_preload_libraries in postgresql.conf and restart the server, or add it to '
                   'this database''s session_preload_libraries (ALTER DATABASE ... SET).';
  END IF;
END
$$;
