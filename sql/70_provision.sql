-- Information provision (情報連携, RULES.md §6) and the portal's exchange
-- history (やりとり履歴, §3 row 3): requests, the 副本 that answers them,
-- the flags per item, and the append-only provision records and marks.
-- The functions are in src/provision.c.

-- Flags per item (特定個人情報名コード) at an insurer: ND and AR there apply to
-- every person's provision of that item (seed 000 別紙3 図3).
CREATE TABLE dvflag.item_flag (
  insurer_no text NOT NULL REFERENCES dvflag.insurer,
  item_code  text NOT NULL CONSTRAINT item_flag_item_code CHECK (item_code ~ '^[A-Z0-9]{1,32}$'),
  nd         boolean NOT NULL DEFAULT false,
  ar         boolean NOT NULL DEFAULT false,
  PRIMARY KEY (insurer_no, item_code)
);
COMMENT ON TABLE dvflag.item_flag IS 'ND (不開示該当) and AR (自動応答不可) set on an item (特定個人情報名コード) at an insurer';
COMMENT ON COLUMN dvflag.item_flag.insurer_no IS 'the insurer';
COMMENT ON COLUMN dvflag.item_flag.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.item_flag.nd IS 'ND on the item: every provision of it at this insurer is marked';
COMMENT ON COLUMN dvflag.item_flag.ar IS 'AR on the item: every request for it at this insurer waits for staff';

-- 副本: the content an insurer registered for an item of an enrollment, the
-- answer given automatically.  None registered: the request ends 副本未登録.
CREATE TABLE dvflag.item_copy (
  enrollment_id bigint NOT NULL REFERENCES dvflag.enrollment ON DELETE CASCADE,
  item_code     text NOT NULL CONSTRAINT item_copy_item_code CHECK (item_code ~ '^[A-Z0-9]{1,32}$'),
  content       jsonb NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (enrollment_id, item_code)
);
COMMENT ON TABLE dvflag.item_copy IS '副本: registered content of an item of an enrollment';
COMMENT ON COLUMN dvflag.item_copy.enrollment_id IS 'the enrollment';
COMMENT ON COLUMN dvflag.item_copy.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.item_copy.content IS 'the answer given automatically to a request for the item';
COMMENT ON COLUMN dvflag.item_copy.registered_at IS 'when it was registered';

-- A requester's request (情報照会), pending while it waits for staff.
CREATE TABLE dvflag.provision_request (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  requested_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  expires_at    timestamptz NOT NULL,
  requester     text NOT NULL,
  requester_role oid NOT NULL,
  requester_client text,
  insurer_no    text NOT NULL,
  symbol        text,
  number        text NOT NULL,
  branch        text NOT NULL,
  enrollment_id bigint,
  item_code     text NOT NULL,
  ndc           boolean NOT NULL,
  status        text NOT NULL CONSTRAINT provision_request_status
                CHECK (status IN ('pending', 'provided', 'declined', 'expired', 'no_copy', 'no_agency_code')),
  answer        jsonb,
  record_id     bigint
);
CREATE INDEX provision_request_pending ON dvflag.provision_request (insurer_no, id) WHERE status = 'pending';
COMMENT ON COLUMN dvflag.provision_request.requester_role IS 'the requesting role by OID: a role dropped and created again under the same name is another requester';
COMMENT ON TABLE dvflag.provision_request IS '情報照会: a request for an item; pending while AR holds';
COMMENT ON COLUMN dvflag.provision_request.id IS 'identity: the request_id of the functions';
COMMENT ON COLUMN dvflag.provision_request.requested_at IS 'when it was asked';
COMMENT ON COLUMN dvflag.provision_request.expires_at IS 'when a pending request expires (setting dvflag.request_validity)';
COMMENT ON COLUMN dvflag.provision_request.requester IS 'the requesting login role, by name';
COMMENT ON COLUMN dvflag.provision_request.requester_client IS 'the requester''s dvflag.client';
COMMENT ON COLUMN dvflag.provision_request.insurer_no IS 'the insurer asked';
COMMENT ON COLUMN dvflag.provision_request.symbol IS '記号 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.number IS '番号 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.branch IS '枝番 of the insurance card asked about';
COMMENT ON COLUMN dvflag.provision_request.enrollment_id IS 'the enrollment of that card; NULL when none (no_agency_code)';
COMMENT ON COLUMN dvflag.provision_request.item_code IS '特定個人情報名コード: the item asked for';
COMMENT ON COLUMN dvflag.provision_request.ndc IS 'the requester set NDC (不開示コード): the record is marked';
COMMENT ON COLUMN dvflag.provision_request.status IS 'pending, provided, declined, expired, no_copy (副本未登録) or no_agency_code (機関別符号未発行)';
COMMENT ON COLUMN dvflag.provision_request.answer IS 'the content provided, once provided';
COMMENT ON COLUMN dvflag.provision_request.record_id IS 'the provision record, once completed';

