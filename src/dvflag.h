/*
 * dvflag.h — declarations shared by the server-side C files.
 *
 * Every SQL-callable function of dvflag runs as SECURITY DEFINER with a
 * pinned search_path; "the caller" below is therefore GetOuterUserId() (the
 * role the client acts as) and "the login role" GetSessionUserId().
 */
#ifndef DVFLAG_H
#define DVFLAG_H

#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"

/* SQLSTATEs of the API (API.md). */
#define ERRCODE_DV_REGISTRATION_REFUSED MAKE_SQLSTATE('D','V','0','0','1')
#define ERRCODE_DV_NO_DISASTER          MAKE_SQLSTATE('D','V','0','0','2')
#define ERRCODE_DV_TOO_MANY_CANDIDATES  MAKE_SQLSTATE('D','V','0','0','3')

/* Settings (dvflag.c). */
extern char *dv_reason_setting;
extern char *dv_client_setting;

/* A reason given by set_flag(), taking precedence over dvflag.reason. */
extern const char *dv_reason_override;

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

/* Is the caller a member of this audience role (or a superuser)? */
extern bool dv_caller_has_role(DvRole role);

/* The reason to record for a flag change, or NULL if none was given. */
extern char *dv_current_reason(void);

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
	Oid			argtypes[8];
	SPIPlanPtr	plan;
} DvPlan;

extern SPIPlanPtr dv_plan(DvPlan *p);
extern int	dv_exec(DvPlan *p, Datum *values, const char *nulls, bool read_only,
					long count);
extern bool dv_col_bool(HeapTuple tup, int col);
extern char *dv_col_text(HeapTuple tup, int col);

/* audit.c */
typedef enum DvAuditChannel
{
	DV_AUDIT_TABLE = 1,			/* a row in dvflag.audit, with the transaction */
	DV_AUDIT_LOG = 2			/* a line in the server log, at once */
} DvAuditChannel;

extern void dv_audit(int channels, const char *action, const char *target,
					 const char *detail_json);
extern void dv_audit_require_log(void);
extern void dv_json_field_text(StringInfo buf, const char *key,
							   const char *value);
extern void dv_json_field_raw(StringInfo buf, const char *key,
							  const char *raw);

/* person.c */
extern void dv_recompute_persons_from(const char *link_no_query);

/* admin.c: the insurers the caller may act for; NULL array = all. */
extern bool dv_caller_may_act_for_insurer(const char *insurer_no);

/* dvflag.c: the ProcessUtility hook's COPY state (see dvflag.c). */
extern Oid	dv_copy_scope_user;

#endif
