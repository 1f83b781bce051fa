/*
 * provision.c — information provision (情報連携, RULES.md §6).
 *
 * A requester's request about an enrollment is answered at once from the
 * item's 副本 unless AR is set on the enrollment or on the item at that
 * insurer; then it waits for that insurer's staff, who approve (with the
 * content corrected if need be) or decline it, or it expires.  Whatever the
 * end, one provision record (情報提供等記録) is appended, marked
 * non-disclosed as rules.c decides from the NDC and the ND flags read when
 * the provision completes.  The enrollment row is read FOR SHARE at that
 * moment, so an ND being set concurrently is either waited for (and
 * counted) or set after the record exists.  Records and the marks appended
 * to them later are never updated or deleted (triggers in sql/70_provision.sql).
 *
 * Every function here decides by its caller (the requester who asks, the
 * staff of which insurers), so all are acting functions: SECURITY INVOKER,
 * the caller taken as GetUserId() on entry, SPI run as the owner.  Order:
 * arguments (22023), right to act (42501), existence (P0002), state
 * (55000), act, audit.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "rules.h"

/* A request as read, locked, for completion. */
typedef struct Request
{
	int64		id;
	char	   *insurer_no;
	bool		has_enrollment;
	int64		enrollment_id;
	char	   *link_no;		/* NULL when no enrollment matched */
	char	   *item_code;
	bool		ndc;
	char	   *status;
	bool		expired;
	Oid			requester_role;
} Request;

/* The flags that decide automatic answers and marks, read FOR SHARE. */
typedef struct ItemFacts
{
	bool		enrollment_nd,
				enrollment_ar,
				item_nd,
				item_ar;
} ItemFacts;

static DvPlan lock_enrollment = {
	"SELECT e.nd, e.ar FROM dvflag.enrollment e WHERE e.id OPERATOR(pg_catalog.=) $1 FOR SHARE",
	1, {INT8OID}, NULL, false
};
/*
 * An item's flags are read from a row that always exists by then: a
 * provision completing and a flag being set on an item never seen before
 * would otherwise lock nothing, and the provision would miss an ND
 * committed just after its read.  Creating the row first makes the two
 * wait for each other like on any existing row.
 */
static DvPlan ensure_item = {
	"INSERT INTO dvflag.item_flag (insurer_no, item_code) VALUES ($1, $2)"
	" ON CONFLICT (insurer_no, item_code) DO NOTHING",
	2, {TEXTOID, TEXTOID}, NULL, false
};
#define LOCK_ITEM(lock) \
	{"SELECT f.nd, f.ar FROM dvflag.item_flag f WHERE f.insurer_no OPERATOR(pg_catalog.=) $1" \
	 "   AND f.item_code OPERATOR(pg_catalog.=) $2 " lock, 2, {TEXTOID, TEXTOID}, NULL, false}
static DvPlan lock_item[2] = {LOCK_ITEM("FOR SHARE"), LOCK_ITEM("FOR UPDATE")};	/* [for_update] */
/* One plan per flag: only the flag set is written, never the other. */
static DvPlan update_item_flag[2] = {
	{"UPDATE dvflag.item_flag SET nd = $3 WHERE insurer_no OPERATOR(pg_catalog.=) $1"
	 "   AND item_code OPERATOR(pg_catalog.=) $2", 3, {TEXTOID, TEXTOID, BOOLOID}, NULL, false},
	{"UPDATE dvflag.item_flag SET ar = $3 WHERE insurer_no OPERATOR(pg_catalog.=) $1"
	 "   AND item_code OPERATOR(pg_catalog.=) $2", 3, {TEXTOID, TEXTOID, BOOLOID}, NULL, false},
};
static DvPlan find_copy = {
	"SELECT c.content FROM dvflag.item_copy c WHERE c.enrollment_id OPERATOR(pg_catalog.=) $1"
	"   AND c.item_code OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, TEXTOID}, NULL, false
};
static DvPlan insert_request = {
	"INSERT INTO dvflag.provision_request (expires_at, requester, requester_client, insurer_no,"
	"   symbol, number, branch, enrollment_id, item_code, ndc, status, requester_role)"
	" VALUES (pg_catalog.now() OPERATOR(pg_catalog.+) ($1 OPERATOR(pg_catalog.*) '1 minute'::pg_catalog.interval),"
	"         $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11) RETURNING id",
	11, {INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID, BOOLOID, OIDOID},
	NULL, false
};
#define REQUEST_COLUMNS \
	"SELECT r.id, r.insurer_no, r.enrollment_id, e.link_no, r.item_code, r.ndc, r.status," \
	"       r.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now(), r.requester_role" \
	"  FROM dvflag.provision_request r" \
	"  LEFT JOIN dvflag.enrollment e ON e.id OPERATOR(pg_catalog.=) r.enrollment_id"
