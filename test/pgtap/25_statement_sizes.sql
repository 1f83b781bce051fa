-- The person summary stays right whatever the size of the statement that
-- changes enrollments.  The trigger keeps its plans for the life of the
-- backend, so one session here runs one-row and thousand-row statements
-- of every kind, in turns, and after each compares dvflag.person with the
-- rules recomputed in plain SQL: ND on any enrollment, SB of latest(P)
-- (greater acquired_on, then current, then greater lost_on, then greater
-- id), or the SB a move carried over.
BEGIN;
SELECT plan(17);
INSERT INTO dvflag.insurer (insurer_no, name) VALUES
  ('01130012', '全国健康保険協会 東京支部'), ('06132013', 'さくら健康保険組合'), ('131136', '渋谷区 国民健康保険');

-- persons whose summary disagrees with their enrollments
\i test/fixtures/rules_in_sql.sql
SET LOCAL dvflag.reason = 'statement sizes test';

-- one row, then 3,000 persons with two enrollments each (A then B)
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on)
VALUES ('P-ONE', '01130012', 'A1', '1', '00', '2010-04-01', NULL);
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, nd, sb)
SELECT 'P' || g, '01130012', 'A1', 'a' || g, '00', '2010-04-01', '2016-04-01', g % 7 = 0, g % 5 = 0
  FROM generate_series(1, 3000) AS g;
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, sb)
SELECT 'P' || g, '06132013', 'B2', 'b' || g, '00', '2016-04-01', NULL, g % 3 = 0
  FROM generate_series(1, 3000) AS g;
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after a one-row and two 3,000-row INSERTs');
SELECT is((SELECT count(*) FROM dvflag.person WHERE sb_eff), 1400::bigint,
          'SB of the latest (B) governs, and A''s carries over where B has none: 1,000 + 600 - 200');

-- a one-row UPDATE, then one of 3,000 rows, then one row again
UPDATE dvflag.enrollment SET sb = true WHERE number = 'b1';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after a one-row UPDATE');
UPDATE dvflag.enrollment SET sb = NOT sb, nd = (number LIKE 'b%' AND length(number) = 3)
 WHERE insurer_no = '06132013';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after a 3,000-row UPDATE of flags');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'via' = 'UPDATE'
             AND detail->>'flag' = 'sb'), 3001::bigint, 'every SB change of the UPDATEs is audited, once');
UPDATE dvflag.enrollment SET sb = false WHERE number = 'b2';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after a one-row UPDATE again');

-- re-linking many rows at once: both the old and the new person change
UPDATE dvflag.enrollment SET link_no = 'Q' || substr(link_no, 2)
 WHERE insurer_no = '06132013' AND number LIKE 'b1%';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after re-linking 1,111 enrollments to new persons');
SELECT is((SELECT count(*) FROM dvflag.person WHERE link_no LIKE 'Q%'), 1111::bigint,
          'the new persons have rows');

-- moves: 2,000 existing persons join C (the latest now), SB there for some
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, sb)
SELECT 'P' || g, '131136', 'c' || g, '00', '2021-04-01', g % 11 = 0
  FROM generate_series(1001, 3000) AS g;
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after 2,000 moves to a new insurer in one INSERT');
-- a tie on acquired_on: the current one is later than the lost one
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, sb)
SELECT 'P' || g, '01130012', 'A1', 't' || g, '00', '2021-04-01', '2022-04-01', true
  FROM generate_series(2001, 2500) AS g;
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after 500 same-day enrollments already lost');

-- DELETE: one row, then many
DELETE FROM dvflag.enrollment WHERE number = 'c1012';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after a one-row DELETE');
DELETE FROM dvflag.enrollment WHERE insurer_no = '131136' AND number < 'c2';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after deleting many enrollments at once');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'via' = 'DELETE'),
          (SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'via' = 'INSERT'
              AND detail->>'flag' = 'sb' AND target LIKE '131136//c1%' AND target <> '131136//c1012/00'
              AND detail->>'new' = 'true') + 1,
          'each set flag of a deleted row is audited as a change to false');

-- an UPDATE touching no row, and one changing nothing
UPDATE dvflag.enrollment SET sb = true WHERE number = 'none';
UPDATE dvflag.enrollment SET address = '東京都' WHERE insurer_no = '01130012';
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'after UPDATEs that change no flag');

-- a many-row UPDATE of another column, and an id change refused
SELECT lives_ok($$UPDATE dvflag.enrollment SET number = number || 'x' WHERE insurer_no = '06132013'$$,
                'a many-row UPDATE that keeps ids works');
SELECT is(pg_temp.persons_against_rules(), 0::bigint, 'and the summary still agrees');
SELECT throws_ok($$UPDATE dvflag.enrollment SET id = DEFAULT WHERE insurer_no = '06132013'$$,
                 '428C9', NULL, 'ids of a many-row UPDATE never change');

SELECT * FROM finish();
ROLLBACK;
