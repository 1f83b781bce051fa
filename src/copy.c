/*
 * copy.c — COPY FROM into the tables staff load themselves (dvflag.enrollment,
 * dvflag.health_record): under row-level security, and as the data of a
 * restore.
 *
 * A restore: pg_dump writes the rows of a table as COPY with every column,
 * id included (an identity no other load may give).  The rows of
 * dvflag.enrollment come with the person rows and the audit that they
 * already produced, so the enrollment trigger must not treat them as new
 * changes (it would audit them again, ask for a reason, and derive person
 * rows that the dump restores next).  A COPY into a staff-loaded table that
 * names id runs "on behalf of a restore" (dv_behalf->restoring): the
 * trigger leaves it alone.  Only a superuser restores; anyone else's COPY
 * with id is refused, so a restore is no way to write flags without a
 * reason.  A superuser's COPY into the other dvflag tables, which only
 * dvflag's functions write, is a restore's too.  A restore runs with the
 * foreign keys unchecked (see below).
 *
 * The COPY hook: PostgreSQL refuses COPY FROM into a table under row-level
 * security.  For COPY FROM into a staff-loaded table by a role under its
 * policies (insurer staff, admin), the hook copies the rows into a
 * temporary table of the caller's and then inserts them with INSERT ...
 * SELECT, both as the caller: row-level security, its WITH CHECK, column
 * privileges and the triggers apply exactly as to an INSERT.  Nothing runs
 * with anyone else's rights.
 */
#include "dvflag.h"

#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* The dvflag tables staff load themselves, under row-level security. */
static const char *const staff_loaded[] = {"enrollment", "health_record"};

/*
 * The dvflag table a COPY FROM loads; InvalidOid for any other COPY.
 * *staff_table: its name when it is one staff load, else NULL.
 */
static Oid
copy_into_dvflag(CopyStmt *stmt, const char **staff_table)
{
	Oid			nsp;
	Oid			relid;

	*staff_table = NULL;
	if (!stmt->is_from || stmt->relation == NULL)
		return InvalidOid;
	nsp = get_namespace_oid("dvflag", true);
	if (!OidIsValid(nsp))
		return InvalidOid;
	relid = RangeVarGetRelidExtended(stmt->relation, RowExclusiveLock, RVR_MISSING_OK, NULL, NULL);
	if (!OidIsValid(relid) || get_rel_namespace(relid) != nsp)
		return InvalidOid;
	for (int i = 0; i < (int) lengthof(staff_loaded); i++)
		if (relid == get_relname_relid(staff_loaded[i], nsp))
			*staff_table = staff_loaded[i];
	return relid;
}

/* Does its column list name id (as pg_dump's does)? */
static bool
copy_names_id(CopyStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->attlist)
		if (strcmp(strVal(lfirst(lc)), "id") == 0)
			return true;
	return false;
}

/* The COPY's column list as SQL, or NULL for all columns. */
static char *
copy_column_list(CopyStmt *stmt)
{
	StringInfoData cols;
	ListCell   *lc;

	if (stmt->attlist == NIL)
		return NULL;
	initStringInfo(&cols);
	foreach(lc, stmt->attlist)
	{
		if (cols.len > 0)
			appendStringInfoString(&cols, ", ");
		appendStringInfoString(&cols, quote_identifier(strVal(lfirst(lc))));
	}
	return cols.data;
}

static void
run_sql(const char *sql)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "dvflag: could not run: %s", sql);
	SPI_finish();
}

static void next_process_utility(PlannedStmt *pstmt, const char *queryString,
								 bool readOnlyTree, ProcessUtilityContext context,
								 ParamListInfo params, QueryEnvironment *queryEnv,
								 DestReceiver *dest, QueryCompletion *qc);

/*
 * COPY dvflag.<table> FROM ... as the caller, through a temporary table:
 * the COPY fills pg_temp.dvflag_copy (same columns, no constraints), then
 * one INSERT ... SELECT moves the rows under the policies and constraints.
 */
