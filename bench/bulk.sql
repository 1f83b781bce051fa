-- Bulk load: 100,000 new enrollments (about 1% with a flag) by COPY FROM
-- STDIN (psql's \copy), by insurer staff into dvflag.enrollment (row-level
-- security, triggers, person state, audit), and by a plain loader into a
-- plain table that is dvflag.enrollment without dvflag: the same columns,
-- constraints (the foreign key to the insurers too), indexes and rows
-- already in it.  Rows per second of each.  Rolled back, so the paths'
-- data is unchanged.  The rows go through the client file :copyfile
-- (psql -v copyfile=...).  Prints:
-- <dvflag rows/s> <plain rows/s> <ratio>
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
CREATE TABLE bench.plain_enrollment (LIKE dvflag.enrollment INCLUDING ALL);
INSERT INTO bench.plain_enrollment OVERRIDING SYSTEM VALUE SELECT * FROM dvflag.enrollment;
ALTER TABLE bench.plain_enrollment ADD FOREIGN KEY (insurer_no) REFERENCES bench.insurer;
SELECT setval(pg_get_serial_sequence('bench.plain_enrollment', 'id'), (SELECT max(id) FROM dvflag.enrollment)) AS plain_id \gset
ANALYZE bench.plain_enrollment;
CREATE TEMP TABLE bulk_rows AS
  SELECT 'N' || lpad(g::text, 9, '0') AS link_no, e.insurer_no, e.symbol, 'N' || g AS number, e.branch,
         e.acquired_on, e.lost_on, e.name, e.kana, e.sex, e.birth_date, e.address, e.postcode, e.nd, e.sb, e.ar
    FROM generate_series(1, 100000) AS g
    JOIN dvflag.enrollment e ON e.id = 1 + (g % 1000);
SET dvflag.reason = 'benchmark bulk load';
\set rows_table bulk_rows
\set plain_table bench.plain_enrollment
\set dvflag_table dvflag.enrollment
\set cols 'link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, name, kana, sex, birth_date, address, postcode, nd, sb, ar'
\ir staff_copy.sql
ROLLBACK;
