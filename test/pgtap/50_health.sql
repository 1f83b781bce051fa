-- RULES.md §3a: health information under the same flags, cell by cell, on
-- the worked examples of §4 (a person moved A -> B -> C, C the latest; a
-- medication record at each of A, B and C: test/fixtures/health_records.sql).
-- A = 01130012, B = 06132013, C = 131136.  Then the kinds, consent, proxies,
-- stopped cards, flags set and cleared at a past and at the latest insurer,
-- a move, the audit, and the staff who load the records under row-level
-- security.
BEGIN;
SELECT plan(115);
\i test/fixtures/worked_examples.sql
\i test/fixtures/health_records.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_none LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
SELECT dvflag.grant_insurer('t_staff_b', '06132013') AS granted \gset
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'health tests') AS disaster_id \gset

-- a checkup and a medical-fee notice at C for every person, for the kinds
INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, institution_name, content)
SELECT e.id, k.kind, k.service_date, '2710000044', '梅田健診センター', k.content
  FROM dvflag.enrollment e,
       (VALUES ('checkup', date '2024-09-10', '{"bmi": 22.1, "hba1c": 5.4}'::jsonb),
               ('medical_fee', date '2024-06-01', '{"total_cost": 3200, "days": 1}'::jsonb)) AS k(kind, service_date, content)
 WHERE e.insurer_no = '131136';

CREATE FUNCTION pg_temp.letter(insurer_no text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE insurer_no WHEN '01130012' THEN 'A' WHEN '06132013' THEN 'B' WHEN '131136' THEN 'C'
                            ELSE insurer_no END $$;
-- A path's answer, compact: one 'insurer:code:name' per record in the
-- order given, 'code'/'name' when shown, '-' when NULL; '-' for no record.
CREATE FUNCTION pg_temp.shown(rows dvflag.health_info[]) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(pg_temp.letter(r.insurer_no)
                             || ':' || CASE WHEN r.institution_code IS NULL THEN '-' ELSE 'code' END
                             || ':' || CASE WHEN r.institution_name IS NULL THEN '-' ELSE 'name' END, ' ' ORDER BY o), '-')
    FROM unnest(rows) WITH ORDINALITY AS r(insurer_no, symbol, number, branch, kind, service_date,
                                           institution_code, institution_name, content, o) $$;
-- The kinds of an answer, in the order given.
CREATE FUNCTION pg_temp.kinds(rows dvflag.health_info[]) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(r.kind, ' ' ORDER BY o), '-')
    FROM unnest(rows) WITH ORDINALITY AS r(insurer_no, symbol, number, branch, kind, service_date,
                                           institution_code, institution_name, content, o) $$;

-------------------------------------------------------------------------------
-- 1. The table of §3a, every cell, for every row of §4 (medication records)
-------------------------------------------------------------------------------
CREATE TEMP TABLE expect (link_no text, number text, portal text, clinic text, disaster text);
INSERT INTO expect VALUES
  ('SB-AT-B', '1001', 'A:code:name B:code:name C:code:name', 'A:code:- B:code:- C:code:-', 'A:code:- B:code:- C:code:-'),
  ('SB-AT-C', '1002', '-',                                  '-',                          'A:-:- B:-:- C:-:-'),
  ('ND-AT-B', '1003', 'A:code:name B:code:name C:code:name', 'A:-:- B:-:- C:-:-',          'A:-:- B:-:- C:-:-'),
  ('ND-AT-A', '1004', 'A:code:name B:code:name C:code:name', 'A:-:- B:-:- C:-:-',          'A:-:- B:-:- C:-:-'),
  ('NO-FLAG', '1005', 'A:code:name B:code:name C:code:name', 'A:code:- B:code:- C:code:-', 'A:code:- B:code:- C:code:-');
GRANT SELECT ON expect TO PUBLIC;

SET ROLE t_portal;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.portal_health('CARD-' || x.link_no, kind => 'medication') h)),
          x.portal, x.link_no || ': portal_health, every record, institution shown; none while SB_eff (§3a row 1)')
  FROM expect x ORDER BY x.link_no;
SET ROLE t_clinic;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-' || x.link_no, true, 'medication') h)),
          x.clinic, x.link_no || ': clinic_health_by_card, no name, the code only when not hide_address (§3a row 2)')
  FROM expect x ORDER BY x.link_no;
