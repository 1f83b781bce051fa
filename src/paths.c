/*
 * paths.c — the read paths of the audiences (RULES.md §3 rows 1, 2, 4, 5, 6).
 *
 * Each path is one saved SPI plan that joins the enrollment with its
 * insurer and with the person's effective state (dvflag.person), followed by
 * the path's decision from rules.c.  Every path returns dvflag.qualification
 * rows; a hidden column is NULL and a hidden row is absent, with no marker
 * of why.  The read paths run under the caller's snapshot (read-only SPI),
 * so they see exactly the commits their statement sees.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "fold.h"
#include "rules.h"

/* The columns of dvflag.qualification, then what the decisions need. */
#define QUAL_NATTS 13
#define COL_ADDRESS 12			/* 1-based SPI column numbers */
#define COL_POSTCODE 13
#define COL_ND_EFF 14
#define COL_SB_EFF 15
#define COL_SB_OWN 16
#define COL_ACQUIRED 6
#define COL_LOST 7
#define COL_NAME 8
#define COL_KANA 9
#define COL_SEX 10
#define COL_INSURER_NAME 2

#define QUAL_SELECT \
	"SELECT e.insurer_no, i.name, e.symbol, e.number, e.branch, e.acquired_on," \
	"       e.lost_on, e.name, e.kana, e.sex, e.birth_date, e.address, e.postcode," \
	"       p.nd_eff, p.sb_eff, e.sb" \
	"  FROM dvflag.enrollment e" \
	"  JOIN dvflag.insurer i ON i.insurer_no OPERATOR(pg_catalog.=) e.insurer_no" \
	"  JOIN dvflag.person p ON p.link_no OPERATOR(pg_catalog.=) e.link_no"

/* The card holder's own enrollments, by an active card. */
#define BY_OWN_CARD \
	"  JOIN dvflag.card c ON c.link_no OPERATOR(pg_catalog.=) e.link_no" \
	" WHERE c.card_serial OPERATOR(pg_catalog.=) $1 AND c.stopped_at IS NULL" \
	" ORDER BY e.acquired_on, e.id"

/* The principal's enrollments, by the agent's active card and a proxy. */
#define BY_PROXY_CARD \
	"  JOIN dvflag.proxy x ON x.principal_link_no OPERATOR(pg_catalog.=) e.link_no" \
	"  JOIN dvflag.card c ON c.link_no OPERATOR(pg_catalog.=) x.agent_link_no" \
	" WHERE c.card_serial OPERATOR(pg_catalog.=) $1 AND c.stopped_at IS NULL" \
	"   AND x.principal_link_no OPERATOR(pg_catalog.=) $2" \
	" ORDER BY e.acquired_on, e.id"

#define INSURANCE_CARD \
	" WHERE e.insurer_no OPERATOR(pg_catalog.=) $1 AND e.number OPERATOR(pg_catalog.=) $3" \
	"   AND e.branch OPERATOR(pg_catalog.=) $4"

static DvPlan by_own_card = {QUAL_SELECT BY_OWN_CARD, 1, {TEXTOID}, NULL};
static DvPlan by_proxy_card = {QUAL_SELECT BY_PROXY_CARD, 2, {TEXTOID, TEXTOID}, NULL};
static DvPlan by_insurance_card = {
	QUAL_SELECT INSURANCE_CARD " AND e.symbol OPERATOR(pg_catalog.=) $2",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}, NULL
};
static DvPlan by_insurance_card_no_symbol = {
	QUAL_SELECT INSURANCE_CARD " AND e.symbol IS NULL AND $2::pg_catalog.text IS NULL",
	4, {TEXTOID, TEXTOID, TEXTOID, TEXTOID}, NULL
};
static DvPlan by_birth_and_kana = {
	QUAL_SELECT " WHERE e.birth_date OPERATOR(pg_catalog.=) $1"
	"   AND dvflag.fold(e.kana) OPERATOR(pg_catalog.=) $2"
	" ORDER BY e.acquired_on, e.id",
	2, {DATEOID, TEXTOID}, NULL
};
static DvPlan by_birth_and_name = {
	QUAL_SELECT " WHERE e.birth_date OPERATOR(pg_catalog.=) $1"
	"   AND dvflag.fold(e.name) OPERATOR(pg_catalog.=) $2"
	" ORDER BY e.acquired_on, e.id",
	2, {DATEOID, TEXTOID}, NULL
};
static DvPlan disaster_declared = {
	"SELECT 1 FROM dvflag.disaster d"
	" WHERE d.ended_at IS NULL"
	"   AND d.starts OPERATOR(pg_catalog.<=) pg_catalog.statement_timestamp()"
	"   AND d.ends OPERATOR(pg_catalog.>) pg_catalog.statement_timestamp()"
	" LIMIT 1",
	0, {InvalidOid}, NULL
};

