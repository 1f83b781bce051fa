-- Hostile input (API.md, RULES.md §3): oversized arguments (1 MB names,
-- kana, addresses, card serials, link_nos, reasons, jsonb, health records'
-- content and institutions), invalid JSON, 10,000-row
-- statements and 10,000-element arrays, odd but valid Unicode (combining
-- marks, variation selectors, zero-width characters, BOM, noncharacters,
-- width mixes, emoji, the text "\uD800"), and input the server itself must
-- refuse before dvflag sees it (invalid UTF-8, surrogates, NUL).  Each call
-- either fails with a specific SQLSTATE that is not XX000, or answers
-- correctly: a protected address stays NULL and an address fragment never
-- selects a protected person (no address oracle), however it is spelled.
-- 60_bad_input.sql covers NULL, empty, blank and malformed arguments.
-- Every assertion is of the behaviour the contract wants.
-- A = 01130012, B = 06132013, C = 131136 (test/fixtures/worked_examples.sql).
BEGIN;
SELECT plan(242);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_many LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_req LOGIN IN ROLE dvflag_requester;
SELECT dvflag.grant_insurer('t_staff_a', '01130012') AS granted \gset
SELECT dvflag.grant_insurer('t_staff_c', '131136') AS granted \gset
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'hostile input tests')
  AS disaster_id \gset
SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM01', '{"benefit": 1000}') AS copied \gset

\i test/fixtures/error_of.sql
-- A disaster search's answer, compact: one 'number:address' per row.
CREATE FUNCTION pg_temp.found(rows dvflag.qualification[]) RETURNS text LANGUAGE sql AS $f$
  SELECT coalesce(string_agg(r.number || ':' || coalesce(r.address, 'NULL'), ' ' ORDER BY r.insurer_no, r.number), '-')
    FROM unnest(rows) AS r
$f$;

-------------------------------------------------------------------------------
-- 1. Oversized arguments: 1 MB (350,000 three-byte characters) each
-------------------------------------------------------------------------------

-- portal (RULES.md §3 rows 1-3): an unknown card or principal answers nothing
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications(repeat('ア', 350000))), 0::bigint,
          'portal_qualifications: a 1 MB card serial answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', repeat('ア', 350000))), 0::bigint,
          'portal_qualifications: a 1 MB principal_link_no answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_self_info(repeat('カ', 350000))), 0::bigint,
          'portal_self_info: a 1 MB card serial answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_self_info('CARD-NO-FLAG', repeat('ア', 350000))), 0::bigint,
          'portal_self_info: a 1 MB principal_link_no answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_exchange_history(repeat('ア', 350000))), 0::bigint,
          'portal_exchange_history: a 1 MB card serial answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_exchange_history('CARD-NO-FLAG', repeat('ア', 350000))), 0::bigint,
          'portal_exchange_history: a 1 MB principal_link_no answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG')), 3::bigint,
          'portal_qualifications: the real card still answers its 3 rows after them');

-- register_card (row 7)
SELECT throws_ok($$SELECT dvflag.register_card(repeat('ア', 350000), '131136', NULL, '1005', '00')$$,
                 '22023', NULL, 'register_card: a 1 MB card serial is refused before anything else -> 22023');
SELECT throws_ok($$SELECT dvflag.register_card('NEW-1', '131136', NULL, repeat('ア', 350000), '00')$$,
                 'P0002', NULL, 'register_card: a 1 MB number names no enrollment -> P0002');
SELECT throws_ok($$SELECT dvflag.register_card('NEW-1', '131136', repeat('ア', 350000), '1005', '00')$$,
                 'P0002', NULL, 'register_card: a 1 MB symbol names no enrollment -> P0002');
SELECT throws_ok($$SELECT dvflag.register_card('NEW-1', repeat('1', 1000000), NULL, '1005', '00')$$,
                 '22023', 'insurer_no "' || repeat('1', 64) || '…" is not 8 or 6 digits long',
                 'register_card: a 1 MB insurer_no -> 22023, quoted clipped to 64 bytes');
SELECT throws_ok($$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', repeat('0', 1000000))$$,
                 '22023', NULL, 'register_card: a 1 MB branch -> 22023');
SELECT throws_ok($$SELECT dvflag.set_proxy('CARD-NO-FLAG', repeat('ア', 350000))$$,
                 'P0002', NULL, 'set_proxy: a 1 MB agent_link_no names nobody -> P0002');
SELECT is(dvflag.remove_proxy('CARD-NO-FLAG', repeat('ア', 350000)), false,
          'remove_proxy: a 1 MB agent_link_no is no proxy: false');
SELECT throws_ok($$SELECT dvflag.register_card(repeat('ア', 350000), '131136', NULL, '1002', '00')$$,
                 '22023', NULL, 'register_card: a 1 MB card serial for a person under SB_eff is bad input first (22023): nothing of it is audited');
SELECT cmp_ok(length(pg_temp.error_of($$SELECT dvflag.register_card('NEW-1', '131136', NULL, repeat('ア', 350000), '00')$$)),
              '<', 1000, 'register_card: the P0002 message for a 1 MB number is not 1 MB long');

-- clinic (rows 4, 5)
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card(repeat('ア', 350000))), 0::bigint,
          'clinic_by_card: a 1 MB card serial answers no rows');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_insurance_card('131136', repeat('ア', 350000), '1003', '00')), 0::bigint,
          'clinic_by_insurance_card: a 1 MB symbol answers no rows');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_insurance_card('131136', NULL, repeat('ア', 350000), '00')), 0::bigint,
          'clinic_by_insurance_card: a 1 MB number answers no rows');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card(repeat('1', 1000000), NULL, '1003', '00')$$,
                 '22023', NULL, 'clinic_by_insurance_card: a 1 MB insurer_no -> 22023');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1003', repeat('0', 1000000))$$,
                 '22023', NULL, 'clinic_by_insurance_card: a 1 MB branch -> 22023');

-- insurer staff: protected, set_flag, stop_card
SET ROLE t_staff_a;
SELECT is(dvflag.protected(repeat('ア', 350000)), false, 'protected: a 1 MB link_no is an unknown person, not protected');
SELECT is(dvflag.set_flag('01130012', 'A1', '1005', '00', 'ar', true, repeat('理', 350000)), true,
          'set_flag: a 1 MB reason is accepted');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', repeat('n', 1000000), true, 'x')$$,
                 '22023', 'unknown flag "nnnnnnnnnnnnnnnnnnnn"', 'set_flag: a 1 MB flag -> 22023, quoted clipped');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', repeat('ア', 350000), '00', 'nd', true, 'x')$$,
                 'P0002', NULL, 'set_flag: a 1 MB number -> P0002');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', repeat('ア', 350000), '1005', '00', 'nd', true, 'x')$$,
                 'P0002', NULL, 'set_flag: a 1 MB symbol -> P0002');
