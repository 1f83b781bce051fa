-- Insurers, enrollments and persons (RULES.md §1, §2, §9): the data the
-- insurers own, the effective state of each person derived from it, the
-- staff-to-insurer mapping, and the functions that change flags.

-- 保険者: a health insurer.
CREATE TABLE dvflag.insurer (
  insurer_no text PRIMARY KEY
    CONSTRAINT insurer_no_valid CHECK (dvflag.insurer_no_valid(insurer_no)),
  name       text NOT NULL CONSTRAINT insurer_name_not_blank CHECK (NOT dvflag.is_blank(name))
);
COMMENT ON TABLE dvflag.insurer IS '保険者: insurers; insurer_no is 8 digits with a check digit, or 6 digits (municipal NHI)';
COMMENT ON COLUMN dvflag.insurer.insurer_no IS '保険者番号: 8 digits with a check digit, or 6 digits for municipal NHI (市町村国保)';
COMMENT ON COLUMN dvflag.insurer.name IS '保険者名称: the name the read paths show and the disaster search matches a fragment of';

-- Every backend caches insurers' names (store.c); a change of the table
-- makes them forget.  C that resolves no names: no definer rights.
CREATE FUNCTION dvflag.insurer_changed()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_insurer_changed'
  LANGUAGE C SECURITY INVOKER;
COMMENT ON FUNCTION dvflag.insurer_changed() IS
  'trigger: makes every backend forget its cached insurer names after a change of dvflag.insurer; no role calls it';
CREATE TRIGGER insurer_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dvflag.insurer
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.insurer_changed();
ALTER TABLE dvflag.insurer ENABLE ALWAYS TRIGGER insurer_changed;

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
  link_no     text COLLATE "C" NOT NULL,
  latest_id   bigint,
  nd_eff      boolean NOT NULL DEFAULT false,
  sb_eff      boolean NOT NULL DEFAULT false,
  nd_retained boolean NOT NULL DEFAULT false,
  version     bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  sb_carried_from  bigint,
  sb_carried_since timestamptz,
  -- the read paths take a person's flags from this index alone while the
  -- row's page is visible to all (src/store.c, dv_person_flags)
  CONSTRAINT person_pkey PRIMARY KEY (link_no) INCLUDE (nd_eff, sb_eff)
);
-- The lookup keys of the internal tables (person.link_no, card_serial, the
-- proxy pair) compare bytewise (COLLATE "C"): they are identifiers, and the
-- read paths look them up on every call.  card.link_no keeps the default
-- collation, like enrollment.link_no, so the two join on the index.
COMMENT ON TABLE dvflag.person IS 'derived: latest(P), ND_eff(P), SB_eff(P) per person; nd_retained keeps ND of purged enrollments';
COMMENT ON COLUMN dvflag.person.sb_carried_from IS 'the enrollment whose SB a move carried over onto latest(P) (RULES.md §5), until its insurer decides';
COMMENT ON COLUMN dvflag.person.link_no IS '紐付番号: the person';
COMMENT ON COLUMN dvflag.person.latest_id IS 'the enrollment that is latest(P) (RULES.md §2)';
COMMENT ON COLUMN dvflag.person.nd_eff IS 'ND_eff(P): ND on any enrollment of the person, past or present, or retained';
COMMENT ON COLUMN dvflag.person.sb_eff IS 'SB_eff(P): SB of latest(P), or carried over a move onto it';
COMMENT ON COLUMN dvflag.person.nd_retained IS 'ND of enrollments purged by retention, still in force';
COMMENT ON COLUMN dvflag.person.version IS 'bumped by every recomputation, so that concurrent recomputations of one person conflict';
COMMENT ON COLUMN dvflag.person.updated_at IS 'when the state was last recomputed';
COMMENT ON COLUMN dvflag.person.sb_carried_since IS 'since when the SB of sb_carried_from is carried';
-- The persons whose SB is carried, by their latest enrollment (sb_carried()).
CREATE INDEX person_sb_carried ON dvflag.person (latest_id) WHERE sb_carried_from IS NOT NULL;

