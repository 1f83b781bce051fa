-- The audit (RULES.md §3 "Every disaster-mode search, every flag change ...
-- is audited"; API.md "Audit"): every change of nd, sb or ar needs a reason
-- and writes one audit row per flag changed; card registrations, card stops,
-- proxy changes, disasters and disaster searches write audit rows; the
-- actor is the login role (session_user) and the client the setting
-- dvflag.client; dvflag.audit is append-only, even for the superuser.
-- Refused registrations and searches leave no row here (their transaction
-- failed): they go to the server log, see test/sh/audit_log.t.
-- A = 01130012, B = 06132013, C = 131136.
BEGIN;
SELECT plan(105);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
SELECT dvflag.grant_insurer('t_staff_a', '01130012') AS granted \gset

-- The audit rows written since a mark, as JSON (for the superuser).
CREATE FUNCTION pg_temp.audit_since(mark bigint) RETURNS jsonb LANGUAGE sql AS $f$
  SELECT coalesce(jsonb_agg(jsonb_build_object('actor', a.actor, 'client', a.client, 'action', a.action,
                                               'target', a.target) || (a.detail - 'event' - 'enrollment_id')
                            ORDER BY a.id), '[]')
    FROM dvflag.audit a WHERE a.id > mark AND a.action <> 'protection_change';
$f$;
-- The flags of a person at A, B and C, and the whole table, to show what did not change.
CREATE FUNCTION pg_temp.flags(p text) RETURNS text LANGUAGE sql AS $f$
  SELECT string_agg(insurer_no || ':' || nd::int || sb::int || ar::int, ' ' ORDER BY acquired_on)
    FROM dvflag.enrollment WHERE link_no = p;
$f$;
CREATE FUNCTION pg_temp.enrollment_state() RETURNS text LANGUAGE sql AS $f$
  SELECT count(*) || ':' || md5(string_agg(e::text, ',' ORDER BY e.id)) FROM dvflag.enrollment e;
$f$;
CREATE FUNCTION pg_temp.audit_count() RETURNS bigint LANGUAGE sql AS $f$
  SELECT count(*) FROM dvflag.audit;
$f$;

---------------------------------------------------------------------------
-- set_flag, by a login role acting as itself (session_user = t_staff_a)
---------------------------------------------------------------------------
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SET dvflag.client = 'insurer-A/staff-0042';
SELECT is(dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, 'application by the person'), true,
          'set_flag returns true when the flag changes');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_staff_a", "client": "insurer-A/staff-0042", "action": "flag_change",
             "target": "01130012/A1/1005/00", "flag": "nd", "old": false, "new": true,
             "reason": "application by the person", "via": "set_flag", "link_no": "NO-FLAG"}]',
          'set_flag: one audit row with actor, client, flag, old, new, reason, via');
SELECT is((SELECT (detail->>'enrollment_id')::bigint FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          (SELECT id FROM dvflag.enrollment WHERE insurer_no = '01130012' AND number = '1005'),
          'set_flag: the audit row names the enrollment');
SELECT ok((SELECT bool_and(at BETWEEN now() AND clock_timestamp()) FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          'set_flag: the audit row has the time of the change');
SELECT ok((SELECT detail ? 'event' FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'), 'set_flag: the audit row has an event id');

-- the same value again: false, no row
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SELECT is(dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, 'again'), false,
          'set_flag to the value the flag has returns false');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m), '[]', 'set_flag to the same value writes no audit row');

-- by SET ROLE: the actor stays the login role, the role acted as is named
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_staff_a;
SELECT is(dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', false, 'cleared on application'), true,
          'set_flag clearing the flag returns true');
RESET ROLE;
SELECT is((SELECT jsonb_build_object('actor', actor, 'client', client, 'role', detail->'role',
                                     'old', detail->'old', 'new', detail->'new')
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          jsonb_build_object('actor', session_user, 'client', NULL, 'role', 't_staff_a', 'old', true, 'new', false),
          'set_flag under SET ROLE: actor is session_user, the role is in the detail, client NULL when unset');

-- the argument's reason wins over dvflag.reason
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_admin;
SET LOCAL dvflag.reason = 'the setting''s reason';
SELECT is(dvflag.set_flag('06132013', 'B2', '1005', '00', 'ar', true, 'the argument''s reason'), true,
          'set_flag by admin works');
RESET dvflag.reason;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_build_object('actor', actor, 'reason', detail->'reason', 'via', detail->'via')
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '{"actor": "t_admin", "reason": "the argument''s reason", "via": "set_flag"}',
          'set_flag: the reason given as argument is recorded, not dvflag.reason');

-- a blank reason changes nothing
SELECT pg_temp.enrollment_state() AS before_state, pg_temp.audit_count() AS before_audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'sb', true, '　')$$,
                 '22023', NULL, 'set_flag with a reason of U+3000 -> 22023');
