-- Information provision (RULES.md §6), the portal's exchange history (§3
-- row 3) and inquiries without My Number (§7), from the 1.1 interface.
BEGIN;
SELECT plan(87);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_req LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_req2 LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
SELECT dvflag.grant_insurer('t_staff_c', '131136');
SELECT dvflag.grant_insurer('t_staff_a', '01130012');
-- 副本 of item TM01 for NO-FLAG and ND-AT-B at C, and for NO-FLAG at A
SELECT dvflag.register_item_copy('131136', NULL, n, '00', 'TM01', '{"benefit": 1000}')
  FROM unnest(ARRAY['1005', '1003', '1001']) AS n;
SELECT dvflag.register_item_copy('01130012', 'A1', '1005', '00', 'TM01', '{"benefit": 10}');
CREATE FUNCTION pg_temp.history(card text, principal text DEFAULT NULL) RETURNS bigint[] LANGUAGE sql AS
  $$ SELECT coalesce(array_agg(record_id ORDER BY record_id), '{}') FROM dvflag.portal_exchange_history(card, principal) $$;
CREATE FUNCTION pg_temp.record(req bigint) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT to_jsonb(r) - 'id' - 'requested_at' - 'completed_at' - 'requester_client'
       FROM dvflag.provision_record r WHERE r.request_id = req $$;

-- 1. the automatic answer
SET ROLE t_req;
SELECT * FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01') \gset auto_
RESET ROLE;
SELECT is(:'auto_status'::text, 'provided', 'no AR: answered at once');
SELECT is(:'auto_content'::jsonb, '{"benefit": 1000}', 'with the content of the 副本');
SELECT is(pg_temp.record(:auto_request_id),
          jsonb_build_object('request_id', :auto_request_id, 'requester', 't_req', 'insurer_no', '131136',
                             'enrollment_id', (SELECT id FROM dvflag.enrollment WHERE insurer_no = '131136' AND number = '1005'),
                             'link_no', 'NO-FLAG', 'item_code', 'TM01', 'ndc', false, 'outcome', 'provided',
                             'manual', false, 'nd_mark', false),
          'the record: requester, provider, item, outcome, no mark');
SELECT is(pg_temp.history('CARD-NO-FLAG'), ARRAY[:auto_record_id::bigint], 'it shows in the exchange history');
SELECT is((SELECT requester || '/' || insurer_name || '/' || item_code
             FROM dvflag.portal_exchange_history('CARD-NO-FLAG')), 't_req/渋谷区 国民健康保険/TM01',
          'with the requester, the provider''s name and the item');

-- 2. AR on the enrollment: the request waits for staff of that insurer
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', true, 'content under correction');
SET ROLE t_req;
SELECT * FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01') \gset ar_
RESET ROLE;
SELECT is(:'ar_status'::text, 'pending', 'AR on the enrollment: pending');
SELECT ok((SELECT content IS NULL AND record_id IS NULL FROM dvflag.request_answer(:ar_request_id)),
          'no content and no record yet');
SET ROLE t_staff_c;
SELECT is((SELECT array_agg(request_id) FROM dvflag.pending_requests()), ARRAY[:ar_request_id::bigint],
          'staff of C see the pending request');
SELECT is((SELECT content FROM dvflag.pending_requests()), '{"benefit": 1000}'::jsonb,
          'with the 副本 content to review');
SET ROLE t_staff_a;
SELECT is((SELECT count(*) FROM dvflag.pending_requests()), 0::bigint, 'staff of A see nothing of C''s requests');
SELECT throws_ok(format('SELECT dvflag.approve_request(%s)', :ar_request_id), '42501', NULL,
                 'staff of A cannot approve C''s request');
SET ROLE t_req;
SELECT is((dvflag.request_answer(:ar_request_id)).status, 'pending', 'the requester sees it pending');
SET ROLE t_req2;
SELECT throws_ok(format('SELECT dvflag.request_answer(%s)', :ar_request_id), 'P0002', NULL,
                 'another requester cannot see it');
