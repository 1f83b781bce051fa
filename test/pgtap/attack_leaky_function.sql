-- Attack: a user-written function that leaks its argument (RAISE NOTICE
-- and an INSERT into a temporary table), put in a WHERE clause over a
-- masked answer or over dvflag.enrollment, hoping the planner calls it on
-- rows or values the caller may not see.  Whatever it captures is counted.
BEGIN;
SELECT plan(18);
\i test/fixtures/worked_examples.sql
SET LOCAL client_min_messages = warning;

CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_staff_b LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_b', '06132013');
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'leaky function test');
-- a schema where the attackers may create functions
CREATE SCHEMA atk;
GRANT USAGE, CREATE ON SCHEMA atk TO PUBLIC;

-- what the callers know: the identifying inputs, no address
CREATE TEMP TABLE ids AS
  SELECT link_no, insurer_no, symbol, number, branch, kana, birth_date FROM dvflag.enrollment;
GRANT SELECT ON ids TO PUBLIC;
-- what must never leak (for the assertions only)
CREATE TEMP TABLE secret AS
  SELECT e.link_no, e.insurer_no, e.address FROM dvflag.enrollment e
   WHERE e.link_no IN ('SB-AT-C', 'ND-AT-B', 'ND-AT-A');

-- the attacker's function, as cheap as the planner allows
SET ROLE t_clinic;
CREATE TEMP TABLE leaked (v text);
GRANT INSERT, SELECT, DELETE ON leaked TO PUBLIC;
CREATE FUNCTION atk.leak(v text) RETURNS boolean
  LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  RAISE NOTICE 'leaked: %', v;
  INSERT INTO pg_temp.leaked VALUES (v);
  RETURN true;
END $$;
SELECT throws_ok($$CREATE FUNCTION atk.leak2(v text) RETURNS boolean LANGUAGE sql LEAKPROOF AS 'SELECT true'$$,
                 '42501', 'only superuser can define a leakproof function',
                 'an audience role cannot mark its function LEAKPROOF');

-- clinic, by insurance card: all fifteen enrollments
SELECT count(*) FROM ids i, dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, i.number, i.branch) q
 WHERE atk.leak(q.address);
SELECT count(*) FROM ids i, dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, i.number, i.branch) q
 WHERE atk.leak(q.postcode);
SELECT count(*) FROM ids i JOIN LATERAL dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, i.number, i.branch) q
    ON atk.leak(q.address) AND q.number = i.number;
SELECT count(*) FILTER (WHERE atk.leak(q.address))
  FROM ids i, dvflag.clinic_by_insurance_card(i.insurer_no, i.symbol, i.number, i.branch) q;
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked l JOIN secret s ON s.address = l.v), 0::bigint,
          'clinic by insurance card: a leaky WHERE receives no protected address');
SELECT is((SELECT count(*) FROM leaked WHERE v NOT LIKE '___-____'), 18::bigint,
          'it does receive the six unprotected addresses, three times (the leak works)');
SELECT is((SELECT count(*) FROM leaked WHERE v LIKE '___-____'), 6::bigint,
          'and only the six postcodes of unprotected enrollments');
DELETE FROM leaked;

-- clinic, by card
SET ROLE t_clinic;
SELECT count(*) FROM (SELECT DISTINCT link_no FROM ids) p, dvflag.clinic_by_card('CARD-' || p.link_no) q
 WHERE atk.leak(q.address);
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked l JOIN secret s ON s.address = l.v AND s.link_no = 'SB-AT-C'), 0::bigint,
          'clinic by card: no address of the SB person reaches a leaky WHERE');
SELECT is((SELECT count(*) FROM leaked), 4::bigint, 'clinic by card: four current qualifications pass the leak');
DELETE FROM leaked;

-- disaster search, by insurer-name and by address fragments
SET ROLE t_disaster;
SELECT count(*) FROM (SELECT DISTINCT kana, birth_date FROM ids) p,
       dvflag.disaster_search(p.birth_date, kana => p.kana, insurer_name => '保険') q
 WHERE atk.leak(q.address);
SELECT count(*) FROM (SELECT DISTINCT kana, birth_date FROM ids) p,
       dvflag.disaster_search(p.birth_date, kana => p.kana, address => '大阪府') q
 WHERE atk.leak(q.address);
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked WHERE v IS NULL), 9::bigint,
          'disaster search: the nine rows of protected persons pass only NULL to a leaky WHERE');
