/*
 * dvflag.h — declarations shared by the server-side C files.
 *
 * Two kinds of SQL-callable functions, both with a pinned search_path:
 *   - SECURITY DEFINER: those that make no decision depending on who calls
 *     them beyond the EXECUTE grant (the read paths, the portal's writes,
 *     the admin's disaster and mapping functions);
 *   - SECURITY INVOKER, the "acting" functions (flags, card stops, proxies
 *     removed by staff, information provision, inquiries, listings, purge,
 *     staff_insurers, the enrollment trigger): they decide by the role that
 *     is running when they are entered (GetUserId(), which a definer
 *     function of someone else's would have changed), then switch to the
 *     extension's owner in C for their SPI work (dv_act_begin).
 * "The login role" is GetSessionUserId().
 */
#ifndef DVFLAG_H
#define DVFLAG_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

/* SQLSTATEs of the API (API.md). */
#define ERRCODE_DV_REGISTRATION_REFUSED MAKE_SQLSTATE('D','V','0','0','1')
#define ERRCODE_DV_NO_DISASTER          MAKE_SQLSTATE('D','V','0','0','2')
#define ERRCODE_DV_TOO_MANY_CANDIDATES  MAKE_SQLSTATE('D','V','0','0','3')

/* The longest card serial register_card accepts, in bytes. */
#define DV_CARD_SERIAL_MAX 256

/* Settings (dvflag.c). */
extern char *dv_reason_setting;
extern char *dv_client_setting;

/* dvflag.client_scope: which dvflag.client counts (dv_client). */
typedef enum DvClientScope
{
	DV_CLIENT_SCOPE_SESSION,
	DV_CLIENT_SCOPE_TRANSACTION
} DvClientScope;
extern int	dv_client_scope;

/*
 * The operator identity to record: dvflag.client, or NULL when none was
 * given (under client_scope 'transaction': none in this transaction).
 */
extern const char *dv_client(bool *given);

/* Audience roles, resolved once per backend (dvflag.c). */
typedef enum DvRole
{
	DV_ROLE_ADMIN,
	DV_ROLE_INSURER,
	DV_ROLE_PORTAL,
	DV_ROLE_CLINIC,
	DV_ROLE_DISASTER,
	DV_ROLE_REQUESTER,
	DV_ROLE_AUDITOR,
	DV_ROLE_COUNT
} DvRole;

/* Has 'user' the privileges of this audience role (or is a superuser)? */
extern bool dv_role_has(Oid user, DvRole role);

/*
 * Does dvflag.<name> exist?  For what a later version added: the library
 * serves a database not yet updated to it.
 */
extern bool dv_relation_exists(const char *name);
extern bool dv_column_exists(const char *relation, const char *column);

/*
 * An acting function's call: the caller, taken on entry, and the user and
 * security context it left for the extension's owner.  dv_act_begin()
 * takes the caller, switches to the owner and connects SPI; dv_act_end()
 * finishes SPI and switches back.  On an error the transaction's abort
 * restores the user.
 */
typedef struct DvActing
{
	Oid			caller;
	Oid			saved_userid;
	int			saved_sec_context;
} DvActing;
extern void dv_act_begin(DvActing *a);
extern void dv_act_end(DvActing *a);
/* Only the switch, for code that manages SPI itself (the trigger). */
extern void dv_become_owner(DvActing *a);
extern void dv_restore_user(const DvActing *a);

/*
 * A change made on someone's behalf: what an acting function tells the code
 * its statements fire (the enrollment trigger, refuse_change()).  Set only
 * for the length of one call through dv_on_behalf(); NULL otherwise, when
 * the trigger records the role running the statement and dvflag.reason.
 */
typedef struct DvBehalf
{
	const char *via;			/* what made the change: "set_flag", "purge" */
	const char *reason;			/* the reason to record, over dvflag.reason */
	Oid			role;			/* the role to record as acting */
	bool		purging;		/* the retention purge's own deletions */
	bool		restoring;		/* a restore's rows, with their audit already */
} DvBehalf;
extern const DvBehalf *dv_behalf;
extern void dv_on_behalf(const DvBehalf *b, void (*fn) (void *arg), void *arg);

/* guard.c: refuse a DROP of dvflag that would lose the audit (dvflag.allow_drop). */
extern bool dv_allow_drop;
extern int	dv_audit_spool_size;	/* kB */
extern void dv_guard_drop(Node *parsetree);

