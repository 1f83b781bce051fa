/*
 * admin.c — the write paths: flags, cards, proxies, disasters, the
 * insurer-staff mapping, the protected-target question, and the insurer
 * scope of staff (for the RLS policy and for COPY).
 *
 * Order in every function: check the arguments (22023, nothing touched),
 * check the caller's right to act (42501), find the object (P0002 when it
 * does not exist), act, audit.  Writes are refused inside security-
 * restricted operations.  The acting functions (set_flag, stop_card,
 * remove_proxy_for, staff_insurers) are SECURITY INVOKER: they take the
 * caller as GetUserId() on entry, then run their SPI as the owner.  Flag changes are made by an UPDATE of the
 * enrollment, so that the one trigger in person.c audits them and keeps the
 * person's effective state, whichever way a flag is changed.
 */
#include "dvflag.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "rules.h"

static DvPlan staff_insurers = {
	"SELECT s.insurer_no FROM dvflag.insurer_staff s"
	" WHERE pg_catalog.pg_has_role($1, s.staff::pg_catalog.oid, 'USAGE')",
	1, {OIDOID}, NULL, false
};

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

static DvPlan find_card = {
	"SELECT c.link_no, c.stopped_at IS NOT NULL FROM dvflag.card c"
	" WHERE c.card_serial OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {TEXTOID}, NULL, false
};
static DvPlan insert_card = {
	"INSERT INTO dvflag.card (card_serial, link_no) VALUES ($1, $2)",
	2, {TEXTOID, TEXTOID}, NULL, false
};
static DvPlan stop_card = {
	"UPDATE dvflag.card SET stopped_at = pg_catalog.now(), stop_reason = $2"
	" WHERE card_serial OPERATOR(pg_catalog.=) $1",
	2, {TEXTOID, TEXTOID}, NULL, false
};
static DvPlan person_at_insurers = {
	"SELECT 1 FROM dvflag.enrollment e WHERE e.link_no OPERATOR(pg_catalog.=) $1"
	"   AND e.insurer_no OPERATOR(pg_catalog.=) ANY ($2) LIMIT 1",
	2, {TEXTOID, TEXTARRAYOID}, NULL, false
};
static DvPlan find_person = {
	"SELECT p.nd_eff, p.sb_eff FROM dvflag.person p WHERE p.link_no OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, NULL, false
};
static DvPlan insert_proxy = {
	"INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ($1, $2)"
	" ON CONFLICT DO NOTHING",
	2, {TEXTOID, TEXTOID}, NULL, false
};
static DvPlan delete_proxy = {
	"DELETE FROM dvflag.proxy WHERE principal_link_no OPERATOR(pg_catalog.=) $1"
	"   AND agent_link_no OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, TEXTOID}, NULL, false
};
static DvPlan insert_disaster = {
	"INSERT INTO dvflag.disaster (starts, ends, note) VALUES ($1, $2, $3) RETURNING id",
	3, {TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID}, NULL, false
};
static DvPlan end_disaster = {
	"UPDATE dvflag.disaster SET ended_at = pg_catalog.now()"
	" WHERE id OPERATOR(pg_catalog.=) $1 AND ended_at IS NULL RETURNING id",
	1, {INT8OID}, NULL, false
};
static DvPlan find_disaster = {
	"SELECT 1 FROM dvflag.disaster WHERE id OPERATOR(pg_catalog.=) $1",
	1, {INT8OID}, NULL, false
};
static DvPlan find_insurer = {
	"SELECT 1 FROM dvflag.insurer WHERE insurer_no OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, NULL, false
};
static DvPlan insert_staff = {
	"INSERT INTO dvflag.insurer_staff (staff, insurer_no) VALUES ($1::pg_catalog.regrole, $2)"
	" ON CONFLICT DO NOTHING",
	2, {OIDOID, TEXTOID}, NULL, false
};
static DvPlan delete_staff = {
	"DELETE FROM dvflag.insurer_staff WHERE staff::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
	"   AND insurer_no OPERATOR(pg_catalog.=) $2",
	2, {OIDOID, TEXTOID}, NULL, false
};