SET LOCAL dvflag.reason = 'a reason in the setting does not make up for it';
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'sb', true, NULL)$$,
                 '22023', NULL, 'set_flag with a NULL reason -> 22023, even with dvflag.reason set');
RESET dvflag.reason;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.enrollment_state(), :'before_state', 'the refused set_flag changed no enrollment');
SELECT is(pg_temp.audit_count(), :before_audit::bigint, 'the refused set_flag wrote no audit row');

---------------------------------------------------------------------------
-- plain DML by insurer staff: the reason is dvflag.reason
---------------------------------------------------------------------------
SET SESSION AUTHORIZATION t_staff_a;
SET dvflag.client = 'insurer-A/staff-0042';

-- without a reason: refused, nothing changed
RESET dvflag.reason;
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1005'$$,
                 '22023', NULL, 'UPDATE of nd without dvflag.reason -> 22023');
SELECT throws_ok($$UPDATE dvflag.enrollment SET ar = true, address = '東京都' WHERE number = '1005'$$,
                 '22023', NULL, 'UPDATE of ar and the address without dvflag.reason -> 22023');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, sb)
                   VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01', true)$$,
                 '22023', NULL, 'INSERT of a row with sb without dvflag.reason -> 22023');
SELECT throws_ok($$DELETE FROM dvflag.enrollment WHERE number = '1004'$$,
                 '22023', NULL, 'DELETE of a row with nd without dvflag.reason -> 22023');
SELECT throws_ok($$DELETE FROM dvflag.enrollment WHERE number IN ('1004', '1005')$$,
                 '22023', NULL, 'DELETE of a flagged and an unflagged row without dvflag.reason -> 22023');
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1005'$$,
                 '22023', 'a reason is required to change nd, sb or ar',
                 'the message asks for a reason');
SET LOCAL dvflag.reason = '   ';
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1005'$$,
                 '22023', NULL, 'UPDATE of nd with dvflag.reason of spaces -> 22023');
SET LOCAL dvflag.reason = '　';
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1005'$$,
                 '22023', NULL, 'UPDATE of nd with dvflag.reason of U+3000 -> 22023');
SET LOCAL dvflag.reason = '';
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1005'$$,
                 '22023', NULL, 'UPDATE of nd with dvflag.reason empty -> 22023');
RESET dvflag.reason;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.enrollment_state(), :'before_state', 'the refused statements changed no enrollment');
SELECT is(pg_temp.audit_count(), :before_audit::bigint, 'the refused statements wrote no audit row');
SELECT is(pg_temp.flags('ND-AT-A'), '01130012:100 06132013:000 131136:000', 'ND at A is still set');

-- the replica role does not silence the trigger
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$UPDATE dvflag.enrollment SET nd = false WHERE number = '1004'$$,
                 '22023', NULL, 'with session_replication_role = replica an UPDATE of nd still needs a reason');
