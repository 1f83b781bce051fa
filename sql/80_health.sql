-- Health information (RULES.md §3a, seed 002 §1-1, §1-4, §1-5): medication
-- (薬剤情報), checkups (特定健診情報等) and medical-fee notices (医療費通知情報),
-- each record tied to one enrollment (個人単位被保険者番号).  The insurer
-- staff of the enrollment's insurer load them under row-level security, as
-- they load enrollments (INSERT, and COPY staged by src/copy.c); admin all.
-- No audience reads the table: the read paths below show the records by
-- the rules of src/rules.c (C, like the qualification paths: no definer
-- rights, no settings, EXECUTE their one gate).

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
COMMENT ON COLUMN dvflag.health_record.id IS 'identity, in the order the records were loaded';
COMMENT ON COLUMN dvflag.health_record.enrollment_id IS 'the enrollment (個人単位被保険者番号) the record belongs to; it goes with it';
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
COMMENT ON FUNCTION dvflag.portal_health(text, text, text) IS
  'every health record of the card''s person (or principal), institutions shown; none while SB_eff (RULES.md §3a row 1); portal';

-- §3a row 2: P's medication and checkups at a clinic or pharmacy, with the
-- patient's consent (22023 without); none while SB_eff(P); no institution
-- name; the code only when not hide_address(P).  Audited.
CREATE FUNCTION dvflag.clinic_health_by_card(card_serial text, consent boolean, kind text DEFAULT NULL)
  RETURNS SETOF dvflag.health_info
  AS 'MODULE_PATHNAME', 'dvflag_clinic_health_by_card'
  LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION dvflag.clinic_health_by_card(text, boolean, text) IS
  'with consent: medication and checkups of the card''s person; none while SB_eff, no institution name (RULES.md §3a row 2); audited; clinic';

-- §3a row 4: while a disaster is declared (DV002 otherwise), P's medication
-- and checkups by the exact insurance card of one of P's enrollments, with
-- consent; shown also while SB_eff(P), institutions as on the clinic path.
-- Audited.
CREATE FUNCTION dvflag.disaster_health(insurer_no text, symbol text, number text, branch text,
                                       consent boolean, kind text DEFAULT NULL)
  RETURNS SETOF dvflag.health_info
  AS 'MODULE_PATHNAME', 'dvflag_disaster_health'
  LANGUAGE C VOLATILE ROWS 10;
COMMENT ON FUNCTION dvflag.disaster_health(text, text, text, text, boolean, text) IS
  'while a disaster is declared, with consent: medication and checkups by an insurance card, also under SB_eff (RULES.md §3a row 4); audited; disaster';

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
