-- Bad input (API.md): every function refuses NULL, empty, blank (ASCII
-- spaces, the ideographic space U+3000) and malformed arguments with a
-- specific SQLSTATE -- 22023 for a bad argument, P0002 for a named thing
-- that does not exist, 42501 for no right to act -- and changes nothing.
-- The table constraints refuse malformed rows (23514, 23505).
-- A = 01130012, B = 06132013, C = 131136 (test/fixtures/worked_examples.sql).
BEGIN;
SELECT plan(248);
\i test/fixtures/worked_examples.sql

CREATE ROLE t_admin LOGIN IN ROLE dvflag_admin;
CREATE ROLE t_staff_a LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_disaster LOGIN IN ROLE dvflag_disaster;
CREATE ROLE t_requester LOGIN IN ROLE dvflag_requester;
SELECT dvflag.grant_insurer('t_staff_a', '01130012') AS granted \gset
-- a disaster is declared, so that a refused search is refused for its input
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'bad input tests')
  AS disaster_id \gset

-- A checksum of each table, to show that the refused calls changed nothing.
CREATE FUNCTION pg_temp.table_state(tbl text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  s text;
BEGIN
  EXECUTE format('SELECT count(*) || '':'' || md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), ''''))'
                 ' FROM %s t', tbl) INTO s;
  RETURN s;
END
$f$;
CREATE TEMP TABLE state_before AS
  SELECT tbl, pg_temp.table_state(tbl) AS state
    FROM unnest(ARRAY['dvflag.enrollment', 'dvflag.card', 'dvflag.proxy', 'dvflag.disaster',
                      'dvflag.audit', 'dvflag.person', 'dvflag.insurer', 'dvflag.insurer_staff']) AS tbl;

-- Each case: the statement, the SQLSTATE it must raise, what is wrong.
CREATE TEMP TABLE cases (role name, fn text, sql text, code char(5), what text, seq serial);
GRANT SELECT ON cases TO PUBLIC;

-- portal (RULES.md §3 rows 1, 2): a card serial is required
INSERT INTO cases (role, fn, sql, code, what)
SELECT 't_portal', f, format(s, f), c, w
  FROM unnest(ARRAY['portal_qualifications', 'portal_self_info']) WITH ORDINALITY AS fn(f, i),
       (VALUES (1, $$SELECT * FROM dvflag.%s(NULL)$$, '22023', 'card_serial NULL'),
               (2, $$SELECT * FROM dvflag.%s('')$$, '22023', 'card_serial empty'),
               (3, $$SELECT * FROM dvflag.%s('   ')$$, '22023', 'card_serial of spaces'),
               (4, $$SELECT * FROM dvflag.%s('　')$$, '22023', 'card_serial of U+3000'),
               (5, $$SELECT * FROM dvflag.%s('CARD-NO-FLAG', '')$$, '22023', 'principal_link_no empty'),
               (6, $$SELECT * FROM dvflag.%s('CARD-NO-FLAG', ' 　 ')$$, '22023', 'principal_link_no blank')
       ) AS v(j, s, c, w)
 ORDER BY i, j;

-- register_card (row 7)
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_portal', 'register_card', $$SELECT dvflag.register_card(NULL, '131136', NULL, '1005', '00')$$, '22023', 'card_serial NULL'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('', '131136', NULL, '1005', '00')$$, '22023', 'card_serial empty'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('  ', '131136', NULL, '1005', '00')$$, '22023', 'card_serial of spaces'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('　', '131136', NULL, '1005', '00')$$, '22023', 'card_serial of U+3000'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', NULL, NULL, '1005', '00')$$, '22023', 'insurer_no NULL'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '', NULL, '1005', '00')$$, '22023', 'insurer_no empty'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '　', NULL, '1005', '00')$$, '22023', 'insurer_no of U+3000'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '1311360', NULL, '1005', '00')$$, '22023', 'insurer_no of 7 digits'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', 'abcdef', NULL, '1005', '00')$$, '22023', 'insurer_no of letters'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '１３１１３６', NULL, '1005', '00')$$, '22023', 'insurer_no in full-width digits'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '01130013', 'A1', '1005', '00')$$, '22023', 'insurer_no with a wrong check digit'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', '', '1005', '00')$$, '22023', 'symbol empty'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', '　', '1005', '00')$$, '22023', 'symbol of U+3000'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, NULL, '00')$$, '22023', 'number NULL'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '', '00')$$, '22023', 'number empty'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '　', '00')$$, '22023', 'number of U+3000'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', NULL)$$, '22023', 'branch NULL'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', '0')$$, '22023', 'branch of one digit'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', '000')$$, '22023', 'branch of three digits'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', 'ab')$$, '22023', 'branch of letters'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '1005', '００')$$, '22023', 'branch in full-width digits'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '131136', NULL, '9999', '00')$$, 'P0002', 'unknown enrollment'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '01130012', NULL, '1005', '00')$$, 'P0002', 'unknown enrollment (A has a symbol, none given)'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('NEW-1', '01130020', 'A1', '1005', '00')$$, 'P0002', 'unknown insurer'),
  ('t_portal', 'register_card', $$SELECT dvflag.register_card('CARD-ND-AT-A', '131136', NULL, '1005', '00')$$, '23505', 'card registered to another person');

-- set_proxy, remove_proxy
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy(NULL, 'ND-AT-A')$$, '22023', 'card_serial NULL'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('', 'ND-AT-A')$$, '22023', 'card_serial empty'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('　', 'ND-AT-A')$$, '22023', 'card_serial of U+3000'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', NULL)$$, '22023', 'agent_link_no NULL'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', '')$$, '22023', 'agent_link_no empty'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', '   ')$$, '22023', 'agent_link_no of spaces'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', '　')$$, '22023', 'agent_link_no of U+3000'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', 'NO-FLAG')$$, '22023', 'the principal as their own proxy'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NO-FLAG', 'NOBODY')$$, 'P0002', 'unknown agent'),
  ('t_portal', 'set_proxy', $$SELECT dvflag.set_proxy('CARD-NOBODY', 'ND-AT-A')$$, 'P0002', 'unknown card'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy(NULL, 'ND-AT-A')$$, '22023', 'card_serial NULL'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('', 'ND-AT-A')$$, '22023', 'card_serial empty'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('　', 'ND-AT-A')$$, '22023', 'card_serial of U+3000'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('CARD-NO-FLAG', NULL)$$, '22023', 'agent_link_no NULL'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('CARD-NO-FLAG', '')$$, '22023', 'agent_link_no empty'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('CARD-NO-FLAG', ' 　')$$, '22023', 'agent_link_no blank'),
  ('t_portal', 'remove_proxy', $$SELECT dvflag.remove_proxy('CARD-NOBODY', 'ND-AT-A')$$, 'P0002', 'unknown card');

-- clinic (rows 4, 5)
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_clinic', 'clinic_by_card', $$SELECT * FROM dvflag.clinic_by_card(NULL)$$, '22023', 'card_serial NULL'),
  ('t_clinic', 'clinic_by_card', $$SELECT * FROM dvflag.clinic_by_card('')$$, '22023', 'card_serial empty'),
  ('t_clinic', 'clinic_by_card', $$SELECT * FROM dvflag.clinic_by_card('  ')$$, '22023', 'card_serial of spaces'),
  ('t_clinic', 'clinic_by_card', $$SELECT * FROM dvflag.clinic_by_card('　')$$, '22023', 'card_serial of U+3000'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card(NULL, 'A1', '1005', '00')$$, '22023', 'insurer_no NULL'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('', 'A1', '1005', '00')$$, '22023', 'insurer_no empty'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('   ', 'A1', '1005', '00')$$, '22023', 'insurer_no of spaces'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('　', 'A1', '1005', '00')$$, '22023', 'insurer_no of U+3000'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('0113001', 'A1', '1005', '00')$$, '22023', 'insurer_no of 7 digits'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('011300120', 'A1', '1005', '00')$$, '22023', 'insurer_no of 9 digits'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('abcdefgh', 'A1', '1005', '00')$$, '22023', 'insurer_no of letters'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('０１１３００１２', 'A1', '1005', '00')$$, '22023', 'insurer_no in full-width digits'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130013', 'A1', '1005', '00')$$, '22023', 'insurer_no with a wrong check digit'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card(' 01130012', 'A1', '1005', '00')$$, '22023', 'insurer_no with a leading space'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', '', '1005', '00')$$, '22023', 'symbol empty'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', '　', '1005', '00')$$, '22023', 'symbol of U+3000'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', NULL, '00')$$, '22023', 'number NULL'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '', '00')$$, '22023', 'number empty'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '　　', '00')$$, '22023', 'number of U+3000'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', NULL)$$, '22023', 'branch NULL'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', '')$$, '22023', 'branch empty'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', '0')$$, '22023', 'branch of one digit'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', '000')$$, '22023', 'branch of three digits'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', 'ab')$$, '22023', 'branch of letters'),
  ('t_clinic', 'clinic_by_insurance_card', $$SELECT * FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '1005', '０１')$$, '22023', 'branch in full-width digits'),
  ('t_clinic', 'protected', $$SELECT dvflag.protected('NO-FLAG')$$, '42501', 'a clinic may not ask');

-- disaster mode (row 6), while a disaster is declared
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search(NULL, kana => 'タナカ ケン', insurer_name => '保険')$$, '22023', 'birth_date NULL'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', insurer_name => '保険')$$, '22023', 'neither name nor kana'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', name => '', insurer_name => '保険')$$, '22023', 'name empty'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', name => '   ', insurer_name => '保険')$$, '22023', 'name of spaces'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', name => '　　', insurer_name => '保険')$$, '22023', 'name of U+3000'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => '', insurer_name => '保険')$$, '22023', 'kana empty'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => ' 　 ', insurer_name => '保険')$$, '22023', 'kana blank'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', name => '田中 健', kana => '　', insurer_name => '保険')$$, '22023', 'kana blank beside a good name'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン')$$, '22023', 'no fragment at all'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大')$$, '22023', 'address fragment of one character'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大　')$$, '22023', 'address fragment of one character and U+3000'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => ' 大 ')$$, '22023', 'address fragment of one character and spaces'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '')$$, '22023', 'address fragment empty'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '    ')$$, '22023', 'address fragment of spaces'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '　　')$$, '22023', 'address fragment of U+3000'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '%')$$, '22023', 'address fragment of one wildcard'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保')$$, '22023', 'insurer_name fragment of one character'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '　 ')$$, '22023', 'insurer_name fragment blank'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大', insurer_name => '保険')$$, '22023', 'a short address fragment beside a good insurer_name'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大阪', insurer_name => '保')$$, '22023', 'a short insurer_name fragment beside a good address'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険', sex => 3)$$, '22023', 'sex 3'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険', sex => -1)$$, '22023', 'sex -1'),
  ('t_disaster', 'disaster_search', $$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険', sex => 10::smallint)$$, '22023', 'sex 10');

-- insurer staff (mapped to A): set_flag, stop_card, protected
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag(NULL, 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no empty'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('　', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no of U+3000'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('0113001', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no of 7 digits'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('abcdefgh', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no of letters'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('０１１３００１２', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no in full-width digits'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130013', 'A1', '1005', '00', 'nd', true, 'test')$$, '22023', 'insurer_no with a wrong check digit'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', '', '1005', '00', 'nd', true, 'test')$$, '22023', 'symbol empty'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', '　', '1005', '00', 'nd', true, 'test')$$, '22023', 'symbol of U+3000'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', NULL, '00', 'nd', true, 'test')$$, '22023', 'number NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', ' 　', '00', 'nd', true, 'test')$$, '22023', 'number blank'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', NULL, 'nd', true, 'test')$$, '22023', 'branch NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '0', 'nd', true, 'test')$$, '22023', 'branch of one digit'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '000', 'nd', true, 'test')$$, '22023', 'branch of three digits'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', 'ab', 'nd', true, 'test')$$, '22023', 'branch of letters'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', NULL, true, 'test')$$, '22023', 'flag NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', '', true, 'test')$$, '22023', 'flag empty'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'xx', true, 'test')$$, '22023', 'unknown flag xx'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd ', true, 'test')$$, '22023', 'flag with a trailing space'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'ｎｄ', true, 'test')$$, '22023', 'flag in full-width letters'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', NULL, 'test')$$, '22023', 'value NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, NULL)$$, '22023', 'reason NULL'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, '')$$, '22023', 'reason empty'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, '   ')$$, '22023', 'reason of spaces'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, '　')$$, '22023', 'reason of U+3000'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, E'\u3000 \t\u3000')$$, '22023', 'reason of mixed white space'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '9999', '00', 'nd', true, 'test')$$, 'P0002', 'unknown enrollment'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', NULL, '1005', '00', 'nd', true, 'test')$$, 'P0002', 'unknown enrollment (A has a symbol, none given)'),
  ('t_staff_a', 'set_flag', $$SELECT dvflag.set_flag('01130012', 'A1', '1005', '01', 'nd', true, 'test')$$, 'P0002', 'unknown enrollment (another branch)'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card(NULL, 'test')$$, '22023', 'card_serial NULL'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('', 'test')$$, '22023', 'card_serial empty'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('　', 'test')$$, '22023', 'card_serial of U+3000'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('CARD-NO-FLAG', NULL)$$, '22023', 'reason NULL'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('CARD-NO-FLAG', '')$$, '22023', 'reason empty'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('CARD-NO-FLAG', '   ')$$, '22023', 'reason of spaces'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('CARD-NO-FLAG', '　')$$, '22023', 'reason of U+3000'),
  ('t_staff_a', 'stop_card', $$SELECT dvflag.stop_card('CARD-NOBODY', 'test')$$, '42501', 'unknown card: as another insurer''s card (no existence oracle)'),
  ('t_staff_a', 'protected', $$SELECT dvflag.protected(NULL)$$, '22023', 'link_no NULL'),
  ('t_staff_a', 'protected', $$SELECT dvflag.protected('')$$, '22023', 'link_no empty'),
  ('t_staff_a', 'protected', $$SELECT dvflag.protected('　')$$, '22023', 'link_no of U+3000'),
  ('t_requester', 'protected', $$SELECT dvflag.protected(' ')$$, '22023', 'link_no of a space');

-- admin: disasters and the insurer mapping
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(NULL, now() + interval '1 day', 'test')$$, '22023', 'starts NULL'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), NULL, 'test')$$, '22023', 'ends NULL'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), now(), 'test')$$, '22023', 'ends = starts'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), now() - interval '1 second', 'test')$$, '22023', 'ends before starts'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), now() + interval '1 day', NULL)$$, '22023', 'note NULL'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), now() + interval '1 day', '')$$, '22023', 'note empty'),
  ('t_admin', 'declare_disaster', $$SELECT dvflag.declare_disaster(now(), now() + interval '1 day', '　')$$, '22023', 'note of U+3000'),
  ('t_admin', 'end_disaster', $$SELECT dvflag.end_disaster(NULL)$$, '22023', 'id NULL'),
  ('t_admin', 'end_disaster', $$SELECT dvflag.end_disaster(-1)$$, 'P0002', 'unknown id'),
  ('t_admin', 'stop_card', $$SELECT dvflag.stop_card('CARD-NOBODY', 'test')$$, 'P0002', 'unknown card (admin sees every card)'),
  ('t_admin', 'end_disaster', $$SELECT dvflag.end_disaster(9223372036854775807)$$, 'P0002', 'unknown id (the greatest bigint)'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer(NULL, '01130012')$$, '22023', 'role NULL'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', NULL)$$, '22023', 'insurer_no NULL'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '')$$, '22023', 'insurer_no empty'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '　')$$, '22023', 'insurer_no of U+3000'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '0613201')$$, '22023', 'insurer_no of 7 digits'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', 'abcdefgh')$$, '22023', 'insurer_no of letters'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '０６１３２０１３')$$, '22023', 'insurer_no in full-width digits'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '06132014')$$, '22023', 'insurer_no with a wrong check digit'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '01130020')$$, 'P0002', 'unknown insurer (8 digits)'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_staff_a', '271004')$$, 'P0002', 'unknown insurer (6 digits)'),
  ('t_admin', 'grant_insurer', $$SELECT dvflag.grant_insurer('t_no_such_role', '01130012')$$, '42704', 'unknown role'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer(NULL, '01130012')$$, '22023', 'role NULL'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer('t_staff_a', NULL)$$, '22023', 'insurer_no NULL'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer('t_staff_a', ' ')$$, '22023', 'insurer_no of a space'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer('t_staff_a', '01130013')$$, '22023', 'insurer_no with a wrong check digit'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer('t_staff_a', '０１１３００１２')$$, '22023', 'insurer_no in full-width digits'),
  ('t_admin', 'revoke_insurer', $$SELECT dvflag.revoke_insurer('t_staff_a', '01130020')$$, 'P0002', 'unknown insurer');

-- Table constraints, by admin through plain DML (dvflag.insurer, dvflag.enrollment).
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('0113002', 'x')$$, '23514', 'insurer_no of 7 digits'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('01130021', 'x')$$, '23514', 'insurer_no with a wrong check digit'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('０１１３００２０', 'x')$$, '23514', 'insurer_no in full-width digits'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('abcdef', 'x')$$, '23514', 'insurer_no of letters'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('', 'x')$$, '23514', 'insurer_no empty'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES (NULL, 'x')$$, '23502', 'insurer_no NULL'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('01130020', '')$$, '23514', 'name empty'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('01130020', '   ')$$, '23514', 'name of spaces'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('01130020', '　')$$, '23514', 'name of U+3000'),
  ('t_admin', 'insurer', $$INSERT INTO dvflag.insurer VALUES ('01130012', 'again')$$, '23505', 'insurer_no twice');

-- An INSERT of a good new enrollment at A, with the columns in 'changes' replaced.
CREATE FUNCTION pg_temp.enrollment_insert(changes jsonb) RETURNS text LANGUAGE sql AS $f$
  SELECT format('INSERT INTO dvflag.enrollment (%1$s) SELECT %1$s FROM jsonb_to_record(%2$L) AS r(link_no text,'
                ' insurer_no text, symbol text, number text, branch text, acquired_on date, lost_on date,'
                ' name text, kana text, sex smallint, birth_date date, address text, postcode text)',
                'link_no, insurer_no, symbol, number, branch, acquired_on, lost_on, name, kana, sex, birth_date,'
                ' address, postcode',
                jsonb_build_object('link_no', 'NEW-PERSON', 'insurer_no', '01130012', 'symbol', 'A1',
                                   'number', '2001', 'branch', '00', 'acquired_on', '2020-04-01',
                                   'lost_on', NULL, 'name', '新 規', 'kana', 'シン キ', 'sex', 1,
                                   'birth_date', '1999-09-09', 'address', '東京都新宿区',
                                   'postcode', '160-0023') || changes);
$f$;
INSERT INTO cases (role, fn, sql, code, what)
SELECT 't_admin', 'enrollment', pg_temp.enrollment_insert(c::jsonb), code, w
  FROM (VALUES
    ('{"lost_on": "2020-03-31"}', '23514', 'lost_on before acquired_on'),
    ('{"acquired_on": null}', '23502', 'acquired_on NULL'),
    ('{"sex": 5}', '23514', 'sex 5'),
    ('{"sex": 3}', '23514', 'sex 3'),
    ('{"branch": "1"}', '23514', 'branch of one digit'),
    ('{"branch": "001"}', '23514', 'branch of three digits'),
    ('{"branch": "ab"}', '23514', 'branch of letters'),
    ('{"branch": "０１"}', '23514', 'branch in full-width digits'),
    ('{"branch": null}', '23502', 'branch NULL'),
    ('{"postcode": "abc"}', '23514', 'postcode abc'),
    ('{"postcode": "160-00231"}', '23514', 'postcode of 8 digits'),
    ('{"postcode": "１６０－００２３"}', '23514', 'postcode in full-width digits'),
    ('{"link_no": ""}', '23514', 'link_no empty'),
    ('{"link_no": "   "}', '23514', 'link_no of spaces'),
    ('{"link_no": "　"}', '23514', 'link_no of U+3000'),
    ('{"link_no": null}', '23502', 'link_no NULL'),
    ('{"symbol": ""}', '23514', 'symbol empty'),
    ('{"symbol": "　"}', '23514', 'symbol of U+3000'),
    ('{"number": ""}', '23514', 'number empty'),
    ('{"number": "　"}', '23514', 'number of U+3000'),
    ('{"number": null}', '23502', 'number NULL'),
    ('{"insurer_no": "999999"}', '23503', 'unknown insurer'),
    ('{"number": "1001"}', '23505', 'the insurance card of another enrollment (with a symbol)'),
    ('{"insurer_no": "131136", "symbol": null, "number": "1005", "acquired_on": "2022-01-01"}', '23505',
     'the insurance card of another enrollment (both without a symbol: NULLS NOT DISTINCT)')
  ) AS v(c, code, w);
INSERT INTO cases (role, fn, sql, code, what) VALUES
  ('t_admin', 'enrollment', $$UPDATE dvflag.enrollment SET lost_on = acquired_on - 1
                               WHERE insurer_no = '131136' AND number = '1005'$$,
   '23514', 'UPDATE to lost_on before acquired_on'),
  ('t_admin', 'enrollment', $$UPDATE dvflag.enrollment SET sex = 5 WHERE link_no = 'NO-FLAG'$$,
   '23514', 'UPDATE to sex 5'),
  ('t_admin', 'enrollment', $$UPDATE dvflag.enrollment SET symbol = NULL, number = '1001', branch = '00'
                               WHERE insurer_no = '131136' AND number = '1005'$$,
   '23505', 'UPDATE to the insurance card of another enrollment (both without a symbol)');

-- Run every case as its role.
CREATE FUNCTION pg_temp.run_case(r name, s text, c char(5), w text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format('SET LOCAL ROLE %I', r);
  RETURN throws_ok(s, c, NULL, w);
END
$f$;
SELECT pg_temp.run_case(role, sql, code, fn || ': ' || what || ' -> ' || code) FROM cases ORDER BY seq;
RESET ROLE;

-- Absence is not an error: unknown cards and persons answer nothing.
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NOBODY')), 0::bigint,
          'portal_qualifications: an unknown card answers no rows, no error');
SELECT is((SELECT count(*) FROM dvflag.portal_self_info('CARD-NO-FLAG', 'NOBODY')), 0::bigint,
          'portal_self_info: an unknown principal answers no rows, no error');
SELECT is(dvflag.remove_proxy('CARD-NO-FLAG', 'NOBODY'), false,
          'remove_proxy: an agent who is no proxy is not an error, returns false');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card('CARD-NOBODY')), 0::bigint,
          'clinic_by_card: an unknown card answers no rows, no error');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_insurance_card('01130012', 'A1', '9999', '00')), 0::bigint,
          'clinic_by_insurance_card: an unknown insurance card answers no rows, no error');
-- (a question that is answered is audited: rolled back here, so that the
-- tables below show what the refused calls did)
SAVEPOINT asked;
SET ROLE t_staff_a;
SELECT is(dvflag.protected('NOBODY'), false, 'protected: an unknown person is not protected, no error');
RESET ROLE;
ROLLBACK TO SAVEPOINT asked;

-- The messages say what to fix.
\i test/fixtures/error_of.sql
SET ROLE t_staff_a;
SELECT throws_ok($$SELECT dvflag.set_flag('01130013', 'A1', '1005', '00', 'nd', true, 'test')$$,
                 '22023', 'insurer_no "01130013" has a wrong check digit',
                 'message: a wrong check digit is named');
SELECT throws_ok($$SELECT dvflag.set_flag('abcdefgh', 'A1', '1005', '00', 'nd', true, 'test')$$,
                 '22023', 'insurer_no "abcdefgh" contains a character other than 0-9',
                 'message: letters in the insurer number are named');
SELECT throws_ok($$SELECT dvflag.set_flag('0113001', 'A1', '1005', '00', 'nd', true, 'test')$$,
                 '22023', 'insurer_no "0113001" is not 8 or 6 digits long',
                 'message: a short insurer number is named');
SELECT matches(pg_temp.error_of($$SELECT dvflag.set_flag('０１１３００１２', 'A1', '1005', '00', 'nd', true, 'test')$$),
               '^22023: .*(other than 0-9|half-width)',
               'message: full-width digits are named as digits to write as 0-9, not as a wrong length');
SELECT matches(pg_temp.error_of($$SELECT dvflag.set_flag('０１１３００１２', 'A1', '1005', '00', 'nd', true, 'test')$$),
               '"０１１３００１２"', 'message: full-width digits are quoted whole, not cut inside a character');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '0', 'nd', true, 'test')$$,
                 '22023', 'branch "0" is not two digits', 'message: a bad branch is named');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'xx', true, 'test')$$,
                 '22023', 'unknown flag "xx"', 'message: an unknown flag is named');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', true, '　')$$,
                 '22023', 'a reason is required to change a flag', 'message: a blank reason asks for a reason');
SELECT throws_ok($$SELECT dvflag.set_flag('01130012', 'A1', '1005', '00', 'nd', NULL, 'test')$$,
                 '22023', 'value must not be NULL', 'message: a NULL value is named');
SELECT throws_ok($$SELECT dvflag.stop_card('CARD-NO-FLAG', '   ')$$,
                 '22023', 'reason must not be empty', 'message: stop_card names the empty reason');
SELECT throws_like($$SELECT dvflag.set_flag('01130012', 'A1', '9999', '00', 'nd', true, 'test')$$,
                   '%01130012/A1/9999/00%', 'message: an unknown enrollment names the insurance card');
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', address => '大')$$,
                 '22023', 'address fragment must have at least 2 characters',
                 'message: a short fragment is named');
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険', sex => 3)$$,
                 '22023', 'sex 3 is not a sex code', 'message: a bad sex code is named');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.set_proxy('CARD-NO-FLAG', 'NO-FLAG')$$,
                 '22023', 'a person cannot be their own proxy', 'message: a proxy to oneself is named');
SET ROLE t_admin;
SELECT throws_ok($$SELECT dvflag.declare_disaster(now(), now() - interval '1 hour', 'test')$$,
                 '22023', 'ends must be later than starts', 'message: the order of the dates is named');
SELECT throws_like(pg_temp.enrollment_insert('{"lost_on": "2020-03-31"}'),
                   '%enrollment_lost_after_acquired%', 'message: the violated constraint is named');
RESET ROLE;

-- Constraints of the tables only dvflag's functions write (here as superuser).
SELECT throws_ok($$INSERT INTO dvflag.card (card_serial, link_no) VALUES ('', 'NO-FLAG')$$,
                 '23514', NULL, 'card: card_serial empty -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.card (card_serial, link_no) VALUES ('CARD-NO-FLAG', 'NO-FLAG')$$,
                 '23505', NULL, 'card: card_serial twice -> 23505');
SELECT throws_ok($$INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ('NO-FLAG', 'NO-FLAG')$$,
                 '23514', NULL, 'proxy: a person as their own proxy -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.disaster (starts, ends, note) VALUES (now(), now() - interval '1 hour', 'x')$$,
                 '23514', NULL, 'disaster: ends before starts -> 23514');
SELECT throws_ok($$INSERT INTO dvflag.disaster (starts, ends, note) VALUES (now(), now(), 'x')$$,
                 '23514', NULL, 'disaster: ends = starts -> 23514');

-- Nothing of the above changed anything.
SELECT is(pg_temp.table_state(b.tbl), b.state, b.tbl || ': unchanged by the refused calls')
  FROM state_before b ORDER BY b.tbl;

-- DV002 outside a declared disaster, DV003 for more than 20 candidates.
SET ROLE t_admin;
SELECT dvflag.end_disaster(:disaster_id) AS ended \gset
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')$$,
                 'DV002', NULL, 'disaster_search: after the disaster ended -> DV002');
SET ROLE t_admin;
SELECT dvflag.declare_disaster(now() + interval '1 hour', now() + interval '1 day', 'not yet') AS later \gset
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')$$,
                 'DV002', NULL, 'disaster_search: before a declared disaster starts -> DV002');
SET ROLE t_admin;
SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'again') AS again \gset
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address)
SELECT 'MANY-' || g, '01130012', 'M', 'M' || g, '00', date '2020-04-01', '同 名', 'ドウ メイ', 1, date '2000-01-01', '東京都'
  FROM generate_series(1, 21) AS g;
SET ROLE t_disaster;
SELECT throws_ok($$SELECT * FROM dvflag.disaster_search('2000-01-01', kana => 'ドウメイ', insurer_name => '保険')$$,
                 'DV003', NULL, 'disaster_search: 21 candidates -> DV003');
SET ROLE t_admin;
DELETE FROM dvflag.enrollment WHERE link_no = 'MANY-21';
SET ROLE t_disaster;
SELECT is((SELECT count(*) FROM dvflag.disaster_search('2000-01-01', kana => 'ドウメイ', insurer_name => '保険')),
          20::bigint, 'disaster_search: 20 candidates are answered');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
