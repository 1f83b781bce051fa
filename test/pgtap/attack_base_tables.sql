-- Attack: bypass the masking by reading or writing the base tables of
-- schema dvflag directly (RULES.md §9, API.md "Roles").  Every audience
-- role gets 42501 on every table and sequence; insurer staff reach only
-- the enrollments of the insurers mapped to them and the health records of
-- those enrollments.
BEGIN;
SELECT plan(460);
\i test/fixtures/worked_examples.sql
\i test/fixtures/health_records.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_staff_none LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');

-- every plain statement on every table and sequence of the schema
CREATE TEMP TABLE cases (ord serial, rel text, sql text, msg text);
INSERT INTO cases (rel, sql, msg)
SELECT t.rel, s.sql, format('permission denied for table %s', t.rel)
  FROM unnest(ARRAY['audit', 'card', 'disaster', 'enrollment', 'insurer', 'insurer_staff', 'person', 'proxy',
                    'item_flag', 'item_copy', 'provision_request', 'provision_record', 'provision_mark',
                    'health_record'])
       WITH ORDINALITY AS t(rel, n)
  JOIN pg_class c ON c.relname = t.rel AND c.relnamespace = 'dvflag'::regnamespace
  CROSS JOIN LATERAL (
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attidentity = '' AND a.attgenerated = ''
     ORDER BY a.attnum LIMIT 1) col
  CROSS JOIN LATERAL (VALUES
    (1, format('SELECT * FROM dvflag.%I', t.rel)),
    (2, format('INSERT INTO dvflag.%I DEFAULT VALUES', t.rel)),
    (3, format('UPDATE dvflag.%I SET %I = %I', t.rel, col.attname, col.attname)),
    (4, format('DELETE FROM dvflag.%I', t.rel)),
    (5, format('TRUNCATE dvflag.%I', t.rel))) AS s(n, sql)
 ORDER BY t.n, s.n;
INSERT INTO cases (rel, sql, msg)
SELECT q, format('SELECT nextval(%L)', 'dvflag.' || q), format('permission denied for sequence %s', q)
  FROM unnest(ARRAY['audit_id_seq', 'disaster_id_seq', 'enrollment_id_seq', 'health_record_id_seq']) AS q;
GRANT SELECT ON cases TO PUBLIC;

-- and whatever else the schema holds: no privilege beyond these
CREATE TEMP TABLE allowed (role text, rel text, priv text);
INSERT INTO allowed VALUES ('t_auditor', 'audit', 'SELECT'),
  ('t_auditor', 'provision_record', 'SELECT'), ('t_auditor', 'provision_mark', 'SELECT'),
  ('t_staff_b', 'enrollment', 'SELECT'), ('t_staff_b', 'enrollment', 'INSERT'),
  ('t_staff_b', 'enrollment', 'UPDATE'), ('t_staff_b', 'enrollment', 'DELETE'),
  ('t_staff_b', 'health_record', 'SELECT'), ('t_staff_b', 'health_record', 'INSERT'),
  ('t_staff_b', 'health_record', 'UPDATE'), ('t_staff_b', 'health_record', 'DELETE');
SELECT is((SELECT array_agg(c.relname || ' ' || p.priv ORDER BY c.relname, p.priv)
             FROM pg_class c
            CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER',
                                    'USAGE']) AS p(priv)
            WHERE c.relnamespace = 'dvflag'::regnamespace
              AND CASE WHEN c.relkind = 'S' THEN p.priv IN ('SELECT', 'UPDATE', 'USAGE')
                                             AND has_sequence_privilege(r, c.oid, p.priv)
                       WHEN c.relkind IN ('r', 'p', 'v', 'm', 'f') THEN p.priv <> 'USAGE'
                                             AND has_table_privilege(r, c.oid, p.priv)
                       ELSE false END
              AND NOT EXISTS (SELECT FROM allowed a WHERE a.role = r AND a.rel = c.relname AND a.priv = p.priv)),
          NULL, r || ' holds no privilege on any dvflag table, view or sequence beyond its own')
  FROM unnest(ARRAY['t_portal', 't_clinic', 't_disaster', 't_requester', 't_auditor', 't_staff_b']) AS r;

-- 70 table statements + 4 sequences per audience role
SET ROLE t_portal;
SELECT throws_ok(sql, '42501', msg, 'portal: ' || sql) FROM cases ORDER BY ord;
SET ROLE t_clinic;
SELECT throws_ok(sql, '42501', msg, 'clinic: ' || sql) FROM cases ORDER BY ord;
SET ROLE t_disaster;
SELECT throws_ok(sql, '42501', msg, 'disaster: ' || sql) FROM cases ORDER BY ord;
SET ROLE t_requester;
SELECT throws_ok(sql, '42501', msg, 'requester: ' || sql) FROM cases ORDER BY ord;

-- the auditor may read the audit and the provision records, and nothing else
SET ROLE t_auditor;
SELECT throws_ok(sql, '42501', msg, 'auditor: ' || sql) FROM cases
 WHERE sql NOT IN ('SELECT * FROM dvflag.audit', 'SELECT * FROM dvflag.provision_record',
                   'SELECT * FROM dvflag.provision_mark') ORDER BY ord;
SELECT ok((SELECT count(*) FROM dvflag.audit) > 0, 'auditor: SELECT on dvflag.audit sees the audit rows');