/* How a row of the result is shaped: which columns it hides or cuts. */
typedef enum AddressShape
{
	ADDRESS_SHOWN,
	ADDRESS_HIDDEN,
	ADDRESS_CUT					/* first DISASTER_ADDRESS_CHARS characters */
} AddressShape;

#define DISASTER_ADDRESS_CHARS 10
#define DISASTER_MAX_CANDIDATES 20

/* Set up materialize mode; the tuplestore lives in the per-query context. */
static ReturnSetInfo *
begin_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, rsinfo && rsinfo->expectedDesc ? MAT_SRF_USE_EXPECTED_DESC : 0);
	return rsinfo;
}

/* Copy SPI row i to the result, shaping the address. */
static void
emit_row(ReturnSetInfo *rsinfo, SPITupleTable *tt, uint64 i, AddressShape shape)
{
	HeapTuple	tup = tt->vals[i];
	TupleDesc	desc = tt->tupdesc;
	Datum		values[QUAL_NATTS];
	bool		nulls[QUAL_NATTS];

	for (int c = 0; c < QUAL_NATTS; c++)
		values[c] = SPI_getbinval(tup, desc, c + 1, &nulls[c]);
	if (shape == ADDRESS_HIDDEN)
	{
		nulls[COL_ADDRESS - 1] = true;
		nulls[COL_POSTCODE - 1] = true;
	}
	else if (shape == ADDRESS_CUT && !nulls[COL_ADDRESS - 1])
	{
		text	   *a = DatumGetTextPP(values[COL_ADDRESS - 1]);
		const char *s = VARDATA_ANY(a);
		int			len = VARSIZE_ANY_EXHDR(a);
		int			cut = 0;
		int			chars = 0;

		/* keep the bytes of the first DISASTER_ADDRESS_CHARS characters */
		while (cut < len && chars < DISASTER_ADDRESS_CHARS)
		{
			cut += pg_mblen(s + cut);
			chars++;
		}
		values[COL_ADDRESS - 1] = PointerGetDatum(cstring_to_text_with_len(s, Min(cut, len)));
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* Run the card plan of a portal or clinic path: own card or as a proxy. */
static uint64
select_by_card(const char *card_serial, const char *principal)
{
	Datum		values[2];

	values[0] = CStringGetTextDatum(card_serial);
	if (principal == NULL)
		dv_exec(&by_own_card, values, NULL, true, 0);
	else
	{
		values[1] = CStringGetTextDatum(principal);
		dv_exec(&by_proxy_card, values, NULL, true, 0);
	}
	return SPI_processed;
}

typedef enum CardPath
{
	PATH_PORTAL_QUALIFICATIONS,
	PATH_PORTAL_SELF_INFO,
	PATH_CLINIC_BY_CARD
} CardPath;

/* Rows 1, 2 and 4: everything identified by a card serial. */
static Datum
card_path(FunctionCallInfo fcinfo, CardPath path)
{
	ReturnSetInfo *rsinfo = begin_result(fcinfo);
	char	   *card_serial = dv_optional_text_arg(fcinfo, 0);
	char	   *principal = NULL;
	int32		today = 0;
	uint64		n;

	if (path != PATH_CLINIC_BY_CARD)
		principal = dv_optional_text_arg(fcinfo, 1);
	if (card_serial == NULL || dv_text_is_blank(card_serial))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("card_serial must not be NULL or empty")));
	if (principal != NULL && dv_text_is_blank(principal))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("principal_link_no must be NULL or not empty")));
	if (path == PATH_CLINIC_BY_CARD)
		today = DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
													TimestampTzGetDatum(GetCurrentStatementStartTimestamp())));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	n = select_by_card(card_serial, principal);
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		show;

		switch (path)
		{
			case PATH_PORTAL_QUALIFICATIONS:
				show = dv_card_paths_answer(dv_col_bool(tup, COL_SB_EFF));
				break;
			case PATH_PORTAL_SELF_INFO:
				show = dv_self_info_shows(dv_col_bool(tup, COL_SB_OWN));
				break;
			case PATH_CLINIC_BY_CARD:
				{
					bool		lost_null;
					Datum		lost = SPI_getbinval(tup, SPI_tuptable->tupdesc, COL_LOST, &lost_null);
					bool		acq_null;
					Datum		acq = SPI_getbinval(tup, SPI_tuptable->tupdesc, COL_ACQUIRED, &acq_null);

					show = dv_card_paths_answer(dv_col_bool(tup, COL_SB_EFF)) &&
						dv_enrollment_is_current(DatumGetDateADT(acq), !lost_null,
												 lost_null ? 0 : DatumGetDateADT(lost), today);
				}
				break;
			default:
				show = false;
		}
		if (show)
			emit_row(rsinfo, SPI_tuptable, i, ADDRESS_SHOWN);
	}
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dvflag_portal_qualifications);
/* Row 1: every enrollment of P; none while SB_eff(P). */
Datum
dvflag_portal_qualifications(PG_FUNCTION_ARGS)
{
	return card_path(fcinfo, PATH_PORTAL_QUALIFICATIONS);
}

