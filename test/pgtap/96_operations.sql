-- What an operator watches: dvflag.disasters() lists the declared
-- disasters with their state (admin), dvflag.audit_summary() counts the
-- audited events by day, action and outcome (admin, auditor) and says
-- nothing of who, whom or what.
BEGIN;
SELECT plan(20);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_auditor LOGIN IN ROLE dvflag_auditor;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_staff LOGIN IN ROLE dvflag_insurer;
GRANT SELECT ON ALL TABLES IN SCHEMA pg_temp TO PUBLIC;

SELECT is(pg_get_function_result('dvflag.disasters()'::regprocedure),
          'TABLE(id bigint, starts timestamp with time zone, ends timestamp with time zone, note text, '
          'declared_at timestamp with time zone, ended_at timestamp with time zone, state text)',
          'disasters() returns the declared disasters'' columns and a state');
SELECT is(pg_get_function_result('dvflag.audit_summary(date, date)'::regprocedure),
          'TABLE(day date, action text, outcome text, events bigint)',
          'audit_summary() returns a day, an action, an outcome and a count: no column of a person');

SET ROLE t_admin;
SELECT dvflag.declare_disaster(now() - interval '2 days', now() - interval '1 day', 'over by itself') AS expired \gset
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'in force') AS active \gset
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'ended early') AS ended \gset
SELECT dvflag.declare_disaster(now() + interval '1 day', now() + interval '2 days', 'tomorrow') AS scheduled \gset
SELECT dvflag.end_disaster(:ended);
SELECT is((SELECT string_agg(note || ':' || state, ', ' ORDER BY id) FROM dvflag.disasters()),
          'over by itself:expired, in force:active, ended early:ended, tomorrow:scheduled',
          'disasters(): each declared disaster with its state');
SELECT is((SELECT array_agg(id ORDER BY id) FROM dvflag.disasters()),
          ARRAY[:expired, :active, :ended, :scheduled]::bigint[], 'with the ids end_disaster() takes');
SELECT is((SELECT ended_at IS NOT NULL FROM dvflag.disasters() WHERE id = :ended), true,
          'and when one was ended');
SELECT is((SELECT id FROM dvflag.disasters() LIMIT 1), :scheduled::bigint, 'the newest first');
RESET ROLE;
-- a search's audit row is written by the audit writer, rolled back or not:
-- count the ones of earlier tests first
SELECT dvflag.audit_flush();
SELECT coalesce(sum(events), 0) AS searches_before FROM dvflag.audit_summary()
 WHERE action = 'disaster_search' AND outcome = 'answered' \gset
