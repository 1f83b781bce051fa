-- RULES.md §2 through the SQL paths: latest(P) and its tie-breaks, ND_eff
-- over any past insurer, SB_eff of the latest insurer, and how corrections,
-- clears, moves to a new insurer and removals change them.
BEGIN;
SELECT plan(28);

INSERT INTO dvflag.insurer VALUES ('01130012', 'A 保険'), ('06132013', 'B 保険'), ('131136', 'C 国保');
SET LOCAL dvflag.reason = 'rules test';

-- the address on the insurance-card path shows hide_address(P)
CREATE FUNCTION pg_temp.hidden(ins text, num text) RETURNS boolean LANGUAGE sql AS $$
  SELECT q.address IS NULL AND q.postcode IS NULL
    FROM dvflag.clinic_by_insurance_card(ins, NULL, num, '00') q $$;
CREATE FUNCTION pg_temp.sb_eff(p text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT sb_eff FROM dvflag.person WHERE link_no = p $$;
CREATE FUNCTION pg_temp.nd_eff(p text) RETURNS boolean LANGUAGE sql AS
  $$ SELECT nd_eff FROM dvflag.person WHERE link_no = p $$;
CREATE FUNCTION pg_temp.enrol(p text, ins text, num text, acq date, lost date, sb boolean DEFAULT false, nd boolean DEFAULT false)
  RETURNS void LANGUAGE sql AS $$
  INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, lost_on, address, postcode, sb, nd)
  VALUES (p, ins, num, '00', acq, lost, 'どこか 1-2-3', '100-0001', sb, nd) $$;

-- ties on acquired_on: both enrollments of a person in one statement, so
-- that latest(P) decides alone (an enrollment added later that becomes
-- latest carries an SB over: below)
CREATE FUNCTION pg_temp.enrol_two(p text, acq date, lost1 date, sb1 boolean, lost2 date, sb2 boolean)
  RETURNS void LANGUAGE sql AS $$
  INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, lost_on, address, postcode, sb)
  VALUES (p, '01130012', p || 'a', '00', acq, lost1, 'どこか 1-2-3', '100-0001', sb1),
         (p, '06132013', p || 'b', '00', acq, lost2, 'どこか 1-2-3', '100-0001', sb2) $$;
SELECT pg_temp.enrol_two('TIE1', '2020-04-01', '2020-10-01', true, NULL, false);
SELECT is(pg_temp.sb_eff('TIE1'), false, 'tie on acquired_on: the current one is latest (SB on the lost one does not count)');
SELECT pg_temp.enrol_two('TIE2', '2020-04-01', '2020-10-01', false, NULL, true);
SELECT is(pg_temp.sb_eff('TIE2'), true, 'tie on acquired_on: SB on the current one governs');
SELECT pg_temp.enrol_two('TIE3', '2020-04-01', '2021-01-01', true, '2020-06-01', false);
SELECT is(pg_temp.sb_eff('TIE3'), true, 'tie, both lost: the greater lost_on is latest');
SELECT pg_temp.enrol_two('TIE4', '2020-04-01', NULL, false, NULL, true);
SELECT is(pg_temp.sb_eff('TIE4'), true, 'full tie: the one registered last governs (SB on it)');
SELECT pg_temp.enrol_two('TIE5', '2020-04-01', NULL, true, NULL, false);
SELECT is(pg_temp.sb_eff('TIE5'), false, 'full tie: SB on the one registered first does not govern');
SELECT is((SELECT latest_id FROM dvflag.person WHERE link_no = 'TIE5'),
          (SELECT max(id) FROM dvflag.enrollment WHERE link_no = 'TIE5'), 'latest_id is the later registration');

-- P moves A -> B; SB and ND placements, then changes
SELECT pg_temp.enrol('P', '01130012', 'pa', '2012-04-01', '2018-04-01');
SELECT pg_temp.enrol('P', '06132013', 'pb', '2018-04-01', NULL);
SELECT is(pg_temp.hidden('06132013', 'pb'), false, 'no flag: address shown');
SELECT dvflag.set_flag('01130012', NULL, 'pa', '00', 'sb', true, 'SB at the past insurer');
SELECT is(pg_temp.hidden('01130012', 'pa'), false, 'SB at a past insurer only: not effective, address shown');
SELECT dvflag.set_flag('06132013', NULL, 'pb', '00', 'sb', true, 'SB at the latest insurer');
SELECT is(pg_temp.hidden('01130012', 'pa'), true, 'SB at the latest insurer hides the address at the past one too');
SELECT is(dvflag.protected('P'), true, 'protected() sees SB_eff');

