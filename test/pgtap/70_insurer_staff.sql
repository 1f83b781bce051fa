-- Insurer staff (RULES.md §3 row 8, §9; API.md "Data the insurers own"):
-- members of dvflag_insurer reach the enrollments of the insurers mapped to
-- them by dvflag.grant_insurer and no others; writing another insurer's row
-- is refused with 42501; set_flag and stop_card check the right to act
-- before anything else.  A = 01130012, B = 06132013, C = 131136.
BEGIN;
SELECT plan(70);
\i test/fixtures/worked_examples.sql

-- one more person, enrolled at C only, with a card
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on,
                               name, kana, sex, birth_date, address, postcode)
VALUES ('ONLY-C', '131136', NULL, '1006', '00', '2022-04-01',
        '伊藤 翼', 'イトウ ツバサ', 1, '1995-03-03', '大阪府大阪市北区梅田6-6-6', '530-0001');
SELECT dvflag.register_card('CARD-ONLY-C', '131136', NULL, '1006', '00') AS registered \gset

CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_none LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_team_b NOLOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_g LOGIN IN ROLE t_team_b;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
SELECT dvflag.grant_insurer('t_staff_a', '01130012') AS a \gset
SELECT dvflag.grant_insurer('t_staff_b', '06132013') AS b \gset
SELECT dvflag.grant_insurer('t_staff_c', '131136') AS c \gset

-- The number of rows a statement affected, as the current role.
CREATE FUNCTION pg_temp.affected(stmt text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
  n bigint;
BEGIN
  EXECUTE stmt;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$f$;
-- What the insurers' rows look like to the superuser, to show they did not change.
CREATE FUNCTION pg_temp.rows_of(ins text) RETURNS text LANGUAGE sql AS $f$
  SELECT count(*) || ':' || md5(coalesce(string_agg(e::text, ',' ORDER BY e.id), ''))
    FROM dvflag.enrollment e WHERE e.insurer_no = ins;
$f$;
CREATE TEMP TABLE b_before AS SELECT pg_temp.rows_of('06132013') AS state;
GRANT SELECT ON b_before TO PUBLIC;

-- SELECT: only the mapped insurer's enrollments
SET ROLE t_staff_a;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 5::bigint, 'staff of A see 5 enrollments');
SELECT is((SELECT array_agg(DISTINCT insurer_no) FROM dvflag.enrollment), ARRAY['01130012'],
          'staff of A see only A''s enrollments');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no = '06132013'), 0::bigint,
          'staff of A see none of B''s enrollments, even when asking for them');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE link_no = 'ONLY-C'), 0::bigint,
          'staff of A do not see a person enrolled only at C');
SELECT is(dvflag.staff_insurers(), ARRAY['01130012'], 'staff_insurers() of staff of A is {A}');
SET ROLE t_staff_b;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 5::bigint, 'staff of B see 5 enrollments');
SELECT is((SELECT array_agg(DISTINCT insurer_no) FROM dvflag.enrollment), ARRAY['06132013'],
          'staff of B see only B''s enrollments');
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 6::bigint, 'staff of C see 6 enrollments');
SET ROLE t_staff_none;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 0::bigint, 'staff mapped to no insurer see nothing');
SELECT is(dvflag.staff_insurers(), '{}'::text[], 'staff_insurers() of unmapped staff is empty');

-- INSERT, UPDATE, DELETE
SET ROLE t_staff_a;
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('NEW-PERSON', '06132013', 'B2', '2001', '00', '2020-04-01')$$,
                 '42501', NULL, 'staff of A: INSERT of a row of B -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01'),
                          ('NEW-PERSON', '06132013', 'B2', '2001', '00', '2020-04-01')$$,
                 '42501', NULL, 'staff of A: INSERT of a row of A and a row of B in one statement -> 42501');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                  VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01')$$,
                'staff of A: INSERT of a row of A works');