static void
copy_through_staging(const char *table, PlannedStmt *pstmt, CopyStmt *stmt,
					 const char *queryString, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	char	   *cols = copy_column_list(stmt);
	PlannedStmt *staged = copyObject(pstmt);
	CopyStmt   *staged_copy = (CopyStmt *) staged->utilityStmt;

	if (OidIsValid(RangeVarGetRelid(makeRangeVar("pg_temp", "dvflag_copy", -1), NoLock, true)))
		run_sql("DROP TABLE pg_temp.dvflag_copy");
	run_sql(psprintf("CREATE TEMP TABLE dvflag_copy AS SELECT * FROM dvflag.%s WITH NO DATA", table));

	staged_copy->relation = makeRangeVar("pg_temp", "dvflag_copy", -1);
	next_process_utility(staged, queryString, false, context, params, queryEnv, dest, qc);

	run_sql(cols
			? psprintf("INSERT INTO dvflag.%s (%s) SELECT %s FROM pg_temp.dvflag_copy", table, cols, cols)
			: psprintf("INSERT INTO dvflag.%s SELECT * FROM pg_temp.dvflag_copy", table));
	run_sql("DROP TABLE pg_temp.dvflag_copy");
}

/* Hand the statement on to the previous hook or the standard code. */
static void
next_process_utility(PlannedStmt *pstmt, const char *queryString,
					 bool readOnlyTree, ProcessUtilityContext context,
					 ParamListInfo params, QueryEnvironment *queryEnv,
					 DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* A utility statement on its way, for dv_on_behalf(). */
typedef struct Utility
{
	PlannedStmt *pstmt;
	const char *queryString;
	bool		readOnlyTree;
	ProcessUtilityContext context;
	ParamListInfo params;
	QueryEnvironment *queryEnv;
	DestReceiver *dest;
	QueryCompletion *qc;
} Utility;

static void
run_next(void *arg)
{
	Utility    *u = arg;

	next_process_utility(u->pstmt, u->queryString, u->readOnlyTree, u->context, u->params,
						 u->queryEnv, u->dest, u->qc);
}

static void
dv_process_utility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;
	Oid			relid = InvalidOid;
	const char *staff_table = NULL;

	dv_guard_drop(parsetree);
	if (IsA(parsetree, CopyStmt))
		relid = copy_into_dvflag((CopyStmt *) parsetree, &staff_table);
	if (OidIsValid(relid))
	{
		CopyStmt   *stmt = (CopyStmt *) parsetree;

		/*
		 * A restore: a superuser's COPY into a dvflag table that only
		 * dvflag's own functions write, or into one staff load with its
		 * id.  pg_restore -j loads the tables in parallel, in no order that
		 * their foreign keys would accept, so the restore runs as
		 * pg_restore --disable-triggers would (session_replication_role =
		 * replica: the data of a dump is consistent), while dvflag's own
		 * triggers, ENABLE ALWAYS, still refuse what they refuse.
		 */
		if (superuser() && (staff_table == NULL || copy_names_id(stmt)))
		{
			DvBehalf	behalf = {.via = "restore", .restoring = true};
			Utility		u = {pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc};
			int			nest = NewGUCNestLevel();

			(void) set_config_option("session_replication_role", "replica", PGC_SUSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			dv_on_behalf(&behalf, run_next, &u);
			AtEOXact_GUC(true, nest);
			return;
		}
		if (staff_table && copy_names_id(stmt))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("COPY into dvflag.%s with its id column is a restore, and only a superuser restores", staff_table),
					 errdetail("A restore brings what its rows already produced with them (the audit, the person rows); its flags are not audited again."),
					 errhint("To load rows, give a column list without id: COPY dvflag.%s (...) FROM ...", staff_table)));
		if (staff_table && check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		{
			copy_through_staging(staff_table, pstmt, stmt, queryString, context, params, queryEnv, dest, qc);
			return;
		}
	}
	next_process_utility(pstmt, queryString, readOnlyTree, context,
						 params, queryEnv, dest, qc);
}

/* Install the hook (from _PG_init). */
void
dv_copy_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = dv_process_utility;
}