/* copy.c: install the COPY hook (from _PG_init). */
extern void dv_copy_init(void);

/*
 * progress.c: a long statement of dvflag's counts its rows through
 * dvflag.at_row() (a NOTICE every dv_progress_rows rows).  begin and end
 * bracket it (end also on an error: PG_FINALLY); 'what' completes
 * "N of TOTAL rows ..." (total -1: unknown); copy_progress keeps
 * pg_stat_progress_copy's tuples_processed.  dv_progress_ordinal() is the
 * input place of the row being written, 0 once the statement's rows are in
 * (dv_progress_rows_in(), from the enrollment trigger) or outside one.
 */
extern int	dv_progress_rows;
extern void dv_progress_begin(const char *what, int64 total, bool copy_progress);
extern void dv_progress_end(void);
extern int64 dv_progress_done(void);
extern int64 dv_progress_ordinal(void);
extern void dv_progress_rows_in(void);

/* Refuse a write from inside a security-restricted operation (42501). */
extern void dv_refuse_in_restricted_operation(const char *what);

/* The reason to record for a flag change, or NULL if none was given. */
extern char *dv_current_reason(void);

/* s cut to at most 64 bytes on a character boundary, for error messages. */
extern char *dv_clip(const char *s);

/* Is s NULL, empty or only white space (incl. U+3000)? */
extern bool dv_text_is_blank(const char *s);

/* Argument n as a C string, or an error naming it when NULL or blank. */
extern char *dv_required_text_arg(FunctionCallInfo fcinfo, int n,
								  const char *argname);

/* Argument n as a C string, or NULL. */
extern char *dv_optional_text_arg(FunctionCallInfo fcinfo, int n);

/* Validate an insurer number argument; errors with a hint when bad. */
extern void dv_check_insurer_no_arg(const char *insurer_no);

/* Validate a branch argument (two digits). */
extern void dv_check_branch_arg(const char *branch);

/*
 * How a function reads its sex argument: integer from 1.3 on, smallint for
 * a 1.2 database's functions, which 1.2's C symbols still serve.
 */
typedef enum DvSexArg
{
	DV_SEX_INT2,
	DV_SEX_INT4
} DvSexArg;

/* Sex argument n (not NULL): 0, 1, 2 or 9, else 22023 with a hint. */
extern int32 dv_sex_arg(FunctionCallInfo fcinfo, int n, DvSexArg type, bool optional);

/* s folded (fold.c) as a palloc'd C string; its length in *len if wanted. */
extern char *dv_fold_cstring(const char *s, size_t *len);

/* An insurance card (insurer_no, symbol, number, branch) from arguments. */
typedef struct DvCardArgs
{
	char	   *insurer_no;
	char	   *symbol;			/* NULL: the card has no symbol (記号) */
	char	   *number;
	char	   *branch;
} DvCardArgs;

/* Read and validate the four card arguments starting at argument 'first'. */
extern DvCardArgs dv_card_args(FunctionCallInfo fcinfo, int first);

/* The card as SPI parameters $1..$4 (values[4], nulls[4]). */
extern void dv_card_params(const DvCardArgs *c, Datum *values, char *nulls);

/* The card as "insurer_no/symbol/number/branch", for audit and messages. */
extern char *dv_card_target(const DvCardArgs *c);

/* spi_util.c: saved plans, prepared once per backend. */
typedef struct DvPlan
{
	const char *sql;
	int			nargs;
	Oid			argtypes[12];
	SPIPlanPtr	plan;
	bool		generic;		/* always the generic plan (array parameters) */
} DvPlan;

extern SPIPlanPtr dv_plan(DvPlan *p);
extern void dv_spi_connect(void);
extern int	dv_exec(DvPlan *p, Datum *values, const char *nulls, bool read_only,
					long count);
extern bool dv_col_bool(HeapTuple tup, int col);
extern char *dv_col_text(HeapTuple tup, int col);

/* audit.c */
typedef enum DvAuditChannel
{
	DV_AUDIT_TABLE = 1,			/* a row in dvflag.audit, with the transaction */
	DV_AUDIT_LOG = 2,			/* a line in the server log, at once */
	DV_AUDIT_QUEUE = 4			/* a row in dvflag.audit, written by the audit
								 * writer soon after, whatever the transaction
								 * does (durable.c); with the transaction when
								 * the queue is full or there is none */
} DvAuditChannel;

