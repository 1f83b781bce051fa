/*
 * purge.c — retention (RULES.md §8): dvflag.purge() removes what is past
 * its retention period, and keeps every flag's effect.
 *
 *   - enrollments lost more than dvflag.enrollment_retention_years ago;
 *     ND of a purged enrollment stays in force through person.nd_retained
 *     (rules.c counts it in ND_eff), and the latest enrollment of a person
 *     whose SB is in effect is kept, because it is what governs SB_eff, and
 *     so is one whose SB a move carries over; their health records go with
 *     them (ON DELETE CASCADE), counted in the purge's result, and a purged
 *     ND keeps hiding their institutions as it hides addresses (ND_eff);
 *   - provision records completed more than dvflag.record_retention_years
 *     ago, with their marks, and the finished requests behind them;
 *   - audit rows, and the refused registrations the SB listing reads, older
 *     than the longest of the three periods (dvflag.audit_retention_years,
 *     and never shorter than the records they speak of).
 * The periods are superuser settings, so that nobody else can shorten
 * them.  The audit and the provision records are append-only; only this
 * function deletes from them, on the admin's behalf (dv_behalf, purging),
 * which refuse_change() honours while the purge's own statements run.  The purge is audited.
 * Each deletion counts its rows as they go (dvflag.at_row(): a NOTICE every
 * dvflag.progress_rows rows), so that a long purge is seen to move.
 */
#include "dvflag.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/date.h"
#include "utils/timestamp.h"

int			dv_enrollment_retention_years = 20;
int			dv_record_retention_years = 7;
int			dv_audit_retention_years = 20;

/* $1: the enrollment cutoff (date), $2: the record cutoff, $3: the audit's. */
static DvPlan keep_nd = {
	"UPDATE dvflag.person p SET nd_retained = true"
	"  FROM (SELECT DISTINCT e.link_no FROM dvflag.enrollment e"
	"         WHERE e.nd AND e.lost_on OPERATOR(pg_catalog.<) $1) x"
	" WHERE p.link_no OPERATOR(pg_catalog.=) x.link_no AND NOT p.nd_retained",
	1, {DATEOID}, NULL, false
};
/*
 * Each deletion twice: [0] for a database not yet updated to 1.3, [1] for
 * 1.3's, which counts its rows as they go (dvflag.at_row(), of 1.3) and
 * returns how many.
 */
#define COUNTED(delete) \
	"WITH gone AS (" delete " RETURNING 1) SELECT pg_catalog.count(*) FROM gone WHERE dvflag.at_row(NULL)"
#define PURGE(delete, type) \
	{{delete, 1, {type}, NULL, false}, {COUNTED(delete), 1, {type}, NULL, false}}
/*
 * Never the enrollment whose SB governs: latest(P)'s while SB_eff(P), or
 * the one whose SB a move carries over (1.3).  1.3's returns one row: how
 * many enrollments went, and how many health records went with them.  The
 * cascade deletes those at the end of the statement, so the statement's
 * own snapshot still counts them, by the index, one enrollment at a time.
 */
#define PURGE_ENROLLMENTS(carried) \
	"DELETE FROM dvflag.enrollment e WHERE e.lost_on OPERATOR(pg_catalog.<) $1" \
	"   AND NOT EXISTS (SELECT 1 FROM dvflag.person p" \
	"                    WHERE p.latest_id OPERATOR(pg_catalog.=) e.id AND p.sb_eff)" carried
static DvPlan purge_enrollments[2] = {
	{PURGE_ENROLLMENTS(""), 1, {DATEOID}, NULL, false},
	{"WITH gone AS (" PURGE_ENROLLMENTS("   AND NOT EXISTS (SELECT 1 FROM dvflag.person p"
										"                    WHERE p.sb_carried_from OPERATOR(pg_catalog.=) e.id)")
	 " RETURNING e.id)"
	 " SELECT (SELECT pg_catalog.count(*) FROM gone WHERE dvflag.at_row(NULL)),"
	 "        (SELECT COALESCE(pg_catalog.sum(r.n), 0)::pg_catalog.int8 FROM gone g,"
	 "           LATERAL (SELECT pg_catalog.count(*) AS n FROM dvflag.health_record h"
	 "                     WHERE h.enrollment_id OPERATOR(pg_catalog.=) g.id) r)",
	 1, {DATEOID}, NULL, false}
};
static DvPlan purge_marks[2] = PURGE(
	"DELETE FROM dvflag.provision_mark m USING dvflag.provision_record r"
	" WHERE m.record_id OPERATOR(pg_catalog.=) r.id AND r.completed_at OPERATOR(pg_catalog.<) $1",
	TIMESTAMPTZOID);
static DvPlan purge_records[2] = PURGE(
	"DELETE FROM dvflag.provision_record r WHERE r.completed_at OPERATOR(pg_catalog.<) $1",
	TIMESTAMPTZOID);
static DvPlan purge_requests[2] = PURGE(
	"DELETE FROM dvflag.provision_request q WHERE q.requested_at OPERATOR(pg_catalog.<) $1"
	"   AND q.status OPERATOR(pg_catalog.<>) 'pending'",
	TIMESTAMPTZOID);
static DvPlan purge_refusals[2] = PURGE(
	"DELETE FROM dvflag.registration_refusal r WHERE r.at OPERATOR(pg_catalog.<) $1",
	TIMESTAMPTZOID);