static DvPlan lock_request = {
	REQUEST_COLUMNS " WHERE r.id OPERATOR(pg_catalog.=) $1 FOR UPDATE OF r",
	1, {INT8OID}, NULL, false
};
static DvPlan lock_expired_requests = {
	REQUEST_COLUMNS
	" WHERE r.status OPERATOR(pg_catalog.=) 'pending'"
	"   AND r.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now()"
	"   AND ($1 OR r.insurer_no OPERATOR(pg_catalog.=) ANY ($2))"
	" ORDER BY r.id FOR UPDATE OF r",
	2, {BOOLOID, TEXTARRAYOID}, NULL, false
};
static DvPlan insert_record = {
	"INSERT INTO dvflag.provision_record (request_id, requester, requester_client, insurer_no,"
	"   enrollment_id, link_no, item_code, ndc, requested_at, outcome, manual, nd_mark)"
	" SELECT r.id, r.requester, r.requester_client, r.insurer_no, r.enrollment_id, $2,"
	"        r.item_code, r.ndc, r.requested_at, $3, $4, $5"
	"   FROM dvflag.provision_request r WHERE r.id OPERATOR(pg_catalog.=) $1 RETURNING id",
	5, {INT8OID, TEXTOID, TEXTOID, BOOLOID, BOOLOID}, NULL, false
};
static DvPlan close_request = {
	"UPDATE dvflag.provision_request SET status = $2, answer = $3, record_id = $4"
	" WHERE id OPERATOR(pg_catalog.=) $1",
	4, {INT8OID, TEXTOID, JSONBOID, INT8OID}, NULL, false
};
static DvPlan read_answer = {
	"SELECT r.status, r.answer, r.record_id FROM dvflag.provision_request r"
	" WHERE r.id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, NULL, false
};
static DvPlan pending = {
	"SELECT r.id, r.requested_at, r.expires_at, r.requester, r.requester_client, r.insurer_no,"
	"       r.symbol, r.number, r.branch, r.item_code, r.ndc,"
	"       e.nd, f.nd, c.content"
	"  FROM dvflag.provision_request r"
	"  LEFT JOIN dvflag.enrollment e ON e.id OPERATOR(pg_catalog.=) r.enrollment_id"
	"  LEFT JOIN dvflag.item_flag f ON f.insurer_no OPERATOR(pg_catalog.=) r.insurer_no"
	"        AND f.item_code OPERATOR(pg_catalog.=) r.item_code"
	"  LEFT JOIN dvflag.item_copy c ON c.enrollment_id OPERATOR(pg_catalog.=) r.enrollment_id"
	"        AND c.item_code OPERATOR(pg_catalog.=) r.item_code"
	" WHERE r.status OPERATOR(pg_catalog.=) 'pending'"
	"   AND r.expires_at OPERATOR(pg_catalog.>) pg_catalog.now()"
	"   AND ($1 OR r.insurer_no OPERATOR(pg_catalog.=) ANY ($2))"
	" ORDER BY r.id",
	2, {BOOLOID, TEXTARRAYOID}, NULL, false
};
static DvPlan upsert_copy = {
	"INSERT INTO dvflag.item_copy (enrollment_id, item_code, content) VALUES ($1, $2, $3)"
	" ON CONFLICT (enrollment_id, item_code)"
	" DO UPDATE SET content = EXCLUDED.content, registered_at = pg_catalog.now()",
	3, {INT8OID, TEXTOID, JSONBOID}, NULL, false
};
static DvPlan find_record = {
	"SELECT r.insurer_no, r.nd_mark OR EXISTS (SELECT 1 FROM dvflag.provision_mark m"
	"                                         WHERE m.record_id OPERATOR(pg_catalog.=) r.id),"
	"       e.link_no"
	"  FROM dvflag.provision_record r"
	"  LEFT JOIN dvflag.enrollment e ON e.id OPERATOR(pg_catalog.=) r.enrollment_id"
	" WHERE r.id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, NULL, false
};
static DvPlan insert_mark = {
	"INSERT INTO dvflag.provision_mark (record_id, actor, reason) VALUES ($1, $2, $3)",
	3, {INT8OID, TEXTOID, TEXTOID}, NULL, false
};
static DvPlan mark_person = {
	"INSERT INTO dvflag.provision_mark (record_id, actor, reason)"
	" SELECT r.id, $2, $3 FROM dvflag.provision_record r"
	"  WHERE (r.link_no OPERATOR(pg_catalog.=) $1"
	"         OR r.enrollment_id IN (SELECT e.id FROM dvflag.enrollment e"
	"                                 WHERE e.link_no OPERATOR(pg_catalog.=) $1))"
	"    AND NOT r.nd_mark"
	"    AND NOT EXISTS (SELECT 1 FROM dvflag.provision_mark m"
	"                     WHERE m.record_id OPERATOR(pg_catalog.=) r.id)"
	"  ORDER BY r.id",
	3, {TEXTOID, TEXTOID, TEXTOID}, NULL, false
};