SELECT is((SELECT count(*) FROM dvflag.enrollment), 6::bigint, 'staff of A see the row they inserted');
SELECT throws_ok($$UPDATE dvflag.enrollment SET insurer_no = '06132013', symbol = 'B2', number = '2002'
                    WHERE link_no = 'NEW-PERSON'$$,
                 '42501', NULL, 'staff of A: UPDATE moving a row of A to B -> 42501');
SELECT throws_ok($$UPDATE dvflag.enrollment SET insurer_no = '131136', symbol = NULL, number = '2002'
                    WHERE link_no = 'NEW-PERSON'$$,
                 '42501', NULL, 'staff of A: UPDATE moving a row of A to C -> 42501');
SELECT is(pg_temp.affected($$UPDATE dvflag.enrollment SET address = '書き換え' WHERE insurer_no = '06132013'$$),
          0::bigint, 'staff of A: UPDATE of B''s rows affects 0 rows');
SELECT is(pg_temp.affected($$UPDATE dvflag.enrollment SET address = '書き換え' WHERE link_no = 'ONLY-C'$$),
          0::bigint, 'staff of A: UPDATE of a person enrolled only at C affects 0 rows');
SELECT is(pg_temp.affected($$DELETE FROM dvflag.enrollment WHERE insurer_no = '06132013'$$),
          0::bigint, 'staff of A: DELETE of B''s rows affects 0 rows');
SELECT is(pg_temp.affected($$DELETE FROM dvflag.enrollment WHERE link_no = 'ONLY-C'$$),
          0::bigint, 'staff of A: DELETE of a person enrolled only at C affects 0 rows');
SELECT is(pg_temp.affected($$UPDATE dvflag.enrollment SET address = '東京都新宿区西新宿1-2-3'
                              WHERE link_no = 'NO-FLAG'$$),
          1::bigint, 'staff of A: UPDATE of a row of A by link_no touches only the row at A');
SELECT is(pg_temp.affected($$DELETE FROM dvflag.enrollment WHERE link_no = 'NEW-PERSON'$$),
          1::bigint, 'staff of A: DELETE of their own row works');
SELECT throws_ok($$TRUNCATE dvflag.enrollment$$, '42501', NULL, 'staff of A: TRUNCATE -> 42501');
RESET ROLE;
SELECT is(pg_temp.rows_of('06132013'), (SELECT state FROM b_before), 'B''s rows are unchanged');
SELECT is((SELECT address FROM dvflag.enrollment WHERE link_no = 'ONLY-C'), '大阪府大阪市北区梅田6-6-6',
          'the row of the person enrolled only at C is unchanged');
SELECT is((SELECT array_agg(address ORDER BY acquired_on) FROM dvflag.enrollment WHERE link_no = 'NO-FLAG'),
          ARRAY['東京都新宿区西新宿1-2-3', '神奈川県横浜市中区5-5-5', '大阪府大阪市北区梅田5-5-5'],
          'staff of A changed the address at A only');

-- COPY FROM STDIN (API.md: staff may COPY their insurers' enrollments).
-- psql 15 keeps no SQLSTATE of a failed COPY, so the refusal is shown by
-- its effect: psql rolls back to a savepoint and none of its rows is kept.
SET ROLE t_staff_a;
COPY dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on) FROM STDIN;
COPY-PERSON	01130012	A1	3001	00	2020-04-01
\.
\echo '# an ERROR from COPY (new row violates row-level security policy) is expected next'
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set VERBOSITY terse
COPY dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on) FROM STDIN;
COPY-PERSON	01130012	A1	3002	00	2020-04-01
COPY-PERSON	06132013	B2	3002	00	2020-04-01
\.
\set VERBOSITY default
\set ON_ERROR_ROLLBACK off
\set ON_ERROR_STOP 1
RESET ROLE;
SELECT is((SELECT array_agg(insurer_no || '/' || number ORDER BY number) FROM dvflag.enrollment
            WHERE link_no = 'COPY-PERSON'),
          ARRAY['01130012/3001'],
          'staff of A: COPY of a row of A works; COPY including a row of B is refused, keeping none of its rows');
SELECT is(pg_temp.rows_of('06132013'), (SELECT state FROM b_before), 'B''s rows are still unchanged');
DELETE FROM dvflag.enrollment WHERE link_no = 'COPY-PERSON';