-- 情報提供等記録: one per request, written when it completes; append-only.
CREATE TABLE dvflag.provision_record (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id    bigint NOT NULL UNIQUE,
  requester     text NOT NULL,
  requester_client text,
  insurer_no    text NOT NULL,
  enrollment_id bigint,
  link_no       text COLLATE "C",
  item_code     text NOT NULL,
  ndc           boolean NOT NULL,
  requested_at  timestamptz NOT NULL,
  completed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  outcome       text NOT NULL CONSTRAINT provision_record_outcome
                CHECK (outcome IN ('provided', 'declined', 'expired', 'no_copy', 'no_agency_code')),
  manual        boolean NOT NULL,
  nd_mark       boolean NOT NULL
);
CREATE INDEX provision_record_person ON dvflag.provision_record (link_no);
CREATE INDEX provision_record_enrollment ON dvflag.provision_record (enrollment_id);
COMMENT ON TABLE dvflag.provision_record IS '情報提供等記録: append-only; outcome provided = completed normally';
COMMENT ON COLUMN dvflag.provision_record.nd_mark IS 'non-disclosure mark set when the provision completed';
COMMENT ON COLUMN dvflag.provision_record.id IS 'identity: the record_id of the functions';
COMMENT ON COLUMN dvflag.provision_record.request_id IS 'the request it completes';
COMMENT ON COLUMN dvflag.provision_record.requester IS 'the requesting login role, by name';
COMMENT ON COLUMN dvflag.provision_record.requester_client IS 'the requester''s dvflag.client';
COMMENT ON COLUMN dvflag.provision_record.insurer_no IS 'the providing insurer';
COMMENT ON COLUMN dvflag.provision_record.enrollment_id IS 'the enrollment; NULL when none was found';
COMMENT ON COLUMN dvflag.provision_record.link_no IS '紐付番号 of the person, for the exchange history; NULL when none was found';
COMMENT ON COLUMN dvflag.provision_record.item_code IS '特定個人情報名コード: the item';
COMMENT ON COLUMN dvflag.provision_record.ndc IS 'the requester set NDC (不開示コード)';
COMMENT ON COLUMN dvflag.provision_record.requested_at IS 'when the request was asked';
COMMENT ON COLUMN dvflag.provision_record.completed_at IS 'when it completed';
COMMENT ON COLUMN dvflag.provision_record.outcome IS 'provided, declined, expired, no_copy or no_agency_code';
COMMENT ON COLUMN dvflag.provision_record.manual IS 'completed by staff (approved or declined), not automatically';

-- 記録事項変更事由の追記: a mark appended to a record later; append-only.
CREATE TABLE dvflag.provision_mark (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  record_id  bigint NOT NULL REFERENCES dvflag.provision_record,
  marked_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
  actor      text NOT NULL,
  reason     text NOT NULL CONSTRAINT provision_mark_reason CHECK (NOT dvflag.is_blank(reason))
);
CREATE INDEX provision_mark_record ON dvflag.provision_mark (record_id);
COMMENT ON TABLE dvflag.provision_mark IS '記録事項変更事由の追記: a non-disclosure mark appended to a record, with its reason';
COMMENT ON COLUMN dvflag.provision_mark.id IS 'identity';
COMMENT ON COLUMN dvflag.provision_mark.record_id IS 'the provision record marked';
COMMENT ON COLUMN dvflag.provision_mark.marked_at IS 'when the mark was appended';
COMMENT ON COLUMN dvflag.provision_mark.actor IS 'the login role that appended it';
COMMENT ON COLUMN dvflag.provision_mark.reason IS 'why (記録事項変更事由)';

ALTER TABLE dvflag.item_flag         ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.item_copy         ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_request ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_record  ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_mark    ENABLE ROW LEVEL SECURITY;
ALTER TABLE dvflag.provision_request ALTER COLUMN symbol SET STATISTICS 0;
ALTER TABLE dvflag.provision_request ALTER COLUMN number SET STATISTICS 0;
ALTER TABLE dvflag.provision_record  ALTER COLUMN link_no SET STATISTICS 0;