SET ROLE t_disaster;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.disaster_health('131136', NULL, x.number, '00', true, 'medication') h)),
          x.disaster, x.link_no || ': disaster_health by the enrollment at C, shown despite SB (§3a row 4)')
  FROM expect x ORDER BY x.link_no;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.disaster_health('01130012', 'A1', x.number, '00', true, 'medication') h)),
          x.disaster, x.link_no || ': disaster_health by the enrollment at A: the same records, the person''s')
  FROM expect x ORDER BY x.link_no;
RESET ROLE;

-- what a record carries: the card of its own enrollment, its date, kind and content whole
SET ROLE t_portal;
SELECT is((SELECT array_agg(format('%s/%s/%s/%s %s %s', h.insurer_no, coalesce(h.symbol, ''), h.number, h.branch,
                                   h.service_date, h.content ->> 'drug') ORDER BY h.service_date)
             FROM dvflag.portal_health('CARD-NO-FLAG', kind => 'medication') h),
          ARRAY['01130012/A1/1005/00 2015-06-01 ロキソプロフェン錠60mg', '06132013/B2/1005/00 2019-06-01 アムロジピン錠5mg',
                '131136//1005/00 2024-06-01 メトホルミン錠250mg'],
          'portal_health: each record with the insurance card of its enrollment, in the order of the dates');
SELECT is((SELECT h.content FROM dvflag.portal_health('CARD-NO-FLAG', kind => 'checkup') h),
          '{"bmi": 22.1, "hba1c": 5.4}'::jsonb, 'the content as delivered');
SELECT is((SELECT h.institution_name || ' ' || h.institution_code FROM dvflag.portal_health('CARD-ND-AT-B') h
            WHERE h.insurer_no = '06132013'), '横浜中央薬局 1410000022',
          'ND has no effect on the portal: the institution where ND was set is shown there, as the address is');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true) h WHERE h.institution_name IS NOT NULL),
          0::bigint, 'clinic: never an institution''s name, not even of an unprotected person');
RESET ROLE;

-------------------------------------------------------------------------------
-- 2. Kinds
-------------------------------------------------------------------------------
SET ROLE t_portal;
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.portal_health('CARD-NO-FLAG') h)),
          'medication medication medication medical_fee checkup',
          'portal: every kind, medical-fee notices too, by date');
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.portal_health('CARD-NO-FLAG', kind => 'medical_fee') h)),
          'medical_fee', 'portal: kind => medical_fee filters');
SELECT is((SELECT h.content ->> 'total_cost' FROM dvflag.portal_health('CARD-NO-FLAG', kind => 'medical_fee') h),
          '3200', 'portal: the notice''s cost');
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.portal_health('CARD-SB-AT-C', kind => 'medical_fee') h)),
          '-', 'portal: no medical-fee notice either while SB_eff');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', kind => 'prescription')$$, '22023',
                 'unknown kind "prescription"', 'portal: an unknown kind -> 22023');
SET ROLE t_clinic;
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true) h)),
          'medication medication medication checkup', 'clinic: medication and checkups, never a medical-fee notice');
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true, 'checkup') h)),
          'checkup', 'clinic: kind => checkup filters');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true, 'medical_fee')$$, '22023',
                 'clinic_health_by_card does not show medical_fee records',
                 'clinic: kind => medical_fee -> 22023 (no such path)');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', true, 'medical_fee')$$, '22023',
                 'clinic_health_by_card does not show medical_fee records',
                 'clinic: the same 22023 for a person under SB: the refusal says nothing of the person');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true, '')$$, '22023', NULL,
                 'clinic: an empty kind -> 22023');
SET ROLE t_disaster;
SELECT is(pg_temp.kinds(ARRAY(SELECT h FROM dvflag.disaster_health('131136', NULL, '1002', '00', true) h)),
          'medication medication medication checkup', 'disaster: medication and checkups of a person under SB');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', true, 'medical_fee')$$, '22023',
                 'disaster_health does not show medical_fee records', 'disaster: kind => medical_fee -> 22023');
RESET ROLE;

