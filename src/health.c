/*
 * health.c — the health-information paths of RULES.md §3a: the portal
 * (portal_health), a clinic or pharmacy with the My Number card
 * (clinic_health_by_card) and disaster mode (disaster_health).
 *
 * One body serves the three.  It checks the arguments (22023, before
 * anything is read; consent too, the clinic and disaster paths refusing a
 * call without it), then finds the person (an active card, a proxy's
 * principal, or the exact insurance card of an enrollment), reads the
 * person's flags from dvflag.person and the records of the person's
 * enrollments through store.c, and asks rules.c what the path shows: no
 * record at all, and which institution columns.  No rule is restated
 * here.  Like the qualification paths it runs as its caller, resolves no
 * name and leaves nothing in the caller's statistics (dv_quietly); the
 * clinic and disaster reads are audited like a disaster search: the
 * server-log line first, before any answer or refusal, then the row
 * through the audit writer's queue.  There is no insurance-card path to
 * health information (§3a row 3).
 */
#include "dvflag.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "paths.h"
#include "rules.h"
#include "store.h"

/* What differs between the three paths: the name and where the arguments are. */
typedef struct HealthPath
{
	const char *name;			/* the SQL function, also the audit's action */
	int			consent_arg;	/* -1: none */
	int			kind_arg;
} HealthPath;

static const HealthPath health_paths[] = {
	[DV_HEALTH_PORTAL] = {"portal_health", -1, 2},
	[DV_HEALTH_CLINIC] = {"clinic_health_by_card", 1, 2},
	[DV_HEALTH_DISASTER] = {"disaster_health", 4, 5},
};

/*
 * The kinds a call asks for, a bit (1 << DvHealthKind) each: the one its
 * kind argument names, or every kind the path shows.  22023 for an unknown
 * kind, and for one the path does not show.
 */
static unsigned
kinds_asked(FunctionCallInfo fcinfo, DvHealthPath path)
{
	char	   *kind = dv_optional_text_arg(fcinfo, health_paths[path].kind_arg);
	unsigned	kinds = 0;

	for (int k = 0; k < DV_HEALTH_KINDS; k++)
	{
		if (kind != NULL && strcmp(kind, dv_health_kind_names[k]) != 0)
			continue;
		if (dv_health_kind_served(path, k))
			kinds |= 1u << k;
		else if (kind != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s does not show %s records", health_paths[path].name, kind),
					 errhint("Medical-fee notices are shown on the portal only.")));
	}
	if (kinds == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown kind \"%s\"", dv_clip(kind)),
				 errhint("kind is medication, checkup or medical_fee, or NULL for every kind the path shows.")));
	return kinds;
}

/* Was consent given (the argument true)? */
static bool
consent_given(FunctionCallInfo fcinfo, DvHealthPath path)
{
	int			arg = health_paths[path].consent_arg;

	return !PG_ARGISNULL(arg) && PG_GETARG_BOOL(arg);
}

/*
 * Audit a clinic or disaster read on the given channels: the card or
 * enrollment (target), the consent as given, the kinds asked, the person
 * found and the count (NULL for a refusal).
 */
static void
audit_read(FunctionCallInfo fcinfo, DvHealthPath path, int channels, const char *target,
		   unsigned kinds, const char *outcome, const char *link_no, int64 count)
{
	int			arg = health_paths[path].consent_arg;
	StringInfoData d;
	bool		first = true;

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "outcome", outcome);
	dv_json_field_raw(&d, "result_count", count < 0 ? NULL : psprintf(INT64_FORMAT, count));
	dv_json_field_raw(&d, "consent", PG_ARGISNULL(arg) ? NULL : PG_GETARG_BOOL(arg) ? "true" : "false");
	appendStringInfoString(&d, ",\"kinds\":[");
	for (int k = 0; k < DV_HEALTH_KINDS; k++)
		if (kinds & (1u << k))
		{
			if (!first)
				appendStringInfoChar(&d, ',');
			first = false;
			escape_json(&d, dv_health_kind_names[k]);
		}
	appendStringInfoChar(&d, ']');
	dv_json_field_text(&d, "link_no", link_no);
	appendStringInfoChar(&d, '}');
	dv_audit(channels, InvalidOid, health_paths[path].name, target, d.data);
}

/*
 * The records of P of the kinds asked that the path shows, and whether
 * P's address would be hidden; none when the path answers nothing for P,
 * and none for nobody or a person of no known state (fail closed).
 */