SELECT throws_ok($$SELECT dvflag.stop_card(repeat('ア', 350000), 'x')$$,
                 '42501', NULL, 'stop_card: a 1 MB card serial -> 42501, as any card not of their insurers');
RESET ROLE;
SELECT is((SELECT length(detail->>'reason') FROM dvflag.audit
            WHERE action = 'flag_change' AND target = '01130012/A1/1005/00' AND detail->>'flag' = 'ar'),
          350000, 'set_flag: the 1 MB reason is audited whole');

-- disaster mode (row 6)
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => repeat('ア', 350000))),
          0::bigint, 'disaster_search: a 1 MB address fragment matches nothing');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => repeat('保険', 175000))),
          0::bigint, 'disaster_search: a 1 MB insurer_name fragment matches nothing');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => repeat('タ', 350000), insurer_name => '保険')),
          0::bigint, 'disaster_search: a 1 MB kana matches nothing');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', name => repeat('田', 350000), insurer_name => '保険')),
          0::bigint, 'disaster_search: a 1 MB name matches nothing');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン',
                                      address => repeat(' ', 500000) || '梅田5-5-5' || repeat('　', 150000)) q)),
          '1005:大阪府大阪市北区梅田', 'disaster_search: 1 MB of spaces around a right fragment still finds NO-FLAG, cut to 10 characters');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('1978-11-23', kana => 'スズキ イチロウ',
                                      address => repeat(' ', 500000) || '梅田3-3-3' || repeat('　', 150000)) q)),
          '-', 'disaster_search: the same padding around ND-AT-B''s real address does not select them');
-- the operator's identity (dvflag.client) is recorded as given, however odd
SELECT set_config('dvflag.client', repeat('院', 350000), true) IS NOT NULL AS client_set \gset
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '協会')),
          1::bigint, 'disaster_search with a 1 MB dvflag.client answers');
SELECT set_config('dvflag.client', E'clinic "1"\n{"action":"x"}\u200D\uFEFF\\', true) IS NOT NULL AS client_set \gset
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '東京')),
          1::bigint, 'disaster_search with quotes, a newline, ZWJ, BOM and a backslash in dvflag.client answers');
RESET dvflag.client;
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT array_agg(coalesce(length(client), -1) ORDER BY id) FROM dvflag.audit
            WHERE action = 'disaster_search' AND detail->'criteria'->>'insurer_name' IN ('協会', '東京')),
          ARRAY[350000, 28], 'the audit records both dvflag.client values whole');
SELECT is((SELECT client FROM dvflag.audit WHERE action = 'disaster_search' AND detail->'criteria'->>'insurer_name' = '東京'),
          E'clinic "1"\n{"action":"x"}\u200D\uFEFF\\', 'the odd dvflag.client is recorded byte for byte');
SELECT is((SELECT (detail->>'result_count') || ':' || length(detail->'criteria'->>'address') FROM dvflag.audit
            WHERE action = 'disaster_search' AND detail->'criteria'->>'address' LIKE '%梅田3-3-3%'),
          '0:650007', 'disaster_search: the padded search is audited with its whole criteria and result count 0');

-- 1.1: requests, item copies, item flags, marks, inquiries
SET ROLE t_req;
SELECT is((dvflag.request_information('131136', NULL, repeat('ア', 350000), '00', 'TM01')).status, 'no_agency_code',
          'request_information: a 1 MB number is 機関別符号未発行 (no_agency_code)');
SELECT is((dvflag.request_information('131136', repeat('ア', 350000), '1005', '00', 'TM01')).status, 'no_agency_code',
          'request_information: a 1 MB symbol is no_agency_code');
SELECT throws_ok($$SELECT dvflag.request_information('131136', NULL, '1005', '00', repeat('A', 1000000))$$,
                 '22023', NULL, 'request_information: a 1 MB item code -> 22023');
SELECT throws_ok($$SELECT dvflag.request_information(repeat('1', 1000000), NULL, '1005', '00', 'TM01')$$,
                 '22023', NULL, 'request_information: a 1 MB insurer_no -> 22023');
SET ROLE t_staff_c;
SELECT lives_ok($$SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM02', jsonb_build_object('note', repeat('ア', 350000)))$$,
                'register_item_copy: 1 MB of content is registered');
SELECT lives_ok($$SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM03',
                                                   (SELECT jsonb_agg(g) FROM generate_series(1, 10000) AS g))$$,
                'register_item_copy: a 10,000-element jsonb array is registered');
SELECT throws_ok($$SELECT dvflag.register_item_copy('131136', NULL, repeat('ア', 350000), '00', 'TM02', '{}')$$,
                 'P0002', NULL, 'register_item_copy: a 1 MB number -> P0002');
SELECT throws_ok($$SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', repeat('A', 1000000), '{}')$$,
                 '22023', NULL, 'register_item_copy: a 1 MB item code -> 22023');
SELECT throws_ok($$SELECT dvflag.set_item_flag('131136', repeat('A', 1000000), 'nd', true, 'x')$$,
                 '22023', NULL, 'set_item_flag: a 1 MB item code -> 22023');
SELECT throws_ok($$SELECT dvflag.set_item_flag('131136', 'TM09', repeat('a', 1000000), true, 'x')$$,
                 '22023', NULL, 'set_item_flag: a 1 MB flag -> 22023');
SELECT is(dvflag.set_item_flag('131136', 'TM09', 'ar', true, repeat('理', 350000)), true,
          'set_item_flag: a 1 MB reason is accepted');
SET ROLE t_req;
SELECT is((SELECT length(content->>'note') FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM02')),
          350000, 'request_information: the 1 MB content comes back whole');
SELECT is((SELECT jsonb_array_length(content) FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM03')),
          10000, 'request_information: the 10,000-element array comes back whole');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', true, 'manual answers for the hostile tests') AS ar_set \gset
SET ROLE t_req;
SELECT (dvflag.request_information('131136', NULL, '1005', '00', 'TM01')).request_id AS big_request \gset
SET ROLE t_staff_c;
SELECT dvflag.approve_request(:big_request, jsonb_build_object('note', repeat('ア', 350000))) AS big_record \gset
SET ROLE t_req;
SELECT is((SELECT status || ':' || length(content->>'note') FROM dvflag.request_answer(:big_request)),
          'provided:350000', 'approve_request: 1 MB of corrected content reaches the requester whole');
SET ROLE t_portal;
SELECT is((SELECT array_agg(record_id) FROM dvflag.portal_exchange_history('CARD-NO-FLAG') WHERE record_id = :big_record),
          ARRAY[:big_record]::bigint[], 'the provision shows in the exchange history');
SET ROLE t_staff_c;
SELECT is(dvflag.mark_record(:big_record, repeat('理', 350000)), true, 'mark_record: a 1 MB reason appends the mark');
SELECT throws_ok($$SELECT dvflag.mark_person_records(repeat('ア', 350000), 'x')$$,
                 '42501', NULL, 'mark_person_records: a 1 MB link_no is nobody of this insurer -> 42501');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_exchange_history('CARD-NO-FLAG') WHERE record_id = :big_record),
          0::bigint, 'the record marked with a 1 MB reason no longer shows');
