-- The worked examples of RULES.md §4, as each audience sees them.
-- Person moved insurer A -> B -> C; C is the latest.
\set QUIET on
\pset footer off
CREATE EXTENSION dvflag;
\o /dev/null
\i test/fixtures/worked_examples.sql
\i test/fixtures/health_records.sql
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'demo');
\o

-- one application login per audience
CREATE ROLE demo_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE demo_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE demo_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE demo_staff_c LOGIN IN ROLE dvflag_insurer;
\o /dev/null
SELECT dvflag.grant_insurer('demo_staff_c', '131136');
\o

CREATE TEMP TABLE persons AS
  SELECT DISTINCT ON (e.link_no) e.link_no, e.number, e.kana, e.birth_date,
         coalesce((SELECT string_agg(upper(f) || ' at ' || chr(ascii('A') + (ins.rn - 1)::int), ', ')
                     FROM (SELECT x.insurer_no, x.nd, x.sb, row_number() OVER (ORDER BY x.acquired_on) rn
                             FROM dvflag.enrollment x WHERE x.link_no = e.link_no) ins,
                          LATERAL (VALUES ('nd', ins.nd), ('sb', ins.sb)) AS fl(f, v)
                    WHERE fl.v), 'none') AS flags
    FROM dvflag.enrollment e ORDER BY e.link_no;
CREATE TEMP TABLE cards AS
  SELECT e.link_no, e.insurer_no, e.symbol, e.number, e.branch,
         chr(ascii('A') + (row_number() OVER (PARTITION BY e.link_no ORDER BY e.acquired_on) - 1)::int) AS letter
    FROM dvflag.enrollment e;
CREATE TEMP TABLE answers (link_no text, path text, answer text);
GRANT SELECT ON persons, cards TO PUBLIC;
GRANT INSERT ON answers TO PUBLIC;

-- A, B, C for the insurers a path answered with; "-" for no answer
CREATE FUNCTION pg_temp.letters(p text, ins text[]) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg(c.letter, ' ' ORDER BY c.letter), '- (no answer)')
    FROM cards c WHERE c.link_no = p AND c.insurer_no = ANY (ins) $$;

SET dvflag.client = 'demo-portal-app';
SET ROLE demo_portal;
INSERT INTO answers SELECT p.link_no, 'portal',
  pg_temp.letters(p.link_no, ARRAY(SELECT q.insurer_no FROM dvflag.portal_qualifications('CARD-' || p.link_no) q)) FROM persons p;
INSERT INTO answers SELECT p.link_no, 'self',
  pg_temp.letters(p.link_no, ARRAY(SELECT q.insurer_no FROM dvflag.portal_self_info('CARD-' || p.link_no) q)) FROM persons p;

SET ROLE demo_clinic;
INSERT INTO answers SELECT p.link_no, 'clinic_card',
  pg_temp.letters(p.link_no, ARRAY(SELECT q.insurer_no FROM dvflag.clinic_by_card('CARD-' || p.link_no) q)) FROM persons p;
INSERT INTO answers SELECT c.link_no, 'insurance_card',
  string_agg(c.letter || ':' || coalesce(left(q.address, 6) || '…', 'hidden'), ' ' ORDER BY c.letter)
  FROM cards c, dvflag.clinic_by_insurance_card(c.insurer_no, c.symbol, c.number, c.branch) q GROUP BY c.link_no;

SET dvflag.client = 'clinic 1310000001 / staff 042';
SET ROLE demo_disaster;
INSERT INTO answers SELECT p.link_no, 'disaster',
  (SELECT string_agg(coalesce(q.address, 'hidden'), ' / ' ORDER BY q.acquired_on)
     FROM dvflag.disaster_search(p.birth_date, kana => p.kana, insurer_name => '保険') q) FROM persons p;

-- health information (RULES.md §3a): whose records, and which institution columns show
CREATE FUNCTION pg_temp.health(p text, rows dvflag.health_info[]) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN count(*) = 0 THEN '- (no answer)'
              ELSE pg_temp.letters(p, array_agg(r.insurer_no)) || ': '
                   || concat_ws(', ', CASE WHEN count(r.institution_name) > 0 THEN 'name' END,
                                CASE WHEN count(r.institution_code) > 0 THEN 'code' ELSE 'no institution' END) END
    FROM unnest(rows) r $$;
SET ROLE demo_portal;
INSERT INTO answers SELECT p.link_no, 'portal_health',
  pg_temp.health(p.link_no, ARRAY(SELECT h FROM dvflag.portal_health('CARD-' || p.link_no) h)) FROM persons p;
