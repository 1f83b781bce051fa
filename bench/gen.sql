-- Deterministic national-scale data for the benchmark.
-- psql -v persons=100000 -f bench/gen.sql   (run by bench/run)
--
-- Every value is a function of the row numbers (hashint8), so two runs with
-- the same size produce the same rows.  Loading goes through the normal
-- path: INSERT into dvflag.enrollment with the triggers and the audit on,
-- in batches of 50,000 persons.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET dvflag.reason = 'benchmark load';

CREATE SCHEMA IF NOT EXISTS bench;
-- a deterministic pseudo-random integer in [0, n)
CREATE OR REPLACE FUNCTION bench.pick(seed bigint, salt int, n int) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
  $$ SELECT (abs(hashint8(seed * 1000003 + salt)::bigint) % n)::int $$;

-- 8-digit insurer numbers get the check digit of RULES.md §1
CREATE OR REPLACE FUNCTION bench.with_check_digit(seven text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $$
  SELECT seven || ((10 - sum(d) % 10) % 10)::text
    FROM (SELECT (p / 10) + (p % 10) AS d
            FROM (SELECT substr(seven, 8 - i, 1)::int * CASE WHEN i % 2 = 1 THEN 2 ELSE 1 END AS p
                    FROM generate_series(1, 7) AS i) products) digits $$;

CREATE TABLE bench.surname (i int, kanji text, kana text);
INSERT INTO bench.surname SELECT row_number() OVER () - 1, k, n FROM (VALUES
 ('佐藤','サトウ'),('鈴木','スズキ'),('高橋','タカハシ'),('田中','タナカ'),('伊藤','イトウ'),('渡辺','ワタナベ'),
 ('山本','ヤマモト'),('中村','ナカムラ'),('小林','コバヤシ'),('加藤','カトウ'),('吉田','ヨシダ'),('山田','ヤマダ'),
 ('佐々木','ササキ'),('山口','ヤマグチ'),('松本','マツモト'),('井上','イノウエ'),('木村','キムラ'),('林','ハヤシ'),
 ('斎藤','サイトウ'),('清水','シミズ'),('山崎','ヤマザキ'),('森','モリ'),('池田','イケダ'),('橋本','ハシモト'),
 ('阿部','アベ'),('石川','イシカワ'),('山下','ヤマシタ'),('中島','ナカジマ'),('石井','イシイ'),('小川','オガワ'),
 ('前田','マエダ'),('岡田','オカダ'),('長谷川','ハセガワ'),('藤田','フジタ'),('後藤','ゴトウ'),('近藤','コンドウ'),
 ('村上','ムラカミ'),('遠藤','エンドウ'),('青木','アオキ'),('坂本','サカモト')) AS s(k, n);
CREATE TABLE bench.given (i int, kanji text, kana text, sex smallint);
INSERT INTO bench.given SELECT row_number() OVER () - 1, k, n, s FROM (VALUES
 ('花子','ハナコ',2),('美咲','ミサキ',2),('陽菜','ヒナ',2),('結衣','ユイ',2),('葵','アオイ',2),('さくら','サクラ',2),
 ('由美','ユミ',2),('恵子','ケイコ',2),('真由美','マユミ',2),('裕子','ユウコ',2),('一郎','イチロウ',1),('健','ケン',1),
 ('大輔','ダイスケ',1),('翔太','ショウタ',1),('蓮','レン',1),('大翔','ヒロト',1),('誠','マコト',1),('浩二','コウジ',1),
 ('拓也','タクヤ',1),('直樹','ナオキ',1),('悠真','ユウマ',1),('颯太','ソウタ',1),('和子','カズコ',2),('智子','トモコ',2)) AS g(k, n, s);
CREATE TABLE bench.town (i int, name text, postcode_prefix text);
INSERT INTO bench.town SELECT row_number() OVER () - 1, t, p FROM (VALUES
 ('北海道札幌市中央区北一条西','060'),('宮城県仙台市青葉区一番町','980'),('東京都新宿区西新宿','160'),
 ('東京都千代田区丸の内','100'),('東京都世田谷区三軒茶屋','154'),('神奈川県横浜市中区山下町','231'),
 ('埼玉県さいたま市浦和区高砂','330'),('千葉県千葉市中央区富士見','260'),('愛知県名古屋市中区栄','460'),
 ('大阪府大阪市北区梅田','530'),('京都府京都市下京区四条通','600'),('兵庫県神戸市中央区三宮町','650'),
 ('広島県広島市中区紙屋町','730'),('福岡県福岡市博多区博多駅前','812'),('沖縄県那覇市久茂地','900'),
 ('新潟県新潟市中央区万代','950')) AS t(t, p);

-- insurers: 8-digit (with check digit) and 6-digit municipal NHI
INSERT INTO dvflag.insurer (insurer_no, name)
SELECT bench.with_check_digit(lpad(((i % 9) + 1)::text, 2, '0') || lpad((i % 47 + 1)::text, 2, '0')
                              || lpad((i / 423)::text, 3, '0')),
       CASE i % 3 WHEN 0 THEN '全国健康保険協会 ' || i || '支部'
                  WHEN 1 THEN 'さくら' || i || '健康保険組合' ELSE '共済組合 第' || i END
  FROM generate_series(0, 2999) AS i
ON CONFLICT DO NOTHING;
INSERT INTO dvflag.insurer (insurer_no, name)
SELECT lpad((i / 40 + 1)::text, 2, '0') || lpad((i % 1000)::text, 3, '0') || (i % 10)::text,
       '市町村国保 ' || i
  FROM generate_series(0, 1699) AS i
ON CONFLICT DO NOTHING;
CREATE TABLE bench.insurer_list AS
  SELECT row_number() OVER (ORDER BY insurer_no) - 1 AS i, insurer_no, name FROM dvflag.insurer;
SELECT count(*) AS insurers FROM bench.insurer_list \gset

-- persons 1..:persons with 1..4 enrollments each; loaded in batches
CREATE TABLE bench.batch (b int);
INSERT INTO bench.batch SELECT generate_series(0, (:persons - 1) / 50000);
SELECT format($q$
  INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, lost_on,
                                 name, kana, sex, birth_date, address, postcode, nd, sb, ar)
  SELECT 'P' || lpad(p::text, 9, '0'), ins.insurer_no,
         CASE WHEN bench.pick(p, 30 + k, 5) = 0 THEN NULL ELSE 'S' || bench.pick(p, 31 + k, 9000) END,
         (p * 4 + k)::text, '00',
         date '1990-04-01' + (k * 2200 + bench.pick(p, 4, 2000)),
         CASE WHEN k < n - 1 THEN date '1990-04-01' + ((k + 1) * 2200 + bench.pick(p, 4, 2000)) END,
         -- name with an ASCII or ideographic space, kana sometimes half-width
         s.kanji || CASE WHEN bench.pick(p, 5, 3) = 0 THEN '　' ELSE ' ' END || g.kanji,
         CASE WHEN bench.pick(p, 6, 10) = 0 THEN s.kana || ' ' || g.kana
              ELSE s.kana || '　' || g.kana END,
         g.sex, date '1940-01-01' + bench.pick(p, 7, 25000),
         t.name || (1 + bench.pick(p, 8 + k, 9)) || '-' || (1 + bench.pick(p, 9 + k, 30)) || '-' || (1 + bench.pick(p, 10 + k, 20)),
         t.postcode_prefix || '-' || lpad(bench.pick(p, 11 + k, 10000)::text, 4, '0'),
         -- about 1%% ND at a past insurer, 1%% SB at the latest, 1%% AR
         (k = 0 AND n > 1 AND bench.pick(p, 12, 100) = 0),
         (k = n - 1 AND bench.pick(p, 13, 100) = 0),
         bench.pick(p * 4 + k, 14, 100) = 0
    FROM generate_series(%s, %s) AS p,
         LATERAL (SELECT 1 + bench.pick(p, 1, 4) AS n) AS nn,
         LATERAL generate_series(0, nn.n - 1) AS k,
         bench.insurer_list ins, bench.surname s, bench.given g, bench.town t
   WHERE ins.i = bench.pick(p, 20 + k, %s)
     AND s.i = bench.pick(p, 2, 40) AND g.i = bench.pick(p, 3, 24)
     AND t.i = bench.pick(p, 21 + k, 16)$q$,
  b * 50000 + 1, least((b + 1) * 50000, :persons), :insurers)
FROM bench.batch ORDER BY b \gexec

-- cards for about 60% of the persons
INSERT INTO dvflag.card (card_serial, link_no)
SELECT 'C' || lpad(p::text, 9, '0'), 'P' || lpad(p::text, 9, '0')
  FROM generate_series(1, :persons) AS p WHERE bench.pick(p, 15, 10) < 6;
VACUUM ANALYZE;
SELECT count(*) AS enrollments, count(*) FILTER (WHERE nd) AS nd, count(*) FILTER (WHERE sb) AS sb,
       count(*) FILTER (WHERE ar) AS ar FROM dvflag.enrollment;