SELECT is((SELECT count(*) FROM leaked WHERE v IS NOT NULL), 8::bigint,
          'the cut addresses of the unprotected persons do reach it (6 + 2)');
DELETE FROM leaked;

-- portal: SB at C (the latest) means no answer; self-information of C is absent
SET ROLE t_portal;
SELECT count(*) FROM dvflag.portal_qualifications('CARD-SB-AT-C') q WHERE atk.leak(q.address);
SELECT count(*) FROM dvflag.portal_self_info('CARD-SB-AT-C') q WHERE atk.leak(q.address);
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked l JOIN secret s ON s.address = l.v
            WHERE s.link_no = 'SB-AT-C' AND s.insurer_no = '131136'), 0::bigint,
          'portal: the address at the SB insurer never reaches a leaky WHERE');
SELECT is((SELECT count(*) FROM leaked), 2::bigint, 'portal: only the two self-information rows of A and B do');
DELETE FROM leaked;

-- insurer staff of B over the table itself: the policy runs first
SET ROLE t_staff_b;
SELECT count(*) FROM dvflag.enrollment WHERE atk.leak(address);
SELECT count(*) FROM dvflag.enrollment WHERE atk.leak(address) AND insurer_no = '01130012';
SELECT count(*) FROM dvflag.enrollment WHERE atk.leak(link_no || ':' || insurer_no) AND link_no = 'SB-AT-C';
SELECT count(*) FROM (SELECT * FROM dvflag.enrollment ORDER BY id) e WHERE atk.leak(e.address);
SELECT count(*) FROM dvflag.enrollment e1 WHERE EXISTS
  (SELECT 1 FROM dvflag.enrollment e2 WHERE e2.link_no = e1.link_no AND atk.leak(e2.address));
UPDATE dvflag.enrollment SET postcode = postcode WHERE atk.leak(address);
DELETE FROM dvflag.enrollment WHERE atk.leak(address) AND number = 'none';
SELECT count(*) FROM (SELECT id FROM dvflag.enrollment WHERE atk.leak(address) FOR UPDATE) s;
SELECT lives_ok($$SELECT count(*) FROM dvflag.enrollment
                   WHERE CASE WHEN insurer_no = '06132013' THEN false ELSE address::int = 0 END$$,
                'staff of B: an error-raising cast never sees another insurer''s address');
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked l JOIN dvflag.enrollment e ON e.address = l.v
            WHERE e.insurer_no <> '06132013'), 0::bigint,
          'staff of B: a leaky WHERE never receives the address of another insurer''s enrollment');
SELECT is((SELECT count(*) FROM leaked WHERE v LIKE '%:%' AND v NOT LIKE '%:06132013'), 0::bigint,
          'staff of B: nor another insurer''s row of a person they know');
SELECT ok((SELECT count(*) FROM leaked WHERE v LIKE '%:06132013') BETWEEN 1 AND 5,
          'staff of B: rows of B do reach it');
SELECT is((SELECT count(DISTINCT v) FROM leaked WHERE v NOT LIKE '%:%'), 5::bigint,
          'staff of B: B''s five addresses reach it (the leak works)');
SELECT is((SELECT count(*) FROM leaked WHERE v NOT LIKE '%:%' AND v NOT LIKE '神奈川県横浜市中区%'), 0::bigint,
          'staff of B: every address it received is one of B''s');
DELETE FROM leaked;

-- the same function over the masked answers sees only masked values when
-- the caller could not have asked for the rows (no SB answer on the card path)
SET ROLE t_clinic;
SELECT count(*) FROM dvflag.clinic_by_card('CARD-SB-AT-C') q WHERE atk.leak(q.insurer_no);
SELECT count(*) FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00') q WHERE atk.leak(q.address);
RESET ROLE;
SELECT is((SELECT count(*) FROM leaked WHERE v IS NOT NULL), 0::bigint,
          'SB at C: neither the card path nor the insurance-card path passes an address or insurer to the leak');
SELECT is((SELECT count(*) FROM leaked WHERE v IS NULL), 1::bigint,
          'the insurance-card row is there, address NULL');

SELECT * FROM finish();
ROLLBACK;
