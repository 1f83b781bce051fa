-- Immutable helpers in C, needed by the table constraints and indexes.

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
