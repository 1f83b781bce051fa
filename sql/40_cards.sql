-- Cards and proxies (RULES.md §3 row 7, §5): the My Number card bound to a
-- person by initial registration, stopped when lost or abused; proxies the
-- principal names; and the SB flags that look due for clearing once a
-- re-issued card shows up (§5 STEP4).

-- マイナンバーカード, by its certificate serial, bound to a person.
CREATE TABLE dvflag.card (
  card_serial   text COLLATE "C" PRIMARY KEY CONSTRAINT card_serial_not_blank CHECK (NOT dvflag.is_blank(card_serial)),
  link_no       text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  stopped_at    timestamptz,
  stop_reason   text
);
CREATE INDEX card_person ON dvflag.card (link_no);
COMMENT ON TABLE dvflag.card IS 'マイナンバーカード by certificate serial, bound to a person by initial registration (初回登録); written by the functions only';
COMMENT ON COLUMN dvflag.card.card_serial IS 'the certificate serial: the key of the portal and clinic card paths';
COMMENT ON COLUMN dvflag.card.link_no IS '紐付番号: the person the card is bound to';
COMMENT ON COLUMN dvflag.card.registered_at IS 'when it was registered';
COMMENT ON COLUMN dvflag.card.stopped_at IS 'when it was stopped (停止); a stopped card answers nothing';
COMMENT ON COLUMN dvflag.card.stop_reason IS 'why it was stopped';

-- 代理人: agent may view principal's portal data.
CREATE TABLE dvflag.proxy (
  principal_link_no text COLLATE "C" NOT NULL,
  agent_link_no     text COLLATE "C" NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (principal_link_no, agent_link_no),
  CONSTRAINT proxy_not_self CHECK (principal_link_no <> agent_link_no)
);
COMMENT ON TABLE dvflag.proxy IS '代理人: the agent may view the principal''s portal data; written by the functions only';
COMMENT ON COLUMN dvflag.proxy.principal_link_no IS '紐付番号 of the principal, who named the proxy';
COMMENT ON COLUMN dvflag.proxy.agent_link_no IS '紐付番号 of the agent, who calls the portal paths with their own card';
COMMENT ON COLUMN dvflag.proxy.created_at IS 'when the principal named the agent';

-- No policy: only dvflag's functions reach them.
ALTER TABLE dvflag.card          ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.proxy         ENABLE ROW LEVEL SECURITY;