-------------------------------------------------------------------------------
-- 3. Consent: refused without it (22023), before anything is read
-------------------------------------------------------------------------------
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', false)$$, '22023',
                 'clinic_health_by_card needs the patient''s consent', 'clinic: consent => false -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', NULL)$$, '22023',
                 'clinic_health_by_card needs the patient''s consent', 'clinic: consent NULL -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('NO-SUCH-CARD', false)$$, '22023',
                 'clinic_health_by_card needs the patient''s consent',
                 'clinic: the same 22023 for an unknown card: consent is checked before the card is looked up');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', false)$$, '22023',
                 'clinic_health_by_card needs the patient''s consent', 'clinic: and for a person under SB');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', false)$$, '22023',
                 'disaster_health needs the patient''s consent', 'disaster: consent => false -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', NULL)$$, '22023',
                 'disaster_health needs the patient''s consent', 'disaster: consent NULL -> 22023');
RESET ROLE;

-------------------------------------------------------------------------------
-- 4. Cards, unknown persons, proxies
-------------------------------------------------------------------------------
-- a person with no record at all, with a card
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
VALUES ('NO-RECORDS', '131136', '1006', '00', '2021-04-01');
SELECT dvflag.register_card('CARD-NO-RECORDS', '131136', NULL, '1006', '00') AS registered \gset
INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ('SB-AT-C', 'NO-FLAG'), ('SB-AT-B', 'NO-FLAG');

SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('NO-SUCH-CARD')), 0::bigint, 'portal: an unknown card, no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-RECORDS')), 0::bigint, 'portal: a person with no record, no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-SB-AT-C')), 0::bigint,
          'portal: a person under SB, no rows: the same answer as for a person with no record');
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.portal_health('CARD-NO-FLAG', 'SB-AT-B', 'medication') h)),
          'A:code:name B:code:name C:code:name', 'portal, proxy: the principal''s records (SB at B only)');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG', 'SB-AT-C')), 0::bigint,
          'portal, proxy: nothing of a principal under SB_eff');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG', 'ND-AT-B')), 0::bigint,
          'portal, proxy: nothing without the proxy relation');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-SB-AT-B', 'NO-FLAG')), 0::bigint,
          'portal, proxy: the relation has a direction (the principal cannot read the agent''s)');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health(NULL)$$, '22023', 'card_serial must not be NULL or empty',
                 'portal: a NULL card -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', ' ')$$, '22023', NULL,
                 'portal: a blank principal -> 22023');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('NO-SUCH-CARD', true)), 0::bigint, 'clinic: an unknown card, no rows');
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-NO-RECORDS', true)), 0::bigint,
          'clinic: a person with no record, no rows');
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', true)), 0::bigint,
          'clinic: a person under SB, no rows and no error: the same answer');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('', true)$$, '22023', 'card_serial must not be NULL or empty',
                 'clinic: an empty card -> 22023');
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_health('131136', NULL, '9999', '00', true)), 0::bigint,
          'disaster: an unknown enrollment key, no rows');
SELECT is((SELECT count(*) FROM dvflag.disaster_health('131136', 'X', '1005', '00', true)), 0::bigint,
          'disaster: the key must be exact (a symbol C''s card does not have), no rows');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('1311', NULL, '1005', '00', true)$$, '22023', NULL,
                 'disaster: a malformed insurer number -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '0', true)$$, '22023', NULL,
                 'disaster: a malformed branch -> 22023');
RESET ROLE;

-- a stopped card answers nothing anywhere after
SELECT dvflag.stop_card('CARD-NO-FLAG', 'lost') AS stopped \gset
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG')), 0::bigint, 'portal: a stopped card, no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG', 'SB-AT-B')), 0::bigint,
          'portal: nor as a proxy''s card');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true)), 0::bigint, 'clinic: a stopped card, no rows');
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_health('131136', NULL, '1005', '00', true)), 4::bigint,
          'disaster: the person is found by the enrollment, card or not');
RESET ROLE;
SELECT dvflag.register_card('CARD-NO-FLAG-2', '131136', NULL, '1005', '00') AS registered \gset

