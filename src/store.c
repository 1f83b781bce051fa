/*
 * store.c — direct, read-only access to dvflag's tables for the read paths.
 *
 * The read paths are the hot paths: each is one or a few unique or
 * selective index lookups.  Doing them through SPI cost more than the
 * lookups themselves (planning checks, executor start-up for a join), so
 * they go to the index access method directly:
 *   - relation and index OIDs and attribute numbers are resolved by name in
 *     schema dvflag once per backend, and forgotten by a relcache callback
 *     when any of those relations changes (DROP/CREATE EXTENSION, ALTER);
 *   - every scan runs under the active snapshot (the statement's), takes
 *     AccessShareLock like a SELECT, and uses the index's own collation in
 *     its scan keys;
 *   - values are copied (and detoasted) out of the buffer before the scan
 *     moves on, into the caller's memory context.
 * No name is resolved per call, so the search_path cannot reach these
 * lookups at all.  Nothing here writes.
 */
#include "store.h"

#include "access/detoast.h"
#include "access/genam.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "catalog/namespace.h"
#include "catalog/pg_index.h"
#include "commands/trigger.h"
#include "executor/instrument.h"
#include "executor/tuptable.h"
#include "pgstat.h"
#include "storage/bufmgr.h"
#include "storage/predicate.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "rules.h"

/* The relations, by position in DvCatalog.oid. */
enum
{
	R_ENROLLMENT, R_ENROLLMENT_CARD, R_ENROLLMENT_PERSON, R_ENROLLMENT_KANA,
	R_ENROLLMENT_NAME, R_INSURER, R_INSURER_PKEY, R_PERSON, R_PERSON_PKEY,
	R_CARD, R_CARD_PKEY, R_PROXY, R_PROXY_PKEY, R_DISASTER, R_STAFF, R_STAFF_PKEY,
	R_ENROLLMENT_PKEY, R_DISASTER_PKEY,
	/* since 1.1: resolved when present, so that 1.0's paths work without */
	R_RECORD, R_RECORD_ENROLLMENT, R_MARK, R_MARK_RECORD,
	/* since 1.3, likewise */
	R_HEALTH, R_HEALTH_ENROLLMENT, R_COUNT
};
#define R_FIRST_OPTIONAL R_RECORD
/* The relations each later version added, [first, end): all there or none. */
static const int optional_groups[][2] = {{R_RECORD, R_HEALTH}, {R_HEALTH, R_COUNT}};
static const char *const relation_names[R_COUNT] = {
	"enrollment", "enrollment_insurance_card", "enrollment_person",
	"enrollment_disaster_kana", "enrollment_disaster_name", "insurer",
	"insurer_pkey", "person", "person_pkey", "card", "card_pkey", "proxy",
	"proxy_pkey", "disaster", "insurer_staff", "insurer_staff_pkey", "enrollment_pkey", "disaster_pkey",
	"provision_record",
	"provision_record_enrollment", "provision_mark", "provision_mark_record", "health_record",
	"health_record_enrollment"
};

/* Enrollment columns read into a DvEnrollment, in Q_ order where they map. */
static const char *const enrollment_columns[] = {
	"insurer_no", NULL, "symbol", "number", "branch", "acquired_on", "lost_on",
	"name", "kana", "sex", "birth_date", "address", "postcode"
};

typedef struct DvCatalog
{
	bool		valid;
	Oid			oid[R_COUNT];
	AttrNumber	e_att[Q_NATTS];	/* enrollment columns by Q_ position */
	AttrNumber	e_id,
				e_link_no,
				e_sb;
	AttrNumber	i_name;
	AttrNumber	s_staff,
				s_insurer_no;
	AttrNumber	p_nd_eff,
				p_sb_eff;
	/* their places among person_pkey's included columns; 0: not there (1.2) */
	AttrNumber	p_pkey_nd_eff,
				p_pkey_sb_eff;
	AttrNumber	c_link_no,
				c_stopped_at;
	AttrNumber	d_starts,
				d_ends,
				d_ended_at;
	AttrNumber	r_att[X_NATTS];	/* provision_record columns by X_ position */
	AttrNumber	r_outcome,
				r_nd_mark;
	AttrNumber	h_att[H_NATTS]; /* health_record columns by H_ position */
	AttrNumber	h_id;
} DvCatalog;

/* provision_record columns read into a DvRecord, in X_ order where they map. */
static const char *const record_columns[] = {
	"id", "requested_at", "completed_at", "requester", "insurer_no", NULL, "item_code"
};