-- §3 row 7: initial registration (初回登録) of a card; DV001 while SB_eff(P).
CREATE FUNCTION dvflag.register_card(card_serial text, insurer_no text, symbol text,
                                     number text, branch text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_register_card'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.register_card(text, text, text, text, text) IS
  'initial registration (初回登録) of a card to the person of that enrollment; DV001 while SB_eff, audited; portal';

-- Stop a card (STEP1 of RULES.md §5): it answers nothing anywhere after.
-- Acting function: SECURITY INVOKER, decides by the caller's role.
CREATE FUNCTION dvflag.stop_card(card_serial text, reason text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_stop_card'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.stop_card(text, text) IS
  'stops a card (STEP1 of RULES.md §5), with a reason: it answers nothing anywhere after; audited; insurer staff of the person, admin';

-- The principal, with their card, names a proxy (代理人).
CREATE FUNCTION dvflag.set_proxy(card_serial text, agent_link_no text)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_set_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.set_proxy(text, text) IS
  'the principal, with their card, names a proxy (代理人); audited; portal';

-- The principal, with their card, removes a proxy; true if one was removed.
CREATE FUNCTION dvflag.remove_proxy(card_serial text, agent_link_no text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy'
  LANGUAGE C VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.remove_proxy(text, text) IS
  'the principal, with their card, removes a proxy; true if one was removed; audited; portal';

-- Staff or admin remove a proxy (STEP3 of RULES.md §5) when the principal
-- cannot: their card is stopped, or SB refuses a new one.  Acting function.
CREATE FUNCTION dvflag.remove_proxy_for(principal_link_no text, agent_link_no text, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_remove_proxy_for'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.remove_proxy_for(text, text, text) IS
  'removes a proxy for a principal who cannot (STEP3 of RULES.md §5), with a reason; audited; insurer staff of the principal, admin';

-- What the SB listing below needs, kept as rule state of its own (not read
-- back from the audit): when each SB was last set, written by the
-- enrollment trigger with the change; and each refused initial registration
-- (DV001), written with its audit row by the audit writer, a background
-- worker that commits them on their own (src/durable.c), since the refusal
-- itself ends in an error.  The trigger deletes the time of an SB cleared
-- or of an enrollment deleted; the refusals are kept as long as the audit
-- (purge()).
CREATE TABLE dvflag.sb_flag_set (
  enrollment_id bigint PRIMARY KEY,
  set_at        timestamptz NOT NULL
);
COMMENT ON TABLE dvflag.sb_flag_set IS 'when the SB of an enrollment was last set (for sb_due_for_clearing)';
COMMENT ON COLUMN dvflag.sb_flag_set.enrollment_id IS 'the enrollment whose SB is set';
COMMENT ON COLUMN dvflag.sb_flag_set.set_at IS 'when it was last set';
CREATE TABLE dvflag.registration_refusal (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL,
  link_no     text NOT NULL,
  card_serial text COLLATE "C" NOT NULL,
  event       text NOT NULL
);
COMMENT ON TABLE dvflag.registration_refusal IS 'initial registrations refused under SB (DV001), the sign of a re-issued card; event is the audit event id';
COMMENT ON COLUMN dvflag.registration_refusal.id IS 'identity';
COMMENT ON COLUMN dvflag.registration_refusal.at IS 'when the registration was refused';
COMMENT ON COLUMN dvflag.registration_refusal.link_no IS '紐付番号: the person the card was to be bound to';
COMMENT ON COLUMN dvflag.registration_refusal.card_serial IS 'the serial of the refused card (never shown by sb_due_for_clearing)';
COMMENT ON COLUMN dvflag.registration_refusal.event IS 'the event id of the refusal''s audit row and log line';
CREATE INDEX registration_refusal_person ON dvflag.registration_refusal (link_no);
CREATE INDEX registration_refusal_at ON dvflag.registration_refusal (at);
-- What the listing reads, by index: the few enrollments with SB.
CREATE INDEX enrollment_sb ON dvflag.enrollment (insurer_no) WHERE sb;
ALTER TABLE dvflag.sb_flag_set          ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.registration_refusal ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.registration_refusal ALTER COLUMN link_no SET STATISTICS 0,
  ALTER COLUMN card_serial SET STATISTICS 0;

-- Staff: the SB flags of their insurers (admin: all) that look due for
-- clearing, because a card of the person showed up after the flag was last
-- set: a registration refused with a card never bound, or an active card
-- registered later (possible when another insurer's SB governs).
-- blocks_registration: this SB is the one of latest(P), which refuses the
-- card.  evidence, evidence_at: the newest sign; cards_seen: how many
-- distinct cards gave one (the serials are not shown: a serial is the key of
-- the card paths).  sb_set_at is NULL for a flag set before 1.3 whose audit
-- row had been purged by then.
CREATE FUNCTION dvflag.sb_due_for_clearing()
  RETURNS TABLE (insurer_no text, symbol text, number text, branch text, link_no text,
                 sb_set_at timestamptz, blocks_registration boolean, evidence text,
                 evidence_at timestamptz, cards_seen integer)
  AS 'MODULE_PATHNAME', 'dvflag_sb_due_for_clearing'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.sb_due_for_clearing() IS
  'the SB flags that look due for clearing: a card of the person showed up after the flag was set (RULES.md §5 STEP4); insurer staff, admin (all)';

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dvflag.register_card(text, text, text, text, text),
                          dvflag.set_proxy(text, text),
                          dvflag.remove_proxy(text, text)
  TO dvflag_portal;
GRANT EXECUTE ON FUNCTION dvflag.stop_card(text, text),
                          dvflag.remove_proxy_for(text, text, text)
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.sb_due_for_clearing() TO dvflag_insurer, dvflag_admin;

SELECT pg_catalog.pg_extension_config_dump('dvflag.card', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.proxy', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.sb_flag_set', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.registration_refusal', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.registration_refusal_id_seq', '');