/* The insurers that role may act for, as a text[] Datum (SPI connected). */
Datum
dv_insurers_of(Oid role)
{
	Datum		arg = ObjectIdGetDatum(role);
	Datum	   *items;

	dv_exec(&staff_insurers, &arg, NULL, true, 0);
	items = palloc(sizeof(Datum) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		items[i] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
	}
	return PointerGetDatum(construct_array(items, (int) SPI_processed, TEXTOID, -1, false, TYPALIGN_INT));
}

/* P0002 unless the insurer exists (SPI connected). */
void
dv_require_insurer(const char *insurer_no)
{
	Datum		arg = CStringGetTextDatum(insurer_no);

	dv_exec(&find_insurer, &arg, NULL, true, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no insurer %s", dv_clip(insurer_no)),
				 errhint("Insert the insurer into dvflag.insurer first.")));
}

/* Is insurer_no one of these insurers (a text[] Datum)? */
bool
dv_insurer_in(const char *insurer_no, Datum insurers)
{
	Datum	   *items;
	int			n;

	deconstruct_array(DatumGetArrayTypeP(insurers), TEXTOID, -1, false, TYPALIGN_INT, &items, NULL, &n);
	for (int i = 0; i < n; i++)
		if (strcmp(TextDatumGetCString(items[i]), insurer_no) == 0)
			return true;
	return false;
}

/* May 'caller' act for this insurer: admin, or staff mapped to it? */
bool
dv_may_act_for_insurer(Oid caller, const char *insurer_no)
{
	return dv_role_has(caller, DV_ROLE_ADMIN) || dv_insurer_in(insurer_no, dv_insurers_of(caller));
}

/* May 'caller' act for this person: admin, or staff of one of the person's insurers? */
bool
dv_may_act_for_person(Oid caller, const char *link_no)
{
	return dv_role_has(caller, DV_ROLE_ADMIN) || dv_person_at(link_no, dv_insurers_of(caller));
}

/* The insurers a staff caller may act for; 42501 when none (admin: all). */
Datum
dv_staff_scope(Oid caller, bool *all, const char *what)
{
	Datum		insurers;

	*all = dv_role_has(caller, DV_ROLE_ADMIN);
	insurers = dv_insurers_of(caller);
	if (!*all && ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(insurers)),
								ARR_DIMS(DatumGetArrayTypeP(insurers))) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errhint("Only dvflag_admin and staff mapped to an insurer (dvflag.grant_insurer) may.")));
	return insurers;
}

/* Is the person enrolled at one of these insurers (a text[] Datum)? */
bool
dv_person_at(const char *link_no, Datum insurers)
{
	Datum		args[2];

	args[0] = CStringGetTextDatum(link_no);
	args[1] = insurers;
	dv_exec(&person_at_insurers, args, NULL, true, 1);
	return SPI_processed > 0;
}

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
	Datum		values[2];
	Oid			caller = GetUserId();
	DvSavedUser saved;

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

	dv_become_owner(&saved);
	dv_spi_connect();
	if (!dv_may_act_for_insurer(caller, c.insurer_no))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for insurer %s", dv_clip(c.insurer_no)),
				 errhint("Only dvflag_admin and the staff mapped to the insurer (dvflag.grant_insurer) may change its flags.")));
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_ENROLLMENT, false);
	id = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &(bool){0}));
	if (dv_col_bool(tup, 3 + f) == value)
	{
		SPI_finish();
		dv_restore_user(&saved);
		PG_RETURN_BOOL(false);
	}
	values[0] = Int64GetDatum(id);
	values[1] = BoolGetDatum(value);
	dv_reason_override = reason;
	dv_acting_override = caller;
	PG_TRY();
	{
		dv_exec(&update_flag[f], values, NULL, false, 0);
	}
	PG_FINALLY();
	{
		dv_reason_override = NULL;
		dv_acting_override = InvalidOid;
	}
	PG_END_TRY();
	SPI_finish();
	dv_restore_user(&saved);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dvflag_protected);
