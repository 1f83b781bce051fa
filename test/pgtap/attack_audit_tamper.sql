-- Attack: erase, rewrite or forge the audit trail.  Admin and auditor have
-- no right to change dvflag.audit; even the superuser who owns it cannot
-- UPDATE, DELETE or TRUNCATE it by any statement form, also with
-- session_replication_role = replica; text put into the reason or the
-- client setting cannot forge fields of an audit entry.
BEGIN;
SELECT plan(43);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');

CREATE TEMP TABLE before AS
  SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) AS h, count(*) AS n,
         count(*) FILTER (WHERE a.action = 'flag_change') AS f
    FROM dvflag.audit a;
SELECT ok((SELECT n FROM before) >= 9, 'the fixture left audit rows to tamper with');

-- statement forms that would change or remove audit rows
CREATE TEMP TABLE tamper (n int, label text, sql text);
INSERT INTO tamper VALUES
  (1, 'UPDATE of every row', $$UPDATE dvflag.audit SET detail = '{}'$$),
  (2, 'UPDATE of the actor of flag changes', $$UPDATE dvflag.audit SET actor = 'someone else' WHERE action = 'flag_change'$$),
  (3, 'DELETE of every row', $$DELETE FROM dvflag.audit$$),
  (4, 'DELETE of the flag changes', $$DELETE FROM dvflag.audit WHERE action = 'flag_change'$$),
  (5, 'TRUNCATE', $$TRUNCATE dvflag.audit$$),
  (6, 'MERGE ... THEN DELETE', $$MERGE INTO dvflag.audit a USING (SELECT 1) s ON true WHEN MATCHED THEN DELETE$$),
  (7, 'MERGE ... THEN UPDATE', $$MERGE INTO dvflag.audit a USING (SELECT 1) s ON true WHEN MATCHED THEN UPDATE SET target = NULL$$),
  (8, 'DELETE in a WITH clause', $$WITH gone AS (DELETE FROM dvflag.audit RETURNING id) SELECT count(*) FROM gone$$),
  (9, 'INSERT ... ON CONFLICT DO UPDATE of an existing row',
      $$INSERT INTO dvflag.audit (id, actor, action) OVERRIDING SYSTEM VALUE
        SELECT min(id), 'x', 'x' FROM dvflag.audit
        ON CONFLICT (id) DO UPDATE SET action = 'nothing happened'$$);
GRANT SELECT ON tamper TO PUBLIC;

-- admin and auditor: no right to change the audit at all
SET ROLE t_admin;
SELECT throws_ok(sql, '42501', 'permission denied for table audit', 'admin: ' || label || ' is denied') FROM tamper ORDER BY n;
SELECT throws_ok($$INSERT INTO dvflag.audit (actor, action) VALUES ('t_admin', 'forged')$$, '42501',
                 'permission denied for table audit', 'admin: forging an audit row is denied');
SELECT throws_ok('ALTER TABLE dvflag.audit DISABLE TRIGGER audit_append_only', '42501', NULL,
                 'admin: disabling the append-only trigger is denied');
SELECT throws_ok('ALTER TABLE dvflag.audit DISABLE ROW LEVEL SECURITY', '42501', NULL,
                 'admin: turning off row-level security of the audit is denied');
SELECT throws_ok('DROP TABLE dvflag.audit', '42501', NULL, 'admin: dropping the audit is denied');
SELECT throws_ok($$SELECT setval('dvflag.audit_id_seq', 1)$$, '42501', NULL,
                 'admin: resetting the audit id sequence is denied');
SELECT throws_ok('SET session_replication_role = replica', '42501', NULL,
                 'admin: session_replication_role = replica is denied');
SET ROLE t_auditor;
SELECT throws_ok(sql, '42501', 'permission denied for table audit', 'auditor: ' || label || ' is denied') FROM tamper ORDER BY n;
SELECT throws_ok($$INSERT INTO dvflag.audit (actor, action) VALUES ('t_auditor', 'forged')$$, '42501',
                 'permission denied for table audit', 'auditor: forging an audit row is denied');
SELECT throws_ok('ALTER TABLE dvflag.audit DISABLE TRIGGER audit_append_only', '42501', NULL,
                 'auditor: disabling the append-only trigger is denied');
RESET ROLE;

-- the superuser who owns the table: every form is refused by the trigger
SELECT throws_ok(sql, '42501', 'dvflag.audit is append-only', 'owner: ' || label || ' is refused') FROM tamper ORDER BY n;
SET LOCAL session_replication_role = replica;
SELECT throws_ok(sql, '42501', 'dvflag.audit is append-only', 'owner with session_replication_role = replica: ' || label || ' is refused')
  FROM tamper WHERE n IN (1, 3, 5, 6) ORDER BY n;
RESET session_replication_role;

SELECT is((SELECT h FROM before), (SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) FROM dvflag.audit a),
          'after all the attempts, the audit is unchanged row for row');

-- forging fields through the reason and the client setting
SET SESSION AUTHORIZATION t_staff_b;
SET LOCAL dvflag.client = 'clinic-1","actor":"postgres","action":"nothing';
SELECT dvflag.set_flag('06132013', 'B2', '1005', '00', 'nd', true,
                       'x","new":false,"flag":"ar","reason":"forged');
RESET dvflag.client;
RESET SESSION AUTHORIZATION;
SELECT results_eq(
  $$SELECT actor, client, action, target, detail->>'flag', detail->>'new', detail->>'reason', detail->>'role'
      FROM dvflag.audit WHERE action = 'flag_change' ORDER BY id DESC LIMIT 1$$,
  $$VALUES ('t_staff_b'::text, 'clinic-1","actor":"postgres","action":"nothing'::text, 'flag_change'::text,
            '06132013/B2/1005/00'::text, 'nd'::text, 'true'::text, 'x","new":false,"flag":"ar","reason":"forged'::text,
            NULL::text)$$,
  'quotes in the reason and the client are kept as text: actor, action, flag and value are the real ones');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change'), (SELECT f FROM before) + 1,
          'that change added exactly one flag-change entry');

SELECT * FROM finish();
ROLLBACK;
