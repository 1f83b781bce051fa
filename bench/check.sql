-- Correctness at speed: a sample of protected persons must show no address
-- on the insurance-card and disaster paths, and nothing on the card paths
-- while SB_eff holds.  Fails loudly (ON_ERROR_STOP) on any leak.
\set ON_ERROR_STOP on
-- First, the per-person summary against the enrollments, with the rules
-- recomputed in plain SQL (test/fixtures/rules_in_sql.sql), over every
-- person, after the flag changes of the set_flag benchmark.
\ir ../test/fixtures/rules_in_sql.sql
DO $$
DECLARE
  wrong bigint := pg_temp.persons_against_rules();
BEGIN
  IF wrong > 0 THEN
    RAISE EXCEPTION 'LEAK: % persons'' ND_eff/SB_eff disagree with their enrollments', wrong;
  END IF;
  RAISE NOTICE 'every person''s ND_eff and SB_eff agree with the rules recomputed in SQL';
END $$;
DO $$
DECLARE
  r record;
  leaks int := 0;
  checked int := 0;
BEGIN
  FOR r IN SELECT e.*, p.nd_eff, p.sb_eff FROM dvflag.enrollment e JOIN dvflag.person p USING (link_no)
            WHERE p.nd_eff OR p.sb_eff ORDER BY hashint8(e.id) LIMIT 2000 LOOP
    checked := checked + 1;
    IF EXISTS (SELECT FROM dvflag.clinic_by_insurance_card(r.insurer_no, r.symbol, r.number, r.branch) q
                WHERE q.address IS NOT NULL OR q.postcode IS NOT NULL) THEN
      leaks := leaks + 1;
    END IF;
    IF r.sb_eff AND EXISTS (SELECT FROM dvflag.card c, dvflag.clinic_by_card(c.card_serial) q
                             WHERE c.link_no = r.link_no) THEN
      leaks := leaks + 1;
    END IF;
    BEGIN
      IF r.kana IS NOT NULL AND EXISTS (
           SELECT FROM dvflag.disaster_search(r.birth_date, kana => r.kana,
                                              insurer_name => substr((SELECT name FROM dvflag.insurer WHERE insurer_no = r.insurer_no), 1, 4)) q
            WHERE q.address IS NOT NULL AND q.number = r.number) THEN
        leaks := leaks + 1;
      END IF;
    EXCEPTION WHEN SQLSTATE 'DV003' THEN
      NULL;  -- too many candidates: nothing shown, nothing leaked
    END;
  END LOOP;
  IF leaks > 0 THEN
    RAISE EXCEPTION 'LEAK: % protected rows showed an address or answered (of % checked)', leaks, checked;
  END IF;
  RAISE NOTICE 'checked % enrollments of protected persons at speed: no address shown', checked;
END $$;

-- The exchange history at speed: for 2,000 card holders with records, the
-- portal shows exactly the records of their enrollments that completed
-- normally and carry no mark (none while SB_eff holds), and never one that
-- is marked or did not complete.
DO $$
DECLARE
  bad bigint;
BEGIN
  SELECT count(*) INTO bad
    FROM (SELECT c.card_serial, c.link_no, p.sb_eff FROM dvflag.card c
            JOIN dvflag.person p ON p.link_no = c.link_no
           WHERE c.stopped_at IS NULL AND EXISTS (SELECT FROM dvflag.provision_record r WHERE r.link_no = c.link_no)
           ORDER BY hashtext(c.card_serial) LIMIT 2000) h
   WHERE (SELECT coalesce(array_agg(x.record_id ORDER BY x.record_id), '{}')
            FROM dvflag.portal_exchange_history(h.card_serial) x)
         IS DISTINCT FROM
         (SELECT coalesce(array_agg(r.id ORDER BY r.id), '{}')
            FROM dvflag.provision_record r JOIN dvflag.enrollment e ON e.id = r.enrollment_id
           WHERE e.link_no = h.link_no COLLATE "default" AND NOT h.sb_eff
             AND r.outcome = 'provided' AND NOT r.nd_mark
             AND NOT EXISTS (SELECT FROM dvflag.provision_mark m WHERE m.record_id = r.id));
  IF bad > 0 THEN
    RAISE EXCEPTION 'LEAK: the exchange history of % card holders differs from the rules', bad;
  END IF;
  RAISE NOTICE 'exchange history of 2000 card holders: exactly the normal, unmarked records';
END $$;