static DvPlan purge_audit[2] = PURGE(
	"DELETE FROM dvflag.audit a WHERE a.at OPERATOR(pg_catalog.<) $1",
	TIMESTAMPTZOID);

/* Now minus so many years, as a timestamptz. */
static TimestampTz
years_ago(int years)
{
	Interval	span = {0, 0, years * 12};

	return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
												   TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()),
												   IntervalPGetDatum(&span)));
}

/* The person rows that keep ND: how many changed. */
static uint64
run_update(DvPlan *plan, Datum cutoff)
{
	dv_exec(plan, &cutoff, NULL, false, 0);
	return SPI_processed;
}

/* One deletion (of 1.3 when 'v13'), its rows counted as they go: how many went. */
static uint64
run_purge(DvPlan plans[2], bool v13, Datum cutoff, const char *table)
{
	volatile uint64 n = 0;

	if (!v13)
	{
		dv_exec(&plans[0], &cutoff, NULL, false, 0);
		return SPI_processed;
	}
	dv_progress_begin(psprintf("deleted from dvflag.%s by dvflag.purge()", table), -1, false);
	PG_TRY();
	{
		dv_exec(&plans[1], &cutoff, NULL, false, 0);
		n = (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
												 &(bool){0}));
	}
	PG_FINALLY();
	{
		dv_progress_end();
	}
	PG_END_TRY();
	return n;
}

/* The cutoffs of one purge, and where it counts what went. */
typedef struct Cutoffs
{
	Datum		enrollment_day;
	Datum		record;
	Datum		audit;
	uint64	   *count;
} Cutoffs;

/*
 * The deletions, run on the admin's behalf: the enrollment trigger records
 * the purge's reason, and refuse_change() lets its row deletions of the
 * append-only tables through (and nothing else).
 */
static void
purge_rows(void *arg)
{
	Cutoffs    *cut = arg;

	/* a database not yet updated to 1.3 has no refusal table, no at_row() */
	bool		v13 = dv_relation_exists("registration_refusal");

	cut->count[1] = run_purge(purge_enrollments, v13, cut->enrollment_day, "enrollment");
	/* the health records that went with them (none before 1.3) */
	cut->count[2] = v13 ? (uint64) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
																 2, &(bool){0})) : 0;
	cut->count[3] = run_purge(purge_marks, v13, cut->record, "provision_mark");
	cut->count[4] = run_purge(purge_records, v13, cut->record, "provision_record");
	cut->count[5] = run_purge(purge_requests, v13, cut->record, "provision_request");
	cut->count[6] = v13 ? run_purge(purge_refusals, v13, cut->audit, "registration_refusal") : 0;
	cut->count[7] = run_purge(purge_audit, v13, cut->audit, "audit");
}

PG_FUNCTION_INFO_V1(dvflag_purge);
/* purge(): what is past its retention, with the counts of what went. */
Datum
dvflag_purge(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	DvActing	act;
	DvBehalf	behalf = {.via = "purge", .role = caller, .purging = true};
	Cutoffs		cut;
	TimestampTz enrollment_cut = years_ago(dv_enrollment_retention_years);
	TimestampTz record_cut = years_ago(dv_record_retention_years);
	TimestampTz audit_cut = years_ago(Max(dv_audit_retention_years,
										  Max(dv_enrollment_retention_years,
											  dv_record_retention_years)));
	Datum		enrollment_day = DirectFunctionCall1(timestamptz_date,
													 TimestampTzGetDatum(enrollment_cut));
	const char *what[] = {"person_nd_retained", "enrollment", "health_record", "provision_mark",
	"provision_record", "provision_request", "registration_refusal", "audit"};
	uint64		count[lengthof(what)];
	StringInfoData d;
	char	   *reason;

	dv_refuse_in_restricted_operation("dvflag.purge()");
	if (!dv_role_has(caller, DV_ROLE_ADMIN))
		dv_permission_denied("purge", "Only dvflag_admin purges, and only what is past the retention settings.");
	dv_audit_require_log();
	InitMaterializedSRF(fcinfo, 0);
	reason = psprintf("retention purge: enrollments lost before %s",
					  DatumGetCString(DirectFunctionCall1(date_out, enrollment_day)));

	dv_act_begin(&act);
	count[0] = run_update(&keep_nd, enrollment_day);
	behalf.reason = reason;
	cut.enrollment_day = enrollment_day;
	cut.record = TimestampTzGetDatum(record_cut);
	cut.audit = TimestampTzGetDatum(audit_cut);
	cut.count = count;
	dv_on_behalf(&behalf, purge_rows, &cut);

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "enrollments_lost_before",
					   DatumGetCString(DirectFunctionCall1(date_out, enrollment_day)));
	dv_json_field_text(&d, "records_completed_before", timestamptz_to_str(record_cut));
	dv_json_field_text(&d, "audit_before", timestamptz_to_str(audit_cut));
	for (int i = 0; i < (int) lengthof(what); i++)
		dv_json_field_raw(&d, what[i], psprintf(UINT64_FORMAT, count[i]));
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, caller, "purge", NULL, d.data);
	dv_act_end(&act);

	for (int i = 0; i < (int) lengthof(what); i++)
	{
		Datum		values[2] = {CStringGetTextDatum(what[i]), Int64GetDatum((int64) count[i])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