SET LOCAL session_replication_role = origin;
SELECT throws_ok($$TRUNCATE dvflag.enrollment$$, '0A000', NULL,
                 'TRUNCATE of the enrollments (bypassing the reason) is refused, even for the superuser');
SELECT is(pg_temp.enrollment_state(), :'before_state', 'and changed nothing');

-- changes that touch no flag need no reason and write no audit row
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
RESET dvflag.reason;
SELECT lives_ok($$UPDATE dvflag.enrollment SET address = '東京都新宿区西新宿4-4-4' WHERE number = '1004'$$,
                'UPDATE of the address of a flagged row needs no reason');
SELECT lives_ok($$UPDATE dvflag.enrollment SET nd = true WHERE number = '1004'$$,
                'UPDATE setting nd to the value it has needs no reason');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                  VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01')$$,
                'INSERT of an unflagged row needs no reason');
SELECT lives_ok($$DELETE FROM dvflag.enrollment WHERE number = '2001'$$,
                'DELETE of an unflagged row needs no reason');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m), '[]', 'changes that touch no flag write no audit row');

-- with a reason: one audit row per flag changed
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SET LOCAL dvflag.reason = 'application received 2024-05-01';
UPDATE dvflag.enrollment SET nd = true WHERE number = '1005';
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_staff_a", "client": "insurer-A/staff-0042", "action": "flag_change",
             "target": "01130012/A1/1005/00", "flag": "nd", "old": false, "new": true,
             "reason": "application received 2024-05-01", "via": "UPDATE", "link_no": "NO-FLAG"}]',
          'UPDATE of nd with dvflag.reason: one audit row, via UPDATE, with the setting''s reason');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
UPDATE dvflag.enrollment SET sb = true, ar = true, address = '東京都' WHERE number = '1005';
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_agg(jsonb_build_object('flag', detail->'flag', 'old', detail->'old', 'new', detail->'new',
                                               'via', detail->'via') ORDER BY detail->>'flag')
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '[{"flag": "ar", "old": false, "new": true, "via": "UPDATE"},
            {"flag": "sb", "old": false, "new": true, "via": "UPDATE"}]',
          'UPDATE changing sb and ar at once: two audit rows, one per flag');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
UPDATE dvflag.enrollment SET ar = true WHERE number IN ('1001', '1002', '1003');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT array_agg(target ORDER BY target) FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          ARRAY['01130012/A1/1001/00', '01130012/A1/1002/00', '01130012/A1/1003/00'],
          'UPDATE of ar on three rows: three audit rows, one per enrollment');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
UPDATE dvflag.enrollment SET nd = NOT nd WHERE number IN ('1004', '1005');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_agg(jsonb_build_object('target', target, 'old', detail->'old', 'new', detail->'new')
                            ORDER BY target)
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '[{"target": "01130012/A1/1004/00", "old": true, "new": false},
            {"target": "01130012/A1/1005/00", "old": true, "new": false}]',
          'UPDATE clearing nd on two rows: two audit rows with old true, new false');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, nd, ar)
VALUES ('NEW-PERSON', '01130012', 'A1', '2001', '00', '2020-04-01', true, true);
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_staff_a", "client": "insurer-A/staff-0042", "action": "flag_change",
             "target": "01130012/A1/2001/00", "flag": "nd", "old": false, "new": true,
             "reason": "application received 2024-05-01", "via": "INSERT", "link_no": "NEW-PERSON"},
            {"actor": "t_staff_a", "client": "insurer-A/staff-0042", "action": "flag_change",
             "target": "01130012/A1/2001/00", "flag": "ar", "old": false, "new": true,
             "reason": "application received 2024-05-01", "via": "INSERT", "link_no": "NEW-PERSON"}]',
          'INSERT of a row with nd and ar: two audit rows, via INSERT');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SET LOCAL dvflag.reason = 'entered by mistake';
