-- dvflag 1.0, the install script as released (it was built from the 1.0
-- sources, the "-- sql/..." markers below), kept so that CREATE EXTENSION
-- dvflag VERSION '1.0' and the update chain from it stay testable.  Two
-- fixes since the release, both in the 1.3 library's terms:
--   - fold() and is_blank() bind the C symbols of 1.0's behaviour
--     (dvflag_fold_1_0, dvflag_is_blank_1_0): the indexes and CHECKs built
--     on them stay valid whatever library serves them, and the 1.0 -> 1.1
--     update rebinds them to the 1.1 behaviour and rebuilds what uses them;
--   - every table and identity sequence is registered with
--     pg_extension_config_dump (at the end), so pg_dump keeps the rows of a
--     1.0 database too.
-- The current version's install script is built from sql/ by make.
\echo Use "CREATE EXTENSION dvflag" to load this file. \quit

-- sql/00_setup.sql
-- The encoding guard and the audience roles.

-- Folding and fragment matching work on UTF-8 text; anything else would
-- compare bytes of another encoding and match the wrong people.
DO $$
BEGIN
  IF pg_catalog.getdatabaseencoding() OPERATOR(pg_catalog.<>) 'UTF8' THEN
    RAISE EXCEPTION 'dvflag requires a UTF8 database, this one is %',
                    pg_catalog.getdatabaseencoding()
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Create the database with ENCODING ''UTF8'' TEMPLATE template0.';
  END IF;
END
$$;

-- Roles are cluster-wide: create the ones that do not exist yet, and leave
-- existing ones (and their members) alone.  DROP EXTENSION keeps them.
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['dvflag_admin', 'dvflag_insurer', 'dvflag_portal',
                           'dvflag_clinic', 'dvflag_disaster',
                           'dvflag_requester', 'dvflag_auditor']
  LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles
                   WHERE rolname OPERATOR(pg_catalog.=) r
                     AND (rolcanlogin OR rolsuper OR rolbypassrls OR rolcreaterole)) THEN
      RAISE WARNING 'role % already exists and can log in or holds SUPERUSER, BYPASSRLS or CREATEROLE', r
        USING HINT = 'An audience role should be NOLOGIN with no attributes: grant it to application logins instead.';
    END IF;
  END LOOP;
END
$$;

CREATE SCHEMA dvflag;
COMMENT ON SCHEMA dvflag IS 'dvflag: query-time masking for persons protected by the DV flags';
REVOKE ALL ON SCHEMA dvflag FROM PUBLIC;

-- sql/10_functions_c.sql
-- Immutable helpers in C, needed by the table constraints and indexes.

-- The one definition of "the same name": width, spaces, hiragana/katakana.
CREATE FUNCTION dvflag.fold(text) RETURNS text
  AS 'MODULE_PATHNAME', 'dvflag_fold_1_0'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dvflag.fold(text) IS
  'name and kana folded for matching: full/half width, spaces (incl. U+3000) dropped, hiragana as katakana';