/* health_record columns read into a DvHealthRecord, in H_ order; the card is its enrollment's. */
static const char *const health_columns[] = {
	NULL, NULL, NULL, NULL, "kind", "service_date", "institution_code", "institution_name", "content"
};
/* The enrollment's columns (Q_ positions) that give a health record its card, in H_ order. */
static const int health_card_columns[] = {Q_INSURER_NO, Q_SYMBOL, Q_NUMBER, Q_BRANCH};

static DvCatalog cat;

/*
 * Insurers' names, by insurer_no, cached per backend: a disaster search
 * matches its fragment against the name of every candidate's insurer, and
 * the portal shows it with every row.  A change of dvflag.insurer (INSERT,
 * UPDATE, DELETE, TRUNCATE) fires insurer_changed(), which invalidates the
 * table's relation-cache entry in every backend at commit (in its own at
 * once); the callback below then marks the names stale.  An insurer's name
 * is not protected: a transaction may see a name committed after its
 * snapshot.
 */
typedef struct DvInsurerName
{
	char		insurer_no[16];
	bool		isnull;
	Datum		name;			/* text, in CacheMemoryContext */
} DvInsurerName;

static HTAB *insurer_names = NULL;
static bool insurer_names_stale = false;

/* Relcache callback: forget everything when one of ours (or all) changes. */
static void
forget_catalog(Datum arg pg_attribute_unused(), Oid relid)
{
	if (!OidIsValid(relid) || !cat.valid || relid == cat.oid[R_INSURER])
		insurer_names_stale = true;
	if (!cat.valid)
		return;
	if (!OidIsValid(relid))
	{
		cat.valid = false;
		return;
	}
	for (int i = 0; i < R_COUNT; i++)
		if (cat.oid[i] == relid)
		{
			cat.valid = false;
			return;
		}
}

void
dv_store_init(void)
{
	CacheRegisterRelcacheCallback(forget_catalog, (Datum) 0);
}

static AttrNumber
column(Oid relid, const char *name)
{
	AttrNumber	att = get_attnum(relid, name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "dvflag: column %s is missing", name);
	return att;
}

/* Where the index includes the table's column att (1-based); 0 if it does not. */
static AttrNumber
included_column(Oid indexoid, AttrNumber att)
{
	HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	AttrNumber	found = 0;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "dvflag: index %u is missing", indexoid);
	{
		Form_pg_index ind = (Form_pg_index) GETSTRUCT(tup);

		for (int i = ind->indnkeyatts; i < ind->indnatts && found == 0; i++)
			if (ind->indkey.values[i] == att)
				found = i + 1;
	}
	ReleaseSysCache(tup);
	return found;
}

/* Resolve the OIDs and attribute numbers, once per backend. */
static void
load_catalog(void)
{
	Oid			nsp;

	if (cat.valid)
		return;
	nsp = get_namespace_oid("dvflag", false);
	for (int i = 0; i < R_COUNT; i++)
	{
		cat.oid[i] = get_relname_relid(relation_names[i], nsp);
		if (!OidIsValid(cat.oid[i]) && i < R_FIRST_OPTIONAL)
			elog(ERROR, "dvflag: relation dvflag.%s is missing", relation_names[i]);
	}
	/* a later version's relations are there all together or not at all */
	for (int g = 0; g < (int) lengthof(optional_groups); g++)
		for (int i = optional_groups[g][0]; i < optional_groups[g][1]; i++)
			if (OidIsValid(cat.oid[optional_groups[g][0]]) && !OidIsValid(cat.oid[i]))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_OBJECT),
						 errmsg("relation dvflag.%s is missing", relation_names[i]),
						 errhint("dvflag's objects were changed outside the extension's scripts.")));
	for (int q = 0; q < Q_NATTS; q++)
		cat.e_att[q] = enrollment_columns[q] ? column(cat.oid[R_ENROLLMENT], enrollment_columns[q])
			: InvalidAttrNumber;
	cat.e_id = column(cat.oid[R_ENROLLMENT], "id");
	cat.e_link_no = column(cat.oid[R_ENROLLMENT], "link_no");
	cat.e_sb = column(cat.oid[R_ENROLLMENT], "sb");
	cat.i_name = column(cat.oid[R_INSURER], "name");
	cat.s_staff = column(cat.oid[R_STAFF], "staff");
	cat.s_insurer_no = column(cat.oid[R_STAFF], "insurer_no");
	cat.p_nd_eff = column(cat.oid[R_PERSON], "nd_eff");
	cat.p_sb_eff = column(cat.oid[R_PERSON], "sb_eff");
	cat.p_pkey_nd_eff = included_column(cat.oid[R_PERSON_PKEY], cat.p_nd_eff);
	cat.p_pkey_sb_eff = included_column(cat.oid[R_PERSON_PKEY], cat.p_sb_eff);
	cat.c_link_no = column(cat.oid[R_CARD], "link_no");
	cat.c_stopped_at = column(cat.oid[R_CARD], "stopped_at");
	cat.d_starts = column(cat.oid[R_DISASTER], "starts");
	cat.d_ends = column(cat.oid[R_DISASTER], "ends");
	cat.d_ended_at = column(cat.oid[R_DISASTER], "ended_at");
	if (OidIsValid(cat.oid[R_RECORD]))
	{
		for (int x = 0; x < X_NATTS; x++)
			cat.r_att[x] = record_columns[x] ? column(cat.oid[R_RECORD], record_columns[x])
				: InvalidAttrNumber;
		cat.r_outcome = column(cat.oid[R_RECORD], "outcome");
		cat.r_nd_mark = column(cat.oid[R_RECORD], "nd_mark");
	}
	if (OidIsValid(cat.oid[R_HEALTH]))
	{
		for (int h = 0; h < H_NATTS; h++)
			cat.h_att[h] = health_columns[h] ? column(cat.oid[R_HEALTH], health_columns[h])
				: InvalidAttrNumber;
		cat.h_id = column(cat.oid[R_HEALTH], "id");
	}
	cat.valid = true;
}