SET ROLE t_staff_c;
SELECT is((SELECT status FROM dvflag.inquiry_without_my_number(repeat('タ', 350000), '1970-05-05', 1,
                                                              '横浜市', '介護保険課', '山本')),
          'no_match', 'inquiry_without_my_number: a 1 MB kana is no match');
SELECT is((SELECT status || ':' || link_no FROM dvflag.inquiry_without_my_number('タナカ ケン', '1970-05-05', 1,
                                                              repeat('横', 350000), repeat('介', 350000), repeat('山', 350000))),
          'match:NO-FLAG', 'inquiry_without_my_number: a 1 MB institution, department and inquirer still answer');
RESET ROLE;
SELECT is((SELECT length(detail->>'inquirer') FROM dvflag.audit
            WHERE action = 'inquiry_without_my_number' AND detail->>'status' = 'match'),
          350000, 'inquiry_without_my_number: the 1 MB inquirer is audited whole');
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', false, 'automatic again') AS ar_cleared \gset

-- plain DML on dvflag.enrollment, as staff of C
SET ROLE t_staff_c;
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                   VALUES (repeat('ア', 350000), '131136', 'BIG-1', '00', '2020-04-01')$$,
                 '54000', NULL, 'INSERT: a 1 MB link_no is refused by the index size limit -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name)
                   VALUES ('BIG', '131136', 'BIG-1', '00', '2020-04-01', repeat('ア', 350000))$$,
                 '54000', NULL, 'INSERT: a 1 MB name -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, kana)
                   VALUES ('BIG', '131136', 'BIG-1', '00', '2020-04-01', repeat('ア', 350000))$$,
                 '54000', NULL, 'INSERT: a 1 MB kana -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, kana)
                   VALUES ('BIG', '131136', 'BIG-1', '00', '2020-04-01',
                           (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 100) AS g))$$,
                 '54000', NULL, 'INSERT: 3,200 incompressible bytes of kana -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                   VALUES ('BIG', '131136', repeat('ア', 350000), '00', '2020-04-01')$$,
                 '54000', NULL, 'INSERT: a 1 MB number -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('BIG', '131136', repeat('ア', 350000), 'BIG-1', '00', '2020-04-01')$$,
                 '54000', NULL, 'INSERT: a 1 MB symbol -> 54000');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, postcode)
                   VALUES ('BIG', '131136', 'BIG-1', '00', '2020-04-01', repeat('1', 1000000))$$,
                 '23514', NULL, 'INSERT: a 1 MB postcode -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                   VALUES ('BIG', repeat('1', 1000000), 'BIG-1', '00', '2020-04-01')$$,
                 '42501', NULL, 'INSERT: a 1 MB insurer_no is not one of the staff''s insurers -> 42501');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
                  VALUES ('BIG-OPEN', '131136', 'BIG-1', '00', '2020-04-01', '大 住所', 'オオ ジュウショ', 1, '2002-02-02',
                          repeat('😀', 262144))$$,
                'INSERT: a 1 MB address of emoji is stored');
SET LOCAL dvflag.reason = 'hostile input: 1 MB address of a protected person';
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address, postcode, nd)
                  VALUES ('BIG-ND', '131136', 'BIG-2', '00', '2020-04-01', '大 住所', 'オオ ジュウショ', 1, '2002-02-02',
                          repeat('秘', 350000), '100-0001', true)$$,
                'INSERT: a 1 MB address of a person under ND is stored');
SELECT lives_ok($$UPDATE dvflag.enrollment SET address = repeat('秘', 350000) WHERE insurer_no = '131136' AND number = '1003'$$,
                'UPDATE: ND-AT-B''s address at C becomes 1 MB');
SELECT set_config('dvflag.reason', repeat('理', 350000), true) IS NOT NULL AS reason_set \gset
SELECT lives_ok($$UPDATE dvflag.enrollment SET ar = true WHERE insurer_no = '131136' AND number = 'BIG-1'$$,
                'UPDATE: a flag change with a 1 MB dvflag.reason');
RESET dvflag.reason;
RESET ROLE;
SELECT is((SELECT length(detail->>'reason') FROM dvflag.audit
            WHERE action = 'flag_change' AND target = '131136//BIG-1/00' AND detail->>'flag' = 'ar'),
          350000, 'the 1 MB dvflag.reason is audited whole');
SET ROLE t_clinic;
SELECT is((SELECT length(address) FROM dvflag.clinic_by_insurance_card('131136', NULL, 'BIG-1', '00')),
          262144, 'clinic_by_insurance_card: the 1 MB address of an unprotected person comes back whole');
SELECT is((SELECT coalesce(address, 'NULL') || ':' || coalesce(postcode, 'NULL')
             FROM dvflag.clinic_by_insurance_card('131136', NULL, 'BIG-2', '00')),
          'NULL:NULL', 'clinic_by_insurance_card: the 1 MB address under ND is NULL');
SELECT is((SELECT coalesce(address, 'NULL') FROM dvflag.clinic_by_insurance_card('131136', NULL, '1003', '00')),
          'NULL', 'clinic_by_insurance_card: ND-AT-B''s address, updated to 1 MB, stays NULL');
SET ROLE t_disaster;
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2002-02-02', kana => 'オオジュウショ', address => '😀😀😀') q)),
          'BIG-1:' || repeat('😀', 10), 'disaster_search: a 1 MB emoji address is found and cut to 10 whole characters');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2002-02-02', kana => 'オオジュウショ', address => repeat('秘', 1000)) q)),
          '-', 'disaster_search: 1,000 characters of the 1 MB protected address do not select the person');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2002-02-02', kana => 'オオジュウショ', insurer_name => '国民') q)),
          'BIG-1:' || repeat('😀', 10) || ' BIG-2:NULL', 'disaster_search: by insurer name both, the protected address NULL');
RESET ROLE;

