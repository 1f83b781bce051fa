/*
 * disasters.c — declaring and ending a disaster (RULES.md §3 row 6): the
 * window in which disaster-mode search works.  Admin only (the EXECUTE
 * grant); both are audited.  The search itself is a read path (paths.c).
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

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
				 errmsg("starts and ends must not be NULL"),
				 errhint("Give when disaster mode starts and ends, e.g. now() and now() + interval '7 days'.")));
	note = dv_required_text_arg(fcinfo, 2, "note");
	if (PG_GETARG_TIMESTAMPTZ(1) <= PG_GETARG_TIMESTAMPTZ(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ends must be later than starts"),
				 errhint("ends is when disaster-mode search stops by itself; dvflag.end_disaster(id) stops it earlier.")));
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
				 errmsg("id must not be NULL"),
				 errhint("dvflag.disasters() lists the declared disasters with their ids.")));
	arg = PG_GETARG_DATUM(0);
	dv_refuse_in_restricted_operation("dvflag.end_disaster()");
	dv_spi_connect();
	dv_exec(&find_disaster, &arg, NULL, false, 0);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no disaster with id " INT64_FORMAT, PG_GETARG_INT64(0)),
				 errhint("dvflag.disasters() lists the declared disasters with their ids.")));
	dv_exec(&end_disaster, &arg, NULL, false, 0);
	if (SPI_processed == 1)
		dv_audit(DV_AUDIT_TABLE, InvalidOid, "disaster_end", psprintf(INT64_FORMAT, PG_GETARG_INT64(0)), "{}");
	SPI_finish();
	PG_RETURN_VOID();
}
