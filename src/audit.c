/*
 * audit.c — the audit trail.
 *
 * The channels:
 *   DV_AUDIT_TABLE  a row in dvflag.audit, part of the caller's transaction:
 *                   for changes (a flag change is audited iff it commits);
 *   DV_AUDIT_QUEUE  a row in dvflag.audit written moments later by the audit
 *                   writer (durable.c), whatever the caller's transaction
 *                   does: for an audited read, which then writes nothing
 *                   itself; with the transaction when the queue cannot take it;
 *   DV_AUDIT_LOG    a line in the server log, written before the answer is
 *                   returned: for audited reads and refusals, which must
 *                   survive a ROLLBACK, an error and a hot standby;
 *   and, for a refused registration only (dv_audit_refusal), a row in
 *                   dvflag.audit committed on its own, whatever the
 *                   caller's transaction does (durable.c), with the
 *                   refusal's row that sb_due_for_clearing reads.
 * An audited read uses both; its log line and its row carry the same event
 * id.  The log line is one JSON object after the fixed prefix "dvflag audit: "
 * (format in the README).  It is emitted at LOG_SERVER_ONLY, so the client
 * never receives it; dv_audit_require_log() refuses the read when the
 * server is configured to drop LOG messages, so nothing is lost silently.
 *
 * dvflag.audit is append-only: refuse_change() (a trigger, ENABLE ALWAYS)
 * refuses UPDATE, DELETE and TRUNCATE, whoever asks.
 */
#include "dvflag.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "storage/fd.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#define AUDIT_LOG_PREFIX "dvflag audit: "

static uint64 audit_event_counter = 0;

static DvPlan insert_audit = {
	"INSERT INTO dvflag.audit (actor, client, action, target, detail) "
	"VALUES ($1, $2, $3, $4, $5)",
	5, {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}, NULL, false
};

void
dv_json_field_raw(StringInfo buf, const char *key, const char *raw)
{
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	appendStringInfoString(buf, raw ? raw : "null");
}

void
dv_json_field_text(StringInfo buf, const char *key, const char *value)
{
	if (value == NULL)
	{
		dv_json_field_raw(buf, key, NULL);
		return;
	}
	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	escape_json(buf, key);
	appendStringInfoChar(buf, ':');
	escape_json(buf, value);
}

/* Refuse an audited read when LOG lines would not reach the server log. */
void
dv_audit_require_log(void)
{
	if (log_min_messages >= FATAL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag cannot audit this request: log_min_messages suppresses LOG messages"),
				 errhint("Set log_min_messages to error or lower; audited reads are written to the server log.")));
}

/* A new event id: unique in the cluster's life (start time, pid, counter). */
static char *
new_event_id(void)
{
	return psprintf("%lx.%x.%llu", (unsigned long) MyStartTime, (unsigned) MyProcPid,
					(unsigned long long) ++audit_event_counter);
}

/*
 * The detail object of an event: led by its id, then the acting role when it
 * is not the login role, then the caller's fields (a JSON object or NULL).
 * 'acting' InvalidOid takes the role the client acts as (GetOuterUserId()).
 */
static char *
event_detail(const char *event, Oid acting, const char *detail_json)
{
	StringInfoData detail;

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	dv_json_field_text(&detail, "event", event);
	if (!OidIsValid(acting))
		acting = GetOuterUserId();
	if (acting != GetSessionUserId())
		dv_json_field_text(&detail, "role", GetUserNameFromId(acting, false));
	if (dv_client_scope == DV_CLIENT_SCOPE_TRANSACTION && dv_client(NULL) == NULL)
		dv_json_field_raw(&detail, "client_given", "false");	/* none in this transaction */
	if (detail_json && strlen(detail_json) > 2)
	{
		appendStringInfoChar(&detail, ',');
		appendStringInfoString(&detail, detail_json + 1);
	}
	else
		appendStringInfoChar(&detail, '}');
	return detail.data;
}