/* 22023 unless the item code is 1 to 32 of A-Z and 0-9 (特定個人情報名コード). */
static char *
item_code_arg(FunctionCallInfo fcinfo, int n)
{
	char	   *code = dv_required_text_arg(fcinfo, n, "item_code");
	size_t		len = strlen(code);

	for (size_t i = 0; i < len; i++)
		if (!((code[i] >= 'A' && code[i] <= 'Z') || (code[i] >= '0' && code[i] <= '9')))
			len = 0;
	if (len == 0 || len > 32)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("item_code \"%.40s\" is not an item code", code),
				 errhint("An item code (特定個人情報名コード) is 1 to 32 of A-Z and 0-9, e.g. TM00000000000003.")));
	return code;
}

static bool
bool_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", argname),
				 errhint("Only the arguments that docs/API.md marks optional may be NULL.")));
	return PG_GETARG_BOOL(n);
}

static int64
id_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", argname),
				 errhint("Only the arguments that docs/API.md marks optional may be NULL.")));
	return PG_GETARG_INT64(n);
}

static char *
role_name(Oid role)
{
	return GetUserNameFromId(role, false);
}

/* Read the flags of the enrollment and the item, locking both rows. */
static ItemFacts
lock_facts(bool has_enrollment, int64 enrollment_id, const char *insurer_no,
		   const char *item_code, bool for_update)
{
	ItemFacts	f = {false, false, false, false};
	Datum		args[2];

	if (has_enrollment)
	{
		args[0] = Int64GetDatum(enrollment_id);
		dv_exec(&lock_enrollment, args, NULL, false, 0);
		if (SPI_processed == 1)
		{
			f.enrollment_nd = dv_col_bool(SPI_tuptable->vals[0], 1);
			f.enrollment_ar = dv_col_bool(SPI_tuptable->vals[0], 2);
		}
	}
	args[0] = CStringGetTextDatum(insurer_no);
	args[1] = CStringGetTextDatum(item_code);
	dv_exec(&ensure_item, args, NULL, false, 0);
	dv_exec(&lock_item[for_update], args, NULL, false, 0);
	if (SPI_processed == 1)
	{
		f.item_nd = dv_col_bool(SPI_tuptable->vals[0], 1);
		f.item_ar = dv_col_bool(SPI_tuptable->vals[0], 2);
	}
	return f;
}

/* The request's row, locked; P0002 when there is none. */
static Request
read_request(int64 id)
{
	Request		r;
	Datum		arg = Int64GetDatum(id);
	HeapTuple	tup;
	bool		isnull;
	Datum		eid;

	dv_exec(&lock_request, &arg, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no request with id " INT64_FORMAT, id),
				 errhint("Give the request_id that dvflag.request_information() returned.")));
	tup = SPI_tuptable->vals[0];
	r.id = id;
	r.insurer_no = dv_col_text(tup, 2);
	eid = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
	r.has_enrollment = !isnull;
	r.enrollment_id = isnull ? 0 : DatumGetInt64(eid);
	r.link_no = dv_col_text(tup, 4);
	r.item_code = dv_col_text(tup, 5);
	r.ndc = dv_col_bool(tup, 6);
	r.status = dv_col_text(tup, 7);
	r.expired = dv_col_bool(tup, 8);
	r.requester_role = DatumGetObjectId(SPI_getbinval(tup, SPI_tuptable->tupdesc, 9, &isnull));
	return r;
}

