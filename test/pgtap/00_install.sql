-- What CREATE EXTENSION dvflag creates, and the privilege model (API.md).
BEGIN;
SELECT plan(85);

SELECT has_schema('dvflag');
SELECT tables_are('dvflag', ARRAY['insurer', 'enrollment', 'person', 'card', 'proxy',
                                  'disaster', 'insurer_staff', 'audit', 'item_flag', 'item_copy',
                                  'provision_request', 'provision_record', 'provision_mark',
                                  'sb_flag_set', 'registration_refusal', 'health_record']);
SELECT has_type('dvflag', 'qualification', 'the qualification type exists');
SELECT is(
  (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'dvflag.qualification'::regclass AND attnum > 0 AND NOT attisdropped),
  ARRAY['insurer_no', 'insurer_name', 'symbol', 'number', 'branch', 'acquired_on', 'lost_on',
        'name', 'kana', 'sex', 'birth_date', 'address', 'postcode'],
  'qualification has the API columns in the API order');
SELECT is(
  (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = 'dvflag.health_info'::regclass AND attnum > 0 AND NOT attisdropped),
  ARRAY['insurer_no', 'symbol', 'number', 'branch', 'kind', 'service_date', 'institution_code',
        'institution_name', 'content'],
  'health_info has the API columns in the API order (1.3)');
SELECT columns_are('dvflag', 'health_record', ARRAY['id', 'enrollment_id', 'kind', 'service_date',
  'institution_code', 'institution_name', 'content']);
SELECT fk_ok('dvflag', 'health_record', 'enrollment_id', 'dvflag', 'enrollment', 'id',
             'a health record belongs to an enrollment');
SELECT columns_are('dvflag', 'enrollment', ARRAY['id', 'link_no', 'insurer_no', 'symbol', 'number',
  'branch', 'acquired_on', 'lost_on', 'name', 'kana', 'sex', 'birth_date', 'address', 'postcode',
  'nd', 'sb', 'ar']);
SELECT columns_are('dvflag', 'insurer', ARRAY['insurer_no', 'name']);
SELECT has_column('dvflag', 'audit', c, 'audit has ' || c)
  FROM unnest(ARRAY['at', 'actor', 'action', 'target', 'detail']) AS c;

-- the seven roles, NOLOGIN
SELECT ok(EXISTS (SELECT FROM pg_roles WHERE rolname = r AND NOT rolcanlogin), r || ' exists, NOLOGIN')
  FROM unnest(ARRAY['dvflag_admin', 'dvflag_insurer', 'dvflag_portal', 'dvflag_clinic',
                    'dvflag_disaster', 'dvflag_requester', 'dvflag_auditor']) AS r;

-- the API functions with their argument names
SELECT is(
  (SELECT pg_get_function_identity_arguments(p.oid) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND p.proname = f),
  args, f || '(' || args || ')')
FROM (VALUES
  ('portal_qualifications', 'card_serial text, principal_link_no text'),
  ('portal_self_info', 'card_serial text, principal_link_no text'),
  ('clinic_by_card', 'card_serial text'),
  ('clinic_by_insurance_card', 'insurer_no text, symbol text, number text, branch text'),
  ('disaster_search', 'birth_date date, name text, kana text, address text, insurer_name text, sex integer'),
  ('register_card', 'card_serial text, insurer_no text, symbol text, number text, branch text'),
  ('stop_card', 'card_serial text, reason text'),
  ('set_proxy', 'card_serial text, agent_link_no text'),
  ('remove_proxy', 'card_serial text, agent_link_no text'),
  ('declare_disaster', 'starts timestamp with time zone, ends timestamp with time zone, note text'),
  ('end_disaster', 'id bigint'),
  ('set_flag', 'insurer_no text, symbol text, number text, branch text, flag text, value boolean, reason text'),
  ('protected', 'link_no text'),
  ('grant_insurer', 'role regrole, insurer_no text'),
  ('revoke_insurer', 'role regrole, insurer_no text'),
  -- 1.1
  ('request_information', 'insurer_no text, symbol text, number text, branch text, item_code text, ndc boolean'),
  ('request_answer', 'request_id bigint'),
  ('approve_request', 'request_id bigint, content jsonb, mark boolean, override_reason text'),
  ('decline_request', 'request_id bigint, reason text'),
  ('set_item_flag', 'insurer_no text, item_code text, flag text, value boolean, reason text'),
  ('register_item_copy', 'insurer_no text, symbol text, number text, branch text, item_code text, content jsonb'),
  ('mark_record', 'record_id bigint, reason text'),
  ('mark_person_records', 'link_no text, reason text'),
  ('portal_exchange_history', 'card_serial text, principal_link_no text'),
  ('inquiry_without_my_number', 'kana text, birth_date date, sex integer, institution text, department text, inquirer text, acquired_between daterange, lost_between daterange'),
  -- 1.2
  ('sb_due_for_clearing', ''),
  -- 1.3
  ('sb_carried', ''),
  ('decide_carried_sb', 'insurer_no text, symbol text, number text, branch text, keep boolean, reason text'),
  ('portal_health', 'card_serial text, principal_link_no text, kind text'),
  ('clinic_health_by_card', 'card_serial text, consent boolean, kind text'),
  ('disaster_health', 'insurer_no text, symbol text, number text, branch text, consent boolean, kind text'),
  ('disasters', ''),
  ('audit_summary', 'from_day date, to_day date')
) AS api(f, args);