SET ROLE demo_clinic;
INSERT INTO answers SELECT p.link_no, 'clinic_health',
  pg_temp.health(p.link_no, ARRAY(SELECT h FROM dvflag.clinic_health_by_card('CARD-' || p.link_no, consent => true) h))
  FROM persons p;
SET ROLE demo_disaster;
INSERT INTO answers SELECT p.link_no, 'disaster_health',
  pg_temp.health(p.link_no, ARRAY(SELECT h FROM dvflag.disaster_health('131136', NULL, p.number, '00', consent => true) h))
  FROM persons p;

SET ROLE demo_portal;
CREATE FUNCTION pg_temp.try_register(p text, num text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dvflag.register_card('NEW-' || p, '131136', NULL, num, '00');
  RETURN 'allowed';
EXCEPTION WHEN SQLSTATE 'DV001' THEN
  RETURN 'refused (DV001)';
END $$;
INSERT INTO answers SELECT p.link_no, 'registration', pg_temp.try_register(p.link_no, p.number) FROM persons p;
RESET ROLE;

\echo
\echo 'dvflag demo: RULES.md §4 — a person moved insurer A -> B -> C (C is the latest).'
\echo 'Each column is one audience path, called by a login that holds only that audience role.'
\echo
SELECT p.flags AS "flags set",
       max(a.answer) FILTER (WHERE a.path = 'portal')         AS "portal: qualifications (row 1)",
       max(a.answer) FILTER (WHERE a.path = 'self')           AS "portal: self-info (row 2)",
       max(a.answer) FILTER (WHERE a.path = 'clinic_card')    AS "clinic, card (row 4)",
       max(a.answer) FILTER (WHERE a.path = 'registration')   AS "initial registration (row 7)"
  FROM persons p JOIN answers a USING (link_no)
 GROUP BY p.link_no, p.flags
 ORDER BY array_position(ARRAY['SB-AT-B', 'SB-AT-C', 'ND-AT-B', 'ND-AT-A', 'NO-FLAG'], p.link_no);
\echo
\echo 'Addresses, by insurance card at A, B, C (row 5) and in disaster mode (row 6, first 10 characters):'
SELECT p.flags AS "flags set",
       max(a.answer) FILTER (WHERE a.path = 'insurance_card') AS "clinic, insurance card (row 5)",
       max(a.answer) FILTER (WHERE a.path = 'disaster')       AS "disaster search (row 6)"
  FROM persons p JOIN answers a USING (link_no)
 GROUP BY p.link_no, p.flags
 ORDER BY array_position(ARRAY['SB-AT-B', 'SB-AT-C', 'ND-AT-B', 'ND-AT-A', 'NO-FLAG'], p.link_no);
\echo
\echo 'Health information (RULES.md §3a): a medication record at each of A, B and C, with the institution that'
\echo 'dispensed it.  Which records each path shows, and whether the institution''s name and code show with them:'
SELECT p.flags AS "flags set",
       max(a.answer) FILTER (WHERE a.path = 'portal_health')   AS "portal_health (row 1)",
       max(a.answer) FILTER (WHERE a.path = 'clinic_health')   AS "clinic_health_by_card, consent (row 2)",
       max(a.answer) FILTER (WHERE a.path = 'disaster_health') AS "disaster_health (row 4)"
  FROM persons p JOIN answers a USING (link_no)
 GROUP BY p.link_no, p.flags
 ORDER BY array_position(ARRAY['SB-AT-B', 'SB-AT-C', 'ND-AT-B', 'ND-AT-A', 'NO-FLAG'], p.link_no);
\echo 'The portal names the pharmacy; a clinic never sees the name, and the code only while the address would show.'
\echo 'There is no health information by insurance card (row 3), and no medical-fee notice off the portal.'
\echo
\echo 'Insurer staff of C: SB flags due for clearing (RULES.md §5 STEP4: a re-issued card was refused under SB):'
SET ROLE demo_staff_c;
SELECT insurer_no, number, link_no, blocks_registration, evidence, cards_seen FROM dvflag.sb_due_for_clearing();
RESET ROLE;
SELECT dvflag.audit_flush() AS flushed \gset
\echo 'Audit trail (dvflag.audit; refusals, every disaster search and every health read at a clinic or in'
\echo 'disaster mode are also in the server log):'
SELECT to_char(at, 'HH24:MI:SS') AS at, actor, detail->>'role' AS "as role", client, action, target,
       coalesce(detail->>'reason', detail->>'outcome', '') AS "reason / outcome"
  FROM dvflag.audit ORDER BY id;
