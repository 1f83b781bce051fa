/*
 * sb_clearing.c — the SB flags that look due for clearing (RULES.md §5,
 * STEP4): SB is set until the person's re-issued card is in hand, and an SB
 * left set keeps them from registering that card.  A card seen after the
 * flag was last set is the sign: an active card registered later, or a
 * registration refused with a card never bound (dvflag.registration_refusal,
 * written by durable.c).  The rule is dv_sb_due_for_clearing in rules.c.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "rules.h"

/*
 * The SB flags of the scope, each with: when it was last set
 * (dvflag.sb_flag_set, written by the enrollment trigger; NULL for a flag
 * set before 1.3 whose audit row had been purged by then), the oldest audit
 * row left (such a flag is older: the purge deletes by age), whether it is
 * the SB that governs SB_eff(P) (latest(P)'s, or the one a move carries
 * over), and every sign of a card of the person, newest
 * first: an active card registered, or a refused registration (DV001,
 * dvflag.registration_refusal, written by durable.c) with a card never
 * bound.  The rule (rules.c) picks the signs that count.  The fences
 * (OFFSET 0) keep it to the few SB rows, by index, whatever the generic
 * plan's estimates.
 */
#define SB_FLAGS_AND_CARDS(scope) \
	"SELECT e.insurer_no, e.symbol, e.number, e.branch, e.link_no," \
	"       (SELECT s.set_at FROM dvflag.sb_flag_set s WHERE s.enrollment_id OPERATOR(pg_catalog.=) e.id)," \
	"       (SELECT pg_catalog.min(f.at) FROM dvflag.audit f) AS floor," \
	"       (p.latest_id IS NOT DISTINCT FROM e.id OR p.sb_carried_from IS NOT DISTINCT FROM e.id) AS governs," \
	"       coalesce(p.sb_eff, false), e.sb," \
	"       c.kinds, c.serials, c.seen" \
	"  FROM (SELECT * FROM dvflag.enrollment e WHERE e.sb AND " scope " OFFSET 0) e" \
	"  LEFT JOIN LATERAL (SELECT q.latest_id, q.sb_carried_from, q.sb_eff FROM dvflag.person q" \
	"                      WHERE q.link_no OPERATOR(pg_catalog.=) e.link_no OFFSET 0) p ON true" \
	"  LEFT JOIN LATERAL (" \
	"    SELECT pg_catalog.array_agg(kind ORDER BY seen_at DESC) AS kinds," \
	"           pg_catalog.array_agg(card_serial ORDER BY seen_at DESC) AS serials," \
	"           pg_catalog.array_agg(seen_at ORDER BY seen_at DESC) AS seen FROM (" \
	"      SELECT 'card_registered'::pg_catalog.text AS kind, k.card_serial::pg_catalog.text," \
	"             k.registered_at AS seen_at" \
	"        FROM dvflag.card k" \
	"       WHERE k.link_no OPERATOR(pg_catalog.=) e.link_no AND k.stopped_at IS NULL" \
	"      UNION ALL" \
	"      SELECT 'registration_refused', r.card_serial::pg_catalog.text, r.at" \
	"        FROM dvflag.registration_refusal r" \
	"       WHERE r.link_no OPERATOR(pg_catalog.=) e.link_no" \
	"         AND NOT EXISTS (SELECT FROM dvflag.card b WHERE b.card_serial OPERATOR(pg_catalog.=) r.card_serial)" \
	"    ) seen" \
	"  ) c ON true" \
	" ORDER BY e.insurer_no, e.symbol, e.number, e.branch"

/* $1 (all) is declared by both, used by neither: one index scan each */
static DvPlan sb_flags_and_cards_all = {
	SB_FLAGS_AND_CARDS("true"), 2, {BOOLOID, TEXTARRAYOID}, NULL, true
};
static DvPlan sb_flags_and_cards_of = {
	SB_FLAGS_AND_CARDS("e.insurer_no OPERATOR(pg_catalog.=) ANY ($2)"), 2, {BOOLOID, TEXTARRAYOID}, NULL, true
};

static int
cmp_cstring_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * A row of SB_FLAGS_AND_CARDS, kept when a sign counts: the result says
 * which SB this is, the newest sign that counts, and how many distinct cards
 * gave one (more than one: someone else may be trying cards too).  A person
 * can have many signs (anyone who knows the insurance card can be refused
 * with serials of their own): they are counted by sorting, interruptibly.
 */
static bool
sb_due_row(HeapTuple tup, TupleDesc desc, Datum *values, bool *nulls)
{
	bool		set_known,
				floor_known,
				isnull;
	int64		set_at,
				floor;
	Datum	   *kinds = NULL,
			   *serials = NULL,
			   *seen = NULL;
	bool	   *serial_nulls = NULL;
	Datum		signs;
	int			n = 0,
				due = 0,
				distinct = 0;
	char	  **counted;

	for (int k = 0; k < 6; k++)
		values[k] = SPI_getbinval(tup, desc, k + 1, &nulls[k]);
	set_known = !nulls[5];
	set_at = set_known ? DatumGetTimestampTz(values[5]) : 0;
	floor = DatumGetTimestampTz(SPI_getbinval(tup, desc, 7, &isnull));
	floor_known = !isnull;
	values[6] = BoolGetDatum(dv_col_bool(tup, 8) && !dv_registration_allowed(dv_col_bool(tup, 9)));
	nulls[6] = false;

	signs = SPI_getbinval(tup, desc, 11, &isnull);
	if (!isnull)				/* the three arrays come from one aggregate */
	{
		deconstruct_array(DatumGetArrayTypeP(signs), TEXTOID, -1, false, TYPALIGN_INT, &kinds, NULL, &n);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 12, &isnull)),
						  TEXTOID, -1, false, TYPALIGN_INT, &serials, &serial_nulls, &n);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 13, &isnull)),
						  TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &seen, NULL, &n);
	}
	counted = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (serial_nulls[i] ||
			!dv_sb_due_for_clearing(dv_col_bool(tup, 10), set_known, set_at, floor_known, floor,
									DatumGetTimestampTz(seen[i])))
			continue;
		if (due == 0)
		{
			values[7] = kinds[i];	/* newest first */
			values[8] = seen[i];
		}
		counted[due++] = TextDatumGetCString(serials[i]);
	}
	qsort(counted, due, sizeof(char *), cmp_cstring_ptr);
	for (int i = 0; i < due; i++)
		if (i == 0 || strcmp(counted[i - 1], counted[i]) != 0)
			distinct++;
	nulls[7] = nulls[8] = nulls[9] = false;
	values[9] = Int32GetDatum(distinct);
	return due > 0;
}

PG_FUNCTION_INFO_V1(dvflag_sb_due_for_clearing);
/* sb_due_for_clearing(): staff, their insurers' SB flags that look due (§5). */
Datum
dvflag_sb_due_for_clearing(PG_FUNCTION_ARGS)
{
	if (!dv_relation_exists("registration_refusal"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag.registration_refusal does not exist"),
				 errhint("This library lists SB flags from the tables of 1.3: ALTER EXTENSION dvflag UPDATE.")));
	dv_staff_list(fcinfo, &sb_flags_and_cards_all, &sb_flags_and_cards_of, "list SB flags due for clearing",
				  10, sb_due_row);
	return (Datum) 0;
}