PG_FUNCTION_INFO_V1(dvflag_portal_self_info);
/* Row 2: each enrollment E of P with SB_own(E) = 0. */
Datum
dvflag_portal_self_info(PG_FUNCTION_ARGS)
{
	return card_path(fcinfo, PATH_PORTAL_SELF_INFO);
}

PG_FUNCTION_INFO_V1(dvflag_clinic_by_card);
/* Row 4: P's current qualification; none while SB_eff(P). */
Datum
dvflag_clinic_by_card(PG_FUNCTION_ARGS)
{
	return card_path(fcinfo, PATH_CLINIC_BY_CARD);
}

PG_FUNCTION_INFO_V1(dvflag_clinic_by_insurance_card);
/* Row 5: that enrollment; address and postcode NULL while hide_address(P). */
Datum
dvflag_clinic_by_insurance_card(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = begin_result(fcinfo);
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	Datum		values[4];
	char		nulls[4];

	dv_card_params(&c, values, nulls);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	dv_exec(c.symbol ? &by_insurance_card : &by_insurance_card_no_symbol,
			values, nulls, true, 0);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		hide = dv_hide_address(dv_col_bool(tup, COL_ND_EFF),
										   dv_col_bool(tup, COL_SB_EFF));

		emit_row(rsinfo, SPI_tuptable, i, hide ? ADDRESS_HIDDEN : ADDRESS_SHOWN);
	}
	SPI_finish();
	return (Datum) 0;
}

/* A fragment argument, folded; 22023 when shorter than 2 characters. */
static char *
folded_fragment(FunctionCallInfo fcinfo, int n, const char *argname)
{
	char	   *raw = dv_optional_text_arg(fcinfo, n);
	char	   *folded;
	size_t		len;

	if (raw == NULL)
		return NULL;
	folded = dv_fold_cstring(raw, &len);
	if (dv_utf8_chars(folded, len) < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s fragment must have at least 2 characters", argname),
				 errhint("Spaces do not count; give a longer part of the %s.", argname)));
	return folded;
}

/* A name or kana argument, folded; 22023 when given but empty. */
static char *
folded_name(FunctionCallInfo fcinfo, int n, const char *argname)
{
	char	   *raw = dv_optional_text_arg(fcinfo, n);
	char	   *folded;
	size_t		len;

	if (raw == NULL)
		return NULL;
	folded = dv_fold_cstring(raw, &len);
	if (len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname)));
	return folded;
}

/* Does the text column col of row tup contain the folded fragment? */
static bool
column_contains(HeapTuple tup, int col, const char *fragment)
{
	char	   *value = dv_col_text(tup, col);
	char	   *folded;
	size_t		len;

	if (value == NULL)
		return false;
	folded = dv_fold_cstring(value, &len);
	return dv_contains(folded, len, fragment, strlen(fragment));
}

/* Does the text column col of row tup fold to exactly 'folded'? */
static bool
column_folds_to(HeapTuple tup, int col, const char *folded_want)
{
	char	   *value = dv_col_text(tup, col);

	return value != NULL && strcmp(dv_fold_cstring(value, NULL), folded_want) == 0;
}

/* The search criteria as JSON, for the audit. */
static char *
criteria_json(FunctionCallInfo fcinfo, const char *outcome, int64 count)
{
	StringInfoData d;
	static const char *const names[] = {"birth_date", "name", "kana", "address", "insurer_name", "sex"};

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "outcome", outcome);
	dv_json_field_raw(&d, "result_count", count < 0 ? NULL : psprintf(INT64_FORMAT, count));
	appendStringInfoString(&d, ",\"criteria\":{");
	for (int i = 0, first = 1; i < 6; i++)
	{
		char	   *v;

		if (PG_ARGISNULL(i))
			continue;
		if (i == 0)
		{
			/* ISO, whatever the session's DateStyle */
			char		buf[MAXDATELEN + 1];
			struct pg_tm tm;

			j2date(PG_GETARG_DATEADT(0) + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
			EncodeDateOnly(&tm, USE_ISO_DATES, buf);
			v = pstrdup(buf);
		}
		else if (i == 5)
			v = psprintf("%d", PG_GETARG_INT16(5));
		else
			v = text_to_cstring(PG_GETARG_TEXT_PP(i));
		if (!first)
			appendStringInfoChar(&d, ',');
		first = 0;
		escape_json(&d, names[i]);
		appendStringInfoChar(&d, ':');
		escape_json(&d, v);
	}
	appendStringInfoString(&d, "}}");
	return d.data;
}

