-- Inquiries without My Number (RULES.md §7, seed 003): insurer staff
-- answering a municipality's inquiry match kana, birth date and sex, within
-- their own insurers.

-- §7: staff answer a municipality's inquiry without My Number: kana, birth
-- date and sex exactly, within their own insurers; 'match', 'no_match', or
-- 'several' (ask for the acquisition or loss period and call again with
-- it).  Every inquiry is audited with the inquirer's institution,
-- department and name.  sex is integer, its C symbol that of 1.3 (as for
-- disaster_search).
CREATE FUNCTION dvflag.inquiry_without_my_number(kana text, birth_date date, sex integer,
                                                 institution text, department text, inquirer text,
                                                 acquired_between daterange DEFAULT NULL,
                                                 lost_between daterange DEFAULT NULL)
  RETURNS TABLE (status text, candidates integer, link_no text, protected boolean,
                 insurer_no text, insurer_name text, symbol text, number text, branch text,
                 acquired_on date, lost_on date, name text, kana text, sex smallint,
                 birth_date date, address text, postcode text)
  AS 'MODULE_PATHNAME', 'dvflag_inquiry_without_my_number_1_3'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 1
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.inquiry_without_my_number(text, date, integer, text, text, text, daterange, daterange) IS
  'a municipality''s inquiry without My Number (RULES.md §7): match, no_match or several by kana, birth date and sex; audited; insurer staff';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
-- Inquiries are answered by staff within their own insurers (admin has none).
GRANT EXECUTE ON FUNCTION dvflag.inquiry_without_my_number(text, date, integer, text, text, text,
                                                           daterange, daterange)
  TO dvflag_insurer;
