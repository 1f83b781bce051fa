-- Attack: an application of one audience calls the functions of another
-- (a clinic asking the portal's questions, a requester searching in
-- disaster mode, staff mapping themselves to another insurer), or switches
-- to another audience role.  Every such call is refused with 42501 before
-- the function runs; insurer staff are refused for insurers not theirs.
BEGIN;
SELECT plan(285);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'cross-audience test');

-- what each audience may call (API.md); everything else must be refused
CREATE TEMP TABLE allowed (role text, fn text);
INSERT INTO allowed
SELECT r, fn FROM (VALUES
  ('t_portal', ARRAY['portal_qualifications', 'portal_self_info', 'register_card', 'set_proxy', 'remove_proxy',
                     'portal_exchange_history', 'portal_health']),
  ('t_clinic', ARRAY['clinic_by_card', 'clinic_by_insurance_card', 'clinic_health_by_card']),
  ('t_disaster', ARRAY['disaster_search', 'disaster_health']),
  ('t_requester', ARRAY['protected', 'request_information', 'request_answer']),
  ('t_auditor', ARRAY['check', 'audit_flush', 'audit_summary']),
  ('t_staff_b', ARRAY['set_flag', 'stop_card', 'remove_proxy_for', 'protected', 'staff_insurers', 'is_staff_of', 'is_staff_of_enrollment', 'fold',
                      'insurer_no_valid', 'is_blank', 'pending_requests', 'approve_request', 'decline_request',
                      'expire_requests', 'set_item_flag', 'register_item_copy', 'mark_record',
                      'mark_person_records', 'inquiry_without_my_number', 'sb_due_for_clearing',
                      'sb_carried', 'decide_carried_sb', 'at_row']),
  ('t_admin', ARRAY['set_flag', 'stop_card', 'remove_proxy_for', 'protected', 'staff_insurers', 'is_staff_of', 'is_staff_of_enrollment', 'declare_disaster',
                    'end_disaster', 'grant_insurer', 'revoke_insurer', 'fold', 'insurer_no_valid', 'is_blank',
                    'pending_requests', 'approve_request', 'decline_request', 'expire_requests', 'set_item_flag',
                    'register_item_copy', 'mark_record', 'mark_person_records', 'check', 'purge',
                    'sb_due_for_clearing', 'sb_carried', 'decide_carried_sb', 'audit_flush', 'at_row',
                    'disasters', 'audit_summary'])) AS a(r, f)
  LEFT JOIN LATERAL unnest(f) AS fn ON true;
-- the functions of the API and its helpers, each called with harmless
-- arguments that are not NULL (a strict function called with a NULL
-- constant is folded away by the planner before any privilege check)
CREATE TEMP TABLE calls AS
SELECT p.proname::text AS fn,
       format('SELECT * FROM dvflag.%I(%s)', p.proname,
              (SELECT string_agg(format('%L::%s',
                                        CASE format_type(t, NULL)
                                          WHEN 'date' THEN '2000-01-01'
                                          WHEN 'timestamp with time zone' THEN '2000-01-01'
                                          WHEN 'smallint' THEN '1' WHEN 'integer' THEN '1' WHEN 'bigint' THEN '1'
                                          WHEN 'boolean' THEN 'true'
                                          WHEN 'jsonb' THEN '{}'
                                          WHEN 'daterange' THEN '[2000-01-01,2001-01-01)'
                                          WHEN 'regrole' THEN 'dvflag_clinic'
                                          ELSE 'x' END,
                                        format_type(t, NULL)), ', ' ORDER BY n)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, n))) AS sql
  FROM pg_proc p
 WHERE p.pronamespace = 'dvflag'::regnamespace
   AND p.proname IN ('portal_qualifications', 'portal_self_info', 'clinic_by_card', 'clinic_by_insurance_card',
                     'disaster_search', 'register_card', 'stop_card', 'set_proxy', 'remove_proxy', 'set_flag',
                     'protected', 'declare_disaster', 'end_disaster', 'grant_insurer', 'revoke_insurer',
                     'staff_insurers', 'is_staff_of', 'is_staff_of_enrollment', 'fold', 'insurer_no_valid',
                     'request_information', 'request_answer', 'pending_requests', 'approve_request',
                     'decline_request', 'expire_requests', 'set_item_flag', 'register_item_copy', 'mark_record',
                     'mark_person_records', 'portal_exchange_history', 'inquiry_without_my_number', 'check',
                     'rearm_triggers', 'purge', 'sb_due_for_clearing', 'sb_carried', 'decide_carried_sb',
                     'portal_health', 'clinic_health_by_card', 'disaster_health',
                     'disasters', 'audit_summary');