/*
 * The key that makes the log lines verifiable.  Anyone who can log in can
 * write "dvflag audit: {...}" into the server log (RAISE LOG), with another
 * actor's name; the project's own reader (tools/audit-log) would take it
 * for a genuine line.  So every genuine line ends in "mac": an HMAC-SHA256
 * of the line's JSON object, computed with a per-cluster key that only the
 * server's OS user can read: the file dvflag_audit.key in the data
 * directory (mode 0600, created once, with pg_strong_random, by the first
 * process that needs it; pg_basebackup copies it to a standby).  A line
 * whose mac does not verify was not written by dvflag.
 */
#define AUDIT_KEY_FILE "dvflag_audit.key"
#define AUDIT_KEY_LEN 32

static uint8 audit_key[AUDIT_KEY_LEN];
static bool audit_key_ready = false;

/* Read the key, creating it when the cluster has none (atomically: link). */
static void
load_audit_key(void)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	int			fd;

	if (audit_key_ready)
		return;
	snprintf(path, sizeof(path), "%s/%s", DataDir, AUDIT_KEY_FILE);
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0 && errno == ENOENT)
	{
		uint8		key[AUDIT_KEY_LEN];

		if (!pg_strong_random(key, sizeof(key)))
			ereport(ERROR,
					(errmsg("dvflag could not generate the key of its audit log lines"),
					 errhint("The operating system gave the server no random bytes; try again once it can.")));
		snprintf(tmp, sizeof(tmp), "%s.%d", path, MyProcPid);
		fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
		if (fd < 0 || write(fd, key, sizeof(key)) != sizeof(key) || pg_fsync(fd) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write the dvflag audit key \"%s\": %m", tmp),
					 errhint("The key is kept in the data directory, which the server's OS user must be able to write.")));
		CloseTransientFile(fd);
		/* whoever links first made the key; the others read it */
		if (link(tmp, path) != 0 && errno != EEXIST)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create the dvflag audit key \"%s\": %m", path),
					 errhint("The key is kept in the data directory, which the server's OS user must be able to write.")));
		unlink(tmp);
		fsync_fname(DataDir, true);
		fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	}
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open the dvflag audit key \"%s\": %m", path),
				 errhint("The audit's log lines are signed with it; the server's OS user must be able to read it.")));
	if (read(fd, audit_key, sizeof(audit_key)) != sizeof(audit_key))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the dvflag audit key \"%s\" is not %d bytes long", path, AUDIT_KEY_LEN),
				 errhint("Restore it from a backup of the data directory; lines signed with another key no longer verify.")));
	CloseTransientFile(fd);
	audit_key_ready = true;
}

/* The line's mac, as hex: HMAC-SHA256 of its bytes with the cluster's key. */
static void
line_mac(const char *line, int len, char *hex)
{
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);

	if (ctx == NULL || pg_hmac_init(ctx, audit_key, sizeof(audit_key)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) line, len) < 0 ||
		pg_hmac_final(ctx, mac, sizeof(mac)) < 0)
		elog(ERROR, "dvflag: could not sign an audit line: %s", ctx ? pg_hmac_error(ctx) : "out of memory");
	pg_hmac_free(ctx);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
}

/*
 * The event as one server-log line, written at once, never to the client:
 * its JSON object, with "mac" appended as its last member.
 */
static void
log_event(const char *actor, const char *client, const char *action,
		  const char *target, const char *detail, TimestampTz at)
{
	StringInfoData line;
	char		mac[2 * PG_SHA256_DIGEST_LENGTH + 1];

	initStringInfo(&line);
	appendStringInfoChar(&line, '{');
	dv_json_field_text(&line, "at", timestamptz_to_str(at));
	dv_json_field_text(&line, "actor", actor);
	dv_json_field_text(&line, "client", client);
	dv_json_field_text(&line, "action", action);
	dv_json_field_text(&line, "target", target);
	dv_json_field_raw(&line, "standby", RecoveryInProgress() ? "true" : "false");
	dv_json_field_raw(&line, "detail", detail);
	appendStringInfoChar(&line, '}');
	load_audit_key();
	line_mac(line.data, line.len, mac);
	line.data[--line.len] = '\0';	/* "mac" goes inside the object */
	dv_json_field_text(&line, "mac", mac);
	appendStringInfoChar(&line, '}');
	ereport(LOG_SERVER_ONLY,
			(errmsg_internal(AUDIT_LOG_PREFIX "%s", line.data),
			 errhidestmt(true), errhidecontext(true)));
	pfree(line.data);
}

