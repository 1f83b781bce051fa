--
-- RULES.md §4 path by path: a person who moved insurer A -> B -> C (C is
-- the latest), once per row of the table, through each audience's own
-- function and role; then the refusals.  make installcheck compares every
-- answer with test/expected/worked_examples.out.
--
CREATE EXTENSION dvflag;
\set QUIET on
\o /dev/null
\getenv abs_srcdir PG_ABS_SRCDIR
\set fixture :abs_srcdir '/fixtures/worked_examples.sql'
\i :fixture
\o
\set QUIET off
CREATE ROLE regress_dvflag_portal IN ROLE dvflag_portal;
CREATE ROLE regress_dvflag_clinic IN ROLE dvflag_clinic;
CREATE ROLE regress_dvflag_disaster IN ROLE dvflag_disaster;
CREATE ROLE regress_dvflag_admin IN ROLE dvflag_admin;
CREATE ROLE regress_dvflag_staff_c IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('regress_dvflag_staff_c', '131136');
CREATE TEMP TABLE example (row_no int, flags text, person text, number text, kana text, birth_date date);
INSERT INTO example VALUES
  (1, 'SB at B', 'SB-AT-B', '1001', 'ヤマダ ハナコ', '1985-04-12'),
  (2, 'SB at C', 'SB-AT-C', '1002', 'サトウ ミサキ', '1990-07-01'),
  (3, 'ND at B', 'ND-AT-B', '1003', 'スズキ イチロウ', '1978-11-23'),
  (4, 'ND at A', 'ND-AT-A', '1004', 'タカハシ ユミ', '1982-02-14'),
  (5, 'none', 'NO-FLAG', '1005', 'タナカ ケン', '1970-05-05');
GRANT SELECT ON example TO PUBLIC;
-- the insurers' letters, for short answers
CREATE FUNCTION pg_temp.letter(insurer_no text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE insurer_no WHEN '01130012' THEN 'A' WHEN '06132013' THEN 'B' WHEN '131136' THEN 'C' END $$;

-- rows 1 and 2: the portal, by the person's card
SET ROLE regress_dvflag_portal;
SELECT e.flags,
       coalesce((SELECT string_agg(pg_temp.letter(q.insurer_no), ' ' ORDER BY q.acquired_on)
                   FROM dvflag.portal_qualifications('CARD-' || e.person) q), '- (no answer)') AS qualifications,
       coalesce((SELECT string_agg(pg_temp.letter(q.insurer_no), ' ' ORDER BY q.acquired_on)
                   FROM dvflag.portal_self_info('CARD-' || e.person) q), '- (no answer)') AS self_info,
       (SELECT count(*) FROM dvflag.portal_exchange_history('CARD-' || e.person)) AS exchanges
  FROM example e ORDER BY e.row_no;

-- row 4: the clinic with the card; row 5: with the insurance card of each insurer
SET ROLE regress_dvflag_clinic;
SELECT e.flags,
       coalesce((SELECT string_agg(pg_temp.letter(q.insurer_no) || ' ' || q.address, ', ')
                   FROM dvflag.clinic_by_card('CARD-' || e.person) q), '- (no answer)') AS by_card,
       (SELECT string_agg(pg_temp.letter(q.insurer_no) || ' ' || coalesce(q.address || ' ' || q.postcode, 'hidden'),
                          ', ' ORDER BY q.acquired_on)
          FROM (VALUES ('01130012', 'A1'), ('06132013', 'B2'), ('131136', NULL)) AS i(insurer_no, symbol),
               dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, e.number, '00') q) AS by_insurance_card
  FROM example e ORDER BY e.row_no;

-- row 6: disaster mode, declared by admin
SET ROLE regress_dvflag_admin;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'regression test') AS disaster_id
\gset
SELECT :disaster_id > 0 AS declared;
SET ROLE regress_dvflag_disaster;
SELECT e.flags,
       (SELECT string_agg(pg_temp.letter(q.insurer_no) || ' ' || coalesce(q.address, 'hidden'), ', ' ORDER BY q.acquired_on)
          FROM dvflag.disaster_search(e.birth_date, kana => e.kana, insurer_name => '保険') q) AS disaster
  FROM example e ORDER BY e.row_no;
-- sex is an integer (1.3): a literal, as a driver's int parameter would be
SELECT count(*) AS women_found FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ',
                                                           insurer_name => '保険', sex => 2);