CREATE TEMP TABLE denied AS
SELECT r.role, c.fn, c.sql FROM calls c
 CROSS JOIN (SELECT DISTINCT role FROM allowed) r
 WHERE NOT EXISTS (SELECT FROM allowed a WHERE a.role = r.role AND a.fn = c.fn);
GRANT SELECT ON denied TO PUBLIC;

SELECT is((SELECT count(*) FROM calls), 43::bigint, 'the forty-three functions of the API and its helpers are there');
-- and whatever else the schema holds, no role may execute more than its list
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'dvflag'::regnamespace AND has_function_privilege(r.role, p.oid, 'EXECUTE')
              AND p.proname::text NOT IN (SELECT a.fn FROM allowed a WHERE a.role = r.role)),
          NULL, r.role || ' may execute no dvflag function beyond its list')
  FROM (SELECT DISTINCT role FROM allowed) r ORDER BY r.role;

SET ROLE t_portal;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'portal: ' || fn || ' is denied')
  FROM denied WHERE role = 't_portal' ORDER BY fn;
SET ROLE t_clinic;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'clinic: ' || fn || ' is denied')
  FROM denied WHERE role = 't_clinic' ORDER BY fn;
SET ROLE t_disaster;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'disaster: ' || fn || ' is denied')
  FROM denied WHERE role = 't_disaster' ORDER BY fn;
SET ROLE t_requester;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'requester: ' || fn || ' is denied')
  FROM denied WHERE role = 't_requester' ORDER BY fn;
SET ROLE t_auditor;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'auditor: ' || fn || ' is denied')
  FROM denied WHERE role = 't_auditor' ORDER BY fn;
SET ROLE t_staff_b;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'insurer staff: ' || fn || ' is denied')
  FROM denied WHERE role = 't_staff_b' ORDER BY fn;
SET ROLE t_admin;
SELECT throws_ok(sql, '42501', 'permission denied for function ' || fn, 'admin: ' || fn || ' is denied')
  FROM denied WHERE role = 't_admin' ORDER BY fn;
RESET ROLE;

-- the natural attacks, with real arguments
SET ROLE t_clinic;
SELECT throws_ok($$SELECT * FROM dvflag.portal_qualifications('CARD-SB-AT-C')$$, '42501', NULL,
                 'clinic: the portal''s qualification path (which shows ND addresses) is denied');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険')$$,
                 '42501', NULL, 'clinic: disaster search without the disaster role is denied');
SELECT throws_ok($$SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'clinic clears SB')$$,
                 '42501', NULL, 'clinic: clearing a flag is denied');
SELECT throws_ok($$SELECT dvflag.protected('SB-AT-C')$$, '42501', NULL,
                 'clinic: asking whether a person is protected is denied (RULES.md §5)');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-SB-AT-B')$$, '42501', NULL,
                 'clinic: the portal''s health path (institution names, medical-fee notices) is denied');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1002', '00', true)$$, '42501', NULL,
                 'clinic: the disaster health path (which shows records despite SB) is denied outside the disaster role');
SET ROLE t_portal;
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00')$$, '42501', NULL,
                 'portal: the clinic''s insurance-card path is denied');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_card('CARD-ND-AT-B')$$, '42501', NULL,
                 'portal: the clinic''s card path is denied');
SELECT throws_ok($$SELECT dvflag.stop_card('CARD-ND-AT-B', 'perpetrator stops the victim''s card')$$, '42501', NULL,
                 'portal: stopping a card is denied');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1002', '00', true)$$, '42501', NULL,
                 'portal: reading a person under SB through the disaster health path is denied');
SET ROLE t_requester;
SELECT is(dvflag.protected('SB-AT-C'), true, 'requester: protected() is allowed');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00')$$, '42501', NULL,
                 'requester: the insurance-card path is denied');
SELECT throws_ok($$SELECT * FROM dvflag.portal_self_info('CARD-SB-AT-C')$$, '42501', NULL,
                 'requester: the portal path is denied');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ', insurer_name => '保険')$$,
                 '42501', NULL, 'requester: disaster search is denied');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true)$$, '42501', NULL,
                 'requester: the clinic''s health path is denied');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00')$$, '42501', NULL,
                 'disaster: the insurance-card path is denied');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_card('CARD-ND-AT-B')$$, '42501', NULL,
                 'disaster: the card path is denied');