/*
 * A relation a later version added, for a path that needs it: looked for
 * again once when missing (created since?), else 55000 asking for the update.
 */
static void
require_optional(int rel)
{
	load_catalog();
	if (OidIsValid(cat.oid[rel]))
		return;
	cat.valid = false;
	load_catalog();
	if (!OidIsValid(cat.oid[rel]))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag.%s does not exist", relation_names[rel]),
				 errhint("ALTER EXTENSION dvflag UPDATE")));
}

/*
 * Reads that leave no trace in the caller's statistics.  The counters of a
 * relation (pg_stat_get_xact_numscans, _tuples_fetched, _blocks_hit, ...,
 * callable by everyone, and later pg_stat_all_tables) would tell a caller
 * how many rows a path read before it answered "nothing", so that an SB
 * holder, an unknown card and a stopped one would differ (RULES.md §3 row 1).
 * Each scan puts the counts of its relations back as they were before it;
 * the read paths do the same with the buffer and WAL usage that EXPLAIN
 * (ANALYZE, BUFFERS) and pg_stat_statements report (dv_quiet_begin/end).
 * The pointers of the relation cache are never touched, only the counts.
 */
typedef struct DvCounts
{
	Relation	rel;
	bool		had;			/* the relation had counts before the scan */
	PgStat_TableCounts counts;
} DvCounts;

static void
counts_save(DvCounts *c, Relation rel)
{
	c->rel = rel;
	c->had = rel->pgstat_info != NULL;
	if (c->had)
		c->counts = rel->pgstat_info->t_counts;
}

static void
counts_restore(const DvCounts *c)
{
	if (c->rel->pgstat_info == NULL)
		return;
	if (c->had)
		c->rel->pgstat_info->t_counts = c->counts;
	else
		memset(&c->rel->pgstat_info->t_counts, 0, sizeof(PgStat_TableCounts));
}

void
dv_quiet_begin(DvQuiet *q)
{
	q->buffers = pgBufferUsage;
	q->wal = pgWalUsage;
}

void
dv_quiet_end(const DvQuiet *q)
{
	pgBufferUsage = q->buffers;
	pgWalUsage = q->wal;
}

/* An index scan in progress. */
typedef struct DvScan
{
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	DvCounts	rel_counts;
	DvCounts	idx_counts;
} DvScan;

/* The same scan again, with other keys (the relations stay open). */
static void
scan_rescan(DvScan *s, ScanKey keys, int nkeys)
{
	for (int i = 0; i < nkeys; i++)
		if (!(keys[i].sk_flags & SK_ISNULL))
			keys[i].sk_collation = s->idx->rd_indcollation[keys[i].sk_attno - 1];
	index_rescan(s->scan, keys, nkeys, NULL, 0);
}

/*
 * Start an index scan; the keys get the index's collations.  want_itup:
 * the scan also returns the index tuples (an index-only read).
 */
static void
scan_begin_with(DvScan *s, int rel, int idx, ScanKey keys, int nkeys, bool want_itup)
{
	s->rel = table_open(cat.oid[rel], AccessShareLock);
	s->idx = index_open(cat.oid[idx], AccessShareLock);
	counts_save(&s->rel_counts, s->rel);
	counts_save(&s->idx_counts, s->idx);
	s->scan = index_beginscan(s->rel, s->idx, GetActiveSnapshot(), nkeys, 0);
	s->scan->xs_want_itup = want_itup;
	scan_rescan(s, keys, nkeys);
	s->slot = table_slot_create(s->rel, NULL);
}