-------------------------------------------------------------------------------
-- 2. 10,000 rows in one statement, 10,000-element arrays
-------------------------------------------------------------------------------

-- 10,000 namesakes at C (same kana, birth date and sex), every 7th under ND,
-- every 5th under SB, names in emoji, variation selectors and combining marks
SET ROLE t_staff_c;
SET LOCAL dvflag.reason = 'hostile input: 10,000 rows';
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date,
                                                 address, postcode, nd, sb)
                  SELECT 'H' || g, '131136', 'H' || g, '00', date '2020-04-01',
                         '同名' || chr(128512 + g % 80) || E'\uFE0F' || chr(12441 + g % 2), 'ドウ メイ', 2, date '2003-03-03',
                         '北海道札幌市' || g || '番地', '060-0001', g % 7 = 0, g % 5 = 0
                    FROM generate_series(1, 10000) AS g$$,
                'INSERT ... SELECT of 10,000 rows with flags, as staff with a reason');
RESET dvflag.reason;
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, nd)
                   SELECT 'J' || g, '131136', 'J' || g, '00', date '2020-04-01', g = 10000
                     FROM generate_series(1, 10000) AS g$$,
                 '22023', NULL, '10,000 rows, the last with ND, and no dvflag.reason -> 22023');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE number LIKE 'J%'), 0::bigint, 'and none of them was written');
SET ROLE t_staff_a;
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                   SELECT 'K' || g, CASE WHEN g = 10000 THEN '131136' ELSE '01130012' END, 'K' || g, '00', date '2020-04-01'
                     FROM generate_series(1, 10000) AS g$$,
                 '42501', NULL, '10,000 rows as staff of A, the last at C -> 42501');
RESET ROLE;
SELECT is((SELECT count(*) || ':' || count(*) FILTER (WHERE nd_eff) || ':' || count(*) FILTER (WHERE sb_eff)
             FROM dvflag.person WHERE link_no LIKE 'H%'),
          '10000:1428:2000', 'the 10,000 persons: ND_eff for every 7th, SB_eff for every 5th');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND target LIKE '131136//H%'),
          3428::bigint, 'each of the 3,428 flags set is audited');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE link_no LIKE 'K%'), 0::bigint,
          'nothing of the refused 10,000 rows of A was written');

-- the clinic looks up 10,000 insurance cards in one query: every protected address is NULL
SET ROLE t_clinic;
SELECT is((SELECT count(*) || ':' || count(*) FILTER (WHERE q.address IS NULL) || ':'
                  || count(*) FILTER (WHERE q.address IS NULL AND (g % 7 = 0 OR g % 5 = 0))
             FROM generate_series(1, 10000) AS g,
                  LATERAL dvflag.clinic_by_insurance_card('131136', NULL, 'H' || g, '00') AS q),
          '10000:3143:3143', 'clinic_by_insurance_card over 10,000 cards: exactly the 3,143 protected addresses are NULL');
SELECT is((SELECT count(*) FROM unnest(ARRAY(SELECT 'CARD-' || g FROM generate_series(1, 9995) AS g)
                                       || ARRAY['CARD-NO-FLAG', 'CARD-SB-AT-B', 'CARD-SB-AT-C', 'CARD-ND-AT-B', 'CARD-ND-AT-A']) AS s,
                  LATERAL dvflag.clinic_by_card(s) AS q),
          4::bigint, 'clinic_by_card over a 10,000-element array of serials: only the 4 current, unblocked rows');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM unnest(ARRAY(SELECT 'CARD-' || g FROM generate_series(1, 9995) AS g)
                                       || ARRAY['CARD-NO-FLAG', 'CARD-SB-AT-B', 'CARD-SB-AT-C', 'CARD-ND-AT-B', 'CARD-ND-AT-A']) AS s,
                  LATERAL dvflag.portal_qualifications(s) AS q),
          12::bigint, 'portal_qualifications over a 10,000-element array of serials: 12 rows, none of SB-AT-C');
SET ROLE t_staff_c;
SELECT is((SELECT count(*) FROM unnest(ARRAY(SELECT 'H' || g FROM generate_series(1, 10000) AS g)) AS l
            WHERE dvflag.protected(l)),
          3143::bigint, 'protected over a 10,000-element array of link_nos: 3,143');
SELECT is((SELECT status || ':' || candidates || ':' || coalesce(link_no, '-')
             FROM dvflag.inquiry_without_my_number('どう　めい', '2003-03-03', 2, '札幌市', '保険課', '佐々木')),
          'several:10000:-', 'inquiry_without_my_number among 10,000 namesakes: several, only the count');

-- disaster search among the 10,000 namesakes
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '北海道')$$,
                 'DV003', NULL, 'disaster_search: 10,000 namesakes -> DV003');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '市7番地') q)),
          '-', 'disaster_search: the address of the 7th (ND) namesake does not select them among 10,000');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '市11番地') q)),
          'H11:北海道札幌市11番地', 'disaster_search: the address of the 11th (unprotected) selects them alone');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '市１０番地') q)),
          '-', 'disaster_search: the 10th (SB) in full-width digits does not select them');

-- one UPDATE of the 10,000: SB cleared everywhere, refused without a reason
SET ROLE t_staff_c;
SELECT throws_ok($$UPDATE dvflag.enrollment SET sb = false WHERE link_no LIKE 'H%'$$,
                 '22023', NULL, 'a 10,000-row UPDATE clearing SB with no dvflag.reason -> 22023');
SET LOCAL dvflag.reason = 'hostile input: SB cleared for 10,000';
SELECT lives_ok($$UPDATE dvflag.enrollment SET sb = false WHERE link_no LIKE 'H%'$$,
                'a 10,000-row UPDATE clearing SB, with a reason');
RESET dvflag.reason;
RESET ROLE;
SELECT is((SELECT count(*) FILTER (WHERE nd_eff) || ':' || count(*) FILTER (WHERE sb_eff)
             FROM dvflag.person WHERE link_no LIKE 'H%'),
          '1428:0', 'after it: ND_eff still for every 7th, SB_eff for none');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FILTER (WHERE q.address IS NULL) || ':'
                  || count(*) FILTER (WHERE q.address IS NULL AND g % 7 = 0)
             FROM generate_series(1, 10000) AS g,
                  LATERAL dvflag.clinic_by_insurance_card('131136', NULL, 'H' || g, '00') AS q),
          '1428:1428', 'clinic_by_insurance_card over the 10,000: exactly the 1,428 addresses under ND are NULL');
SET ROLE t_disaster;
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '市１０番地') q)),
          'H10:北海道札幌市10番地', 'disaster_search: the 10th, no longer protected, is selected by their address');
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('2003-03-03', kana => 'ドウメイ', address => '市70番地') q)),
          '-', 'disaster_search: the 70th, still under ND, is not');
