/*
 * person.c — the per-person effective state (dvflag.person), kept in step
 * with the enrollments, and the audit of flag changes.
 *
 * One statement-level AFTER trigger per event (INSERT, UPDATE, DELETE; COPY
 * fires INSERT) sees the statement's rows in transition tables.  It
 *   1. refuses an UPDATE that changes an enrollment's id (the key that
 *      pairs old and new rows, and the "registered last" order);
 *   2. audits every change of nd, sb or ar, refusing the statement (22023)
 *      when no reason was given, and notes when each SB was set
 *      (dvflag.sb_flag_set);
 *   3. recomputes latest(P), ND_eff(P), SB_eff(P) with rules.c for every
 *      person P the statement touched, and audits every change of a
 *      person's effective protection; a change that lowers it (a move, a
 *      correction of dates or link_no, a removal) is refused without a
 *      reason too, whichever column caused it.
 * The trigger is SECURITY INVOKER: it takes the acting role on entry and
 * runs its SPI as the owner (dv_become_owner).  A change made on someone's
 * behalf (set_flag, purge: dv_behalf) records that role, reason and "via".
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

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
#include "parser/parse_relation.h"

#include "rules.h"

#define UPDATE_BATCH 10000
#define FETCH_BATCH 10000

static Datum link_no_array(List *link_nos);

/*
 * The person statements of the rule of 1.3 (the SB a move carries over, in
 * person.sb_carried_from) and of 1.2 (no such column): the trigger's C
 * symbol says which (dvflag_enrollment_changed_1_3 or the 1.2 one), so that
 * the new library serves a database not yet updated.  [carry]
 */
#define UPDATE_PERSONS(carry_set) \
	{"UPDATE dvflag.person p" \
	 "   SET latest_id = u.latest_id, nd_eff = u.nd_eff, sb_eff = u.sb_eff," carry_set \
	 "       version = p.version OPERATOR(pg_catalog.+) 1," \
	 "       updated_at = pg_catalog.now()" \
	 "  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3)," \
	 "                  pg_catalog.unnest($4), pg_catalog.unnest($5))" \
	 "       AS u(link_no, latest_id, nd_eff, sb_eff, carried_from)" \
	 " WHERE p.link_no OPERATOR(pg_catalog.=) u.link_no", \
	 5, {TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID, INT8ARRAYOID}, NULL, true}
static DvPlan update_persons[2] = {
	UPDATE_PERSONS(""),
	UPDATE_PERSONS("       sb_carried_from = u.carried_from,"
				   "       sb_carried_since = CASE WHEN u.carried_from IS NULL THEN NULL"
				   "            WHEN p.sb_carried_from IS NOT DISTINCT FROM u.carried_from THEN p.sb_carried_since"
				   "            ELSE pg_catalog.now() END,")
};

/* Which rule this trigger call applies: 1.3's, with carrying, or 1.2's. */
static bool carry;

/* A person whose effective protection changed, for the audit. */
typedef struct ProtectionChange
{
	char	   *link_no;
	bool		old_nd,
				old_sb,
				new_nd,
				new_sb;
	int64		carried_from;	/* a move began to carry this SB over (0: none) */
	int64		carried_onto;	/* onto this enrollment, the new latest */
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
	Datum		carried_from[UPDATE_BATCH];
	bool		carried_null[UPDATE_BATCH];
} PersonBatch;