static void
scan_begin(DvScan *s, int rel, int idx, ScanKey keys, int nkeys)
{
	scan_begin_with(s, rel, idx, keys, nkeys, false);
}

static bool
scan_next(DvScan *s)
{
	return index_getnext_slot(s->scan, ForwardScanDirection, s->slot);
}

static void
scan_end(DvScan *s)
{
	ExecDropSingleTupleTableSlot(s->slot);
	index_endscan(s->scan);
	counts_restore(&s->idx_counts);
	counts_restore(&s->rel_counts);
	index_close(s->idx, AccessShareLock);
	table_close(s->rel, AccessShareLock);
}

static void
text_key(ScanKey key, AttrNumber attno, const char *value)
{
	ScanKeyInit(key, attno, BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(value));
}

static void
null_key(ScanKey key, AttrNumber attno)
{
	ScanKeyEntryInitialize(key, SK_ISNULL | SK_SEARCHNULL, attno, InvalidStrategy,
						   InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
}

/* A copy of a column of the slot's tuple, detoasted, in our memory. */
static Datum
copy_value(TupleTableSlot *slot, AttrNumber att, bool *isnull)
{
	Datum		d = slot_getattr(slot, att, isnull);
	Form_pg_attribute a = TupleDescAttr(slot->tts_tupleDescriptor, att - 1);

	if (*isnull || a->attbyval)
		return d;
	if (a->attlen == -1)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(d);

		if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
			return PointerGetDatum(detoast_attr(v));
	}
	return datumCopy(d, false, a->attlen);
}

static bool
bool_value(TupleTableSlot *slot, AttrNumber att)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, att, &isnull);

	return !isnull && DatumGetBool(d);
}

static void
read_enrollment(TupleTableSlot *slot, DvEnrollment *e)
{
	bool		isnull;

	for (int q = 0; q < Q_NATTS; q++)
	{
		if (cat.e_att[q] == InvalidAttrNumber)
		{
			e->values[q] = (Datum) 0;
			e->nulls[q] = true;
			continue;
		}
		e->values[q] = copy_value(slot, cat.e_att[q], &e->nulls[q]);
	}
	e->id = DatumGetInt64(slot_getattr(slot, cat.e_id, &isnull));
	e->link_no = TextDatumGetCString(copy_value(slot, cat.e_link_no, &isnull));
	e->insurer_no = TextDatumGetCString(e->values[Q_INSURER_NO]);
	e->acquired_on = DatumGetDateADT(e->values[Q_ACQUIRED_ON]);
	e->lost = !e->nulls[Q_LOST_ON];
	e->lost_on = e->lost ? DatumGetDateADT(e->values[Q_LOST_ON]) : 0;
	e->sb_own = bool_value(slot, cat.e_sb);
}

bool
dv_enrollment_by_card(const DvCardArgs *c, DvEnrollment *out)
{
	ScanKeyData keys[4];
	DvScan		s;
	bool		found;

	load_catalog();
	text_key(&keys[0], 1, c->insurer_no);
	if (c->symbol)
		text_key(&keys[1], 2, c->symbol);
	else
		null_key(&keys[1], 2);
	text_key(&keys[2], 3, c->number);
	text_key(&keys[3], 4, c->branch);
	scan_begin(&s, R_ENROLLMENT, R_ENROLLMENT_CARD, keys, 4);
	found = scan_next(&s);
	if (found)
		read_enrollment(s.slot, out);
	scan_end(&s);
	return found;
}

/* Collect every enrollment a scan returns. */
static int
collect(DvScan *s, DvEnrollment **out)
{
	int			n = 0,
				max = 4;
	DvEnrollment *rows = palloc(sizeof(DvEnrollment) * max);

	while (scan_next(s))
	{
		if (n == max)
			rows = repalloc(rows, sizeof(DvEnrollment) * (max *= 2));
		read_enrollment(s->slot, &rows[n++]);
	}
	*out = rows;
	return n;
}

