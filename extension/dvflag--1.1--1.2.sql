-- dvflag 1.1 -> 1.2: SB flags due for clearing (RULES.md §5, STEP4), and a
-- refused initial registration (DV001) kept in dvflag.audit.  Also run by
-- CREATE EXTENSION after the 1.1 script.
\echo Use "ALTER EXTENSION dvflag UPDATE TO '1.2'" to load this file. \quit

-- A refused registration ends in an error, which used to leave only its
-- server-log line.  From 1.2 its audit row is committed on its own by a
-- background worker (see the README), whatever the caller's transaction does:
-- it is the sign that the person holds a re-issued card that SB still blocks.
COMMENT ON TABLE dvflag.audit IS 'append-only audit: flag changes, card registrations and refusals, card stops, proxy changes, disaster searches, information provision';

-- Staff: the SB flags of their insurers (admin: all) that look due for
-- clearing, because a card of the person showed up after the flag was last
-- set: a registration refused with a card never bound, or an active card
-- registered later (possible when another insurer's SB governs).
-- blocks_registration: this SB is the one of latest(P), which refuses the
-- card.  evidence, evidence_at: the newest sign; cards_seen: how many
-- distinct cards gave one (the serials are not shown: a serial is the key of
-- the card paths).  sb_set_at is NULL once its audit row has been purged.
CREATE FUNCTION dvflag.sb_due_for_clearing()
  RETURNS TABLE (insurer_no text, symbol text, number text, branch text, link_no text,
                 sb_set_at timestamptz, blocks_registration boolean, evidence text,
                 evidence_at timestamptz, cards_seen integer)
  AS 'MODULE_PATHNAME', 'dvflag_sb_due_for_clearing'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;
REVOKE ALL ON FUNCTION dvflag.sb_due_for_clearing() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.sb_due_for_clearing() TO dvflag_insurer, dvflag_admin;

-- What the listing reads, by index: the few enrollments with SB, when each
-- was last set, and the refusals of a person.
CREATE INDEX enrollment_sb ON dvflag.enrollment (insurer_no) WHERE sb;
CREATE INDEX audit_sb_set ON dvflag.audit ((detail ->> 'enrollment_id'))
  WHERE action = 'flag_change' AND detail ->> 'flag' = 'sb' AND detail ->> 'new' = 'true';
CREATE INDEX audit_register_refused ON dvflag.audit ((detail ->> 'link_no'))
  WHERE action = 'card_register_refused';

-- check() also reports what the audit writer needs: it connects as the
-- bootstrap superuser, which must keep LOGIN, or every refusal's row is
-- lost (with a WARNING; its log line stays).  The checks of 1.1 go on, as
-- check_catalog(), which only check() calls.
ALTER FUNCTION dvflag.check() RENAME TO check_catalog;
REVOKE ALL ON FUNCTION dvflag.check_catalog() FROM dvflag_admin, dvflag_auditor;
CREATE FUNCTION dvflag.check()
  RETURNS TABLE (problem text, object text, detail text)
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
AS $check$
SELECT c.problem, c.object, c.detail FROM dvflag.check_catalog() c
UNION ALL
SELECT 'audit_writer_cannot_log_in', pg_catalog.format('role %s', r.rolname),
       'the bootstrap superuser cannot log in: the audit writer cannot keep the row of a refused registration'
  FROM pg_catalog.pg_roles r
 WHERE r.oid OPERATOR(pg_catalog.=) 10 AND NOT r.rolcanlogin
ORDER BY 1, 2, 3;
$check$;
REVOKE ALL ON FUNCTION dvflag.check() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.check() TO dvflag_admin, dvflag_auditor;
