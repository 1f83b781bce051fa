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

-- Is this text empty or only white space (ASCII blanks, U+00A0, U+3000)?
-- The table constraints use the same test as the functions' arguments.
CREATE FUNCTION dvflag.is_blank(text) RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_is_blank'
  LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