static int
by_acquired_then_id(const void *a, const void *b)
{
	const DvEnrollment *x = a,
			   *y = b;

	if (x->acquired_on != y->acquired_on)
		return x->acquired_on < y->acquired_on ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

int
dv_enrollments_of(const char *link_no, DvEnrollment **out)
{
	ScanKeyData key;
	DvScan		s;
	int			n;

	load_catalog();
	text_key(&key, 1, link_no);
	scan_begin(&s, R_ENROLLMENT, R_ENROLLMENT_PERSON, &key, 1);
	n = collect(&s, out);
	scan_end(&s);
	qsort(*out, n, sizeof(DvEnrollment), by_acquired_then_id);
	return n;
}

int
dv_enrollments_by_birth(DateADT birth_date, bool by_kana, const char *folded,
						DvEnrollment **out)
{
	ScanKeyData keys[2];
	DvScan		s;
	int			n;

	load_catalog();
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_DATE_EQ, DateADTGetDatum(birth_date));
	text_key(&keys[1], 2, folded);
	scan_begin(&s, R_ENROLLMENT, by_kana ? R_ENROLLMENT_KANA : R_ENROLLMENT_NAME, keys, 2);
	n = collect(&s, out);
	scan_end(&s);
	qsort(*out, n, sizeof(DvEnrollment), by_acquired_then_id);
	return n;
}

/* The name of an insurer, read from the table; *isnull when there is none. */
static Datum
insurer_name_read(const char *insurer_no, bool *isnull)
{
	ScanKeyData key;
	DvScan		s;
	Datum		name = (Datum) 0;

	*isnull = true;
	text_key(&key, 1, insurer_no);
	scan_begin(&s, R_INSURER, R_INSURER_PKEY, &key, 1);
	if (scan_next(&s))
		name = copy_value(s.slot, cat.i_name, isnull);
	scan_end(&s);
	return name;
}

/* The name of an insurer, from the cache when it is fresh; *isnull when there is none. */
static Datum
insurer_name(const char *insurer_no, bool *isnull)
{
	DvInsurerName *entry;
	Datum		name;
	bool		found;

	if (strlen(insurer_no) >= sizeof(entry->insurer_no))
		return insurer_name_read(insurer_no, isnull);
	if (insurer_names_stale && insurer_names != NULL)
	{
		hash_destroy(insurer_names);
		insurer_names = NULL;
	}
	if (insurer_names == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(entry->insurer_no);
		ctl.entrysize = sizeof(DvInsurerName);
		ctl.hcxt = CacheMemoryContext;
		insurer_names = hash_create("dvflag insurer names", 64, &ctl,
									HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		insurer_names_stale = false;
	}
	entry = hash_search(insurer_names, insurer_no, HASH_FIND, NULL);
	if (entry != NULL)
	{
		*isnull = entry->isnull;
		return entry->name;
	}
	/* the read may take in an invalidation: then keep nothing of it */
	name = insurer_name_read(insurer_no, isnull);
	if (insurer_names_stale)
		return name;
	entry = hash_search(insurer_names, insurer_no, HASH_ENTER, &found);
	entry->isnull = *isnull;
	entry->name = (Datum) 0;
	if (!*isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(CacheMemoryContext);

		entry->name = datumCopy(name, false, -1);
		MemoryContextSwitchTo(old);
	}
	return name;
}

/* Which statement, of which role, a per-statement answer was read for. */
typedef struct DvStatementOf
{
	Oid			role;
	LocalTransactionId lxid;
	CommandId	cid;
} DvStatementOf;

/* Is this the statement, and the role, that *of was read for? */
static bool
same_statement(const DvStatementOf *of, Oid role)
{
	return of->role == role && of->lxid == MyProc->lxid && of->cid == GetCurrentCommandId(false);
}

/* *of is now this statement's, and the role's. */
static void
note_statement(DvStatementOf *of, Oid role)
{
	of->role = role;
	of->lxid = MyProc->lxid;
	of->cid = GetCurrentCommandId(false);
}

/*
 * The insurers of a staff role (mapped to it or to a role whose privileges
 * it has, as pg_has_role(..., 'USAGE') in staff_insurers()), as a set read
 * once per statement: the write check of the staff's policy asks for every
 * row a COPY or an INSERT writes, and a role may be mapped to hundreds of
 * insurers.
 */
static HTAB *staff_set = NULL;
static MemoryContext staff_cxt = NULL;
static DvStatementOf staff_of = {InvalidOid, InvalidLocalTransactionId, InvalidCommandId};

bool
dv_staff_of(Oid role, const char *insurer_no)
{
	char		key[16];

	if (strlen(insurer_no) >= sizeof(key))
		return false;			/* no valid insurer_no is that long */
	if (staff_set == NULL || !same_statement(&staff_of, role))
	{
		DvScan		s;
		HASHCTL		ctl;

		load_catalog();
		if (staff_cxt == NULL)
			staff_cxt = AllocSetContextCreate(TopMemoryContext, "dvflag staff insurers",
											  ALLOCSET_SMALL_SIZES);
		staff_set = NULL;
		MemoryContextReset(staff_cxt);
		ctl.keysize = sizeof(key);
		ctl.entrysize = sizeof(key);
		ctl.hcxt = staff_cxt;
		{
			HTAB	   *set = hash_create("dvflag staff insurers", 16, &ctl,
										  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

			scan_begin(&s, R_STAFF, R_STAFF_PKEY, NULL, 0);
			while (scan_next(&s))
			{
				bool		isnull;
				Datum		staff = slot_getattr(s.slot, cat.s_staff, &isnull);
				Datum		v;
				char	   *no;

				if (isnull || !has_privs_of_role(role, DatumGetObjectId(staff)))
					continue;
				v = slot_getattr(s.slot, cat.s_insurer_no, &isnull);
				no = isnull ? NULL : TextDatumGetCString(v);
				if (no != NULL && strlen(no) < sizeof(key))
					(void) hash_search(set, no, HASH_ENTER, NULL);
			}
			scan_end(&s);
			staff_set = set;
		}
		note_statement(&staff_of, role);
	}
	memset(key, 0, sizeof(key));
	strcpy(key, insurer_no);
	return hash_search(staff_set, key, HASH_FIND, NULL) != NULL;
}

/*
 * Is the enrollment with this id one of the role's insurers'?  Read by the
 * primary key, under the statement's snapshot but not under the
 * enrollment's policy; an id that does not exist is no insurer's.  The
 * answer for the last id is kept for the statement: a load brings the
 * records of one enrollment one after the other.
 */
bool
dv_staff_of_enrollment(Oid role, int64 enrollment_id)
{
	static DvStatementOf last_of = {InvalidOid, InvalidLocalTransactionId, InvalidCommandId};
	static int64 last_id;
	static bool last_answer;
	ScanKeyData key;
	DvScan		s;
	char	   *insurer_no = NULL;

	if (same_statement(&last_of, role) && last_id == enrollment_id)
		return last_answer;
	load_catalog();
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(enrollment_id));
	scan_begin(&s, R_ENROLLMENT, R_ENROLLMENT_PKEY, &key, 1);
	if (scan_next(&s))
	{
		bool		isnull;
		Datum		v = slot_getattr(s.slot, cat.e_att[Q_INSURER_NO], &isnull);

		if (!isnull)
			insurer_no = TextDatumGetCString(v);
	}
	scan_end(&s);
	last_answer = insurer_no != NULL && dv_staff_of(role, insurer_no);
	note_statement(&last_of, role);
	last_id = enrollment_id;
	return last_answer;
}

PG_FUNCTION_INFO_V1(dvflag_insurer_changed);
/*
 * The statement trigger of dvflag.insurer: every backend forgets the names
 * it has cached.  It resolves no names and reads nothing: it needs no
 * definer rights and no settings.
 */
Datum
dvflag_insurer_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("insurer_changed() may be called only as a trigger"),
				 errhint("It is the trigger insurer_changed of dvflag.insurer; there is nothing to call.")));
	CacheInvalidateRelcacheByRelid(RelationGetRelid(trigdata->tg_relation));
	PG_RETURN_POINTER(NULL);
}