SELECT throws_ok($$SELECT dvflag.declare_disaster(now(), now() + interval '1 year', 'self-declared')$$, '42501', NULL,
                 'disaster: declaring a disaster is denied');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', true)$$, '42501', NULL,
                 'disaster: the clinic''s health path is denied');

-- insurer staff act only for their own insurers
SET ROLE t_staff_b;
SELECT throws_ok($$SELECT dvflag.grant_insurer('t_staff_b', '131136')$$, '42501', NULL,
                 'staff of B: mapping themselves to insurer C is denied');
SELECT throws_ok($$SELECT dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'clear SB at C')$$, '42501',
                 'permission denied for insurer 131136', 'staff of B: clearing SB at insurer C is denied');
SELECT throws_ok($$SELECT dvflag.set_flag('131136', NULL, 'NO-SUCH', '00', 'sb', false, 'probe')$$, '42501',
                 'permission denied for insurer 131136',
                 'staff of B: an unknown card of insurer C gets the same 42501 (no existence oracle)');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1004', '00', 'nd', false, 'clear ND at A')$$, '42501',
                 'permission denied for insurer 01130012', 'staff of B: clearing ND at insurer A is denied');
SELECT lives_ok($$SELECT dvflag.set_flag('06132013', 'B2', '1005', '00', 'ar', true, 'own insurer')$$,
                'staff of B: a flag at B works');
SELECT throws_ok($$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00')$$, '42501', NULL,
                 'staff of B: the clinic path is denied');
SELECT throws_ok($$SELECT * FROM dvflag.portal_health('CARD-SB-AT-B')$$, '42501', NULL,
                 'staff of B: the health read paths are denied (their own records they read under the policy)');
RESET ROLE;
-- a person enrolled at C only: staff of B may not stop their card
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on) VALUES ('C-ONLY', '131136', '2001', '00', '2020-04-01');
SELECT dvflag.register_card('CARD-C-ONLY', '131136', NULL, '2001', '00');
SET ROLE t_staff_b;
SELECT throws_ok($$SELECT dvflag.stop_card('CARD-C-ONLY', 'not ours')$$, '42501', NULL,
                 'staff of B: stopping the card of a person never at B is denied');
RESET ROLE;
SELECT is((SELECT stopped_at FROM dvflag.card WHERE card_serial = 'CARD-C-ONLY'), NULL, 'and the card still works');
SELECT is((SELECT sb FROM dvflag.enrollment WHERE insurer_no = '131136' AND number = '1002'), true,
          'SB at C is still set after all of it');

-- borrowing a stronger identity: a function of the staff's own in an
-- index expression, which a superuser's ANALYZE (or autovacuum) evaluates
CREATE SCHEMA atk;
GRANT USAGE, CREATE ON SCHEMA atk TO t_staff_b;
SET ROLE t_staff_b;
CREATE FUNCTION atk.clear_sb_at_c(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  BEGIN
    PERFORM dvflag.set_flag('131136', NULL, '1002', '00', 'sb', false, 'cleared by an index expression');
  EXCEPTION WHEN insufficient_privilege THEN NULL;
  END;
  RETURN x;
END $$;
CREATE TABLE atk.t (x int);
CREATE INDEX ON atk.t (atk.clear_sb_at_c(x));
INSERT INTO atk.t SELECT generate_series(1, 10);
RESET ROLE;
ANALYZE atk.t;
SELECT is((SELECT sb FROM dvflag.enrollment WHERE insurer_no = '131136' AND number = '1002'), true,
          'staff of B: an index expression run by a superuser''s ANALYZE cannot clear SB at insurer C');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE detail->>'reason' = 'cleared by an index expression'), 0::bigint,
          'and no such flag change was audited');

-- switching to another audience role, as a login of one
SET SESSION AUTHORIZATION t_clinic;
SELECT throws_ok(format('SET ROLE %I', r), '42501', NULL, 'a clinic login cannot SET ROLE ' || r)
  FROM unnest(ARRAY['dvflag_admin', 'dvflag_insurer', 'dvflag_portal', 'dvflag_disaster',
                    'dvflag_requester', 'dvflag_auditor']) AS r ORDER BY r;
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION t_staff_b;
SELECT throws_ok('SET ROLE dvflag_admin', '42501', NULL, 'an insurer-staff login cannot SET ROLE dvflag_admin');
SELECT throws_ok('GRANT dvflag_admin TO t_staff_b', '42501', NULL, 'nor grant itself dvflag_admin');
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION t_admin;
SELECT throws_ok('GRANT dvflag_admin TO t_clinic', '42501', NULL,
                 'an admin login cannot hand dvflag_admin to a clinic login');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
