/*
 * dvflag.c — module entry: the settings, the audience roles, switching to
 * the extension's owner, and what a later version's objects need of the
 * library (dv_relation_exists).
 */
#include "dvflag.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "store.h"

PG_MODULE_MAGIC;

char	   *dv_reason_setting = NULL;
char	   *dv_client_setting = NULL;
int			dv_request_validity = 7 * 24 * 60;

/* The audience roles of RULES.md §9: the one list (dvflag.audience_roles()). */
static const char *const role_names[DV_ROLE_COUNT] = {
	"dvflag_admin", "dvflag_insurer", "dvflag_portal", "dvflag_clinic",
	"dvflag_disaster", "dvflag_requester", "dvflag_auditor"
};

void		_PG_init(void);

int			dv_client_scope = DV_CLIENT_SCOPE_SESSION;
static const struct config_enum_entry client_scopes[] = {
	{"session", DV_CLIENT_SCOPE_SESSION, false},
	{"transaction", DV_CLIENT_SCOPE_TRANSACTION, false},
	{NULL, 0, false}
};

/* The local transaction in which dvflag.client was last assigned. */
static LocalTransactionId client_lxid = InvalidLocalTransactionId;

/*
 * dvflag.client's assign hook: note the transaction.  A value that SET
 * LOCAL gave reverts at its transaction's end, which assigns again, still
 * in that transaction: so a value is "of this transaction" only when this
 * transaction gave it.
 */
static void
client_assigned(const char *newval pg_attribute_unused(), void *extra pg_attribute_unused())
{
	client_lxid = MyProc ? MyProc->lxid : InvalidLocalTransactionId;
}

const char *
dv_client(bool *given)
{
	bool		set = dv_client_setting && dv_client_setting[0];

	if (dv_client_scope == DV_CLIENT_SCOPE_TRANSACTION &&
		(client_lxid == InvalidLocalTransactionId || MyProc == NULL || client_lxid != MyProc->lxid))
		set = false;
	if (given)
		*given = set;
	return set ? dv_client_setting : NULL;
}

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
							   "transaction (set_config('dvflag.client', ..., true)), e.g. an institution code "
							   "and a staff id.",
							   &dv_client_setting, "", PGC_USERSET, 0,
							   NULL, client_assigned, NULL);
	DefineCustomEnumVariable("dvflag.client_scope",
							 "Which dvflag.client the audit records: one set in the session, or only one set in the event's own transaction.",
							 "Behind a pooler in transaction mode a SET at session level stays on the server "
							 "connection and would be recorded as the operator of another client's event; "
							 "'transaction' records dvflag.client only when the event's own transaction set it "
							 "(SET LOCAL or set_config(..., true)), and otherwise records that none was given.",
							 &dv_client_scope, DV_CLIENT_SCOPE_SESSION, client_scopes, PGC_SUSET, 0,
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
	DefineCustomBoolVariable("dvflag.allow_drop",
							 "Lets DROP EXTENSION dvflag or DROP SCHEMA dvflag lose the audit and the provision records.",
							 "They are kept for years (RULES.md §8) and are append-only; the drop is refused while "
							 "they hold rows unless a superuser sets this, with SET LOCAL, for the transaction that "
							 "drops. The drop is then written to the server log.",
							 &dv_allow_drop, false, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.audit_spool_size",
							"Size at which the audit writer starts a new spool file of queued audit rows.",
							"The rows of audited reads wait in a spool file in the data directory until the "
							"writer has them in dvflag.audit; a file is removed once all its rows are in.",
							&dv_audit_spool_size, 16 * 1024, 8, INT_MAX / 2, PGC_SIGHUP, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dvflag.progress_rows",
							"How many rows a staff COPY (into dvflag.enrollment or dvflag.health_record) or dvflag.purge() handles between two progress NOTICEs.",
							"0 sends none. pg_stat_progress_copy shows a COPY's count as well.",
							&dv_progress_rows, 100000, 0, INT_MAX, PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("dvflag");
	dv_store_init();

	dv_copy_init();
	dv_durable_init();
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

bool
dv_column_exists(const char *relation, const char *column)
{
	Oid			nsp = get_namespace_oid("dvflag", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(relation, nsp) : InvalidOid;

	return OidIsValid(relid) && get_attnum(relid, column) != InvalidAttrNumber;
}

/* Switch to the owner of schema dvflag (the extension's owner). */
void
dv_become_owner(DvActing *a)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACENAME, CStringGetDatum("dvflag"));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "dvflag: schema dvflag does not exist");
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	GetUserIdAndSecContext(&a->saved_userid, &a->saved_sec_context);
	SetUserIdAndSecContext(owner, a->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
}

void
dv_restore_user(const DvActing *a)
{
	SetUserIdAndSecContext(a->saved_userid, a->saved_sec_context);
}

void
dv_act_begin(DvActing *a)
{
	a->caller = GetUserId();
	dv_become_owner(a);
	dv_spi_connect();
}

void
dv_act_end(DvActing *a)
{
	SPI_finish();
	dv_restore_user(a);
}

const DvBehalf *dv_behalf = NULL;

/* Call fn(arg) with 'b' as dv_behalf, and the previous one back after. */
void
dv_on_behalf(const DvBehalf *b, void (*fn) (void *arg), void *arg)
{
	const DvBehalf *outer = dv_behalf;

	dv_behalf = b;
	PG_TRY();
	{
		fn(arg);
	}
	PG_FINALLY();
	{
		dv_behalf = outer;
	}
	PG_END_TRY();
}

void
dv_refuse_in_restricted_operation(const char *what)
{
	if (InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot call %s within a security-restricted operation", what),
				 errdetail("Index expressions, ANALYZE, VACUUM and materialized views run code "
						   "with another role's rights; dvflag changes nothing from there."),
				 errhint("Call it directly, not from an index expression, a materialized view or a function that ANALYZE or VACUUM runs.")));
}

char *
dv_current_reason(void)
{
	const char *r = dv_behalf && dv_behalf->reason ? dv_behalf->reason : dv_reason_setting;

	return dv_text_is_blank(r) ? NULL : pstrdup(r);
}