RESET ROLE;
CREATE ROLE t_req_old LOGIN IN ROLE dvflag_requester;
SET ROLE t_req_old;
SELECT request_id AS old_request FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01') \gset
RESET ROLE;
DROP ROLE t_req_old;
CREATE ROLE t_req_old LOGIN IN ROLE dvflag_requester;
SET ROLE t_req_old;
SELECT throws_ok(format('SELECT divflag_x FROM dvflag.request_answer(%s) AS divflag_x', :old_request), 'P0002', NULL,
                 'a role dropped and created again under the same name is another requester');
SET ROLE t_staff_c;
SELECT dvflag.approve_request(:ar_request_id, '{"benefit": 1200}') AS ar_record \gset
SET ROLE t_req;
SELECT is(row_to_json(dvflag.request_answer(:ar_request_id))::jsonb,
          jsonb_build_object('request_id', :ar_request_id, 'status', 'provided', 'content', '{"benefit": 1200}'::jsonb,
                             'record_id', :ar_record),
          'approved (送信許可) with corrected content: the requester gets it');
RESET ROLE;
SELECT is(pg_temp.record(:ar_request_id)->>'manual', 'true', 'the record says manual');
SELECT is(pg_temp.history('CARD-NO-FLAG'), ARRAY[:auto_record_id, :ar_record]::bigint[],
          'a manual, normal, unmarked provision shows too');
SELECT throws_ok(format('SELECT dvflag.approve_request(%s)', :ar_request_id), '55000', NULL,
                 'an answered request cannot be answered again');
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', false, 'corrected');

-- 3. AR on the item at that insurer
SET ROLE t_staff_c;
SELECT is(dvflag.set_item_flag('131136', 'TM01', 'ar', true, 'item under review'), true, 'staff set AR on an item');
SET ROLE t_req;
SELECT * FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01') \gset item_
SELECT is(:'item_status'::text, 'pending', 'AR on the item: pending');
SELECT is((dvflag.request_information('01130012', 'A1', '1005', '00', 'TM01')).status, 'provided',
          'the same item at another insurer is still automatic');
-- 4. decline
SET ROLE t_staff_c;
SELECT throws_ok(format('SELECT dvflag.decline_request(%s, NULL)', :item_request_id), '22023', NULL,
                 'declining needs a reason');
SELECT dvflag.decline_request(:item_request_id, 'not ours to answer') AS item_record \gset
RESET ROLE;
SELECT is(pg_temp.record(:item_request_id)->>'outcome', 'declined', 'declined: the record says so');
SELECT ok(NOT (:item_record = ANY (pg_temp.history('CARD-NO-FLAG'))), 'a declined request never shows');
SET ROLE t_staff_c;
SELECT dvflag.set_item_flag('131136', 'TM01', 'ar', false, 'review done');
RESET ROLE;
SELECT is((SELECT detail->>'reason' FROM dvflag.audit WHERE action = 'item_flag_change' ORDER BY id DESC LIMIT 1),
          'review done', 'item flag changes are audited with their reason');

-- 5. NDC set by the requester
SET ROLE t_req;
SELECT * FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01', ndc => true) \gset ndc_
RESET ROLE;
SELECT is(:'ndc_status'::text, 'provided', 'NDC: still provided');
SELECT is(pg_temp.record(:ndc_request_id)->>'nd_mark', 'true', 'NDC: the record is marked');
SELECT ok(NOT (:ndc_record_id = ANY (pg_temp.history('CARD-NO-FLAG'))), 'a marked record never shows');

