/*
 * args.c — the arguments every SQL-callable function checks (22023 with a
 * hint, before anything is read), the values quoted in messages, and the
 * immutable helpers fold(), is_blank() and insurer_no_valid() that the
 * table constraints and indexes use.
 */
#include "dvflag.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "checkdigit.h"
#include "fold.h"

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
				 errmsg("%s must not be NULL", argname),
				 errhint("Only the arguments that docs/API.md marks optional may be NULL.")));
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (dv_text_is_blank(s))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname),
				 errhint("White space alone does not count: give the %s itself.", argname)));
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

int32
dv_sex_arg(FunctionCallInfo fcinfo, int n, DvSexArg type, bool optional)
{
	int32		sex = type == DV_SEX_INT4 ? PG_GETARG_INT32(n) : PG_GETARG_INT16(n);

	if (sex != 0 && sex != 1 && sex != 2 && sex != 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sex %d is not a sex code", sex),
				 optional
				 ? errhint("Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable), or NULL.")
				 : errhint("Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable).")));
	return sex;
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
