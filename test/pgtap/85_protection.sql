-- A person's effective protection (ND_eff, SB_eff) can change by more than a
-- flag: a corrected date or link_no, a removal; a move to a new insurer
-- lowers nothing, SB carries over it (1.3).  Every such change is audited,
-- and one that lowers protection needs a reason.  Also: ids never change; staff can remove a proxy (STEP3); and
-- code of another role cannot borrow a more privileged caller's identity.
BEGIN;
SELECT plan(40);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
SELECT dvflag.grant_insurer('t_staff_a', '01130012');
SELECT dvflag.grant_insurer('t_staff_c', '131136');
CREATE FUNCTION pg_temp.sb_eff(p text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT sb_eff FROM dvflag.person WHERE link_no = p $$;
CREATE FUNCTION pg_temp.nd_eff(p text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT nd_eff FROM dvflag.person WHERE link_no = p $$;

-- insurer A re-dates its own (old, unflagged) enrollment of SB-AT-C to make
-- it the latest: A cannot see C's SB, and lifts nothing (1.3): C's SB
-- carries over onto A's enrollment, until A's staff decide
SET SESSION AUTHORIZATION t_staff_a;
SELECT lives_ok($$UPDATE dvflag.enrollment SET acquired_on = '2025-01-01', lost_on = NULL
                   WHERE link_no = 'SB-AT-C' AND insurer_no = '01130012'$$,
                'a date correction that makes A latest needs no reason: it lowers nothing');
SELECT is((SELECT count(*) FROM dvflag.sb_carried()), 0::bigint,
          'a carry begun in the caller''s own transaction is not listed (no oracle for a probe)');
SELECT is(dvflag.decide_carried_sb('01130012', 'A1', '1002', '00', false, 'too early'), false,
          'nor can it be decided in it');
RESET SESSION AUTHORIZATION;
-- as if the correction had been committed yesterday
UPDATE dvflag.person SET sb_carried_since = sb_carried_since - interval '1 day' WHERE link_no = 'SB-AT-C';
SET SESSION AUTHORIZATION t_staff_a;
SELECT is((SELECT array_agg(number || ' ' || link_no) FROM dvflag.sb_carried()), '{"1002 SB-AT-C"}',
          'from the next transaction on, A''s staff see the SB carried onto their enrollment, not whose it was');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.sb_eff('SB-AT-C'), true, 'SB_eff carries C''s SB over');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'sb_carried' AND target = 'SB-AT-C'
             AND actor = 't_staff_a' AND detail ->> 'via' = 'UPDATE'), 1::bigint, 'the carry is audited');
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SELECT throws_ok($$SELECT dvflag.decide_carried_sb('01130012', 'A1', '1002', '00', false, '')$$, '22023', NULL,
                 'ending a carried SB needs a reason');
SELECT is(dvflag.decide_carried_sb('01130012', 'A1', '1002', '00', false, 'the person confirmed at A that no block is needed'),
          true, 'A''s staff end the carried SB, with a reason');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.sb_eff('SB-AT-C'), false, 'the latest insurer (now A) has decided: SB_eff ends');
SELECT is((SELECT jsonb_build_object('actor', actor, 'action', action, 'target', target,
                                     'sb_eff', detail->'sb_eff', 'reason', detail->'reason', 'via', detail->'via')
             FROM dvflag.audit WHERE id > :m AND action = 'protection_change'),
          '{"actor": "t_staff_a", "action": "protection_change", "target": "SB-AT-C",
            "sb_eff": {"old": true, "new": false}, "reason": "the person confirmed at A that no block is needed",
            "via": "decide_carried_sb"}',
          'the end of the protection is audited with who, why and how');

-- a move: a new enrollment at a later date needs no reason and keeps SB
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'sb', true, 'NO-FLAG asked for SB at C');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                  VALUES ('NO-FLAG', '06132013', 'B2', '9005', '00', '2026-01-01')$$,
                'a move to a new insurer needs no reason');
