-- 100,000 random lookup keys of existing rows, drawn deterministically,
-- and a declared disaster for the disaster-mode path.
CREATE TABLE bench.keys AS
SELECT row_number() OVER (ORDER BY hashint8(e.id)) AS k, e.insurer_no, e.symbol, e.number,
       c.card_serial, e.birth_date, e.kana, substr(i.name, 1, 4) AS insurer_frag
  FROM dvflag.enrollment e
  JOIN dvflag.insurer i ON i.insurer_no = e.insurer_no
  JOIN dvflag.card c ON c.link_no = e.link_no
 WHERE e.symbol IS NOT NULL
 ORDER BY hashint8(e.id) LIMIT 100000;
ALTER TABLE bench.keys ADD PRIMARY KEY (k);
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'benchmark') \gset
ANALYZE bench.keys;
