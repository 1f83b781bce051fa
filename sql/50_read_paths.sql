-- The read paths of the audiences (RULES.md §3 rows 1, 2, 4, 5): C that
-- reads by direct index lookups (src/store.c) and applies the rules of
-- src/rules.c.  A hidden column is NULL and a hidden row is absent, with no
-- marker of why.
--
-- They need no definer rights and no pinned search_path, and have neither
-- (1.3): they resolve no name (the relations are found once by OID in
-- schema dvflag, the operators are C functions called by OID) and read the
-- heap and the indexes directly, which checks no table privilege and no
-- policy.  EXECUTE, granted to their audience only, is the one gate; the
-- disaster search writes its audit row as the extension's owner, in C.
-- check() reports one of them given definer rights or settings.

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
COMMENT ON TYPE dvflag.qualification IS 'an enrollment as the read paths show it, the same columns on every path; a hidden column is NULL';

-- RULES.md §3 row 1: every enrollment of P; none while SB_eff(P).
CREATE FUNCTION dvflag.portal_qualifications(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_qualifications'
  LANGUAGE C STABLE ROWS 3;
COMMENT ON FUNCTION dvflag.portal_qualifications(text, text) IS
  'every enrollment of the card''s person (or of the principal, for a proxy); none while SB_eff (RULES.md §3 row 1); portal';

-- §3 row 2: each enrollment E of P with SB_own(E) = 0.
CREATE FUNCTION dvflag.portal_self_info(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_portal_self_info'
  LANGUAGE C STABLE ROWS 3;
COMMENT ON FUNCTION dvflag.portal_self_info(text, text) IS
  'each enrollment of the card''s person (or principal) whose own SB is not set (RULES.md §3 row 2); portal';

-- §3 row 4: P's current qualification by an active card; none while SB_eff(P).
CREATE FUNCTION dvflag.clinic_by_card(card_serial text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_card'
  LANGUAGE C STABLE ROWS 1;
COMMENT ON FUNCTION dvflag.clinic_by_card(text) IS
  'the current qualification of the person of an active card; none while SB_eff (RULES.md §3 row 4); clinic';

-- §3 row 5: the enrollment of that insurance card; address and postcode
-- NULL while hide_address(P).
CREATE FUNCTION dvflag.clinic_by_insurance_card(insurer_no text, symbol text, number text, branch text)
  RETURNS SETOF dvflag.qualification
  AS 'MODULE_PATHNAME', 'dvflag_clinic_by_insurance_card'
  LANGUAGE C STABLE ROWS 1;
COMMENT ON FUNCTION dvflag.clinic_by_insurance_card(text, text, text, text) IS
  'the enrollment of that insurance card, address and postcode NULL while hide_address (RULES.md §3 row 5); clinic';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.qualification FROM PUBLIC;
GRANT USAGE ON TYPE dvflag.qualification TO dvflag_portal, dvflag_clinic, dvflag_disaster;
GRANT EXECUTE ON FUNCTION dvflag.portal_qualifications(text, text),
                          dvflag.portal_self_info(text, text)
  TO dvflag_portal;
GRANT EXECUTE ON FUNCTION dvflag.clinic_by_card(text),
                          dvflag.clinic_by_insurance_card(text, text, text, text)
  TO dvflag_clinic;