RESET ROLE;

-- a staff role mapped to 10,001 insurers: the policy's array of insurers
INSERT INTO dvflag.insurer (insurer_no, name)
SELECT (200000 + g)::text, '市町村 ' || g FROM generate_series(1, 10000) AS g;
INSERT INTO dvflag.insurer_staff (staff, insurer_no)
SELECT 't_staff_many'::regrole, (200000 + g)::text FROM generate_series(1, 10000) AS g;
INSERT INTO dvflag.insurer_staff (staff, insurer_no) VALUES ('t_staff_many'::regrole, '06132013');
SET ROLE t_staff_many;
SELECT is(cardinality(dvflag.staff_insurers()), 10001, 'staff_insurers: a mapping to 10,001 insurers');
SELECT is((SELECT array_agg(DISTINCT insurer_no) FROM dvflag.enrollment), ARRAY['06132013'],
          'under the 10,001-element policy array only B''s rows are visible');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                  VALUES ('MANY-1', '210000', '1', '00', '2020-04-01')$$,
                'an insert at the 10,000th insurer of the array is allowed');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                   VALUES ('MANY-2', '131136', '1', '00', '2020-04-01')$$,
                 '42501', NULL, 'an insert at an insurer outside the 10,001-element array -> 42501');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no = '131136'), 0::bigint,
          'and C''s rows stay invisible');
RESET ROLE;

-------------------------------------------------------------------------------
-- 3. Odd but valid Unicode
-------------------------------------------------------------------------------

-- names stored and read back byte for byte, found by their exact spelling
CREATE TEMP TABLE odd (n int, what text, name text, kana text);
INSERT INTO odd VALUES
  (1, 'combining voiced mark alone', E'\u3099', E'\u3099\u309A'),
  (2, 'combining marks after non-kana', E'A\u3099 山\u309A', E'X\u3099 \u309Aヨ'),
  (3, 'variation selectors U+FE00, U+FE0F, U+E0100', E'葛\U000E0100城 邉\uFE00 ✌\uFE0F', E'カツラキ\uFE0F'),
  (4, 'zero-width joiner and space', E'👨\u200D👩\u200D👧 家\u200B族', E'カ\u200Bソ\u200Dク'),
  (5, 'BOM', E'\uFEFF鈴木 一郎', E'\uFEFFスズキ'),
  (6, 'noncharacters U+FFFE, U+FFFF', E'\uFFFE名\uFFFF', E'\uFFFEナ\uFFFF'),
  (7, 'full-width and half-width mixed', 'ＡＢＣabc ｱｲｳアイウ', 'ｶﾞｸｾｲ　ガクセイ'),
  (8, 'emoji outside the BMP', '😀🎌🇯🇵', '🍣ス'),
  (9, 'the six characters \uD800 as plain text', '\uD800', '\uD800\uDC00');
GRANT SELECT ON odd TO PUBLIC;
SET ROLE t_staff_c;
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
                  SELECT 'ODD-' || n, '131136', 'ODD-' || n, '00', date '2020-04-01', name, kana, 9, date '2004-04-04',
                         '沖縄県那覇市' || name
                    FROM odd$$,
                'INSERT: names and kana in odd Unicode are stored');
SET ROLE t_clinic;
SELECT is((SELECT q.name || '|' || q.kana || '|' || q.address
             FROM dvflag.clinic_by_insurance_card('131136', NULL, 'ODD-' || o.n, '00') AS q),
          o.name || '|' || o.kana || '|' || '沖縄県那覇市' || o.name,
          'clinic_by_insurance_card returns them unchanged: ' || o.what)
  FROM odd o ORDER BY o.n;
SET ROLE t_disaster;
SELECT is((SELECT string_agg(q.number, ',') FROM dvflag.disaster_search('2004-04-04', name => o.name, kana => o.kana,
                                                                        insurer_name => '国民') AS q),
          'ODD-' || o.n, 'disaster_search finds exactly the one by its own spelling: ' || o.what)
  FROM odd o ORDER BY o.n;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('2004-04-04', name => '\ud800', insurer_name => '国民')), 1::bigint,
          'the plain text \ud800 folds like any ASCII (lower case matches upper case)');
SELECT is((SELECT string_agg(number, ',') FROM dvflag.disaster_search('2004-04-04', kana => '゛゜', insurer_name => '国民')), 'ODD-1',
          'lone combining marks fold like the spacing marks: kana ゛゜ (U+309B, U+309C) finds the kana U+3099 U+309A');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => E'タナカ\u3099 ケン', insurer_name => '保険')), 0::bigint,
          'a combining voiced mark changes the kana (タナカ゛ = タナガ): NO-FLAG is not found');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => E'ﾀﾅｶ\u3000ｹﾝ', name => '田中　健', insurer_name => '保険')),
          3::bigint, 'half-width kana with U+3000 and a full-width space in the name find NO-FLAG at A, B and C');
RESET ROLE;
SELECT is(length(E'\\uD800'), 6, 'E''\\uD800'' is six plain characters');
SET ROLE t_staff_a;
SELECT is(dvflag.protected('\uD800'), false, 'protected: the text \uD800 is an unknown person');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '\uD800', '00', 'nd', true, 'x')$$,
                 'P0002', NULL, 'set_flag: the text \uD800 as a number names no enrollment -> P0002');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('\uD800')), 0::bigint,
          'portal_qualifications: the text \uD800 as a card serial answers nothing');
SET ROLE t_req;
SELECT is((dvflag.request_information('131136', '\uD800', '1005', '00', 'TM01')).status, 'no_agency_code',
          'request_information: the text \uD800 as a symbol is no_agency_code');

-- look-alike card serials and insurance cards are other cards: exact match only
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications(s)), 0::bigint,
          'portal_qualifications: ' || w || ' is not CARD-NO-FLAG')
  FROM (VALUES (E'CARD-NO-FLAG\u200B', 'a trailing zero-width space'),
               (E'\uFEFFCARD-NO-FLAG', 'a leading BOM'),
               ('ＣＡＲＤ－ＮＯ－ＦＬＡＧ', 'the full-width spelling'),
               (E'CARD-NO-FLAG\uFE0F', 'a trailing variation selector'),
               ('card-no-flag', 'the lower-case spelling')) AS v(s, w);
