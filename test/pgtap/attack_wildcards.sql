-- Attack: LIKE wildcards in disaster-mode fragments and names.  A fragment
-- is plain text (RULES.md §3): '%', '_' and '\' match only themselves, so
-- '%%' cannot widen a search to everyone born that day, and a wildcard in
-- the name or kana matches no one.
BEGIN;
SELECT plan(28);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'wildcard test');

-- seven people of the same name and birth date at insurer C, whose
-- addresses hold the wildcard characters literally
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
VALUES ('W1', '131136', 'W1', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市%%町1-1'),
       ('W2', '131136', 'W2', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市__町2-2'),
       ('W3', '131136', 'W3', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市%\_町3-3'),
       ('W4', '131136', 'W4', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市中央区4-4'),
       ('W5', '131136', 'W5', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市50%OFF通5-5'),
       ('W6', '131136', 'W6', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市\\6-6'),
       ('W7', '131136', 'W7', '00', '2020-04-01', '和井 留土', 'ワイルド カード', 1, '2000-01-01', '札幌市_x_町7-7');

CREATE FUNCTION pg_temp.by_address(fragment text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(q.number ORDER BY q.number), '{}')
    FROM dvflag.disaster_search('2000-01-01', kana => 'ワイルドカード', address => fragment) q $$;

SET ROLE t_disaster;
SELECT is(pg_temp.by_address('札幌'), '{W1,W2,W3,W4,W5,W6,W7}', 'a plain fragment finds all seven (the search works)');
SELECT is(pg_temp.by_address(f), want, format('address fragment %s matches only itself', f))
  FROM (VALUES (1, '%%', '{W1}'::text[]),
               (2, '__', '{W2}'),
               (3, '%\_', '{W3}'),
               (4, '\_', '{W3}'),
               (5, '\%', '{}'),
               (6, '_%', '{}'),
               (7, '%_', '{}'),
               (8, '%O', '{W5}'),
               (9, '\\', '{W6}'),
               (10, '\6', '{W6}'),
               (11, '_x', '{W7}'),
               (12, '%%%%', '{}'),
               (13, '%町', '{W1}'),
               (14, '_町', '{W2,W3,W7}'),
               (15, '% %', '{W1}'),
               (16, '％％', '{W1}'),
               (17, '＿＿', '{W2}')) AS t(n, f, want)
 ORDER BY n;
SELECT throws_ok($$SELECT pg_temp.by_address('%')$$, '22023', NULL, 'a lone % is too short (22023), not "everything"');
SELECT throws_ok($$SELECT pg_temp.by_address(' % ')$$, '22023', NULL, 'spaces around % do not make it long enough');

-- the insurer-name fragment: no insurer name holds a wildcard
SELECT is((SELECT count(*) FROM dvflag.disaster_search('2000-01-01', kana => 'ワイルドカード', insurer_name => f)),
          0::bigint, format('insurer-name fragment %s matches no insurer', f))
  FROM (VALUES (1, '%%'), (2, '__'), (3, '%_')) AS t(n, f) ORDER BY n;

-- name and kana are exact: a wildcard matches no one
SELECT is((SELECT count(*) FROM dvflag.disaster_search('2000-01-01', name => n, address => '札幌')),
          0::bigint, format('name %s matches no one', n))
  FROM (VALUES ('%'), ('_%'), ('和井%')) AS t(n) ORDER BY n;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('2000-01-01', kana => k, insurer_name => '保険')),
          0::bigint, format('kana %s matches no one', k))
  FROM (VALUES ('%'), ('ワイルド%')) AS t(k) ORDER BY k;
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
