-- Attack: tell "no answer" cases apart by the caller's own statistics.
-- clinic_by_card answers nothing for an SB holder, an unknown card and a
-- stopped card alike (RULES.md §3 rows 1 and 4), but the counters every
-- role may read (pg_stat_get_xact_numscans, _tuples_returned,
-- _tuples_fetched, _blocks_fetched, _blocks_hit of each dvflag relation)
-- and EXPLAIN (ANALYZE, BUFFERS) used to differ by what the path had read
-- before it answered.  The same for a proxy's portal call (did the
-- principal set SB?), the self-information (is an enrollment hidden by its
-- own SB?), the exchange history, the insurance card path and the disaster
-- search (how many people share a kana and birth date though no fragment
-- matched), and the health paths (RULES.md §3a: an SB holder and a person
-- with no records answer alike).  Every call below must leave the counters
-- as they were and show no buffer in EXPLAIN, whatever it answered.
BEGIN;
SELECT plan(17);
\i test/fixtures/worked_examples.sql
\i test/fixtures/health_records.sql
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'side channel test');
-- a stopped card; a proxy of a principal with SB_eff and of one without;
-- many persons with one kana and birth date, none at a matching insurer
SELECT dvflag.register_card('CARD-STOPPED', '131136', NULL, '1005', '00');
SELECT dvflag.stop_card('CARD-STOPPED', 'lost');
INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ('SB-AT-C', 'NO-FLAG'), ('ND-AT-B', 'NO-FLAG');
SET LOCAL dvflag.reason = 'side channel test';
INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, kana, birth_date, address)
SELECT 'TWIN-' || g, '131136', 'TWIN-' || g, '00', '2020-04-01', 'フタゴ', '2000-01-01', '大阪府'
  FROM generate_series(1, 15) g;
RESET dvflag.reason;
-- a card holder with no health record
SELECT dvflag.register_card('CARD-TWIN-1', '131136', NULL, 'TWIN-1', '00');

-- What a call leaves behind, as the caller can read it: the counters of
-- every dvflag table and index, and the buffers of EXPLAIN (ANALYZE,
-- BUFFERS).  'clean' when the counters are as before and no buffer shows.
CREATE FUNCTION pg_temp.counters() RETURNS TABLE (rel name, n bigint[]) LANGUAGE sql AS $$
  SELECT c.relname, ARRAY[pg_stat_get_xact_numscans(c.oid), pg_stat_get_xact_tuples_returned(c.oid),
                          pg_stat_get_xact_tuples_fetched(c.oid), pg_stat_get_xact_blocks_fetched(c.oid),
                          pg_stat_get_xact_blocks_hit(c.oid)]
    FROM pg_class c WHERE c.relnamespace = 'dvflag'::regnamespace AND c.relkind IN ('r', 'i')
$$;
-- the counters that moved, by how much (scans/returned/fetched/blocks
-- fetched/blocks hit), the buffers EXPLAIN shows, and the row count
CREATE FUNCTION pg_temp.trace(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  before jsonb := (SELECT jsonb_object_agg(rel, n) FROM pg_temp.counters());
  plan jsonb;
  moved text;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ' || call INTO plan;
  SELECT string_agg(format('%s +%s', a.rel,
                           array_to_string(ARRAY(SELECT x - y FROM unnest(a.n, b.n) AS z(x, y)), '/')),
                    ', ' ORDER BY a.rel) INTO moved
    FROM pg_temp.counters() a,
         LATERAL (SELECT ARRAY(SELECT jsonb_array_elements_text(before -> a.rel::text)::bigint) AS n) b
   WHERE a.n <> b.n;
  RETURN concat_ws('; ',
    CASE WHEN moved IS NOT NULL THEN 'counters moved: ' || moved END,
    (SELECT string_agg(k || ' ' || v, ', ')
       FROM jsonb_each_text(plan -> 0 -> 'Plan') AS e(k, v)
      WHERE k LIKE '%Blocks%' AND v <> '0'),
    'answered ' || (plan -> 0 -> 'Plan' ->> 'Actual Rows') || ' rows');
END $$;
-- the traces of several calls, without their row counts
CREATE FUNCTION pg_temp.traces(calls text[]) RETURNS text[] LANGUAGE sql AS $$
  SELECT array_agg(regexp_replace(pg_temp.trace(c), '(^|; )answered [0-9]+ rows$', '') ORDER BY n)
    FROM unnest(calls) WITH ORDINALITY AS u(c, n)
$$;

SET ROLE t_clinic;
SELECT is(pg_temp.trace($$SELECT * FROM dvflag.clinic_by_card('CARD-SB-AT-C')$$), 'answered 0 rows',
          'clinic_by_card, SB holder: no counter moves, no buffer shows');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.clinic_by_card('CARD-SB-AT-C')$$,
                               $$SELECT * FROM dvflag.clinic_by_card('NO-SUCH-CARD')$$,
                               $$SELECT * FROM dvflag.clinic_by_card('CARD-STOPPED')$$,
                               $$SELECT * FROM dvflag.clinic_by_card('CARD-NO-FLAG')$$,
                               $$SELECT * FROM dvflag.clinic_by_card('CARD-ND-AT-A')$$]),
          ARRAY['', '', '', '', ''],
          'clinic_by_card: an SB holder, an unknown card, a stopped card and answered cards leave the same statistics');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.clinic_health_by_card('CARD-SB-AT-C', true)$$,
                               $$SELECT * FROM dvflag.clinic_health_by_card('CARD-TWIN-1', true)$$,
                               $$SELECT * FROM dvflag.clinic_health_by_card('NO-SUCH-CARD', true)$$,
                               $$SELECT * FROM dvflag.clinic_health_by_card('CARD-STOPPED', true)$$,
                               $$SELECT * FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', true)$$,
                               $$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true, 'checkup')$$]),
          ARRAY['', '', '', '', '', ''],
          'clinic_health_by_card: an SB holder, a person with no records, an unknown or stopped card, answered: the same statistics (its audit row is the writer''s)');