-- No other table, no mapping of oneself
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT * FROM dvflag.card$$, '42501', NULL, 'staff: SELECT on dvflag.card -> 42501');
SELECT throws_ok($$SELECT * FROM dvflag.audit$$, '42501', NULL, 'staff: SELECT on dvflag.audit -> 42501');
SELECT throws_ok($$SELECT * FROM dvflag.insurer_staff$$, '42501', NULL, 'staff: SELECT on dvflag.insurer_staff -> 42501');
SELECT throws_ok($$SELECT * FROM dvflag.person$$, '42501', NULL, 'staff: SELECT on dvflag.person -> 42501');
SELECT throws_ok($$SELECT dvflag.grant_insurer('t_staff_a', '06132013')$$, '42501', NULL,
                 'staff: grant_insurer to themselves -> 42501');

-- set_flag: the right to act is checked first, then existence
SELECT throws_ok($$SELECT dvflag.set_flag('06132013', 'B2', '1005', '00', 'nd', true, 'test')$$,
                 '42501', NULL, 'staff of A: set_flag on an enrollment of B -> 42501');
SELECT throws_ok($$SELECT dvflag.set_flag('131136', NULL, '1006', '00', 'sb', true, 'test')$$,
                 '42501', NULL, 'staff of A: set_flag on the person enrolled only at C -> 42501');
SELECT throws_ok($$SELECT dvflag.set_flag('06132013', 'B2', '9999', '00', 'nd', true, 'test')$$,
                 '42501', NULL, 'staff of A: set_flag on an unknown card at B -> 42501, not P0002');
SELECT throws_ok($$SELECT dvflag.set_flag('01130020', 'X', '9999', '00', 'nd', true, 'test')$$,
                 '42501', NULL, 'staff of A: set_flag at an unknown insurer -> 42501, not P0002');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '9999', '00', 'nd', true, 'test')$$,
                 'P0002', NULL, 'staff of A: set_flag on an unknown card at A -> P0002');
SELECT is(dvflag.set_flag('01130012', 'A1', '1005', '00', 'ar', true, 'staff test'), true,
          'staff of A: set_flag on an enrollment of A works');
SET ROLE t_staff_none;
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'ar', false, 'test')$$,
                 '42501', NULL, 'unmapped staff: set_flag -> 42501');
RESET ROLE;
SELECT is((SELECT array_agg(ar ORDER BY acquired_on) FROM dvflag.enrollment WHERE link_no = 'NO-FLAG'),
          ARRAY[true, false, false], 'only the flag at A was set');
SELECT is((SELECT nd FROM dvflag.enrollment WHERE insurer_no = '06132013' AND number = '1005'), false,
          'the refused set_flag left B''s flag alone');

-- stop_card: admin, or staff of an insurer where the card holder is enrolled
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.stop_card('CARD-ONLY-C', 'test')$$, '42501', NULL,
                 'staff of A: stop_card of a person not enrolled at A -> 42501');
SET ROLE t_staff_none;
SELECT throws_ok($$SELECT dvflag.stop_card('CARD-NO-FLAG', 'test')$$, '42501', NULL,
                 'unmapped staff: stop_card -> 42501');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.card WHERE stopped_at IS NOT NULL), 0::bigint,
          'the refused stops stopped nothing');
SET ROLE t_staff_c;
SELECT lives_ok($$SELECT dvflag.stop_card('CARD-ONLY-C', 'victim''s application (staff test)')$$,
                'staff of C: stop_card of a person enrolled at C works');
SET ROLE t_staff_a;
SELECT lives_ok($$SELECT dvflag.stop_card('CARD-NO-FLAG', 'victim''s application (staff test)')$$,
                'staff of A: stop_card of a person once enrolled at A works');
RESET ROLE;
SELECT is((SELECT array_agg(card_serial ORDER BY card_serial) FROM dvflag.card WHERE stopped_at IS NOT NULL),
          ARRAY['CARD-NO-FLAG', 'CARD-ONLY-C'], 'exactly those two cards are stopped');