-------------------------------------------------------------------------------
-- 5. Flags changed: every answer changes from the next statement on
-------------------------------------------------------------------------------
SET LOCAL dvflag.reason = 'health tests';
-- ND at the latest insurer (C)
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', true, 'ND at C') AS changed \gset
SET ROLE t_clinic;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-NO-FLAG-2', true, 'medication') h)),
          'A:-:- B:-:- C:-:-', 'ND set at the latest insurer: the codes hide at the clinic, at once');
SET ROLE t_portal;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.portal_health('CARD-NO-FLAG-2', kind => 'medication') h)),
          'A:code:name B:code:name C:code:name', 'and stay on the portal');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', false, 'ND at C cleared') AS changed \gset
SET ROLE t_clinic;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-NO-FLAG-2', true, 'medication') h)),
          'A:code:- B:code:- C:code:-', 'ND cleared: the codes show again');
RESET ROLE;
-- SB at a past insurer (A) hides nothing; at the latest (C) everything but disaster mode
SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'sb', true, 'SB at A') AS changed \gset
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG-2')), 5::bigint,
          'SB set at a past insurer (A): every record still shows on the portal, A''s too');
SET ROLE t_clinic;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-NO-FLAG-2', true, 'medication') h)),
          'A:code:- B:code:- C:code:-', 'and at the clinic, codes and all');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'sb', true, 'SB at C') AS changed \gset
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG-2')), 0::bigint,
          'SB set at the latest insurer: the portal answers nothing, from the next statement on');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-NO-FLAG-2', true)), 0::bigint, 'nor does the clinic');
SET ROLE t_disaster;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.disaster_health('131136', NULL, '1005', '00', true, 'medication') h)),
          'A:-:- B:-:- C:-:-', 'disaster mode shows the records, without the codes');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'sb', false, 'SB at C cleared') AS changed \gset
SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'sb', false, 'SB at A cleared') AS changed \gset
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG-2')), 5::bigint, 'SB cleared: the portal answers again');
RESET ROLE;

-- a move carries SB over: the new insurer's enrollment lifts nothing
INSERT INTO dvflag.insurer VALUES ('01010016', 'D 健保');
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
VALUES ('SB-AT-C', '01010016', 'D4', '1002', '00', '2025-04-01');
UPDATE dvflag.enrollment SET lost_on = '2025-04-01' WHERE link_no = 'SB-AT-C' AND insurer_no = '131136';
INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, institution_name, content)
SELECT id, 'medication', '2025-06-01', '0110000055', '札幌駅前薬局', '{"drug": "new town"}' FROM dvflag.enrollment
 WHERE link_no = 'SB-AT-C' AND insurer_no = '01010016';
SELECT is((SELECT sb_eff FROM dvflag.person WHERE link_no = 'SB-AT-C'), true, 'SB-AT-C moved to D: SB is carried over');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-SB-AT-C')), 0::bigint,
          'after the move the portal still answers nothing, the new insurer''s record included');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', true)), 0::bigint, 'nor does the clinic');
SET ROLE t_disaster;
SELECT is((SELECT array_agg(coalesce(h.institution_code, '-') || ' ' || coalesce(h.institution_name, '-'))
             FROM dvflag.disaster_health('01010016', 'D4', '1002', '00', true) h WHERE h.insurer_no = '01010016'),
          '{"- -"}', 'disaster mode shows the new record without the institution that names the new town');
RESET ROLE;

-------------------------------------------------------------------------------
-- 6. The audit: every clinic and disaster read, whatever it answered
-------------------------------------------------------------------------------
SELECT dvflag.audit_flush() AS flushed \gset
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_clinic;
SET dvflag.client = 'clinic 1310000001 / staff 7';
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', true, 'medication')), 3::bigint,
          'an audited clinic read answers');
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', true)), 0::bigint, 'and one that answers nothing');
SAVEPOINT before_rollback;
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-SB-AT-B', true)), 4::bigint, 'and one rolled back');
ROLLBACK TO SAVEPOINT before_rollback;
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_health('131136', NULL, '1004', '00', true)), 4::bigint,
          'an audited disaster read answers');