SELECT is(pg_temp.sb_eff('NO-FLAG'), true, 'SB_eff carries over the move');
UPDATE dvflag.person SET sb_carried_since = sb_carried_since - interval '1 day' WHERE link_no = 'NO-FLAG';
SELECT is(dvflag.decide_carried_sb('06132013', 'B2', '9005', '00', true, 'the person asked B for SB as well'), true,
          'the new insurer keeps it: SB on its own enrollment');
SELECT is((SELECT (sb, (SELECT sb_carried_from FROM dvflag.person WHERE link_no = 'NO-FLAG') IS NULL)::text
             FROM dvflag.enrollment WHERE number = '9005'), '(t,t)',
          'SB is now B''s own, nothing is carried any more');

-- correcting a flagged enrollment needs a reason, whatever it changes
SET SESSION AUTHORIZATION t_staff_c;
SELECT throws_ok($$UPDATE dvflag.enrollment SET acquired_on = '2021-05-01' WHERE link_no = 'NO-FLAG' AND insurer_no = '131136'$$,
                 '22023', 'a reason is required to correct a flagged enrollment',
                 're-dating an enrollment with SB needs a reason');
RESET SESSION AUTHORIZATION;

-- correcting link_no moves an ND away from a person
RESET dvflag.reason;
SELECT throws_ok($$UPDATE dvflag.enrollment SET link_no = 'SOMEONE-ELSE' WHERE link_no = 'ND-AT-B' AND insurer_no = '06132013'$$,
                 '22023', NULL, 'moving the ND enrollment to another person needs a reason');
SELECT is(pg_temp.nd_eff('ND-AT-B'), true, 'and ND-AT-B stays protected');
-- removing it
SELECT lives_ok($$DELETE FROM dvflag.enrollment WHERE link_no = 'ND-AT-A' AND insurer_no = '06132013'$$,
                'removing an unflagged enrollment of a protected person that keeps ND needs no reason');
SELECT is(pg_temp.nd_eff('ND-AT-A'), true, 'ND at A still protects');

-- raising protection is audited too, without a separate reason of its own
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SELECT dvflag.set_flag('131136', NULL, '1001', '00', 'nd', true, 'application');
SELECT is((SELECT array_agg(action ORDER BY id) FROM dvflag.audit WHERE id > :m),
          ARRAY['flag_change', 'protection_change'], 'setting ND writes the flag change and the protection change');

-- ids never change, not even for the owner
SET LOCAL dvflag.reason = 'trying';
SELECT throws_ok($$UPDATE dvflag.enrollment SET id = DEFAULT, nd = false WHERE link_no = 'ND-AT-A' AND insurer_no = '01130012'$$,
                 '428C9', 'the id of an enrollment cannot be changed', 'UPDATE SET id = DEFAULT is refused');
SELECT is(pg_temp.nd_eff('ND-AT-A'), true, 'and the ND it tried to hide stays');
RESET dvflag.reason;

-- STEP3 when the principal cannot act: staff or admin remove the proxy
INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ('ND-AT-B', 'SB-AT-B'), ('SB-AT-C', 'SB-AT-B');
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.remove_proxy_for('SB-AT-C', 'SB-AT-B', '')$$, '22023', NULL,
                 'remove_proxy_for needs a reason');
SET ROLE t_staff_c;
SELECT is(dvflag.remove_proxy_for('SB-AT-C', 'SB-AT-B', 'STEP3 on the person''s application'), true,
          'staff of one of the principal''s insurers remove the proxy');
SELECT is(dvflag.remove_proxy_for('SB-AT-C', 'SB-AT-B', 'again'), false, 'removing it again changes nothing');
RESET ROLE;
CREATE ROLE t_staff_none LOGIN IN ROLE dvflag_insurer;
INSERT INTO dvflag.insurer VALUES ('01010016', 'よそ 保険');
SELECT dvflag.grant_insurer('t_staff_none', '01010016');
SET ROLE t_staff_none;
SELECT throws_ok($$SELECT dvflag.remove_proxy_for('ND-AT-B', 'SB-AT-B', 'not mine')$$, '42501', NULL,
                 'staff of an unrelated insurer cannot');
