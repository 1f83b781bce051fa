-- The baseline "without dvflag": plain copies of the same rows, with the
-- same indexes and ordinary planner statistics (dvflag keeps none on
-- personal columns, which would otherwise make the plain queries' plans
-- worse than any real deployment without dvflag would see).
\set ON_ERROR_STOP on
CREATE TABLE bench.enrollment AS SELECT * FROM dvflag.enrollment;
CREATE TABLE bench.insurer AS SELECT * FROM dvflag.insurer;
CREATE TABLE bench.card AS SELECT * FROM dvflag.card;
CREATE TABLE bench.provision_record AS SELECT * FROM dvflag.provision_record;
CREATE TABLE bench.provision_mark AS SELECT * FROM dvflag.provision_mark;
ALTER TABLE bench.enrollment ADD PRIMARY KEY (id);
ALTER TABLE bench.insurer ADD PRIMARY KEY (insurer_no);
ALTER TABLE bench.card ADD PRIMARY KEY (card_serial);
CREATE UNIQUE INDEX ON bench.enrollment (insurer_no, symbol, number, branch) NULLS NOT DISTINCT;
CREATE INDEX ON bench.enrollment (link_no);
CREATE INDEX ON bench.enrollment (birth_date, dvflag.fold(kana));
CREATE INDEX ON bench.enrollment (birth_date, dvflag.fold(name));
CREATE INDEX ON bench.provision_record (enrollment_id);
CREATE INDEX ON bench.provision_mark (record_id);
-- the health records in a copy of dvflag.health_record: the same columns,
-- constraints, indexes and foreign key (to the plain enrollments); what
-- bench/health_bulk.sql loads into too
CREATE TABLE bench.health_record (LIKE dvflag.health_record INCLUDING ALL EXCLUDING INDEXES);
INSERT INTO bench.health_record OVERRIDING SYSTEM VALUE SELECT * FROM dvflag.health_record;
SELECT setval(pg_get_serial_sequence('bench.health_record', 'id'), (SELECT max(id) FROM dvflag.health_record)) AS health_id \gset
ALTER TABLE bench.health_record ADD PRIMARY KEY (id),
  ADD FOREIGN KEY (enrollment_id) REFERENCES bench.enrollment ON DELETE CASCADE;
CREATE INDEX ON bench.health_record (enrollment_id, service_date);
VACUUM ANALYZE bench.enrollment, bench.insurer, bench.card, bench.provision_record, bench.provision_mark,
               bench.health_record;