/* protected(link_no): ND_eff(P) OR SB_eff(P); false for an unknown person. */
Datum
dvflag_protected(PG_FUNCTION_ARGS)
{
	char	   *link_no = dv_required_text_arg(fcinfo, 0, "link_no");
	Datum		arg = CStringGetTextDatum(link_no);
	bool		result = false;

	dv_spi_connect();
	dv_exec(&find_person, &arg, NULL, true, 1);
	if (SPI_processed == 1)
		result = dv_hide_address(dv_col_bool(SPI_tuptable->vals[0], 1),
								 dv_col_bool(SPI_tuptable->vals[0], 2));
	SPI_finish();
	PG_RETURN_BOOL(result);
}

PG_FUNCTION_INFO_V1(dvflag_register_card);
/* register_card(card_serial, insurer_no, symbol, number, branch): 初回登録 */
Datum
dvflag_register_card(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	DvCardArgs	c = dv_card_args(fcinfo, 1);
	HeapTuple	tup;
	char	   *link_no;
	bool		sb_eff;
	Datum		values[2];
	StringInfoData d;

	/* before anything is audited: a refusal's row is kept for years */
	if (strlen(card_serial) > DV_CARD_SERIAL_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("card_serial is too long: %zu bytes, at most %d", strlen(card_serial),
						DV_CARD_SERIAL_MAX)));
	dv_refuse_in_restricted_operation("dvflag.register_card()");
	dv_spi_connect();
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_PERSON_SHARE, false);
	link_no = dv_col_text(tup, 2);
	sb_eff = dv_col_bool(tup, 6);

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "card_serial", card_serial);
	dv_json_field_text(&d, "link_no", link_no);

	/* checked first: also refuses a card bound before the flag was set */
	if (!dv_registration_allowed(sb_eff))
	{
		dv_audit_require_log();
		appendStringInfoChar(&d, '}');
		dv_audit_refusal(dv_card_target(&c), link_no, card_serial, d.data);
		ereport(ERROR,
				(errcode(ERRCODE_DV_REGISTRATION_REFUSED),
				 errmsg("initial registration of this card is refused"),
				 errhint("The person's insurer can tell whether and when registration is possible.")));
	}

	values[0] = CStringGetTextDatum(card_serial);
	dv_exec(&find_card, values, NULL, false, 0);
	if (SPI_processed == 1)
	{
		char	   *holder = dv_col_text(SPI_tuptable->vals[0], 1);

		if (strcmp(holder, link_no) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("card %s is registered to another person", dv_clip(card_serial))));
		if (dv_col_bool(SPI_tuptable->vals[0], 2))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("card %s is stopped", dv_clip(card_serial)),
					 errhint("A re-issued card has a new serial: register that one.")));
		SPI_finish();
		PG_RETURN_VOID();		/* already registered to this person */
	}
	values[1] = CStringGetTextDatum(link_no);
	dv_exec(&insert_card, values, NULL, false, 0);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, InvalidOid, "card_register", dv_card_target(&c), d.data);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_stop_card);
/* stop_card(card_serial, reason): admin, or staff of an insurer of P. */
Datum
dvflag_stop_card(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *reason = dv_required_text_arg(fcinfo, 1, "reason");
	Datum		values[2];
	char	   *link_no;
	bool		stopped;
	bool		is_admin;
	Datum		staff_of = (Datum) 0;
	StringInfoData d;
	Oid			caller = GetUserId();
	DvSavedUser saved;

	dv_refuse_in_restricted_operation("dvflag.stop_card()");
	dv_become_owner(&saved);
	dv_spi_connect();
	is_admin = dv_role_has(caller, DV_ROLE_ADMIN);
	if (!is_admin)
	{
		/* rights before existence: staff of no insurer learn nothing */
		staff_of = dv_insurers_of(caller);
		if (ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(staff_of)),
						   ARR_DIMS(DatumGetArrayTypeP(staff_of))) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to stop card %s", dv_clip(card_serial)),
					 errhint("Only dvflag_admin and staff of one of the card holder's insurers may stop a card.")));
	}
	values[0] = CStringGetTextDatum(card_serial);
	dv_exec(&find_card, values, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no card with serial %s", dv_clip(card_serial))));
	link_no = dv_col_text(SPI_tuptable->vals[0], 1);
	stopped = dv_col_bool(SPI_tuptable->vals[0], 2);
	if (!is_admin && !dv_person_at(link_no, staff_of))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to stop card %s", dv_clip(card_serial)),
				 errhint("Only dvflag_admin and staff of one of the card holder's insurers may stop a card.")));
	if (!stopped)
	{
		values[1] = CStringGetTextDatum(reason);
		dv_exec(&stop_card, values, NULL, false, 0);
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_text(&d, "link_no", link_no);
		dv_json_field_text(&d, "reason", reason);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, caller, "card_stop", card_serial, d.data);
	}
	SPI_finish();
	dv_restore_user(&saved);
	PG_RETURN_VOID();
}

