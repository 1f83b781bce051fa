-- SB flags due for clearing (RULES.md §5, STEP4): an SB flag is listed to
-- its insurer's staff once a re-issued card of the person shows up after
-- the flag was set: a refused registration with a card never bound (its
-- audit row is committed on its own, so it outlives the refusal's error), or
-- an active card registered later.
BEGIN;
SELECT plan(29);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_none LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_a', '01130012');
SELECT dvflag.grant_insurer('t_staff_b', '06132013');
SELECT dvflag.grant_insurer('t_staff_c', '131136');
-- the refusals this file makes are committed whatever it does: tell its own
-- from those of an earlier run of the same fixture
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS at;
GRANT SELECT ON t0 TO PUBLIC;

-- nothing is due while every card was registered before its flag
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'SB at C, cards registered before it was set: nothing due');
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'admin: nothing due either');

-- the old card (bound before the flag) is refused again: not a re-issued card
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'the old card of a person under SB_eff is refused');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.audit a, t0
            WHERE a.action = 'card_register_refused' AND a.detail ->> 'card_serial' = 'CARD-SB-AT-C' AND a.at > t0.at),
          1::bigint, 'the refusal has its audit row although its statement failed');
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'a refusal with a card bound before the flag is not a sign of re-issue');

-- the re-issued card (a new serial) is refused while SB holds (STEP4 forgotten)
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-NEW', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'the re-issued card is refused while SB at C holds');
SET ROLE t_staff_c;
SELECT is((SELECT array_agg(ROW(d.insurer_no, d.symbol, d.number, d.branch, d.link_no, d.evidence, d.card_serial)::text)
             FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('131136', NULL, '1002', '00', 'SB-AT-C', 'registration_refused', 'CARD-SB-AT-C-NEW')::text],
          'staff of C: the SB flag is due, shown with the refused card');
SELECT ok((SELECT d.sb_set_at IS NOT NULL AND d.evidence_at > d.sb_set_at FROM dvflag.sb_due_for_clearing() d),
          'with when the flag was set and when the card showed up, later');
RESET ROLE;
SELECT is((SELECT d.sb_set_at FROM dvflag.sb_due_for_clearing() d WHERE d.link_no = 'SB-AT-C'),
          (SELECT max(a.at) FROM dvflag.audit a WHERE a.action = 'flag_change' AND a.target = '131136//1002/00'
              AND a.detail ->> 'flag' = 'sb' AND a.detail ->> 'new' = 'true'),
          'sb_set_at is the audited setting of that flag');
SET ROLE t_staff_a;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'staff of A, where the person also was, see nothing: the flag is C''s');
SET ROLE t_staff_b;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing() d WHERE d.link_no = 'SB-AT-C'), 0::bigint,
          'staff of B see nothing of it either');
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing() d WHERE d.link_no = 'SB-AT-C'), 1::bigint,
          'admin sees it');

-- a refusal before the flag was set again does not count
SET ROLE t_staff_c;
SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'the person asked, card not yet in hand');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'SB cleared: not listed');
SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', true, 'set again on a new application');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'SB set again after the refusal: the old refusal is no sign any more');

-- SB at B is not latest(P): a card can be registered, and one registered
-- after the flag (an active one) is the sign
RESET ROLE;
INSERT INTO dvflag.card (card_serial, link_no, registered_at) VALUES ('CARD-SB-AT-B-NEW', 'SB-AT-B', clock_timestamp());
SET ROLE t_staff_b;
SELECT is((SELECT array_agg(ROW(d.insurer_no, d.number, d.evidence, d.card_serial)::text) FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('06132013', '1001', 'card_registered', 'CARD-SB-AT-B-NEW')::text],
          'staff of B: SB at B is due, a card was registered after it');
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'staff of C do not see B''s flag');
SET ROLE t_staff_b;
SELECT dvflag.stop_card('CARD-SB-AT-B-NEW', 'taken by the perpetrator');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'a stopped card is no sign of a re-issued one');
SELECT dvflag.set_flag('06132013', 'B2', '1001', '00', 'sb', false, 'STEP4: re-issued card in hand');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'cleared: gone from the list');

-- a person with two new cards refused: the latest shows
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-NEW2', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'a second re-issued card is refused');
SET ROLE t_staff_c;
SELECT is((SELECT array_agg(d.card_serial) FROM dvflag.sb_due_for_clearing() d), ARRAY['CARD-SB-AT-C-NEW2'],
          'one row per flag, with the latest card seen');

-- a caller that holds a lock the audit writer needs is not left waiting:
-- the writer gives up (lock_timeout), the refusal stands, the log line stays
RESET ROLE;
SAVEPOINT locked;
LOCK TABLE dvflag.audit IN SHARE MODE;
CREATE TEMP TABLE t1 AS SELECT clock_timestamp() AS at;
SELECT diag('a WARNING that the refusal''s audit row could not be written is expected next');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-NEW3', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'with the audit table locked by the caller, the refusal is still DV001');
RESET ROLE;
SELECT ok(clock_timestamp() - (SELECT at FROM t1) < interval '30 seconds', 'and it did not hang');
ROLLBACK TO SAVEPOINT locked;

-- who may not list
SET ROLE t_staff_none;
SELECT throws_ok($$SELECT * FROM dvflag.sb_due_for_clearing()$$, '42501', NULL, 'staff of no insurer: 42501');
SET ROLE t_portal;
SELECT throws_ok($$SELECT * FROM dvflag.sb_due_for_clearing()$$, '42501', NULL, 'portal: 42501');
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.sb_due_for_clearing()$$, '42501', NULL, 'clinic: 42501');
SET ROLE t_requester;
SELECT throws_ok($$SELECT * FROM dvflag.sb_due_for_clearing()$$, '42501', NULL, 'requester: 42501');
SET ROLE t_auditor;
SELECT throws_ok($$SELECT * FROM dvflag.sb_due_for_clearing()$$, '42501', NULL, 'auditor: 42501');
RESET ROLE;
SELECT ok(NOT has_function_privilege('public', 'dvflag.sb_due_for_clearing()', 'EXECUTE'), 'PUBLIC may not run it');

-- what the listing reads by
SELECT ok((SELECT count(*) FROM pg_indexes WHERE schemaname = 'dvflag'
             AND indexname IN ('enrollment_sb', 'audit_sb_set', 'audit_register_refused')) = 3,
          'its three partial indexes exist');

SELECT * FROM finish();
ROLLBACK;
