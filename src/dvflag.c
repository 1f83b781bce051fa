/*
 * dvflag.c — module entry: settings, the audience roles, switching to the
 * owner, argument checking shared by every SQL-callable function, and the
 * COPY hook.
 *
 * The COPY hook: PostgreSQL refuses COPY FROM into a table under row-level
 * security.  For COPY FROM into dvflag.enrollment by a role under its
 * policies (insurer staff, admin), the hook copies the rows into a
 * temporary table of the caller's and then inserts them with INSERT ...
 * SELECT, both as the caller: row-level security, its WITH CHECK, column
 * privileges and the triggers apply exactly as to an INSERT.  Nothing runs
 * with anyone else's rights.
 */
#include "dvflag.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"

#include "checkdigit.h"
#include "fold.h"
#include "store.h"

PG_MODULE_MAGIC;

char	   *dv_reason_setting = NULL;
char	   *dv_client_setting = NULL;
int			dv_request_validity = 7 * 24 * 60;
const char *dv_reason_override = NULL;
Oid			dv_acting_override = InvalidOid;

static ProcessUtility_hook_type prev_process_utility = NULL;

/* The audience roles of RULES.md §9: the one list (dvflag.audience_roles()). */
static const char *const role_names[DV_ROLE_COUNT] = {
	"dvflag_admin", "dvflag_insurer", "dvflag_portal", "dvflag_clinic",
	"dvflag_disaster", "dvflag_requester", "dvflag_auditor"
};

void		_PG_init(void);
static void dv_process_utility(PlannedStmt *pstmt, const char *queryString,
							   bool readOnlyTree, ProcessUtilityContext context,
							   ParamListInfo params, QueryEnvironment *queryEnv,
							   DestReceiver *dest, QueryCompletion *qc);

/* Define the settings and install the COPY hook. */
void
_PG_init(void)
{
	DefineCustomStringVariable("dvflag.reason",
							   "Reason recorded for flag changes made by plain INSERT, UPDATE, DELETE or COPY.",
							   "A change of nd, sb or ar is refused without a reason, so that every change "
							   "can be explained later. dvflag.set_flag() takes its reason as an argument.",
							   &dv_reason_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dvflag.client",
							   "The application's identity of the operator or institution, recorded in every audit entry.",
							   "A pooled application login must still name the person acting: set this per "
							   "session or transaction, e.g. an institution code and a staff id.",
							   &dv_client_setting, "", PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.request_validity",
							"How long a request for information may wait for staff before it expires.",
							"A pending request (AR on the enrollment or item) past this period is closed "
							"as expired by dvflag.expire_requests() or when its requester asks for it.",
							&dv_request_validity, 7 * 24 * 60, 1, 365 * 24 * 60, PGC_SUSET,
							GUC_UNIT_MIN, NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.enrollment_retention_years",
							"Years after its loss date that dvflag.purge() keeps an enrollment.",
							"RULES.md §8: qualification history is kept 20 years or more. Purging keeps "
							"every flag's effect.",
							&dv_enrollment_retention_years, 20, 1, 200, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.record_retention_years",
							"Years after completion that dvflag.purge() keeps a provision record.",
							"RULES.md §8: provision records are kept 7 years.",
							&dv_record_retention_years, 7, 1, 200, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.audit_retention_years",
							"Years that dvflag.purge() keeps an audit row, at least as long as the other two periods.",
							"The audit is kept at least as long as the records it speaks of: the longest "
							"of the three settings applies.",
							&dv_audit_retention_years, 20, 1, 200, PGC_SUSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("dvflag");
	dv_store_init();

	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = dv_process_utility;
}

PG_FUNCTION_INFO_V1(dvflag_audience_roles);
/* dvflag.audience_roles(): the names of the audience roles, in DvRole order. */
Datum
dvflag_audience_roles(PG_FUNCTION_ARGS)
{
	Datum		names[DV_ROLE_COUNT];

	for (int i = 0; i < DV_ROLE_COUNT; i++)
		names[i] = CStringGetTextDatum(role_names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, DV_ROLE_COUNT, TEXTOID, -1, false, TYPALIGN_INT));
}

bool
dv_role_has(Oid user, DvRole role)
{
	Oid			roleid = get_role_oid(role_names[role], true);

	return OidIsValid(roleid) && has_privs_of_role(user, roleid);
}

bool
dv_relation_exists(const char *name)
{
	Oid			nsp = get_namespace_oid("dvflag", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(name, nsp));
}