-- Records and marks are append-only: UPDATE, DELETE and TRUNCATE are refused
-- for every role, owner and superuser included (ENABLE ALWAYS:
-- session_replication_role does not skip it).  DDL by the owner or a
-- superuser (ALTER TABLE ... DISABLE TRIGGER) is outside what a trigger can
-- guard.
CREATE TRIGGER provision_record_append_only BEFORE UPDATE OR DELETE ON dvflag.provision_record
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_record_no_truncate BEFORE TRUNCATE ON dvflag.provision_record
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_mark_append_only BEFORE UPDATE OR DELETE ON dvflag.provision_mark
  FOR EACH ROW EXECUTE FUNCTION dvflag.refuse_change();
CREATE TRIGGER provision_mark_no_truncate BEFORE TRUNCATE ON dvflag.provision_mark
  FOR EACH STATEMENT EXECUTE FUNCTION dvflag.refuse_change();
ALTER TABLE dvflag.provision_record ENABLE ALWAYS TRIGGER provision_record_append_only;
ALTER TABLE dvflag.provision_record ENABLE ALWAYS TRIGGER provision_record_no_truncate;
ALTER TABLE dvflag.provision_mark ENABLE ALWAYS TRIGGER provision_mark_append_only;
ALTER TABLE dvflag.provision_mark ENABLE ALWAYS TRIGGER provision_mark_no_truncate;

-- The auditor and admin read the records and marks; nobody writes them but
-- dvflag's functions.
CREATE POLICY provision_record_readers ON dvflag.provision_record FOR SELECT
  TO dvflag_admin, dvflag_auditor USING (true);
CREATE POLICY provision_mark_readers ON dvflag.provision_mark FOR SELECT
  TO dvflag_admin, dvflag_auditor USING (true);
GRANT SELECT ON dvflag.provision_record, dvflag.provision_mark TO dvflag_admin, dvflag_auditor;

-- What a requester gets back: the request, its state and, once provided,
-- the content and the record.
CREATE TYPE dvflag.provision_answer AS (
  request_id bigint,
  status     text,
  content    jsonb,
  record_id  bigint
);
COMMENT ON TYPE dvflag.provision_answer IS 'what a requester gets back: the request, its status and, once provided, the content and the record';

-- A row of the portal's exchange history.
CREATE TYPE dvflag.exchange AS (
  record_id    bigint,
  requested_at timestamptz,
  provided_at  timestamptz,
  requester    text,
  insurer_no   text,
  insurer_name text,
  item_code    text
);
COMMENT ON TYPE dvflag.exchange IS 'a row of the portal''s exchange history (やりとり履歴): a provision that completed normally, unmarked';

-- §6: a requester asks an insurer for an item of an enrollment.  Answered
-- at once unless AR holds; then 'pending' until staff approve or decline.
-- Acting function: the requester is the role calling it.
CREATE FUNCTION dvflag.request_information(insurer_no text, symbol text, number text, branch text,
                                           item_code text, ndc boolean DEFAULT false)
  RETURNS dvflag.provision_answer
  AS 'MODULE_PATHNAME', 'dvflag_request_information'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.request_information(text, text, text, text, text, boolean) IS
  'asks an insurer for an item of an enrollment (情報照会, RULES.md §6): answered at once, or pending while AR holds; requester';

-- The requester's own request, by id: its state and, once provided, the answer.
CREATE FUNCTION dvflag.request_answer(request_id bigint)
  RETURNS dvflag.provision_answer
  AS 'MODULE_PATHNAME', 'dvflag_request_answer'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.request_answer(bigint) IS
  'the caller''s own request by id: its status and, once provided, the content and record; requester';

-- Staff: the pending requests of their insurers (admin: all), with the
-- content the 副本 would give and whether ND requires a mark.
CREATE FUNCTION dvflag.pending_requests()
  RETURNS TABLE (request_id bigint, requested_at timestamptz, expires_at timestamptz,
                 requester text, requester_client text, insurer_no text, symbol text,
                 number text, branch text, item_code text, ndc boolean,
                 mark_required boolean, content jsonb)
  AS 'MODULE_PATHNAME', 'dvflag_pending_requests'
  LANGUAGE C VOLATILE SECURITY INVOKER ROWS 10
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.pending_requests() IS
  'the requests waiting for staff, with the 副本 content and whether the record must be marked; insurer staff (their insurers), admin (all)';

