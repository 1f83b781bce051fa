-- Attack: a hostile search_path.  Schema evil holds look-alikes of what the
-- dvflag functions use (fold, now, statement_timestamp, clock_timestamp,
-- unnest, pg_has_role, count, an "=" on text that is always true, "<=" and
-- ">" on timestamptz that are always true, and tables named like dvflag's
-- with doctored rows); temporary tables with the same names come first in
-- a second round.  Every access path, run by its audience under
--   evil:  search_path = evil, public, pg_catalog
--   temp:  search_path = pg_temp, evil, public, pg_catalog
--   clean: the default search_path
-- must give the answers of the worked examples (10_worked_examples.sql),
-- and no evil object may ever be called.  Answers are captured into
-- temporary tables while the hostile path is set, and checked after it is
-- reset (the test functions would themselves use the evil "=").
BEGIN;
SELECT plan(41);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
CREATE ROLE t_staff_c LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff_c', '131136');
-- only a disaster of next year: a search now must get DV002
SELECT dvflag.declare_disaster(now() + interval '1 year', now() + interval '2 years', 'next year');

-- the look-alikes; every call of one is recorded in evil.calls
CREATE SCHEMA evil;
CREATE TABLE evil.calls (fn text);
CREATE FUNCTION evil.fold(text) RETURNS text LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('fold'); RETURN 'X'; END$$;
CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('now'); RETURN '2000-01-01'; END$$;
CREATE FUNCTION evil.statement_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('statement_timestamp');
          RETURN pg_catalog.now() OPERATOR(pg_catalog.+) interval '18 months'; END$$;