void
dv_become_owner(DvSavedUser *saved)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACENAME, CStringGetDatum("dvflag"));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "dvflag: schema dvflag does not exist");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(owner, saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

void
dv_restore_user(const DvSavedUser *saved)
{
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

void
dv_refuse_in_restricted_operation(const char *what)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot call %s within a security-restricted operation", what),
				 errdetail("Index expressions, ANALYZE, VACUUM and materialized views run code "
						   "with another role's rights; dvflag changes nothing from there.")));
}

char *
dv_fold_cstring(const char *s, size_t *len)
{
	size_t		n = strlen(s);
	char	   *folded = palloc(n + 1);

	n = dv_fold(s, n, folded);
	folded[n] = '\0';
	if (len)
		*len = n;
	return folded;
}

bool
dv_text_is_blank(const char *s)
{
	size_t		len;

	if (s == NULL)
		return true;
	pfree(dv_fold_cstring(s, &len));
	return len == 0;
}

char *
dv_current_reason(void)
{
	const char *r = dv_reason_override ? dv_reason_override : dv_reason_setting;

	return dv_text_is_blank(r) ? NULL : pstrdup(r);
}

char *
dv_optional_text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

char *
dv_required_text_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	char	   *s;

	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be NULL", argname)));
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (dv_text_is_blank(s))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	return s;
}

/* At most 64 bytes of s, cut on a character boundary, for messages. */
char *
dv_clip(const char *s)
{
	int			len = strlen(s);
	int			keep = pg_mbcharcliplen(s, len, 64);

	return keep < len ? psprintf("%.*s…", keep, s) : pstrdup(s);
}

void
dv_check_insurer_no_arg(const char *insurer_no)
{
	size_t		len = strlen(insurer_no);

	switch (dv_insurer_no_problem(insurer_no, len))
	{
		case DV_INSURER_NO_OK:
			return;
		case DV_INSURER_NO_LENGTH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("insurer_no \"%s\" is not 8 or 6 digits long", dv_clip(insurer_no)),
					 errhint("An insurer number is 8 digits ending in a check digit, or 6 digits for municipal National Health Insurance.")));
			break;
		case DV_INSURER_NO_NOT_DIGITS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("insurer_no \"%s\" contains a character other than 0-9", dv_clip(insurer_no)),
					 errhint("Write the insurer number in half-width digits.")));
			break;
		case DV_INSURER_NO_CHECK_DIGIT:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("insurer_no \"%s\" has a wrong check digit", dv_clip(insurer_no)),
					 errhint("Check the number on the insurance card; its last digit is computed from the first seven.")));
			break;
	}
}

void
dv_check_branch_arg(const char *branch)
{
	if (!(strlen(branch) == 2 && isdigit((unsigned char) branch[0]) &&
		  isdigit((unsigned char) branch[1])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("branch \"%s\" is not two digits", dv_clip(branch)),
				 errhint("The branch (枝番) is written as two half-width digits, e.g. '00'.")));
}

DvCardArgs
dv_card_args(FunctionCallInfo fcinfo, int first)
{
	DvCardArgs	c;

	c.insurer_no = dv_required_text_arg(fcinfo, first, "insurer_no");
	c.symbol = dv_optional_text_arg(fcinfo, first + 1);
	c.number = dv_required_text_arg(fcinfo, first + 2, "number");
	c.branch = dv_required_text_arg(fcinfo, first + 3, "branch");
	dv_check_insurer_no_arg(c.insurer_no);
	if (c.symbol != NULL && dv_text_is_blank(c.symbol))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("symbol must be NULL or not empty"),
				 errhint("Pass NULL for an insurance card without a symbol (記号).")));
	dv_check_branch_arg(c.branch);
	return c;
}

void
dv_card_params(const DvCardArgs *c, Datum *values, char *nulls)
{
	values[0] = CStringGetTextDatum(c->insurer_no);
	values[1] = c->symbol ? CStringGetTextDatum(c->symbol) : (Datum) 0;
	values[2] = CStringGetTextDatum(c->number);
	values[3] = CStringGetTextDatum(c->branch);
	nulls[0] = nulls[2] = nulls[3] = ' ';
	nulls[1] = c->symbol ? ' ' : 'n';
}

char *
dv_card_target(const DvCardArgs *c)
{
	return psprintf("%s/%s/%s/%s", c->insurer_no, c->symbol ? c->symbol : "",
					c->number, c->branch);
}

/* A text value folded by 'fold' (dv_fold or dv_fold_1_0). */
static text *
fold_text(text *in, size_t (*fold) (const char *, size_t, char *))
{
	size_t		len = VARSIZE_ANY_EXHDR(in);
	text	   *out = (text *) palloc(VARHDRSZ + len);

	SET_VARSIZE(out, VARHDRSZ + fold(VARDATA_ANY(in), len, VARDATA(out)));
	return out;
}