DELETE FROM dvflag.enrollment WHERE number = '2001';
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_agg(jsonb_build_object('flag', detail->'flag', 'old', detail->'old', 'new', detail->'new',
                                               'via', detail->'via', 'reason', detail->'reason')
                            ORDER BY detail->>'flag')
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '[{"flag": "ar", "old": true, "new": false, "via": "DELETE", "reason": "entered by mistake"},
            {"flag": "nd", "old": true, "new": false, "via": "DELETE", "reason": "entered by mistake"}]',
          'DELETE of a row with nd and ar: two audit rows, via DELETE, old true, new false');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE id > :m AND action <> 'protection_change' AND actor = 't_staff_a' AND action = 'flag_change'),
          2::bigint, 'and their actor is the login role');
SET SESSION AUTHORIZATION t_staff_a;
RESET dvflag.reason;
RESET dvflag.client;
RESET SESSION AUTHORIZATION;

-- admin's plain DML is audited the same way
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_admin;
SET LOCAL dvflag.reason = 'correction by admin';
UPDATE dvflag.enrollment SET ar = true WHERE insurer_no = '131136' AND number = '1002';
RESET dvflag.reason;
RESET ROLE;
SELECT is((SELECT jsonb_build_object('actor', actor, 'role', detail->'role', 'flag', detail->'flag',
                                     'target', target, 'via', detail->'via')
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          jsonb_build_object('actor', session_user, 'role', 't_admin', 'flag', 'ar',
                             'target', '131136//1002/00', 'via', 'UPDATE'),
          'admin: UPDATE of ar audited, the target without a symbol');

---------------------------------------------------------------------------
-- cards
---------------------------------------------------------------------------
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_portal;
SET dvflag.client = 'portal/session-77';
SELECT lives_ok($$SELECT dvflag.register_card('NEW-CARD-1', '131136', NULL, '1005', '00')$$,
                'register_card works');
SELECT lives_ok($$SELECT dvflag.register_card('NEW-CARD-1', '131136', NULL, '1005', '00')$$,
                'register_card of a card already registered to the person works');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_portal", "client": "portal/session-77", "action": "card_register",
             "target": "131136//1005/00", "card_serial": "NEW-CARD-1", "link_no": "NO-FLAG"}]',
          'card registration: one audit row with the card and the person');

-- a refused registration leaves its row, committed on its own: the error
-- that ends the statement does not take it away
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('NEW-CARD-2', '131136', NULL, '1002', '00')$$,
                 'DV001', NULL, 'register_card while SB_eff -> DV001');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_portal", "client": null, "action": "card_register_refused",
             "target": "131136//1002/00", "card_serial": "NEW-CARD-2", "link_no": "SB-AT-C"}]',
          'the refused registration left one audit row, with the card and the person');
SELECT is((SELECT count(*) FROM dvflag.card WHERE card_serial = 'NEW-CARD-2'), 0::bigint,
          'and no card');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_staff_a;
SET dvflag.client = 'insurer-A/staff-0042';
SELECT lives_ok($$SELECT dvflag.stop_card('NEW-CARD-1', 'the card was taken (STEP1)')$$, 'stop_card works');
SELECT lives_ok($$SELECT dvflag.stop_card('NEW-CARD-1', 'again')$$, 'stop_card of a stopped card works');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_staff_a", "client": "insurer-A/staff-0042", "action": "card_stop",
             "target": "NEW-CARD-1", "link_no": "NO-FLAG", "reason": "the card was taken (STEP1)"}]',
          'card stop: one audit row with the card, the person and the reason');