-- 6. ND on the enrollment when the provision completes (ND-AT-B's C enrollment has none; set it now)
SELECT dvflag.set_flag('131136', NULL, '1003', '00', 'ar', true, 'manual answers only');
SET ROLE t_req;
SELECT * FROM dvflag.request_information('131136', NULL, '1003', '00', 'TM01') \gset nd_
RESET ROLE;
SET ROLE t_staff_c;
SELECT is((SELECT mark_required FROM dvflag.pending_requests() WHERE request_id = :nd_request_id), false,
          'pending: no mark required yet');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1003', '00', 'nd', true, 'application while the request waits');
SET ROLE t_staff_c;
SELECT is((SELECT mark_required FROM dvflag.pending_requests() WHERE request_id = :nd_request_id), true,
          'staff see that ND now requires the mark');
SELECT throws_ok(format('SELECT dvflag.approve_request(%s, mark => false)', :nd_request_id), '22023',
                 'removing the non-disclosure mark that ND requires needs an override_reason',
                 'removing the mark ND requires without a reason is refused');
SELECT dvflag.approve_request(:nd_request_id) AS nd_record \gset
RESET ROLE;
SELECT is(pg_temp.record(:nd_request_id)->>'nd_mark', 'true', 'ND set before completion: the record is marked');

-- 7. the override, audited; NDC can never be removed
SET ROLE t_req;
SELECT (dvflag.request_information('131136', NULL, '1003', '00', 'TM01')).request_id AS ov_request \gset
SELECT (dvflag.request_information('131136', NULL, '1003', '00', 'TM01', ndc => true)).request_id AS ovndc_request \gset
SET ROLE t_staff_c;
SELECT throws_ok(format('SELECT dvflag.approve_request(%s, mark => false, override_reason => %L)', :ovndc_request,
                        'the person asked'), '22023', NULL, 'the requester''s NDC cannot be removed');
SELECT throws_ok(format('SELECT dvflag.approve_request(%s, mark => true, override_reason => %L)', :ov_request, 'x'),
                 '22023', NULL, 'an override_reason goes only with mark => false');
SELECT dvflag.approve_request(:ov_request, mark => false, override_reason => 'ND set in error, being cleared')
  AS ov_record \gset
RESET ROLE;
SELECT is(pg_temp.record(:ov_request)->>'nd_mark', 'false', 'with the override the record is unmarked');
SELECT is((SELECT detail->>'reason' FROM dvflag.audit WHERE action = 'provision_mark_override'
            AND (detail->>'record_id')::bigint = :ov_record),
          'ND set in error, being cleared', 'and the override is audited with its reason');

-- 8. ND on the item; a manual answer may add a mark
SET ROLE t_staff_a;
SELECT dvflag.set_item_flag('01130012', 'TM01', 'nd', true, 'item holds addresses');
SET ROLE t_req;
SELECT * FROM dvflag.request_information('01130012', 'A1', '1005', '00', 'TM01') \gset itemnd_
RESET ROLE;
SELECT is(pg_temp.record(:itemnd_request_id)->>'nd_mark', 'true', 'ND on the item: marked');
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', true, 'manual');
SET ROLE t_req;
SELECT (dvflag.request_information('131136', NULL, '1005', '00', 'TM01')).request_id AS add_request \gset
SET ROLE t_staff_c;
SELECT dvflag.approve_request(:add_request, mark => true) AS add_record \gset
RESET ROLE;
SELECT is(pg_temp.record(:add_request)->>'nd_mark', 'true', 'a manual answer may add the mark');
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', false, 'automatic again');

-- 9. non-normal outcomes never show
SET ROLE t_req;
SELECT is((dvflag.request_information('131136', NULL, '1005', '00', 'TM99')).status, 'no_copy',
          'no 副本 registered: 副本未登録');
SELECT is((dvflag.request_information('131136', NULL, '9999', '00', 'TM01')).status, 'no_agency_code',
          'no such enrollment: 機関別符号未発行');
SELECT throws_ok($$SELECT dvflag.request_information('99999999', NULL, '1005', '00', 'TM01')$$, '22023', NULL,
                 'a malformed insurer number is refused');
SELECT throws_ok($$SELECT dvflag.request_information('06132013', 'B2', '1005', '00', 'tm01')$$, '22023', NULL,
                 'a malformed item code is refused');
SELECT throws_ok($$SELECT dvflag.request_information('131136', NULL, '1005', '00', 'TM01', NULL)$$, '22023', NULL,
                 'ndc NULL is refused');
RESET ROLE;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'ar', true, 'to let one expire');
SET ROLE t_req;
SELECT (dvflag.request_information('131136', NULL, '1005', '00', 'TM01')).request_id AS exp_request \gset
RESET ROLE;
UPDATE dvflag.provision_request SET expires_at = now() - interval '1 minute' WHERE id = :exp_request;
SET ROLE t_staff_c;
SELECT throws_ok(format('SELECT dvflag.approve_request(%s)', :exp_request), '55000', NULL,
                 'an expired request cannot be approved');