RESET dvflag.client;
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT array_agg(concat_ws(' ', detail->>'role', client, action, target, detail->>'consent', detail->'kinds',
                                      detail->>'link_no', detail->>'outcome', detail->>'result_count') ORDER BY at, id)
             FROM dvflag.audit WHERE id > :m AND action IN ('clinic_health_by_card', 'disaster_health')),
          ARRAY['t_clinic clinic 1310000001 / staff 7 clinic_health_by_card CARD-ND-AT-B true ["medication"] ND-AT-B answered 3',
                't_clinic clinic 1310000001 / staff 7 clinic_health_by_card CARD-SB-AT-C true ["medication", "checkup"] SB-AT-C answered 0',
                't_clinic clinic 1310000001 / staff 7 clinic_health_by_card CARD-SB-AT-B true ["medication", "checkup"] SB-AT-B answered 4',
                't_disaster clinic 1310000001 / staff 7 disaster_health 131136//1004/00 true ["medication", "checkup"] ND-AT-A answered 4'],
          'each read has its row: role, operator, card or enrollment, consent, kinds, person and count; the rolled-back one too');
SELECT coalesce(max(id), 0) AS m FROM dvflag.audit \gset
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', false)$$, '22023', NULL,
                 'a refused read (no consent)');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-ND-AT-B')), 5::bigint, 'a portal read');
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT count(*) FROM dvflag.audit WHERE id > :m), 0::bigint,
          'a refusal leaves its line in the server log only, and the portal''s reads are not audited (as portal_qualifications)');

-------------------------------------------------------------------------------
-- 7. Outside a disaster: DV002 (after consent)
-------------------------------------------------------------------------------
SELECT dvflag.end_disaster(:disaster_id) AS ended \gset
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', true)$$, 'DV002',
                 'disaster-mode health information is available only while a disaster is declared',
                 'disaster_health outside a declared disaster -> DV002');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '9999', '00', true)$$, 'DV002', NULL,
                 'the same DV002 for an unknown key');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', false)$$, '22023', NULL,
                 'without consent it is 22023 first');
RESET ROLE;

-------------------------------------------------------------------------------
-- 8. No insurance-card path to health information (§3a row 3)
-------------------------------------------------------------------------------
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'dvflag'::regnamespace AND has_function_privilege('dvflag_clinic', p.oid, 'EXECUTE')
              AND p.prorettype = 'dvflag.health_info'::regtype),
          '{clinic_health_by_card}', 'the clinic''s one health function takes the My Number card, not an insurance card');
SELECT is((SELECT count(*) FROM pg_attribute a WHERE a.attrelid = 'dvflag.qualification'::regclass
            AND a.attname IN ('kind', 'content', 'institution_code', 'institution_name', 'service_date')),
          0::bigint, 'clinic_by_insurance_card returns qualifications, with no health column');

-------------------------------------------------------------------------------
-- 9. Insurer staff load their insurers' records, under row-level security
-------------------------------------------------------------------------------
CREATE TEMP TABLE ids AS SELECT id, link_no, insurer_no, number FROM dvflag.enrollment;
GRANT SELECT ON ids TO PUBLIC;
SET ROLE t_staff_b;
SELECT is((SELECT count(*) FROM dvflag.health_record), 5::bigint, 'staff of B: SELECT sees the five records of B''s enrollments');
SELECT is((SELECT count(*) FROM dvflag.health_record WHERE enrollment_id IN (SELECT id FROM ids WHERE insurer_no <> '06132013')),
          0::bigint, 'staff of B: asking for other insurers'' enrollments by id finds nothing');
SELECT lives_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                  SELECT id, 'checkup', '2020-01-10', '{"bmi": 20}' FROM ids WHERE insurer_no = '06132013' AND number = '1005'$$,
                'staff of B: INSERT of a record of a B enrollment works');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2020-01-10', '{}' FROM ids WHERE insurer_no = '131136' AND number = '1005'$$,
                 '42501', 'new row violates row-level security policy for table "health_record"',
                 'staff of B: INSERT of a record of insurer C''s enrollment -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   VALUES (999999, 'checkup', '2020-01-10', '{}')$$,
                 '42501', 'new row violates row-level security policy for table "health_record"',
                 'staff of B: a record of an enrollment that does not exist -> the same 42501 (no existence oracle)');