-- Which login role works for which insurer.
CREATE TABLE dvflag.insurer_staff (
  staff      regrole NOT NULL,
  insurer_no text NOT NULL REFERENCES dvflag.insurer ON DELETE CASCADE,
  PRIMARY KEY (staff, insurer_no)
);
COMMENT ON TABLE dvflag.insurer_staff IS 'which login (or group) role works for which insurer: written by grant_insurer() and revoke_insurer()';
COMMENT ON COLUMN dvflag.insurer_staff.staff IS 'the role: its members that may SET ROLE to it work for the insurer';
COMMENT ON COLUMN dvflag.insurer_staff.insurer_no IS 'the insurer whose enrollments and health records the role sees and writes';

ALTER TABLE dvflag.insurer       ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.enrollment    ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.person        ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.insurer_staff ENABLE ROW LEVEL SECURITY;

-- After any change of enrollments: audit flag changes (a reason is
-- required), recompute the effective state of every person touched, and
-- audit changes of protection (a reason is required to lower it).  An
-- acting function: it records the role running the statement.  Its
-- statements are planned once, generically, and dvflag keeps no planner
-- statistics on link_no: the estimates are those of a large join, and
-- above jit_above_cost every one-row set_flag paid for JIT compilation
-- (118 ms a change at 10M persons).  Its plans are index lookups that JIT
-- cannot speed up.  Its C symbol carries 1.3: the rule that a move carries
-- SB over needs person.sb_carried_from, which 1.2's schema has not.
CREATE FUNCTION dvflag.enrollment_changed()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_enrollment_changed_1_3'
  LANGUAGE C SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.enrollment_changed() IS
  'trigger: audits flag changes (a reason required), recomputes each touched person''s dvflag.person and audits protection changes; no role calls it';

CREATE TRIGGER enrollment_inserted AFTER INSERT ON dvflag.enrollment
  REFERENCING NEW TABLE AS dvflag_new
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();
CREATE TRIGGER enrollment_updated AFTER UPDATE ON dvflag.enrollment
  REFERENCING OLD TABLE AS dvflag_old NEW TABLE AS dvflag_new
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();
CREATE TRIGGER enrollment_deleted AFTER DELETE ON dvflag.enrollment
  REFERENCING OLD TABLE AS dvflag_old
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.enrollment_changed();
-- TRUNCATE would change flags without an audit.
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
COMMENT ON FUNCTION dvflag.person_guard() IS
  'trigger: refuses to delete a person row while the person has an enrollment or retains ND; no role calls it';
CREATE TRIGGER person_no_delete BEFORE DELETE ON dvflag.person
  FOR EACH ROW EXECUTE FUNCTION dvflag.person_guard();
CREATE TRIGGER person_no_truncate BEFORE TRUNCATE ON dvflag.person
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.person_guard();

-- ENABLE ALWAYS: session_replication_role = replica does not silence them.
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_inserted;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_updated;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_deleted;
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_no_truncate;
ALTER TABLE dvflag.person ENABLE ALWAYS TRIGGER person_no_delete;
ALTER TABLE dvflag.person ENABLE ALWAYS TRIGGER person_no_truncate;