SELECT is(dvflag.expire_requests(), 1, 'expire_requests closes it');
RESET ROLE;
SELECT is(pg_temp.record(:exp_request)->>'outcome', 'expired', 'the record says expired');
SELECT is((SELECT array_agg(DISTINCT outcome ORDER BY outcome) FROM dvflag.provision_record r
            WHERE r.link_no = 'NO-FLAG' OR r.link_no IS NULL),
          ARRAY['declined', 'expired', 'no_agency_code', 'no_copy', 'provided'], 'every outcome has its record');
SELECT is(pg_temp.history('CARD-NO-FLAG'),
          (SELECT array_agg(id ORDER BY id) FROM dvflag.provision_record
            WHERE link_no = 'NO-FLAG' AND outcome = 'provided' AND NOT nd_mark),
          'the history holds exactly the normal, unmarked records');

-- 10. marks appended later (記録事項変更事由の追記)
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
VALUES ('ONLY-C', '131136', '4001', '00', '2020-04-01');
SELECT dvflag.register_item_copy('131136', NULL, '4001', '00', 'TM01', '{"x": 1}');
SELECT record_id AS onlyc_record FROM dvflag.request_information('131136', NULL, '4001', '00', 'TM01') \gset
SET ROLE t_staff_a;
SELECT throws_ok(format('SELECT dvflag.mark_record(%s, %L)', :onlyc_record, 'x'), '42501', NULL,
                 'staff of an insurer that neither provided the record nor has the person cannot mark it');
SET ROLE t_staff_c;
SELECT throws_ok(format('SELECT dvflag.mark_record(%s, NULL)', :auto_record_id), '22023', NULL,
                 'a mark needs a reason');
SELECT is(dvflag.mark_record(:auto_record_id, 'should not have been disclosed'), true, 'a mark is appended');
SELECT is(dvflag.mark_record(:auto_record_id, 'again'), false, 'once');
RESET ROLE;
SELECT ok(NOT (:auto_record_id = ANY (pg_temp.history('CARD-NO-FLAG'))), 'the marked record no longer shows');
SET ROLE t_staff_c;
SELECT cmp_ok(dvflag.mark_person_records('NO-FLAG', 'ND set for NO-FLAG: earlier records too'), '>', 0,
              'setting ND can mark the person''s earlier records in the same step');
RESET ROLE;
SELECT is(pg_temp.history('CARD-NO-FLAG'), '{}'::bigint[], 'nothing of NO-FLAG shows any more');
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.mark_person_records('TWIN-X', 'x')$$, '42501', NULL,
                 'staff cannot mark the records of a person not enrolled at their insurers');
RESET ROLE;

