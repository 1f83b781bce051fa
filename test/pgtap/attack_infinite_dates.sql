-- Attack: give a date the audit cannot write.  disaster_search(birth_date
-- => 'infinity') was audited with a made-up date (an integer overflow when
-- the criteria were written as JSON), so the audit named a search nobody
-- made.  Every audited date is recorded as it was given.
BEGIN;
SELECT plan(7);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff', '131136');
SET ROLE t_admin;
SELECT lives_ok($$SELECT dvflag.declare_disaster(now() - interval '1 hour', 'infinity', 'no end in sight')$$,
                'a disaster may be declared without an end');
RESET ROLE;
SELECT is((SELECT detail ->> 'ends' FROM dvflag.audit WHERE action = 'disaster_declare'), 'infinity',
          'its audit row says ends: infinity');

SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('infinity', kana => 'サトウミサキ', address => '梅田')), 0::bigint,
          'a search for a birth date of infinity finds nobody');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('-infinity', kana => 'サトウミサキ', address => '梅田')), 0::bigint,
          'nor of -infinity');
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT array_agg(detail -> 'criteria' ->> 'birth_date' ORDER BY id) FROM dvflag.audit
            WHERE action = 'disaster_search' AND detail -> 'criteria' ->> 'birth_date' LIKE '%infinity'),
          '{infinity,-infinity}', 'the audit records the dates as given, not a made-up one');

SET ROLE t_staff;
SELECT is((SELECT status FROM dvflag.inquiry_without_my_number('サトウミサキ', 'infinity', 2, 'city', 'dept', 'clerk')),
          'no_match', 'an inquiry for a birth date of infinity matches nobody');
RESET ROLE;
SELECT is((SELECT detail -> 'criteria' ->> 'birth_date' FROM dvflag.audit WHERE action = 'inquiry_without_my_number'),
          'infinity', 'an inquiry with an infinite birth date is audited with it');

SELECT * FROM finish();
ROLLBACK;
