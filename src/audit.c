/*
 * audit.c — the audit trail.
 *
 * Three channels:
 *   DV_AUDIT_TABLE  a row in dvflag.audit, part of the caller's transaction:
 *                   for changes (a flag change is audited iff it commits);
 *   DV_AUDIT_LOG    a line in the server log, written before the answer is
 *                   returned: for audited reads and refusals, which must
 *                   survive a ROLLBACK, an error and a hot standby;
 *   DV_AUDIT_DURABLE a row in dvflag.audit committed on its own, whatever
 *                   the caller's transaction does (durable.c): for the
 *                   refused registrations that sb_due_for_clearing reads.
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

/*
 * Record one audit event on the given channels.  'acting' is the role that
 * acted, when the caller knows it (the acting functions); InvalidOid takes
 * the role the client acts as (GetOuterUserId()).  It is recorded as
 * detail.role when it differs from the login role.
 */
void
dv_audit(int channels, Oid acting, const char *action, const char *target,
		 const char *detail_json)
{
	char	   *actor = GetUserNameFromId(GetSessionUserId(), false);
	const char *client = (dv_client_setting && dv_client_setting[0]) ? dv_client_setting : NULL;
	char		event[64];
	StringInfoData detail;

	snprintf(event, sizeof(event), "%lx.%x.%llu",
			 (unsigned long) MyStartTime, (unsigned) MyProcPid,
			 (unsigned long long) ++audit_event_counter);

	/* the detail object, led by the event id */
	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	dv_json_field_text(&detail, "event", event);
	if (!OidIsValid(acting))
		acting = GetOuterUserId();
	if (acting != GetSessionUserId())
		dv_json_field_text(&detail, "role", GetUserNameFromId(acting, false));
	if (detail_json && strlen(detail_json) > 2)
	{
		appendStringInfoChar(&detail, ',');
		appendStringInfoString(&detail, detail_json + 1);
	}
	else
		appendStringInfoChar(&detail, '}');

	if (channels & DV_AUDIT_LOG)
	{
		StringInfoData line;

		initStringInfo(&line);
		appendStringInfoChar(&line, '{');
		dv_json_field_text(&line, "at", timestamptz_to_str(GetCurrentTimestamp()));
		dv_json_field_text(&line, "actor", actor);
		dv_json_field_text(&line, "client", client);
		dv_json_field_text(&line, "action", action);
		dv_json_field_text(&line, "target", target);
		dv_json_field_raw(&line, "standby", RecoveryInProgress() ? "true" : "false");
		dv_json_field_raw(&line, "detail", detail.data);
		appendStringInfoChar(&line, '}');
		ereport(LOG_SERVER_ONLY,
				(errmsg_internal(AUDIT_LOG_PREFIX "%s", line.data),
				 errhidestmt(true), errhidecontext(true)));
		pfree(line.data);
	}

	if ((channels & DV_AUDIT_TABLE) && !RecoveryInProgress() && !XactReadOnly)
	{
		Datum		values[5];
		char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

		values[0] = CStringGetTextDatum(actor);
		values[1] = client ? CStringGetTextDatum(client) : (Datum) 0;
		nulls[1] = client ? ' ' : 'n';
		values[2] = CStringGetTextDatum(action);
		values[3] = target ? CStringGetTextDatum(target) : (Datum) 0;
		nulls[3] = target ? ' ' : 'n';
		values[4] = DirectFunctionCall1(jsonb_in, CStringGetDatum(detail.data));
		dv_exec(&insert_audit, values, nulls, false, 0);
	}
	if ((channels & DV_AUDIT_DURABLE) && !RecoveryInProgress())
		dv_audit_durable(actor, client, action, target, detail.data);
	pfree(detail.data);
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
	if (dv_purging && TRIGGER_FIRED_BY_DELETE(td->tg_event) && TRIGGER_FIRED_FOR_ROW(td->tg_event))
		return PointerGetDatum(td->tg_trigtuple);
	if (strcmp(rel, "audit") == 0 || strcmp(rel, "provision_record") == 0 ||
		strcmp(rel, "provision_mark") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("dvflag.%s is append-only", rel),
				 errdetail("Its rows cannot be updated, deleted or truncated, not even by their owner.")));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("TRUNCATE of dvflag.%s is not allowed", rel),
			 errhint("DELETE the rows with dvflag.reason set, so that every flag change is audited.")));
	PG_RETURN_NULL();
}
