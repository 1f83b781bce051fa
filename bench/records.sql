-- Provision records (情報提供等記録) for the exchange-history path: one to
-- three per enrollment of every card holder, deterministic like gen.sql.
-- About 80% completed normally, the rest 副本未登録, declined or expired;
-- 5% marked when they completed, 2% marked later.  Written directly by the
-- owner (records are append-only, not insert-only).
\set ON_ERROR_STOP on
SET client_min_messages = warning;
INSERT INTO dvflag.provision_record (request_id, requester, insurer_no, enrollment_id, link_no, item_code,
                                     ndc, requested_at, completed_at, outcome, manual, nd_mark)
SELECT row_number() OVER (ORDER BY e.id, g), 'municipality_' || bench.pick(s, 31, 1700), e.insurer_no, e.id,
       e.link_no, 'TM' || lpad(bench.pick(s, 32, 40)::text, 14, '0'), bench.pick(s, 33, 100) < 2, t, t,
       CASE WHEN bench.pick(s, 35, 100) < 80 THEN 'provided' WHEN bench.pick(s, 35, 100) < 90 THEN 'no_copy'
            WHEN bench.pick(s, 35, 100) < 95 THEN 'declined' ELSE 'expired' END,
       false, bench.pick(s, 36, 100) < 5
  FROM dvflag.enrollment e
  JOIN dvflag.card c ON c.link_no = e.link_no
  CROSS JOIN LATERAL generate_series(1, 1 + bench.pick(e.id, 30, 3)) AS g
  CROSS JOIN LATERAL (SELECT e.id * 7 + g AS s) AS seed
  CROSS JOIN LATERAL (SELECT timestamptz '2020-01-01' + make_interval(mins => bench.pick(s, 34, 3000000)) AS t) AS at;
INSERT INTO dvflag.provision_mark (record_id, actor, reason)
SELECT id, 'bench', 'benchmark: a mark appended later' FROM dvflag.provision_record
 WHERE bench.pick(id, 37, 100) < 2;
VACUUM ANALYZE dvflag.provision_record, dvflag.provision_mark;
SELECT count(*) AS records, count(*) FILTER (WHERE outcome = 'provided' AND NOT nd_mark) AS provided_unmarked
  FROM dvflag.provision_record;