static int
records_shown(DvHealthPath path, const char *person, unsigned kinds, bool *hide_address,
			  DvHealthRecord **out)
{
	DvPersonFlags flags;
	DvEnrollment *enrollments;
	int			n;

	*hide_address = true;
	*out = NULL;
	if (person == NULL)
		return 0;
	flags = dv_person_flags(person);
	if (!flags.found || !dv_health_answers(path, flags.sb_eff))
		return 0;
	*hide_address = dv_hide_address(flags.nd_eff, flags.sb_eff);
	n = dv_enrollments_of(person, &enrollments);
	return dv_health_records_of(enrollments, n, kinds, out);
}

/* Append record r to the result, its institution shown as the path says. */
static void
emit_record(ReturnSetInfo *rsinfo, const DvHealthRecord *r, DvHealthPath path, bool hide_address)
{
	bool		nulls[H_NATTS];

	memcpy(nulls, r->nulls, sizeof(nulls));
	if (!dv_health_shows_institution_name(path))
		nulls[H_INSTITUTION_NAME] = true;
	if (!dv_health_shows_institution_code(path, hide_address))
		nulls[H_INSTITUTION_CODE] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, (Datum *) r->values, nulls);
}

/* The body of the three paths (variant: the DvHealthPath). */
static void
health_path(FunctionCallInfo fcinfo, int variant)
{
	DvHealthPath path = (DvHealthPath) variant;
	ReturnSetInfo *rsinfo = dv_begin_result(fcinfo);
	bool		audited = dv_health_audited(path);
	DvCardArgs	card;
	DvEnrollment enrollment;
	char	   *target = NULL;
	char	   *person = NULL;
	unsigned	kinds;
	bool		hide_address;
	DvHealthRecord *records;
	int			n;

	/* the arguments, before anything is read */
	if (path == DV_HEALTH_DISASTER)
	{
		card = dv_card_args(fcinfo, 0);
		target = dv_card_target(&card);
	}
	else if (path == DV_HEALTH_CLINIC)
		target = dv_optional_text_arg(fcinfo, 0);
	kinds = kinds_asked(fcinfo, path);
	if (audited)
		dv_audit_require_log();
	if (dv_health_needs_consent(path) && !consent_given(fcinfo, path))
	{
		audit_read(fcinfo, path, DV_AUDIT_LOG, target, kinds, "no_consent", NULL, -1);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs the patient's consent", health_paths[path].name),
				 errhint("Ask the patient; call with consent => true once they have agreed.")));
	}

	/* the person */
	if (path == DV_HEALTH_DISASTER)
	{
		/* read under the statement's snapshot, like every path */
		if (!dv_disaster_declared(GetCurrentStatementStartTimestamp()))
		{
			audit_read(fcinfo, path, DV_AUDIT_LOG, target, kinds, "no_disaster", NULL, -1);
			ereport(ERROR,
					(errcode(ERRCODE_DV_NO_DISASTER),
					 errmsg("disaster-mode health information is available only while a disaster is declared"),
					 errhint("dvflag_admin declares one with dvflag.declare_disaster(starts, ends, note).")));
		}
		if (dv_enrollment_by_card(&card, &enrollment))
			person = enrollment.link_no;
	}
	else
		person = dv_card_person(fcinfo, path == DV_HEALTH_PORTAL);

	n = records_shown(path, person, kinds, &hide_address, &records);
	if (audited)
		audit_read(fcinfo, path, DV_AUDIT_LOG | DV_AUDIT_QUEUE, target, kinds, "answered", person, n);
	for (int i = 0; i < n; i++)
		emit_record(rsinfo, &records[i], path, hide_address);
}

PG_FUNCTION_INFO_V1(dvflag_portal_health);
/* §3a row 1: every record of P; none while SB_eff(P). */
Datum
dvflag_portal_health(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, health_path, DV_HEALTH_PORTAL);
}

PG_FUNCTION_INFO_V1(dvflag_clinic_health_by_card);
/* §3a row 2: with consent, P's medication and checkups; none while SB_eff(P). */
Datum
dvflag_clinic_health_by_card(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, health_path, DV_HEALTH_CLINIC);
}

PG_FUNCTION_INFO_V1(dvflag_disaster_health);
/* §3a row 4: while a disaster is declared, with consent, P's medication and checkups, SB or not. */
Datum
dvflag_disaster_health(PG_FUNCTION_ARGS)
{
	return dv_quietly(fcinfo, health_path, DV_HEALTH_DISASTER);
}