---------------------------------------------------------------------------
-- proxies
---------------------------------------------------------------------------
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_portal;
SET dvflag.client = 'portal/session-78';
SELECT lives_ok($$SELECT dvflag.set_proxy('CARD-NO-FLAG', 'ND-AT-A')$$, 'set_proxy works');
SELECT lives_ok($$SELECT dvflag.set_proxy('CARD-NO-FLAG', 'ND-AT-A')$$, 'set_proxy of an existing proxy works');
SELECT is(dvflag.remove_proxy('CARD-NO-FLAG', 'ND-AT-A'), true, 'remove_proxy returns true');
SELECT is(dvflag.remove_proxy('CARD-NO-FLAG', 'ND-AT-A'), false, 'remove_proxy of no proxy returns false');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_portal", "client": "portal/session-78", "action": "proxy_set",
             "target": "NO-FLAG", "principal_link_no": "NO-FLAG", "agent_link_no": "ND-AT-A"},
            {"actor": "t_portal", "client": "portal/session-78", "action": "proxy_remove",
             "target": "NO-FLAG", "principal_link_no": "NO-FLAG", "agent_link_no": "ND-AT-A"}]',
          'proxy set and remove: one audit row each, none for what changed nothing');

---------------------------------------------------------------------------
-- disasters and disaster-mode search
---------------------------------------------------------------------------
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_admin;
SELECT dvflag.declare_disaster('2024-01-01 16:10+09', '2124-01-01 00:00+09', 'Noto earthquake (test)') AS d \gset
RESET SESSION AUTHORIZATION;
SELECT is((SELECT jsonb_build_object('actor', actor, 'action', action, 'target', target, 'note', detail->'note',
                                     'starts', (detail->>'starts')::timestamptz, 'ends', (detail->>'ends')::timestamptz)
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          jsonb_build_object('actor', 't_admin', 'action', 'disaster_declare', 'target', :'d',
                             'note', 'Noto earthquake (test)',
                             'starts', '2024-01-01 16:10+09'::timestamptz, 'ends', '2124-01-01 00:00+09'::timestamptz),
          'disaster declaration: one audit row with its id, note, starts and ends');

SELECT dvflag.audit_flush() AS flushed \gset
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_disaster;
SET dvflag.client = 'clinic-1312345678/dr-7';
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'たなか　けん', insurer_name => '保険',
                                                       sex => 1)),
          3::bigint, 'disaster_search answers 3 rows');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
-- the row of an audited read is written by the audit writer, just after
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT jsonb_build_object('actor', actor, 'client', client, 'action', action,
                                     'result_count', (detail->>'result_count')::int)
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '{"actor": "t_disaster", "client": "clinic-1312345678/dr-7", "action": "disaster_search",
            "result_count": 3}',
          'disaster search: one audit row with actor, client and the result count');
SELECT is((SELECT jsonb_object_agg(c.key, c.value) FROM dvflag.audit a, jsonb_each_text(a.detail->'criteria') c
            WHERE a.id > :m),
          '{"birth_date": "1970-05-05", "kana": "たなか　けん", "insurer_name": "保険", "sex": "1"}',
          'disaster search: the audit row names the criteria as given');

SELECT dvflag.audit_flush() AS flushed \gset
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-12-31', name => '誰 も', address => 'いない')),
          0::bigint, 'disaster_search with no match answers 0 rows');
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT jsonb_build_object('action', action, 'result_count', (detail->>'result_count')::int,
                                     'criteria', (SELECT jsonb_object_agg(c.key, c.value)
                                                    FROM jsonb_each_text(detail->'criteria') c))
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '{"action": "disaster_search", "result_count": 0,
            "criteria": {"birth_date": "1999-12-31", "name": "誰 も", "address": "いない"}}',
          'a search that finds nobody is audited too, with result count 0');

-- the audit's dates do not depend on the searching session's DateStyle
SELECT dvflag.audit_flush() AS flushed \gset
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_disaster;
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1985-04-12', kana => 'ヤマダ ハナコ', insurer_name => '保険')),
          3::bigint, 'disaster_search under DateStyle SQL, DMY answers 3 rows');
RESET DateStyle;
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT detail->'criteria'->>'birth_date' FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'), '1985-04-12',
          'the audit records the birth date in ISO form (not 12/04/1985, which reads as 4 December elsewhere)');