/* The principal of an active card; P0002 for an unknown or stopped card. */
static char *
principal_of_card(const char *card_serial)
{
	Datum		arg = CStringGetTextDatum(card_serial);

	dv_exec(&find_card, &arg, NULL, false, 0);
	if (SPI_processed == 0 || dv_col_bool(SPI_tuptable->vals[0], 2))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no active card with serial %s", dv_clip(card_serial))));
	return dv_col_text(SPI_tuptable->vals[0], 1);
}

/* Audit a proxy change (reason: NULL when the principal acted). */
static void
audit_proxy(Oid acting, const char *action, const char *principal,
			const char *agent, const char *reason)
{
	StringInfoData d;

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "principal_link_no", principal);
	dv_json_field_text(&d, "agent_link_no", agent);
	if (reason)
		dv_json_field_text(&d, "reason", reason);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, acting, action, principal, d.data);
}

PG_FUNCTION_INFO_V1(dvflag_set_proxy);
/* set_proxy(card_serial, agent_link_no): the principal names a proxy. */
Datum
dvflag_set_proxy(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *principal;
	Datum		values[2];

	dv_refuse_in_restricted_operation("dvflag.set_proxy()");
	dv_spi_connect();
	principal = principal_of_card(card_serial);
	if (strcmp(principal, agent) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a person cannot be their own proxy")));
	values[0] = CStringGetTextDatum(agent);
	dv_exec(&find_person, values, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no person with link_no %s", dv_clip(agent))));
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&insert_proxy, values, NULL, false, 0);
	if (SPI_processed == 1)
		audit_proxy(InvalidOid, "proxy_set", principal, agent, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_remove_proxy);
/* remove_proxy(card_serial, agent_link_no): true if a proxy was removed. */
Datum
dvflag_remove_proxy(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *principal;
	Datum		values[2];
	bool		removed;

	dv_refuse_in_restricted_operation("dvflag.remove_proxy()");
	dv_spi_connect();
	principal = principal_of_card(card_serial);
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&delete_proxy, values, NULL, false, 0);
	removed = SPI_processed > 0;
	if (removed)
		audit_proxy(InvalidOid, "proxy_remove", principal, agent, NULL);
	SPI_finish();
	PG_RETURN_BOOL(removed);
}

PG_FUNCTION_INFO_V1(dvflag_remove_proxy_for);
/*
 * remove_proxy_for(principal_link_no, agent_link_no, reason): STEP3 of
 * RULES.md §5 done by admin or by staff of one of the principal's insurers,
 * for a principal whose card is stopped or who cannot use the portal.
 */
Datum
dvflag_remove_proxy_for(PG_FUNCTION_ARGS)
{
	char	   *principal = dv_required_text_arg(fcinfo, 0, "principal_link_no");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *reason = dv_required_text_arg(fcinfo, 2, "reason");
	Oid			caller = GetUserId();
	DvSavedUser saved;
	Datum		values[2];
	bool		removed;

	dv_refuse_in_restricted_operation("dvflag.remove_proxy_for()");
	dv_become_owner(&saved);
	dv_spi_connect();
	if (!dv_may_act_for_person(caller, principal))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to remove a proxy of %s", dv_clip(principal)),
				 errhint("Only dvflag_admin and staff of one of the principal's insurers may.")));
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&delete_proxy, values, NULL, false, 0);
	removed = SPI_processed > 0;
	if (removed)
		audit_proxy(caller, "proxy_remove", principal, agent, reason);
	SPI_finish();
	dv_restore_user(&saved);
	PG_RETURN_BOOL(removed);
}

