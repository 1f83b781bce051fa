-- Helpers: the immutable C functions the table constraints and indexes
-- use, and the trigger function that refuses what would bypass the audit.
--
-- Every function of dvflag is C or SQL with a pinned search_path
-- (pg_catalog, then pg_temp, so that no temporary object can shadow
-- anything) and names every object it touches with its schema.  EXECUTE is
-- revoked from PUBLIC at the end of each file and granted per audience.
-- Two kinds:
--   - SECURITY DEFINER: functions that decide nothing by who calls them
--     beyond the EXECUTE grant (the read paths, the portal's writes, the
--     admin's disaster and mapping functions);
--   - SECURITY INVOKER ("acting" functions): those that decide by the
--     caller's role (admin, or staff of which insurers).  They read the
--     caller on entry, so that code of another role (a definer function, an
--     index expression run by ANALYZE) cannot lend them a more privileged
--     identity, and switch to the extension's owner in C for their own
--     queries, as a definer function would.
-- A C function's symbol carries the version whose behaviour it has when an
-- index or CHECK uses it (fold, is_blank: 1.0's are *_1_0).

-- The one definition of "the same name": width, spaces, hiragana/katakana.
CREATE FUNCTION dvflag.fold(text) RETURNS text
  AS 'MODULE_PATHNAME', 'dvflag_fold'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dvflag.fold(text) IS
  'name and kana folded for matching: full/half width, spaces (incl. U+3000) dropped, hiragana as katakana';

-- Is this a valid insurer number (8 digits with check digit, or 6 digits)?
CREATE FUNCTION dvflag.insurer_no_valid(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_insurer_no_valid'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dvflag.insurer_no_valid(text) IS
  'true for an 8-digit insurer number with a correct check digit, or a 6-digit municipal NHI number';

-- Is this text empty or only white space (every Unicode White_Space)?
-- The table constraints use the same test as the functions' arguments.
CREATE FUNCTION dvflag.is_blank(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_blank'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dvflag.is_blank(text) IS
  'true for text that is empty or only white space (any Unicode White_Space), the test of the CHECKs; admin, insurer staff';

-- Refuse what would bypass the audit: UPDATE, DELETE or TRUNCATE of an
-- append-only table, TRUNCATE of dvflag.enrollment.  Its triggers are
-- ENABLE ALWAYS: session_replication_role = replica does not skip them.
CREATE FUNCTION dvflag.refuse_change()
  RETURNS trigger
  AS 'MODULE_PATHNAME', 'dvflag_refuse_change'
  LANGUAGE C SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.refuse_change() IS
  'trigger: refuses UPDATE, DELETE and TRUNCATE of the append-only tables and TRUNCATE of enrollment; no role calls it';