static const char *
client_identity(void)
{
	return dv_client(NULL);
}

/*
 * Record one audit event on the given channels.  'acting' is the role that
 * acted, when the caller knows it (the acting functions); InvalidOid takes
 * the role the client acts as.  It is recorded as detail.role when it
 * differs from the login role.
 */
void
dv_audit(int channels, Oid acting, const char *action, const char *target,
		 const char *detail_json)
{
	char	   *actor = GetUserNameFromId(GetSessionUserId(), false);
	const char *client = client_identity();
	char	   *detail = event_detail(new_event_id(), acting, detail_json);
	TimestampTz at = GetCurrentTimestamp();
	bool		table = (channels & DV_AUDIT_TABLE) != 0;
	DvActing	act;

	if (channels & DV_AUDIT_LOG)
		log_event(actor, client, action, target, detail, at);
	if (channels & DV_AUDIT_QUEUE)
	{
		const char *const fields[5] = {actor, client, action, target, detail};

		/* queued, or written here as the owner, in the caller's transaction */
		table = !dv_audit_enqueue(fields, at);
		if (table)
			dv_act_begin(&act);
	}
	if (table && !RecoveryInProgress() && !XactReadOnly)
	{
		Datum		values[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

		values[0] = CStringGetTextDatum(actor);
		values[1] = client ? CStringGetTextDatum(client) : (Datum) 0;
		nulls[1] = client ? ' ' : 'n';
		values[2] = CStringGetTextDatum(action);
		values[3] = target ? CStringGetTextDatum(target) : (Datum) 0;
		nulls[3] = target ? ' ' : 'n';
		values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(detail));
		dv_exec(&insert_audit, values, nulls, false, 0);
	}
	if ((channels & DV_AUDIT_QUEUE) && table)
		dv_act_end(&act);
	pfree(detail);
}

/*
 * A refused initial registration (card_register_refused): its log line at
 * once, then its audit row and its row in dvflag.registration_refusal,
 * committed on their own by the audit writer (durable.c), so that both
 * outlive the error that follows.  On a hot standby only the line.
 */
void
dv_audit_refusal(const char *target, const char *link_no, const char *card_serial,
				 const char *detail_json)
{
	const char *action = "card_register_refused";
	char	   *actor = GetUserNameFromId(GetSessionUserId(), false);
	const char *client = client_identity();
	char	   *event = new_event_id();
	char	   *detail = event_detail(event, InvalidOid, detail_json);

	log_event(actor, client, action, target, detail, GetCurrentTimestamp());
	if (!RecoveryInProgress())
	{
		const char *const fields[DV_DURABLE_FIELDS] = {actor, client, action, target, detail,
		link_no, card_serial, event};

		dv_audit_durable(fields);
	}
	pfree(detail);
}

PG_FUNCTION_INFO_V1(dvflag_refuse_change);
/* Trigger: refuse what would bypass the audit (sql/10_helpers.sql). */
Datum
dvflag_refuse_change(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	const char *rel;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "dvflag_refuse_change: not called as a trigger");
	rel = RelationGetRelationName(td->tg_relation);
	/* the retention purge's own row deletions (purge.c), and nothing else */
	if (dv_behalf && dv_behalf->purging && TRIGGER_FIRED_BY_DELETE(td->tg_event) && TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(td->tg_trigtuple);
	if (strcmp(rel, "audit") == 0 || strcmp(rel, "provision_record") == 0 ||
		strcmp(rel, "provision_mark") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dvflag.%s is append-only", rel),
				 errdetail("Its rows cannot be updated, deleted or truncated, not even by their owner."),
				 errhint("Rows past their retention go with dvflag.purge(); a correction is recorded as a new row.")));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("TRUNCATE of dvflag.%s is not allowed", rel),
			 errhint("DELETE the rows with dvflag.reason set, so that every flag change is audited.")));
	PG_RETURN_NULL();
}
