-- Nothing lost by accident (RULES.md §8): DROP EXTENSION dvflag, without
-- or with CASCADE, and DROP SCHEMA dvflag CASCADE would drop the append-only
-- audit and every provision record with them.  They are refused while those
-- hold rows, unless a superuser sets dvflag.allow_drop for the transaction.
BEGIN;
SELECT plan(8);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;

SELECT throws_ok('DROP EXTENSION dvflag', '2BP01',
                 'dvflag''s audit and provision records hold rows, which dropping dvflag would lose',
                 'DROP EXTENSION is refused while the audit holds rows');
SELECT throws_ok('DROP EXTENSION dvflag CASCADE', '2BP01', NULL, 'with CASCADE too');
SELECT throws_ok('DROP SCHEMA dvflag CASCADE', '2BP01', NULL, 'and DROP SCHEMA dvflag CASCADE');
\i test/fixtures/error_of.sql
SELECT ok(pg_temp.error_of('DROP EXTENSION dvflag') LIKE '%dvflag%'
          AND (SELECT count(*) FROM dvflag.audit) > 0, 'nothing was dropped');
SET ROLE t_admin;
SELECT throws_ok('SET dvflag.allow_drop = on', '42501', NULL, 'admin may not allow it: a superuser setting');
RESET ROLE;

SAVEPOINT dropping;
SET LOCAL dvflag.allow_drop = on;
SELECT lives_ok('DROP EXTENSION dvflag', 'a superuser who sets dvflag.allow_drop for the transaction may drop it');
SELECT hasnt_schema('dvflag', 'and the schema is gone');
ROLLBACK TO SAVEPOINT dropping;
SELECT has_table('dvflag', 'audit', 'rolled back: the audit is there again');

SELECT * FROM finish();
ROLLBACK;
