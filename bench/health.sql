-- Health records (RULES.md §3a) for the health paths: about ten per person,
-- spread over the person's enrollments (1 to 7 each, 4 on average),
-- deterministic like gen.sql.  About 60% medication, 25% checkups, 15%
-- medical-fee notices, each dated within its enrollment, with an
-- institution and a content of some 100 bytes.  Written directly by the
-- owner in one INSERT ... SELECT (the foreign key checked), not through the
-- staff's COPY that bench/health_bulk.sql times.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
INSERT INTO dvflag.health_record (enrollment_id, kind, service_date, institution_code, institution_name, content)
SELECT e.id, k.kind,
       least(e.acquired_on + bench.pick(s, 42, 2000), coalesce(e.lost_on - 1, date '2026-01-01')),
       lpad((1 + bench.pick(s, 43, 47))::text, 2, '0') || CASE k.kind WHEN 'medication' THEN '4' ELSE '1' END
         || lpad(bench.pick(s, 44, 10000000)::text, 7, '0'),
       CASE k.kind WHEN 'medication' THEN 'さくら薬局 ' || bench.pick(s, 45, 900) || '号店'
                   WHEN 'checkup' THEN '健診センター ' || bench.pick(s, 45, 300)
                   ELSE '中央病院 ' || bench.pick(s, 45, 600) END,
       CASE k.kind
         WHEN 'medication' THEN jsonb_build_object('drug', 'アムロジピン錠' || (1 + bench.pick(s, 46, 10)) || 'mg',
                                                   'dose', '1日1回', 'days', 7 * (1 + bench.pick(s, 47, 8)))
         WHEN 'checkup' THEN jsonb_build_object('bmi', 18 + bench.pick(s, 46, 120) / 10.0,
                                                'hba1c', 4.5 + bench.pick(s, 47, 40) / 10.0,
                                                'sbp', 100 + bench.pick(s, 48, 70))
         ELSE jsonb_build_object('total_cost', 1000 * (1 + bench.pick(s, 46, 80)), 'days', 1 + bench.pick(s, 47, 5))
       END
  FROM dvflag.enrollment e
  CROSS JOIN LATERAL generate_series(1, 1 + bench.pick(e.id, 40, 7)) AS g
  CROSS JOIN LATERAL (SELECT e.id * 11 + g AS s) AS seed
  CROSS JOIN LATERAL (SELECT CASE WHEN bench.pick(s, 41, 100) < 60 THEN 'medication'
                                  WHEN bench.pick(s, 41, 100) < 85 THEN 'checkup'
                                  ELSE 'medical_fee' END AS kind) AS k;
VACUUM ANALYZE dvflag.health_record;
SELECT count(*) AS health_records, round(count(*)::numeric / (SELECT count(*) FROM dvflag.person), 1) AS per_person,
       count(*) FILTER (WHERE kind = 'medication') AS medication, count(*) FILTER (WHERE kind = 'checkup') AS checkups,
       count(*) FILTER (WHERE kind = 'medical_fee') AS medical_fee
  FROM dvflag.health_record;
