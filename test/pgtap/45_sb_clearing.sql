-- SB flags due for clearing (RULES.md §5, STEP4): an SB flag is listed to
-- its insurer's staff once a card of the person shows up after the flag was
-- set: a refused registration with a card never bound (its audit row is
-- committed on its own, so it outlives the refusal's error), or an active
-- card registered later.  The refusals this file makes stay committed after
-- its ROLLBACK, naming the fixture's persons.
BEGIN;
SELECT plan(44);
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
SELECT is((SELECT array_agg(ROW(d.insurer_no, d.symbol, d.number, d.branch, d.link_no, d.blocks_registration,
                                 d.evidence, d.cards_seen)::text)
             FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('131136', NULL, '1002', '00', 'SB-AT-C', true, 'registration_refused', 1)::text],
          'staff of C: the SB flag is due, it is the one that refuses the card, one card seen');
SELECT is((SELECT array_agg(n ORDER BY n) FROM pg_proc p, unnest(p.proargnames) AS n
            WHERE p.oid = 'dvflag.sb_due_for_clearing()'::regprocedure AND n LIKE '%serial%'), NULL,
          'no card serial is shown: it is the key of the card paths');
SELECT ok((SELECT d.sb_set_at IS NOT NULL AND d.evidence_at > d.sb_set_at FROM dvflag.sb_due_for_clearing() d),
          'with when the flag was set and when the card showed up, later');
RESET ROLE;
SELECT ok((SELECT d.sb_set_at - a.at BETWEEN interval '0' AND interval '1 second'
             FROM dvflag.sb_due_for_clearing() d,
                  (SELECT max(a.at) AS at FROM dvflag.audit a WHERE a.action = 'flag_change'
                      AND a.target = '131136//1002/00' AND a.detail ->> 'flag' = 'sb'
                      AND a.detail ->> 'new' = 'true') a
            WHERE d.link_no = 'SB-AT-C'),
          'sb_set_at is the time of the audited setting of that flag (the same statement)');
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
SELECT is((SELECT array_agg(ROW(d.insurer_no, d.number, d.blocks_registration, d.evidence, d.cards_seen)::text)
             FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('06132013', '1001', false, 'card_registered', 1)::text],
          'staff of B: SB at B is due, a card was registered after it; this SB does not refuse the card');
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'staff of C do not see B''s flag');
SET ROLE t_staff_b;
SELECT dvflag.stop_card('CARD-SB-AT-B-NEW', 'taken by the perpetrator');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint,
          'a stopped card is no sign of a re-issued one');
SELECT dvflag.set_flag('06132013', 'B2', '1001', '00', 'sb', false, 'STEP4: re-issued card in hand');
SELECT is((SELECT count(*) FROM dvflag.sb_due_for_clearing()), 0::bigint, 'cleared: gone from the list');

-- cards tried since the flag was set again: counted once each, the newest shown
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-NEW2', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'a card is refused after SB was set again');
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-NEW2', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'and again');
SET ROLE t_staff_c;
SELECT is((SELECT array_agg(ROW(d.evidence, d.cards_seen)::text) FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('registration_refused', 1)::text], 'the same card twice is one card seen');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SOMEONE-ELSES', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'a different card, tried by whoever knows the insurance card');
SET ROLE t_staff_c;
SELECT is((SELECT d.cards_seen FROM dvflag.sb_due_for_clearing() d), 2,
          'two distinct cards seen: staff can tell that more than one card is being tried');
RESET ROLE;
SELECT is((SELECT d.evidence_at FROM dvflag.sb_due_for_clearing() d WHERE d.link_no = 'SB-AT-C'),
          (SELECT max(a.at) FROM dvflag.audit a WHERE a.action = 'card_register_refused'
              AND a.detail ->> 'link_no' = 'SB-AT-C'),
          'evidence_at is the newest sign, the time of its audit row');