void
dv_fill_insurer_name(DvEnrollment *e)
{
	load_catalog();
	e->values[Q_INSURER_NAME] = insurer_name(e->insurer_no, &e->nulls[Q_INSURER_NAME]);
}

char *
dv_active_card_holder(const char *card_serial)
{
	ScanKeyData key;
	DvScan		s;
	char	   *holder = NULL;

	load_catalog();
	text_key(&key, 1, card_serial);
	scan_begin(&s, R_CARD, R_CARD_PKEY, &key, 1);
	if (scan_next(&s))
	{
		bool		stopped_null;

		(void) slot_getattr(s.slot, cat.c_stopped_at, &stopped_null);
		if (stopped_null)
		{
			bool		isnull;

			holder = TextDatumGetCString(copy_value(s.slot, cat.c_link_no, &isnull));
		}
	}
	scan_end(&s);
	return holder;
}

bool
dv_is_proxy(const char *principal, const char *agent)
{
	ScanKeyData keys[2];
	DvScan		s;
	bool		found;

	load_catalog();
	text_key(&keys[0], 1, principal);
	text_key(&keys[1], 2, agent);
	scan_begin(&s, R_PROXY, R_PROXY_PKEY, keys, 2);
	found = scan_next(&s);
	scan_end(&s);
	return found;
}

/*
 * The person's effective flags.  From 1.3 person_pkey includes nd_eff and
 * sb_eff: the flags are read from the index alone, as an index-only scan
 * does, when the visibility map says the row's page is visible to all (a
 * read of the heap page less on every call of every path); otherwise, and
 * on a database not yet updated, from the row.
 */