-- refused searches leave no row (they go to the server log)
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address)
SELECT 'MANY-' || g, '01130012', 'M', 'M' || g, '00', date '2020-04-01', '同 名', 'ドウ メイ', 1, date '2000-01-01', '東京都'
  FROM generate_series(1, 21) AS g;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT pg_temp.audit_count() AS before_audit \gset
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('2000-01-01', kana => 'ドウメイ', insurer_name => '保険')$$,
                 'DV003', NULL, 'disaster_search with 21 candidates -> DV003');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('2000-01-01', kana => 'ドウメイ', insurer_name => '保')$$,
                 '22023', NULL, 'disaster_search with a fragment of one character -> 22023');
RESET ROLE;
SELECT is(pg_temp.audit_count(), :before_audit::bigint, 'the refused searches left no audit row');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_admin;
SELECT lives_ok(format('SELECT dvflag.end_disaster(%s)', :d), 'end_disaster works');
SELECT lives_ok(format('SELECT dvflag.end_disaster(%s)', :d), 'end_disaster of an ended disaster works');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          jsonb_build_array(jsonb_build_object('actor', 't_admin', 'client', NULL, 'action', 'disaster_end',
                                               'target', :'d')),
          'disaster end: one audit row with its id');

SELECT pg_temp.audit_count() AS before_audit \gset
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')$$,
                 'DV002', NULL, 'disaster_search with no disaster declared -> DV002');
RESET ROLE;
SELECT is(pg_temp.audit_count(), :before_audit::bigint, 'the refused search left no audit row');

---------------------------------------------------------------------------
-- the insurer mapping
---------------------------------------------------------------------------
-- a declaration by a session with another DateStyle is recorded unambiguously
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_admin;
SET LOCAL DateStyle = 'SQL, DMY';
SELECT dvflag.declare_disaster('2024-02-01 09:00+09', '2024-03-01 09:00+09', 'DateStyle test') AS d2 \gset
RESET DateStyle;
RESET ROLE;
SELECT is((SELECT (detail->>'starts')::timestamptz FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          '2024-02-01 09:00+09'::timestamptz,
          'the audit of a declaration made under DateStyle SQL, DMY reads back as the same starts');

SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET SESSION AUTHORIZATION t_admin;
SELECT lives_ok($$SELECT dvflag.grant_insurer('t_staff_a', '06132013')$$, 'grant_insurer works');
SELECT lives_ok($$SELECT dvflag.revoke_insurer('t_staff_a', '06132013')$$, 'revoke_insurer works');
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.audit_since(:m),
          '[{"actor": "t_admin", "client": null, "action": "insurer_grant", "target": "t_staff_a",
             "mapped_role": "t_staff_a", "insurer_no": "06132013"},
            {"actor": "t_admin", "client": null, "action": "insurer_revoke", "target": "t_staff_a",
             "mapped_role": "t_staff_a", "insurer_no": "06132013"}]',
          'grant_insurer and revoke_insurer: one audit row each');

-- under SET ROLE the audit names both the login role and the role acted as
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_admin;
SELECT lives_ok($$SELECT dvflag.grant_insurer('t_staff_a', '06132013')$$, 'grant_insurer under SET ROLE works');
RESET ROLE;
SELECT is((SELECT jsonb_build_object('actor', actor, 'insurer_no', detail->'insurer_no',
                                     'names the role acted as', strpos(detail::text, '"t_admin"') > 0,
                                     'names the role mapped', strpos(detail::text, '"t_staff_a"') > 0)
             FROM dvflag.audit WHERE id > :m AND action <> 'protection_change'),
          jsonb_build_object('actor', session_user, 'insurer_no', '06132013',
                             'names the role acted as', true, 'names the role mapped', true),
          'grant_insurer under SET ROLE: the detail keeps the role acted as and the role mapped');

