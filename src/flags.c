/*
 * flags.c — changing flags (RULES.md §1, §5) and the protected-target
 * question (§5: staff and requesters may know, clinics never).
 *
 * A flag change is an UPDATE of the enrollment, made as the owner on the
 * caller's behalf, so that the one trigger in person.c audits it and keeps
 * the person's effective state, whichever way a flag is changed.  The
 * lookup of an enrollment by its insurance card, with the lock each caller
 * needs, lives here and serves cards.c and provision.c too.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "rules.h"

#define ENROLLMENT_BY_CARD \
	" FROM dvflag.enrollment e JOIN dvflag.person p ON p.link_no OPERATOR(pg_catalog.=) e.link_no" \
	" WHERE e.insurer_no OPERATOR(pg_catalog.=) $1 AND e.number OPERATOR(pg_catalog.=) $3" \
	"   AND e.branch OPERATOR(pg_catalog.=) $4"
#define WITH_SYMBOL " AND e.symbol OPERATOR(pg_catalog.=) $2"
#define WITHOUT_SYMBOL " AND e.symbol IS NULL AND $2::pg_catalog.text IS NULL"
#define ENROLLMENT_COLUMNS "SELECT e.id, e.link_no, e.nd, e.sb, e.ar, p.sb_eff"

/*
 * The enrollment of an insurance card, by lock (DvCardLock) and by whether
 * the card has a symbol.  DV_CARD_LOCK_PERSON_SHARE is for register_card:
 * it locks the person's row FOR SHARE, so a registration waits for a
 * concurrent flag change of the person (whose trigger holds the row FOR
 * UPDATE) and then reads the committed sb_eff; and a flag change waits for
 * a registration in progress.  Whichever commits first decides.
 */
#define CARD_PLAN(lock, symbol) \
	{ENROLLMENT_COLUMNS ENROLLMENT_BY_CARD symbol lock, 4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}, NULL, false}
static DvPlan find_enrollment[3][2] = {
	[DV_CARD_LOCK_NONE] = {CARD_PLAN("", WITHOUT_SYMBOL), CARD_PLAN("", WITH_SYMBOL)},
	[DV_CARD_LOCK_ENROLLMENT] = {CARD_PLAN(" FOR UPDATE OF e", WITHOUT_SYMBOL),
								 CARD_PLAN(" FOR UPDATE OF e", WITH_SYMBOL)},
	[DV_CARD_LOCK_PERSON_SHARE] = {CARD_PLAN(" FOR SHARE OF p", WITHOUT_SYMBOL),
								   CARD_PLAN(" FOR SHARE OF p", WITH_SYMBOL)},
};

/* One plan per flag: the column name cannot be a parameter. */
static DvPlan update_flag[3] = {
	{"UPDATE dvflag.enrollment SET nd = $2 WHERE id OPERATOR(pg_catalog.=) $1", 2, {INT8OID, BOOLOID}, NULL, false},
	{"UPDATE dvflag.enrollment SET sb = $2 WHERE id OPERATOR(pg_catalog.=) $1", 2, {INT8OID, BOOLOID}, NULL, false},
	{"UPDATE dvflag.enrollment SET ar = $2 WHERE id OPERATOR(pg_catalog.=) $1", 2, {INT8OID, BOOLOID}, NULL, false},
};
static const char *const flag_names[3] = {"nd", "sb", "ar"};

static DvPlan find_person = {
	"SELECT p.nd_eff, p.sb_eff FROM dvflag.person p WHERE p.link_no OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, NULL, false
};

/*
 * The enrollment of an insurance card (columns id, link_no, nd, sb, ar,
 * sb_eff), with the lock the caller needs; NULL when there is none and
 * missing_ok, else P0002.  SPI connected.
 */
HeapTuple
dv_enrollment_of(const DvCardArgs *c, DvCardLock lock, bool missing_ok)
{
	Datum		values[4];
	char		nulls[4];

	dv_card_params(c, values, nulls);
	dv_exec(&find_enrollment[lock][c->symbol != NULL], values, nulls, false, 0);
	if (SPI_processed > 0)
		return SPI_tuptable->vals[0];
	if (missing_ok)
		return NULL;
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("no enrollment with insurance card %s", dv_clip(dv_card_target(c))),
			 errhint("Give insurer_no, symbol (NULL if none), number and branch exactly as on the card.")));
}

/* The UPDATE of one flag, run on the caller's behalf. */
typedef struct FlagUpdate
{
	DvPlan	   *plan;
	Datum		values[2];
} FlagUpdate;

static void
run_flag_update(void *arg)
{
	FlagUpdate *u = arg;

	dv_exec(u->plan, u->values, NULL, false, 0);
}