-- insurer staff: no table but enrollment and health_record, no sequence
SET ROLE t_staff_b;
SELECT throws_ok(sql, '42501', msg, 'insurer staff: ' || sql) FROM cases
 WHERE rel NOT IN ('enrollment', 'health_record') ORDER BY ord;
SELECT throws_ok('TRUNCATE dvflag.enrollment', '42501', 'permission denied for table enrollment',
                 'insurer staff: TRUNCATE dvflag.enrollment');
SELECT throws_ok('TRUNCATE dvflag.health_record', '42501', 'permission denied for table health_record',
                 'insurer staff: TRUNCATE dvflag.health_record');

-- insurer staff mapped to B see the health records of B's enrollments only
SELECT is((SELECT count(*) FROM dvflag.health_record), 5::bigint, 'staff of B: the five records of B''s enrollments');
SELECT is((SELECT array_agg(DISTINCT institution_name) FROM dvflag.health_record), '{横浜中央薬局}',
          'staff of B: none of another insurer''s institutions');
DELETE FROM dvflag.health_record;
UPDATE dvflag.health_record SET content = '{"x": 1}';

-- insurer staff mapped to B see B's enrollments only
SELECT is((SELECT array_agg(DISTINCT insurer_no) FROM dvflag.enrollment), '{06132013}',
          'staff of B: SELECT sees insurer B only');
SELECT is((SELECT count(*) FROM dvflag.enrollment), 5::bigint, 'staff of B: all five of B''s enrollments');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no <> '06132013'), 0::bigint,
          'staff of B: asking for other insurers by name finds nothing');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE link_no = 'SB-AT-C'), 1::bigint,
          'staff of B: a person''s enrollments at other insurers are invisible');

-- writing another insurer's row
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('X-1', '01130012', 'A1', '9001', '00', '2024-04-01')$$,
                 '42501', 'new row violates row-level security policy for table "enrollment"',
                 'staff of B: INSERT of an enrollment of insurer A is refused');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('X-1', '01130012', 'A1', '1005', '00', '2024-04-01') ON CONFLICT DO NOTHING$$,
                 '42501', 'new row violates row-level security policy for table "enrollment"',
                 'staff of B: INSERT ... ON CONFLICT DO NOTHING with A''s existing key is refused (no existence oracle)');
SELECT throws_ok($$UPDATE dvflag.enrollment SET insurer_no = '01130012' WHERE number = '1005'$$,
                 '42501', 'new row violates row-level security policy for table "enrollment"',
                 'staff of B: moving a row of B to insurer A is refused');
SELECT throws_ok($$MERGE INTO dvflag.enrollment e
                   USING (VALUES ('X-2', '01130012', 'A1', '9002', '00', date '2024-04-01')) AS v(l, i, s, n, b, a)
                   ON e.number = v.n
                   WHEN NOT MATCHED THEN INSERT (link_no, insurer_no, symbol, number, branch, acquired_on)
                                         VALUES (v.l, v.i, v.s, v.n, v.b, v.a)$$,
                 '42501', 'new row violates row-level security policy for table "enrollment"',
                 'staff of B: MERGE inserting an enrollment of insurer A is refused');
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                  VALUES ('X-3', '06132013', 'B2', '9003', '00', '2024-04-01')$$,
                'staff of B: INSERT of an enrollment of B works');
-- blanket UPDATE, DELETE and MERGE reach B's rows only
UPDATE dvflag.enrollment SET postcode = '999-9999';
DELETE FROM dvflag.enrollment WHERE insurer_no = '01130012';
MERGE INTO dvflag.enrollment e USING (VALUES ('1001'), ('1005')) AS v(n) ON e.number = v.n
  WHEN MATCHED AND e.insurer_no <> '06132013' THEN DELETE;
SET row_security = off;
SELECT throws_ok('SELECT * FROM dvflag.enrollment', '42501',
                 'query would be affected by row-level security policy for table "enrollment"',
                 'staff of B: row_security = off does not lift the policy');
RESET row_security;

-- staff mapped to no insurer
SET ROLE t_staff_none;
SELECT is((SELECT count(*) FROM dvflag.enrollment), 0::bigint, 'staff mapped to no insurer: no rows');
SELECT throws_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on)
                   VALUES ('X-4', '06132013', 'B2', '9004', '00', '2024-04-01')$$,
                 '42501', 'new row violates row-level security policy for table "enrollment"',
                 'staff mapped to no insurer: INSERT is refused');
RESET ROLE;

SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE postcode = '999-9999' AND insurer_no <> '06132013'),
          0::bigint, 'the blanket UPDATE by staff of B changed no row of another insurer');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE postcode = '999-9999'), 6::bigint,
          'and did change B''s six rows');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no = '01130012'), 5::bigint,
          'DELETE and MERGE by staff of B removed no row of insurer A');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE link_no LIKE 'X-%'), 1::bigint,
          'of the rows staff tried to insert only the one of B exists');
SELECT is((SELECT count(*) FROM dvflag.health_record), 10::bigint,
          'the blanket DELETE of health records by staff of B removed B''s five only');
SELECT is((SELECT count(*) FROM dvflag.health_record WHERE content = '{"x": 1}'), 0::bigint,
          'and the UPDATE after it reached no other insurer''s');

SELECT * FROM finish();
ROLLBACK;