SET ROLE t_admin;
SELECT is(dvflag.remove_proxy_for('ND-AT-B', 'SB-AT-B', 'card stopped, STEP3'), true, 'admin can');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.proxy), 0::bigint, 'no proxy is left');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'proxy_remove' AND detail ? 'reason'), 2::bigint,
          'each removal is audited with its reason');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_self_info('CARD-SB-AT-B', 'ND-AT-B')), 0::bigint,
          'the former proxy sees nothing');
RESET ROLE;

-- a staff-owned SECURITY DEFINER function, called by admin, acts as the staff member
CREATE SCHEMA staffwork AUTHORIZATION t_staff_a;
SET ROLE t_staff_a;
CREATE FUNCTION staffwork.helpful() RETURNS boolean LANGUAGE sql SECURITY DEFINER AS
  $$ SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'routine maintenance') $$;
CREATE FUNCTION staffwork.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS
  $$ SELECT count(*) FROM dvflag.enrollment WHERE insurer_no <> '01130012' $$;
RESET ROLE;
GRANT USAGE ON SCHEMA staffwork TO t_admin;
SET ROLE t_admin;
SELECT throws_ok($$SELECT staffwork.helpful()$$, '42501', NULL,
                 'admin calling a staff member''s definer function: set_flag acts as that staff member');
SELECT is(staffwork.peek(), 0::bigint, 'and row-level security applies the staff member''s insurers');
RESET ROLE;
SELECT is(pg_temp.sb_eff('SB-AT-C'), false, '(SB-AT-C as the earlier steps left it)');

-- an index expression run by ANALYZE cannot change flags
SET ROLE t_staff_a;
CREATE FUNCTION staffwork.sneaky(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  $$ BEGIN PERFORM dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, 'from an index'); RETURN $1; END $$;
CREATE TABLE staffwork.t (x integer);
INSERT INTO staffwork.t VALUES (1);
RESET ROLE;
SELECT throws_ok($$CREATE INDEX ON staffwork.t (staffwork.sneaky(x))$$, '42501',
                 'cannot call dvflag.set_flag() within a security-restricted operation',
                 'a flag change from code run in a security-restricted operation is refused');

-- one INSERT creating a new person (two enrollments, ND on the older) and
-- adding to an existing one: both states come out as the rules give
SET LOCAL dvflag.reason = 'bulk entry';
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, nd, sb)
VALUES ('NEW-X', '01130012', 'A1', 'x1', '00', '2001-04-01', '2010-04-01', true, false),
       ('NEW-X', '06132013', 'B2', 'x2', '00', '2010-04-01', NULL, false, true),
       ('NO-FLAG', '01130012', 'A1', 'nf9', '00', '2026-06-01', NULL, false, true);
RESET dvflag.reason;
SELECT is((SELECT (nd_eff, sb_eff, latest_id = (SELECT id FROM dvflag.enrollment WHERE number = 'x2'))::text
             FROM dvflag.person WHERE link_no = 'NEW-X'), '(t,t,t)',
          'a person created by the statement: ND from the older row, SB and latest from the newer');
SELECT is((SELECT (sb_eff, latest_id = (SELECT id FROM dvflag.enrollment WHERE number = 'nf9'))::text
             FROM dvflag.person WHERE link_no = 'NO-FLAG'), '(t,t)',
          'an existing person in the same statement is recomputed from all their enrollments');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'protection_change' AND target = 'NEW-X'), 1::bigint,
          'the new person''s protection is audited');

-- person rows carry the protection: they go only when nothing is left
SELECT throws_ok($$DELETE FROM dvflag.person WHERE link_no = 'NEW-X'$$, '0A000', NULL,
                 'a person row with enrollments cannot be deleted, not even by the owner');
SELECT throws_ok($$TRUNCATE dvflag.person$$, '0A000', NULL, 'nor can the table be truncated');
SET LOCAL dvflag.reason = 'entered by mistake';
DELETE FROM dvflag.enrollment WHERE link_no = 'NEW-X';
RESET dvflag.reason;
SELECT lives_ok($$DELETE FROM dvflag.person WHERE link_no = 'NEW-X'$$,
                'a person with no enrollment left (and no retained ND) can be removed');

SELECT * FROM finish();
ROLLBACK;