/* The batch as the array parameters $1..$5 of the person statements. */
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
	values[4] = PointerGetDatum(construct_md_array(b->carried_from, b->carried_null, 1, dims, lbs,
												   INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
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
	b->carried_null[b->n] = s.carried < 0;
	b->carried_from[b->n] = Int64GetDatum(s.carried < 0 ? 0 : facts[s.carried].id);
	b->n++;
}

static void
flush_persons(PersonBatch *b)
{
	Datum		values[5];

	if (b->n == 0)
		return;
	batch_params(b, values);
	dv_exec(&update_persons[carry], values, NULL, false, 0);
	b->n = 0;
}

/*
 * Queue a person's recomputed state; note a change of their protection, and
 * a carry that begins.  old_latest, old_carried: the stored latest_id and
 * sb_carried_from (0: none).
 */
static void
add_person(PersonBatch *b, const char *link_no, const DvEnrollmentFacts *facts,
		   int n, bool nd_retained, bool old_nd, bool old_sb, int64 old_latest,
		   int64 old_carried)
{
	int64		origin = !carry ? 0 : old_carried ? old_carried : old_sb ? old_latest : 0;
	DvPersonState s = dv_person_state(facts, n, nd_retained, origin);
	bool		carry_begins = s.carried >= 0 && old_carried == 0;

	if (s.nd_eff != old_nd || s.sb_eff != old_sb || carry_begins)
	{
		ProtectionChange *c = palloc0(sizeof(ProtectionChange));

		c->link_no = pstrdup(link_no);
		c->old_nd = old_nd;
		c->old_sb = old_sb;
		c->new_nd = s.nd_eff;
		c->new_sb = s.sb_eff;
		if (carry_begins)
		{
			c->carried_from = facts[s.carried].id;
			c->carried_onto = facts[s.latest].id;
		}
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
	batch_push(b, link_no, facts, dv_person_state(facts, n, false, 0));
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

		if (c->carried_from != 0)
		{
			/*
			 * In the server log too: a carry begun in a transaction that is
			 * rolled back (staff trying who is protected) leaves its trace.
			 */
			initStringInfo(&d);
			appendStringInfoChar(&d, '{');
			dv_json_field_raw(&d, "from_enrollment_id", psprintf(INT64_FORMAT, c->carried_from));
			dv_json_field_raw(&d, "onto_enrollment_id", psprintf(INT64_FORMAT, c->carried_onto));
			dv_json_field_text(&d, "via", statement);
			appendStringInfoChar(&d, '}');
			dv_audit(DV_AUDIT_LOG | DV_AUDIT_TABLE, acting, "sb_carried", c->link_no, d.data);
		}
		if (c->old_nd == c->new_nd && c->old_sb == c->new_sb)
			continue;
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
/* One person's rows, as read by group_persons(). */
typedef struct PersonGroup
{
	char	   *link_no;
	bool		nd_retained;
	bool		old_nd;
	bool		old_sb;
	int64		old_latest;		/* 0: none */
	int64		old_carried;	/* 0: none */
	DvEnrollmentFacts *facts;
	int			nfacts;
	int			maxfacts;
} PersonGroup;

/*
 * Read a cursor of rows (link_no, nd_retained, id, acquired_on, lost_on, nd,
 * sb, old nd_eff, old sb_eff, old latest_id, old sb_carried_from), ordered
 * by link_no, and call done() once per person with all of that person's
 * enrollments (id NULL: none left).
 */
static void
group_persons(Portal cursor, void (*done) (PersonGroup *g, void *arg), void *arg)
{
	PersonGroup g = {NULL, false, false, false, 0, 0, NULL, 0, 0};

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
				g.old_latest = DatumGetInt64(SPI_getbinval(tup, desc, 10, &isnull));
				if (isnull)
					g.old_latest = 0;
				g.old_carried = DatumGetInt64(SPI_getbinval(tup, desc, 11, &isnull));
				if (isnull)
					g.old_carried = 0;
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
			   g->old_nd, g->old_sb, g->old_latest, g->old_carried);
}

/*
 * The statements of the full path, over the persons named in $1 (text[]).
 * Each is planned once, generically: they read no transition table, so one
 * plan serves a one-row UPDATE and a million-row one alike.  The LATERAL
 * subquery with OFFSET 0 keeps the enrollments read by their person index,
 * one person at a time; the planner has no statistics on link_no (see
 * sql/30_enrollment.sql) and would otherwise pick a hash join over a full scan.
 */
static DvPlan create_persons = {
	"INSERT INTO dvflag.person (link_no)"
	" SELECT DISTINCT a.link_no COLLATE pg_catalog.\"C\" FROM pg_catalog.unnest($1) AS a(link_no)"
	" WHERE a.link_no IS NOT NULL ORDER BY 1"
	" ON CONFLICT (link_no) DO NOTHING",
	1, {TEXTARRAYOID}, NULL, true
};
static DvPlan lock_persons = {
	"SELECT pg_catalog.count(*) FROM ("
	" SELECT 1 FROM dvflag.person p"
	" WHERE p.link_no OPERATOR(pg_catalog.=) ANY ($1)"
	" ORDER BY p.link_no COLLATE pg_catalog.\"C\" FOR UPDATE OF p) AS locked",
	1, {TEXTARRAYOID}, NULL, true
};
#define READ_PERSONS(carried, which) \
	{"SELECT p.link_no, p.nd_retained, e.id, e.acquired_on, e.lost_on, e.nd, e.sb," \
	 "       p.nd_eff, p.sb_eff, p.latest_id, " carried \
	 "  FROM dvflag.person p" \
	 "  LEFT JOIN LATERAL (SELECT e.id, e.acquired_on, e.lost_on, e.nd, e.sb" \
	 "                       FROM dvflag.enrollment e" \
	 "                      WHERE e.link_no OPERATOR(pg_catalog.=) p.link_no COLLATE pg_catalog.\"default\"" \
	 "                     OFFSET 0) e ON true" \
	 " WHERE " which \
	 " ORDER BY p.link_no COLLATE pg_catalog.\"C\"", \
	 1, {TEXTARRAYOID}, NULL, true}
#define TOUCHED "p.link_no OPERATOR(pg_catalog.=) ANY ($1)"
static DvPlan read_persons[2] = {READ_PERSONS("NULL::pg_catalog.int8", TOUCHED),
READ_PERSONS("p.sb_carried_from", TOUCHED)};

/*
 * Recompute every person named in link_nos (text[]), and audit the changes
 * of their effective protection.
 */
static void
recompute_persons(Datum link_nos, const char *statement, Oid acting)
{
	Portal		cursor;
	PersonBatch *batch;

	if (ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(link_nos)),
					   ARR_DIMS(DatumGetArrayTypeP(link_nos))) == 0)
		return;					/* the statement touched no row */
	batch = palloc(sizeof(PersonBatch));
	batch->n = 0;
	batch->changes = NIL;

	/* 1. every touched person has a row */
	if (dv_exec(&create_persons, &link_nos, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dvflag: could not create person rows");
	/* 2. lock them, in one order */
	if (dv_exec(&lock_persons, &link_nos, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dvflag: could not lock person rows");
	/* 3. read their enrollments under a snapshot taken after the locks */
	cursor = SPI_cursor_open(NULL, dv_plan(&read_persons[carry]), &link_nos, NULL, false);
	group_persons(cursor, person_recomputed, batch);
	SPI_cursor_close(cursor);

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
	4, {TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID, BOOLARRAYOID}, NULL, true
};

/* Create the new persons of a batch; queue the existing ones. */
static void
flush_new_persons(PersonBatch *b, List **existing, List **changes)
{
	Datum		values[5];
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

/*
 * The inserted rows in person order.  The plan (a sort of the transition
 * table) is the same whatever the number of rows, so it is kept.
 */
static DvPlan inserted_rows = {
	"SELECT r.link_no, false, r.id, r.acquired_on, r.lost_on, r.nd, r.sb, false, false,"
	"       NULL::pg_catalog.int8, NULL::pg_catalog.int8"
	"  FROM dvflag_new r ORDER BY r.link_no COLLATE pg_catalog.\"C\"",
	0, {InvalidOid}, NULL, false
};

/* The persons an INSERT statement touched: fast path for new ones. */
static void
recompute_inserted(const char *statement, Oid acting)
{
	NewPersons	np = {palloc(sizeof(PersonBatch)), NIL, NIL};
	Portal		cursor;

	np.batch->n = 0;
	np.batch->changes = NIL;
	cursor = SPI_cursor_open(NULL, dv_plan(&inserted_rows), NULL, NULL, false);
	group_persons(cursor, person_inserted, &np);
	SPI_cursor_close(cursor);
	flush_new_persons(np.batch, &np.existing, &np.changes);
	pfree(np.batch);

	/* the persons that already had a row: the full path */
	if (np.existing != NIL)
		recompute_persons(link_no_array(np.existing), statement, acting);
	audit_protection_changes(np.changes, statement, acting);
}

/*
 * The transition tables are read here in C, with a read pointer of our own,
 * rather than by SQL: a query over a transition table is parsed and planned
 * on every statement (a saved plan would keep the row estimate of its first
 * use), and that planning was most of the cost of a one-row set_flag.
 */

/* The enrollment columns the trigger reads, by attribute number. */
typedef struct EnrollmentCols
{
	AttrNumber	id,
				link_no,
				insurer_no,
				symbol,
				number,
				branch,
				acquired_on,
				lost_on,
				flag[3];		/* nd, sb, ar */
} EnrollmentCols;

static const char *const flag_names[3] = {"nd", "sb", "ar"};

static AttrNumber
column_of(Relation rel, const char *name)
{
	AttrNumber	att = attnameAttNum(rel, name, false);

	if (att == InvalidAttrNumber)
		elog(ERROR, "dvflag: dvflag.enrollment has no column %s", name);
	return att;
}

static void
enrollment_cols(Relation rel, EnrollmentCols *c)
{
	c->id = column_of(rel, "id");
	c->link_no = column_of(rel, "link_no");
	c->insurer_no = column_of(rel, "insurer_no");
	c->symbol = column_of(rel, "symbol");
	c->number = column_of(rel, "number");
	c->branch = column_of(rel, "branch");
	c->acquired_on = column_of(rel, "acquired_on");
	c->lost_on = column_of(rel, "lost_on");
	for (int f = 0; f < 3; f++)
		c->flag[f] = column_of(rel, flag_names[f]);
}

/* Call fn for every row of a transition table. */
static void
for_each_row(Tuplestorestate *ts, Relation rel,
			 void (*fn) (TupleTableSlot *slot, void *arg), void *arg)
{
	TupleTableSlot *slot = MakeSingleTupleTableSlot(RelationGetDescr(rel),
													&TTSOpsMinimalTuple);

	tuplestore_select_read_pointer(ts, tuplestore_alloc_read_pointer(ts, EXEC_FLAG_REWIND));
	tuplestore_rescan(ts);
	while (tuplestore_gettupleslot(ts, true, false, slot))
	{
		fn(slot, arg);
		ExecClearTuple(slot);
	}
	ExecDropSingleTupleTableSlot(slot);
}

static char *
slot_text(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
slot_bool(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return !isnull && DatumGetBool(d);
}

/* A row whose flags the statement changed, for the audit. */
typedef struct FlagChange
{
	int64		id;
	char	   *link_no;
	char	   *target;			/* insurer_no/symbol/number/branch */
	bool		old[3],
				new[3];
} FlagChange;

/* An old row of an UPDATE, by id: what its new row is compared with. */
typedef struct OldFlags
{
	int64		id;				/* hash key */
	bool		flag[3];
	char	   *link_no;
	Datum		acquired_on;
	Datum		lost_on;		/* 0 when NULL: DateADT 0 is 2000-01-01, so also lost_null */
	bool		lost_null;
} OldFlags;

/* What a pass over the transition tables collects. */
typedef struct TransitionPass
{
	EnrollmentCols cols;
	HTAB	   *old_rows;		/* UPDATE: old flags by id */
	long		paired;			/* UPDATE: new rows whose old row was found */
	long		corrected;		/* UPDATE: flagged rows re-linked or re-dated */
	List	   *changes;		/* of FlagChange */
	List	   *link_nos;		/* of char *, every person touched */
	bool		old_side;		/* reading the old table */
} TransitionPass;

/* 428C9: an UPDATE whose old rows do not all reappear with their ids. */
static pg_attribute_noreturn() void
ids_changed(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("the id of an enrollment cannot be changed"),
			 errdetail("The id pairs every change with its audit and orders registrations."),
			 errhint("Leave id out of the UPDATE; to replace an enrollment, delete it and insert the new one.")));
}

static void
read_flags(TupleTableSlot *slot, const EnrollmentCols *c, bool *flag)
{
	for (int f = 0; f < 3; f++)
		flag[f] = slot_bool(slot, c->flag[f]);
}

static int64
read_id(TupleTableSlot *slot, const EnrollmentCols *c)
{
	bool		isnull;

	return DatumGetInt64(slot_getattr(slot, c->id, &isnull));
}

/*
 * Note a flag change of the row under the slot, if old and new differ.  The
 * insurance card naming it in the audit is read only then: most rows of a
 * large statement change no flag.
 */
static void
add_change(TransitionPass *t, TupleTableSlot *slot, const char *link_no,
		   const bool *old, const bool *new)
{
	const EnrollmentCols *c = &t->cols;
	FlagChange *fc;
	char	   *symbol;

	if (old[0] == new[0] && old[1] == new[1] && old[2] == new[2])
		return;
	symbol = slot_text(slot, c->symbol);
	fc = palloc(sizeof(FlagChange));
	fc->id = read_id(slot, c);
	fc->link_no = (char *) link_no;
	fc->target = psprintf("%s/%s/%s/%s", slot_text(slot, c->insurer_no),
						  symbol ? symbol : "", slot_text(slot, c->number),
						  slot_text(slot, c->branch));
	memcpy(fc->old, old, sizeof(fc->old));
	memcpy(fc->new, new, sizeof(fc->new));
	t->changes = lappend(t->changes, fc);
}

/* INSERT (new rows) or DELETE (old rows): every set flag is a change. */
static void
row_inserted_or_deleted(TupleTableSlot *slot, void *arg)
{
	TransitionPass *t = arg;
	static const bool none[3] = {false, false, false};
	char	   *link_no = slot_text(slot, t->cols.link_no);
	bool		flag[3];

	read_flags(slot, &t->cols, flag);
	t->link_nos = lappend(t->link_nos, link_no);
	if (t->old_side)
		add_change(t, slot, link_no, flag, none);
	else
		add_change(t, slot, link_no, none, flag);
}

/* UPDATE, old side: remember each row's flags by id. */
static void
row_updated_old(TupleTableSlot *slot, void *arg)
{
	TransitionPass *t = arg;
	int64		id = read_id(slot, &t->cols);
	OldFlags   *entry = hash_search(t->old_rows, &id, HASH_ENTER, NULL);

	read_flags(slot, &t->cols, entry->flag);
	entry->link_no = slot_text(slot, t->cols.link_no);
	entry->acquired_on = slot_getattr(slot, t->cols.acquired_on, &(bool){0});
	entry->lost_on = slot_getattr(slot, t->cols.lost_on, &entry->lost_null);
	t->link_nos = lappend(t->link_nos, entry->link_no);
}

/* UPDATE, new side: pair with the old row of the same id. */
static void
row_updated_new(TupleTableSlot *slot, void *arg)
{
	TransitionPass *t = arg;
	int64		id = read_id(slot, &t->cols);
	OldFlags   *was = hash_search(t->old_rows, &id, HASH_FIND, NULL);
	char	   *link_no = slot_text(slot, t->cols.link_no);
	bool		flag[3];

	if (was == NULL)
		ids_changed();
	t->paired++;
	read_flags(slot, &t->cols, flag);
	t->link_nos = lappend(t->link_nos, link_no);
	add_change(t, slot, link_no, was->flag, flag);
	if (was->flag[0] || was->flag[1])
	{
		bool		lost_null;
		Datum		acquired_on = slot_getattr(slot, t->cols.acquired_on, &(bool){0});
		Datum		lost_on = slot_getattr(slot, t->cols.lost_on, &lost_null);

		/*
		 * A flagged enrollment re-linked or re-dated is a correction of a
		 * protection: it needs a reason whatever the person's other
		 * enrollments, which this insurer's staff may not see, make of it.
		 */
		if (strcmp(was->link_no, link_no) != 0 || DatumGetDateADT(acquired_on) != DatumGetDateADT(was->acquired_on) ||
			lost_null != was->lost_null || (!lost_null && DatumGetDateADT(lost_on) != DatumGetDateADT(was->lost_on)))
			t->corrected++;
	}
}

/*
 * When each SB was last set, for sb_due_for_clearing: rule state of its own
 * (dvflag.sb_flag_set), written with the change.  $1: the enrollment ids.
 */
static DvPlan sb_set = {
	"INSERT INTO dvflag.sb_flag_set (enrollment_id, set_at)"
	" SELECT u.id, pg_catalog.clock_timestamp() FROM pg_catalog.unnest($1) AS u(id)"
	" ON CONFLICT (enrollment_id) DO UPDATE SET set_at = EXCLUDED.set_at",
	1, {INT8ARRAYOID}, NULL, true
};
static DvPlan sb_cleared = {
	"DELETE FROM dvflag.sb_flag_set WHERE enrollment_id OPERATOR(pg_catalog.=) ANY ($1)",
	1, {INT8ARRAYOID}, NULL, true
};

/* Record when the statement's SB changes set or cleared SB (1.3 on). */
static void
note_sb_changes(List *changes)
{
	ListCell   *lc;
	Datum	   *set = palloc(sizeof(Datum) * (list_length(changes) + 1));
	Datum	   *cleared = palloc(sizeof(Datum) * (list_length(changes) + 1));
	int			nset = 0,
				ncleared = 0;
	Datum		arg;

	foreach(lc, changes)
	{
		FlagChange *fc = lfirst(lc);

		if (fc->old[1] == fc->new[1])
			continue;
		if (fc->new[1])
			set[nset++] = Int64GetDatum(fc->id);
		else
			cleared[ncleared++] = Int64GetDatum(fc->id);
	}
	if (nset + ncleared == 0 ||
		!dv_relation_exists("sb_flag_set"))
		return;					/* a database not yet updated to 1.3 */
	if (nset > 0)
	{
		arg = PointerGetDatum(construct_array(set, nset, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		dv_exec(&sb_set, &arg, NULL, false, 0);
	}
	if (ncleared > 0)
	{
		arg = PointerGetDatum(construct_array(cleared, ncleared, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		dv_exec(&sb_cleared, &arg, NULL, false, 0);
	}
}

/* Audit each flag change of the statement; refuse it without a reason. */
static void
audit_flag_changes(List *changes, const char *statement, Oid acting)
{
	ListCell   *lc;
	char	   *reason;

	if (changes == NIL)
		return;
	reason = dv_current_reason();
	if (reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a reason is required to change nd, sb or ar"),
				 errdetail("%s would change a flag of %d enrollment(s); nothing was changed.",
						   statement, list_length(changes)),
				 errhint("Use dvflag.set_flag(..., reason), or SET LOCAL dvflag.reason = '...' before the statement.")));

	foreach(lc, changes)
	{
		FlagChange *fc = lfirst(lc);

		for (int f = 0; f < 3; f++)
		{
			StringInfoData d;

			if (fc->old[f] == fc->new[f])
				continue;
			initStringInfo(&d);
			appendStringInfoChar(&d, '{');
			dv_json_field_text(&d, "flag", flag_names[f]);
			dv_json_field_raw(&d, "old", fc->old[f] ? "true" : "false");
			dv_json_field_raw(&d, "new", fc->new[f] ? "true" : "false");
			dv_json_field_text(&d, "reason", reason);
			dv_json_field_text(&d, "via", statement);
			dv_json_field_raw(&d, "enrollment_id", psprintf(INT64_FORMAT, fc->id));
			dv_json_field_text(&d, "link_no", fc->link_no);
			appendStringInfoChar(&d, '}');
			dv_audit(DV_AUDIT_TABLE, acting, "flag_change", fc->target, d.data);
			pfree(d.data);
		}
	}
	note_sb_changes(changes);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* A list of link_nos as a text[], sorted in "C" order, without repeats. */
static Datum
link_no_array(List *link_nos)
{
	int			n = list_length(link_nos);
	char	  **names = palloc(sizeof(char *) * (n + 1));
	Datum	   *items = palloc(sizeof(Datum) * (n + 1));
	int			k = 0;
	ListCell   *lc;

	n = 0;
	foreach(lc, link_nos)
		names[n++] = lfirst(lc);
	qsort(names, n, sizeof(char *), cmp_cstring);
	for (int i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			items[k++] = CStringGetTextDatum(names[i]);
	return PointerGetDatum(construct_array(items, k, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Trigger: audit flag changes and recompute the touched persons; with_carry
 * applies 1.3's rule (a move carries SB over), without it 1.2's.
 */
static Datum
enrollment_changed(FunctionCallInfo fcinfo, bool with_carry)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TriggerEvent ev;
	const char *statement;
	Oid			acting;
	DvActing	owner;
	TransitionPass t = {0};

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(td->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(td->tg_event))
		elog(ERROR, "dvflag_enrollment_changed: must be an AFTER ... FOR EACH STATEMENT trigger");
	ev = td->tg_event;
	/* a COPY's errors from here on are its statement's, of no one line */
	dv_progress_rows_in();
	/* a restore's rows bring their audit and their person rows with them */
	if (dv_behalf && dv_behalf->restoring)
		return PointerGetDatum(NULL);
	carry = with_carry;
	acting = dv_behalf ? dv_behalf->role : GetUserId();
	enrollment_cols(td->tg_relation, &t.cols);

	dv_become_owner(&owner);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag: SPI_connect failed");
	if (SPI_register_trigger_data(td) != SPI_OK_TD_REGISTER)
		elog(ERROR, "dvflag: could not register the transition tables");

	if (TRIGGER_FIRED_BY_INSERT(ev))
	{
		statement = dv_behalf ? dv_behalf->via : "INSERT";
		for_each_row(td->tg_newtable, td->tg_relation, row_inserted_or_deleted, &t);
		audit_flag_changes(t.changes, statement, acting);
		recompute_inserted(statement, acting);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
	{
		HASHCTL		ctl;

		statement = dv_behalf ? dv_behalf->via : "UPDATE";
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(OldFlags);
		ctl.hcxt = CurrentMemoryContext;
		t.old_rows = hash_create("dvflag updated rows", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		for_each_row(td->tg_oldtable, td->tg_relation, row_updated_old, &t);
		for_each_row(td->tg_newtable, td->tg_relation, row_updated_new, &t);
		if (t.paired != hash_get_num_entries(t.old_rows))
			ids_changed();		/* an old id did not come back */
		if (t.corrected > 0 && dv_current_reason() == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a reason is required to correct a flagged enrollment"),
					 errdetail("%s would change link_no, acquired_on or lost_on of %ld enrollment(s) with nd or sb set; nothing was changed.",
							   statement, t.corrected),
					 errhint("SET LOCAL dvflag.reason = '...' before the statement.")));
		audit_flag_changes(t.changes, statement, acting);
		recompute_persons(link_no_array(t.link_nos), statement, acting);
	}
	else if (TRIGGER_FIRED_BY_DELETE(ev))
	{
		statement = "DELETE";
		t.old_side = true;
		for_each_row(td->tg_oldtable, td->tg_relation, row_inserted_or_deleted, &t);
		audit_flag_changes(t.changes, statement, acting);
		recompute_persons(link_no_array(t.link_nos), statement, acting);
	}

	SPI_finish();
	dv_restore_user(&owner);
	return PointerGetDatum(NULL);
}

/* What person_drift() collects: the persons whose stored state is not the rules'. */
typedef struct Drift
{
	ReturnSetInfo *rsinfo;
} Drift;

/* group_persons() callback of person_drift(). */
static void
person_checked(PersonGroup *g, void *arg)
{
	Drift	   *d = arg;
	int64		origin = g->old_carried ? g->old_carried : 0;
	DvPersonState s = dv_person_state(g->facts, g->nfacts, g->nd_retained, origin);
	int64		latest = s.latest < 0 ? 0 : g->facts[s.latest].id;
	int64		carried = s.carried < 0 ? 0 : g->facts[s.carried].id;
	const char *problem = NULL;
	char	   *detail = NULL;

	if (g->nfacts == 0 && !g->nd_retained)
	{
		problem = "person_without_enrollment";
		detail = "a person row with no enrollment and no retained ND";
	}
	else if (s.nd_eff != g->old_nd || s.sb_eff != g->old_sb || latest != g->old_latest ||
			 carried != g->old_carried)
	{
		problem = "person_state_drift";
		detail = psprintf("stored nd_eff %s, sb_eff %s, latest_id " INT64_FORMAT ", sb_carried_from " INT64_FORMAT
						  "; the rules give %s, %s, " INT64_FORMAT ", " INT64_FORMAT,
						  g->old_nd ? "true" : "false", g->old_sb ? "true" : "false", g->old_latest, g->old_carried,
						  s.nd_eff ? "true" : "false", s.sb_eff ? "true" : "false", latest, carried);
	}
	if (problem)
	{
		Datum		values[3] = {CStringGetTextDatum(problem), CStringGetTextDatum(psprintf("person %s", g->link_no)),
		CStringGetTextDatum(detail)};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(d->rsinfo->setResult, d->rsinfo->setDesc, values, nulls);
	}
}

/*
 * person_drift(): every person whose row in dvflag.person is not what the
 * rules of rules.c give for their enrollments (and their stored SB origin,
 * which only the history of moves explains), and every person row left with
 * no enrollment and no retained ND.  One pass over both tables; for check().
 */
static DvPlan all_persons = READ_PERSONS("p.sb_carried_from", "$1 IS NULL");

PG_FUNCTION_INFO_V1(dvflag_person_drift);
Datum
dvflag_person_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Drift		d = {rsinfo};
	Portal		cursor;
	Datum		none = (Datum) 0;

	InitMaterializedSRF(fcinfo, 0);
	dv_spi_connect();
	cursor = SPI_cursor_open(NULL, dv_plan(&all_persons), &none, "n", true);
	group_persons(cursor, person_checked, &d);
	SPI_cursor_close(cursor);
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dvflag_enrollment_changed);
/* The trigger of 1.0 to 1.2: SB_eff is the latest's SB, nothing carried. */
Datum
dvflag_enrollment_changed(PG_FUNCTION_ARGS)
{
	return enrollment_changed(fcinfo, false);
}

PG_FUNCTION_INFO_V1(dvflag_enrollment_changed_1_3);
/* The trigger from 1.3 on: a move carries SB over (person.sb_carried_from). */
Datum
dvflag_enrollment_changed_1_3(PG_FUNCTION_ARGS)
{
	return enrollment_changed(fcinfo, true);
}

static DvPlan person_in_use = {
	"SELECT 1 FROM dvflag.enrollment e"
	" WHERE e.link_no OPERATOR(pg_catalog.=) $1 COLLATE pg_catalog.\"default\" LIMIT 1",
	1, {TEXTOID}, NULL, false
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
				 errdetail("dvflag derives each person's protection from this row."),
				 errhint("Delete the person's enrollments instead: the row goes with the last one, unless it keeps the ND of a purged enrollment.")));
	return TRIGGER_FIRED_BY_TRUNCATE(td->tg_event) ? PointerGetDatum(NULL) : PointerGetDatum(td->tg_trigtuple);
}