SELECT throws_ok($$SELECT dvflag.register_card(E'CARD-SB-AT-C\u200D', '131136', NULL, '1002', '00')$$,
                 'DV001', NULL, 'register_card: a look-alike new serial for a person under SB_eff is still DV001');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_by_insurance_card('131136', NULL, n, '00')), 0::bigint,
          'clinic_by_insurance_card: number ' || w || ' finds nothing')
  FROM (VALUES ('１００３', 'in full-width digits'), (E'1003\u200B', 'with a zero-width space'),
               (E'\uFEFF1003', 'with a BOM'), ('1003 ', 'with a trailing space')) AS v(n, w);

-- reasons of only Unicode white space (RULES.md §1: "each change with a reason")
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'ar', false, E'\u2003\u2003')$$,
                 '22023', NULL, 'set_flag: a reason of only EM SPACEs -> 22023');
SET LOCAL dvflag.reason = E'\u2003';
SELECT throws_ok($$UPDATE dvflag.enrollment SET ar = false WHERE insurer_no = '01130012' AND number = '1005'$$,
                 '22023', NULL, 'UPDATE: a dvflag.reason of only an EM SPACE -> 22023');
RESET dvflag.reason;
RESET ROLE;

-------------------------------------------------------------------------------
-- 4. Input the server refuses before dvflag sees it
-------------------------------------------------------------------------------
SELECT count(*) AS audit_before FROM dvflag.audit \gset
SELECT count(*) AS enrollments_before FROM dvflag.enrollment \gset

-- surrogates written as escapes: a syntax error of the server (42601)
SELECT matches(pg_temp.error_of($$SELECT E'\uD800'$$), '^42601: invalid Unicode surrogate pair',
               'E''\uD800'' is refused by the server -> 42601 invalid Unicode surrogate pair');
SELECT matches(pg_temp.error_of($$SELECT U&'\DC00'$$), '^42601: invalid Unicode surrogate pair',
               'U&''\DC00'' is refused -> 42601 invalid Unicode surrogate pair');
SELECT matches(pg_temp.error_of($$SELECT E'\U0000D800'$$), '^42601: invalid Unicode surrogate pair',
               'E''\U0000D800'' is refused -> 42601 invalid Unicode surrogate pair');
SELECT is(E'\uD83D\uDE00'::text, '😀', 'a correct surrogate pair is one character, U+1F600');
-- NUL
SELECT throws_ok($$SELECT chr(0)$$, '54000', 'null character not permitted', 'chr(0) is refused by the server -> 54000');
SELECT throws_ok($$SELECT E'\u0000'$$, '42601', NULL, 'E''\u0000'' is refused -> 42601');
SELECT throws_ok($$SELECT E'\000'$$, '22021', NULL, 'E''\000'' is refused -> 22021');
SELECT throws_ok($$SELECT '{"note": "\u0000"}'::jsonb$$, '22P05', NULL, 'a jsonb \u0000 is refused -> 22P05');
SELECT throws_ok($$SELECT '{"note": "\ud800"}'::jsonb$$, '22P02', NULL, 'a jsonb lone surrogate is refused -> 22P02');
SELECT throws_ok($$SELECT chr(55296)$$, '54000', NULL, 'chr(55296), a surrogate, is refused -> 54000');
-- invalid UTF-8
SELECT throws_ok(format('SELECT convert_from(%L::bytea, ''UTF8'')', b), '22021', NULL,
                 'convert_from(' || b || ') is refused: ' || w || ' -> 22021')
  FROM (VALUES ('\xff', 'the byte FF'), ('\x00', 'NUL'), ('\xc0af', 'an overlong /'), ('\xeda080', 'CESU-8 of U+D800'),
               ('\xf4908080', 'beyond U+10FFFF'), ('\xe382', 'a truncated sequence'), ('\x41e3', 'a truncated tail')) AS v(b, w);

-- and through every kind of function: the call fails before dvflag runs
SET ROLE t_portal;
SELECT throws_ok($$SELECT * FROM dvflag.portal_qualifications(convert_from('\xff'::bytea, 'UTF8'))$$, '22021', NULL,
                 'portal_qualifications(invalid UTF-8) -> 22021');
SELECT throws_ok($$SELECT dvflag.register_card(convert_from('\x43ff'::bytea, 'UTF8'), '131136', NULL, '1005', '00')$$, '22021', NULL,
                 'register_card(invalid UTF-8) -> 22021');
SELECT throws_ok($$SELECT * FROM dvflag.portal_exchange_history('CARD-NO-FLAG', chr(0))$$, '54000', NULL,
                 'portal_exchange_history(chr(0)) -> 54000');
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, convert_from('\xeda080'::bytea, 'UTF8'), '00')$$,
                 '22021', NULL, 'clinic_by_insurance_card(CESU-8 surrogate) -> 22021');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1978-11-23', kana => 'スズキ イチロウ',
                                                       address => '梅田' || convert_from('\xe3'::bytea, 'UTF8'))$$,
                 '22021', NULL, 'disaster_search(an address fragment with a truncated character) -> 22021');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1978-11-23', kana => 'スズキ' || chr(0), insurer_name => '保険')$$,
                 '54000', NULL, 'disaster_search(kana with chr(0)) -> 54000');
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.protected(convert_from('\xc0af'::bytea, 'UTF8'))$$, '22021', NULL, 'protected(overlong UTF-8) -> 22021');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, convert_from('\xff'::bytea, 'UTF8'))$$,
                 '22021', NULL, 'set_flag(a reason of invalid UTF-8) -> 22021');
SELECT throws_ok($$SELECT set_config('dvflag.reason', convert_from('\xff'::bytea, 'UTF8'), true)$$, '22021', NULL,
                 'set_config(dvflag.reason, invalid UTF-8) -> 22021');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name)
                   VALUES ('BAD', '01130012', 'A1', 'BAD', '00', '2020-04-01', convert_from('\xf4908080'::bytea, 'UTF8'))$$,
                 '22021', NULL, 'INSERT of a name beyond U+10FFFF -> 22021');
SELECT throws_ok($$UPDATE dvflag.enrollment SET name = 'x' || chr(0) WHERE number = '1005'$$, '54000', NULL,
                 'UPDATE of a name with chr(0) -> 54000');
SET ROLE t_staff_c;
SELECT throws_ok($$SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM04', '{"note": "\u0000"}')$$,
                 '22P05', NULL, 'register_item_copy(jsonb with \u0000) -> 22P05');
SELECT throws_ok($$SELECT * FROM dvflag.inquiry_without_my_number(convert_from('\xff'::bytea, 'UTF8'), '1970-05-05', 1, 'a', 'b', 'c')$$,
                 '22021', NULL, 'inquiry_without_my_number(invalid UTF-8) -> 22021');
