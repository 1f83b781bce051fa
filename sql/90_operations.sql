-- Operations: re-arming the triggers after a restore, the deployment
-- self-check, the retention purge (RULES.md §8), and what a long statement
-- of dvflag's reports while it runs.

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
COMMENT ON FUNCTION dvflag.at_row(bigint) IS
  'counts a row of a staff COPY or of purge() for their progress reports; does nothing elsewhere; called by them as insurer staff or admin';
REVOKE ALL ON FUNCTION dvflag.at_row(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.at_row(bigint) TO dvflag_insurer, dvflag_admin;

-- After a restore with triggers disabled: pg_dump's --disable-triggers turns
-- them back on as ordinary triggers (ENABLE TRIGGER ALL), which
-- session_replication_role = replica would skip.  This puts dvflag's own
-- triggers back to ENABLE ALWAYS and returns how many it changed.  For the
-- superuser who restored; no audience may run it.
CREATE FUNCTION dvflag.rearm_triggers()
  RETURNS integer
  LANGUAGE plpgsql VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t record;
  n integer := 0;
BEGIN
  FOR t IN SELECT c.relname, g.tgname
             FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid
            WHERE c.relnamespace = 'dvflag'::pg_catalog.regnamespace AND NOT g.tgisinternal
              AND g.tgenabled OPERATOR(pg_catalog.<>) 'A'
            ORDER BY 1, 2 LOOP
    EXECUTE pg_catalog.format('ALTER TABLE dvflag.%I ENABLE ALWAYS TRIGGER %I', t.relname, t.tgname);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
REVOKE ALL ON FUNCTION dvflag.rearm_triggers() FROM PUBLIC;
COMMENT ON FUNCTION dvflag.rearm_triggers() IS
  'after a restore: puts dvflag''s triggers back to ENABLE ALWAYS; returns how many it changed; superuser, no audience role';

-- The persons whose stored state is not what the rules in C give for their
-- enrollments (person_state_drift), and person rows with nothing left
-- (person_without_enrollment); one pass over dvflag.person and its
-- enrollments.  Only check() calls it.
CREATE FUNCTION dvflag.person_drift()
  RETURNS TABLE (problem text, object text, detail text)
  AS 'MODULE_PATHNAME', 'dvflag_person_drift'
  LANGUAGE C STABLE SECURITY INVOKER ROWS 1
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.person_drift() IS
  'the persons whose stored state is not what the rules give, and person rows with nothing left; for check(), no audience role';
REVOKE ALL ON FUNCTION dvflag.person_drift() FROM PUBLIC;

-- The deployment self-check: one row per problem found in the live
-- database (none when all is as the extension set it up).  Privileges are
-- compared with those the extension's scripts granted (pg_init_privs), so
-- any GRANT or REVOKE made since on a dvflag table, sequence, function or
-- type shows, whoever the grantee.  For admin and the auditor.
CREATE FUNCTION dvflag.check()
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
REVOKE ALL ON FUNCTION dvflag.check() FROM PUBLIC;
COMMENT ON FUNCTION dvflag."check"() IS
  'the deployment self-check: one row per problem found (privileges, owners, settings, triggers, roles, derived state), none if all is well; admin, auditor';
GRANT EXECUTE ON FUNCTION dvflag.check() TO dvflag_admin, dvflag_auditor;

-- Retention (RULES.md §8): delete what is past its period (superuser
-- settings dvflag.enrollment_retention_years, record_retention_years,
-- audit_retention_years), keeping every flag's effect; audited.  Admin.
CREATE FUNCTION dvflag.purge()
  RETURNS TABLE (purged text, rows bigint)
  AS 'MODULE_PATHNAME', 'dvflag_purge'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.purge() IS
  'deletes what is past its retention (RULES.md §8), keeping every flag''s effect; returns the rows per kind; audited; admin';
REVOKE ALL ON FUNCTION dvflag.purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.purge() TO dvflag_admin;

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
COMMENT ON FUNCTION dvflag.disasters() IS
  'the declared disasters, newest first, with their state: scheduled, active, ended or expired; admin';
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
COMMENT ON FUNCTION dvflag.audit_summary(date, date) IS
  'the audited events counted by day, action and outcome, without who, whom or what; admin, auditor';
GRANT EXECUTE ON FUNCTION dvflag.audit_summary(date, date) TO dvflag_admin, dvflag_auditor;

-- Without dvflag in shared_preload_libraries, PostgreSQL refuses a COPY
-- into dvflag.enrollment by a role under its row-level security (insurer
-- staff, admin) before any of dvflag runs ("COPY FROM not supported with
-- row-level security"): only dvflag's hook, which comes with the library,
-- stages it (src/copy.c).  So that every session of this database has the
-- library all the same, CREATE EXTENSION then sets the database's
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