SELECT throws_ok($$UPDATE dvflag.health_record SET enrollment_id = (SELECT id FROM ids WHERE insurer_no = '131136' AND number = '1001')$$,
                 '42501', 'new row violates row-level security policy for table "health_record"',
                 'staff of B: moving B''s records to C''s enrollment -> 42501');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2020-01-10', '{}' FROM ids
                    WHERE number = '1005' AND insurer_no IN ('06132013', '131136')
                    ORDER BY insurer_no = '131136'$$,
                 '42501', 'new row violates row-level security policy for table "health_record"',
                 'staff of B: one statement with a record of B''s enrollment, then one of C''s -> 42501');
SELECT is(ARRAY[dvflag.is_staff_of_enrollment((SELECT id FROM ids WHERE insurer_no = '06132013' AND number = '1005')),
                dvflag.is_staff_of_enrollment((SELECT id FROM ids WHERE insurer_no = '131136' AND number = '1005')),
                dvflag.is_staff_of_enrollment(999999)],
          ARRAY[true, false, false],
          'is_staff_of_enrollment: B''s enrollment yes; C''s and one that does not exist alike no');
UPDATE dvflag.health_record SET institution_name = '書き換え';
DELETE FROM dvflag.health_record WHERE kind = 'medical_fee';
SELECT throws_ok($$TRUNCATE dvflag.health_record$$, '42501', NULL, 'staff of B: TRUNCATE -> 42501');
SET ROLE t_staff_none;
SELECT is((SELECT count(*) FROM dvflag.health_record), 0::bigint, 'staff mapped to no insurer: no rows');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2020-01-10', '{}' FROM ids WHERE insurer_no = '06132013' AND number = '1005'$$,
                 '42501', NULL, 'staff mapped to no insurer: INSERT -> 42501');
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.health_record), 27::bigint, 'admin: every record');
SELECT lives_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                  SELECT id, 'checkup', '2020-01-10', '{}' FROM ids WHERE insurer_no = '131136' AND number = '1001'$$,
                'admin: INSERT of any insurer''s record');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.health_record WHERE institution_name = '書き換え'), 6::bigint,
          'the blanket UPDATE by staff of B changed B''s six records only');
SELECT is((SELECT count(*) FROM dvflag.health_record WHERE kind = 'medical_fee'), 5::bigint,
          'and their DELETE of medical-fee notices reached none of C''s');

-- the constraints a user expects
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'prescription', '2020-01-10', '{}' FROM ids LIMIT 1$$, '23514', NULL, 'kind is one of three');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '1899-12-31', '{}' FROM ids LIMIT 1$$, '23514', NULL, 'no date of care before 1900');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', 'infinity', '{}' FROM ids LIMIT 1$$, '23514', NULL, 'nor an infinite one');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2020-01-10', '[1, 2]' FROM ids LIMIT 1$$, '23514', NULL, 'the content is a JSON object');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2020-01-10', NULL FROM ids LIMIT 1$$, '23502', NULL, 'and given');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   VALUES (999999, 'checkup', '2020-01-10', '{}')$$, '23503', NULL, 'of an enrollment that exists');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, content)
                   SELECT id, 'checkup', '2020-01-10', '　', '{}' FROM ids LIMIT 1$$, '23514', NULL, 'no blank institution code');
SELECT throws_ok($$INSERT INTO dvflag.health_record (id, enrollment_id, kind, service_date, content)
                   SELECT 1, id, 'checkup', '2020-01-10', '{}' FROM ids LIMIT 1$$, '428C9', NULL, 'the id is the table''s own');

-- a correction that deletes an enrollment deletes its records
SET LOCAL dvflag.reason = 'health tests: a wrong enrollment';
DELETE FROM dvflag.enrollment WHERE link_no = 'SB-AT-B' AND insurer_no = '06132013';
SELECT is((SELECT count(*) FROM dvflag.health_record h WHERE NOT EXISTS (SELECT FROM dvflag.enrollment e WHERE e.id = h.enrollment_id)),
          0::bigint, 'a deleted enrollment''s records go with it');
SET ROLE t_portal;
SELECT is(pg_temp.shown(ARRAY(SELECT h FROM dvflag.portal_health('CARD-SB-AT-B', kind => 'medication') h)),
          'A:code:name C:code:name', 'and the portal shows the rest');
RESET ROLE;

SELECT is((SELECT count(*) FROM dvflag.check()), 0::bigint, 'check() is clean with the health records');

SELECT * FROM finish();
ROLLBACK;
