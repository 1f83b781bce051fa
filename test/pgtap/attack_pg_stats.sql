-- Attack: read the planner statistics instead of the table.  After
-- ANALYZE, pg_stats may hold most-common values and histogram bounds of
-- the address, name and kana columns, and of the folded names in the
-- disaster-search indexes.  No audience role and no insurer staff (who may
-- SELECT the table, under row-level security) may see any of it, neither
-- in the statistics views nor through EXPLAIN's row estimates.
BEGIN;
SELECT plan(42);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');

-- statistics of every kind on the tables, as the owner would gather them
CREATE STATISTICS dvflag.attack_mcv (mcv) ON insurer_no, acquired_on FROM dvflag.enrollment;
CREATE STATISTICS dvflag.attack_expr ON (lower(insurer_no)) FROM dvflag.enrollment;
ANALYZE dvflag.insurer, dvflag.enrollment, dvflag.person, dvflag.card, dvflag.proxy,
        dvflag.disaster, dvflag.insurer_staff, dvflag.audit;

-- the statistics exist
SELECT ok((SELECT count(*) FROM pg_stats WHERE schemaname = 'dvflag' AND tablename = 'enrollment') > 0,
          'superuser: pg_stats has rows for dvflag.enrollment');
SELECT ok((SELECT count(*) FROM pg_stats_ext WHERE schemaname = 'dvflag') > 0,
          'superuser: pg_stats_ext has the extended statistics');
SELECT ok((SELECT count(*) FROM pg_stats_ext_exprs WHERE schemaname = 'dvflag') > 0,
          'superuser: pg_stats_ext_exprs has the expression statistics');
SELECT ok((SELECT count(*) FROM pg_stats WHERE schemaname = 'dvflag' AND tablename = 'audit') > 0,
          'superuser: pg_stats has rows for dvflag.audit');

CREATE FUNCTION pg_temp.no_stats(who text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEXT is((SELECT count(*) FROM pg_catalog.pg_stats WHERE schemaname = 'dvflag'), 0::bigint,
                 who || ': no row of pg_stats for a dvflag table or index');
  RETURN NEXT is((SELECT count(*) FROM pg_catalog.pg_stats_ext WHERE schemaname = 'dvflag'), 0::bigint,
                 who || ': no row of pg_stats_ext');
  RETURN NEXT is((SELECT count(*) FROM pg_catalog.pg_stats_ext_exprs WHERE schemaname = 'dvflag'), 0::bigint,
                 who || ': no row of pg_stats_ext_exprs');
  RETURN NEXT throws_ok('SELECT * FROM pg_catalog.pg_statistic', '42501', NULL,
                        who || ': pg_statistic itself is denied');
  RETURN NEXT throws_ok('SELECT * FROM pg_catalog.pg_statistic_ext_data', '42501', NULL,
                        who || ': pg_statistic_ext_data itself is denied');
END $$;

SET ROLE t_portal;
SELECT * FROM pg_temp.no_stats('portal');
SET ROLE t_clinic;
SELECT * FROM pg_temp.no_stats('clinic');
SET ROLE t_disaster;
SELECT * FROM pg_temp.no_stats('disaster');
SET ROLE t_requester;
SELECT * FROM pg_temp.no_stats('requester');
-- the auditor may SELECT the audit, under row-level security
SET ROLE t_auditor;
SELECT * FROM pg_temp.no_stats('auditor');
-- admin and staff may SELECT enrollment, under row-level security
SET ROLE t_admin;
SELECT * FROM pg_temp.no_stats('admin');
SET ROLE t_staff_b;
SELECT * FROM pg_temp.no_stats('insurer staff');
RESET ROLE;

-- the same statistics through the planner: a DV shelter's address shared by
-- two hundred protected enrollments at insurer A; staff of B guess it and
-- read EXPLAIN's row estimate (equality and range operators on text are
-- leakproof, so the planner may use statistics of rows the policy hides)
SET LOCAL dvflag.reason = 'pg_stats attack test';
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, address, nd)
SELECT 'SH-' || i, '01130012', 'SH-' || i, '00', '2020-04-01', '保護 太郎', 'ホゴ タロウ', '東京都千代田区シェルター1-1', true
  FROM generate_series(1, 200) AS i;
RESET dvflag.reason;
ANALYZE dvflag.enrollment;
CREATE FUNCTION pg_temp.estimate(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SET ROLE t_staff_b;
SELECT is(pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE address = '東京都千代田区シェルター1-1'$$),
          pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE address = '東京都どこにもない住所9-9'$$),
          'insurer staff: the row estimate for an address held only at another insurer equals that of an address nobody has');
SELECT is(pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE address < '東京都千代田区シェルター1-2'$$),
          pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE address < '東京都千代田区シェルター1-0'$$),
          'insurer staff: range estimates do not reveal where another insurer''s addresses lie');
SELECT is(pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE dvflag.fold(kana) = 'ホゴタロウ'$$),
          pg_temp.estimate($$SELECT * FROM dvflag.enrollment WHERE dvflag.fold(kana) = 'ダレモイナイ'$$),
          'insurer staff: the folded-kana index statistics do not reveal another insurer''s names');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
