-- Attack: session_replication_role = replica (or local) switches off
-- ordinary triggers.  The dvflag triggers are ENABLE ALWAYS, so a flag
-- change still needs a reason, is still audited and still takes effect on
-- every path; TRUNCATE is still refused.  Only a superuser may set the
-- parameter at all.
BEGIN;
SELECT plan(19);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_c', '131136');

-- nobody but a superuser may set it
SET ROLE t_staff_c;
SELECT throws_ok('SET session_replication_role = replica', '42501', NULL,
                 'insurer staff cannot set session_replication_role');
SET ROLE t_clinic;
SELECT throws_ok('SET session_replication_role = replica', '42501', NULL,
                 'a clinic cannot set session_replication_role');
RESET ROLE;

CREATE TEMP TABLE audit_before AS SELECT count(*) FILTER (WHERE action = 'flag_change') AS n FROM dvflag.audit;

SET LOCAL session_replication_role = replica;
SELECT is(current_setting('session_replication_role'), 'replica', 'the session is in replica mode');
-- without a reason every flag change is refused
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE insurer_no = '131136' AND number = '1005'$$,
                 '22023', NULL, 'replica: UPDATE setting ND without a reason is refused');
SELECT throws_ok($$UPDATE dvflag.enrollment SET sb = false WHERE insurer_no = '131136' AND number = '1002'$$,
                 '22023', NULL, 'replica: UPDATE clearing SB without a reason is refused');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, sb)
                   VALUES ('NO-FLAG', '131136', '1005', '01', '2024-04-01', true)$$,
                 '22023', NULL, 'replica: INSERT of a flagged enrollment without a reason is refused');
SELECT throws_ok($$DELETE FROM dvflag.enrollment WHERE insurer_no = '06132013' AND number = '1003'$$,
                 '22023', NULL, 'replica: DELETE of an ND enrollment without a reason is refused');
SELECT throws_ok('TRUNCATE dvflag.enrollment', '0A000', NULL, 'replica: TRUNCATE of enrollments is refused');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change'), (SELECT n FROM audit_before),
          'replica: nothing was audited, nothing changed');

-- with a reason the change is audited and takes effect
SET LOCAL dvflag.reason = 'replica attack test';
UPDATE dvflag.enrollment SET nd = true WHERE insurer_no = '131136' AND number = '1005';
RESET dvflag.reason;
SELECT results_eq(
  $$SELECT action, target, detail->>'flag', detail->>'new', detail->>'reason' FROM dvflag.audit
     WHERE action = 'flag_change' AND id > (SELECT max(id) FROM dvflag.audit WHERE action = 'flag_change') - 1$$,
  $$VALUES ('flag_change', '131136//1005/00', 'nd', 'true', 'replica attack test')$$,
  'replica: the flag change is audited with its reason');
SELECT is((SELECT nd_eff FROM dvflag.person WHERE link_no = 'NO-FLAG'), true,
          'replica: the person''s effective ND is recomputed');
SET ROLE t_clinic;
SELECT is((SELECT array_agg(q.address IS NULL ORDER BY q.acquired_on)
             FROM (VALUES ('01130012', 'A1'), ('06132013', 'B2'), ('131136', NULL)) AS i(ins, sym),
                  dvflag.clinic_by_insurance_card(i.ins, i.sym, '1005', '00') q),
          '{t,t,t}', 'replica: the clinic path hides the address at A, B and C at once');
RESET ROLE;
SELECT lives_ok($$SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', false, 'replica attack test: cleared')$$,
                'replica: set_flag clears it');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'reason' = 'replica attack test: cleared'), 1::bigint,
          'replica: and set_flag is audited too');
SELECT is((SELECT nd_eff FROM dvflag.person WHERE link_no = 'NO-FLAG'), false, 'replica: ND_eff is cleared');

-- the same with session_replication_role = local
SET LOCAL session_replication_role = local;
SELECT throws_ok($$UPDATE dvflag.enrollment SET ar = true WHERE insurer_no = '131136' AND number = '1005'$$,
                 '22023', NULL, 'local: UPDATE setting AR without a reason is refused');
SELECT throws_ok('TRUNCATE dvflag.enrollment', '0A000', NULL, 'local: TRUNCATE of enrollments is refused');
SELECT throws_ok('DELETE FROM dvflag.audit', '42501', 'dvflag.audit is append-only', 'local: DELETE of the audit is refused');
RESET session_replication_role;
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change'), (SELECT n FROM audit_before) + 2,
          'two flag changes, two flag-change entries');

SELECT * FROM finish();
ROLLBACK;
