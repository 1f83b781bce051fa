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