PG_FUNCTION_INFO_V1(dvflag_set_flag);
/* set_flag(insurer_no, symbol, number, branch, flag, value, reason) */
Datum
dvflag_set_flag(PG_FUNCTION_ARGS)
{
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	char	   *flag = dv_required_text_arg(fcinfo, 4, "flag");
	char	   *reason;
	bool		value;
	int			f;
	HeapTuple	tup;
	int64		id;
	DvActing	act;
	DvBehalf	behalf = {.via = "set_flag"};
	FlagUpdate	u;

	dv_refuse_in_restricted_operation("dvflag.set_flag()");
	for (f = 0; f < 3; f++)
		if (pg_strcasecmp(flag, flag_names[f]) == 0)
			break;
	if (f == 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown flag \"%.20s\"", flag),
				 errhint("The flag is 'nd' (不開示該当), 'sb' (自己情報提供不可) or 'ar' (自動応答不可).")));
	if (PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must not be NULL"),
				 errhint("Pass true to set the flag, false to clear it.")));
	value = PG_GETARG_BOOL(5);
	if (PG_ARGISNULL(6) || dv_text_is_blank(text_to_cstring(PG_GETARG_TEXT_PP(6))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to change a flag"),
				 errhint("Say why, e.g. the application received from the person.")));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(6));

	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_INSURER, c.insurer_no, "change its flags", NULL);
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_ENROLLMENT, false);
	id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &(bool){0}));
	if (dv_col_bool(tup, 3 + f) == value)
	{
		dv_act_end(&act);
		PG_RETURN_BOOL(false);
	}
	u.plan = &update_flag[f];
	u.values[0] = Int64GetDatum(id);
	u.values[1] = BoolGetDatum(value);
	behalf.reason = reason;
	behalf.role = act.caller;
	dv_on_behalf(&behalf, run_flag_update, &u);
	dv_act_end(&act);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dvflag_protected);
/*
 * protected(link_no): ND_eff(P) OR SB_eff(P); false for an unknown person.
 * Audited, in the server log as well as the table: staff could otherwise ask
 * about anyone, from a transaction they roll back, and leave no trace.
 */
Datum
dvflag_protected(PG_FUNCTION_ARGS)
{
	char	   *link_no = dv_required_text_arg(fcinfo, 0, "link_no");
	Datum		arg = CStringGetTextDatum(link_no);
	bool		result = false;
	StringInfoData d;

	dv_audit_require_log();
	dv_spi_connect();
	dv_exec(&find_person, &arg, NULL, true, 1);
	if (SPI_processed == 1)
		result = dv_hide_address(dv_col_bool(SPI_tuptable->vals[0], 1),
								 dv_col_bool(SPI_tuptable->vals[0], 2));
	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_raw(&d, "protected", result ? "true" : "false");
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, InvalidOid, "protected_asked", link_no, d.data);
	SPI_finish();
	PG_RETURN_BOOL(result);
}

/*
 * RULES.md §5, a move: the SB carried onto the new latest enrollment, until
 * its insurer's staff decide.  $1 all, $2 the caller's insurers.  Only the
 * carries begun before the calling transaction: staff who enroll someone
 * else's person in a transaction they roll back, to see whether an SB is
 * carried onto it (and, date by date, when that person's latest enrollment
 * began), are told nothing.  A real move shows from the next transaction.
 */
static DvPlan carried = {
	"SELECT e.insurer_no, e.symbol, e.number, e.branch, p.link_no::pg_catalog.text, p.sb_carried_since"
	"  FROM dvflag.person p JOIN dvflag.enrollment e ON e.id OPERATOR(pg_catalog.=) p.latest_id"
	" WHERE p.sb_carried_from IS NOT NULL"
	"   AND p.sb_carried_since OPERATOR(pg_catalog.<) pg_catalog.now()"
	"   AND ($1 OR e.insurer_no OPERATOR(pg_catalog.=) ANY ($2))"
	" ORDER BY e.insurer_no, e.symbol, e.number, e.branch",
	2, {BOOLOID, TEXTARRAYOID}, NULL, false
};

static bool
carried_row(HeapTuple tup, TupleDesc desc, Datum *values, bool *nulls)
{
	for (int k = 0; k < 6; k++)
		values[k] = SPI_getbinval(tup, desc, k + 1, &nulls[k]);
	return true;
}

PG_FUNCTION_INFO_V1(dvflag_sb_carried);
/* sb_carried(): the SB carried onto the caller's insurers' enrollments. */
Datum
dvflag_sb_carried(PG_FUNCTION_ARGS)
{
	dv_staff_list(fcinfo, &carried, &carried, "list the SB carried over a move", 6, carried_row);
	return (Datum) 0;
}