DvPersonFlags
dv_person_flags(const char *link_no)
{
	ScanKeyData key;
	DvScan		s;
	DvPersonFlags f = {false, false, false};
	bool		index_only;
	Buffer		vmbuffer = InvalidBuffer;
	ItemPointer tid;

	load_catalog();
	index_only = cat.p_pkey_nd_eff != 0 && cat.p_pkey_sb_eff != 0;
	text_key(&key, 1, link_no);
	scan_begin_with(&s, R_PERSON, R_PERSON_PKEY, &key, 1, index_only);
	while (!f.found && (tid = index_getnext_tid(s.scan, ForwardScanDirection)) != NULL)
	{
		if (index_only && VM_ALL_VISIBLE(s.rel, ItemPointerGetBlockNumber(tid), &vmbuffer))
		{
			bool		isnull;

			f.found = true;
			f.nd_eff = DatumGetBool(index_getattr(s.scan->xs_itup, cat.p_pkey_nd_eff,
												  s.scan->xs_itupdesc, &isnull)) && !isnull;
			f.sb_eff = DatumGetBool(index_getattr(s.scan->xs_itup, cat.p_pkey_sb_eff,
												  s.scan->xs_itupdesc, &isnull)) && !isnull;
			/* what a read of the row would have locked (serializable) */
			PredicateLockPage(s.rel, ItemPointerGetBlockNumber(tid), GetActiveSnapshot());
		}
		else if (index_fetch_heap(s.scan, s.slot))
		{
			f.found = true;
			f.nd_eff = bool_value(s.slot, cat.p_nd_eff);
			f.sb_eff = bool_value(s.slot, cat.p_sb_eff);
		}
	}
	if (BufferIsValid(vmbuffer))
		ReleaseBuffer(vmbuffer);
	scan_end(&s);
	return f;
}

/*
 * Is a disaster declared at 'at', under the active snapshot?  Read through
 * the primary key, not by a sequential scan: a scan would ask the kernel
 * for the table's size on every search.
 */
bool
dv_disaster_declared(TimestampTz at)
{
	DvScan		s;
	bool		declared = false;

	load_catalog();
	scan_begin(&s, R_DISASTER, R_DISASTER_PKEY, NULL, 0);
	while (!declared && scan_next(&s))
	{
		bool		ended_null,
					n1,
					n2;
		TimestampTz starts,
					ends;

		(void) slot_getattr(s.slot, cat.d_ended_at, &ended_null);
		starts = DatumGetTimestampTz(slot_getattr(s.slot, cat.d_starts, &n1));
		ends = DatumGetTimestampTz(slot_getattr(s.slot, cat.d_ends, &n2));
		declared = ended_null && !n1 && !n2 && starts <= at && at < ends;
	}
	scan_end(&s);
	return declared;
}

static int
by_requested_then_id(const void *a, const void *b)
{
	const DvRecord *x = a,
			   *y = b;
	TimestampTz tx = DatumGetTimestampTz(x->values[X_REQUESTED_AT]),
				ty = DatumGetTimestampTz(y->values[X_REQUESTED_AT]);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* Room for one more record in *rows. */
static DvRecord *
next_record(DvRecord **rows, int *n, int *max)
{
	if (*n == *max)
		*rows = repalloc(*rows, sizeof(DvRecord) * (*max *= 2));
	return &(*rows)[(*n)++];
}

/* The record under the slot, as the exchange history needs it. */
static void
read_record(TupleTableSlot *slot, DvRecord *r)
{
	bool		isnull;
	char	   *outcome;

	for (int x = 0; x < X_NATTS; x++)
	{
		if (cat.r_att[x] == InvalidAttrNumber)
		{
			r->values[x] = (Datum) 0;
			r->nulls[x] = true;
			continue;
		}
		r->values[x] = copy_value(slot, cat.r_att[x], &r->nulls[x]);
	}
	r->id = DatumGetInt64(r->values[X_RECORD_ID]);
	outcome = TextDatumGetCString(slot_getattr(slot, cat.r_outcome, &isnull));
	r->provided = strcmp(outcome, "provided") == 0;
	r->nd_mark = bool_value(slot, cat.r_nd_mark);
	r->mark_appended = false;
}

/* Has a mark been appended to this record since it completed? */
static bool
mark_appended(int64 record_id)
{
	ScanKeyData key;
	DvScan		s;
	bool		found;

	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(record_id));
	scan_begin(&s, R_MARK, R_MARK_RECORD, &key, 1);
	found = scan_next(&s);
	scan_end(&s);
	return found;
}