SELECT is((SELECT count(*) FROM dvflag.registration_refusal r
            WHERE NOT EXISTS (SELECT FROM dvflag.audit a WHERE a.action = 'card_register_refused'
                                AND a.detail ->> 'event' = r.event AND a.at = r.at
                                AND a.detail ->> 'card_serial' = r.card_serial
                                AND a.detail ->> 'link_no' = r.link_no)), 0::bigint,
          'every refusal''s row has its audit row: same event, time, card and person');

-- the listing reads its own state, not the audit: an audit row written by
-- hand (a restore of another shape, a forgery by the owner) is no sign
INSERT INTO dvflag.audit (actor, action, target, detail)
VALUES ('restore', 'card_register_refused', '131136//1002/00',
        '{"link_no": "SB-AT-C", "card_serial": "CARD-WRITTEN-BY-HAND"}');
SET ROLE t_staff_c;
SELECT is((SELECT d.cards_seen FROM dvflag.sb_due_for_clearing() d), 2,
          'a refusal that is only an audit row does not count');
RESET ROLE;

-- an oversized serial is refused before anything is audited
SELECT count(*) AS refusals FROM dvflag.registration_refusal \gset
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card(repeat('x', 257), '131136', NULL, '1002', '00')$$, '22023', NULL,
                 'a card serial over 256 bytes -> 22023, even under SB');
SELECT throws_ok($$SELECT dvflag.register_card(repeat('x', 256), '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'a 256-byte serial is a serial like any other');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.registration_refusal), :refusals + 1::bigint,
          'only the 256-byte one left a row');

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
             AND indexname IN ('enrollment_sb', 'registration_refusal_person', 'sb_flag_set_pkey')) = 3,
          'its indexes exist: the enrollments with SB, the refusals by person, the set times');
SELECT is((SELECT count(*) FROM dvflag.enrollment e WHERE e.sb
            AND NOT EXISTS (SELECT FROM dvflag.sb_flag_set s WHERE s.enrollment_id = e.id)), 0::bigint,
          'every SB set has its time');

-- an SB that is not latest(P)'s does not refuse the card, even while
-- latest(P)'s does: SB-AT-C under SB at A too, then a new card refused
SET ROLE t_staff_a;
SELECT dvflag.set_flag('01130012', 'A1', '1002', '00', 'sb', true, 'application at A too');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C-AFTER-A', '131136', NULL, '1002', '00')$$, 'DV001', NULL,
                 'a new card of SB-AT-C is refused: SB at C holds');
SET ROLE t_staff_a;
SELECT is((SELECT array_agg(ROW(d.insurer_no, d.number, d.blocks_registration, d.evidence)::text)
             FROM dvflag.sb_due_for_clearing() d),
          ARRAY[ROW('01130012', '1002', false, 'registration_refused')::text],
          'staff of A: SB at A is due, and it is not what refuses the card');
SET ROLE t_staff_c;
SELECT is((SELECT d.blocks_registration FROM dvflag.sb_due_for_clearing() d WHERE d.number = '1002'), true,
          'staff of C: SB at C, latest(P)''s, is');
RESET ROLE;

-- a flag whose setting is no longer known (its audit purged: here, set with
-- the trigger off) is due for a card seen from the oldest audit row left on
ALTER TABLE dvflag.enrollment DISABLE TRIGGER enrollment_updated;
UPDATE dvflag.enrollment SET sb = true WHERE insurer_no = '01130012' AND number = '1005';
ALTER TABLE dvflag.enrollment ENABLE ALWAYS TRIGGER enrollment_updated;
-- (registered now, not at the transaction's start: the audit rows of this
-- file may be the oldest there are)
INSERT INTO dvflag.card (card_serial, link_no, registered_at) VALUES ('CARD-NO-FLAG-NEW', 'NO-FLAG', clock_timestamp());
SET ROLE t_staff_a;
SELECT is((SELECT array_agg(ROW(d.number, d.sb_set_at IS NULL, d.evidence)::text)
             FROM dvflag.sb_due_for_clearing() d WHERE d.number = '1005'),
          ARRAY[ROW('1005', true, 'card_registered')::text],
          'an SB whose setting is unknown is due once a card is registered after the oldest audit row');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
