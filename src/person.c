/*
 * person.c — the per-person effective state (dvflag.person), kept in step
 * with the enrollments, and the audit of flag changes.
 *
 * One statement-level AFTER trigger per event (INSERT, UPDATE, DELETE; COPY
 * fires INSERT) sees the statement's rows in transition tables.  It
 *   1. refuses an UPDATE that changes an enrollment's id (the key that
 *      pairs old and new rows, and the "registered last" order);
 *   2. audits every change of nd, sb or ar, refusing the statement (22023)
 *      when no reason was given;
 *   3. recomputes latest(P), ND_eff(P), SB_eff(P) with rules.c for every
 *      person P the statement touched, and audits every change of a
 *      person's effective protection; a change that lowers it (a move, a
 *      correction of dates or link_no, a removal) is refused without a
 *      reason too, whichever column caused it.
 * The trigger is SECURITY INVOKER: it takes the acting role on entry and
 * runs its SPI as the owner (dv_become_owner).
 *
 * Concurrency: before reading P's enrollments the trigger locks P's row in
 * dvflag.person (FOR UPDATE, persons in "C" order, so two statements never
 * deadlock on each other's persons), and every recomputation writes P's row
 * (version + 1).  Under READ COMMITTED each SPI statement takes a fresh
 * snapshot, so the enrollments are read after any transaction that held the
 * lock has committed: the last transaction to commit has recomputed P from
 * everything committed before it.  Under REPEATABLE READ or SERIALIZABLE the
 * lock raises a serialization failure instead, and the caller retries.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"

#include "rules.h"

#define UPDATE_BATCH 10000
#define FETCH_BATCH 10000

static DvPlan update_persons = {
	"UPDATE dvflag.person p"
	"   SET latest_id = u.latest_id, nd_eff = u.nd_eff, sb_eff = u.sb_eff,"
	"       version = p.version OPERATOR(pg_catalog.+) 1,"
	"       updated_at = pg_catalog.now()"
	"  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"                  pg_catalog.unnest($4)) AS u(link_no, latest_id, nd_eff, sb_eff)"
	" WHERE p.link_no OPERATOR(pg_catalog.=) u.link_no",
	4, {TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID}, NULL
};

/* A person whose effective protection changed, for the audit. */
typedef struct ProtectionChange
{
	char	   *link_no;
	bool		old_nd,
				old_sb,
				new_nd,
				new_sb;
} ProtectionChange;

/* Pending person updates, written in batches, and protection changes. */
typedef struct PersonBatch
{
	List	   *changes;		/* of ProtectionChange */
	int			n;
	Datum		link_no[UPDATE_BATCH];
	Datum		latest_id[UPDATE_BATCH];
	bool		latest_null[UPDATE_BATCH];
	Datum		nd_eff[UPDATE_BATCH];
	Datum		sb_eff[UPDATE_BATCH];
} PersonBatch;