-- Set or clear one flag of one enrollment, with a reason; audited.
-- Returns true when the flag changed, false when it already had that value.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.set_flag(insurer_no text, symbol text, number text, branch text,
                                flag text, value boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_set_flag'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.set_flag(text, text, text, text, text, boolean, text) IS
  'sets or clears nd, sb or ar of one enrollment, with a reason, audited; true if it changed; insurer staff (their insurers), admin';

-- Is this person a protected target (ND_eff or SB_eff)?  Staff and
-- requesters.  Every call is audited (in the server log too: a question
-- asked in a transaction rolled back is still recorded), so VOLATILE.
CREATE FUNCTION dvflag.protected(link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_protected'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.protected(text) IS
  'is this person a protected target (ND_eff or SB_eff; false if unknown)? audited; insurer staff, requester, admin';

-- RULES.md §5: a move carries SB over onto the new latest enrollment until
-- its insurer's staff decide.  The persons whose SB is carried onto the
-- caller's insurers' enrollments (admin: all), with since when.
CREATE FUNCTION dvflag.sb_carried()
  RETURNS TABLE (insurer_no text, symbol text, number text, branch text, link_no text,
                 since timestamptz)
  AS 'MODULE_PATHNAME', 'dvflag_sb_carried'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.sb_carried() IS
  'the persons whose SB a move carried onto the caller''s insurers'' enrollments, and since when (RULES.md §5); insurer staff, admin (all)';

-- The decision on a carried SB: keep sets SB on that enrollment, otherwise
-- the carried SB ends; both audited with the reason.  True when an SB was
-- carried onto it, false when there was nothing to decide.
CREATE FUNCTION dvflag.decide_carried_sb(insurer_no text, symbol text, number text, branch text,
                                         keep boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_decide_carried_sb'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.decide_carried_sb(text, text, text, text, boolean, text) IS
  'decides a carried SB: keep sets SB on that enrollment, otherwise it ends; audited; false if none was carried; insurer staff, admin';

-- Map a login role to an insurer (its enrollments become visible to it).
CREATE FUNCTION dvflag.grant_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_grant_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.grant_insurer(regrole, text) IS
  'maps a role to an insurer: its members (insurer staff) see and write that insurer''s enrollments; admin';

CREATE FUNCTION dvflag.revoke_insurer(role regrole, insurer_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_revoke_insurer'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.revoke_insurer(regrole, text) IS
  'removes the mapping of a role to an insurer; admin';

-- The insurers the current role is mapped to (used by the RLS policy).
-- Acting function: the current role is the one evaluating the policy.
CREATE FUNCTION dvflag.staff_insurers()
  RETURNS text[]
  AS 'MODULE_PATHNAME', 'dvflag_staff_insurers'
  LANGUAGE C STABLE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.staff_insurers() IS
  'the insurers the current role is mapped to (the read check of the staff''s row-level security); insurer staff, admin';

-- The write check of the staff's policy, asked for every row written: the
-- current role's insurers are read once per statement and hashed (an ANY
-- over the array would compare each row with every insurer of the role).
-- C that resolves no names: no definer rights, no settings.
CREATE FUNCTION dvflag.is_staff_of(insurer_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_staff_of'
  LANGUAGE C STABLE STRICT SECURITY INVOKER;
COMMENT ON FUNCTION dvflag.is_staff_of(text) IS
  'is the current role mapped to this insurer? the write check of the staff''s row-level security; insurer staff, admin';

-- Insurer staff: their mapped insurers' enrollments, nothing else.  The
-- sub-select makes the mapping an InitPlan, read once per statement (and
-- lets a staff's SELECT use the index on insurer_no).  The
-- other tables here (person, insurer_staff) have no policy: only dvflag's
-- functions reach them.
CREATE POLICY enrollment_staff ON dvflag.enrollment FOR ALL TO dvflag_insurer
  USING (insurer_no OPERATOR(pg_catalog.=) ANY ((SELECT dvflag.staff_insurers())::pg_catalog.text[]))
  WITH CHECK (dvflag.is_staff_of(insurer_no));
CREATE POLICY enrollment_admin ON dvflag.enrollment FOR ALL TO dvflag_admin
  USING (true) WITH CHECK (true);
CREATE POLICY insurer_admin ON dvflag.insurer FOR ALL TO dvflag_admin
  USING (true) WITH CHECK (true);

-- Privileges: nothing to PUBLIC.  Insurer staff and admin work on
-- enrollments directly, under the policies.
REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.set_flag(text, text, text, text, text, boolean, text),
                          dvflag.protected(text),
                          dvflag.staff_insurers(),
                          dvflag.is_staff_of(text)
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.sb_carried(),
                          dvflag.decide_carried_sb(text, text, text, text, boolean, text)
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.protected(text) TO dvflag_requester;
GRANT EXECUTE ON FUNCTION dvflag.grant_insurer(regrole, text),
                          dvflag.revoke_insurer(regrole, text),
                          dvflag.fold(text),
                          dvflag.insurer_no_valid(text),
                          dvflag.is_blank(text)
  TO dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.fold(text), dvflag.insurer_no_valid(text), dvflag.is_blank(text)
  TO dvflag_insurer;
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.enrollment TO dvflag_insurer, dvflag_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON dvflag.insurer TO dvflag_admin;

-- Backups: pg_dump keeps the rows, and where the identity stands.
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.person', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.insurer_staff', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.enrollment_id_seq', '');
