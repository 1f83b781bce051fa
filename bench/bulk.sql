-- Bulk load: 100,000 new enrollments (about 1% with a flag) by COPY, into
-- dvflag.enrollment (triggers, person state, audit) and into a plain table
-- with the same columns, constraints and indexes; rows per second of each.
-- Rolled back, so the paths' data is unchanged.  The rows go through the
-- server file :copyfile (psql -v copyfile=..., in a directory the server
-- can write).  Prints:
-- <dvflag rows/s> <plain rows/s> <ratio>
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
CREATE TABLE bench.plain_enrollment (LIKE dvflag.enrollment INCLUDING ALL);
COPY (SELECT 'N' || lpad(g::text, 9, '0'), e.insurer_no, e.symbol, 'N' || g, e.branch, e.acquired_on, e.lost_on,
             e.name, e.kana, e.sex, e.birth_date, e.address, e.postcode, e.nd, e.sb, e.ar
        FROM generate_series(1, 100000) AS g
        JOIN dvflag.enrollment e ON e.id = 1 + (g % 1000))
  TO :'copyfile';
\set cols 'link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, name, kana, sex, birth_date, address, postcode, nd, sb, ar'
SELECT clock_timestamp() AS t0 \gset
COPY bench.plain_enrollment (:cols) FROM :'copyfile';
SELECT clock_timestamp() AS t1 \gset
SET dvflag.reason = 'benchmark bulk load';
COPY dvflag.enrollment (:cols) FROM :'copyfile';
SELECT clock_timestamp() AS t2 \gset
SELECT format('%s %s %s',
              round(100000 / extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz)),
              round(100000 / extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)),
              round((extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)
                     / extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz))::numeric, 2));
ROLLBACK;
