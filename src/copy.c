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
 * with anyone else's rights.  Its errors are those of the caller's COPY:
 * they name the table it loads, never the staging table, a row's error names
 * its input line (dvflag.at_row() follows the move row by row), and each
 * says what the columns are.  A long one reports its progress (progress.c).
 *
 * Without dvflag in shared_preload_libraries, a session that has not yet
 * loaded the library has no hook, and PostgreSQL refuses the COPY before
 * any of dvflag runs; CREATE EXTENSION therefore has the database load
 * dvflag at each session's start (sql/90_operations.sql), and DROP
 * EXTENSION takes that out again (guard.c).
 */
#include "dvflag.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/progress.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/backend_progress.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
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

/* s with the staging table's name replaced by the loaded table's, name. */
static char *
unstaged(const char *s, const char *name)
{
	static const char *const names[] = {"pg_temp.dvflag_copy", "dvflag_copy"};
	StringInfoData out;

	if (s == NULL)
		return NULL;
	initStringInfo(&out);
	while (*s)
	{
		int			i;

		for (i = 0; i < (int) lengthof(names); i++)
			if (strncmp(s, names[i], strlen(names[i])) == 0)
				break;
		if (i < (int) lengthof(names))
		{
			appendStringInfoString(&out, name);
			s += strlen(names[i]);
		}
		else
			appendStringInfoChar(&out, *s++);
	}
	return out.data;
}

/* Is this error about the one row being written (not the statement's)? */
static bool
row_error(int code)
{
	return ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION ||
		(ERRCODE_TO_CATEGORY(code) == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION &&
		 code != ERRCODE_FOREIGN_KEY_VIOLATION) ||
		code == ERRCODE_INSUFFICIENT_PRIVILEGE || code == ERRCODE_GENERATED_ALWAYS;
}

/* What the caller's COPY is, for its errors and its progress. */
typedef struct Staged
{
	const char *name;			/* dvflag.<table>, the table it loads */
	char	   *hint;			/* the columns, for an error without a hint */
	int			header;			/* lines before the first row */
	bool		binary;			/* rows, not lines */
} Staged;

/*
 * The error being handled, as one of the caller's COPY into the table it
 * loads, raised again.  'where' replaces its context (the
 * statement dvflag ran, which names the staging table), or NULL to keep it.
 */
static pg_attribute_noreturn() void
rethrow_as_caller(MemoryContext cxt, const Staged *st, const char *where)
{
	ErrorData  *e;

	MemoryContextSwitchTo(cxt);
	e = CopyErrorData();
	FlushErrorState();
	e->message = unstaged(e->message, st->name);
	e->detail = unstaged(e->detail, st->name);
	e->context = where ? pstrdup(where) : unstaged(e->context, st->name);
	if (e->hint == NULL)
		e->hint = st->hint;
	ReThrowError(e);
}

/*
 * The hint of a staged COPY's errors: the columns it names ('given') and
 * those of the table it loads (all but id).  A COPY without a column list
 * (each line would have to give the generated id) and one that names a
 * column the table has not are refused here, with that hint.
 */
static char *
staged_columns(Oid relid, CopyStmt *stmt, const char *given, const char *name)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData cols;
	ListCell   *lc;
	char	   *hint;

	initStringInfo(&cols);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), "id") == 0)
			continue;
		if (cols.len > 0)
			appendStringInfoString(&cols, ", ");
		appendStringInfoString(&cols, NameStr(att->attname));
	}
	table_close(rel, AccessShareLock);
	if (given == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("COPY into %s needs a column list", name),
				 errdetail("Without one, each line would have to give the id, which is generated."),
				 errhint("Name the columns of each line, without id: COPY %s (%s) FROM ...", name, cols.data)));
	hint = psprintf("Each input line holds the columns this COPY names, in that order (%s); "
					"%s has %s, and its id is generated.", given, name, cols.data);
	foreach(lc, stmt->attlist)
	{
		const char *col = strVal(lfirst(lc));

		if (get_attnum(relid, col) == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of relation \"%s\" does not exist", col, name),
					 errhint("%s", hint)));
	}
	return hint;
}

/* HEADER and FORMAT of a COPY FROM: the lines before its rows, binary. */
static void
copy_format(CopyStmt *stmt, Staged *st)
{
	ListCell   *lc;

	st->header = 0;
	st->binary = false;
	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "format") == 0)
			st->binary = strcmp(defGetString(def), "binary") == 0;
		else if (strcmp(def->defname, "header") == 0)
			st->header = def->arg == NULL ||
				(IsA(def->arg, String) && pg_strcasecmp(strVal(def->arg), "match") == 0) ||
				defGetBoolean(def) ? 1 : 0;
	}
}

/* The rows of the staged COPY: counted by it, or afterwards. */
static pg_noinline int64
staged_rows(const QueryCompletion *qc)
{
	int64		n;

	if (qc != NULL && qc->commandTag == CMDTAG_COPY)
		return (int64) qc->nprocessed;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	if (SPI_execute("SELECT pg_catalog.count(*) FROM pg_temp.dvflag_copy", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dvflag: could not count the staged rows");
	n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0}));
	SPI_finish();
	return n;
}

