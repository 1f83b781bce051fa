--
-- The read paths take a person's flags from person_pkey alone while the
-- row's page is visible to all (the visibility map), and from the row
-- otherwise (src/store.c, dv_person_flags).  Both ways must give the same
-- answers: after a VACUUM (every page all-visible), after flag changes
-- (the page no longer is), after a VACUUM again, and after the flags are
-- cleared.  make installcheck compares the answers with
-- test/expected/index_only.out.
--
CREATE EXTENSION dvflag;
CREATE EXTENSION pg_visibility;
\set QUIET on
SET dvflag.reason = 'index-only reads';
INSERT INTO dvflag.insurer (insurer_no, name) VALUES ('131136', '渋谷区 国民健康保険');
INSERT INTO dvflag.enrollment
  (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address, postcode)
SELECT 'IO-' || n, '131136', NULL, (2000 + n)::text, '00', date '2021-04-01',
       '利用者 ' || n, 'リヨウシャ', 1, date '1980-01-01', '大阪府大阪市北区梅田 ' || n, '530-0001'
  FROM generate_series(1, 4) AS n;
SELECT count(*) FROM (SELECT dvflag.register_card('CARD-IO-' || n, '131136', NULL, (2000 + n)::text, '00')
                        FROM generate_series(1, 4) AS n) r \gset
\set QUIET off
-- each person as the clinic (address and postcode by insurance card) and
-- the portal (qualifications by card) see them
CREATE FUNCTION pg_temp.seen() RETURNS TABLE (person text, address_shown boolean, portal_rows bigint)
  LANGUAGE sql AS $$
  SELECT 'IO-' || n,
         (SELECT q.address IS NOT NULL AND q.postcode IS NOT NULL
            FROM dvflag.clinic_by_insurance_card('131136', NULL, (2000 + n)::text, '00') q),
         (SELECT count(*) FROM dvflag.portal_qualifications('CARD-IO-' || n))
    FROM generate_series(1, 4) AS n ORDER BY n $$;
CREATE FUNCTION pg_temp.all_visible() RETURNS boolean LANGUAGE sql AS
  $$ SELECT bool_and(all_visible) FROM pg_visibility_map('dvflag.person') $$;

-- the person key includes the flags
SELECT pg_get_indexdef('dvflag.person_pkey'::regclass);

-- every page visible to all: the flags come from the index
VACUUM dvflag.person;
SELECT pg_temp.all_visible();
SELECT * FROM pg_temp.seen();

-- ND on IO-2, SB on IO-3: their pages are no longer all-visible, their
-- flags come from their rows
SELECT dvflag.set_flag('131136', NULL, '2002', '00', 'nd', true, 'index-only reads');
SELECT dvflag.set_flag('131136', NULL, '2003', '00', 'sb', true, 'index-only reads');
SELECT pg_temp.all_visible();
SELECT * FROM pg_temp.seen();

-- visible to all again: the new flags come from the index
VACUUM dvflag.person;
SELECT pg_temp.all_visible();
SELECT * FROM pg_temp.seen();

-- cleared again (a reason given), read from the rows, then from the index
SELECT dvflag.set_flag('131136', NULL, '2002', '00', 'nd', false, 'index-only reads');
SELECT dvflag.set_flag('131136', NULL, '2003', '00', 'sb', false, 'index-only reads');
SELECT * FROM pg_temp.seen();
VACUUM dvflag.person;
SELECT pg_temp.all_visible();
SELECT * FROM pg_temp.seen();

SET dvflag.allow_drop = on;
DROP EXTENSION dvflag;
DROP EXTENSION pg_visibility;