PG_FUNCTION_INFO_V1(dvflag_declare_disaster);
/* declare_disaster(starts, ends, note) RETURNS bigint */
Datum
dvflag_declare_disaster(PG_FUNCTION_ARGS)
{
	char	   *note;
	Datum		values[3];
	int64		id;
	StringInfoData d;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("starts and ends must not be NULL")));
	note = dv_required_text_arg(fcinfo, 2, "note");
	if (PG_GETARG_TIMESTAMPTZ(1) <= PG_GETARG_TIMESTAMPTZ(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ends must be later than starts")));
	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = CStringGetTextDatum(note);
	dv_refuse_in_restricted_operation("dvflag.declare_disaster()");
	dv_spi_connect();
	dv_exec(&insert_disaster, values, NULL, false, 0);
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0}));
	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "starts", timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(0)));
	dv_json_field_text(&d, "ends", timestamptz_to_str(PG_GETARG_TIMESTAMPTZ(1)));
	dv_json_field_text(&d, "note", note);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, InvalidOid, "disaster_declare", psprintf(INT64_FORMAT, id), d.data);
	SPI_finish();
	PG_RETURN_INT64(id);
}

PG_FUNCTION_INFO_V1(dvflag_end_disaster);
/* end_disaster(id): disaster-mode search stops now. */
Datum
dvflag_end_disaster(PG_FUNCTION_ARGS)
{
	Datum		arg;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("id must not be NULL")));
	arg = PG_GETARG_DATUM(0);
	dv_refuse_in_restricted_operation("dvflag.end_disaster()");
	dv_spi_connect();
	dv_exec(&find_disaster, &arg, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no disaster with id " INT64_FORMAT, PG_GETARG_INT64(0))));
	dv_exec(&end_disaster, &arg, NULL, false, 0);
	if (SPI_processed == 1)
		dv_audit(DV_AUDIT_TABLE, InvalidOid, "disaster_end", psprintf(INT64_FORMAT, PG_GETARG_INT64(0)), "{}");
	SPI_finish();
	PG_RETURN_VOID();
}

/* grant_insurer / revoke_insurer */
static Datum
map_insurer(FunctionCallInfo fcinfo, bool grant)
{
	Oid			role;
	char	   *insurer_no;
	Datum		values[2];
	StringInfoData d;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role must not be NULL")));
	role = PG_GETARG_OID(0);
	insurer_no = dv_required_text_arg(fcinfo, 1, "insurer_no");
	dv_check_insurer_no_arg(insurer_no);
	dv_refuse_in_restricted_operation(grant ? "dvflag.grant_insurer()" : "dvflag.revoke_insurer()");
	dv_spi_connect();
	values[0] = CStringGetTextDatum(insurer_no);
	dv_require_insurer(insurer_no);
	values[0] = ObjectIdGetDatum(role);
	values[1] = CStringGetTextDatum(insurer_no);
	dv_exec(grant ? &insert_staff : &delete_staff, values, NULL, false, 0);
	if (SPI_processed > 0)
	{
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_text(&d, "mapped_role", GetUserNameFromId(role, false));
		dv_json_field_text(&d, "insurer_no", insurer_no);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, InvalidOid, grant ? "insurer_grant" : "insurer_revoke",
				 GetUserNameFromId(role, false), d.data);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_grant_insurer);
Datum
dvflag_grant_insurer(PG_FUNCTION_ARGS)
{
	return map_insurer(fcinfo, true);
}

PG_FUNCTION_INFO_V1(dvflag_revoke_insurer);
Datum
dvflag_revoke_insurer(PG_FUNCTION_ARGS)
{
	return map_insurer(fcinfo, false);
}

PG_FUNCTION_INFO_V1(dvflag_staff_insurers);
/* staff_insurers(): the insurers the current role is mapped to. */
Datum
dvflag_staff_insurers(PG_FUNCTION_ARGS)
{
	Datum		result;
	MemoryContext outer = CurrentMemoryContext;
	Oid			caller = GetUserId();
	DvSavedUser saved;

	dv_become_owner(&saved);
	dv_spi_connect();
	result = dv_insurers_of(caller);
	/* copy out of the SPI context before SPI_finish frees it */
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);
		ArrayType  *copy = DatumGetArrayTypePCopy(result);

		MemoryContextSwitchTo(spi);
		result = PointerGetDatum(copy);
	}
	SPI_finish();
	dv_restore_user(&saved);
	PG_RETURN_DATUM(result);
}