-- The health paths at speed (RULES.md §3a), for 1,000 card holders under
-- ND_eff or SB_eff and 1,000 others: the portal shows exactly the records
-- of the person's enrollments, none while SB_eff holds; the clinic exactly
-- their medication and checkups, none while SB_eff holds; disaster mode,
-- by the insurance card of one of the enrollments, the same also while
-- SB_eff holds.  Off the portal never the institution's name nor a
-- medical-fee notice, and no institution code while the address is hidden.
CREATE TEMP TABLE health_sample AS
  (SELECT c.card_serial, c.link_no, p.nd_eff, p.sb_eff FROM dvflag.card c JOIN dvflag.person p ON p.link_no = c.link_no
    WHERE c.stopped_at IS NULL AND (p.nd_eff OR p.sb_eff) ORDER BY hashtext(c.card_serial) LIMIT 1000)
  UNION ALL
  (SELECT c.card_serial, c.link_no, p.nd_eff, p.sb_eff FROM dvflag.card c JOIN dvflag.person p ON p.link_no = c.link_no
    WHERE c.stopped_at IS NULL AND NOT (p.nd_eff OR p.sb_eff) ORDER BY hashtext(c.card_serial) LIMIT 1000);
CREATE TEMP TABLE health_shown AS
  SELECT h.*, 'portal' AS path, x.* FROM health_sample h, dvflag.portal_health(h.card_serial) x
  UNION ALL
  SELECT h.*, 'clinic', x.* FROM health_sample h, dvflag.clinic_health_by_card(h.card_serial, true) x
  UNION ALL
  SELECT h.*, 'disaster', x.*
    FROM health_sample h
   CROSS JOIN LATERAL (SELECT * FROM dvflag.enrollment e WHERE e.link_no = h.link_no COLLATE "default"
                        ORDER BY e.symbol IS NULL, e.id LIMIT 1) e
   CROSS JOIN LATERAL dvflag.disaster_health(e.insurer_no, e.symbol, e.number, e.branch, true) x;
-- the rules of §3a restated: the records each path should show, as shown
CREATE TEMP TABLE health_expected AS
  SELECT h.card_serial, p.path, e.insurer_no, e.symbol, e.number, e.branch, r.kind, r.service_date,
         CASE WHEN p.path = 'portal' OR NOT (h.nd_eff OR h.sb_eff) THEN r.institution_code END AS institution_code,
         CASE WHEN p.path = 'portal' THEN r.institution_name END AS institution_name, r.content
    FROM health_sample h
   CROSS JOIN (VALUES ('portal'), ('clinic'), ('disaster')) AS p(path)
    JOIN dvflag.enrollment e ON e.link_no = h.link_no COLLATE "default"
    JOIN dvflag.health_record r ON r.enrollment_id = e.id
   WHERE (p.path = 'disaster' OR NOT h.sb_eff) AND (p.path = 'portal' OR r.kind <> 'medical_fee');
DO $$
DECLARE
  sb_shown bigint;
  code_shown bigint;
  off_portal bigint;
  wrong bigint;
  shown bigint;
  sb_persons bigint;
BEGIN
  SELECT count(*) FILTER (WHERE sb_eff AND path <> 'disaster'),
         count(*) FILTER (WHERE path <> 'portal' AND (nd_eff OR sb_eff) AND institution_code IS NOT NULL),
         count(*) FILTER (WHERE path <> 'portal' AND (kind = 'medical_fee' OR institution_name IS NOT NULL)),
         count(*)
    INTO sb_shown, code_shown, off_portal, shown FROM health_shown;
  IF sb_shown > 0 THEN
    RAISE EXCEPTION 'LEAK: % health records shown on the portal or at the clinic while SB_eff holds', sb_shown;
  END IF;
  IF code_shown > 0 THEN
    RAISE EXCEPTION 'LEAK: % institution codes shown off the portal while the address is hidden', code_shown;
  END IF;
  IF off_portal > 0 THEN
    RAISE EXCEPTION 'LEAK: % medical-fee notices or institution names shown off the portal', off_portal;
  END IF;
  SELECT count(*) INTO wrong FROM (
    (SELECT card_serial, path, insurer_no, symbol, number, branch, kind, service_date, institution_code,
            institution_name, content FROM health_shown
     EXCEPT ALL SELECT * FROM health_expected)
    UNION ALL
    (SELECT * FROM health_expected
     EXCEPT ALL SELECT card_serial, path, insurer_no, symbol, number, branch, kind, service_date, institution_code,
                       institution_name, content FROM health_shown)) d;
  IF wrong > 0 THEN
    RAISE EXCEPTION 'LEAK: the health paths differ from the rules in % records', wrong;
  END IF;
  SELECT count(*) FILTER (WHERE sb_eff) INTO sb_persons FROM health_sample;
  RAISE NOTICE 'health paths of % card holders (% under SB_eff): exactly the % records the rules show',
    (SELECT count(*) FROM health_sample), sb_persons, shown;
END $$;