/*
 * Complete a request: append its record, close the request, audit.  The
 * mark follows rules.c from the NDC and the flags read now; a manual
 * answer's choice is applied, and refused as the rules say.  Returns the
 * record's id.
 */
static int64
complete(const Request *r, const char *outcome, bool manual, Datum content,
		 DvMarkChoice choice, const char *override_reason, const char *reason,
		 Oid acting)
{
	ItemFacts	f;
	DvMarkDecision d;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int64		record_id;
	StringInfoData detail;
	char	   *target = psprintf("request " INT64_FORMAT, r->id);

	dv_audit_require_log();
	f = lock_facts(r->has_enrollment, r->enrollment_id, r->insurer_no, r->item_code, false);
	d = dv_decide_mark(r->ndc, f.enrollment_nd, f.item_nd, choice, override_reason != NULL);

	if (d == DV_MARK_REFUSED_NDC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the requester asked for non-disclosure (NDC); the record keeps its mark"),
				 errhint("Approve with mark => NULL or true.")));
	if (d == DV_MARK_NEEDS_REASON)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("removing the non-disclosure mark that ND requires needs an override_reason"),
				 errdetail("ND is set on the enrollment or on item %s at insurer %s.",
						   r->item_code, r->insurer_no),
				 errhint("Approve with mark => false, override_reason => '...', or leave the mark.")));

	args[0] = Int64GetDatum(r->id);
	args[1] = r->link_no ? CStringGetTextDatum(r->link_no) : (Datum) 0;
	nulls[1] = r->link_no ? ' ' : 'n';
	args[2] = CStringGetTextDatum(outcome);
	args[3] = BoolGetDatum(manual);
	args[4] = BoolGetDatum(d == DV_MARK_SET);
	dv_exec(&insert_record, args, nulls, false, 0);
	record_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											&(bool){0}));

	args[1] = CStringGetTextDatum(outcome);
	args[2] = content;
	nulls[1] = ' ';
	nulls[2] = content ? ' ' : 'n';
	args[3] = Int64GetDatum(record_id);
	nulls[3] = ' ';
	dv_exec(&close_request, args, nulls, false, 0);

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	dv_json_field_raw(&detail, "request_id", psprintf(INT64_FORMAT, r->id));
	dv_json_field_raw(&detail, "record_id", psprintf(INT64_FORMAT, record_id));
	dv_json_field_text(&detail, "outcome", outcome);
	dv_json_field_raw(&detail, "manual", manual ? "true" : "false");
	dv_json_field_raw(&detail, "nd_mark", d == DV_MARK_SET ? "true" : "false");
	dv_json_field_text(&detail, "item_code", r->item_code);
	dv_json_field_text(&detail, "link_no", r->link_no);
	dv_json_field_text(&detail, "reason", reason);
	appendStringInfoChar(&detail, '}');
	/* in the server log too: a caller who rolls back has still seen it */
	dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, acting, "provision_completed", target, detail.data);

	if (d == DV_MARK_OVERRIDDEN)
	{
		resetStringInfo(&detail);
		appendStringInfoChar(&detail, '{');
		dv_json_field_raw(&detail, "record_id", psprintf(INT64_FORMAT, record_id));
		dv_json_field_raw(&detail, "enrollment_nd", f.enrollment_nd ? "true" : "false");
		dv_json_field_raw(&detail, "item_nd", f.item_nd ? "true" : "false");
		dv_json_field_text(&detail, "reason", override_reason);
		appendStringInfoChar(&detail, '}');
		dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, acting, "provision_mark_override", target, detail.data);
	}
	return record_id;
}

/* A provision_answer composite. */
static Datum
answer_datum(FunctionCallInfo fcinfo, int64 request_id, const char *status,
			 Datum content, bool has_record, int64 record_id)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, content == (Datum) 0, !has_record};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "dvflag: provision_answer is not a composite type");
	desc = BlessTupleDesc(desc);
	values[0] = Int64GetDatum(request_id);
	values[1] = CStringGetTextDatum(status);
	values[2] = content;
	values[3] = Int64GetDatum(record_id);
	return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
}