CREATE FUNCTION evil.clock_timestamp() RETURNS timestamptz LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('clock_timestamp'); RETURN '2000-01-01'; END$$;
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('unnest'); RETURN; END$$;
CREATE FUNCTION evil.pg_has_role(oid, oid, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.pg_has_role(name, name, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.pg_has_role(name, oid, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.pg_has_role(oid, name, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.pg_has_role(oid, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.pg_has_role(name, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('pg_has_role'); RETURN true; END$$;
CREATE FUNCTION evil.count_step(bigint) RETURNS bigint LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('count'); RETURN 0; END$$;
CREATE AGGREGATE evil.count(*) (SFUNC = evil.count_step, STYPE = bigint, INITCOND = '0');
CREATE FUNCTION evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('=text'); RETURN true; END$$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE FUNCTION evil.int8_eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('=bigint'); RETURN true; END$$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_eq);
CREATE FUNCTION evil.date_eq(date, date) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('=date'); RETURN true; END$$;
CREATE OPERATOR evil.= (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.date_eq);
CREATE FUNCTION evil.ts_true(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO evil.calls VALUES ('<=>timestamptz'); RETURN true; END$$;
CREATE OPERATOR evil.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.ts_true);
CREATE OPERATOR evil.> (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.ts_true);
-- tables named like dvflag's: no flags, fake addresses, every card the SB
-- person's, the staff mapped to every insurer, a disaster going on
CREATE TABLE evil.insurer AS SELECT insurer_no, 'EVIL ' || name AS name FROM dvflag.insurer;
CREATE TABLE evil.enrollment AS
  SELECT id, link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, name, kana, sex,
         birth_date, 'EVIL ADDRESS'::text AS address, '000-0000'::text AS postcode,
         false AS nd, false AS sb, false AS ar
    FROM dvflag.enrollment;
CREATE TABLE evil.person AS
  SELECT link_no, latest_id, false AS nd_eff, false AS sb_eff, false AS nd_retained, version, updated_at
    FROM dvflag.person;
CREATE TABLE evil.card AS
  SELECT card_serial, 'SB-AT-C'::text AS link_no, registered_at, NULL::timestamptz AS stopped_at,
         NULL::text AS stop_reason FROM dvflag.card;
CREATE TABLE evil.proxy AS SELECT l AS principal_link_no, 'NO-FLAG'::text AS agent_link_no, now() AS created_at
  FROM (SELECT DISTINCT link_no AS l FROM dvflag.enrollment) p;
CREATE TABLE evil.disaster AS
  SELECT 1::bigint AS id, now() - interval '1 day' AS starts, now() + interval '1 day' AS ends,
         'evil'::text AS note, now() AS declared_at, NULL::timestamptz AS ended_at;
CREATE TABLE evil.insurer_staff AS SELECT 't_staff_c'::regrole AS staff, insurer_no FROM dvflag.insurer;
CREATE TABLE evil.audit (LIKE dvflag.audit);
GRANT USAGE ON SCHEMA evil TO PUBLIC;
GRANT ALL ON ALL TABLES IN SCHEMA evil TO PUBLIC;

-- inputs the callers know, and where the answers go
CREATE TEMP TABLE persons AS SELECT DISTINCT link_no, number, name, kana, birth_date FROM dvflag.enrollment;
CREATE TEMP TABLE ids AS SELECT link_no, insurer_no, symbol, number, branch FROM dvflag.enrollment;
CREATE TEMP TABLE got (variant text, path text, key text, q text);
CREATE TEMP TABLE got_err (variant text, path text, key text, state text);
GRANT SELECT ON persons, ids TO PUBLIC;
GRANT SELECT, INSERT ON got, got_err TO PUBLIC;

-- the capture functions: no operator, no unqualified function
CREATE FUNCTION pg_temp.try(v text, path text, key text, sql text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    EXECUTE sql;
    INSERT INTO pg_temp.got_err VALUES (v, path, key, '00000');
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO pg_temp.got_err VALUES (v, path, key, SQLSTATE);
  END;
END $$;
CREATE FUNCTION pg_temp.cap_no_disaster(v text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_temp.try(v, 'no_disaster', 'NO-FLAG',
    $q$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')$q$);
END $$;
CREATE FUNCTION pg_temp.cap_portal(v text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM pg_temp.persons LOOP
    INSERT INTO pg_temp.got SELECT v, 'portal_qualifications', p.link_no, q::text
      FROM dvflag.portal_qualifications('CARD-' || p.link_no) q;
    INSERT INTO pg_temp.got SELECT v, 'portal_self_info', p.link_no, q::text
      FROM dvflag.portal_self_info('CARD-' || p.link_no) q;
  END LOOP;
  PERFORM pg_temp.try(v, 'register_card', 'SB-AT-C',
    pg_catalog.format('SELECT dvflag.register_card(%L, ''131136'', NULL, ''1002'', ''00'')', 'NEW-' || v || '-SB-AT-C'));
  PERFORM pg_temp.try(v, 'register_card', 'NO-FLAG',
    pg_catalog.format('SELECT dvflag.register_card(%L, ''131136'', NULL, ''1005'', ''00'')', 'NEW-' || v || '-NO-FLAG'));
END $$;
CREATE FUNCTION pg_temp.cap_clinic(v text, label text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM pg_temp.persons LOOP
    INSERT INTO pg_temp.got SELECT v, 'clinic_by_card' || label, p.link_no, q::text
      FROM dvflag.clinic_by_card('CARD-' || p.link_no) q;
  END LOOP;
  FOR p IN SELECT * FROM pg_temp.ids LOOP
    INSERT INTO pg_temp.got SELECT v, 'clinic_by_insurance_card' || label, p.link_no, q::text
      FROM dvflag.clinic_by_insurance_card(p.insurer_no, p.symbol, p.number, p.branch) q;
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.cap_disaster(v text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM pg_temp.persons LOOP
    INSERT INTO pg_temp.got SELECT v, 'disaster_by_insurer', p.link_no, q::text
      FROM dvflag.disaster_search(p.birth_date, kana => p.kana, insurer_name => '保険') q;
    INSERT INTO pg_temp.got SELECT v, 'disaster_by_address', p.link_no, q::text
      FROM dvflag.disaster_search(p.birth_date, name => p.name, address => '大阪府') q;
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.cap_requester(v text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM pg_temp.persons LOOP
    INSERT INTO pg_temp.got VALUES (v, 'protected', p.link_no, dvflag.protected(p.link_no)::text);
  END LOOP;
END $$;
CREATE FUNCTION pg_temp.cap_staff_set(v text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.got SELECT v, 'staff_select', e.link_no, e.insurer_no || ' ' || e.address
    FROM dvflag.enrollment e;
  PERFORM pg_temp.try(v, 'staff_set_flag_other_insurer', 'NO-FLAG',
    $q$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, 'attack')$q$);
  PERFORM pg_temp.try(v, 'staff_update_no_reason', 'NO-FLAG',
    $q$UPDATE dvflag.enrollment SET nd = true WHERE number OPERATOR(pg_catalog.=) '1005'$q$);
  PERFORM pg_catalog.set_config('dvflag.reason', 'search_path attack test', true);
  PERFORM pg_temp.try(v, 'staff_update_with_reason', 'NO-FLAG',
    $q$UPDATE dvflag.enrollment SET nd = true WHERE number OPERATOR(pg_catalog.=) '1005'$q$);
  PERFORM pg_catalog.set_config('dvflag.reason', '', true);
END $$;
CREATE FUNCTION pg_temp.cap_staff_clear(v text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_temp.try(v, 'staff_clear', 'NO-FLAG',
    $q$SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', false, 'search_path attack test: cleared')$q$);
END $$;

------------------------------------------------------------------------
-- round 1: evil, public, pg_catalog
SET ROLE t_disaster;
SET search_path = evil, public, pg_catalog;
SELECT pg_temp.cap_no_disaster('evil');
RESET search_path;
RESET ROLE;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'evil') > 0;
SET search_path = evil, public, pg_catalog;
SET ROLE t_portal;
SELECT pg_temp.cap_portal('evil');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('evil', '');
SET ROLE t_disaster;
SELECT pg_temp.cap_disaster('evil');
SET ROLE t_requester;
SELECT pg_temp.cap_requester('evil');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_set('evil');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('evil', ' after ND set');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_clear('evil');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('evil', ' after ND cleared');
RESET ROLE;
RESET search_path;
SELECT dvflag.end_disaster(id) FROM dvflag.disaster WHERE note = 'evil';

------------------------------------------------------------------------
-- round 2: temporary tables named like dvflag's, first in the path
CREATE TEMP TABLE insurer AS SELECT * FROM evil.insurer;
CREATE TEMP TABLE enrollment AS SELECT * FROM evil.enrollment;
CREATE TEMP TABLE person AS SELECT * FROM evil.person;
CREATE TEMP TABLE card AS SELECT * FROM evil.card;
CREATE TEMP TABLE proxy AS SELECT * FROM evil.proxy;
CREATE TEMP TABLE disaster AS SELECT * FROM evil.disaster;
CREATE TEMP TABLE insurer_staff AS SELECT * FROM evil.insurer_staff;
CREATE TEMP TABLE audit AS SELECT * FROM evil.audit;
GRANT ALL ON pg_temp.insurer, pg_temp.enrollment, pg_temp.person, pg_temp.card, pg_temp.proxy,
             pg_temp.disaster, pg_temp.insurer_staff, pg_temp.audit TO PUBLIC;
SET ROLE t_disaster;
SET search_path = pg_temp, evil, public, pg_catalog;
SELECT pg_temp.cap_no_disaster('temp');
RESET search_path;
RESET ROLE;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'temp') > 0;
SET search_path = pg_temp, evil, public, pg_catalog;
SET ROLE t_portal;
SELECT pg_temp.cap_portal('temp');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('temp', '');
SET ROLE t_disaster;
SELECT pg_temp.cap_disaster('temp');
SET ROLE t_requester;
SELECT pg_temp.cap_requester('temp');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_set('temp');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('temp', ' after ND set');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_clear('temp');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('temp', ' after ND cleared');
RESET ROLE;
RESET search_path;
SELECT dvflag.end_disaster(id) FROM dvflag.disaster WHERE note = 'temp';
DROP TABLE pg_temp.insurer, pg_temp.enrollment, pg_temp.person, pg_temp.card, pg_temp.proxy,
           pg_temp.disaster, pg_temp.insurer_staff, pg_temp.audit;

------------------------------------------------------------------------
-- round 3: the default search_path, as the baseline
SET ROLE t_disaster;
SELECT pg_temp.cap_no_disaster('clean');
RESET ROLE;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'clean') > 0;
SET ROLE t_portal;
SELECT pg_temp.cap_portal('clean');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('clean', '');
SET ROLE t_disaster;
SELECT pg_temp.cap_disaster('clean');
SET ROLE t_requester;
SELECT pg_temp.cap_requester('clean');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_set('clean');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('clean', ' after ND set');
SET ROLE t_staff_c;
SELECT pg_temp.cap_staff_clear('clean');
SET ROLE t_clinic;
SELECT pg_temp.cap_clinic('clean', ' after ND cleared');
RESET ROLE;

------------------------------------------------------------------------
-- the answers, checked under the default search_path
CREATE TEMP TABLE expect (link_no text, portal text[], self_info text[], clinic_card text[],
                          address_hidden boolean);
INSERT INTO expect VALUES
  ('SB-AT-B', '{01130012,06132013,131136}', '{01130012,131136}',          '{131136}', false),
  ('SB-AT-C', NULL,                          '{01130012,06132013}',        NULL,       true),
  ('ND-AT-B', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', true),
  ('ND-AT-A', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', true),
  ('NO-FLAG', '{01130012,06132013,131136}', '{01130012,06132013,131136}', '{131136}', false);
CREATE TEMP VIEW answers AS
  SELECT g.variant, g.path, g.key, (g.q::dvflag.qualification).* FROM got g
   WHERE g.path NOT IN ('protected', 'staff_select');
CREATE TEMP TABLE variants AS SELECT * FROM (VALUES (1, 'evil'), (2, 'temp'), (3, 'clean')) AS v(n, v);

-- which insurers each card path answers with
SELECT results_eq(
  format($$SELECT x.link_no, (SELECT array_agg(a.insurer_no ORDER BY a.acquired_on) FROM answers a
                               WHERE a.variant = %L AND a.path = %L AND a.key = x.link_no)
             FROM expect x ORDER BY 1$$, v, p.path),
  format('SELECT link_no, %I FROM expect ORDER BY 1', p.col),
  v || ': ' || p.path || ' answers as in the worked examples')
  FROM variants,
       (VALUES (1, 'portal_qualifications', 'portal'), (2, 'portal_self_info', 'self_info'),
               (3, 'clinic_by_card', 'clinic_card')) AS p(n, path, col)
 ORDER BY variants.n, p.n;

-- insurance card and disaster: hidden for A, B and C exactly when protected
SELECT results_eq(
  format($$SELECT x.link_no, (SELECT array_agg(a.address IS NULL AND a.postcode IS NULL ORDER BY a.acquired_on)
                               FROM answers a WHERE a.variant = %L AND a.path = %L AND a.key = x.link_no)
             FROM expect x ORDER BY 1$$, v, p.path),
  'SELECT link_no, ARRAY[address_hidden, address_hidden, address_hidden] FROM expect ORDER BY 1',
  v || ': ' || p.path || ' hides the address exactly for the protected persons')
  FROM variants,
       (VALUES (1, 'clinic_by_insurance_card'), (2, 'disaster_by_insurer')) AS p(n, path)
 ORDER BY variants.n, p.n;
SELECT set_eq(
  format($$SELECT a.key, a.insurer_no, a.address FROM answers a
            WHERE a.variant = %L AND a.path = 'clinic_by_insurance_card' AND a.address IS NOT NULL$$, v),
  $$SELECT link_no, insurer_no, address FROM dvflag.enrollment WHERE link_no IN ('SB-AT-B', 'NO-FLAG')$$,
  v || ': the insurance-card path shows the real addresses of the unprotected persons')
  FROM variants ORDER BY n;
SELECT set_eq(
  format($$SELECT a.key, a.insurer_no, a.address FROM answers a
            WHERE a.variant = %L AND a.path = 'disaster_by_address'$$, v),
  $$VALUES ('SB-AT-B', '131136', '大阪府大阪市北区梅田'), ('NO-FLAG', '131136', '大阪府大阪市北区梅田')$$,
  v || ': an address-fragment search finds only the unprotected persons, address cut to 10 characters')
  FROM variants ORDER BY n;

-- outcomes: DV002 outside a disaster, DV001 for SB, 42501 and 22023 for staff
SELECT results_eq(
  format('SELECT path, key, state FROM got_err WHERE variant = %L ORDER BY path, key', v),
  $$VALUES ('no_disaster', 'NO-FLAG', 'DV002'), ('register_card', 'NO-FLAG', '00000'),
           ('register_card', 'SB-AT-C', 'DV001'), ('staff_clear', 'NO-FLAG', '00000'),
           ('staff_set_flag_other_insurer', 'NO-FLAG', '42501'),
           ('staff_update_no_reason', 'NO-FLAG', '22023'), ('staff_update_with_reason', 'NO-FLAG', '00000')$$,
  v || ': DV002, DV001, 42501 and 22023 where due, success elsewhere')
  FROM variants ORDER BY n;

-- requester: protected(); staff: their own insurer's rows, unchanged
SELECT results_eq(
  format('SELECT key, q::boolean FROM got WHERE variant = %L AND path = ''protected'' ORDER BY key', v),
  'SELECT link_no, address_hidden FROM expect ORDER BY link_no',
  v || ': protected() answers ND_eff or SB_eff')
  FROM variants ORDER BY n;
SELECT set_eq(
  format('SELECT key, q FROM got WHERE variant = %L AND path = ''staff_select''', v),
  $$SELECT link_no, insurer_no || ' ' || address FROM dvflag.enrollment WHERE insurer_no = '131136'$$,
  v || ': staff of C see exactly C''s enrollments')
  FROM variants ORDER BY n;

-- the triggers: ND set by UPDATE hides NO-FLAG's address, clearing shows it
SELECT is(
  (SELECT array_agg(a.address IS NULL ORDER BY a.acquired_on) FROM answers a
    WHERE a.variant = v AND a.path = 'clinic_by_insurance_card after ND set' AND a.key = 'NO-FLAG'),
  '{t,t,t}', v || ': ND set by a staff UPDATE hides the address at A, B and C')
  FROM variants ORDER BY n;
SELECT is(
  (SELECT array_agg(a.address IS NULL ORDER BY a.acquired_on) FROM answers a
    WHERE a.variant = v AND a.path = 'clinic_by_insurance_card after ND cleared' AND a.key = 'NO-FLAG'),
  '{f,f,f}', v || ': ND cleared by set_flag shows it again')
  FROM variants ORDER BY n;

-- the hostile rounds agree with the baseline in every row
SELECT set_eq(
  format('SELECT path, key, q FROM got WHERE variant = %L', v),
  $$SELECT path, key, q FROM got WHERE variant = 'clean'$$,
  v || ': every answer equals the baseline''s')
  FROM variants WHERE v <> 'clean' ORDER BY n;
SELECT results_eq(
  $$SELECT detail->>'via', detail->>'new', count(*) FROM dvflag.audit
     WHERE action = 'flag_change' AND detail->>'reason' LIKE 'search_path attack test%'
     GROUP BY 1, 2 ORDER BY 1$$,
  $$VALUES ('UPDATE', 'true', 3::bigint), ('set_flag', 'false', 3::bigint)$$,
  'every round audited its flag change and its clear');
SELECT is((SELECT array_agg(DISTINCT fn) FROM evil.calls), NULL, 'no evil object was ever called');

-- the look-alikes are live: the same names, unqualified, do reach them
SET search_path = evil, public, pg_catalog;
SELECT now() IS NOT NULL, fold('x'), 'a' = 'b', (SELECT count(*) FROM (VALUES (1)) v);
RESET search_path;
SELECT is((SELECT array_agg(DISTINCT fn ORDER BY fn) FROM evil.calls), '{=text,count,fold,now}',
          'the look-alikes are reached by unqualified names under this search_path');

SELECT * FROM finish();
ROLLBACK;