-- a record follows its enrollment: a corrected link_no moves it to the right person
SELECT dvflag.register_card('CARD-ONLY-C', '131136', NULL, '4001', '00');
SELECT is(pg_temp.history('CARD-ONLY-C'), ARRAY[:onlyc_record]::bigint[], 'ONLY-C sees its record');
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
VALUES ('OTHER', '131136', '4002', '00', '2021-04-01');
SELECT dvflag.register_card('CARD-OTHER', '131136', NULL, '4002', '00');
SET LOCAL dvflag.reason = 'link_no corrected';
UPDATE dvflag.enrollment SET link_no = 'OTHER' WHERE number = '4001';
RESET dvflag.reason;
SELECT is(pg_temp.history('CARD-ONLY-C'), '{}'::bigint[], 'after a link correction the old person no longer sees it');
SELECT is(pg_temp.history('CARD-OTHER'), ARRAY[:onlyc_record]::bigint[], 'the right person does');
SET ROLE t_staff_c;
SELECT is(dvflag.mark_person_records('OTHER', 'ND for OTHER'), 1, 'and can mark it through the right person');
RESET ROLE;

-- 11. append-only for every role, the owner included
SELECT throws_ok($$UPDATE dvflag.provision_record SET nd_mark = false$$, '42501',
                 'dvflag.provision_record is append-only', 'superuser: no UPDATE of a record');
SELECT throws_ok($$DELETE FROM dvflag.provision_mark$$, '42501', 'dvflag.provision_mark is append-only',
                 'superuser: no DELETE of a mark');
SELECT throws_ok($$TRUNCATE dvflag.provision_record CASCADE$$, '42501', NULL, 'superuser: no TRUNCATE');
SET ROLE t_admin;
SELECT throws_ok($$UPDATE dvflag.provision_record SET nd_mark = false$$, '42501', NULL, 'admin: no UPDATE');
SELECT throws_ok($$DELETE FROM dvflag.provision_record$$, '42501', NULL, 'admin: no DELETE');
SELECT ok((SELECT count(*) FROM dvflag.provision_record) > 0, 'admin reads the records');
SET ROLE t_auditor;
SELECT throws_ok($$DELETE FROM dvflag.provision_mark$$, '42501', NULL, 'auditor: no DELETE of a mark');
SELECT ok((SELECT count(*) FROM dvflag.provision_mark) > 0, 'the auditor reads the marks');
SET ROLE t_staff_c;
SELECT throws_ok($$SELECT * FROM dvflag.provision_record$$, '42501', NULL, 'staff read records only through functions');
RESET ROLE;

-- 12. the portal's proxy and card rules
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
VALUES ('AGENT', '131136', '2001', '00', '2020-04-01');
SELECT dvflag.register_card('CARD-AGENT', '131136', NULL, '2001', '00');
SET ROLE t_req;
SELECT (dvflag.request_information('06132013', 'B2', '1001', '00', 'TM01')).status AS x \gset
SELECT (dvflag.request_information('131136', NULL, '1001', '00', 'TM01')).record_id AS sb_record \gset
RESET ROLE;
SELECT dvflag.register_item_copy('131136', NULL, '1002', '00', 'TM01', '{"benefit": 5}');
SET ROLE t_req;
SELECT record_id AS sbc_record FROM dvflag.request_information('131136', NULL, '1002', '00', 'TM01') \gset
RESET ROLE;
SELECT is(pg_temp.history('CARD-SB-AT-C'), '{}'::bigint[],
          'while SB_eff holds the history answers nothing, as the qualifications do (no new insurer named)');
SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'cleared (worked example)');
SELECT is(pg_temp.history('CARD-SB-AT-C'), ARRAY[:sbc_record]::bigint[], 'SB cleared: it shows');
SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', true, 'set again');
SELECT is(pg_temp.history('CARD-AGENT', 'SB-AT-B'), '{}'::bigint[], 'no proxy relation: nothing');
SET ROLE t_portal;
SELECT dvflag.set_proxy('CARD-SB-AT-B', 'AGENT');
RESET ROLE;
SELECT is(pg_temp.history('CARD-AGENT', 'SB-AT-B'), ARRAY[:sb_record]::bigint[], 'the proxy sees the principal''s history');
SELECT is(pg_temp.history('CARD-UNKNOWN'), '{}'::bigint[], 'an unknown card: nothing');
SELECT dvflag.stop_card('CARD-SB-AT-B', 'lost');
SELECT is(pg_temp.history('CARD-SB-AT-B'), '{}'::bigint[], 'a stopped card: nothing');
SELECT throws_ok($$SELECT * FROM dvflag.portal_exchange_history('')$$, '22023', NULL, 'a blank card is refused');