PG_FUNCTION_INFO_V1(dvflag_fold);
/* dvflag.fold(text): the folded form used for matching names and kana. */
Datum
dvflag_fold(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(fold_text(PG_GETARG_TEXT_PP(0), dv_fold));
}

PG_FUNCTION_INFO_V1(dvflag_is_blank);
/* dvflag.is_blank(text): empty or only white space (incl. U+3000). */
Datum
dvflag_is_blank(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(dv_text_is_blank(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/*
 * 1.0's fold() and is_blank(), whose blanks were fewer (fold.h): a 1.0
 * install's indexes and CHECKs were built with them, so these symbols keep
 * that behaviour for as long as such an install is served.  The 1.1 update
 * rebinds the SQL functions to the symbols above and rebuilds what uses them.
 */
PG_FUNCTION_INFO_V1(dvflag_fold_1_0);
Datum
dvflag_fold_1_0(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(fold_text(PG_GETARG_TEXT_PP(0), dv_fold_1_0));
}

PG_FUNCTION_INFO_V1(dvflag_is_blank_1_0);
Datum
dvflag_is_blank_1_0(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(VARSIZE_ANY_EXHDR(fold_text(PG_GETARG_TEXT_PP(0), dv_fold_1_0)) == 0);
}

PG_FUNCTION_INFO_V1(dvflag_insurer_no_valid);
/* dvflag.insurer_no_valid(text): 8 digits with check digit, or 6 digits. */
Datum
dvflag_insurer_no_valid(PG_FUNCTION_ARGS)
{
	text	   *in = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(dv_insurer_no_problem(VARDATA_ANY(in),
										 VARSIZE_ANY_EXHDR(in)) == DV_INSURER_NO_OK);
}

/* Is this COPY FROM into dvflag.enrollment, by a role under its policies? */
static bool
copy_needs_staging(CopyStmt *stmt)
{
	Oid			nsp;
	Oid			relid;

	if (!stmt->is_from || stmt->relation == NULL)
		return false;
	nsp = get_namespace_oid("dvflag", true);
	if (!OidIsValid(nsp))
		return false;
	relid = RangeVarGetRelidExtended(stmt->relation, RowExclusiveLock,
									 RVR_MISSING_OK, NULL, NULL);
	return OidIsValid(relid) && relid == get_relname_relid("enrollment", nsp) &&
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED;
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
 * COPY dvflag.enrollment FROM ... as the caller, through a temporary table:
 * the COPY fills pg_temp.dvflag_copy (same columns, no constraints), then
 * one INSERT ... SELECT moves the rows under the policies and constraints.
 */
static void
copy_through_staging(PlannedStmt *pstmt, CopyStmt *stmt, const char *queryString,
					 ProcessUtilityContext context, ParamListInfo params,
					 QueryEnvironment *queryEnv, DestReceiver *dest,
					 QueryCompletion *qc)
{
	char	   *cols = copy_column_list(stmt);
	PlannedStmt *staged = copyObject(pstmt);
	CopyStmt   *staged_copy = (CopyStmt *) staged->utilityStmt;

	if (OidIsValid(RangeVarGetRelid(makeRangeVar("pg_temp", "dvflag_copy", -1), NoLock, true)))
		run_sql("DROP TABLE pg_temp.dvflag_copy");
	run_sql("CREATE TEMP TABLE dvflag_copy AS SELECT * FROM dvflag.enrollment WITH NO DATA");

	staged_copy->relation = makeRangeVar("pg_temp", "dvflag_copy", -1);
	next_process_utility(staged, queryString, false, context, params, queryEnv, dest, qc);

	run_sql(cols
			? psprintf("INSERT INTO dvflag.enrollment (%s) SELECT %s FROM pg_temp.dvflag_copy", cols, cols)
			: "INSERT INTO dvflag.enrollment SELECT * FROM pg_temp.dvflag_copy");
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

static void
dv_process_utility(PlannedStmt *pstmt, const char *queryString,
				   bool readOnlyTree, ProcessUtilityContext context,
				   ParamListInfo params, QueryEnvironment *queryEnv,
				   DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, CopyStmt) && copy_needs_staging((CopyStmt *) parsetree))
	{
		copy_through_staging(pstmt, (CopyStmt *) parsetree, queryString, context,
							 params, queryEnv, dest, qc);
		return;
	}
	next_process_utility(pstmt, queryString, readOnlyTree, context,
						 params, queryEnv, dest, qc);
}
