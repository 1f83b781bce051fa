-- dvflag.purge() (RULES.md §8): what is past its retention goes, every
-- flag's effect stays, the purge is audited, and the append-only tables
-- lose rows only through it and only past their own period.
BEGIN;
SELECT plan(20);
\i test/fixtures/worked_examples.sql
\i test/fixtures/health_records.sql
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff', '01130012');
-- a person who left long ago, with SB on their (lost) latest enrollment
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, address, postcode)
VALUES ('GONE-SB', '01130012', 'A1', '9001', '00', '2001-04-01', '2005-04-01', '東京都港区', '105-0001');
SELECT dvflag.set_flag('01130012', 'A1', '9001', '00', 'sb', true, 'application (long ago)');
-- old records and old audit rows, written as the owner may (INSERT only)
INSERT INTO dvflag.provision_record (request_id, requester, insurer_no, link_no, item_code, ndc,
                                     requested_at, completed_at, outcome, manual, nd_mark)
VALUES (9001, 'old', '131136', 'NO-FLAG', 'TM01', false, '2010-01-01', '2010-01-01', 'provided', false, false),
       (9002, 'new', '131136', 'NO-FLAG', 'TM01', false, now(), now(), 'provided', false, false);
INSERT INTO dvflag.provision_mark (record_id, actor, reason)
SELECT id, 'old', 'old mark' FROM dvflag.provision_record WHERE request_id = 9001;
INSERT INTO dvflag.audit (at, actor, action, detail)
VALUES ('1990-01-01', 'old', 'flag_change', '{"old": true}'), ('2015-01-01', 'old', 'flag_change', '{"mid": true}');
INSERT INTO dvflag.registration_refusal (at, link_no, card_serial, event)
VALUES ('1990-01-01', 'SB-AT-C', 'CARD-1990', 'old.1'), ('2015-01-01', 'SB-AT-C', 'CARD-2015', 'old.2');
CREATE FUNCTION pg_temp.address(number text) RETURNS text LANGUAGE sql AS
  $$ SELECT coalesce(q.address, '-') FROM dvflag.enrollment e,
       dvflag.clinic_by_insurance_card(e.insurer_no, e.symbol, e.number, e.branch) q WHERE e.number = $1 LIMIT 1 $$;

SELECT is(pg_temp.address('1004'), '-', 'before: ND at A (lost 2016) hides ND-AT-A''s address');

-- nobody but admin; nothing outside the purge
SET ROLE t_staff;
SELECT throws_ok('SELECT * FROM dvflag.purge()', '42501', NULL, 'staff may not purge');
RESET ROLE;
SELECT throws_ok($$DELETE FROM dvflag.audit WHERE at < '2000-01-01'$$, '42501', NULL,
                 'the owner cannot delete old audit rows by hand');
SET ROLE t_admin;
SELECT throws_ok('SET dvflag.audit_retention_years = 1', '42501', NULL, 'admin cannot shorten a retention period');

-- the default periods: 20 years after loss, records 7 years, audit 20 years
SELECT is((SELECT jsonb_object_agg(purged, rows) FROM dvflag.purge()),
          '{"audit": 1, "enrollment": 0, "health_record": 0, "provision_mark": 1, "provision_record": 1, "provision_request": 0, "person_nd_retained": 0, "registration_refusal": 1}',
          'defaults: the 2010 record and its mark go, the 1990 audit row and refusal go, no enrollment');
RESET ROLE;

-- shorter enrollment retention (a superuser setting)
SET LOCAL dvflag.enrollment_retention_years = 10;
SET ROLE t_admin;
SELECT is((SELECT rows FROM dvflag.purge() WHERE purged = 'enrollment'), 5::bigint,
          '10 years: the five enrollments at A lost in 2016 go; GONE-SB''s SB enrollment (lost 2005) stays');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no = '01130012'), 1::bigint,
          'only the latest enrollment of a person under SB is kept at A');
SELECT is((SELECT count(*) FROM dvflag.health_record), 10::bigint,
          'the five medication records at A went with their enrollments; the ten at B and C stay');
SELECT is((SELECT detail->>'health_record' FROM dvflag.audit WHERE action = 'purge' ORDER BY id DESC LIMIT 1), '5',
          'the purge counts the five health records that went with the enrollments, in its audit row');
SELECT is((SELECT nd_retained::text || nd_eff::text FROM dvflag.person WHERE link_no = 'ND-AT-A'), 'truetrue',
          'ND-AT-A''s ND enrollment is gone; nd_retained keeps ND_eff');
SELECT is(pg_temp.address('1004'), '-', 'after: ND-AT-A''s address at C is still hidden');
SELECT is((SELECT array_agg(coalesce(h.institution_code, '-') ORDER BY h.service_date)
             FROM dvflag.clinic_health_by_card('CARD-ND-AT-A', true) h), '{-,-}',
          'after: the purged ND still hides the institutions of ND-AT-A''s records at B and C');
SELECT is((SELECT array_agg(h.insurer_no ORDER BY h.service_date) FROM dvflag.portal_health('CARD-ND-AT-A') h),
          '{06132013,131136}', 'and the portal shows the records left, at B and C');
SELECT is((SELECT sb_eff FROM dvflag.person WHERE link_no = 'GONE-SB'), true, 'GONE-SB is still under SB');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card('CARD-SB-AT-C')), 0::bigint, 'SB at C still answers nothing');
SELECT is((SELECT count(*) FROM dvflag.person WHERE NOT nd_retained AND nd_eff), 1::bigint,
          'ND-AT-B keeps its ND at B (lost 2021, not yet purged)');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'via' = 'DELETE'
             AND detail->>'reason' LIKE 'retention purge%'), 1::bigint,
          'the purged ND enrollment''s flag is audited as removed, with the purge as reason');
SELECT is((SELECT detail->>'enrollment' FROM dvflag.audit WHERE action = 'purge' ORDER BY id DESC LIMIT 1), '5',
          'the purge itself is audited with its counts');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE detail ? 'mid'), 1::bigint,
          'the 2015 audit row stays: the audit is kept as long as the longest period (20 years)');
SELECT throws_ok($$DELETE FROM dvflag.provision_record$$, '42501', NULL,
                 'after the purge, records are append-only again');

SELECT * FROM finish();
ROLLBACK;