extern void dv_audit(int channels, Oid acting, const char *action,
					 const char *target, const char *detail_json);
extern void dv_audit_refusal(const char *target, const char *link_no,
							 const char *card_serial, const char *detail_json);
extern void dv_audit_require_log(void);

/*
 * durable.c: rows committed by a background worker: the audit row (actor,
 * client, action, target, detail) and, when link_no is not NULL, the
 * refusal's row (link_no, card_serial, event).
 */
#define DV_DURABLE_FIELDS 8
extern void dv_audit_durable(const char *const fields[DV_DURABLE_FIELDS]);
/* A row for the writer's queue; false when it cannot take it (full, none). */
extern bool dv_audit_enqueue(const char *const fields[5], TimestampTz at);
/* The reserved audit writer and its queue, when preloaded (from _PG_init). */
extern void dv_durable_init(void);

/* spool.c: the queued rows on disk, until the writer has them in the table. */
#define DV_SPOOL_RECOVERED 2	/* the slot of rows the last run left */
extern Size dv_spool_shmem_size(void);
extern void dv_spool_request(void);
extern void dv_spool_startup(void *mem, bool found);
extern bool dv_spool_append(const void *payload, uint32 len, int *slot);
extern void dv_spool_written(int slot, uint32 n);
extern void dv_spool_maintain(void);
extern bool dv_spool_recovering(void);
extern bool dv_spool_recover_next(void *payload, uint32 cap, uint32 *len);
extern void dv_spool_recovered_queued(void);
extern void dv_json_field_text(StringInfo buf, const char *key,
							   const char *value);
extern void dv_json_field_raw(StringInfo buf, const char *key,
							  const char *raw);

/*
 * scope.c: the insurer scope of a role and the rights of callers (SPI
 * connected, as the owner).  A scope is a text[] of insurer numbers, with
 * 'all' true for dvflag_admin.
 */
typedef enum DvRight
{
	DV_RIGHT_SOME_INSURER,		/* staff of at least one insurer, or admin */
	DV_RIGHT_INSURER,			/* admin, or staff mapped to that insurer */
	DV_RIGHT_PERSON				/* admin, or staff of one of the person's insurers */
} DvRight;

/*
 * The one check of a right: 42501 unless 'caller' has it for 'key' (an
 * insurer number, a link_no, or NULL for DV_RIGHT_SOME_INSURER).  'what'
 * completes "permission denied to ..." and the hint.  Returns the caller's
 * scope, *all set when it is every insurer.
 */
extern Datum dv_require_right(Oid caller, DvRight right, const char *key,
							  const char *what, bool *all);
/* 42501 "permission denied to <what>", with the hint, and nothing else said. */
extern pg_attribute_noreturn() void dv_permission_denied(const char *what, const char *hint);
extern bool dv_insurer_in(const char *insurer_no, Datum insurers);
extern bool dv_person_at(const char *link_no, Datum insurers);
extern void dv_require_insurer(const char *insurer_no);	/* P0002 if none */
/* A staff listing over the caller's scope (scope.c: dv_staff_list). */
typedef bool (*DvListRow) (HeapTuple tup, TupleDesc desc, Datum *values, bool *nulls);
extern void dv_staff_list(FunctionCallInfo fcinfo, DvPlan *all_plan, DvPlan *scoped_plan,
						  const char *what, int natts, DvListRow row);

/* The lock dv_enrollment_of() takes with the enrollment of a card. */
typedef enum DvCardLock
{
	DV_CARD_LOCK_NONE,
	DV_CARD_LOCK_ENROLLMENT,	/* the enrollment FOR UPDATE */
	DV_CARD_LOCK_PERSON_SHARE	/* its person's row FOR SHARE */
} DvCardLock;
extern HeapTuple dv_enrollment_of(const DvCardArgs *c, DvCardLock lock, bool missing_ok);

/* purge.c: retention settings. */
extern int	dv_enrollment_retention_years;
extern int	dv_record_retention_years;
extern int	dv_audit_retention_years;

/* Settings of information provision (dvflag.c). */
extern int	dv_request_validity;	/* minutes */

#endif
