-- Attack: staff of one insurer probe another insurer's persons.  Staff of
-- A insert a throw-away enrollment of their own insurer with a foreign
-- link_no, in a transaction they roll back, and read the errors or what
-- the listings say: they learned whether the person exists, whether SB_eff
-- held (a move that ended it needed a reason: 22023), and, date by date,
-- the acquired_on of the person's latest enrollment elsewhere.  Every such
-- write must answer alike, whoever the link_no names; what protected() says
-- (it is meant to say it) is audited, as is the carry such an insert begins.
BEGIN;
SELECT plan(11);
\i test/fixtures/worked_examples.sql
\i test/fixtures/error_of.sql
INSERT INTO dvflag.insurer VALUES ('01010016', 'よそ 保険');
CREATE ROLE t_prober LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_prober', '01010016');

-- one probe: an own enrollment for that link_no, acquired on that day; what
-- the statement said, and what the prober's listings show, in a savepoint
-- rolled back as the prober would
CREATE FUNCTION pg_temp.probe(victim text, acquired date) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  answer text;
BEGIN
  BEGIN
    answer := pg_temp.error_of(format(
      $q$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
         VALUES (%L, '01010016', 'PROBE', '00', %L)$q$, victim, acquired));
    answer := answer || '; carried: ' || (SELECT count(*) FROM dvflag.sb_carried());
    answer := answer || '; decided: ' || dvflag.decide_carried_sb('01010016', NULL, 'PROBE', '00', false, 'probe');
    answer := answer || '; rows: ' || (SELECT count(*) FROM dvflag.enrollment);
    answer := answer || '; due: ' || (SELECT count(*) FROM dvflag.sb_due_for_clearing());
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = answer;
  EXCEPTION WHEN raise_exception THEN
    RETURN SQLERRM;
  END;
END $$;
CREATE TEMP TABLE probes AS
SELECT v.victim, d.acquired FROM (VALUES ('SB-AT-C'), ('SB-AT-B'), ('ND-AT-A'), ('NO-FLAG'), ('NOBODY-AT-ALL')) v(victim),
       (VALUES (date '2000-01-01'), ('2021-03-31'), ('2021-04-01'), ('2021-04-02'), ('2030-01-01')) d(acquired);
GRANT SELECT ON probes TO t_prober;

SET ROLE t_prober;
SELECT is((SELECT array_agg(DISTINCT pg_temp.probe(victim, acquired)) FROM probes),
          ARRAY['no error; carried: 0; decided: false; rows: 1; due: 0'],
          'an own enrollment for any link_no, acquired any day: the same answer for all 25 probes');
RESET ROLE;

-- the probes left nothing, and the protection of everyone is as before
SELECT is((SELECT count(*) FROM dvflag.enrollment WHERE insurer_no = '01010016'), 0::bigint,
          'every probe was rolled back');
SELECT is((SELECT array_agg(link_no || ' ' || sb_eff ORDER BY link_no) FROM dvflag.person),
          '{"ND-AT-A false","ND-AT-B false","NO-FLAG false","SB-AT-B false","SB-AT-C true"}',
          'SB_eff of every person as before');

-- not rolled back: the move that carries SB-AT-C's protection over
SET ROLE t_prober;
SET LOCAL dvflag.client = 'prober';
SELECT lives_ok($$INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on)
                  VALUES ('SB-AT-C', '01010016', 'PROBE', '00', '2030-01-01')$$,
                'a later enrollment of a protected person needs no reason');
RESET ROLE;
SELECT is((SELECT sb_eff FROM dvflag.person WHERE link_no = 'SB-AT-C'), true, 'and lifts nothing: SB_eff carries over');
SELECT is((SELECT count(*) FROM dvflag.audit WHERE action = 'sb_carried' AND detail ->> 'role' = 't_prober'
             AND client = 'prober' AND target = 'SB-AT-C'), 1::bigint,
          'the carry is audited with who began it (and in the server log, which a rollback does not undo)');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card('CARD-SB-AT-C')), 0::bigint,
          'the clinic still gets no answer for the card');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_insurance_card('131136', NULL, '1002', '00') q
            WHERE q.address IS NOT NULL), 0::bigint, 'and no address of C');

-- protected() is the one question staff may ask, and every asking is audited
SET ROLE t_prober;
SET LOCAL dvflag.client = 'prober';
SELECT is(ARRAY[dvflag.protected('SB-AT-C'), dvflag.protected('NOBODY-AT-ALL')], ARRAY[true, false],
          'protected() answers what it is meant to');
RESET ROLE;
SELECT is((SELECT array_agg(target || ' ' || (detail ->> 'protected') ORDER BY id) FROM dvflag.audit
            WHERE action = 'protected_asked' AND detail ->> 'role' = 't_prober' AND client = 'prober'),
          '{"SB-AT-C true","NOBODY-AT-ALL false"}', 'each question is audited, with its answer');
SELECT is(pg_temp.error_of($$UPDATE dvflag.enrollment SET acquired_on = '2031-01-01' WHERE number = 'PROBE'$$),
          'no error', 're-dating the probe (no flag on it) needs no reason either');

SELECT * FROM finish();
ROLLBACK;