-- every function that runs with the owner's rights pins its search_path
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND p.prosecdef
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)),
  NULL, 'every SECURITY DEFINER function has search_path = pg_catalog, pg_temp');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND NOT p.prosecdef),
  ARRAY['approve_request', 'at_row', 'audience_roles', 'audit_flush', 'audit_rows_lost', 'audit_summary', 'clinic_by_card',
        'clinic_by_insurance_card', 'clinic_health_by_card', 'decide_carried_sb', 'decline_request', 'disaster_health',
        'disaster_search', 'enrollment_changed', 'expire_requests', 'fold',
        'inquiry_without_my_number', 'insurer_changed', 'insurer_no_valid', 'is_blank', 'is_staff_of', 'is_staff_of_enrollment', 'mark_person_records', 'mark_record',
        'pending_requests', 'person_drift', 'portal_exchange_history', 'portal_health', 'portal_qualifications',
        'portal_self_info',
        'purge', 'rearm_triggers', 'register_item_copy', 'remove_proxy_for', 'request_answer',
        'request_information', 'sb_carried', 'sb_due_for_clearing',
        'set_flag', 'set_item_flag', 'staff_insurers', 'stop_card'],
  'SECURITY INVOKER: the immutable helpers, the C read paths that resolve no name, the row counter of long statements, the audit''s summary (its readers'' own rights), and the acting functions that decide by the caller''s role');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace
      AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
      AND p.proname NOT IN ('fold', 'insurer_no_valid', 'is_blank', 'portal_qualifications', 'portal_self_info',
                            'clinic_by_card', 'clinic_by_insurance_card', 'portal_exchange_history', 'disaster_search',
                            'insurer_changed', 'is_staff_of', 'is_staff_of_enrollment', 'portal_health', 'clinic_health_by_card', 'disaster_health',
                            'at_row')),
  NULL, 'every function but the C that resolves no name pins search_path = pg_catalog, pg_temp');
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND p.proconfig IS NULL AND NOT p.prosecdef
      AND p.proname IN ('portal_qualifications', 'portal_self_info', 'clinic_by_card', 'clinic_by_insurance_card',
                        'portal_exchange_history', 'disaster_search', 'portal_health', 'clinic_health_by_card',
                        'disaster_health')),
  ARRAY['clinic_by_card', 'clinic_by_insurance_card', 'clinic_health_by_card', 'disaster_health', 'disaster_search',
        'portal_exchange_history', 'portal_health', 'portal_qualifications', 'portal_self_info'],
  'the C read paths run as their caller with no setting of their own (1.3)');

