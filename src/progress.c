/*
 * progress.c — where a long statement of dvflag's is: a staff COPY into
 * dvflag.enrollment (copy.c) moving its rows, or purge() deleting them.
 *
 * Those statements call dvflag.at_row() once a row, in the query itself
 * (a WHERE clause evaluated as each row goes by), which counts the row and
 *   - every dvflag.progress_rows rows (default 100000; 0: never) sends a
 *     NOTICE, so that whoever loads or purges a million rows sees it move;
 *   - for a COPY, keeps pg_stat_progress_copy's tuples_processed, and the
 *     row's place in the input, which names the line of a row-level error.
 * Outside such a statement it does nothing, whoever calls it: it says and
 * changes nothing but this backend's counters.
 */
#include "dvflag.h"

#include "commands/progress.h"
#include "utils/backend_progress.h"

int			dv_progress_rows = 100000;

static struct
{
	bool		active;
	const char *what;			/* "moved into dvflag.enrollment" */
	int64		total;			/* rows expected; -1 unknown */
	int64		done;			/* rows counted */
	int64		ordinal;		/* the row's place in the input, 0 none */
	bool		copy_progress;	/* keep pg_stat_progress_copy's count */
	bool		rows_in;		/* the statement's rows are in */
} progress;

void
dv_progress_begin(const char *what, int64 total, bool copy_progress)
{
	progress.active = true;
	progress.what = what;
	progress.total = total;
	progress.done = 0;
	progress.ordinal = 0;
	progress.copy_progress = copy_progress;
	progress.rows_in = false;
}

void
dv_progress_end(void)
{
	progress.active = false;
}

int64
dv_progress_done(void)
{
	return progress.done;
}

int64
dv_progress_ordinal(void)
{
	return progress.active && !progress.rows_in ? progress.ordinal : 0;
}

void
dv_progress_rows_in(void)
{
	if (progress.active)
		progress.rows_in = true;
}

PG_FUNCTION_INFO_V1(dvflag_at_row);
/* dvflag.at_row(ordinal bigint) RETURNS boolean: count a row; always true. */
Datum
dvflag_at_row(PG_FUNCTION_ARGS)
{
	if (!progress.active)
		PG_RETURN_BOOL(true);
	progress.done++;
	progress.ordinal = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	if (progress.copy_progress)
		pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, progress.done);
	if (dv_progress_rows > 0 && progress.done % dv_progress_rows == 0)
	{
		if (progress.total >= 0)
			ereport(NOTICE,
					(errmsg("dvflag: " INT64_FORMAT " of " INT64_FORMAT " rows %s",
							progress.done, progress.total, progress.what)));
		else
			ereport(NOTICE,
					(errmsg("dvflag: " INT64_FORMAT " rows %s", progress.done, progress.what)));
	}
	PG_RETURN_BOOL(true);
}
