-- Attack: ride dvflag's COPY hook (which stages COPY ... FROM into
-- dvflag.enrollment through a temporary table, as the caller) to read or
-- write server files or run programs.  From or to a file or program, every
-- audience gets 42501, and the caller's identity is unchanged afterwards.
-- COPY FROM STDIN itself is covered by test/sh/copy_scope.t (it needs a
-- client).
BEGIN;
SELECT plan(23);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');

CREATE TEMP TABLE attempts (n int, label text, sql text);
INSERT INTO attempts VALUES
  (1, 'COPY enrollment FROM a server file', $$COPY dvflag.enrollment FROM '/etc/passwd'$$),
  (2, 'COPY enrollment FROM PROGRAM', $$COPY dvflag.enrollment FROM PROGRAM 'touch /tmp/dvflag_attack_copy_program'$$),
  (3, 'COPY enrollment (columns) FROM PROGRAM in CSV',
      $$COPY dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
          FROM PROGRAM 'echo X,06132013,9,00,2024-04-01' WITH (FORMAT csv)$$),
  (4, 'COPY enrollment TO a server file', $$COPY dvflag.enrollment TO '/tmp/dvflag_attack_copy_file'$$),
  (5, 'COPY enrollment TO PROGRAM', $$COPY dvflag.enrollment TO PROGRAM 'cat > /tmp/dvflag_attack_copy_file'$$),
  (6, 'COPY (query) TO a server file', $$COPY (SELECT * FROM dvflag.enrollment) TO '/tmp/dvflag_attack_copy_file'$$),
  (7, 'COPY audit FROM a server file', $$COPY dvflag.audit FROM '/etc/passwd'$$);
GRANT SELECT ON attempts TO PUBLIC;

SET ROLE t_staff_b;
SELECT throws_ok(sql, '42501', NULL, 'insurer staff: ' || label || ' is denied') FROM attempts ORDER BY n;
SET ROLE t_admin;
SELECT throws_ok(sql, '42501', NULL, 'admin: ' || label || ' is denied') FROM attempts ORDER BY n;
SET ROLE t_clinic;
SELECT throws_ok(sql, '42501', NULL, 'clinic: ' || label || ' is denied') FROM attempts WHERE n IN (1, 2) ORDER BY n;

-- COPY FROM STDIN from inside a function is refused before the hook sees it
SET ROLE t_staff_b;
SELECT throws_ok($q$DO $do$ BEGIN EXECUTE 'COPY dvflag.enrollment FROM STDIN'; END $do$$q$, '0A000', NULL,
                 'insurer staff: COPY FROM STDIN through EXECUTE in a function is refused');
SELECT is(current_user::text, 't_staff_b', 'after all of it the staff are still themselves');
SELECT is(current_setting('is_superuser'), 'off', 'and not superuser');
RESET ROLE;

-- a restore's COPY (with the ids, its rows not audited again) is a superuser's
CREATE ROLE t_admin_restorer LOGIN IN ROLE dvflag_admin;
SET ROLE t_admin_restorer;
SELECT throws_ok($q$COPY dvflag.enrollment (id, link_no, insurer_no, number, branch, acquired_on, sb) FROM '/nonexistent'$q$,
                 '42501', 'COPY into dvflag.enrollment with its id column is a restore, and only a superuser restores',
                 'admin: a COPY with the ids (a restore''s data, not audited again) is refused before anything is read');
RESET ROLE;

SELECT is(pg_stat_file('/tmp/dvflag_attack_copy_program', true), NULL, 'no program ran');
SELECT is(pg_stat_file('/tmp/dvflag_attack_copy_file', true), NULL, 'no file was written');
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE link_no = 'X'), 0::bigint, 'no row was copied in');

SELECT * FROM finish();
ROLLBACK;
