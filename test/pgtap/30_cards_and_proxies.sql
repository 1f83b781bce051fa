-- Cards and proxies (RULES.md §3 rows 1, 2, 4 and 7, §5): who a card
-- answers for, what a stopped or unknown card gets, proxy rules.
BEGIN;
SELECT plan(24);
\i test/fixtures/worked_examples.sql
CREATE ROLE t_portal LOGIN IN ROLE dvflag_portal;
CREATE ROLE t_clinic LOGIN IN ROLE dvflag_clinic;
CREATE ROLE t_staff LOGIN IN ROLE dvflag_insurer;
SELECT dvflag.grant_insurer('t_staff', '131136');

SET ROLE t_portal;
-- unknown cards and principals answer nothing, without an error
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('NO-SUCH-CARD')), 0::bigint, 'unknown card: no rows');
SELECT is((SELECT count(*) FROM dvflag.portal_self_info('NO-SUCH-CARD')), 0::bigint, 'unknown card: no self-information');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'NO-SUCH-PERSON')), 0::bigint,
          'unknown principal: no rows');

-- proxies: NO-FLAG acts for ND-AT-B, then for SB-AT-C
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'ND-AT-B')), 0::bigint,
          'no proxy relation: no rows');
SELECT lives_ok($$SELECT dvflag.set_proxy('CARD-ND-AT-B', 'NO-FLAG')$$, 'the principal names a proxy with their card');
SELECT is((SELECT array_agg(q.insurer_no ORDER BY q.acquired_on) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'ND-AT-B') q),
          '{01130012,06132013,131136}', 'the proxy sees the principal''s qualifications');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'ND-AT-B') q WHERE q.name <> '鈴木 一郎'),
          0::bigint, 'and only the principal''s');
SELECT is((SELECT count(*) FROM dvflag.portal_self_info('CARD-NO-FLAG', 'ND-AT-B')), 3::bigint,
          'and the principal''s self-information');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-ND-AT-B', 'NO-FLAG')), 0::bigint,
          'the relation is one way: the principal is not the agent''s proxy');
SELECT lives_ok($$SELECT dvflag.set_proxy('CARD-SB-AT-B', 'NO-FLAG')$$, 'a second principal');
SELECT is((SELECT array_agg(q.insurer_no ORDER BY q.acquired_on) FROM dvflag.portal_self_info('CARD-NO-FLAG', 'SB-AT-B') q),
          '{01130012,131136}', 'SB_own applies to what the proxy sees, too');
SELECT is(dvflag.remove_proxy('CARD-ND-AT-B', 'NO-FLAG'), true, 'the principal removes the proxy (STEP3)');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'ND-AT-B')), 0::bigint,
          'a removed proxy sees nothing');
SELECT is(dvflag.remove_proxy('CARD-ND-AT-B', 'NO-FLAG'), false, 'removing it again changes nothing');
RESET ROLE;
-- a proxy of a person with SB_eff gets "no answer" like the person
SELECT dvflag.stop_card('CARD-SB-AT-C', 'lost card') ;
INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ('SB-AT-C', 'NO-FLAG');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-C')), 0::bigint,
          'proxy of a person with SB_eff: no answer');

-- stopping a card (STEP1)
SET ROLE t_staff;
SELECT lives_ok($$SELECT dvflag.stop_card('CARD-NO-FLAG', 'the card was taken (STEP1)')$$,
                'staff of the person''s insurer stop the card');
SET ROLE t_portal;
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG')), 0::bigint, 'a stopped card: no portal rows');
SELECT is((SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-B')), 0::bigint,
          'a stopped card cannot act as a proxy either');
SELECT throws_ok($$SELECT dvflag.register_card('CARD-NO-FLAG', '131136', NULL, '1005', '00')$$, '55000', NULL,
                 'a stopped card cannot be registered again');
SELECT lives_ok($$SELECT dvflag.register_card('CARD-NO-FLAG-2', '131136', NULL, '1005', '00')$$,
                'the re-issued card (new serial) is registered');
SET ROLE t_clinic;
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card('CARD-NO-FLAG')), 0::bigint, 'a stopped card: nothing at the clinic');
SELECT is((SELECT count(*) FROM dvflag.clinic_by_card('CARD-NO-FLAG-2')), 1::bigint, 'the re-issued card works');
SET ROLE t_portal;
SELECT throws_ok($$SELECT dvflag.register_card('CARD-NO-FLAG-2', '131136', NULL, '1004', '00')$$, '23505', NULL,
                 'a card registered to one person cannot be registered to another');
SELECT lives_ok($$SELECT dvflag.register_card('CARD-NO-FLAG-2', '01130012', 'A1', '1005', '00')$$,
                'registering the same card for the same person again is harmless');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