/* The batch as the four array parameters $1..$4 of the person statements. */
static void
batch_params(PersonBatch *b, Datum *values)
{
	int			dims[1] = {b->n};
	int			lbs[1] = {1};

	values[0] = PointerGetDatum(construct_array(b->link_no, b->n, TEXTOID, -1, false, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_md_array(b->latest_id, b->latest_null, 1, dims, lbs,
												   INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[2] = PointerGetDatum(construct_array(b->nd_eff, b->n, BOOLOID, 1, true, TYPALIGN_CHAR));
	values[3] = PointerGetDatum(construct_array(b->sb_eff, b->n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

/* Queue a person's computed state in the batch. */
static void
batch_push(PersonBatch *b, const char *link_no, const DvEnrollmentFacts *facts, DvPersonState s)
{
	b->link_no[b->n] = CStringGetTextDatum(link_no);
	b->latest_null[b->n] = s.latest < 0;
	b->latest_id[b->n] = Int64GetDatum(s.latest < 0 ? 0 : facts[s.latest].id);
	b->nd_eff[b->n] = BoolGetDatum(s.nd_eff);
	b->sb_eff[b->n] = BoolGetDatum(s.sb_eff);
	b->n++;
}

static void
flush_persons(PersonBatch *b)
{
	Datum		values[4];

	if (b->n == 0)
		return;
	batch_params(b, values);
	dv_exec(&update_persons, values, NULL, false, 0);
	b->n = 0;
}

static void
add_person(PersonBatch *b, const char *link_no, const DvEnrollmentFacts *facts,
		   int n, bool nd_retained, bool old_nd, bool old_sb)
{
	DvPersonState s = dv_person_state(facts, n, nd_retained);

	if (s.nd_eff != old_nd || s.sb_eff != old_sb)
	{
		ProtectionChange *c = palloc(sizeof(ProtectionChange));

		c->link_no = pstrdup(link_no);
		c->old_nd = old_nd;
		c->old_sb = old_sb;
		c->new_nd = s.nd_eff;
		c->new_sb = s.sb_eff;
		b->changes = lappend(b->changes, c);
	}

	batch_push(b, link_no, facts, s);
	if (b->n == UPDATE_BATCH)
		flush_persons(b);
}

/* Queue the state of a person created by this statement. */
static void
add_new_person(PersonBatch *b, const char *link_no, const DvEnrollmentFacts *facts, int n)
{
	batch_push(b, link_no, facts, dv_person_state(facts, n, false));
}

/* Audit the protection changes; refuse a lowering without a reason. */
static void
audit_protection_changes(List *changes, const char *statement, Oid acting)
{
	ListCell   *lc;
	int			lowered = 0;
	char	   *reason = dv_current_reason();

	foreach(lc, changes)
	{
		ProtectionChange *c = lfirst(lc);

		if ((c->old_nd && !c->new_nd) || (c->old_sb && !c->new_sb))
			lowered++;
	}
	if (lowered > 0 && reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to lift the protection of a person"),
				 errdetail("%s would end the effective non-disclosure or self-information block of %d person(s); nothing was changed.",
						   statement, lowered),
				 errhint("SET LOCAL dvflag.reason = '...' before the statement.")));
	foreach(lc, changes)
	{
		ProtectionChange *c = lfirst(lc);
		StringInfoData d;

		initStringInfo(&d);
		appendStringInfoChar(&d, '{');
		dv_json_field_raw(&d, "nd_eff", psprintf("{\"old\": %s, \"new\": %s}",
												 c->old_nd ? "true" : "false", c->new_nd ? "true" : "false"));
		dv_json_field_raw(&d, "sb_eff", psprintf("{\"old\": %s, \"new\": %s}",
												 c->old_sb ? "true" : "false", c->new_sb ? "true" : "false"));
		dv_json_field_text(&d, "reason", reason);
		dv_json_field_text(&d, "via", statement);
		appendStringInfoChar(&d, '}');
		dv_audit(DV_AUDIT_TABLE, acting, "protection_change", c->link_no, d.data);
	}
}

/*
 * Recompute every person whose link_no the query 'affected' returns (a
 * one-column query, which may read the trigger's transition tables), and
 * audit the changes of their effective protection.
 */
/*
 * As dv_recompute_persons_from, for the persons named in a text[]: the
 * persons an INSERT touched that existed before it.
 */
static void recompute_persons(const char *affected, Datum link_nos,
							  const char *statement, Oid acting);

void
dv_recompute_persons_from(const char *affected, const char *statement, Oid acting)
{
	recompute_persons(affected, (Datum) 0, statement, acting);
}

/* Run one statement of the recomputation; $1 is link_nos when given. */
static int
run(const char *sql, Datum link_nos)
{
	Oid			argtypes[1] = {TEXTARRAYOID};

	return link_nos ? SPI_execute_with_args(sql, 1, argtypes, &link_nos, NULL, false, 0)
		: SPI_execute(sql, false, 0);
}

/* One person's rows, as read by group_persons(). */
typedef struct PersonGroup
{
	char	   *link_no;
	bool		nd_retained;
	bool		old_nd;
	bool		old_sb;
	DvEnrollmentFacts *facts;
	int			nfacts;
	int			maxfacts;
} PersonGroup;

/*
 * Read a cursor of rows (link_no, nd_retained, id, acquired_on, lost_on, nd,
 * sb, old nd_eff, old sb_eff), ordered by link_no, and call done() once per
 * person with all of that person's enrollments (id NULL: none left).
 */
static void
group_persons(Portal cursor, void (*done) (PersonGroup *g, void *arg), void *arg)
{
	PersonGroup g = {NULL, false, false, false, NULL, 0, 0};

	for (;;)
	{
		SPITupleTable *tt;
		uint64		ntup;

		SPI_cursor_fetch(cursor, true, FETCH_BATCH);
		tt = SPI_tuptable;
		ntup = SPI_processed;
		if (ntup == 0)
			break;
		for (uint64 i = 0; i < ntup; i++)
		{
			HeapTuple	tup = tt->vals[i];
			TupleDesc	desc = tt->tupdesc;
			bool		isnull;
			char	   *link_no = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
			Datum		id;

			if (g.link_no != NULL && strcmp(g.link_no, link_no) == 0)
				pfree(link_no);
			else
			{
				if (g.link_no != NULL)
				{
					done(&g, arg);
					pfree(g.link_no);
				}
				g.link_no = link_no;
				g.nd_retained = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
				g.old_nd = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
				g.old_sb = DatumGetBool(SPI_getbinval(tup, desc, 9, &isnull));
				g.nfacts = 0;
			}
			id = SPI_getbinval(tup, desc, 3, &isnull);
			if (isnull)
				continue;		/* a person with no enrollment left */
			if (g.nfacts == g.maxfacts)
			{
				g.maxfacts = g.maxfacts ? g.maxfacts * 2 : 8;
				g.facts = g.facts ? repalloc(g.facts, g.maxfacts * sizeof(*g.facts))
					: palloc(g.maxfacts * sizeof(*g.facts));
			}
			g.facts[g.nfacts].id = DatumGetInt64(id);
			g.facts[g.nfacts].acquired_on = DatumGetDateADT(SPI_getbinval(tup, desc, 4, &isnull));
			g.facts[g.nfacts].lost_on = DatumGetDateADT(SPI_getbinval(tup, desc, 5, &isnull));
			g.facts[g.nfacts].lost = !isnull;
			g.facts[g.nfacts].nd = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
			g.facts[g.nfacts].sb = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
			g.nfacts++;
		}
		SPI_freetuptable(tt);
	}
	if (g.link_no != NULL)
		done(&g, arg);
}

/* group_persons() callback of the full path. */
static void
person_recomputed(PersonGroup *g, void *arg)
{
	add_person((PersonBatch *) arg, g->link_no, g->facts, g->nfacts, g->nd_retained,
			   g->old_nd, g->old_sb);
}

static void
recompute_persons(const char *affected, Datum link_nos, const char *statement, Oid acting)
{
	StringInfoData sql;
	SPIPlanPtr	plan;
	Portal		cursor;
	PersonBatch *batch = palloc(sizeof(PersonBatch));

	batch->n = 0;
	batch->changes = NIL;
	initStringInfo(&sql);

	/* 1. every touched person has a row */
	appendStringInfo(&sql,
					 "INSERT INTO dvflag.person (link_no)"
					 " SELECT DISTINCT a.link_no COLLATE pg_catalog.\"C\" FROM (%s) AS a(link_no)"
					 " WHERE a.link_no IS NOT NULL ORDER BY 1"
					 " ON CONFLICT (link_no) DO NOTHING", affected);
	if (run(sql.data, link_nos) != SPI_OK_INSERT)
		elog(ERROR, "dvflag: could not create person rows");

	/* 2. lock them, in one order */
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT pg_catalog.count(*) FROM ("
					 " SELECT 1 FROM dvflag.person p"
					 " WHERE p.link_no OPERATOR(pg_catalog.=) ANY (SELECT a.link_no FROM (%s) AS a(link_no))"
					 " ORDER BY p.link_no COLLATE pg_catalog.\"C\" FOR UPDATE OF p) AS locked", affected);
	if (run(sql.data, link_nos) != SPI_OK_SELECT)
		elog(ERROR, "dvflag: could not lock person rows");

	/* 3. read their enrollments under a snapshot taken after the locks */
	resetStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT p.link_no, p.nd_retained, e.id, e.acquired_on, e.lost_on, e.nd, e.sb,"
					 "       p.nd_eff, p.sb_eff"
					 "  FROM dvflag.person p"
					 "  LEFT JOIN dvflag.enrollment e"
					 "         ON e.link_no OPERATOR(pg_catalog.=) p.link_no COLLATE pg_catalog.\"default\""
					 " WHERE p.link_no OPERATOR(pg_catalog.=) ANY (SELECT a.link_no FROM (%s) AS a(link_no))"
					 " ORDER BY p.link_no COLLATE pg_catalog.\"C\"", affected);
	{
		Oid			argtypes[1] = {TEXTARRAYOID};

		plan = SPI_prepare(sql.data, link_nos ? 1 : 0, argtypes);
	}
	if (plan == NULL)
		elog(ERROR, "dvflag: could not plan the person scan");
	cursor = SPI_cursor_open(NULL, plan, link_nos ? &link_nos : NULL, NULL, false);
	group_persons(cursor, person_recomputed, batch);
	SPI_cursor_close(cursor);
	SPI_freeplan(plan);

	/* 4. write them, and audit what changed */
	flush_persons(batch);
	audit_protection_changes(batch->changes, statement, acting);
	pfree(batch);
}

/*
 * After an INSERT (or COPY): the persons whose row this statement creates
 * had no enrollment before it (every enrollment's person has a row, and
 * person rows are never deleted), and a concurrent insert of the same
 * person waits on the new row; so their state follows from the inserted
 * rows alone, with no lock and no scan of dvflag.enrollment.  The others
 * (a move, a second enrollment) take the full path.
 */
static DvPlan insert_new_persons = {
	"INSERT INTO dvflag.person (link_no, latest_id, nd_eff, sb_eff, version)"
	" SELECT u.link_no, u.latest_id, u.nd_eff, u.sb_eff, 1"
	"   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
	"                   pg_catalog.unnest($4)) AS u(link_no, latest_id, nd_eff, sb_eff)"
	" ORDER BY u.link_no COLLATE pg_catalog.\"C\""
	" ON CONFLICT (link_no) DO NOTHING RETURNING link_no, nd_eff, sb_eff",
	4, {TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID}, NULL
};

/* Create the new persons of a batch; queue the existing ones. */
static void
flush_new_persons(PersonBatch *b, List **existing, List **changes)
{
	Datum		values[4];
	HTAB	   *created;
	HASHCTL		ctl;

	if (b->n == 0)
		return;
	batch_params(b, values);
	dv_exec(&insert_new_persons, values, NULL, false, 0);

	ctl.keysize = NAMEDATALEN * 4;
	ctl.entrysize = ctl.keysize;
	ctl.hcxt = CurrentMemoryContext;
	created = hash_create("dvflag new persons", SPI_processed + 1, &ctl,
						  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		char	   *link_no = dv_col_text(tup, 1);
		bool		nd = dv_col_bool(tup, 2),
					sb = dv_col_bool(tup, 3);

		if (strlen(link_no) < ctl.keysize)
			(void) hash_search(created, link_no, HASH_ENTER, NULL);
		else
			continue;			/* too long to key: treat as existing */
		if (nd || sb)
		{
			ProtectionChange *c = palloc0(sizeof(ProtectionChange));

			c->link_no = link_no;
			c->new_nd = nd;
			c->new_sb = sb;
			*changes = lappend(*changes, c);
		}
	}
	for (int i = 0; i < b->n; i++)
	{
		char	   *link_no = TextDatumGetCString(b->link_no[i]);

		if (strlen(link_no) >= ctl.keysize || !hash_search(created, link_no, HASH_FIND, NULL))
			*existing = lappend(*existing, link_no);
	}
	hash_destroy(created);
	b->n = 0;
}

/* What the insert fast path collects while grouping. */
typedef struct NewPersons
{
	PersonBatch *batch;
	List	   *existing;
	List	   *changes;
} NewPersons;

/* group_persons() callback of the insert fast path. */
static void
person_inserted(PersonGroup *g, void *arg)
{
	NewPersons *np = arg;

	add_new_person(np->batch, g->link_no, g->facts, g->nfacts);
	if (np->batch->n == UPDATE_BATCH)
		flush_new_persons(np->batch, &np->existing, &np->changes);
}

/* The persons an INSERT statement touched: fast path for new ones. */
static void
recompute_inserted(const char *statement, Oid acting)
{
	NewPersons	np = {palloc(sizeof(PersonBatch)), NIL, NIL};
	Portal		cursor;
	SPIPlanPtr	plan;

	np.batch->n = 0;
	np.batch->changes = NIL;
	plan = SPI_prepare("SELECT r.link_no, false, r.id, r.acquired_on, r.lost_on, r.nd, r.sb, false, false"
					   "  FROM dvflag_new r ORDER BY r.link_no COLLATE pg_catalog.\"C\"", 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dvflag: could not plan the scan of the inserted rows");
	cursor = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	group_persons(cursor, person_inserted, &np);
	SPI_cursor_close(cursor);
	SPI_freeplan(plan);
	flush_new_persons(np.batch, &np.existing, &np.changes);
	pfree(np.batch);

	/* the persons that already had a row: the full path */
	if (np.existing != NIL)
	{
		Datum	   *items = palloc(sizeof(Datum) * list_length(np.existing));
		int			n = 0;
		ListCell   *lc;

		foreach(lc, np.existing)
			items[n++] = CStringGetTextDatum((char *) lfirst(lc));
		recompute_persons("SELECT pg_catalog.unnest($1)",
						  PointerGetDatum(construct_array(items, n, TEXTOID, -1, false, TYPALIGN_INT)),
						  statement, acting);
	}
	audit_protection_changes(np.changes, statement, acting);
}

/* Flag change queries, by event: id, link_no, card, old flags, new flags. */
#define CHANGE_COLUMNS "r.id, r.link_no, r.insurer_no, r.symbol, r.number, r.branch, "
static const char *const changes_on_insert =
"SELECT " CHANGE_COLUMNS "false, false, false, r.nd, r.sb, r.ar"
" FROM dvflag_new r WHERE r.nd OR r.sb OR r.ar";
static const char *const changes_on_delete =
"SELECT " CHANGE_COLUMNS "r.nd, r.sb, r.ar, false, false, false"
" FROM dvflag_old r WHERE r.nd OR r.sb OR r.ar";
static const char *const changes_on_update =
"SELECT " CHANGE_COLUMNS "o.nd, o.sb, o.ar, r.nd, r.sb, r.ar"
" FROM dvflag_old o JOIN dvflag_new r ON r.id OPERATOR(pg_catalog.=) o.id"
" WHERE o.nd OPERATOR(pg_catalog.<>) r.nd OR o.sb OPERATOR(pg_catalog.<>) r.sb"
"    OR o.ar OPERATOR(pg_catalog.<>) r.ar";

static const char *const flag_names[3] = {"nd", "sb", "ar"};

/* An UPDATE whose old rows do not all reappear with the same id. */
static const char *const ids_changed =
"SELECT 1 FROM dvflag_old o WHERE NOT EXISTS"
" (SELECT 1 FROM dvflag_new r WHERE r.id OPERATOR(pg_catalog.=) o.id)";

/* Audit each flag change of the statement; refuse it without a reason. */
static void
audit_flag_changes(const char *query, const char *statement, Oid acting)
{
	SPITupleTable *tt;
	uint64		n;
	char	   *reason;

	if (SPI_execute(query, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dvflag: could not read the flag changes");
	n = SPI_processed;
	if (n == 0)
		return;
	tt = SPI_tuptable;
	SPI_tuptable = NULL;		/* keep it while auditing runs more SPI */

	reason = dv_current_reason();
	if (reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to change nd, sb or ar"),
				 errdetail("%s would change a flag of %llu enrollment(s); nothing was changed.",
						   statement, (unsigned long long) n),
				 errhint("Use dvflag.set_flag(..., reason), or SET LOCAL dvflag.reason = '...' before the statement.")));

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;
		char	   *link_no = SPI_getvalue(tup, desc, 2);
		char	   *insurer_no = SPI_getvalue(tup, desc, 3);
		char	   *symbol = SPI_getvalue(tup, desc, 4);
		char	   *number = SPI_getvalue(tup, desc, 5);
		char	   *branch = SPI_getvalue(tup, desc, 6);
		char	   *target = psprintf("%s/%s/%s/%s", insurer_no,
									  symbol ? symbol : "", number, branch);

		for (int f = 0; f < 3; f++)
		{
			bool		isnull;
			bool		old = DatumGetBool(SPI_getbinval(tup, desc, 7 + f, &isnull));
			bool		new = DatumGetBool(SPI_getbinval(tup, desc, 10 + f, &isnull));
			StringInfoData d;

			if (old == new)
				continue;
			initStringInfo(&d);
			appendStringInfoChar(&d, '{');
			dv_json_field_text(&d, "flag", flag_names[f]);
			dv_json_field_raw(&d, "old", old ? "true" : "false");
			dv_json_field_raw(&d, "new", new ? "true" : "false");
			dv_json_field_text(&d, "reason", reason);
			dv_json_field_text(&d, "via", statement);
			dv_json_field_raw(&d, "enrollment_id", SPI_getvalue(tup, desc, 1));
			dv_json_field_text(&d, "link_no", link_no);
			appendStringInfoChar(&d, '}');
			dv_audit(DV_AUDIT_TABLE, acting, "flag_change", target, d.data);
			pfree(d.data);
		}
	}
	SPI_freetuptable(tt);
}

PG_FUNCTION_INFO_V1(dvflag_enrollment_changed);
/* Trigger: audit flag changes and recompute the touched persons. */
Datum
dvflag_enrollment_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerEvent ev;
	const char *statement;
	Oid			acting;
	DvSavedUser saved;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		elog(ERROR, "dvflag_enrollment_changed: must be an AFTER ... FOR EACH STATEMENT trigger");
	ev = td->tg_event;
	acting = OidIsValid(dv_acting_override) ? dv_acting_override : GetUserId();

	dv_become_owner(&saved);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "dvflag: could not register the transition tables");

	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		statement = dv_reason_override ? "set_flag" : "INSERT";
		audit_flag_changes(changes_on_insert, statement, acting);
		recompute_inserted(statement, acting);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		statement = dv_reason_override ? "set_flag" : "UPDATE";
		if (SPI_execute(ids_changed, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "dvflag: could not compare the ids");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_GENERATED_ALWAYS),
					 errmsg("the id of an enrollment cannot be changed"),
					 errdetail("The id pairs every change with its audit and orders registrations.")));
		audit_flag_changes(changes_on_update, statement, acting);
		dv_recompute_persons_from("SELECT r.link_no FROM dvflag_new r"
								  " UNION SELECT o.link_no FROM dvflag_old o", statement, acting);
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		statement = "DELETE";
		audit_flag_changes(changes_on_delete, statement, acting);
		dv_recompute_persons_from("SELECT o.link_no FROM dvflag_old o", statement, acting);
	}

	SPI_finish();
	dv_restore_user(&saved);
	return PointerGetDatum(NULL);
}