-- protected(): staff and requesters, not clinics or the portal
SET ROLE t_staff_a;
SELECT is(dvflag.protected('SB-AT-C'), true, 'staff: protected() is true for SB at C');
SELECT is(dvflag.protected('NO-FLAG'), false, 'staff: protected() is false for no flag');
SELECT is(dvflag.protected('ONLY-C'), false, 'staff: protected() answers for a person of another insurer too');
SET ROLE t_requester;
SELECT is(dvflag.protected('ND-AT-A'), true, 'requester: protected() is true for ND at A');
SELECT is(dvflag.protected('SB-AT-B'), false, 'requester: protected() is false for SB at B only');
SET ROLE t_clinic;
SELECT throws_ok($$SELECT dvflag.protected('SB-AT-C')$$, '42501', NULL, 'clinic: protected() -> 42501');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.protected('SB-AT-C')$$, '42501', NULL, 'portal: protected() -> 42501');

-- admin sees and acts on everything
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 16::bigint, 'admin sees every enrollment');
SELECT is(dvflag.set_flag('06132013', 'B2', '1005', '00', 'ar', true, 'admin test'), true,
          'admin: set_flag at any insurer works');

-- a staff member mapped to two insurers
RESET ROLE;
SELECT dvflag.grant_insurer('t_staff_b', '131136') AS bc \gset
SET ROLE t_staff_b;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 11::bigint, 'staff of B and C see both insurers'' rows');

-- a group role mapped to B: its members act for B (pg_has_role USAGE)
RESET ROLE;
SELECT dvflag.grant_insurer('t_team_b', '06132013') AS team \gset
SET ROLE t_staff_g;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 5::bigint, 'member of a group mapped to B sees B''s 5 rows');
SELECT is((SELECT array_agg(DISTINCT insurer_no) FROM dvflag.enrollment), ARRAY['06132013'],
          'member of the group sees only B''s rows');
SELECT is(dvflag.set_flag('06132013', 'B2', '1004', '00', 'ar', true, 'group test'), true,
          'member of the group: set_flag at B works');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1004', '00', 'ar', true, 'group test')$$,
                 '42501', NULL, 'member of the group: set_flag at A -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01')$$,
                 '42501', NULL, 'member of the group: INSERT of a row of A -> 42501');

-- revoke_insurer removes visibility and the right to act
RESET ROLE;
SELECT dvflag.revoke_insurer('t_staff_a', '01130012') AS revoked_a \gset
SELECT dvflag.revoke_insurer('t_team_b', '06132013') AS revoked_team \gset
SET ROLE t_staff_a;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 0::bigint, 'after revoke_insurer staff of A see nothing');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'ar', false, 'test')$$,
                 '42501', NULL, 'after revoke_insurer: set_flag at A -> 42501');
SELECT is(pg_temp.affected($$UPDATE dvflag.enrollment SET address = 'x' WHERE insurer_no = '01130012'$$),
          0::bigint, 'after revoke_insurer: UPDATE at A affects 0 rows');
SET ROLE t_staff_g;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 0::bigint, 'after revoking the group, its member sees nothing');
RESET ROLE;

-- the write check reads the role's insurers once per statement: a mapping
-- given or taken in the same transaction counts from the next statement
SELECT dvflag.grant_insurer('t_staff_a', '01130012') AS regranted_a \gset
SET ROLE t_staff_a;
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                  VALUES ('REGRANT', '01130012', 'A1', '4001', '00', '2020-04-01')$$,
                'granted again: an INSERT at A in the next statement is allowed');
RESET ROLE;
SELECT dvflag.revoke_insurer('t_staff_a', '01130012') AS rerevoked_a \gset
SET ROLE t_staff_a;
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('REGRANT', '01130012', 'A1', '4002', '00', '2020-04-01')$$,
                 '42501', NULL, 'revoked again: the next INSERT at A -> 42501');
SELECT is(dvflag.is_staff_of('01130012'), false, 'is_staff_of: no longer staff of A');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