/*
 * The SB flags of the scope, each with: when it was last set
 * (dvflag.sb_flag_set, written by the enrollment trigger; NULL for a flag
 * set before 1.3 whose audit row had been purged by then), the oldest audit
 * row left (such a flag is older: the purge deletes by age), whether it is
 * the SB of latest(P), and every sign of a card of the person, newest
 * first: an active card registered, or a refused registration (DV001,
 * dvflag.registration_refusal, written by durable.c) with a card never
 * bound.  The rule (rules.c) picks the signs that count.  The fences
 * (OFFSET 0) keep it to the few SB rows, by index, whatever the generic
 * plan's estimates.
 */
#define SB_FLAGS_AND_CARDS(scope) \
	"SELECT e.insurer_no, e.symbol, e.number, e.branch, e.link_no," \
	"       (SELECT s.set_at FROM dvflag.sb_flag_set s WHERE s.enrollment_id OPERATOR(pg_catalog.=) e.id)," \
	"       (SELECT pg_catalog.min(f.at) FROM dvflag.audit f) AS floor," \
	"       p.latest_id IS NOT DISTINCT FROM e.id AS latest, coalesce(p.sb_eff, false), e.sb," \
	"       c.kinds, c.serials, c.seen" \
	"  FROM (SELECT * FROM dvflag.enrollment e WHERE e.sb AND " scope " OFFSET 0) e" \
	"  LEFT JOIN LATERAL (SELECT q.latest_id, q.sb_eff FROM dvflag.person q" \
	"                      WHERE q.link_no OPERATOR(pg_catalog.=) e.link_no OFFSET 0) p ON true" \
	"  LEFT JOIN LATERAL (" \
	"    SELECT pg_catalog.array_agg(kind ORDER BY seen_at DESC) AS kinds," \
	"           pg_catalog.array_agg(card_serial ORDER BY seen_at DESC) AS serials," \
	"           pg_catalog.array_agg(seen_at ORDER BY seen_at DESC) AS seen FROM (" \
	"      SELECT 'card_registered'::pg_catalog.text AS kind, k.card_serial::pg_catalog.text," \
	"             k.registered_at AS seen_at" \
	"        FROM dvflag.card k" \
	"       WHERE k.link_no OPERATOR(pg_catalog.=) e.link_no AND k.stopped_at IS NULL" \
	"      UNION ALL" \
	"      SELECT 'registration_refused', r.card_serial::pg_catalog.text, r.at" \
	"        FROM dvflag.registration_refusal r" \
	"       WHERE r.link_no OPERATOR(pg_catalog.=) e.link_no" \
	"         AND NOT EXISTS (SELECT FROM dvflag.card b WHERE b.card_serial OPERATOR(pg_catalog.=) r.card_serial)" \
	"    ) seen" \
	"  ) c ON true" \
	" ORDER BY e.insurer_no, e.symbol, e.number, e.branch"

/* $1 (all) is declared by both, used by neither: one index scan each */
static DvPlan sb_flags_and_cards_all = {
	SB_FLAGS_AND_CARDS("true"), 2, {BOOLOID, TEXTARRAYOID}, NULL, true
};
static DvPlan sb_flags_and_cards_of = {
	SB_FLAGS_AND_CARDS("e.insurer_no OPERATOR(pg_catalog.=) ANY ($2)"), 2, {BOOLOID, TEXTARRAYOID}, NULL, true
};

/*
 * A staff listing: run a plan over the caller's scope ($1 all, $2 their
 * insurers; 'all_plan' for admin, 'scoped_plan' for staff), as the owner,
 * and put each row that 'row' fills (natts columns) and keeps into the
 * function's result.
 */
