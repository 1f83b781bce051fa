/*
 * scope.c — the insurer scope of staff (RULES.md §9): which insurers a role
 * may act for, the one check of a right every acting function makes, the
 * staff-to-insurer mapping (grant_insurer, revoke_insurer), the policy's
 * staff_insurers(), and staff listings over a caller's scope.
 *
 * A role acts for an insurer when it is dvflag_admin (every insurer) or
 * holds USAGE of a role mapped to the insurer in dvflag.insurer_staff; it
 * acts for a person when it may act for one of the person's insurers.  Every
 * query here runs as the extension's owner, inside SPI.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "store.h"

static DvPlan staff_insurers = {
	"SELECT s.insurer_no FROM dvflag.insurer_staff s"
	" WHERE pg_catalog.pg_has_role($1, s.staff::pg_catalog.oid, 'USAGE')",
	1, {OIDOID}, NULL, false
};

static DvPlan person_at_insurers = {
	"SELECT 1 FROM dvflag.enrollment e WHERE e.link_no OPERATOR(pg_catalog.=) $1"
	"   AND e.insurer_no OPERATOR(pg_catalog.=) ANY ($2) LIMIT 1",
	2, {TEXTOID, TEXTARRAYOID}, NULL, false
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
static Datum
insurers_of(Oid role)
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

void
dv_permission_denied(const char *what, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to %s", what),
			 errhint("%s", hint)));
}

/*
 * The one check of a right (dvflag.h).  Admin has every insurer; a
 * caller's scope is the insurers mapped to a role it holds USAGE of.  The messages name what was asked, never whether another
 * insurer's object exists.
 */
Datum
dv_require_right(Oid caller, DvRight right, const char *key, const char *what, bool *all)
{
	Datum		scope = insurers_of(caller);
	bool		admin = dv_role_has(caller, DV_ROLE_ADMIN);

	if (all)
		*all = admin;
	if (admin)
		return scope;
	switch (right)
	{
		case DV_RIGHT_SOME_INSURER:
			if (ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(scope)),
							   ARR_DIMS(DatumGetArrayTypeP(scope))) == 0)
				dv_permission_denied(what, "Only dvflag_admin and staff mapped to an insurer (dvflag.grant_insurer) may.");
			break;
		case DV_RIGHT_INSURER:
			if (!dv_insurer_in(key, scope))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied for insurer %s", dv_clip(key)),
						 errhint("Only dvflag_admin and the staff mapped to the insurer (dvflag.grant_insurer) may %s.",
								 what)));
			break;
		case DV_RIGHT_PERSON:
			if (!dv_person_at(key, scope))
				dv_permission_denied(psprintf("%s %s", what, dv_clip(key)),
									 "Only dvflag_admin and staff of one of the person's insurers may.");
			break;
	}
	return scope;
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
				 errmsg("role must not be NULL"),
				 errhint("Name the login or group role of the staff, e.g. 'kyokai_tokyo_staff'.")));
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
	DvActing	act;

	dv_act_begin(&act);
	result = insurers_of(act.caller);
	/* copy out of the SPI context before SPI_finish frees it */
	{
		MemoryContext spi = MemoryContextSwitchTo(outer);
		ArrayType  *copy = DatumGetArrayTypePCopy(result);

		MemoryContextSwitchTo(spi);
		result = PointerGetDatum(copy);
	}
	dv_act_end(&act);
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(dvflag_is_staff_of);
/*
 * is_staff_of(insurer_no): is the current role mapped to the insurer?  The
 * write check of the staff's policy, asked for every row written: the
 * role's insurers are read once per statement (store.c), by cached OIDs,
 * with no name resolved, so it needs no definer rights and no settings.
 */
Datum
dvflag_is_staff_of(PG_FUNCTION_ARGS)
{
	text	   *insurer_no = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(dv_staff_of(GetUserId(), text_to_cstring(insurer_no)));
}

PG_FUNCTION_INFO_V1(dvflag_is_staff_of_enrollment);
/*
 * is_staff_of_enrollment(enrollment_id): is the enrollment one of the
 * current role's insurers'?  The check of the staff's policy on the health
 * records, asked for every row: the enrollment by its primary key and the
 * role's insurers hashed (store.c), by cached OIDs, with no name resolved,
 * so it needs no definer rights and no settings.  It says no more than a
 * staff's own SELECT of dvflag.enrollment: false for an enrollment of
 * another insurer and for one that does not exist alike.
 */
Datum
dvflag_is_staff_of_enrollment(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(dv_staff_of_enrollment(GetUserId(), PG_GETARG_INT64(0)));
}

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
	DvActing	act;
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
	dv_act_begin(&act);
	args[1] = dv_require_right(act.caller, DV_RIGHT_SOME_INSURER, NULL, what, &all);
	args[0] = BoolGetDatum(all);
	dv_exec(all ? all_plan : scoped_plan, args, NULL, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
		if (row(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls))
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	dv_act_end(&act);
}