-- move to a new insurer C, which cannot see B's flag: SB_eff carries over
-- (1.3) until C decides; C's SB then governs
SELECT pg_temp.enrol('P', '131136', 'pc', '2024-04-01', NULL);
SELECT is(pg_temp.sb_eff('P'), true, 'move to C without SB: B''s SB carries over, SB_eff stays');
SELECT is(pg_temp.hidden('06132013', 'pb'), true, 'and the address stays hidden at B');
SELECT dvflag.set_flag('131136', NULL, 'pc', '00', 'sb', true, 'SB at the new insurer');
SELECT is(pg_temp.sb_eff('P'), true, 'SB at C, the latest: effective');

-- correction of dates: C's enrollment was entered with the wrong year
UPDATE dvflag.enrollment SET acquired_on = '2011-04-01', lost_on = '2012-04-01' WHERE number = 'pc';
SELECT is(pg_temp.sb_eff('P'), true, 'after correcting C to be older, B (with SB) is latest again');
SELECT dvflag.set_flag('06132013', NULL, 'pb', '00', 'sb', false, 'card re-issued (STEP4)');
SELECT is(pg_temp.sb_eff('P'), false, 'clearing SB at the latest insurer clears SB_eff');
SELECT is(pg_temp.hidden('131136', 'pc'), false, 'and the address is shown');

-- ND: any past insurer, however old
SELECT dvflag.set_flag('131136', NULL, 'pc', '00', 'nd', true, 'ND at the oldest insurer');
SELECT is(pg_temp.nd_eff('P'), true, 'ND on the oldest enrollment is effective');
SELECT is(pg_temp.hidden('06132013', 'pb'), true, 'and hides the address at every insurer');
SELECT is(dvflag.protected('P'), true, 'protected() sees ND_eff');
SELECT dvflag.set_flag('131136', NULL, 'pc', '00', 'nd', false, 'cleared on the person''s application');
SELECT is(pg_temp.nd_eff('P'), false, 'clearing the only ND clears ND_eff');

-- two NDs: clearing one leaves the other in force
SELECT dvflag.set_flag('01130012', NULL, 'pa', '00', 'nd', true, 'ND at A');
SELECT dvflag.set_flag('06132013', NULL, 'pb', '00', 'nd', true, 'ND at B');
SELECT dvflag.set_flag('06132013', NULL, 'pb', '00', 'nd', false, 'cleared at B');
SELECT is(pg_temp.nd_eff('P'), true, 'with ND at A and B, clearing B leaves ND_eff');

-- an enrollment moved to another person by correcting its link_no
UPDATE dvflag.enrollment SET link_no = 'Q' WHERE number = 'pa';
SELECT is(pg_temp.nd_eff('P'), false, 'the ND enrollment corrected away from P no longer protects P');
SELECT is(pg_temp.nd_eff('Q'), true, 'it protects the person it now belongs to');

-- removals
DELETE FROM dvflag.enrollment WHERE number = 'pb';
SELECT is((SELECT latest_id FROM dvflag.person WHERE link_no = 'P'),
          (SELECT id FROM dvflag.enrollment WHERE number = 'pc'), 'removing the latest enrollment makes the previous one latest');
DELETE FROM dvflag.enrollment WHERE number = 'pa';
SELECT is(pg_temp.nd_eff('Q'), false, 'removing the only (ND) enrollment of Q: nothing left to protect');
SELECT is((SELECT latest_id FROM dvflag.person WHERE link_no = 'Q'), NULL, 'and Q has no latest enrollment');

-- the summary always equals the rule computed afresh
SELECT is(
  (SELECT count(*) FROM dvflag.person p
    WHERE p.nd_eff <> EXISTS (SELECT FROM dvflag.enrollment e WHERE e.link_no = p.link_no AND e.nd)),
  0::bigint, 'ND_eff agrees with the enrollments for every person');
SELECT is(
  (SELECT count(*) FROM dvflag.person p
    WHERE p.latest_id IS DISTINCT FROM (SELECT e.id FROM dvflag.enrollment e WHERE e.link_no = p.link_no
       ORDER BY e.acquired_on DESC, e.lost_on IS NULL DESC, e.lost_on DESC, e.id DESC LIMIT 1)),
  0::bigint, 'latest_id agrees with the tie-break order for every person');

SELECT * FROM finish();
ROLLBACK;