-- Staff approve (送信許可) a pending request, optionally with corrected
-- content; mark true adds the non-disclosure mark, false removes the one ND
-- requires (only with override_reason; never the requester's NDC).
CREATE FUNCTION dvflag.approve_request(request_id bigint, content jsonb DEFAULT NULL,
                                       mark boolean DEFAULT NULL, override_reason text DEFAULT NULL)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_approve_request'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.approve_request(bigint, jsonb, boolean, text) IS
  'approves (送信許可) a pending request, optionally with corrected content and a mark; returns the record id; insurer staff, admin';

-- Staff decline a pending request; the record says 'declined'.
CREATE FUNCTION dvflag.decline_request(request_id bigint, reason text)
  RETURNS bigint
  AS 'MODULE_PATHNAME', 'dvflag_decline_request'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.decline_request(bigint, text) IS
  'declines a pending request with a reason; returns the record id; insurer staff, admin';

-- Close the pending requests past their validity (dvflag.request_validity)
-- as 'expired'; staff: their insurers', admin: all.  Returns how many.
CREATE FUNCTION dvflag.expire_requests()
  RETURNS integer
  AS 'MODULE_PATHNAME', 'dvflag_expire_requests'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.expire_requests() IS
  'closes the pending requests past dvflag.request_validity as expired; returns how many; insurer staff (their insurers), admin (all)';

-- Staff set ND or AR on an item at their insurer, with a reason; audited.
CREATE FUNCTION dvflag.set_item_flag(insurer_no text, item_code text, flag text,
                                     value boolean, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_set_item_flag'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.set_item_flag(text, text, text, boolean, text) IS
  'sets or clears nd or ar on an item at an insurer, with a reason; audited; true if it changed; insurer staff, admin';

-- Staff register (or replace) the 副本 of an item of an enrollment.
CREATE FUNCTION dvflag.register_item_copy(insurer_no text, symbol text, number text, branch text,
                                          item_code text, content jsonb)
  RETURNS void
  AS 'MODULE_PATHNAME', 'dvflag_register_item_copy'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION dvflag.register_item_copy(text, text, text, text, text, jsonb) IS
  'registers or replaces the 副本 of an item of an enrollment; insurer staff, admin';

-- 記録事項変更事由の追記: append a non-disclosure mark to one record, with a
-- reason; true if it was not marked before.  Staff of the providing insurer.
CREATE FUNCTION dvflag.mark_record(record_id bigint, reason text)
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'dvflag_mark_record'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.mark_record(bigint, text) IS
  'appends a non-disclosure mark to a record (記録事項変更事由の追記); false if already marked; insurer staff of the provider, admin';

-- Append the mark to every unmarked record of a person, in the step that
-- sets ND; staff of one of the person's insurers.  Returns how many.
CREATE FUNCTION dvflag.mark_person_records(link_no text, reason text)
  RETURNS integer
  AS 'MODULE_PATHNAME', 'dvflag_mark_person_records'
  LANGUAGE C VOLATILE SECURITY INVOKER
  SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION dvflag.mark_person_records(text, text) IS
  'marks every unmarked record of a person, in the step that sets ND; returns how many; insurer staff of the person, admin';

-- §3 row 3: the person's records that completed normally and carry no
-- mark; same card and proxy rules as the other portal paths.
CREATE FUNCTION dvflag.portal_exchange_history(card_serial text, principal_link_no text DEFAULT NULL)
  RETURNS SETOF dvflag.exchange
  AS 'MODULE_PATHNAME', 'dvflag_portal_exchange_history'
  LANGUAGE C STABLE ROWS 10;
COMMENT ON FUNCTION dvflag.portal_exchange_history(text, text) IS
  'やりとり履歴: the person''s provision records that completed normally and carry no mark (RULES.md §3 row 3); portal';

REVOKE ALL ON ALL TABLES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dvflag FROM PUBLIC;
REVOKE ALL ON TYPE dvflag.provision_answer, dvflag.exchange FROM PUBLIC;
GRANT USAGE ON TYPE dvflag.provision_answer TO dvflag_requester;
GRANT USAGE ON TYPE dvflag.exchange TO dvflag_portal;

GRANT EXECUTE ON FUNCTION dvflag.request_information(text, text, text, text, text, boolean),
                          dvflag.request_answer(bigint)
  TO dvflag_requester;
GRANT EXECUTE ON FUNCTION dvflag.pending_requests(),
                          dvflag.approve_request(bigint, jsonb, boolean, text),
                          dvflag.decline_request(bigint, text),
                          dvflag.expire_requests(),
                          dvflag.set_item_flag(text, text, text, boolean, text),
                          dvflag.register_item_copy(text, text, text, text, text, jsonb),
                          dvflag.mark_record(bigint, text),
                          dvflag.mark_person_records(text, text)
  TO dvflag_insurer, dvflag_admin;
GRANT EXECUTE ON FUNCTION dvflag.portal_exchange_history(text, text) TO dvflag_portal;

SELECT pg_catalog.pg_extension_config_dump('dvflag.item_flag', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.item_copy', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_request', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_record', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_mark', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_request_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_record_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dvflag.provision_mark_id_seq', '');
