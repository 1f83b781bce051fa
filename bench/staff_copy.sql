-- The timed part of a bulk load (bench/bulk.sql, bench/health_bulk.sql),
-- inside the load's transaction: the rows of the table :rows_table go
-- through the client file :copyfile, then by COPY FROM STDIN (psql's
-- \copy) of the columns :cols into the plain table :plain_table by its
-- owner, and into :dvflag_table by bench_staff, insurer staff mapped to
-- every insurer (row-level security, triggers, audit).  The role and its
-- mapping go with the load's ROLLBACK.  Prints:
-- <dvflag rows/s> <plain rows/s> <ratio>
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_staff') THEN
    CREATE ROLE bench_staff;
    GRANT dvflag_insurer TO bench_staff;
  END IF;
END $$;
INSERT INTO dvflag.insurer_staff SELECT 'bench_staff', insurer_no FROM dvflag.insurer ON CONFLICT DO NOTHING;
SELECT count(*) AS rows FROM :rows_table \gset
-- (\copy takes its line as written: the commands are built in variables)
\set write_rows '\\copy ' :rows_table ' TO ' :'copyfile'
\set load_plain '\\copy ' :plain_table ' (' :cols ') FROM ' :'copyfile'
\set load_dvflag '\\copy ' :dvflag_table ' (' :cols ') FROM ' :'copyfile'
:write_rows
SELECT clock_timestamp() AS t0 \gset
:load_plain
-- bench/profile's hooks around the staff COPY (psql -v before_dvflag=...)
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BULK_BACKEND_PID :backend_pid
\if :{?before_dvflag}
:before_dvflag
\endif
SELECT clock_timestamp() AS t1 \gset
SET ROLE bench_staff;
:load_dvflag
SELECT clock_timestamp() AS t2 \gset
\if :{?after_dvflag}
:after_dvflag
\endif
RESET ROLE;
SELECT format('%s %s %s',
              round(:rows / extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz)),
              round(:rows / extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)),
              round((extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)
                     / extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz))::numeric, 2));
