/*
 * cards.c — the My Number card and proxies (RULES.md §3 row 7, §5): initial
 * registration (refused while SB_eff, with a durable audit row), stopping a
 * card (STEP1), and the proxies a principal names or staff remove (STEP3).
 *
 * Order in every function: check the arguments (22023, nothing touched),
 * check the caller's right to act (42501), find the object (P0002 when it
 * does not exist), act, audit.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "rules.h"

static DvPlan find_card = {
	"SELECT c.link_no, c.stopped_at IS NOT NULL FROM dvflag.card c"
	" WHERE c.card_serial OPERATOR(pg_catalog.=) $1 FOR UPDATE",
	1, {TEXTOID}, NULL, false
};

static DvPlan insert_card = {
	"INSERT INTO dvflag.card (card_serial, link_no) VALUES ($1, $2)",
	2, {TEXTOID, TEXTOID}, NULL, false
};

static DvPlan stop_card = {
	"UPDATE dvflag.card SET stopped_at = pg_catalog.now(), stop_reason = $2"
	" WHERE card_serial OPERATOR(pg_catalog.=) $1",
	2, {TEXTOID, TEXTOID}, NULL, false
};

static DvPlan find_agent = {
	"SELECT p.nd_eff, p.sb_eff FROM dvflag.person p WHERE p.link_no OPERATOR(pg_catalog.=) $1",
	1, {TEXTOID}, NULL, false
};

static DvPlan insert_proxy = {
	"INSERT INTO dvflag.proxy (principal_link_no, agent_link_no) VALUES ($1, $2)"
	" ON CONFLICT DO NOTHING",
	2, {TEXTOID, TEXTOID}, NULL, false
};

static DvPlan delete_proxy = {
	"DELETE FROM dvflag.proxy WHERE principal_link_no OPERATOR(pg_catalog.=) $1"
	"   AND agent_link_no OPERATOR(pg_catalog.=) $2",
	2, {TEXTOID, TEXTOID}, NULL, false
};

PG_FUNCTION_INFO_V1(dvflag_register_card);
/* register_card(card_serial, insurer_no, symbol, number, branch): 初回登録 */
Datum
dvflag_register_card(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	DvCardArgs	c = dv_card_args(fcinfo, 1);
	HeapTuple	tup;
	char	   *link_no;
	bool		sb_eff;
	Datum		values[2];
	StringInfoData d;

	/* before anything is audited: a refusal's row is kept for years */
	if (strlen(card_serial) > DV_CARD_SERIAL_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("card_serial is too long: %zu bytes, at most %d", strlen(card_serial),
						DV_CARD_SERIAL_MAX),
				 errhint("A card serial is the serial number of the card's certificate.")));
	dv_refuse_in_restricted_operation("dvflag.register_card()");
	dv_spi_connect();
	tup = dv_enrollment_of(&c, DV_CARD_LOCK_PERSON_SHARE, false);
	link_no = dv_col_text(tup, 2);
	sb_eff = dv_col_bool(tup, 6);

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "card_serial", card_serial);
	dv_json_field_text(&d, "link_no", link_no);

	/* checked first: also refuses a card bound before the flag was set */
	if (!dv_registration_allowed(sb_eff))
	{
		dv_audit_require_log();
		appendStringInfoChar(&d, '}');
		dv_audit_refusal(dv_card_target(&c), link_no, card_serial, d.data);
		ereport(ERROR,
				(errcode(ERRCODE_DV_REGISTRATION_REFUSED),
				 errmsg("initial registration of this card is refused"),
				 errhint("The person's insurer can tell whether and when registration is possible.")));
	}

	values[0] = CStringGetTextDatum(card_serial);
	dv_exec(&find_card, values, NULL, false, 0);
	if (SPI_processed == 1)
	{
		char	   *holder = dv_col_text(SPI_tuptable->vals[0], 1);

		if (strcmp(holder, link_no) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("card %s is registered to another person", dv_clip(card_serial)),
					 errhint("A card is bound to one person: check the serial and the insurance card given.")));
		if (dv_col_bool(SPI_tuptable->vals[0], 2))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("card %s is stopped", dv_clip(card_serial)),
					 errhint("A re-issued card has a new serial: register that one.")));
		SPI_finish();
		PG_RETURN_VOID();		/* already registered to this person */
	}
	values[1] = CStringGetTextDatum(link_no);
	dv_exec(&insert_card, values, NULL, false, 0);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, InvalidOid, "card_register", dv_card_target(&c), d.data);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_stop_card);
