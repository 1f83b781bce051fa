/*
 * store.h — direct, read-only access to dvflag's tables for the read paths:
 * index lookups under the statement's snapshot, with no SPI, no planning
 * and no name resolution per call.
 */
#ifndef DVFLAG_STORE_H
#define DVFLAG_STORE_H

#include "postgres.h"

#include "executor/instrument.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "dvflag.h"

/* Positions in dvflag.qualification, the result type of every path. */
enum
{
	Q_INSURER_NO, Q_INSURER_NAME, Q_SYMBOL, Q_NUMBER, Q_BRANCH, Q_ACQUIRED_ON,
	Q_LOST_ON, Q_NAME, Q_KANA, Q_SEX, Q_BIRTH_DATE, Q_ADDRESS, Q_POSTCODE,
	Q_NATTS
};

/* Positions in dvflag.exchange, the result type of the exchange history. */
enum
{
	X_RECORD_ID, X_REQUESTED_AT, X_PROVIDED_AT, X_REQUESTER, X_INSURER_NO,
	X_INSURER_NAME, X_ITEM_CODE, X_NATTS
};

/* Positions in dvflag.health_info, the result type of the health paths. */
enum
{
	H_INSURER_NO, H_SYMBOL, H_NUMBER, H_BRANCH, H_KIND, H_SERVICE_DATE,
	H_INSTITUTION_CODE, H_INSTITUTION_NAME, H_CONTENT, H_NATTS
};

/* One health record, with the insurance card of its enrollment. */
typedef struct DvHealthRecord
{
	int64		id;
	int			kind;			/* DvHealthKind */
	DateADT		service_date;
	Datum		values[H_NATTS];
	bool		nulls[H_NATTS];
} DvHealthRecord;

/* One provision record as the exchange history needs it. */
typedef struct DvRecord
{
	int64		id;
	bool		provided;		/* outcome 'provided': completed normally */
	bool		nd_mark;		/* marked when it completed */
	bool		mark_appended;	/* a mark appended since (read only when it matters) */
	Datum		values[X_NATTS];	/* insurer_name only for records shown */
	bool		nulls[X_NATTS];
} DvRecord;

/* One enrollment as the paths need it; values are copies, detoasted. */
typedef struct DvEnrollment
{
	int64		id;
	char	   *link_no;
	char	   *insurer_no;
	DateADT		acquired_on;
	bool		lost;
	DateADT		lost_on;
	bool		sb_own;			/* SB of this enrollment */
	Datum		values[Q_NATTS];	/* insurer_name filled by dv_fill_insurer_name */
	bool		nulls[Q_NATTS];
} DvEnrollment;

/* A person's effective state (dvflag.person). */
typedef struct DvPersonFlags
{
	bool		found;
	bool		nd_eff;
	bool		sb_eff;
} DvPersonFlags;

/*
 * A read path's reads kept out of the caller's buffer and WAL usage
 * (EXPLAIN BUFFERS, pg_stat_statements): dv_quiet_end() puts them back as
 * dv_quiet_begin() found them.  The relations' counters are kept as they
 * were by every scan of store.c itself.
 */
typedef struct DvQuiet
{
	BufferUsage buffers;
	WalUsage	wal;
} DvQuiet;
extern void dv_quiet_begin(DvQuiet *q);
extern void dv_quiet_end(const DvQuiet *q);

/* Register the relcache callback that forgets cached OIDs (from _PG_init). */
extern void dv_store_init(void);

/* The enrollment of an insurance card; false if none. */
extern bool dv_enrollment_by_card(const DvCardArgs *c, DvEnrollment *out);

/* Every enrollment of a person, ordered by acquired_on, then id. */
extern int	dv_enrollments_of(const char *link_no, DvEnrollment **out);

/* Enrollments with this birth date whose folded kana (or name) is 'folded'. */
extern int	dv_enrollments_by_birth(DateADT birth_date, bool by_kana,
									const char *folded, DvEnrollment **out);

/* Set values[Q_INSURER_NAME] of e from dvflag.insurer. */
extern void dv_fill_insurer_name(DvEnrollment *e);

/* The person of an active (registered, not stopped) card, or NULL. */
extern char *dv_active_card_holder(const char *card_serial);

/* Is agent a proxy of principal? */
/* Is the role mapped to the insurer (dvflag.insurer_staff)?  Read once per statement. */
extern bool dv_staff_of(Oid role, const char *insurer_no);
extern bool dv_staff_of_enrollment(Oid role, int64 enrollment_id);

extern bool dv_is_proxy(const char *principal, const char *agent);

/* The effective state of a person. */
extern DvPersonFlags dv_person_flags(const char *link_no);

/* Every provision record of a person, ordered by requested_at, then id. */
extern int	dv_records_of(const char *link_no, DvRecord **out);

/*
 * The health records of these enrollments (a person's, from
 * dv_enrollments_of) whose kind is in 'kinds', a bit (1 << DvHealthKind)
 * per kind, ordered by service_date, then id.
 */
extern int	dv_health_records_of(const DvEnrollment *enrollments, int n, unsigned kinds,
								 DvHealthRecord **out);

/* Is a disaster declared at this moment? */
extern bool dv_disaster_declared(TimestampTz at);

#endif