/*
 * The move: every staged row into the table it loads, one at_row() a row.
 * On an error, *row is the input place of the row being written, 0 when
 * none was (the error is the statement's).
 */
static void
move_staged(Oid relid, CopyStmt *stmt, const char *name, const char *cols, int64 rows, int64 *row)
{
	const int	params[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE};
	const int64 values[] = {PROGRESS_COPY_COMMAND_FROM,
		stmt->filename == NULL ? PROGRESS_COPY_TYPE_PIPE :
		stmt->is_program ? PROGRESS_COPY_TYPE_PROGRAM : PROGRESS_COPY_TYPE_FILE};

	if (dv_progress_rows > 0 && rows >= dv_progress_rows)
		ereport(NOTICE,
				(errmsg("dvflag: " INT64_FORMAT " rows read, now written into %s", rows, name)));
	pgstat_progress_start_command(PROGRESS_COMMAND_COPY, relid);
	pgstat_progress_update_multi_param(2, params, values);
	dv_progress_begin(psprintf("written into %s", name), rows, true);
	PG_TRY();
	{
		run_sql(psprintf("INSERT INTO %s (%s) SELECT %s FROM pg_temp.dvflag_copy"
						 " WHERE dvflag.at_row(dvflag_row)", name, cols, cols));
	}
	PG_CATCH();
	{
		*row = dv_progress_ordinal();
		dv_progress_end();
		pgstat_progress_end_command();
		PG_RE_THROW();
	}
	PG_END_TRY();
	dv_progress_end();
	pgstat_progress_end_command();
}

/*
 * COPY dvflag.<table> (columns) FROM ... as the caller, through a
 * temporary table: the COPY fills pg_temp.dvflag_copy (the same columns, no
 * constraints, and dvflag_row numbering the rows as read), then one INSERT
 * ... SELECT moves the rows under the policies and constraints.
 */
static void
copy_through_staging(const char *table, PlannedStmt *pstmt, CopyStmt *stmt, Oid relid,
					 const char *queryString,
					 ProcessUtilityContext context, ParamListInfo params,
					 QueryEnvironment *queryEnv, DestReceiver *dest,
					 QueryCompletion *qc)
{
	char	   *cols = copy_column_list(stmt);
	PlannedStmt *staged = copyObject(pstmt);
	CopyStmt   *staged_copy = (CopyStmt *) staged->utilityStmt;
	MemoryContext cxt = CurrentMemoryContext;
	Staged		st;
	volatile int64 rows;
	volatile int64 row = 0;

	/* a file or program it may not read is PostgreSQL's to refuse, first */
	if (stmt->filename != NULL &&
		!has_privs_of_role(GetUserId(), stmt->is_program ? ROLE_PG_EXECUTE_SERVER_PROGRAM
						   : ROLE_PG_READ_SERVER_FILES))
	{
		next_process_utility(pstmt, queryString, false, context, params, queryEnv, dest, qc);
		return;
	}
	st.name = psprintf("dvflag.%s", table);
	st.hint = staged_columns(relid, stmt, cols, st.name);
	copy_format(stmt, &st);
	if (pg_database_aclcheck(MyDatabaseId, GetUserId(), ACL_CREATE_TEMP) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("COPY into %s needs the TEMP privilege on this database", st.name),
				 errdetail("Under row-level security, dvflag stages the rows in a temporary table of yours, then inserts them as you."),
				 errhint("GRANT TEMP ON DATABASE %s TO the role, or load the rows with INSERT.",
						 quote_identifier(get_database_name(MyDatabaseId)))));

	if (OidIsValid(RangeVarGetRelid(makeRangeVar("pg_temp", "dvflag_copy", -1), NoLock, true)))
		run_sql("DROP TABLE pg_temp.dvflag_copy");
	run_sql(psprintf("CREATE TEMP TABLE dvflag_copy AS SELECT * FROM %s WITH NO DATA", st.name));
	run_sql("ALTER TABLE pg_temp.dvflag_copy ADD COLUMN dvflag_row bigint GENERATED ALWAYS AS IDENTITY");

	staged_copy->relation = makeRangeVar("pg_temp", "dvflag_copy", -1);
	PG_TRY();
	{
		next_process_utility(staged, queryString, false, context, params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		rethrow_as_caller(cxt, &st, NULL);
	}
	PG_END_TRY();
	rows = staged_rows(qc);

	PG_TRY();
	{
		move_staged(relid, stmt, st.name, cols, rows, (int64 *) &row);
	}
	PG_CATCH();
	{
		ErrorData  *e;
		int			code;

		MemoryContextSwitchTo(cxt);
		e = CopyErrorData();
		code = e->sqlerrcode;
		FreeErrorData(e);
		if (row > 0 && row_error(code))
			rethrow_as_caller(cxt, &st, st.binary
							  ? psprintf("COPY %s, row " INT64_FORMAT, st.name, row)
							  : psprintf("COPY %s, line " INT64_FORMAT, st.name, row + st.header));
		rethrow_as_caller(cxt, &st, psprintf("COPY %s", st.name));
	}
	PG_END_TRY();
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
			copy_through_staging(staff_table, pstmt, stmt, relid, queryString, context, params, queryEnv, dest, qc);
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
