-- dvflag 1.0 -> 1.1: information provision (情報連携, RULES.md §6), the
-- portal's exchange history (やりとり履歴, §3 row 3) and inquiries without
-- My Number (§7).  Also run by CREATE EXTENSION after the 1.0 script.
\echo Use "ALTER EXTENSION dvflag UPDATE TO '1.1'" to load this file. \quit

-- The enrollment trigger's statements are planned once, generically, and
-- dvflag keeps no planner statistics on link_no: the estimates are those of
-- a large join, and above jit_above_cost every one-row set_flag paid for
-- JIT compilation (118 ms a change at 10M persons).  Its plans are index
-- lookups that JIT cannot speed up.
ALTER FUNCTION dvflag.enrollment_changed() SET jit = off;

-- 1.1 folds every Unicode white space (EM SPACE, U+2000..U+200B, BOM, ...)
-- away, not only the ASCII blanks, U+00A0 and U+3000.  That behaviour has C
-- symbols of its own (1.0's stay as they were, so an index or CHECK built by
-- 1.0 is never judged by another rule): fold() and is_blank() are rebound to
-- it, the rows are checked against the CHECKs that use is_blank(), and the
-- indexes on the folded names are rebuilt.
CREATE OR REPLACE FUNCTION dvflag.fold(text) RETURNS text
  AS 'MODULE_PATHNAME', 'dvflag_fold'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE OR REPLACE FUNCTION dvflag.is_blank(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_blank'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
DO $$
BEGIN
  IF EXISTS (SELECT FROM dvflag.enrollment e
              WHERE dvflag.is_blank(e.link_no) OR dvflag.is_blank(e.symbol) OR dvflag.is_blank(e.number))
     OR EXISTS (SELECT FROM dvflag.insurer i WHERE dvflag.is_blank(i.name))
     OR EXISTS (SELECT FROM dvflag.card c WHERE dvflag.is_blank(c.card_serial)) THEN
    RAISE EXCEPTION 'dvflag 1.1 counts every Unicode white space as blank, and some rows hold a key of white space only'
      USING ERRCODE = 'check_violation',
            HINT = 'Find them with dvflag.is_blank() after the update fails: SELECT * FROM dvflag.enrollment WHERE dvflag.is_blank(link_no) OR dvflag.is_blank(symbol) OR dvflag.is_blank(number) (and insurer.name, card.card_serial); correct them under 1.0, then update.';
  END IF;
END
$$;
REINDEX INDEX dvflag.enrollment_disaster_kana;
REINDEX INDEX dvflag.enrollment_disaster_name;

-- Flags per item (特定個人情報名コード) at an insurer: ND and AR there apply to
-- every person's provision of that item (seed 000 別紙3 図3).
CREATE TABLE dvflag.item_flag (
  insurer_no text NOT NULL REFERENCES dvflag.insurer,
  item_code  text NOT NULL CONSTRAINT item_flag_item_code CHECK (item_code ~ '^[A-Z0-9]{1,32}$'),
  nd         boolean NOT NULL DEFAULT false,
  ar         boolean NOT NULL DEFAULT false,
  PRIMARY KEY (insurer_no, item_code)
);
COMMENT ON TABLE dvflag.item_flag IS 'ND (不開示該当) and AR (自動応答不可) set on an item (特定個人情報名コード) at an insurer';

-- 副本: the content an insurer registered for an item of an enrollment, the
-- answer given automatically.  None registered: the request ends 副本未登録.
CREATE TABLE dvflag.item_copy (
  enrollment_id bigint NOT NULL REFERENCES dvflag.enrollment ON DELETE CASCADE,
  item_code     text NOT NULL CONSTRAINT item_copy_item_code CHECK (item_code ~ '^[A-Z0-9]{1,32}$'),
  content       jsonb NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (enrollment_id, item_code)
);
COMMENT ON TABLE dvflag.item_copy IS '副本: registered content of an item of an enrollment';

-- A requester's request (情報照会), pending while it waits for staff.
CREATE TABLE dvflag.provision_request (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  requested_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  expires_at    timestamptz NOT NULL,
  requester     text NOT NULL,
  requester_role oid NOT NULL,
  requester_client text,
  insurer_no    text NOT NULL,
  symbol        text,
  number        text NOT NULL,
  branch        text NOT NULL,
  enrollment_id bigint,
  item_code     text NOT NULL,
  ndc           boolean NOT NULL,
  status        text NOT NULL CONSTRAINT provision_request_status
                CHECK (status IN ('pending', 'provided', 'declined', 'expired', 'no_copy', 'no_agency_code')),
  answer        jsonb,
  record_id     bigint
);
CREATE INDEX provision_request_pending ON dvflag.provision_request (insurer_no, id) WHERE status = 'pending';
COMMENT ON COLUMN dvflag.provision_request.requester_role IS 'the requesting role by OID: a role dropped and created again under the same name is another requester';
COMMENT ON TABLE dvflag.provision_request IS '情報照会: a request for an item; pending while AR holds';

-- 情報提供等記録: one per request, written when it completes; append-only.
CREATE TABLE dvflag.provision_record (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id    bigint NOT NULL UNIQUE,
  requester     text NOT NULL,
  requester_client text,
  insurer_no    text NOT NULL,
  enrollment_id bigint,
  link_no       text COLLATE "C",
  item_code     text NOT NULL,
  ndc           boolean NOT NULL,
  requested_at  timestamptz NOT NULL,
  completed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  outcome       text NOT NULL CONSTRAINT provision_record_outcome
                CHECK (outcome IN ('provided', 'declined', 'expired', 'no_copy', 'no_agency_code')),
  manual        boolean NOT NULL,
  nd_mark       boolean NOT NULL
);
CREATE INDEX provision_record_person ON dvflag.provision_record (link_no);
CREATE INDEX provision_record_enrollment ON dvflag.provision_record (enrollment_id);
COMMENT ON TABLE dvflag.provision_record IS '情報提供等記録: append-only; outcome provided = completed normally';
COMMENT ON COLUMN dvflag.provision_record.nd_mark IS 'non-disclosure mark set when the provision completed';

-- 記録事項変更事由の追記: a mark appended to a record later; append-only.
CREATE TABLE dvflag.provision_mark (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  record_id  bigint NOT NULL REFERENCES dvflag.provision_record,
  marked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  actor      text NOT NULL,
  reason     text NOT NULL CONSTRAINT provision_mark_reason CHECK (NOT dvflag.is_blank(reason))
);
CREATE INDEX provision_mark_record ON dvflag.provision_mark (record_id);
COMMENT ON TABLE dvflag.provision_mark IS '記録事項変更事由の追記: a non-disclosure mark appended to a record, with its reason';

ALTER TABLE dvflag.item_flag         ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.item_copy         ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_record  ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_mark    ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_request ALTER COLUMN symbol SET STATISTICS 0;
ALTER TABLE dvflag.provision_request ALTER COLUMN number SET STATISTICS 0;
ALTER TABLE dvflag.provision_record  ALTER COLUMN link_no SET STATISTICS 0;

-- Records and marks are append-only: UPDATE, DELETE and TRUNCATE are refused
-- for every role, owner and superuser included (ENABLE ALWAYS:
-- session_replication_role does not skip it).  DDL by the owner or a
-- superuser (ALTER TABLE ... DISABLE TRIGGER) is outside what a trigger can
-- guard.
CREATE TRIGGER provision_record_append_only BEFORE UPDATE OR DELETE ON dvflag.provision_record
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_record_no_truncate BEFORE TRUNCATE ON dvflag.provision_record
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_mark_append_only BEFORE UPDATE OR DELETE ON dvflag.provision_mark
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_mark_no_truncate BEFORE TRUNCATE ON dvflag.provision_mark
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
ALTER TABLE dvflag.provision_record ENABLE ALWAYS TRIGGER provision_record_append_only;
ALTER TABLE dvflag.provision_record ENABLE ALWAYS TRIGGER provision_record_no_truncate;
ALTER TABLE dvflag.provision_mark ENABLE ALWAYS TRIGGER provision_mark_append_only;
ALTER TABLE dvflag.provision_mark ENABLE ALWAYS TRIGGER provision_mark_no_truncate;

-- The auditor and admin read the records and marks; nobody writes them but
-- dvflag's functions.
CREATE POLICY provision_record_readers ON dvflag.provision_record FOR SELECT
  TO dvflag_admin, dvflag_auditor USING (true);
CREATE POLICY provision_mark_readers ON dvflag.provision_mark FOR SELECT
  TO dvflag_admin, dvflag_auditor USING (true);
GRANT SELECT ON dvflag.provision_record, dvflag.provision_mark TO dvflag_admin, dvflag_auditor;

-- What a requester gets back: the request, its state and, once provided,
-- the content and the record.
CREATE TYPE dvflag.provision_answer AS (
  request_id bigint,
  status     text,
  content    jsonb,
  record_id  bigint
);

-- A row of the portal's exchange history.
CREATE TYPE dvflag.exchange AS (
  record_id    bigint,
  requested_at timestamptz,
  provided_at  timestamptz,
  requester    text,
  insurer_no   text,
  insurer_name text,
  item_code    text
);

-- §6: a requester asks an insurer for an item of an enrollment.  Answered
-- at once unless AR holds; then 'pending' until staff approve or decline.
-- Acting function: the requester is the role calling it.
CREATE FUNCTION dvflag.request_information(insurer_no text, symbol text, number text, branch text,
                                           item_code text, ndc boolean DEFAULT false)
  RETURNS dvflag.provision_answer
  AS 'MODULE_PATHNAME', 'dvflag_request_information'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- The requester's own request, by id: its state and, once provided, the answer.
CREATE FUNCTION dvflag.request_answer(request_id bigint)
  RETURNS dvflag.provision_answer
  AS 'MODULE_PATHNAME', 'dvflag_request_answer'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Staff: the pending requests of their insurers (admin: all), with the
-- content the 副本 would give and whether ND requires a mark.
CREATE FUNCTION dvflag.pending_requests()
  RETURNS TABLE (request_id bigint, requested_at timestamptz, expires_at timestamptz,
                 requester text, requester_client text, insurer_no text, symbol text,
                 number text, branch text, item_code text, ndc boolean,
                 mark_required boolean, content jsonb)
  AS 'MODULE_PATHNAME', 'dvflag_pending_requests'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- Staff approve (送信許可) a pending request, optionally with corrected
-- content; mark true adds the non-disclosure mark, false removes the one ND
-- requires (only with override_reason; never the requester's NDC).
CREATE FUNCTION dvflag.approve_request(request_id bigint, content jsonb DEFAULT NULL,
                                       mark boolean DEFAULT NULL, override_reason text DEFAULT NULL)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_approve_request'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- Staff decline a pending request; the record says 'declined'.
CREATE FUNCTION dvflag.decline_request(request_id bigint, reason text)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_decline_request'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- Close the pending requests past their validity (dvflag.request_validity)
-- as 'expired'; staff: their insurers', admin: all.  Returns how many.
CREATE FUNCTION dvflag.expire_requests()
  RETURNS integer
  AS 'MODULE_PATHNAME', 'dvflag_expire_requests'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- Staff set ND or AR on an item at their insurer, with a reason; audited.
CREATE FUNCTION dvflag.set_item_flag(insurer_no text, item_code text, flag text,
                                     value boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_set_item_flag'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Staff register (or replace) the 副本 of an item of an enrollment.
CREATE FUNCTION dvflag.register_item_copy(insurer_no text, symbol text, number text, branch text,
                                          item_code text, content jsonb)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_register_item_copy'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- 記録事項変更事由の追記: append a non-disclosure mark to one record, with a
-- reason; true if it was not marked before.  Staff of the providing insurer.
CREATE FUNCTION dvflag.mark_record(record_id bigint, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_mark_record'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- Append the mark to every unmarked record of a person, in the step that
-- sets ND; staff of one of the person's insurers.  Returns how many.
CREATE FUNCTION dvflag.mark_person_records(link_no text, reason text)
  RETURNS integer
  AS 'MODULE_PATHNAME', 'dvflag_mark_person_records'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;

-- §3 row 3: the person's records that completed normally and carry no
-- mark; same card and proxy rules as the other portal paths.
CREATE FUNCTION dvflag.portal_exchange_history(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.exchange
  AS 'MODULE_PATHNAME', 'dvflag_portal_exchange_history'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 10
  SET search_path = pg_catalog, pg_temp;

-- §7: staff answer a municipality's inquiry without My Number: kana, birth
-- date and sex exactly, within their own insurers; 'match', 'no_match', or
-- 'several' (ask for the acquisition or loss period and call again with
-- it).  Every inquiry is audited with the inquirer's institution,
-- department and name.
CREATE FUNCTION dvflag.inquiry_without_my_number(kana text, birth_date date, sex smallint,
                                                 institution text, department text, inquirer text,
                                                 acquired_between daterange DEFAULT NULL,
                                                 lost_between daterange DEFAULT NULL)
  RETURNS TABLE (status text, candidates integer, link_no text, protected boolean,
                 insurer_no text, insurer_name text, symbol text, number text, branch text,
                 acquired_on date, lost_on date, name text, kana text, sex smallint,
                 birth_date date, address text, postcode text)
  AS 'MODULE_PATHNAME', 'dvflag_inquiry_without_my_number'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 1
  SET search_path = pg_catalog, pg_temp SET jit = off;

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.provision_answer, dvflag.exchange FROM PUBLIC;
GRANT USAGE ON TYPE dvflag.provision_answer TO dvflag_requester;
GRANT USAGE ON TYPE dvflag.exchange TO dvflag_portal;

GRANT EXECUTE ON FUNCTION dvflag.request_information(text, text, text, text, text, boolean),
                          dvflag.request_answer(bigint)
  TO dvflag_requester;
GRANT EXECUTE ON FUNCTION dvflag.pending_requests(),
                          dvflag.approve_request(bigint, jsonb, boolean, text),
                          dvflag.decline_request(bigint, text),
                          dvflag.expire_requests(),
                          dvflag.set_item_flag(text, text, text, boolean, text),
                          dvflag.register_item_copy(text, text, text, text, text, jsonb),
                          dvflag.mark_record(bigint, text),
                          dvflag.mark_person_records(text, text)
  TO dvflag_insurer, dvflag_admin;
-- Inquiries are answered by staff within their own insurers (admin has none).
GRANT EXECUTE ON FUNCTION dvflag.inquiry_without_my_number(text, date, smallint, text, text, text,
                                                           daterange, daterange)
  TO dvflag_insurer;
GRANT EXECUTE ON FUNCTION dvflag.portal_exchange_history(text, text) TO dvflag_portal;

-- Backups: pg_dump keeps the rows of every table (and where each identity
-- stands).  Restore as a superuser with triggers disabled (pg_restore
-- --disable-triggers, or pg_dump --disable-triggers for a plain dump): the
-- dump already holds the derived person rows and the audit of every past
-- change, and restoring a row is not a new flag change.
-- (one statement each: every call rewrites the extension's catalog row)
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.person', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.card', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.proxy', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer_staff', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.audit', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.item_flag', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.item_copy', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_request', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_record', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_mark', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.audit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_mark_id_seq', '');

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
  VALUES ('dvflag_admin'), ('dvflag_insurer'), ('dvflag_portal'), ('dvflag_clinic'),
         ('dvflag_disaster'), ('dvflag_requester'), ('dvflag_auditor')
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
 WHERE p.proname::pg_catalog.text NOT IN ('fold', 'insurer_no_valid', 'is_blank')
   AND NOT COALESCE(p.proconfig OPERATOR(pg_catalog.@>) ARRAY['search_path=pg_catalog, pg_temp'], false)
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
       'dvflag is not in shared_preload_libraries: COPY into dvflag.enrollment by insurer staff is not staged'
 WHERE NOT 'dvflag' OPERATOR(pg_catalog.=) ANY (pg_catalog.string_to_array(
             pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ','))
ORDER BY 1, 2, 3;
$check$;
REVOKE ALL ON FUNCTION dvflag.check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.check() TO dvflag_admin, dvflag_auditor;

-- Retention (RULES.md §8): delete what is past its period (superuser
-- settings dvflag.enrollment_retention_years, record_retention_years,
-- audit_retention_years), keeping every flag's effect; audited.  Admin.
CREATE FUNCTION dvflag.purge()
  RETURNS TABLE (purged text, rows bigint)
  AS 'MODULE_PATHNAME', 'dvflag_purge'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION dvflag.purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.purge() TO dvflag_admin;