SELECT throws_ok($$SELECT dvflag.mark_record(1, convert_from('\xff'::bytea, 'UTF8'))$$, '22021', NULL,
                 'mark_record(a reason of invalid UTF-8) -> 22021');
SELECT throws_ok($$SELECT dvflag.set_item_flag('131136', 'TM01', 'nd', true, E'\uDBFF')$$, '42601', NULL,
                 'set_item_flag(a reason of E''\uDBFF'') -> 42601');
SET ROLE t_req;
SELECT throws_ok($$SELECT dvflag.request_information('131136', NULL, convert_from('\xff'::bytea, 'UTF8'), '00', 'TM01')$$,
                 '22021', NULL, 'request_information(invalid UTF-8) -> 22021');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.audit), :audit_before::bigint, 'none of the refused calls left an audit row');
SELECT is((SELECT count(*) FROM dvflag.enrollment), :enrollments_before::bigint, 'nor changed an enrollment');

-------------------------------------------------------------------------------
-- 5. No address oracle under odd fragments (RULES.md §3 row 6)
-------------------------------------------------------------------------------

-- each person's kana in an odd spelling still finds them (by the insurer name)
CREATE TEMP TABLE spelled (link_no text, birth_date date, kana text, street text, protected boolean);
INSERT INTO spelled VALUES
  ('SB-AT-C', '1990-07-01', 'ｻﾄｳ ﾐｻｷ', '2-2-2', true),
  ('ND-AT-B', '1978-11-23', E'すす\u3099き\u3000いちろう', '3-3-3', true),
  ('ND-AT-A', '1982-02-14', E'ﾀｶﾊｼ\u00A0ﾕﾐ', '4-4-4', true),
  ('NO-FLAG', '1970-05-05', E'た な か\tｹﾝ', '5-5-5', false);
GRANT SELECT ON spelled TO PUBLIC;
SET ROLE t_disaster;
SELECT is((SELECT count(*) || ':' || count(*) FILTER (WHERE q.address IS NULL AND q.postcode IS NULL)
             FROM dvflag.disaster_search(s.birth_date, kana => s.kana, insurer_name => '保険') AS q),
          CASE WHEN s.protected THEN '3:3' ELSE '3:0' END,
          s.link_no || ': the kana ' || s.kana || ' finds A, B and C by insurer name, addresses '
          || CASE WHEN s.protected THEN 'hidden' ELSE 'shown' END)
  FROM spelled s ORDER BY s.link_no;

-- the real address at C, respelled: NO-FLAG is found by each, the protected never
CREATE FUNCTION pg_temp.full_width(s text, chars text) RETURNS text LANGUAGE sql AS $f$
  SELECT translate(s, chars, translate(chars, '0123456789-', '０１２３４５６７８９－'))
$f$;
CREATE TEMP TABLE respelled (n int, how text, before text, widen text);
INSERT INTO respelled VALUES
  (1, 'in full-width digits and hyphens', '梅田', '0123456789-'),
  (2, 'with ASCII, ideographic and tab spaces', E'大阪市　北区 梅田\t', ''),
  (3, 'with no-break spaces and mixed widths', E'北区\u00A0梅田', '-'),
  (4, 'whole, spaced, in full-width digits', '大阪府 大阪市 北区 梅田 ', '0123456789'),
  (5, 'the street number alone, full-width', '', '0123456789-');
GRANT SELECT ON respelled TO PUBLIC;
SELECT is((SELECT count(*) FROM dvflag.disaster_search(s.birth_date, kana => s.kana,
                                                       address => r.before || pg_temp.full_width(s.street, r.widen))),
          CASE WHEN s.protected THEN 0 WHEN r.n = 5 THEN 3 ELSE 1 END::bigint,
          s.link_no || ': their address at C ' || r.how || ' '
          || CASE WHEN s.protected THEN 'selects none of their enrollments' ELSE 'selects them' END)
  FROM spelled s CROSS JOIN respelled r ORDER BY s.link_no, r.n;
-- beside the insurer name, the respelled address changes nothing in the answer
SELECT is((SELECT array_agg(q::text ORDER BY q.insurer_no)
             FROM dvflag.disaster_search(s.birth_date, kana => s.kana, insurer_name => '保険',
                                         address => r.before || pg_temp.full_width(s.street, r.widen)) AS q),
          (SELECT array_agg(q::text ORDER BY q.insurer_no)
             FROM dvflag.disaster_search(s.birth_date, kana => s.kana, insurer_name => '保険',
                                         address => '存在しない住所') AS q),
          s.link_no || ': with the insurer name, their address ' || r.how || ' gives the answer of a wrong one')
  FROM spelled s CROSS JOIN respelled r WHERE s.protected AND r.n IN (1, 4) ORDER BY s.link_no, r.n;
RESET ROLE;

-- an address in kana, spelled with combining, spacing and half-width voiced
-- marks: three namesakes share it, only the unprotected one may be found
SET LOCAL dvflag.reason = 'hostile input: namesakes at one address';
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address, nd, sb)
VALUES ('GARDEN-OPEN', '131136', 'G1', '00', '2020-04-01', '庭 花', 'ニワ ハナ', 2, '1995-05-05', '埼玉県さいたま市ガーデンハイツ２０１', false, false),
       ('GARDEN-ND',   '131136', 'G2', '00', '2020-04-01', '庭 花', 'ニワ ハナ', 2, '1995-05-05', '埼玉県さいたま市ガーデンハイツ２０１', true, false),
       ('GARDEN-SB',   '131136', 'G3', '00', '2020-04-01', '庭 花', 'ニワ ハナ', 2, '1995-05-05', '埼玉県さいたま市ガーデンハイツ２０１', false, true);
RESET dvflag.reason;
SET ROLE t_disaster;
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('1995-05-05', kana => 'ニワハナ', address => f) AS q)),
          'G1:埼玉県さいたま市ガー', 'garden: ' || w || ' finds the unprotected namesake only')
  FROM (VALUES (1, E'カ\u3099ーテ\u3099ン', 'decomposed katakana (U+3099)'),
               (2, E'か\u3099ーて\u3099ん', 'decomposed hiragana'),
               (3, 'ｶﾞｰﾃﾞﾝ', 'half-width katakana with U+FF9E'),
               (4, 'カ゛ーテ゛ン', 'spacing voiced marks (U+309B)'),
               (5, 'がーでんはいつ201', 'hiragana and ASCII digits'),
               (6, E'サイタマ市 ｶﾞｰﾃﾞﾝ\u3000ハイツ ２ ０ １', 'katakana, half-width and spaces mixed'),
               (7, E'\u3000ガ ー デ ン\u3000', 'every character spaced')) AS v(i, f, w)
 ORDER BY i;
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('1995-05-05', kana => 'ニワハナ', address => f) AS q)),
          '-', 'garden: ' || w || ' is another word and finds nobody')
  FROM (VALUES (1, E'カ\u309Aーデン', 'a semi-voiced mark on カ (does not compose)'),
               (2, 'カーデン', 'no voiced mark')) AS v(i, f, w)
 ORDER BY i;