-- nothing for PUBLIC
SELECT is(
  (SELECT array_agg(p.proname::text) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')),
  NULL, 'PUBLIC can execute no dvflag function');
SELECT is(
  (SELECT array_agg(c.relname::text) FROM pg_class c
    WHERE c.relnamespace = 'dvflag'::regnamespace
      AND (has_table_privilege('public', c.oid, 'SELECT') OR has_table_privilege('public', c.oid, 'INSERT')
        OR has_table_privilege('public', c.oid, 'UPDATE') OR has_table_privilege('public', c.oid, 'DELETE'))),
  NULL, 'PUBLIC has no privilege on any dvflag relation');

-- audience roles: EXECUTE on their functions, nothing on tables
SELECT is(
  (SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
    WHERE p.pronamespace = 'dvflag'::regnamespace AND has_function_privilege(r, p.oid, 'EXECUTE')),
  fns, r || ' may execute exactly its functions')
FROM (VALUES
  ('dvflag_portal', ARRAY['portal_exchange_history', 'portal_health', 'portal_qualifications', 'portal_self_info',
                          'register_card', 'remove_proxy', 'set_proxy']),
  ('dvflag_clinic', ARRAY['clinic_by_card', 'clinic_by_insurance_card', 'clinic_health_by_card']),
  ('dvflag_disaster', ARRAY['disaster_health', 'disaster_search']),
  ('dvflag_requester', ARRAY['protected', 'request_answer', 'request_information']),
  ('dvflag_auditor', ARRAY['audit_flush', 'audit_summary', 'check'])
) AS t(r, fns);
SELECT is(
  (SELECT array_agg(c.relname::text) FROM pg_class c
    WHERE c.relnamespace = 'dvflag'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S')
      AND (has_table_privilege(r, c.oid, 'SELECT') OR has_table_privilege(r, c.oid, 'INSERT')
        OR has_table_privilege(r, c.oid, 'UPDATE') OR has_table_privilege(r, c.oid, 'DELETE')
        OR has_table_privilege(r, c.oid, 'TRUNCATE'))),
  NULL, r || ' has no privilege on any table')
FROM unnest(ARRAY['dvflag_portal', 'dvflag_clinic', 'dvflag_disaster', 'dvflag_requester']) AS r;
SELECT table_privs_are('dvflag', 'audit', 'dvflag_auditor', ARRAY['SELECT'], 'the auditor may only read the audit');
SELECT table_privs_are('dvflag', 'enrollment', 'dvflag_insurer', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       'insurer staff: SELECT, INSERT, UPDATE, DELETE on enrollment');
SELECT is(
  (SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
    WHERE c.relnamespace = 'dvflag'::regnamespace AND c.relkind = 'r'
      AND has_table_privilege('dvflag_insurer', c.oid, 'SELECT')),
  ARRAY['enrollment', 'health_record'], 'insurer staff reach the enrollments and their health records, no other table');
SELECT table_privs_are('dvflag', 'health_record', 'dvflag_insurer', ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       'insurer staff: SELECT, INSERT, UPDATE, DELETE on health_record (1.3)');
SELECT is(
  (SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
    WHERE c.relnamespace = 'dvflag'::regnamespace AND c.relkind = 'r'
      AND (has_table_privilege('dvflag_admin', c.oid, 'SELECT') OR has_table_privilege('dvflag_admin', c.oid, 'INSERT'))),
  ARRAY['audit', 'enrollment', 'health_record', 'insurer', 'provision_mark', 'provision_record'],
  'admin reaches the insurers, the enrollments, the health records and (reading) the audit and the provision records only');

-- row-level security on every table, not forced off
SELECT is(
  (SELECT array_agg(c.relname::text) FROM pg_class c
    WHERE c.relnamespace = 'dvflag'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity),
  NULL, 'row-level security is enabled on every table');
SELECT policies_are('dvflag', 'enrollment', ARRAY['enrollment_staff', 'enrollment_admin']);
SELECT policies_are('dvflag', 'health_record', ARRAY['health_record_staff', 'health_record_admin']);

-- the triggers fire even with session_replication_role = replica
SELECT is(
  (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger
    WHERE tgrelid IN ('dvflag.enrollment'::regclass, 'dvflag.audit'::regclass, 'dvflag.person'::regclass)
      AND NOT tgisinternal AND tgenabled <> 'A'),
  NULL, 'every dvflag trigger is ENABLE ALWAYS');

-- DROP EXTENSION and a second CREATE EXTENSION work; roles survive.  The
-- read paths cache relation OIDs per backend: use them before and after.
INSERT INTO dvflag.insurer VALUES ('131136', 'C 国保');
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, address)
VALUES ('P', '131136', '1', '00', '2020-01-01', 'before');
SELECT is((SELECT address FROM dvflag.clinic_by_insurance_card('131136', NULL, '1', '00')), 'before',
          'a read path answers (and caches its relations)');
SELECT lives_ok('DROP EXTENSION dvflag', 'DROP EXTENSION works');
SELECT hasnt_schema('dvflag', 'the schema went with it');
SELECT ok(EXISTS (SELECT FROM pg_roles WHERE rolname = 'dvflag_clinic'), 'the roles stay');
SELECT lives_ok('CREATE EXTENSION dvflag', 'a second CREATE EXTENSION works');
SELECT has_table('dvflag', 'enrollment', 'and creates the tables again');
INSERT INTO dvflag.insurer VALUES ('131136', 'C 国保');
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, address)
VALUES ('P', '131136', '1', '00', '2020-01-01', 'after');
SELECT is((SELECT address FROM dvflag.clinic_by_insurance_card('131136', NULL, '1', '00')), 'after',
          'the same session reads the new tables, not the dropped ones');

SELECT * FROM finish();
ROLLBACK;
