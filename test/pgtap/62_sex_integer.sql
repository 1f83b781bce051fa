-- sex is integer on every function that takes it (1.3): a literal
-- (sex => 2), an integer parameter ($1::int) and a smallint all work, and a
-- code other than 0, 1, 2 or 9 is 22023 with a hint.  1.2 had smallint,
-- which made sex => 2 fail with 42883.
BEGIN;
SELECT plan(12);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_c', '131136') AS granted \gset
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'sex tests') AS disaster_id \gset

SELECT is(pg_get_function_identity_arguments(p.oid) ~ 'sex integer', true, p.proname || ': sex integer')
  FROM pg_proc p
 WHERE p.pronamespace = 'dvflag'::regnamespace AND p.proname IN ('disaster_search', 'inquiry_without_my_number')
 ORDER BY p.proname;

-- The SQLSTATE and hint of a statement's error.
CREATE FUNCTION pg_temp.error_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  code text;
  hint text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, hint = PG_EXCEPTION_HINT;
  RETURN code || ': ' || hint;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.error_of(text) TO PUBLIC;

SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険', sex => 2)),
          3::bigint, 'disaster_search: sex => 2 finds the three enrollments of a woman');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険', sex => 1)),
          0::bigint, 'disaster_search: sex => 1 finds none of them');
PREPARE search(int) AS
  SELECT count(*) FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険', sex => $1);
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険',
                                                         sex => 2::smallint)),
          3::bigint, 'disaster_search: a smallint still works');
SELECT results_eq('EXECUTE search(2)', ARRAY[3::bigint], 'disaster_search: an integer parameter ($1::int) works');
SELECT is(pg_temp.error_of($$SELECT * FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ',
                                                                  insurer_name => '保険', sex => 3)$$),
          '22023: Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable), or NULL.',
          'disaster_search: sex => 3 is 22023, and the hint gives the codes');
RESET ROLE;

SET ROLE t_staff_c;
SELECT is((SELECT status || ' ' || number FROM dvflag.inquiry_without_my_number('サトウ ミサキ', '1990-07-01', 2,
                                                                               '横浜市', '介護保険課', '山本')),
          'match 1002', 'inquiry_without_my_number: sex 2 matches');
PREPARE inquiry(int) AS
  SELECT status FROM dvflag.inquiry_without_my_number('サトウ ミサキ', '1990-07-01', $1, '横浜市', '介護保険課', '山本');
SELECT results_eq('EXECUTE inquiry(1)', ARRAY['no_match'], 'inquiry_without_my_number: an integer parameter works');
SELECT is((SELECT status FROM dvflag.inquiry_without_my_number('サトウ ミサキ', '1990-07-01', 2::smallint,
                                                              '横浜市', '介護保険課', '山本')),
          'match', 'inquiry_without_my_number: a smallint still works');
SELECT is(pg_temp.error_of($$SELECT * FROM dvflag.inquiry_without_my_number('サトウ ミサキ', '1990-07-01', 3,
                                                                            '横浜市', '介護保険課', '山本')$$),
          '22023: Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable).',
          'inquiry_without_my_number: sex 3 is 22023, and the hint gives the codes');
SELECT is(pg_temp.error_of($$SELECT * FROM dvflag.inquiry_without_my_number('サトウ ミサキ', '1990-07-01', 70000,
                                                                            '横浜市', '介護保険課', '山本')$$),
          '22023: Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable).',
          'inquiry_without_my_number: an integer beyond smallint is 22023 too, not an overflow');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