void
dv_staff_list(FunctionCallInfo fcinfo, DvPlan *all_plan, DvPlan *scoped_plan, const char *what,
			  int natts, DvListRow row)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			caller = GetUserId();
	DvSavedUser saved;
	Datum		args[2];
	bool		all;
	Datum	   *values;
	bool	   *nulls;

	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != natts)
		elog(ERROR, "dvflag: the SQL declaration of this function has %d columns, its C code %d",
			 rsinfo->setDesc->natts, natts);
	values = palloc(sizeof(Datum) * natts);
	nulls = palloc(sizeof(bool) * natts);
	dv_become_owner(&saved);
	dv_spi_connect();
	args[1] = dv_staff_scope(caller, &all, what);
	args[0] = BoolGetDatum(all);
	dv_exec(all ? all_plan : scoped_plan, args, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
		if (row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls))
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	SPI_finish();
	dv_restore_user(&saved);
}

static int
cmp_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * A row of SB_FLAGS_AND_CARDS, kept when a sign counts: the result says
 * which SB this is, the newest sign that counts, and how many distinct cards
 * gave one (more than one: someone else may be trying cards too).  A person
 * can have many signs (anyone who knows the insurance card can be refused
 * with serials of their own): they are counted by sorting, interruptibly.
 */
static bool
sb_due_row(HeapTuple tup, TupleDesc desc, Datum *values, bool *nulls)
{
	bool		set_known,
				floor_known,
				isnull;
	int64		set_at,
				floor;
	Datum	   *kinds = NULL,
			   *serials = NULL,
			   *seen = NULL;
	bool	   *serial_nulls = NULL;
	Datum		signs;
	int			n = 0,
				due = 0,
				distinct = 0;
	char	  **counted;

	for (int k = 0; k < 6; k++)
		values[k] = SPI_getbinval(tup, desc, k + 1, &nulls[k]);
	set_known = !nulls[5];
	set_at = set_known ? DatumGetTimestampTz(values[5]) : 0;
	floor = DatumGetTimestampTz(SPI_getbinval(tup, desc, 7, &isnull));
	floor_known = !isnull;
	values[6] = BoolGetDatum(dv_col_bool(tup, 8) && !dv_registration_allowed(dv_col_bool(tup, 9)));
	nulls[6] = false;

	signs = SPI_getbinval(tup, desc, 11, &isnull);
	if (!isnull)				/* the three arrays come from one aggregate */
	{
		deconstruct_array(DatumGetArrayTypeP(signs), TEXTOID, -1, false, TYPALIGN_INT, &kinds, NULL, &n);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 12, &isnull)),
						  TEXTOID, -1, false, TYPALIGN_INT, &serials, &serial_nulls, &n);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 13, &isnull)),
						  TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &seen, NULL, &n);
	}
	counted = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (serial_nulls[i] ||
			!dv_sb_due_for_clearing(dv_col_bool(tup, 10), set_known, set_at, floor_known, floor,
									DatumGetTimestampTz(seen[i])))
			continue;
		if (due == 0)
		{
			values[7] = kinds[i];	/* newest first */
			values[8] = seen[i];
		}
		counted[due++] = TextDatumGetCString(serials[i]);
	}
	qsort(counted, due, sizeof(char *), cmp_cstring_ptr);
	for (int i = 0; i < due; i++)
		if (i == 0 || strcmp(counted[i - 1], counted[i]) != 0)
			distinct++;
	nulls[7] = nulls[8] = nulls[9] = false;
	values[9] = Int32GetDatum(distinct);
	return due > 0;
}

PG_FUNCTION_INFO_V1(dvflag_sb_due_for_clearing);
/* sb_due_for_clearing(): staff, their insurers' SB flags that look due (§5). */
Datum
dvflag_sb_due_for_clearing(PG_FUNCTION_ARGS)
{
	if (!dv_relation_exists("registration_refusal"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag.registration_refusal does not exist"),
				 errhint("This library lists SB flags from the tables of 1.3: ALTER EXTENSION dvflag UPDATE.")));
	dv_staff_list(fcinfo, &sb_flags_and_cards_all, &sb_flags_and_cards_of, "list SB flags due for clearing",
				  10, sb_due_row);
	return (Datum) 0;
}
