/*
 * paths.c — the read paths of the audiences (RULES.md §3 rows 1, 2, 4, 5, 6).
 *
 * Each path reads what it needs with direct index lookups (store.c) under
 * the statement's snapshot, then applies its decision from rules.c.  Every
 * path returns dvflag.qualification rows; a hidden column is NULL and a
 * hidden row is absent, with no marker of why.  Only disaster_search writes
 * (its audit).  The health paths (§3a) are in health.c, on the same frame
 * (paths.h).
 */
#include "dvflag.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "fold.h"
#include "paths.h"
#include "rules.h"
#include "store.h"

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
ReturnSetInfo *
dv_begin_result(FunctionCallInfo fcinfo)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, rsinfo && rsinfo->expectedDesc ? MAT_SRF_USE_EXPECTED_DESC : 0);
	return rsinfo;
}

/* Append enrollment e to the result, with its insurer's name, shaped. */
static void
emit(ReturnSetInfo *rsinfo, DvEnrollment *e, AddressShape shape)
{
	Datum		values[Q_NATTS];
	bool		nulls[Q_NATTS];

	dv_fill_insurer_name(e);
	memcpy(values, e->values, sizeof(values));
	memcpy(nulls, e->nulls, sizeof(nulls));
	if (shape == ADDRESS_HIDDEN)
	{
		nulls[Q_ADDRESS] = true;
		nulls[Q_POSTCODE] = true;
	}
	else if (shape == ADDRESS_CUT && !nulls[Q_ADDRESS])
	{
		text	   *a = DatumGetTextPP(values[Q_ADDRESS]);
		const char *s = VARDATA_ANY(a);
		int			len = VARSIZE_ANY_EXHDR(a);
		int			cut = 0;

		/* keep the bytes of the first DISASTER_ADDRESS_CHARS characters */
		for (int chars = 0; cut < len && chars < DISASTER_ADDRESS_CHARS; chars++)
			cut += pg_mblen(s + cut);
		values[Q_ADDRESS] = PointerGetDatum(cstring_to_text_with_len(s, Min(cut, len)));
	}
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

typedef enum CardPath
{
	PATH_PORTAL_QUALIFICATIONS,
	PATH_PORTAL_SELF_INFO,
	PATH_CLINIC_BY_CARD
} CardPath;

/*
 * The person a card call is about: the holder of an active card, or, when
 * principal_link_no (argument 1) is given on a portal path, the principal
 * of a proxy relation with the holder.  NULL: nothing to show.
 */
char *
dv_card_person(FunctionCallInfo fcinfo, bool portal)
{
	char	   *card_serial = dv_optional_text_arg(fcinfo, 0);
	char	   *principal = portal ? dv_optional_text_arg(fcinfo, 1) : NULL;
	char	   *person;

	if (card_serial == NULL || dv_text_is_blank(card_serial))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("card_serial must not be NULL or empty"),
				 errhint("Give the serial of the card's certificate.")));
	if (principal != NULL && dv_text_is_blank(principal))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("principal_link_no must be NULL or not empty"),
				 errhint("Pass NULL for the card holder's own records, or the principal's link_no when acting as their proxy.")));
	person = dv_active_card_holder(card_serial);
	if (person == NULL || principal == NULL)
		return person;
	return dv_is_proxy(principal, person) ? principal : NULL;
}

/*
 * Rows 1, 2 and 4: the person of an active card, or the principal of its
 * holder when a proxy relation exists; nothing otherwise.
 */
static void
card_path(FunctionCallInfo fcinfo, int path)
{
	ReturnSetInfo *rsinfo = dv_begin_result(fcinfo);
	char	   *person = dv_card_person(fcinfo, path != PATH_CLINIC_BY_CARD);
	DvPersonFlags flags;
	DvEnrollment *rows;
	int			n;
	int32		today = 0;

	if (person == NULL)
		return;
	flags = dv_person_flags(person);
	if (!flags.found)
		return;		/* fail closed: no known state, no answer */
	if (path != PATH_PORTAL_SELF_INFO && !dv_card_paths_answer(flags.sb_eff))
		return;
	if (path == PATH_CLINIC_BY_CARD)
		today = DatumGetDateADT(DirectFunctionCall1(timestamptz_date,
													TimestampTzGetDatum(GetCurrentStatementStartTimestamp())));

	n = dv_enrollments_of(person, &rows);
	for (int i = 0; i < n; i++)
	{
		bool		show = true;

		if (path == PATH_PORTAL_SELF_INFO)
			show = dv_self_info_shows(rows[i].sb_own);
		else if (path == PATH_CLINIC_BY_CARD)
			show = dv_enrollment_is_current(rows[i].acquired_on, rows[i].lost,
											rows[i].lost_on, today);
		if (show)
			emit(rsinfo, &rows[i], ADDRESS_SHOWN);
	}
}