static DvPlan person_in_use = {
	"SELECT 1 FROM dvflag.enrollment e"
	" WHERE e.link_no OPERATOR(pg_catalog.=) $1 COLLATE pg_catalog.\"default\" LIMIT 1",
	1, {TEXTOID}, NULL
};

PG_FUNCTION_INFO_V1(dvflag_person_guard);
/*
 * Trigger on dvflag.person: a row may be removed only when the person has
 * no enrollment left and keeps no ND of a purged one (TRUNCATE: only when
 * there is no enrollment and no retained ND at all).
 */
Datum
dvflag_person_guard(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	bool		in_use;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(td->tg_event))
		elog(ERROR, "dvflag_person_guard: must be a BEFORE trigger");
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event))
	{
		if (SPI_execute("SELECT 1 WHERE EXISTS (SELECT 1 FROM dvflag.enrollment)"
						" OR EXISTS (SELECT 1 FROM dvflag.person p WHERE p.nd_retained)",
						true, 1) != SPI_OK_SELECT)
			elog(ERROR, "dvflag: could not check dvflag.person");
		in_use = SPI_processed > 0;
	}
	else
	{
		bool		isnull;
		Datum		link_no = heap_getattr(td->tg_trigtuple,
										   SPI_fnumber(td->tg_relation->rd_att, "link_no"),
										   td->tg_relation->rd_att, &isnull);
		Datum		retained = heap_getattr(td->tg_trigtuple,
											SPI_fnumber(td->tg_relation->rd_att, "nd_retained"),
											td->tg_relation->rd_att, &isnull);

		in_use = DatumGetBool(retained);
		if (!in_use)
		{
			dv_exec(&person_in_use, &link_no, NULL, true, 1);
			in_use = SPI_processed > 0;
		}
	}
	SPI_finish();
	if (in_use)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a person with enrollments or a retained ND cannot be removed from dvflag.person"),
				 errdetail("dvflag derives each person's protection from this row.")));
	return TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ? PointerGetDatum(NULL) : PointerGetDatum(td->tg_trigtuple);
}