-- Is this a valid insurer number (8 digits with check digit, or 6 digits)?
CREATE FUNCTION dvflag.insurer_no_valid(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_insurer_no_valid'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dvflag.insurer_no_valid(text) IS
  'true for an 8-digit insurer number with a correct check digit, or a 6-digit municipal NHI number';

-- Is this text empty or only white space (ASCII blanks, U+00A0, U+3000)?
-- The table constraints use the same test as the functions' arguments.
CREATE FUNCTION dvflag.is_blank(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_blank_1_0'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- sql/20_tables.sql
-- The tables.  Every one has row-level security enabled: a role reaches a
-- row only through a policy below or through a dvflag function.

-- 保険者: a health insurer.
CREATE TABLE dvflag.insurer (
  insurer_no text PRIMARY KEY
    CONSTRAINT insurer_no_valid CHECK (dvflag.insurer_no_valid(insurer_no)),
  name       text NOT NULL CONSTRAINT insurer_name_not_blank CHECK (NOT dvflag.is_blank(name))
);
COMMENT ON TABLE dvflag.insurer IS '保険者: insurers; insurer_no is 8 digits with a check digit, or 6 digits (municipal NHI)';

-- 資格: one person's membership in one insurer.
CREATE TABLE dvflag.enrollment (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  link_no     text NOT NULL CONSTRAINT enrollment_link_no_not_blank CHECK (NOT dvflag.is_blank(link_no)),
  insurer_no  text NOT NULL REFERENCES dvflag.insurer,
  symbol      text CONSTRAINT enrollment_symbol_not_blank CHECK (NOT dvflag.is_blank(symbol)),
  number      text NOT NULL CONSTRAINT enrollment_number_not_blank CHECK (NOT dvflag.is_blank(number)),
  branch      text NOT NULL CONSTRAINT enrollment_branch_two_digits CHECK (branch ~ '^[0-9]{2}$'),
  acquired_on date NOT NULL,
  lost_on     date,
  name        text,
  kana        text,
  sex         smallint CONSTRAINT enrollment_sex_code CHECK (sex IN (0, 1, 2, 9)),
  birth_date  date,
  address     text,
  postcode    text CONSTRAINT enrollment_postcode_format CHECK (postcode ~ '^[0-9]{3}-?[0-9]{4}$'),
  nd          boolean NOT NULL DEFAULT false,
  sb          boolean NOT NULL DEFAULT false,
  ar          boolean NOT NULL DEFAULT false,
  CONSTRAINT enrollment_lost_after_acquired CHECK (lost_on >= acquired_on),
  CONSTRAINT enrollment_insurance_card UNIQUE NULLS NOT DISTINCT (insurer_no, symbol, number, branch)
);
COMMENT ON TABLE dvflag.enrollment IS '資格: one person (link_no, 紐付番号) in one insurer; nd 不開示該当フラグ, sb 自己情報提供不可フラグ, ar 自動応答不可フラグ';
COMMENT ON COLUMN dvflag.enrollment.nd IS '不開示該当フラグ: hides the address on insurance-card and disaster paths, from any past insurer on';
COMMENT ON COLUMN dvflag.enrollment.sb IS '自己情報提供不可フラグ: on the latest enrollment, blocks the card paths and hides the address';
COMMENT ON COLUMN dvflag.enrollment.ar IS '自動応答不可フラグ: answers to requesters wait for staff';
CREATE INDEX enrollment_person ON dvflag.enrollment (link_no);
CREATE INDEX enrollment_disaster_kana ON dvflag.enrollment (birth_date, dvflag.fold(kana));
CREATE INDEX enrollment_disaster_name ON dvflag.enrollment (birth_date, dvflag.fold(name));

-- No planner statistics of personal data.  Insurer staff may EXPLAIN
-- queries on this table, and row estimates drawn from most-common values
-- and histograms would tell them other insurers' addresses, names and card
-- numbers.  Every dvflag lookup is by a unique or selective index, so the
-- plans do not need them.
ALTER TABLE dvflag.enrollment
  ALTER COLUMN link_no SET STATISTICS 0, ALTER COLUMN symbol SET STATISTICS 0,
  ALTER COLUMN number SET STATISTICS 0, ALTER COLUMN name SET STATISTICS 0,
  ALTER COLUMN kana SET STATISTICS 0, ALTER COLUMN birth_date SET STATISTICS 0,
  ALTER COLUMN address SET STATISTICS 0, ALTER COLUMN postcode SET STATISTICS 0,
  ALTER COLUMN nd SET STATISTICS 0, ALTER COLUMN sb SET STATISTICS 0,
  ALTER COLUMN ar SET STATISTICS 0;
ALTER INDEX dvflag.enrollment_disaster_kana ALTER COLUMN 2 SET STATISTICS 0;
ALTER INDEX dvflag.enrollment_disaster_name ALTER COLUMN 2 SET STATISTICS 0;

-- The effective state of each person, derived from their enrollments by the
-- rules in C and kept in step by the enrollment triggers, in the same
-- transaction as the change.  version is bumped by every recomputation so
-- that concurrent recomputations of one person always conflict.
CREATE TABLE dvflag.person (
  link_no     text COLLATE "C" PRIMARY KEY,
  latest_id   bigint,
  nd_eff      boolean NOT NULL DEFAULT false,
  sb_eff      boolean NOT NULL DEFAULT false,
  nd_retained boolean NOT NULL DEFAULT false,
  version     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- The lookup keys of the internal tables (person.link_no, card_serial, the
-- proxy pair) compare bytewise (COLLATE "C"): they are identifiers, and the
-- read paths look them up on every call.  card.link_no keeps the default
-- collation, like enrollment.link_no, so the two join on the index.
COMMENT ON TABLE dvflag.person IS 'derived: latest(P), ND_eff(P), SB_eff(P) per person; nd_retained keeps ND of purged enrollments';

-- マイナンバーカード, by its certificate serial, bound to a person.
CREATE TABLE dvflag.card (
  card_serial   text COLLATE "C" PRIMARY KEY CONSTRAINT card_serial_not_blank CHECK (NOT dvflag.is_blank(card_serial)),
  link_no       text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  stopped_at    timestamptz,
  stop_reason   text
);
CREATE INDEX card_person ON dvflag.card (link_no);

-- 代理人: agent may view principal's portal data.
CREATE TABLE dvflag.proxy (
  principal_link_no text COLLATE "C" NOT NULL,
  agent_link_no     text COLLATE "C" NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (principal_link_no, agent_link_no),
  CONSTRAINT proxy_not_self CHECK (principal_link_no <> agent_link_no)
);

-- Declared disasters: disaster-mode search works only inside one.
CREATE TABLE dvflag.disaster (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  starts      timestamptz NOT NULL,
  ends        timestamptz NOT NULL,
  note        text NOT NULL,
  declared_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  ended_at    timestamptz,
  CONSTRAINT disaster_ends_after_start CHECK (ends > starts)
);

-- Which login role works for which insurer.
CREATE TABLE dvflag.insurer_staff (
  staff      regrole NOT NULL,
  insurer_no text NOT NULL REFERENCES dvflag.insurer ON DELETE CASCADE,
  PRIMARY KEY (staff, insurer_no)
);

-- The audit trail: append-only (see the triggers).
CREATE TABLE dvflag.audit (
  id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  actor  text NOT NULL,
  client text,
  action text NOT NULL,
  target text,
  detail jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE dvflag.audit IS 'append-only audit: flag changes, card registrations and refusals, card stops, proxy changes, disaster searches';
COMMENT ON COLUMN dvflag.audit.actor IS 'the login role (session user)';
COMMENT ON COLUMN dvflag.audit.client IS 'the application''s own identity of the operator (setting dvflag.client)';
CREATE INDEX audit_at ON dvflag.audit (at);

ALTER TABLE dvflag.insurer       ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.enrollment    ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.person        ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.card          ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.proxy         ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.disaster      ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.insurer_staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.audit         ENABLE ROW LEVEL SECURITY;

-- sql/30_functions.sql
-- The SQL interface.  Every function is C with a pinned search_path (pg_temp
-- last so no temporary object can shadow anything) and names every object
-- it touches with its schema.  EXECUTE is granted per audience in
-- 50_grants.sql and revoked from PUBLIC.
--
-- The read paths and the admin functions are SECURITY DEFINER: they decide
-- nothing by who calls them beyond the EXECUTE grant.  The functions that
-- decide by the caller's role (admin or which insurer's staff) are SECURITY
-- INVOKER: they read the caller on entry, so that code of another role
-- (a definer function, an index expression run by ANALYZE) cannot lend
-- them a more privileged identity, and switch to the owner in C for their
-- own queries, as a definer function would.

-- The same columns on every path, so no path says more by its shape.
CREATE TYPE dvflag.qualification AS (
  insurer_no   text,
  insurer_name text,
  symbol       text,
  number       text,
  branch       text,
  acquired_on  date,
  lost_on      date,
  name         text,
  kana         text,
  sex          smallint,
  birth_date   date,
  address      text,
  postcode     text
);

-- RULES.md §3 row 1: every enrollment of P; none while SB_eff(P).
CREATE FUNCTION dvflag.portal_qualifications(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_qualifications'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 3
  SET search_path = pg_catalog, pg_temp;

-- §3 row 2: each enrollment E of P with SB_own(E) = 0.
CREATE FUNCTION dvflag.portal_self_info(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_self_info'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 3
  SET search_path = pg_catalog, pg_temp;

-- §3 row 4: P's current qualification by an active card; none while SB_eff(P).
CREATE FUNCTION dvflag.clinic_by_card(card_serial text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_card'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 1
  SET search_path = pg_catalog, pg_temp;

-- §3 row 5: the enrollment of that insurance card; address and postcode
-- NULL while hide_address(P).
CREATE FUNCTION dvflag.clinic_by_insurance_card(insurer_no text, symbol text, number text, branch text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_insurance_card'
  LANGUAGE C STABLE SECURITY DEFINER ROWS 1
  SET search_path = pg_catalog, pg_temp;

-- §3 row 6: disaster mode.  Every search is audited, also one refused with
-- DV002 or DV003 (in the server log); bad arguments (22023) search nothing.
CREATE FUNCTION dvflag.disaster_search(birth_date date, name text DEFAULT NULL,
                                       kana text DEFAULT NULL, address text DEFAULT NULL,
                                       insurer_name text DEFAULT NULL, sex smallint DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_disaster_search'
  LANGUAGE C VOLATILE SECURITY DEFINER ROWS 5
  SET search_path = pg_catalog, pg_temp;

-- §3 row 7: initial registration (初回登録) of a card; DV001 while SB_eff(P).
CREATE FUNCTION dvflag.register_card(card_serial text, insurer_no text, symbol text,
                                     number text, branch text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_register_card'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Stop a card (STEP1 of RULES.md §5): it answers nothing anywhere after.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.stop_card(card_serial text, reason text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_stop_card'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- The principal, with their card, names a proxy (代理人).
CREATE FUNCTION dvflag.set_proxy(card_serial text, agent_link_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_set_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- The principal, with their card, removes a proxy; true if one was removed.
CREATE FUNCTION dvflag.remove_proxy(card_serial text, agent_link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Staff or admin remove a proxy (STEP3 of RULES.md §5) when the principal
-- cannot: their card is stopped, or SB refuses a new one.  Acting function.
CREATE FUNCTION dvflag.remove_proxy_for(principal_link_no text, agent_link_no text, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy_for'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Set or clear one flag of one enrollment, with a reason; audited.
-- Returns true when the flag changed, false when it already had that value.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.set_flag(insurer_no text, symbol text, number text, branch text,
                                flag text, value boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_set_flag'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- Is this person a protected target (ND_eff or SB_eff)?  Staff and requesters.
CREATE FUNCTION dvflag.protected(link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_protected'
  LANGUAGE C STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Declare a disaster (disaster-mode search works from starts to ends).
CREATE FUNCTION dvflag.declare_disaster(starts timestamptz, ends timestamptz, note text)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_declare_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- End a declared disaster now.
CREATE FUNCTION dvflag.end_disaster(id bigint)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_end_disaster'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- Map a login role to an insurer (its enrollments become visible to it).
CREATE FUNCTION dvflag.grant_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_grant_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION dvflag.revoke_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_revoke_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- The insurers the current role is mapped to (used by the RLS policy).
-- Acting function: the current role is the one evaluating the policy.
CREATE FUNCTION dvflag.staff_insurers()
  RETURNS text[]
  AS 'MODULE_PATHNAME', 'dvflag_staff_insurers'
  LANGUAGE C STABLE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;

-- sql/40_triggers_policies.sql
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

-- sql/50_grants.sql
-- Privileges: nothing to PUBLIC; each audience EXECUTE on its functions.
-- Only dvflag_admin and dvflag_insurer touch tables, under the policies,
-- and only those API.md grants: enrollment, insurer (admin), audit (read).

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.qualification FROM PUBLIC;

GRANT USAGE ON SCHEMA dvflag TO dvflag_admin, dvflag_insurer, dvflag_portal,
  dvflag_clinic, dvflag_disaster, dvflag_requester, dvflag_auditor;
GRANT USAGE ON TYPE dvflag.qualification TO dvflag_portal, dvflag_clinic, dvflag_disaster;

GRANT EXECUTE ON FUNCTION dvflag.portal_qualifications(text, text),
                          dvflag.portal_self_info(text, text),
                          dvflag.register_card(text, text, text, text, text),
                          dvflag.set_proxy(text, text),
                          dvflag.remove_proxy(text, text)
  TO dvflag_portal;
GRANT EXECUTE ON FUNCTION dvflag.clinic_by_card(text),
                          dvflag.clinic_by_insurance_card(text, text, text, text)
  TO dvflag_clinic;
GRANT EXECUTE ON FUNCTION dvflag.disaster_search(date, text, text, text, text, smallint)
  TO dvflag_disaster;
GRANT EXECUTE ON FUNCTION dvflag.set_flag(text, text, text, text, text, boolean, text),
                          dvflag.stop_card(text, text),
                          dvflag.remove_proxy_for(text, text, text),
                          dvflag.protected(text),
                          dvflag.staff_insurers()
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.protected(text) TO dvflag_requester;
GRANT EXECUTE ON FUNCTION dvflag.declare_disaster(timestamptz, timestamptz, text),
                          dvflag.end_disaster(bigint),
                          dvflag.grant_insurer(regrole, text),
                          dvflag.revoke_insurer(regrole, text),
                          dvflag.fold(text),
                          dvflag.insurer_no_valid(text),
                          dvflag.is_blank(text)
  TO dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.fold(text), dvflag.insurer_no_valid(text), dvflag.is_blank(text)
  TO dvflag_insurer;

-- Insurer staff and admin work on enrollments directly, under RLS.
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.enrollment TO dvflag_insurer, dvflag_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.insurer TO dvflag_admin;
GRANT SELECT ON dvflag.audit TO dvflag_auditor, dvflag_admin;

-- Backups: pg_dump keeps the rows of every table and where each identity
-- stands (added after the release; the 1.1 update registers them again,
-- which changes nothing).
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.person', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.card', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.proxy', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer_staff', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.audit', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.disaster_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.audit_id_seq', '');