---------------------------------------------------------------------------
-- who reads the audit; nobody changes it
---------------------------------------------------------------------------
SELECT pg_temp.audit_count() AS before_audit \gset
SELECT md5(string_agg(a::text, ',' ORDER BY a.id)) AS audit_md5 FROM dvflag.audit a \gset
SET ROLE t_auditor;
SELECT is((SELECT count(*) FROM dvflag.audit), :before_audit::bigint, 'the auditor reads every audit row');
SELECT throws_ok($$UPDATE dvflag.audit SET actor = 'someone else'$$, '42501', NULL, 'auditor: UPDATE -> 42501');
SELECT throws_ok($$DELETE FROM dvflag.audit$$, '42501', NULL, 'auditor: DELETE -> 42501');
SELECT throws_ok($$TRUNCATE dvflag.audit$$, '42501', NULL, 'auditor: TRUNCATE -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.audit (actor, action) VALUES ('someone', 'forged')$$, '42501', NULL,
                 'auditor: INSERT -> 42501');
SELECT throws_ok($$SELECT * FROM dvflag.enrollment$$, '42501', NULL, 'auditor: SELECT on enrollment -> 42501');
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.audit), :before_audit::bigint, 'admin reads every audit row');
SELECT throws_ok($$UPDATE dvflag.audit SET actor = 'someone else'$$, '42501', NULL, 'admin: UPDATE -> 42501');
SELECT throws_ok($$DELETE FROM dvflag.audit$$, '42501', NULL, 'admin: DELETE -> 42501');
SELECT throws_ok($$TRUNCATE dvflag.audit$$, '42501', NULL, 'admin: TRUNCATE -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.audit (actor, action) VALUES ('someone', 'forged')$$, '42501', NULL,
                 'admin: INSERT -> 42501');
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT * FROM dvflag.audit$$, '42501', NULL, 'insurer staff: SELECT on the audit -> 42501');
SET ROLE t_portal;
SELECT throws_ok($$SELECT * FROM dvflag.audit$$, '42501', NULL, 'portal: SELECT on the audit -> 42501');
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.audit$$, '42501', NULL, 'clinic: SELECT on the audit -> 42501');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.audit$$, '42501', NULL, 'disaster: SELECT on the audit -> 42501');
RESET ROLE;
-- the superuser, who owns the table
SELECT throws_ok($$UPDATE dvflag.audit SET actor = 'someone else'$$, '42501', NULL, 'superuser: UPDATE -> 42501');
SELECT throws_ok($$UPDATE dvflag.audit SET detail = detail || '{"reason": "rewritten"}' WHERE action = 'flag_change'$$,
                 '42501', NULL, 'superuser: UPDATE of a reason -> 42501');
SELECT throws_ok($$DELETE FROM dvflag.audit$$, '42501', NULL, 'superuser: DELETE -> 42501');
SELECT throws_ok($$DELETE FROM dvflag.audit WHERE action = 'card_stop'$$, '42501', NULL,
                 'superuser: DELETE of one row -> 42501');
SELECT throws_ok($$TRUNCATE dvflag.audit$$, '42501', NULL, 'superuser: TRUNCATE -> 42501');
SELECT throws_ok($$TRUNCATE dvflag.audit, dvflag.card$$, '42501', NULL, 'superuser: TRUNCATE with another table -> 42501');
SELECT throws_ok($$DELETE FROM dvflag.audit$$, '42501', 'dvflag.audit is append-only',
                 'the message says the audit is append-only');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM dvflag.audit$$, '42501', NULL,
                 'superuser with session_replication_role = replica: DELETE -> 42501');
SELECT throws_ok($$UPDATE dvflag.audit SET actor = 'someone else'$$, '42501', NULL,
                 'superuser with session_replication_role = replica: UPDATE -> 42501');
SET LOCAL session_replication_role = origin;
SELECT is(pg_temp.audit_count(), :before_audit::bigint, 'the audit has as many rows as before');
SELECT is((SELECT md5(string_agg(a::text, ',' ORDER BY a.id)) FROM dvflag.audit a), :'audit_md5',
          'and the same rows');

SELECT * FROM finish();
ROLLBACK;