int
dv_records_of(const char *link_no, DvRecord **out)
{
	ScanKeyData key;
	DvScan		s;
	int			n = 0,
				max = 4;
	DvRecord   *rows;
	int64	   *ids = NULL;
	int			nids = 0,
				maxids = 0;

	require_optional(R_RECORD);
	/* the person's enrollments now: a record follows its enrollment */
	text_key(&key, 1, link_no);
	scan_begin(&s, R_ENROLLMENT, R_ENROLLMENT_PERSON, &key, 1);
	while (scan_next(&s))
	{
		bool		isnull;

		if (nids == maxids)
			ids = ids ? repalloc(ids, sizeof(int64) * (maxids *= 2)) : palloc(sizeof(int64) * (maxids = 4));
		ids[nids++] = DatumGetInt64(slot_getattr(s.slot, cat.e_id, &isnull));
	}
	scan_end(&s);

	rows = palloc(sizeof(DvRecord) * max);
	for (int k = 0; k < nids; k++)
	{
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(ids[k]));
		scan_begin(&s, R_RECORD, R_RECORD_ENROLLMENT, &key, 1);
		while (scan_next(&s))
			read_record(s.slot, next_record(&rows, &n, &max));
		scan_end(&s);
	}

	/* marks and names only for the records that could be shown */
	for (int i = 0; i < n; i++)
	{
		DvRecord   *r = &rows[i];

		r->mark_appended = r->provided && !r->nd_mark && mark_appended(r->id);
		if (r->provided && !r->nd_mark && !r->mark_appended)
			r->values[X_INSURER_NAME] = insurer_name(TextDatumGetCString(r->values[X_INSURER_NO]),
													 &r->nulls[X_INSURER_NAME]);
	}
	qsort(rows, n, sizeof(DvRecord), by_requested_then_id);
	*out = rows;
	return n;
}

static int
by_service_date_then_id(const void *a, const void *b)
{
	const DvHealthRecord *x = a,
			   *y = b;

	if (x->service_date != y->service_date)
		return x->service_date < y->service_date ? -1 : 1;
	return x->id < y->id ? -1 : (x->id > y->id);
}

/* The kind of the record under the slot (DvHealthKind), -1 if none of them. */
static int
health_kind(TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, cat.h_att[H_KIND], &isnull);
	text	   *t;

	if (isnull)
		return -1;
	t = DatumGetTextPP(d);
	for (int k = 0; k < DV_HEALTH_KINDS; k++)
		if (VARSIZE_ANY_EXHDR(t) == strlen(dv_health_kind_names[k]) &&
			memcmp(VARDATA_ANY(t), dv_health_kind_names[k], VARSIZE_ANY_EXHDR(t)) == 0)
			return k;
	return -1;
}

/* The record under the slot, with the card of its enrollment e. */
static void
read_health_record(TupleTableSlot *slot, const DvEnrollment *e, int kind, DvHealthRecord *r)
{
	bool		isnull;

	for (int h = 0; h < H_NATTS; h++)
	{
		if (cat.h_att[h] == InvalidAttrNumber)
		{
			r->values[h] = e->values[health_card_columns[h]];
			r->nulls[h] = e->nulls[health_card_columns[h]];
			continue;
		}
		r->values[h] = copy_value(slot, cat.h_att[h], &r->nulls[h]);
	}
	r->id = DatumGetInt64(slot_getattr(slot, cat.h_id, &isnull));
	r->kind = kind;
	r->service_date = DatumGetDateADT(r->values[H_SERVICE_DATE]);
}

int
dv_health_records_of(const DvEnrollment *enrollments, int n, unsigned kinds, DvHealthRecord **out)
{
	ScanKeyData key;
	DvScan		s;
	int			count = 0,
				max = 8;
	DvHealthRecord *rows;

	require_optional(R_HEALTH);
	rows = palloc(sizeof(DvHealthRecord) * max);
	for (int i = 0; i < n; i++)
	{
		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(enrollments[i].id));
		if (i == 0)
			scan_begin(&s, R_HEALTH, R_HEALTH_ENROLLMENT, &key, 1);
		else
			scan_rescan(&s, &key, 1);
		while (scan_next(&s))
		{
			int			kind = health_kind(s.slot);

			/* only the kinds asked for are copied out */
			if (kind < 0 || !(kinds & (1u << kind)))
				continue;
			if (count == max)
				rows = repalloc(rows, sizeof(DvHealthRecord) * (max *= 2));
			read_health_record(s.slot, &enrollments[i], kind, &rows[count++]);
		}
	}
	if (n > 0)
		scan_end(&s);
	qsort(rows, count, sizeof(DvHealthRecord), by_service_date_then_id);
	*out = rows;
	return count;
}