/* stop_card(card_serial, reason): admin, or staff of an insurer of P. */
Datum
dvflag_stop_card(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *reason = dv_required_text_arg(fcinfo, 1, "reason");
	Datum		values[2];
	char	   *link_no = NULL;
	bool		stopped = false;
	bool		all;
	Datum		scope;
	StringInfoData d;
	DvActing	act;
	const char *what = psprintf("stop card %s", dv_clip(card_serial));
	const char *hint = "Only dvflag_admin and staff of one of the card holder's insurers may stop a card.";

	dv_refuse_in_restricted_operation("dvflag.stop_card()");
	dv_act_begin(&act);
	/* rights before existence: staff of no insurer learn nothing */
	scope = dv_require_right(act.caller, DV_RIGHT_SOME_INSURER, NULL, what, &all);
	values[0] = CStringGetTextDatum(card_serial);
	dv_exec(&find_card, values, NULL, false, 0);
	if (SPI_processed == 1)
	{
		link_no = dv_col_text(SPI_tuptable->vals[0], 1);
		stopped = dv_col_bool(SPI_tuptable->vals[0], 2);
	}
	/* staff: an unknown card and another insurer's card answer alike */
	if (!all && (link_no == NULL || !dv_person_at(link_no, scope)))
		dv_permission_denied(what, hint);
	if (link_no == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no card with serial %s", dv_clip(card_serial)),
				 errhint("Give the certificate serial of a registered card.")));
	if (!stopped)
	{
		values[1] = CStringGetTextDatum(reason);
		dv_exec(&stop_card, values, NULL, false, 0);
		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_text(&d, "link_no", link_no);
		dv_json_field_text(&d, "reason", reason);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, act.caller, "card_stop", card_serial, d.data);
	}
	dv_act_end(&act);
	PG_RETURN_VOID();
}

/* The principal of an active card; P0002 for an unknown or stopped card. */
static char *
principal_of_card(const char *card_serial)
{
	Datum		arg = CStringGetTextDatum(card_serial);

	dv_exec(&find_card, &arg, NULL, false, 0);
	if (SPI_processed == 0 || dv_col_bool(SPI_tuptable->vals[0], 2))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no active card with serial %s", dv_clip(card_serial)),
				 errhint("Give the serial of the principal's own card, registered and not stopped.")));
	return dv_col_text(SPI_tuptable->vals[0], 1);
}

/* Audit a proxy change (reason: NULL when the principal acted). */
static void
audit_proxy(Oid acting, const char *action, const char *principal,
			const char *agent, const char *reason)
{
	StringInfoData d;

	initStringInfo(&d);
	appendStringInfoChar(&d, '{');
	dv_json_field_text(&d, "principal_link_no", principal);
	dv_json_field_text(&d, "agent_link_no", agent);
	if (reason)
		dv_json_field_text(&d, "reason", reason);
	appendStringInfoChar(&d, '}');
	dv_audit(DV_AUDIT_TABLE, acting, action, principal, d.data);
}

PG_FUNCTION_INFO_V1(dvflag_set_proxy);
/* set_proxy(card_serial, agent_link_no): the principal names a proxy. */
Datum
dvflag_set_proxy(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *principal;
	Datum		values[2];

	dv_refuse_in_restricted_operation("dvflag.set_proxy()");
	dv_spi_connect();
	principal = principal_of_card(card_serial);
	if (strcmp(principal, agent) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a person cannot be their own proxy"),
				 errhint("Name the link_no of the person who is to act for the principal.")));
	values[0] = CStringGetTextDatum(agent);
	dv_exec(&find_agent, values, NULL, false, 1);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no person with link_no %s", dv_clip(agent)),
				 errhint("A proxy is a person with an enrollment, named by their link_no (紐付番号).")));
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&insert_proxy, values, NULL, false, 0);
	if (SPI_processed == 1)
		audit_proxy(InvalidOid, "proxy_set", principal, agent, NULL);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dvflag_remove_proxy);
/* remove_proxy(card_serial, agent_link_no): true if a proxy was removed. */
Datum
dvflag_remove_proxy(PG_FUNCTION_ARGS)
{
	char	   *card_serial = dv_required_text_arg(fcinfo, 0, "card_serial");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *principal;
	Datum		values[2];
	bool		removed;

	dv_refuse_in_restricted_operation("dvflag.remove_proxy()");
	dv_spi_connect();
	principal = principal_of_card(card_serial);
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&delete_proxy, values, NULL, false, 0);
	removed = SPI_processed > 0;
	if (removed)
		audit_proxy(InvalidOid, "proxy_remove", principal, agent, NULL);
	SPI_finish();
	PG_RETURN_BOOL(removed);
}

PG_FUNCTION_INFO_V1(dvflag_remove_proxy_for);
/*
 * remove_proxy_for(principal_link_no, agent_link_no, reason): STEP3 of
 * RULES.md §5 done by admin or by staff of one of the principal's insurers,
 * for a principal whose card is stopped or who cannot use the portal.
 */
Datum
dvflag_remove_proxy_for(PG_FUNCTION_ARGS)
{
	char	   *principal = dv_required_text_arg(fcinfo, 0, "principal_link_no");
	char	   *agent = dv_required_text_arg(fcinfo, 1, "agent_link_no");
	char	   *reason = dv_required_text_arg(fcinfo, 2, "reason");
	DvActing	act;
	Datum		values[2];
	bool		removed;

	dv_refuse_in_restricted_operation("dvflag.remove_proxy_for()");
	dv_act_begin(&act);
	dv_require_right(act.caller, DV_RIGHT_PERSON, principal, "remove a proxy of", NULL);
	values[0] = CStringGetTextDatum(principal);
	values[1] = CStringGetTextDatum(agent);
	dv_exec(&delete_proxy, values, NULL, false, 0);
	removed = SPI_processed > 0;
	if (removed)
		audit_proxy(act.caller, "proxy_remove", principal, agent, reason);
	dv_act_end(&act);
	PG_RETURN_BOOL(removed);
}