/*
 * Run a path's body with its reads kept out of the caller's buffer and WAL
 * usage (store.h: DvQuiet); the scans keep the relations' counters.  Every
 * kind of answer, "nothing" included, leaves the same statistics.
 */
Datum
dv_quietly(FunctionCallInfo fcinfo, DvPathBody body, int variant)
{
	DvQuiet		q;

	dv_quiet_begin(&q);
	body(fcinfo, variant);
	dv_quiet_end(&q);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dvflag_portal_qualifications);
/* Row 1: every enrollment of P; none while SB_eff(P). */
Datum
dvflag_portal_qualifications(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, card_path, PATH_PORTAL_QUALIFICATIONS);
}

PG_FUNCTION_INFO_V1(dvflag_portal_self_info);
/* Row 2: each enrollment E of P with SB_own(E) = 0. */
Datum
dvflag_portal_self_info(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, card_path, PATH_PORTAL_SELF_INFO);
}

PG_FUNCTION_INFO_V1(dvflag_clinic_by_card);
/* Row 4: P's current qualification; none while SB_eff(P). */
Datum
dvflag_clinic_by_card(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, card_path, PATH_CLINIC_BY_CARD);
}

static void
portal_exchange_history(FunctionCallInfo fcinfo, int variant pg_attribute_unused())
{
	ReturnSetInfo *rsinfo = dv_begin_result(fcinfo);
	char	   *person = dv_card_person(fcinfo, true);
	DvPersonFlags flags;
	DvRecord   *records;
	int			n;

	if (person == NULL)
		return;
	/* while SB_eff holds, "no answer", as on row 1: a record names an insurer */
	flags = dv_person_flags(person);
	if (!flags.found || !dv_card_paths_answer(flags.sb_eff))
		return;
	n = dv_records_of(person, &records);
	for (int i = 0; i < n; i++)
		if (dv_exchange_shown(records[i].provided, records[i].nd_mark, records[i].mark_appended))
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 records[i].values, records[i].nulls);
}

PG_FUNCTION_INFO_V1(dvflag_portal_exchange_history);
/*
 * Row 3: the provision records of the person's enrollments that completed
 * normally and carry no non-disclosure mark, set at completion or appended
 * since; nothing while SB_eff(P).
 */
Datum
dvflag_portal_exchange_history(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, portal_exchange_history, 0);
}

static void
clinic_by_insurance_card(FunctionCallInfo fcinfo, int variant pg_attribute_unused())
{
	ReturnSetInfo *rsinfo = dv_begin_result(fcinfo);
	DvCardArgs	c = dv_card_args(fcinfo, 0);
	DvEnrollment e;
	DvPersonFlags flags;

	if (!dv_enrollment_by_card(&c, &e))
		return;
	flags = dv_person_flags(e.link_no);
	if (!flags.found)
		return;		/* fail closed */
	emit(rsinfo, &e, dv_hide_address(flags.nd_eff, flags.sb_eff) ? ADDRESS_HIDDEN : ADDRESS_SHOWN);
}

PG_FUNCTION_INFO_V1(dvflag_clinic_by_insurance_card);
/* Row 5: that enrollment; address and postcode NULL while hide_address(P). */
Datum
dvflag_clinic_by_insurance_card(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, clinic_by_insurance_card, 0);
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
				 errmsg("%s must not be empty", argname),
				 errhint("Give the %s in full, or NULL.", argname)));
	return folded;
}

/* Does the text value (NULL: no) contain the folded fragment? */
static bool
value_contains(Datum value, bool isnull, const char *fragment)
{
	size_t		len;
	char	   *folded;

	if (isnull)
		return false;
	folded = dv_fold_cstring(TextDatumGetCString(value), &len);
	return dv_contains(folded, len, fragment, strlen(fragment));
}

/* Does the text value fold to exactly 'folded_want'? */
static bool
value_folds_to(Datum value, bool isnull, const char *folded_want)
{
	return !isnull && strcmp(dv_fold_cstring(TextDatumGetCString(value), NULL), folded_want) == 0;
}

/* The search criteria as JSON, for the audit; sex already read. */
static char *
criteria_json(FunctionCallInfo fcinfo, const char *outcome, int64 count, int32 sex)
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
			/* ISO, whatever the session's DateStyle; infinity as given */
			char		buf[MAXDATELEN + 1];
			struct pg_tm tm;
			DateADT		d = PG_GETARG_DATEADT(0);

			if (DATE_NOT_FINITE(d))
				EncodeSpecialDate(d, buf);
			else
			{
				j2date(d + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
				EncodeDateOnly(&tm, USE_ISO_DATES, buf);
			}
			v = pstrdup(buf);
		}
		else if (i == 5)
			v = psprintf("%d", sex);
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

