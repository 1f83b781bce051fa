/*
 * inquiry.c — inquiries without My Number (RULES.md §7, seed 003): insurer
 * staff answering a municipality's inquiry match kana (folded as in a
 * disaster search), birth date and sex, exactly, within their own insurers.
 * Exactly one match answers, with whether the person is a protected target;
 * none answers "no match"; several answer only their count, so that the
 * caller asks for the acquisition or loss period.  My Number is never an
 * input.  Every inquiry is audited, in the table and the server log, with
 * the inquirer's institution, department and name.  An acting function:
 * SECURITY INVOKER, the caller taken on entry, its query run as the owner.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"

#include "rules.h"

static DvPlan inquiry_plan = {
	"SELECT e.link_no, p.nd_eff, p.sb_eff, e.insurer_no, i.name, e.symbol, e.number, e.branch,"
	"       e.acquired_on, e.lost_on, e.name, e.kana, e.sex, e.birth_date, e.address, e.postcode"
	"  FROM dvflag.enrollment e"
	"  JOIN dvflag.insurer i ON i.insurer_no OPERATOR(pg_catalog.=) e.insurer_no"
	"  JOIN dvflag.person p ON p.link_no OPERATOR(pg_catalog.=) e.link_no"
	" WHERE e.birth_date OPERATOR(pg_catalog.=) $1"
	"   AND dvflag.fold(e.kana) OPERATOR(pg_catalog.=) $2"
	"   AND e.sex OPERATOR(pg_catalog.=) $3"
	"   AND e.insurer_no OPERATOR(pg_catalog.=) ANY ($4)"
	"   AND ($5::pg_catalog.daterange IS NULL OR e.acquired_on OPERATOR(pg_catalog.<@) $5)"
	"   AND ($6::pg_catalog.daterange IS NULL"
	"        OR (e.lost_on IS NOT NULL AND e.lost_on OPERATOR(pg_catalog.<@) $6))"
	" ORDER BY e.acquired_on, e.id",
	6, {DATEOID, TEXTOID, INT2OID, TEXTARRAYOID, DATERANGEOID, DATERANGEOID}, NULL, false
};

/* A daterange argument as text for the audit, or NULL. */
static char *
range_text(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		return NULL;
	return OidOutputFunctionCall(F_RANGE_OUT, PG_GETARG_DATUM(n));
}

/*
 * inquiry_without_my_number(kana, birth_date, sex, institution, department,
 * inquirer, acquired_between, lost_between): §7, seed 003 STEP2 ③–⑤; sex
 * read as 'sex_type' says.
 */
static Datum
inquiry(FunctionCallInfo fcinfo, DvSexArg sex_type)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *kana = dv_required_text_arg(fcinfo, 0, "kana");
	char	   *institution = dv_required_text_arg(fcinfo, 3, "institution");
	char	   *department = dv_required_text_arg(fcinfo, 4, "department");
	char	   *inquirer = dv_required_text_arg(fcinfo, 5, "inquirer");
	char	   *folded;
	size_t		folded_len;
	int32		sex;
	DvActing	act;
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	bool		all;
	uint64		n;
	const char *status;
	Datum		values[17];
	bool		rnulls[17];
	StringInfoData d;
	StringInfoData criteria;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("birth_date must not be NULL"),
				 errhint("An inquiry matches kana, birth date and sex, all three.")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sex must not be NULL"),
				 errhint("An inquiry matches kana, birth date and sex, all three.")));
	sex = dv_sex_arg(fcinfo, 2, sex_type, false);
	folded = dv_fold_cstring(kana, &folded_len);
	if (folded_len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kana must not be empty"),
				 errhint("Give the kana of the inquiry, e.g. 'ヤマダ ハナコ'.")));
	InitMaterializedSRF(fcinfo, 0);
	dv_audit_require_log();

	dv_act_begin(&act);
	if (!dv_role_has(act.caller, DV_ROLE_INSURER) && !superuser_arg(act.caller))
		dv_permission_denied("answer an inquiry",
							 "Inquiries are answered by insurer staff, within their own insurers.");
	args[3] = dv_require_right(act.caller, DV_RIGHT_SOME_INSURER, NULL, "answer an inquiry", &all);
	args[0] = PG_GETARG_DATUM(1);
	args[1] = CStringGetTextDatum(folded);
	args[2] = Int16GetDatum((int16) sex);
	args[4] = PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6);
	nulls[4] = PG_ARGISNULL(6) ? 'n' : ' ';
	args[5] = PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7);
	nulls[5] = PG_ARGISNULL(7) ? 'n' : ' ';
	dv_exec(&inquiry_plan, args, nulls, true, 0);
	n = SPI_processed;
	status = n == 0 ? "no_match" : n == 1 ? "match" : "several";

	memset(rnulls, true, sizeof(rnulls));
	values[0] = CStringGetTextDatum(status);
	rnulls[0] = false;
	values[1] = Int32GetDatum((int32) n);
	rnulls[1] = false;
	if (n == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];

		values[2] = SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &rnulls[2]);
		values[3] = BoolGetDatum(dv_hide_address(dv_col_bool(tup, 2), dv_col_bool(tup, 3)));
		rnulls[3] = false;
		for (int k = 4; k < 17; k++)
			values[k] = SPI_getbinval(tup, SPI_tuptable->tupdesc, k, &rnulls[k]);
	}

	initStringInfo(&criteria);
	appendStringInfoChar(&criteria, '{');
	dv_json_field_text(&criteria, "kana", kana);
	dv_json_field_text(&criteria, "birth_date",
					   DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(1))));
	dv_json_field_raw(&criteria, "sex", psprintf("%d", sex));
	dv_json_field_text(&criteria, "acquired_between", range_text(fcinfo, 6));
	dv_json_field_text(&criteria, "lost_between", range_text(fcinfo, 7));
	appendStringInfoChar(&criteria, '}');
	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "institution", institution);
	dv_json_field_text(&d, "department", department);
	dv_json_field_text(&d, "inquirer", inquirer);
	dv_json_field_raw(&d, "criteria", criteria.data);
	dv_json_field_text(&d, "status", status);
	dv_json_field_raw(&d, "count", psprintf(UINT64_FORMAT, n));
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, act.caller, "inquiry_without_my_number", NULL, d.data);

	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, rnulls);
	dv_act_end(&act);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dvflag_inquiry_without_my_number_1_3);
/* From 1.3 sex is an integer. */
Datum
dvflag_inquiry_without_my_number_1_3(PG_FUNCTION_ARGS)
{
	return inquiry(fcinfo, DV_SEX_INT4);
}

PG_FUNCTION_INFO_V1(dvflag_inquiry_without_my_number);
/* 1.2's, whose sex is a smallint, for a database not yet updated. */
Datum
dvflag_inquiry_without_my_number(PG_FUNCTION_ARGS)
{
	return inquiry(fcinfo, DV_SEX_INT2);
}
