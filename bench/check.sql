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