-- §3a: health information, a medication record at each of A, B and C:
-- the portal with the institution's name and code, the clinic (with the
-- patient's consent) with the code at most, disaster mode despite SB
RESET ROLE;
\o /dev/null
\set fixture :abs_srcdir '/fixtures/health_records.sql'
\i :fixture
\o
SET ROLE regress_dvflag_portal;
SELECT e.flags,
       coalesce((SELECT string_agg(pg_temp.letter(h.insurer_no) || ' ' || h.institution_name || ' ' || h.institution_code,
                                   ', ' ORDER BY h.service_date)
                   FROM dvflag.portal_health('CARD-' || e.person) h), '- (no answer)') AS portal_health
  FROM example e ORDER BY e.row_no;
SET ROLE regress_dvflag_clinic;
SELECT e.flags,
       coalesce((SELECT string_agg(pg_temp.letter(h.insurer_no) || ' ' || coalesce(h.institution_name, '-') || ' '
                                   || coalesce(h.institution_code, 'hidden'), ', ' ORDER BY h.service_date)
                   FROM dvflag.clinic_health_by_card('CARD-' || e.person, true) h), '- (no answer)') AS clinic_health
  FROM example e ORDER BY e.row_no;
SET ROLE regress_dvflag_disaster;
SELECT e.flags,
       (SELECT string_agg(pg_temp.letter(h.insurer_no) || ' ' || coalesce(h.institution_name, '-') || ' '
                          || coalesce(h.institution_code, 'hidden') || ' ' || (h.content->>'drug'), ', ' ORDER BY h.service_date)
          FROM dvflag.disaster_health('131136', NULL, e.number, '00', true) h) AS disaster_health
  FROM example e ORDER BY e.row_no;

-- row 7: initial registration of a new card, for each person
RESET ROLE;
CREATE FUNCTION pg_temp.registration(person text, number text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dvflag.register_card('NEW-' || person, '131136', NULL, number, '00');
  RETURN 'allowed';
EXCEPTION WHEN SQLSTATE 'DV001' THEN
  RETURN 'refused (DV001)';
END $$;
SET ROLE regress_dvflag_portal;
SELECT e.flags, pg_temp.registration(e.person, e.number) AS initial_registration
  FROM example e ORDER BY e.row_no;

-- the refusals: each is an error with a SQLSTATE, and changes nothing
\set VERBOSITY default
SELECT dvflag.register_card('NEW-SB-AT-C-2', '131136', NULL, '1002', '00');
SET ROLE regress_dvflag_clinic;
SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG');
SELECT * FROM dvflag.clinic_by_insurance_card('01130013', 'A1', '1005', '00');
SELECT * FROM dvflag.enrollment;
SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', false);
SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true, 'medical_fee');
SELECT * FROM dvflag.health_record;
SET ROLE regress_dvflag_disaster;
SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大');
SELECT * FROM dvflag.disaster_search('1970-05-05');
SET ROLE regress_dvflag_staff_c;
SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'sb', true, '');
SELECT dvflag.set_flag('06132013', 'B2', '1005', '00', 'sb', true, 'not mine');
UPDATE dvflag.enrollment SET nd = true WHERE number = '1005';
SELECT count(*) AS visible_to_staff_of_c FROM dvflag.enrollment;
SET ROLE regress_dvflag_disaster;
SELECT dvflag.end_disaster(:disaster_id);
SET ROLE regress_dvflag_admin;
SELECT dvflag.end_disaster(:disaster_id);
SET ROLE regress_dvflag_disaster;
SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '新宿');
SELECT * FROM dvflag.disaster_health('131136', NULL, '1005', '00', true);
SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険', sex => 3);
SET ROLE regress_dvflag_admin;
SELECT dvflag.end_disaster(-1);
SELECT dvflag.declare_disaster(now(), now() - interval '1 hour', 'ends before it starts');
SET ROLE regress_dvflag_portal;
SELECT dvflag.register_card('CARD-NO-FLAG', '131136', NULL, '1001', '00');
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
SELECT action, count(*) FROM dvflag.audit
 WHERE action IN ('disaster_search', 'card_register_refused', 'clinic_health_by_card', 'disaster_health')
 GROUP BY action ORDER BY action;
-- what an operator watches: the disasters declared, the audit summed up
SET ROLE regress_dvflag_admin;
SELECT note, state FROM dvflag.disasters();
SELECT action, outcome, sum(events) AS events FROM dvflag.audit_summary()
 GROUP BY action, outcome ORDER BY action, outcome;
RESET ROLE;

-- clean up the cluster-wide roles (the extension's stay)
SET dvflag.allow_drop = on;
DROP EXTENSION dvflag;
DROP ROLE regress_dvflag_portal, regress_dvflag_clinic, regress_dvflag_disaster, regress_dvflag_admin,
          regress_dvflag_staff_c;