PG_FUNCTION_INFO_V1(dvflag_request_information);
/* request_information(insurer_no, symbol, number, branch, item_code, ndc) */
Datum
dvflag_request_information(PG_FUNCTION_ARGS)
{
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	char	   *item_code = item_code_arg(fcinfo, 4);
	bool		ndc = bool_arg(fcinfo, 5, "ndc");
	DvActing	act;
	Datum		args[11];
	char		nulls[11];
	HeapTuple	tup;
	Request		r;
	const char *status = "pending";
	Datum		content = (Datum) 0;
	int64		record_id = 0;
	StringInfoData d;

	dv_refuse_in_restricted_operation("dvflag.request_information()");
	dv_act_begin(&act);
	dv_require_insurer(c.insurer_no);

	memset(&r, 0, sizeof(r));
	r.insurer_no = c.insurer_no;
	r.item_code = item_code;
	r.ndc = ndc;
	r.requester_role = act.caller;
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_NONE, true);
	if (tup != NULL)
	{
		r.has_enrollment = true;
		r.enrollment_id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &(bool){0}));
		r.link_no = dv_col_text(tup, 2);
	}

	args[0] = Int32GetDatum(dv_request_validity);
	args[1] = CStringGetTextDatum(role_name(act.caller));
	args[2] = dv_client(NULL) ? CStringGetTextDatum(dv_client(NULL)) : (Datum) 0;
	args[3] = CStringGetTextDatum(c.insurer_no);
	args[4] = c.symbol ? CStringGetTextDatum(c.symbol) : (Datum) 0;
	args[5] = CStringGetTextDatum(c.number);
	args[6] = CStringGetTextDatum(c.branch);
	args[7] = Int64GetDatum(r.enrollment_id);
	args[8] = CStringGetTextDatum(item_code);
	args[9] = BoolGetDatum(ndc);
	args[10] = ObjectIdGetDatum(act.caller);
	memset(nulls, ' ', sizeof(nulls));
	nulls[2] = args[2] ? ' ' : 'n';
	nulls[4] = c.symbol ? ' ' : 'n';
	nulls[7] = r.has_enrollment ? ' ' : 'n';
	dv_exec(&insert_request, args, nulls, false, 0);
	r.id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0}));

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_raw(&d, "request_id", psprintf(INT64_FORMAT, r.id));
	dv_json_field_text(&d, "item_code", item_code);
	dv_json_field_raw(&d, "ndc", ndc ? "true" : "false");
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, act.caller, "information_request", dv_card_target(&c), d.data);

	if (!r.has_enrollment)
	{
		/* nobody to route the request to: 機関別符号未発行 */
		status = "no_agency_code";
		record_id = complete(&r, status, false, (Datum) 0, DV_MARK_AS_REQUIRED, NULL, NULL, act.caller);
	}
	else
	{
		ItemFacts	f = lock_facts(true, r.enrollment_id, r.insurer_no, item_code, false);

		if (dv_answers_automatically(f.enrollment_ar, f.item_ar))
		{
			args[0] = Int64GetDatum(r.enrollment_id);
			args[1] = CStringGetTextDatum(item_code);
			dv_exec(&find_copy, args, NULL, false, 0);
			if (SPI_processed == 0)
				status = "no_copy"; /* 副本未登録 */
			else
			{
				status = "provided";
				content = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0});
			}
			record_id = complete(&r, status, false, content, DV_MARK_AS_REQUIRED, NULL, NULL, act.caller);
		}
	}
	if (content)
		content = SPI_datumTransfer(content, false, -1);
	dv_act_end(&act);
	PG_RETURN_DATUM(answer_datum(fcinfo, r.id, status, content, record_id != 0, record_id));
}

PG_FUNCTION_INFO_V1(dvflag_request_answer);
/* request_answer(request_id): the caller's own request; closes it if expired. */
Datum
dvflag_request_answer(PG_FUNCTION_ARGS)
{
	int64		id = id_arg(fcinfo, 0, "request_id");
	DvActing	act;
	Request		r;
	Datum		arg = Int64GetDatum(id);
	HeapTuple	tup;
	bool		isnull;
	char	   *status;
	Datum		content,
				record;
	bool		has_record;

	dv_act_begin(&act);
	r = read_request(id);
	/* another requester's request does not exist, as far as this one knows */
	if (r.requester_role != act.caller && !dv_role_has(act.caller, DV_ROLE_ADMIN))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no request with id " INT64_FORMAT, id),
				 errhint("Give the request_id that dvflag.request_information() returned.")));
	if (strcmp(r.status, "pending") == 0 && r.expired)
	{
		dv_refuse_in_restricted_operation("dvflag.request_answer()");
		complete(&r, "expired", false, (Datum) 0, DV_MARK_AS_REQUIRED, NULL, NULL, act.caller);
	}
	dv_exec(&read_answer, &arg, NULL, false, 0);
	tup = SPI_tuptable->vals[0];
	status = dv_col_text(tup, 1);
	content = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);
	content = isnull ? (Datum) 0 : SPI_datumTransfer(content, false, -1);
	record = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
	has_record = !isnull;
	status = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, status);
	dv_act_end(&act);
	PG_RETURN_DATUM(answer_datum(fcinfo, id, status, content, has_record,
								 has_record ? DatumGetInt64(record) : 0));
}

