-- RULES.md §4: each row of the worked-example table, on every path it names.
-- Person moved A -> B -> C (C latest); A = 01130012, B = 06132013, C = 131136.
BEGIN;
SELECT plan(38);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'worked examples');

CREATE TEMP TABLE expect (link_no text, portal text[], self_info text[], clinic_card text[],
                          address_hidden boolean, registration_ok boolean);
INSERT INTO expect VALUES
  ('SB-AT-B', '{01130012,06132013,131136}', '{01130012,131136}',          '{131136}', false, true),
  ('SB-AT-C', NULL,                          '{01130012,06132013}',        NULL,       true,  false),
  ('ND-AT-B', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', true,  true),
  ('ND-AT-A', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', true,  true),
  ('NO-FLAG', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', false, true);
GRANT SELECT ON expect TO PUBLIC;
CREATE TEMP TABLE ids AS SELECT link_no, insurer_no, symbol, number, branch, name, kana, birth_date FROM dvflag.enrollment;
GRANT SELECT ON ids TO PUBLIC;

-- rows 1 and 2 (portal) — with the address shown, ND or not
SET ROLE t_portal;
SELECT is((SELECT array_agg(q.insurer_no ORDER BY q.acquired_on) FROM dvflag.portal_qualifications('CARD-' || x.link_no) q),
          x.portal, x.link_no || ': portal qualification information (row 1)')
  FROM expect x ORDER BY x.link_no;
SELECT is((SELECT array_agg(q.insurer_no ORDER BY q.acquired_on) FROM dvflag.portal_self_info('CARD-' || x.link_no) q),
          x.self_info, x.link_no || ': portal self-information (row 2)')
  FROM expect x ORDER BY x.link_no;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-ND-AT-B') q WHERE q.address IS NULL OR q.postcode IS NULL),
          0::bigint, 'ND has no effect on the portal: addresses shown');

-- row 4 (clinic with the card) and row 5 (clinic with the insurance card)
SET ROLE t_clinic;
SELECT is((SELECT array_agg(q.insurer_no) FROM dvflag.clinic_by_card('CARD-' || x.link_no) q),
          x.clinic_card, x.link_no || ': clinic by card (row 4)')
  FROM expect x ORDER BY x.link_no;
SELECT is((SELECT array_agg(q.address IS NULL AND q.postcode IS NULL ORDER BY q.acquired_on)
             FROM ids i, dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, i.number, i.branch) q
            WHERE i.link_no = x.link_no),
          ARRAY[x.address_hidden, x.address_hidden, x.address_hidden],
          x.link_no || ': clinic by insurance card at A, B and C (row 5)')
  FROM expect x ORDER BY x.link_no;

-- row 6 (disaster), by kana and the insurer-name fragment
SET ROLE t_disaster;
SELECT is((SELECT array_agg(q.address IS NULL AND q.postcode IS NULL ORDER BY q.acquired_on)
             FROM (SELECT DISTINCT kana, birth_date FROM ids WHERE link_no = x.link_no) i,
                  dvflag.disaster_search(i.birth_date, kana => i.kana, insurer_name => '保険') q),
          ARRAY[x.address_hidden, x.address_hidden, x.address_hidden],
          x.link_no || ': disaster search at A, B and C (row 6)')
  FROM expect x ORDER BY x.link_no;

-- row 7 (initial registration), including a card bound before the flag
SET ROLE t_portal;
SELECT CASE WHEN x.registration_ok
  THEN lives_ok(format('SELECT dvflag.register_card(%L, %L, NULL, %L, ''00'')', 'NEW-' || x.link_no, '131136', i.number),
                x.link_no || ': initial registration allowed')
  ELSE throws_ok(format('SELECT dvflag.register_card(%L, %L, NULL, %L, ''00'')', 'NEW-' || x.link_no, '131136', i.number),
                 'DV001', NULL, x.link_no || ': initial registration refused (DV001)')
  END
  FROM expect x JOIN (SELECT DISTINCT link_no, number FROM ids) i USING (link_no) ORDER BY x.link_no;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-SB-AT-C', '131136', NULL, '1002', '00')$$,
                 'DV001', NULL, 'SB at C: re-registering the card bound before the flag is refused too');
RESET ROLE;

-- the same answers for the address columns in full
SELECT is((SELECT q.address FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00') q),
          '大阪府大阪市北区梅田5-5-5', 'an unprotected address is shown in full on row 5');
SELECT is((SELECT q.address FROM dvflag.disaster_search('1970-05-05', kana => 'たなか　けん', address => '大阪府') q),
          '大阪府大阪市北区梅田', 'the disaster path cuts the address to its first 10 characters');
SELECT is((SELECT q.postcode FROM dvflag.disaster_search('1970-05-05', kana => 'タナカケン', address => '大阪府') q),
          '530-0001', 'and shows the postcode of an unprotected person');

-- each backend caches insurers' names: a rename shows from the next
-- statement on, in a search's fragment match as in the answer
SELECT ok((SELECT q.insurer_name FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00') q) IS NOT NULL,
          'the insurer of row 5 has a name (now cached)');
UPDATE dvflag.insurer SET name = 'Renamed Kenpo' WHERE insurer_no = '131136';
SELECT is((SELECT q.insurer_name FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00') q),
          'Renamed Kenpo', 'a renamed insurer shows its new name at once');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカケン', insurer_name => 'renamed') q),
          1::bigint, 'and a search matches the new name');

SELECT * FROM finish();
ROLLBACK;
