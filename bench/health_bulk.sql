-- Bulk load of health records (RULES.md §3a): up to 1,000,000 records, a
-- second delivery of the first records of bench/health.sql (at 100,000
-- persons, all of them), by COPY FROM STDIN (psql's \copy), by insurer
-- staff mapped to every insurer into dvflag.health_record (row-level
-- security: dvflag stages the COPY, src/copy.c, and the policy checks each
-- row's enrollment), and by a plain loader into bench.health_record
-- (bench/plain.sql), dvflag.health_record without dvflag: the same
-- columns, constraints (the foreign key to the enrollments too), indexes
-- and rows already in it.  Rows per second of each.  Rolled back, so the
-- paths' data is unchanged.  The rows go through the client file :copyfile
-- (psql -v copyfile=...).  Prints:
-- <dvflag rows/s> <plain rows/s> <ratio>
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE health_rows AS
  SELECT enrollment_id, kind, service_date, institution_code, institution_name, content
    FROM dvflag.health_record ORDER BY id LIMIT 1000000;
\set rows_table health_rows
\set plain_table bench.health_record
\set dvflag_table dvflag.health_record
\set cols 'enrollment_id, kind, service_date, institution_code, institution_name, content'
\ir staff_copy.sql
ROLLBACK;