/* A row of 'pending', with whether the record will have to be marked. */
static bool
pending_row(HeapTuple tup, TupleDesc desc, Datum *values, bool *nulls)
{
	for (int k = 0; k < 11; k++)
		values[k] = SPI_getbinval(tup, desc, k + 1, &nulls[k]);
	values[11] = BoolGetDatum(dv_mark_required(dv_col_bool(tup, 11), dv_col_bool(tup, 12),
											   dv_col_bool(tup, 13)));
	nulls[11] = false;
	values[12] = SPI_getbinval(tup, desc, 14, &nulls[12]);
	return true;
}

PG_FUNCTION_INFO_V1(dvflag_pending_requests);
/* pending_requests(): the pending, unexpired requests of the caller's insurers. */
Datum
dvflag_pending_requests(PG_FUNCTION_ARGS)
{
	dv_staff_list(fcinfo, &pending, &pending, "list pending requests", 13, pending_row);
	return (Datum) 0;
}

/*
 * The pending request a staff caller is about to answer, locked; 42501 when
 * the caller may not act for its insurer, 55000 when it is not pending.
 */
static Request
request_to_answer(Oid caller, int64 id, const char *what)
{
	bool		all;
	Datum		staff_of;
	Request		r;

	staff_of = dv_require_right(caller, DV_RIGHT_SOME_INSURER, NULL, what, &all);
	r = read_request(id);
	if (!all && !dv_insurer_in(r.insurer_no, staff_of))
		dv_permission_denied(psprintf("%s " INT64_FORMAT, what, id),
							 "Only dvflag_admin and the staff of the request's insurer may.");
	if (strcmp(r.status, "pending") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("request " INT64_FORMAT " is not pending: it is %s", id, r.status),
				 errhint("A request is answered once; dvflag.pending_requests() lists those still waiting.")));
	if (r.expired)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("request " INT64_FORMAT " has expired", id),
				 errhint("dvflag.expire_requests() records it as expired.")));
	return r;
}

PG_FUNCTION_INFO_V1(dvflag_approve_request);
/* approve_request(request_id, content, mark, override_reason): 送信許可 */
Datum
dvflag_approve_request(PG_FUNCTION_ARGS)
{
	int64		id = id_arg(fcinfo, 0, "request_id");
	Datum		content = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	DvMarkChoice choice = PG_ARGISNULL(2) ? DV_MARK_AS_REQUIRED
		: (PG_GETARG_BOOL(2) ? DV_MARK_ADD : DV_MARK_REMOVE);
	char	   *override_reason = dv_optional_text_arg(fcinfo, 3);
	DvActing	act;
	Request		r;
	int64		record_id;

	if (override_reason != NULL && dv_text_is_blank(override_reason))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("override_reason must be NULL or say why"),
				 errhint("Say why the mark that ND requires is removed, or pass NULL.")));
	if (override_reason != NULL && choice != DV_MARK_REMOVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("override_reason is only for removing a mark (mark => false)"),
				 errhint("Pass mark => false with it, or leave override_reason NULL.")));
	dv_refuse_in_restricted_operation("dvflag.approve_request()");
	dv_act_begin(&act);
	r = request_to_answer(act.caller, id, "approve request");
	if (content == (Datum) 0)
	{
		Datum		args[2] = {Int64GetDatum(r.enrollment_id), CStringGetTextDatum(r.item_code)};

		dv_exec(&find_copy, args, NULL, false, 0);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("no 副本 is registered for item %s of this enrollment", r.item_code),
					 errhint("Pass the content to provide, or register it with dvflag.register_item_copy().")));
		content = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0});
	}
	record_id = complete(&r, "provided", true, content, choice, override_reason, NULL, act.caller);
	dv_act_end(&act);
	PG_RETURN_INT64(record_id);
}