/* Audit a disaster search on the given channels. */
static void
audit_search(FunctionCallInfo fcinfo, int channels, const char *outcome, int64 count, int32 sex)
{
	dv_audit(channels, InvalidOid, "disaster_search", NULL, criteria_json(fcinfo, outcome, count, sex));
}

/* variant: how the sex argument is read (DvSexArg) */
static void
disaster_search(FunctionCallInfo fcinfo, int variant)
{
	ReturnSetInfo *rsinfo = dv_begin_result(fcinfo);
	char	   *name,
			   *kana,
			   *address,
			   *insurer_name;
	DvEnrollment *rows;
	int			n;
	int		   *chosen;
	AddressShape *shapes;
	int			count = 0;
	int32		sex = -1;
	const char *flags_of = NULL;	/* whose flags 'flags' are */
	DvPersonFlags flags = {false, false, false};

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("birth_date is required for a disaster search"),
				 errhint("A disaster search needs the birth date, the name or the kana, and a fragment of the address or of the insurer's name.")));
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
		sex = dv_sex_arg(fcinfo, 5, (DvSexArg) variant, true);
	dv_audit_require_log();

	/* read under the statement's snapshot, like every path */
	if (!dv_disaster_declared(GetCurrentStatementStartTimestamp()))
	{
		audit_search(fcinfo, DV_AUDIT_LOG, "no_disaster", -1, sex);
		ereport(ERROR,
				(errcode(ERRCODE_DV_NO_DISASTER),
				 errmsg("disaster-mode search is available only while a disaster is declared"),
				 errhint("dvflag_admin declares one with dvflag.declare_disaster(starts, ends, note).")));
	}

	n = dv_enrollments_by_birth(PG_GETARG_DATEADT(0), kana != NULL, kana ? kana : name, &rows);
	chosen = palloc(sizeof(int) * (n + 1));
	shapes = palloc(sizeof(AddressShape) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		DvEnrollment *e = &rows[i];
		bool		hide;
		bool		match = false;

		if (kana != NULL && name != NULL &&
			!value_folds_to(e->values[Q_NAME], e->nulls[Q_NAME], name))
			continue;
		if (!PG_ARGISNULL(5) &&
			(e->nulls[Q_SEX] || DatumGetInt16(e->values[Q_SEX]) != sex))
			continue;
		if (insurer_name != NULL)
		{
			dv_fill_insurer_name(e);
			match = value_contains(e->values[Q_INSURER_NAME], e->nulls[Q_INSURER_NAME], insurer_name);
		}
		if (!match && address == NULL)
			continue;
		/* a person's enrollments come one after the other: read its flags once */
		if (flags_of == NULL || strcmp(flags_of, e->link_no) != 0)
		{
			flags = dv_person_flags(e->link_no);
			flags_of = e->link_no;
		}
		if (!flags.found)
			continue;			/* fail closed */
		hide = dv_hide_address(flags.nd_eff, flags.sb_eff);
		if (!match && dv_address_fragment_counts(hide))
			match = value_contains(e->values[Q_ADDRESS], e->nulls[Q_ADDRESS], address);
		if (!match)
			continue;
		chosen[count] = i;
		shapes[count] = hide ? ADDRESS_HIDDEN : ADDRESS_CUT;
		count++;
	}

	if (count > DISASTER_MAX_CANDIDATES)
	{
		audit_search(fcinfo, DV_AUDIT_LOG, "too_many", count, sex);
		ereport(ERROR,
				(errcode(ERRCODE_DV_TOO_MANY_CANDIDATES),
				 errmsg("more than %d candidates match", DISASTER_MAX_CANDIDATES),
				 errhint("Narrow the search: add the sex, the kana and the name, or a longer fragment.")));
	}
	audit_search(fcinfo, DV_AUDIT_LOG | DV_AUDIT_QUEUE, "answered", count, sex);
	for (int k = 0; k < count; k++)
		emit(rsinfo, &rows[chosen[k]], shapes[k]);
}

PG_FUNCTION_INFO_V1(dvflag_disaster_search_1_3);
/*
 * Row 6: disaster mode.  name/kana exact after folding (each one given must
 * match), birth date exact, sex exact if given; then a candidate must match
 * a fragment: the insurer-name fragment, or the address fragment unless its
 * address is hidden (no address oracle).  At most 20 candidates.  From 1.3
 * sex is an integer.
 */
Datum
dvflag_disaster_search_1_3(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, disaster_search, DV_SEX_INT4);
}

PG_FUNCTION_INFO_V1(dvflag_disaster_search);
/* 1.2's disaster_search, whose sex is a smallint, for a database not yet updated. */
Datum
dvflag_disaster_search(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, disaster_search, DV_SEX_INT2);
}