SELECT is(pg_temp.trace($$SELECT * FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', true)$$), 'answered 3 rows',
          'an answered health read at the clinic reads nothing the caller can count');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00')$$,
                               $$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '9999', '00')$$,
                               $$SELECT * FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00')$$]),
          ARRAY['', '', ''], 'clinic_by_insurance_card: protected, unknown and plain enrollments alike');

SET ROLE t_portal;
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-C')$$,
                               $$SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-B')$$,
                               $$SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'ND-AT-B')$$,
                               $$SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'NO-SUCH-PERSON')$$]),
          ARRAY['', '', '', ''],
          'portal_qualifications by a proxy: a principal with SB, without a relation, answered: the same');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.portal_self_info('CARD-SB-AT-B')$$,
                               $$SELECT * FROM dvflag.portal_self_info('CARD-NO-FLAG')$$,
                               $$SELECT * FROM dvflag.portal_self_info('CARD-SB-AT-C')$$]),
          ARRAY['', '', ''], 'portal_self_info: an enrollment hidden by its own SB leaves no trace');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.portal_exchange_history('CARD-SB-AT-C')$$,
                               $$SELECT * FROM dvflag.portal_exchange_history('NO-SUCH-CARD')$$,
                               $$SELECT * FROM dvflag.portal_exchange_history('CARD-NO-FLAG')$$]),
          ARRAY['', '', ''], 'portal_exchange_history: SB, unknown and answered alike');
SELECT is(pg_temp.trace($$SELECT * FROM dvflag.portal_qualifications('CARD-NO-FLAG')$$), 'answered 3 rows',
          'an answered call, too, reads nothing the caller can count');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.portal_health('CARD-SB-AT-C')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-TWIN-1')$$,
                               $$SELECT * FROM dvflag.portal_health('NO-SUCH-CARD')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-STOPPED')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', 'SB-AT-C')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', 'ND-AT-B')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG', 'NO-SUCH-PERSON')$$,
                               $$SELECT * FROM dvflag.portal_health('CARD-NO-FLAG')$$]),
          ARRAY['', '', '', '', '', '', '', ''],
          'portal_health: an SB holder, no records, unknown and stopped cards, a proxy of a principal with SB, answered: the same');

SET ROLE t_disaster;
-- the search's audit row is written by the audit writer, not by the
-- search: no counter moves, whatever it found
SELECT is(pg_temp.traces(ARRAY[
            $$SELECT * FROM dvflag.disaster_search('2000-01-01', kana => 'フタゴ', insurer_name => 'さくら')$$,
            $$SELECT * FROM dvflag.disaster_search('2000-01-02', kana => 'フタゴ', insurer_name => 'さくら')$$,
            $$SELECT * FROM dvflag.disaster_search('1990-07-01', kana => 'サトウミサキ', address => '梅田')$$]),
          ARRAY['', '', ''],
          'disaster_search: 15 persons of one kana and birth date, none, or a protected one: the same statistics');
SELECT is(pg_temp.trace($$SELECT * FROM dvflag.disaster_search('2000-01-01', kana => 'フタゴ', address => '大阪府')$$),
          'answered 15 rows', 'an answered search leaves no counter or buffer either');
SELECT is(pg_temp.traces(ARRAY[$$SELECT * FROM dvflag.disaster_health('131136', NULL, '1002', '00', true)$$,
                               $$SELECT * FROM dvflag.disaster_health('131136', NULL, 'TWIN-1', '00', true)$$,
                               $$SELECT * FROM dvflag.disaster_health('131136', NULL, 'NO-SUCH', '00', true)$$,
                               $$SELECT * FROM dvflag.disaster_health('01130012', 'A1', '1005', '00', true)$$]),
          ARRAY['', '', '', ''],
          'disaster_health: a person under SB, one with no records, an unknown key, answered: the same statistics');
SELECT is(pg_temp.trace($$SELECT * FROM dvflag.disaster_health('131136', NULL, '1003', '00', true)$$), 'answered 3 rows',
          'an answered disaster health read leaves no counter or buffer either');
RESET ROLE;

-- what the caller's own reads show: they are counted as always
SELECT ok(pg_temp.trace('SELECT * FROM dvflag.enrollment WHERE number = ''1001''') LIKE 'counters moved: %',
          'the counters do count a plain read of a dvflag table (the test would see a leak)');
SELECT ok(pg_temp.trace('SELECT * FROM dvflag.enrollment WHERE number = ''1001''') ~ 'Shared Hit Blocks [1-9]',
          'and EXPLAIN shows its buffers');
SELECT ok((SELECT count(*) FROM dvflag.clinic_by_card('CARD-NO-FLAG')) = 1
          AND (SELECT count(*) FROM dvflag.portal_qualifications('CARD-SB-AT-C')) = 0,
          'the paths still answer as the rules say');

SELECT * FROM finish();
ROLLBACK;