SELECT is(pg_temp.found(ARRAY(SELECT q FROM dvflag.disaster_search('1995-05-05', kana => 'ニワハナ', insurer_name => '国民') AS q)),
          'G1:埼玉県さいたま市ガー G2:NULL G3:NULL', 'garden: by the insurer name all three, the protected addresses NULL');
RESET ROLE;

-------------------------------------------------------------------------------
-- 6. Health information (RULES.md §3a): 1 MB content, invalid JSON,
--    10,000 records in one statement and one answer
-------------------------------------------------------------------------------
CREATE TEMP TABLE c_ids AS SELECT id, link_no FROM dvflag.enrollment WHERE insurer_no = '131136';
CREATE TEMP TABLE a_ids AS SELECT id, link_no FROM dvflag.enrollment WHERE insurer_no = '01130012';
GRANT SELECT ON c_ids, a_ids TO PUBLIC;
SET ROLE t_staff_c;
SELECT lives_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, content)
                  SELECT id, 'checkup', '2024-01-01', '2710000033', jsonb_build_object('note', repeat('診', 350000))
                    FROM c_ids WHERE link_no = 'NO-FLAG'$$,
                'health: staff load a record whose content is 1 MB');
SELECT is(pg_temp.error_of($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                              SELECT id, 'checkup', '2024-01-01', '{"drug": "x",' FROM c_ids LIMIT 1$$),
          '22P02: invalid input syntax for type json', 'health: invalid JSON -> 22P02, before any row is written');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2024-01-01', E'{"drug": "x\\u0000"}' FROM c_ids LIMIT 1$$,
                 '22P05', NULL, 'health: a NUL escaped in the JSON -> 22P05');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', '2024-01-01', v::jsonb FROM c_ids, (VALUES ('"text"'), ('[]'), ('null'), ('1')) AS x(v)$$,
                 '23514', NULL, 'health: content that is a string, an array, a JSON null or a number -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_name, content)
                   SELECT id, 'checkup', '2024-01-01', repeat('院', 350000), '{}' FROM c_ids LIMIT 1$$,
                 '23514', NULL, 'health: a 1 MB institution name -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, content)
                   SELECT id, 'checkup', '2024-01-01', repeat('1', 1000000), '{}' FROM c_ids LIMIT 1$$,
                 '23514', NULL, 'health: a 1 MB institution code -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, repeat('m', 1000000), '2024-01-01', '{}' FROM c_ids LIMIT 1$$,
                 '23514', NULL, 'health: a 1 MB kind -> 23514');
-- 10,000 records in one statement, of one person
SELECT lives_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, content)
                  SELECT c.id, CASE WHEN g % 3 = 0 THEN 'medical_fee' WHEN g % 3 = 1 THEN 'checkup' ELSE 'medication' END,
                         date '2000-01-01' + g, '27' || lpad(g::text, 8, '0'), jsonb_build_object('n', g)
                    FROM c_ids c, generate_series(1, 10000) AS g WHERE c.link_no = 'ND-AT-B'$$,
                'health: staff load 10,000 records in one statement');
SELECT throws_ok($$INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, content)
                   SELECT id, 'checkup', date '2000-01-01' + g, '{}'
                     FROM (SELECT id FROM c_ids WHERE link_no = 'ND-AT-B' UNION ALL SELECT id FROM a_ids WHERE link_no = 'ND-AT-B') e,
                          generate_series(1, 5000) AS g$$,
                 '42501', 'new row violates row-level security policy for table "health_record"',
                 'health: 10,000 rows with 5,000 of another insurer''s enrollment -> 42501');
RESET ROLE;
SELECT is((SELECT count(*) FROM dvflag.health_record h JOIN c_ids c ON c.id = h.enrollment_id WHERE c.link_no = 'ND-AT-B'),
          10000::bigint, 'health: the refused statement wrote none of its rows');

SET ROLE t_portal;
SELECT is((SELECT length(h.content ->> 'note') FROM dvflag.portal_health('CARD-NO-FLAG') h WHERE h.content ? 'note'),
          350000, 'portal_health: the 1 MB content comes back whole');
SELECT is((SELECT count(*) || ' ' || count(DISTINCT h.kind) || ' ' || min(h.service_date) || ' ' || max(h.service_date)
             FROM dvflag.portal_health('CARD-ND-AT-B') h),
          '10000 3 2000-01-02 2027-05-19', 'portal_health: one answer of 10,000 records');
SELECT is((SELECT count(*) FROM dvflag.portal_health(repeat('ア', 350000))), 0::bigint,
          'portal_health: a 1 MB card serial answers no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_health('CARD-NO-FLAG', repeat('ア', 350000))), 0::bigint,
          'portal_health: a 1 MB principal_link_no answers no rows');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', NULL, repeat('m', 1000000))$$,
                 '22023', 'unknown kind "' || repeat('m', 64) || '…"', 'portal_health: a 1 MB kind -> 22023, quoted clipped');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', NULL, E'medication\u200B')$$,
                 '22023', NULL, 'portal_health: a kind with a zero-width space is no kind -> 22023');
SET ROLE t_clinic;
SELECT is((SELECT count(*) || ' ' || count(*) FILTER (WHERE h.kind = 'medical_fee') || ' ' || count(h.institution_code)
             FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', true) h),
          '6667 0 0', 'clinic_health_by_card: the 6,667 medication and checkup records of 10,000, no code (ND)');
SELECT is((SELECT count(*) FROM dvflag.clinic_health_by_card(repeat('ア', 350000), true)), 0::bigint,
          'clinic_health_by_card: a 1 MB card serial answers no rows (and is audited)');
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_health('131136', NULL, repeat('ア', 350000), '00', true)), 0::bigint,
          'disaster_health: a 1 MB number answers no rows');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health(repeat('1', 1000000), NULL, '1005', '00', true)$$,
                 '22023', 'insurer_no "' || repeat('1', 64) || '…" is not 8 or 6 digits long',
                 'disaster_health: a 1 MB insurer_no -> 22023, quoted clipped');
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT is((SELECT length(target) FROM dvflag.audit WHERE action = 'clinic_health_by_card' AND length(target) > 1000),
          350000, 'the 1 MB card serial is audited whole (its row too large for the queue, written by the read itself)');

SELECT * FROM finish();
ROLLBACK;