static DvPlan lock_carry = {
	"SELECT p.latest_id, CASE WHEN p.sb_carried_since OPERATOR(pg_catalog.<) pg_catalog.now()"
	"                        THEN p.sb_carried_from END"
	"  FROM dvflag.person p WHERE p.link_no OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {TEXTOID}, NULL, false
};
static DvPlan end_carry = {
	"UPDATE dvflag.person SET sb_carried_from = NULL, sb_carried_since = NULL, sb_eff = false,"
	"       version = version OPERATOR(pg_catalog.+) 1, updated_at = pg_catalog.now()"
	" WHERE link_no OPERATOR(pg_catalog.=) $1 RETURNING nd_eff",
	1, {TEXTOID}, NULL, false
};

PG_FUNCTION_INFO_V1(dvflag_decide_carried_sb);
/*
 * decide_carried_sb(insurer_no, symbol, number, branch, keep, reason): the
 * staff of the new latest enrollment decide on the SB a move carried onto
 * it: keep sets SB on it (a flag change), otherwise the carried SB ends (a
 * flag change of the carried SB and a protection change).  False when no SB
 * is carried onto that enrollment, or only since the calling transaction
 * began (as sb_carried() does not show it: no oracle for a probe).
 */
Datum
dvflag_decide_carried_sb(PG_FUNCTION_ARGS)
{
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	bool		keep;
	char	   *reason;
	DvActing	act;
	HeapTuple	tup;
	int64		id;
	char	   *link_no;
	Datum		arg;
	bool		isnull;
	Datum		latest,
				from;
	bool		nd_eff;
	StringInfoData d;

	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keep must not be NULL"),
				 errhint("Pass true to set SB on the enrollment, false to end the carried SB.")));
	keep = PG_GETARG_BOOL(4);
	if (PG_ARGISNULL(5) || dv_text_is_blank(text_to_cstring(PG_GETARG_TEXT_PP(5))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to decide on a carried SB"),
				 errhint("Say why, e.g. the person's application, or that the person confirmed no protection is needed.")));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(5));
	dv_refuse_in_restricted_operation("dvflag.decide_carried_sb()");

	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_INSURER, c.insurer_no, "decide on the SB carried onto its enrollments", NULL);
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_ENROLLMENT, false);
	id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
	link_no = dv_col_text(tup, 2);
	arg = CStringGetTextDatum(link_no);
	dv_exec(&lock_carry, &arg, NULL, false, 0);
	latest = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull || DatumGetInt64(latest) != id)
	{
		dv_act_end(&act);
		PG_RETURN_BOOL(false);
	}
	from = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (isnull)
	{
		dv_act_end(&act);
		PG_RETURN_BOOL(false);
	}
	if (keep)
	{
		DvBehalf	behalf = {.via = "decide_carried_sb", .reason = reason, .role = act.caller};
		FlagUpdate	u = {&update_flag[1], {Int64GetDatum(id), BoolGetDatum(true)}};

		/* SB of its own: the trigger audits it, and the carry is over */
		dv_on_behalf(&behalf, run_flag_update, &u);
		dv_act_end(&act);
		PG_RETURN_BOOL(true);
	}
	dv_exec(&end_carry, &arg, NULL, false, 0);
	nd_eff = dv_col_bool(SPI_tuptable->vals[0], 1);
	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "flag", "sb");
	dv_json_field_raw(&d, "carried", "true");
	dv_json_field_raw(&d, "old", "true");
	dv_json_field_raw(&d, "new", "false");
	dv_json_field_text(&d, "reason", reason);
	dv_json_field_text(&d, "via", "decide_carried_sb");
	dv_json_field_raw(&d, "enrollment_id", psprintf(INT64_FORMAT, id));
	dv_json_field_raw(&d, "carried_from", psprintf(INT64_FORMAT, DatumGetInt64(from)));
	dv_json_field_text(&d, "link_no", link_no);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, act.caller, "flag_change", dv_card_target(&c), d.data);
	resetStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_raw(&d, "nd_eff", psprintf("{\"old\": %s, \"new\": %s}", nd_eff ? "true" : "false",
											  nd_eff ? "true" : "false"));
	dv_json_field_raw(&d, "sb_eff", "{\"old\": true, \"new\": false}");
	dv_json_field_text(&d, "reason", reason);
	dv_json_field_text(&d, "via", "decide_carried_sb");
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, act.caller, "protection_change", link_no, d.data);
	dv_act_end(&act);
	PG_RETURN_BOOL(true);
}