-- 13. inquiries without My Number (§7)
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, lost_on, kana, sex, birth_date)
VALUES ('TWIN-1', '131136', '3001', '00', '2015-04-01', '2019-04-01', 'ｻｻｷ ﾊﾅ', 2, '1980-01-01'),
       ('TWIN-2', '131136', '3002', '00', '2019-04-01', NULL, 'ササキ　ハナ', 2, '1980-01-01');
SET ROLE t_staff_c;
SELECT is((SELECT status || ':' || candidates || ':' || link_no || ':' || protected
             FROM dvflag.inquiry_without_my_number('スズキ イチロウ', '1978-11-23', 1, '横浜市', '介護保険課', '山本')),
          'match:1:ND-AT-B:true', 'one match: answered, with whether the person is protected');
SELECT is((SELECT status || ':' || candidates || ':' || coalesce(link_no, '-')
             FROM dvflag.inquiry_without_my_number('スズキ イチロウ', '1978-11-23', 2, '横浜市', '介護保険課', '山本')),
          'no_match:0:-', 'sex differs: no match');
SELECT is((SELECT status || ':' || candidates || ':' || coalesce(link_no, '-')
             FROM dvflag.inquiry_without_my_number('ささき はな', '1980-01-01', 2, '横浜市', '介護保険課', '山本')),
          'several:2:-', 'two match (folded kana): asked for the period, nothing shown');
SELECT is((SELECT status || ':' || link_no
             FROM dvflag.inquiry_without_my_number('ささき はな', '1980-01-01', 2, '横浜市', '介護保険課', '山本',
                                                   acquired_between => '[2019-01-01,2020-01-01)')),
          'match:TWIN-2', 'the acquisition period narrows it to one');
SELECT is((SELECT status || ':' || link_no
             FROM dvflag.inquiry_without_my_number('ささき はな', '1980-01-01', 2, '横浜市', '介護保険課', '山本',
                                                   lost_between => '[2019-01-01,2020-01-01)')),
          'match:TWIN-1', 'so does the loss period');
SELECT throws_ok($$SELECT * FROM dvflag.inquiry_without_my_number('スズキ イチロウ', '1978-11-23', 1, '横浜市', ' ', '山本')$$,
                 '22023', NULL, 'the inquirer''s department is required');
SELECT throws_ok($$SELECT * FROM dvflag.inquiry_without_my_number('スズキ イチロウ', '1978-11-23', NULL, '横浜市', '課', '山本')$$,
                 '22023', NULL, 'sex is required');
SET ROLE t_staff_a;
SELECT is((SELECT status FROM dvflag.inquiry_without_my_number('ささき はな', '1980-01-01', 2, '横浜市', '介護保険課', '山本')),
          'no_match', 'staff of another insurer find nothing of C''s');
RESET ROLE;
SELECT is((SELECT jsonb_build_object('institution', detail->'institution', 'department', detail->'department',
                                     'inquirer', detail->'inquirer', 'status', detail->'status', 'count', detail->'count')
             FROM dvflag.audit WHERE action = 'inquiry_without_my_number' ORDER BY id LIMIT 1),
          '{"institution": "横浜市", "department": "介護保険課", "inquirer": "山本", "status": "match", "count": 1}',
          'every inquiry is audited with the inquirer''s institution, department and name');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'inquiry_without_my_number'), 6::bigint,
          'each of the six answered inquiries is audited');
SET ROLE t_admin;
SELECT throws_ok($$SELECT * FROM dvflag.inquiry_without_my_number('ささき はな', '1980-01-01', 2, 'a', 'b', 'c')$$,
                 '42501', NULL, 'admin does not answer inquiries: staff do, within their insurers');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