PG_FUNCTION_INFO_V1(dvflag_decline_request);
/* decline_request(request_id, reason) */
Datum
dvflag_decline_request(PG_FUNCTION_ARGS)
{
	int64		id = id_arg(fcinfo, 0, "request_id");
	char	   *reason = dv_required_text_arg(fcinfo, 1, "reason");
	DvActing	act;
	Request		r;
	int64		record_id;

	dv_refuse_in_restricted_operation("dvflag.decline_request()");
	dv_act_begin(&act);
	r = request_to_answer(act.caller, id, "decline request");
	record_id = complete(&r, "declined", true, (Datum) 0, DV_MARK_AS_REQUIRED, NULL, reason, act.caller);
	dv_act_end(&act);
	PG_RETURN_INT64(record_id);
}

PG_FUNCTION_INFO_V1(dvflag_expire_requests);
/* expire_requests(): close the caller's insurers' expired requests. */
Datum
dvflag_expire_requests(PG_FUNCTION_ARGS)
{
	DvActing	act;
	Datum		args[2];
	bool		all;
	int64	   *ids;
	uint64		n;

	dv_refuse_in_restricted_operation("dvflag.expire_requests()");
	dv_act_begin(&act);
	args[1] = dv_require_right(act.caller, DV_RIGHT_SOME_INSURER, NULL, "expire requests", &all);
	args[0] = BoolGetDatum(all);
	dv_exec(&lock_expired_requests, args, NULL, false, 0);
	n = SPI_processed;
	ids = palloc(sizeof(int64) * (n + 1));
	for (uint64 i = 0; i < n; i++)
		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1,
											 &(bool){0}));
	for (uint64 i = 0; i < n; i++)
	{
		Request		r = read_request(ids[i]);

		complete(&r, "expired", false, (Datum) 0, DV_MARK_AS_REQUIRED, NULL, NULL, act.caller);
	}
	dv_act_end(&act);
	PG_RETURN_INT32((int32) n);
}

PG_FUNCTION_INFO_V1(dvflag_set_item_flag);
/* set_item_flag(insurer_no, item_code, flag, value, reason) */
Datum
dvflag_set_item_flag(PG_FUNCTION_ARGS)
{
	char	   *insurer_no = dv_required_text_arg(fcinfo, 0, "insurer_no");
	char	   *item_code = item_code_arg(fcinfo, 1);
	char	   *flag = dv_required_text_arg(fcinfo, 2, "flag");
	bool		value = bool_arg(fcinfo, 3, "value");
	char	   *reason = dv_required_text_arg(fcinfo, 4, "reason");
	bool		is_nd = pg_strcasecmp(flag, "nd") == 0;
	DvActing	act;
	ItemFacts	f;
	bool		old;
	Datum		args[4];
	StringInfoData d;

	dv_check_insurer_no_arg(insurer_no);
	if (!is_nd && pg_strcasecmp(flag, "ar") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown item flag \"%.20s\"", flag),
				 errhint("An item carries 'nd' (不開示該当) or 'ar' (自動応答不可).")));
	dv_refuse_in_restricted_operation("dvflag.set_item_flag()");
	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_INSURER, insurer_no, "set its item flags", NULL);
	args[0] = CStringGetTextDatum(insurer_no);
	dv_require_insurer(insurer_no);
	f = lock_facts(false, 0, insurer_no, item_code, true);
	old = is_nd ? f.item_nd : f.item_ar;
	if (old != value)
	{
		args[1] = CStringGetTextDatum(item_code);
		args[2] = BoolGetDatum(value);
		dv_exec(&update_item_flag[is_nd ? 0 : 1], args, NULL, false, 0);
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_text(&d, "flag", is_nd ? "nd" : "ar");
		dv_json_field_raw(&d, "old", old ? "true" : "false");
		dv_json_field_raw(&d, "new", value ? "true" : "false");
		dv_json_field_text(&d, "reason", reason);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, act.caller, "item_flag_change",
				 psprintf("%s/%s", insurer_no, item_code), d.data);
	}
	dv_act_end(&act);
	PG_RETURN_BOOL(old != value);
}