SET ROLE t_disaster;
SELECT throws_ok('SELECT * FROM dvflag.disasters()', '42501', NULL, 'disasters() is for admin only');
SELECT throws_ok('SELECT * FROM dvflag.audit_summary()', '42501', NULL, 'audit_summary() is not for a clinic');
SELECT ok((SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')) > 0,
          'while the one it calls active is in force, a disaster search answers');
RESET ROLE;
SELECT dvflag.audit_flush();
SET ROLE t_staff;
SELECT throws_ok('SELECT * FROM dvflag.audit_summary()', '42501', NULL, 'nor for insurer staff');
SET ROLE t_auditor;
SELECT throws_ok('SELECT * FROM dvflag.disasters()', '42501', NULL, 'disasters() is not the auditor''s');

-- the worked examples set SB twice and ND twice; a search answered
SELECT is((SELECT string_agg(outcome || '=' || events, ', ' ORDER BY outcome)
             FROM dvflag.audit_summary() WHERE day = current_date AND action = 'flag_change'),
          'nd set=2, sb set=2', 'audit_summary(): flag changes by which flag and whether set or cleared');
SELECT is((SELECT sum(events) FROM dvflag.audit_summary() WHERE action = 'disaster_search' AND outcome = 'answered'),
          (:searches_before + 1)::numeric, 'searches by their outcome');
SELECT is((SELECT events FROM dvflag.audit_summary(current_date, current_date)
            WHERE action = 'protection_change' AND outcome = 'raised'),
          3::bigint, 'changes of protection, raised or lowered');
SELECT is((SELECT events FROM dvflag.audit_summary(current_date, current_date) WHERE action = 'disaster_declare'),
          4::bigint, 'and every other action, counted');
SELECT is((SELECT sum(events) FROM dvflag.audit_summary(current_date, current_date)),
          (SELECT count(*) FROM dvflag.audit WHERE at::date = current_date)::numeric,
          'a day holds every event of that day');
RESET ROLE;

-- a day long past, in the caller's time zone, its events planted with
-- personal data wherever the audit has room for it: a lapse of SB, a flag
-- and a search outcome that are not of the fixed list
SET LOCAL TimeZone = 'Asia/Tokyo';
INSERT INTO dvflag.audit (at, actor, client, action, target, detail) VALUES
  ('2001-02-02 23:59:59+09', 't_admin', '受付 山田', 'card_register', 'CARD-SB-AT-B', '{}'),
  ('2001-02-03 00:00:00+09', 't_admin', '受付 山田', 'card_register', 'CARD-SB-AT-B', '{}'),
  ('2001-02-03 09:00:00+09', 't_staff', '受付 山田', 'flag_change', '06132013/B2/1001/00',
   '{"flag": "sb", "old": true, "new": false, "reason": "山田 花子 moved to 東京都新宿区西新宿1-1-1", "link_no": "SB-AT-B"}'),
  ('2001-02-03 09:00:00+09', 't_staff', '受付 山田', 'protection_change', 'SB-AT-B',
   '{"nd_eff": {"old": false, "new": false}, "sb_eff": {"old": true, "new": false}, "reason": "山田 花子"}'),
  ('2001-02-03 10:00:00+09', 't_staff', '受付 山田', 'flag_change', '06132013/B2/1001/00',
   '{"flag": "山田 花子", "new": true, "link_no": "SB-AT-B"}'),
  ('2001-02-03 11:00:00+09', 'postgres', NULL, 'disaster_search', NULL,
   '{"outcome": "ヤマダ ハナコ", "criteria": {"kana": "ヤマダ ハナコ"}}'),
  ('2001-02-03 23:59:59+09', 't_admin', '受付 山田', 'card_register', 'CARD-SB-AT-B', '{}'),
  ('2001-02-04 00:00:00+09', 't_admin', '受付 山田', 'card_register', 'CARD-SB-AT-B', '{}');
SET ROLE t_auditor;
SELECT is((SELECT string_agg(format('%s %s %s %s', day, action, coalesce(outcome, '-'), events), ', '
                             ORDER BY action, outcome)
             FROM dvflag.audit_summary('2001-02-03', '2001-02-03')),
          '2001-02-03 card_register - 2, 2001-02-03 disaster_search - 1, 2001-02-03 flag_change sb cleared 1, '
          '2001-02-03 flag_change - 1, 2001-02-03 protection_change lowered 1',
          'from_day and to_day bound it, both days included, by the caller''s time zone; '
          'a lapse is a lowered protection; an outcome not of the list is none');
SELECT is((SELECT count(*) FROM dvflag.audit_summary(current_date - 2, current_date - 1)), 0::bigint,
          'a range without events is empty');
RESET ROLE;
-- nothing of the audit's people: every outcome is of the fixed list, and
-- no link_no, name, kana, address, card, target, actor, client or reason
-- shows in an action or an outcome
CREATE TEMP TABLE personal AS
SELECT DISTINCT v FROM (
  SELECT unnest(ARRAY[e.link_no, e.name, e.kana, e.address, e.number]) FROM dvflag.enrollment e
  UNION ALL SELECT c.card_serial FROM dvflag.card c
  UNION ALL SELECT unnest(ARRAY[a.target, a.actor, a.client, a.detail ->> 'reason', a.detail ->> 'link_no',
                                a.detail #>> '{criteria,kana}']) FROM dvflag.audit a
) AS x(v) WHERE v IS NOT NULL;
GRANT SELECT ON personal TO PUBLIC;
SET ROLE t_admin;
SELECT is((SELECT count(*) FROM dvflag.audit_summary() s
            WHERE s.outcome NOT IN ('nd set', 'nd cleared', 'sb set', 'sb cleared', 'ar set', 'ar cleared',
                                    'raised', 'lowered', 'answered', 'no_disaster', 'too_many',
                                    'match', 'no_match', 'several', 'provided', 'declined', 'expired',
                                    'no_copy', 'no_agency_code')),
          0::bigint, 'every outcome is of the fixed list');
SELECT is((SELECT count(*) FROM dvflag.audit_summary() s, personal p
            WHERE strpos(s.action || ' ' || coalesce(s.outcome, ''), p.v) > 0),
          0::bigint, 'no personal data: never a link_no, name, address, card, target, actor, client or reason');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
