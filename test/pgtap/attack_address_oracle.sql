-- Attack: use disaster-mode search as an oracle on a protected address
-- (RULES.md §3, "No address oracle").  Someone who knows a protected
-- person's name and birth date tries fragments of the address they suspect:
-- a fragment that is really in the address must never return the person,
-- must not change any answer, and must not tip the search into DV003.
BEGIN;
SELECT plan(73);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'address oracle test');

-- fragments of the real addresses: whole, first two characters, the town,
-- the street number
CREATE TEMP TABLE probes AS
SELECT e.link_no, e.insurer_no, e.kana, e.name, e.birth_date, f.n, f.kind, f.frag
  FROM dvflag.enrollment e
 CROSS JOIN LATERAL (VALUES (1, 'the whole', e.address),
                            (2, 'the first two characters', left(e.address, 2)),
                            (3, 'the town', left(e.address, length(e.address) - 5)),
                            (4, 'the street number', right(e.address, 5))) AS f(n, kind, frag);
GRANT SELECT ON probes TO PUBLIC;

SET ROLE t_disaster;
-- the protected persons: no real fragment ever finds them (36 probes)
SELECT is((SELECT count(*) FROM dvflag.disaster_search(p.birth_date, kana => p.kana, address => p.frag)),
          0::bigint, format('%s: %s of the address at %s finds nothing', p.link_no, p.kind, p.insurer_no))
  FROM probes p WHERE p.link_no IN ('SB-AT-C', 'ND-AT-B', 'ND-AT-A')
 ORDER BY p.link_no, p.insurer_no, p.n;
SELECT is((SELECT count(*) FROM dvflag.disaster_search(p.birth_date, name => p.name, address => p.frag)),
          0::bigint, format('%s: the whole address at %s finds nothing by name either', p.link_no, p.insurer_no))
  FROM probes p WHERE p.link_no IN ('SB-AT-C', 'ND-AT-B', 'ND-AT-A') AND p.n = 1 AND p.insurer_no = '131136'
 ORDER BY p.link_no;
SELECT is((SELECT count(*) FROM dvflag.disaster_search(p.birth_date, name => p.name, kana => p.kana,
                                                       address => p.frag, sex => 2)),
          0::bigint, 'SB-AT-C: name, kana, sex and the whole address together find nothing')
  FROM probes p WHERE p.link_no = 'SB-AT-C' AND p.n = 1 AND p.insurer_no = '131136';

-- the same probes do find an unprotected person (the search works)
SELECT is((SELECT count(*) FROM dvflag.disaster_search(p.birth_date, kana => p.kana, address => p.frag)),
          want, format('NO-FLAG: %s of the address at %s finds %s', p.kind, p.insurer_no, want))
  FROM probes p
  JOIN (VALUES (1, 1::bigint), (2, 1::bigint), (3, 1::bigint), (4, 3::bigint)) AS w(n, want) USING (n)
 WHERE p.link_no = 'NO-FLAG' AND p.insurer_no = '131136'
 ORDER BY p.n;

-- only the insurer-name fragment finds a protected person, address hidden
SELECT is((SELECT array_agg(q.address IS NULL AND q.postcode IS NULL)
             FROM dvflag.disaster_search(x.birth_date, kana => x.kana, insurer_name => '保険') q),
          '{t,t,t}', x.link_no || ': the insurer-name fragment finds all three enrollments, address hidden')
  FROM (SELECT DISTINCT link_no, kana, birth_date FROM probes
         WHERE link_no IN ('SB-AT-C', 'ND-AT-B', 'ND-AT-A')) x ORDER BY x.link_no;
-- and a right address fragment next to it changes nothing in the answer
SELECT is((SELECT array_agg(q::text ORDER BY q.insurer_no)
             FROM dvflag.disaster_search(p.birth_date, kana => p.kana, insurer_name => '保険', address => p.frag) q),
          (SELECT array_agg(q::text ORDER BY q.insurer_no)
             FROM dvflag.disaster_search(p.birth_date, kana => p.kana, insurer_name => '保険', address => '存在しない住所') q),
          format('%s: with the insurer name, %s of the real address at %s gives the same answer as a wrong fragment',
                 p.link_no, p.kind, p.insurer_no))
  FROM probes p WHERE p.link_no IN ('SB-AT-C', 'ND-AT-B', 'ND-AT-A') AND p.n IN (1, 4)
 ORDER BY p.link_no, p.insurer_no, p.n;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1990-07-01', kana => 'サトウ ミサキ',
                                                       insurer_name => '存在しない保険者', address => '梅田2-2-2')),
          0::bigint, 'SB-AT-C: a wrong insurer name with the right address finds nothing');
RESET ROLE;

-- DV003: twenty unprotected namesakes and two protected ones, all at an
-- address with ORACLE in it; only the unprotected may count
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
SELECT 'O' || i, '131136', 'O' || i, '00', '2020-04-01', '尾楽 照', 'オラクル テル', 1, '1999-09-09',
       '青森県ORACLE町' || i
  FROM generate_series(1, 20) AS i;
SET LOCAL dvflag.reason = 'address oracle test';
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address, nd, sb)
VALUES ('O-ND', '131136', 'O-ND', '00', '2020-04-01', '尾楽 照', 'オラクル テル', 1, '1999-09-09', '青森県ORACLE町99', true, false),
       ('O-SB', '131136', 'O-SB', '00', '2020-04-01', '尾楽 照', 'オラクル テル', 1, '1999-09-09', '青森県ORACLE町98', false, true);
RESET dvflag.reason;

SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE')),
          20::bigint, 'twenty unprotected and two protected match ORACLE: 20 candidates, not DV003');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE')
            WHERE address IS NULL), 0::bigint, 'and none of them is a protected one');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE町98')),
          0::bigint, 'the whole street of the SB person finds nothing');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE町99')),
          0::bigint, 'nor does the whole street of the ND person');
RESET ROLE;
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
VALUES ('O21', '131136', 'O21', '00', '2020-04-01', '尾楽 照', 'オラクル テル', 1, '1999-09-09', '青森県ORACLE町21');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE')$$,
                 'DV003', NULL, 'a twenty-first unprotected namesake does give DV003 (the limit works)');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE町')$$,
                 'DV003', NULL, 'and DV003 comes the same with a fragment that also fits the protected addresses');
SELECT is((SELECT count(*) FROM dvflag.disaster_search('1999-09-09', kana => 'オラクルテル', address => 'ORACLE町2')),
          3::bigint, 'ORACLE町2 finds 2, 20 and 21 of the unprotected only');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