PG_FUNCTION_INFO_V1(dvflag_register_item_copy);
/* register_item_copy(insurer_no, symbol, number, branch, item_code, content) */
Datum
dvflag_register_item_copy(PG_FUNCTION_ARGS)
{
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	char	   *item_code = item_code_arg(fcinfo, 4);
	DvActing	act;
	Datum		args[4];
	HeapTuple	tup;
	int64		enrollment_id;
	StringInfoData d;

	if (PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("content must not be NULL"),
				 errhint("Give the item's content (its 副本) as jsonb.")));
	dv_refuse_in_restricted_operation("dvflag.register_item_copy()");
	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_INSURER, c.insurer_no, "register its 副本", NULL);
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_NONE, false);
	enrollment_id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &(bool){0}));
	args[0] = Int64GetDatum(enrollment_id);
	args[1] = CStringGetTextDatum(item_code);
	args[2] = PG_GETARG_DATUM(5);
	dv_exec(&upsert_copy, args, NULL, false, 0);
	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "item_code", item_code);
	dv_json_field_raw(&d, "enrollment_id", psprintf(INT64_FORMAT, enrollment_id));
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, act.caller, "item_copy_registered", dv_card_target(&c), d.data);
	dv_act_end(&act);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_mark_record);
/* mark_record(record_id, reason): 記録事項変更事由の追記 */
Datum
dvflag_mark_record(PG_FUNCTION_ARGS)
{
	int64		id = id_arg(fcinfo, 0, "record_id");
	char	   *reason = dv_required_text_arg(fcinfo, 1, "reason");
	DvActing	act;
	Datum		args[3];
	bool		all;
	char	   *insurer_no;
	char	   *person;
	bool		marked;
	Datum		staff_of;
	StringInfoData d;

	dv_refuse_in_restricted_operation("dvflag.mark_record()");
	dv_act_begin(&act);
	staff_of = dv_require_right(act.caller, DV_RIGHT_SOME_INSURER, NULL, "mark records", &all);
	args[0] = Int64GetDatum(id);
	dv_exec(&find_record, args, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no provision record with id " INT64_FORMAT, id),
				 errhint("Give the record id that dvflag.approve_request() or dvflag.decline_request() returned.")));
	insurer_no = dv_col_text(SPI_tuptable->vals[0], 1);
	marked = dv_col_bool(SPI_tuptable->vals[0], 2);
	person = dv_col_text(SPI_tuptable->vals[0], 3);
	/* a mark only adds protection: the provider's staff, or the person's */
	if (!all && !dv_insurer_in(insurer_no, staff_of) &&
		!(person != NULL && dv_person_at(person, staff_of)))
		dv_permission_denied(psprintf("mark record " INT64_FORMAT, id),
							 "Only dvflag_admin, the staff of the providing insurer and staff of the person's insurers may.");
	if (!marked)
	{
		args[1] = CStringGetTextDatum(role_name(act.caller));
		args[2] = CStringGetTextDatum(reason);
		dv_exec(&insert_mark, args, NULL, false, 0);
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_raw(&d, "record_id", psprintf(INT64_FORMAT, id));
		dv_json_field_text(&d, "reason", reason);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, act.caller, "provision_mark", psprintf("record " INT64_FORMAT, id), d.data);
	}
	dv_act_end(&act);
	PG_RETURN_BOOL(!marked);
}

PG_FUNCTION_INFO_V1(dvflag_mark_person_records);
/* mark_person_records(link_no, reason): mark every unmarked record of P. */
Datum
dvflag_mark_person_records(PG_FUNCTION_ARGS)
{
	char	   *link_no = dv_required_text_arg(fcinfo, 0, "link_no");
	char	   *reason = dv_required_text_arg(fcinfo, 1, "reason");
	DvActing	act;
	Datum		args[3];
	uint64		n;
	StringInfoData d;

	dv_refuse_in_restricted_operation("dvflag.mark_person_records()");
	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_PERSON, link_no, "mark the records of", NULL);
	args[0] = CStringGetTextDatum(link_no);
	args[1] = CStringGetTextDatum(role_name(act.caller));
	args[2] = CStringGetTextDatum(reason);
	dv_exec(&mark_person, args, NULL, false, 0);
	n = SPI_processed;
	if (n > 0)
	{
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_raw(&d, "records", psprintf(UINT64_FORMAT, n));
		dv_json_field_text(&d, "reason", reason);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, act.caller, "provision_mark", link_no, d.data);
	}
	dv_act_end(&act);
	PG_RETURN_INT32((int32) n);
}
