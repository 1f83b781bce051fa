/*
 * spi_util.c — saved SPI plans and column access.
 *
 * Each DvPlan is prepared on first use in a backend and kept (SPI_keepplan)
 * for the backend's life; the plan cache re-plans it after invalidation.
 * A plan marked generic is never re-planned for its parameter values: its
 * parameters are arrays of any length, and planning each call for the
 * length at hand cost more than the statement.
 * Every statement names its objects and operators with their schema, and
 * every function calling these runs with a pinned search_path.  Callers
 * must be inside SPI_connect().
 */
#include "dvflag.h"

#include "utils/builtins.h"

SPIPlanPtr
dv_plan(DvPlan *p)
{
	if (p->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(p->sql, p->nargs, p->argtypes,
											  p->generic ? CURSOR_OPT_GENERIC_PLAN : 0);

		if (plan == NULL)
			elog(ERROR, "dvflag: SPI_prepare failed (%s): %s",
				 SPI_result_code_string(SPI_result), p->sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "dvflag: SPI_keepplan failed");
		p->plan = plan;
	}
	return p->plan;
}

int
dv_exec(DvPlan *p, Datum *values, const char *nulls, bool read_only, long count)
{
	int			rc = SPI_execute_plan(dv_plan(p), values, nulls, read_only, count);

	if (rc < 0)
		elog(ERROR, "dvflag: SPI_execute_plan failed (%s): %s",
			 SPI_result_code_string(rc), p->sql);
	return rc;
}

bool
dv_col_bool(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return !isnull && DatumGetBool(d);
}

char *
dv_col_text(HeapTuple tup, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

void
dv_spi_connect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
}