PG_FUNCTION_INFO_V1(dvflag_disaster_search);
/*
 * Row 6: disaster mode.  name/kana exact after folding (each one given must
 * match), birth date exact, sex exact if given; then a candidate must match
 * a fragment: the insurer-name fragment, or the address fragment unless its
 * address is hidden (no address oracle).  At most 20 candidates.
 */
Datum
dvflag_disaster_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = begin_result(fcinfo);
	char	   *name,
			   *kana,
			   *address,
			   *insurer_name;
	bool		by_kana;
	Datum		values[2];
	uint64		n;
	uint64	   *chosen;
	SPITupleTable *found;
	AddressShape *shapes;
	int			count = 0;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("birth_date is required for a disaster search")));
	name = folded_name(fcinfo, 1, "name");
	kana = folded_name(fcinfo, 2, "kana");
	if (name == NULL && kana == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a disaster search needs the name or the kana"),
				 errhint("Give name, kana or both, written in full.")));
	address = folded_fragment(fcinfo, 3, "address");
	insurer_name = folded_fragment(fcinfo, 4, "insurer_name");
	if (address == NULL && insurer_name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a disaster search needs an address or insurer_name fragment"),
				 errhint("Give at least 2 characters of the address or of the insurer's name.")));
	if (!PG_ARGISNULL(5))
	{
		int16		sex = PG_GETARG_INT16(5);

		if (sex != 0 && sex != 1 && sex != 2 && sex != 9)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sex %d is not a sex code", sex),
					 errhint("Use 1 (male), 2 (female), 0 (unknown) or 9 (not applicable), or NULL.")));
	}
	dv_audit_require_log();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");

	/* read under the statement's snapshot, like every path; only the audit writes */
	dv_exec(&disaster_declared, NULL, NULL, true, 1);
	if (SPI_processed == 0)
	{
		dv_audit(DV_AUDIT_LOG, InvalidOid, "disaster_search", NULL,
				 criteria_json(fcinfo, "no_disaster", -1));
		ereport(ERROR,
				(errcode(ERRCODE_DV_NO_DISASTER),
				 errmsg("disaster-mode search is available only while a disaster is declared")));
	}

	by_kana = kana != NULL;
	values[0] = PG_GETARG_DATUM(0);
	values[1] = CStringGetTextDatum(by_kana ? kana : name);
	dv_exec(by_kana ? &by_birth_and_kana : &by_birth_and_name, values, NULL, true, 0);
	n = SPI_processed;
	found = SPI_tuptable;
	chosen = palloc(sizeof(uint64) * (n + 1));
	shapes = palloc(sizeof(AddressShape) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		hide;
		bool		match = false;

		if (by_kana && name != NULL && !column_folds_to(tup, COL_NAME, name))
			continue;
		if (!PG_ARGISNULL(5))
		{
			bool		isnull;
			Datum		sex = SPI_getbinval(tup, SPI_tuptable->tupdesc, COL_SEX, &isnull);

			if (isnull || DatumGetInt16(sex) != PG_GETARG_INT16(5))
				continue;
		}
		hide = dv_hide_address(dv_col_bool(tup, COL_ND_EFF), dv_col_bool(tup, COL_SB_EFF));
		if (insurer_name != NULL && column_contains(tup, COL_INSURER_NAME, insurer_name))
			match = true;
		if (!match && address != NULL && dv_address_fragment_counts(hide) &&
			column_contains(tup, COL_ADDRESS, address))
			match = true;
		if (!match)
			continue;
		chosen[count] = i;
		shapes[count] = hide ? ADDRESS_HIDDEN : ADDRESS_CUT;
		count++;
	}

	if (count > DISASTER_MAX_CANDIDATES)
	{
		dv_audit(DV_AUDIT_LOG, InvalidOid, "disaster_search", NULL,
				 criteria_json(fcinfo, "too_many", count));
		ereport(ERROR,
				(errcode(ERRCODE_DV_TOO_MANY_CANDIDATES),
				 errmsg("more than %d candidates match", DISASTER_MAX_CANDIDATES),
				 errhint("Narrow the search: add the sex, the kana and the name, or a longer fragment.")));
	}
	dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, InvalidOid, "disaster_search", NULL,
			 criteria_json(fcinfo, "answered", count));
	for (int k = 0; k < count; k++)
		emit_row(rsinfo, found, chosen[k], shapes[k]);
	SPI_finish();
	return (Datum) 0;
}
