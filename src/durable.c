/*
 * durable.c — audit rows that outlive the caller's transaction.
 *
 * A refused initial registration (DV001) ends in an error, so a row written
 * by the caller would be rolled back with it; yet the refusal is the one
 * durable sign that the person holds a re-issued card while SB still blocks
 * it (RULES.md §5, dvflag.sb_due_for_clearing).  dv_audit_durable() hands
 * the row, with the refusal's own row in dvflag.registration_refusal, to a
 * short-lived background worker, which inserts both in its own transaction
 * and commits, and waits for it to finish.
 *
 * The row travels in a dynamic shared memory segment, pinned so that it
 * outlives the caller's mapping: a caller cancelled while it waits still
 * has its row written.  The pin is dropped once, by whoever claims it first
 * (state): the worker when it attaches, or the caller when it gives up on a
 * worker that never attached.  The segment is freed when the last process
 * detaches.  The worker sets 'done' after its commit.  If no worker or
 * segment can be had, or the insert fails, the caller warns and goes on:
 * the event's log line (DV_AUDIT_LOG, written before) is then its only
 * trace, as it is on a hot standby.  A segment leaks, until restart, only
 * when the caller is cancelled and its worker then never starts.
 *
 * Nobody waits forever.  The worker takes a lock for at most
 * DV_WORKER_LOCK_TIMEOUT and runs for at most DV_WORKER_TIMEOUT; the caller
 * waits at most DV_CALLER_WAIT and then terminates it.  The worker connects
 * as the bootstrap superuser, pins search_path to pg_catalog and runs one
 * fixed statement with parameters.
 */
#include "dvflag.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#define DV_WORKER_LOCK_TIMEOUT "5s"
#define DV_WORKER_TIMEOUT 10000	/* ms */
#define DV_CALLER_WAIT 15000	/* ms */

/* Who owns the segment's pin: nobody yet, the worker, or nobody ever. */
#define DV_ROW_WAITING 0
#define DV_ROW_CLAIMED 1		/* the worker attached and unpinned it */
#define DV_ROW_ABANDONED 2		/* the caller gave up and unpinned it */

typedef struct DvDurableRow
{
	Oid			dboid;
	pg_atomic_uint32 state;		/* DV_ROW_* */
	pg_atomic_uint32 done;		/* 1 once the worker has committed the row */
	int32		offset[DV_DURABLE_FIELDS];	/* into data; -1 for NULL */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} DvDurableRow;

PGDLLEXPORT void dvflag_audit_writer_main(Datum arg);

static void
durable_warning(const char *action, const char *why, const char *hint)
{
	ereport(WARNING,
			(errmsg("dvflag could not write the %s audit row", action),
			 errdetail("%s", why),
			 errhint("The event is in the server log (\"dvflag audit:\").%s%s", hint ? " " : "",
					 hint ? hint : "")));
}

/* The caller gives up on a worker that has not claimed the segment. */
static void
abandon(dsm_segment *seg, DvDurableRow *row)
{
	uint32		expected = DV_ROW_WAITING;

	if (pg_atomic_compare_exchange_u32(&row->state, &expected, DV_ROW_ABANDONED))
		dsm_unpin_segment(dsm_segment_handle(seg));
}

/* Wait for the worker to stop, at most until 'deadline'; true if it did. */
static bool
wait_for_worker(BackgroundWorkerHandle *handle, TimestampTz deadline)
{
	for (;;)
	{
		pid_t		pid;
		long		remaining;

		if (GetBackgroundWorkerPid(handle, &pid) == BGWH_STOPPED)
			return true;
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 remaining, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

static void durable_write(const char *const fields[DV_DURABLE_FIELDS]);

/*
 * Only on the way to an ERROR (a refusal): an error of its own, other than
 * a cancel, becomes a WARNING without a subtransaction, since the error that
 * follows aborts the transaction anyway.  The refusal is never turned into
 * another error by the writing of its row.
 */
void
dv_audit_durable(const char *const fields[DV_DURABLE_FIELDS])
{
	const char *action = fields[2];
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		durable_write(fields);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			PG_RE_THROW();
		FlushErrorState();
		durable_warning(action, edata->message, NULL);
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

static void
durable_write(const char *const fields[DV_DURABLE_FIELDS])
{
	const char *action = fields[2];
	Size		size = offsetof(DvDurableRow, data);
	dsm_segment *seg;
	DvDurableRow *row;
	char	   *p;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	bool		stopped;

	for (int i = 0; i < DV_DURABLE_FIELDS; i++)
		if (fields[i])
			size += strlen(fields[i]) + 1;
	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
	{
		durable_warning(action, "No dynamic shared memory segment was left.", NULL);
		return;
	}
	row = dsm_segment_address(seg);
	row->dboid = MyDatabaseId;
	pg_atomic_init_u32(&row->state, DV_ROW_WAITING);
	pg_atomic_init_u32(&row->done, 0);
	p = row->data;
	for (int i = 0; i < DV_DURABLE_FIELDS; i++)
	{
		row->offset[i] = -1;
		if (fields[i] == NULL)
			continue;
		row->offset[i] = p - row->data;
		strcpy(p, fields[i]);
		p += strlen(fields[i]) + 1;
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dvflag");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dvflag_audit_writer_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dvflag audit writer for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "dvflag audit writer");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	/* the worker unpins it; until then it survives our error or exit */
	dsm_pin_segment(seg);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_unpin_segment(dsm_segment_handle(seg));
		dsm_detach(seg);
		durable_warning(action, "No background worker could be started.",
						"Raise max_worker_processes if workers run out.");
		return;
	}

	/*
	 * A cancel here leaves the pin to the worker, which normally starts
	 * within milliseconds; only a worker that never starts leaks it.
	 */
	stopped = wait_for_worker(handle, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DV_CALLER_WAIT));
	if (!stopped)
	{
		TerminateBackgroundWorker(handle);
		stopped = wait_for_worker(handle, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000));
	}
	if (pg_atomic_read_u32(&row->done) != 1)
	{
		abandon(seg, row);
		durable_warning(action,
						stopped ? "The audit writer failed or was stopped; its error is in the server log." :
						"The audit writer did not finish in time; it was asked to stop, and may still write the row.",
						NULL);
	}
	dsm_detach(seg);
}

/* The background worker: insert the row in its own transaction, commit. */
void
dvflag_audit_writer_main(Datum arg)
{
	dsm_segment *seg;
	DvDurableRow *row;
	Datum		values[DV_DURABLE_FIELDS];
	char		nulls[DV_DURABLE_FIELDS];
	Oid			types[DV_DURABLE_FIELDS] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID};

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "dvflag audit writer");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag audit writer: the caller's row is gone")));
	row = dsm_segment_address(seg);
	{
		uint32		expected = DV_ROW_WAITING;

		/* the pin is ours to drop, unless the caller gave up and dropped it */
		if (pg_atomic_compare_exchange_u32(&row->state, &expected, DV_ROW_CLAIMED))
			dsm_unpin_segment(DatumGetUInt32(arg));
	}

	/* before connecting: the connection itself takes locks */
	SetConfigOption("lock_timeout", DV_WORKER_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	BackgroundWorkerInitializeConnectionByOid(row->dboid, BOOTSTRAP_SUPERUSERID, 0);
	/* statement_timeout is armed only by the query loop: arm it here */
	enable_timeout_after(STATEMENT_TIMEOUT, DV_WORKER_TIMEOUT);

	for (int i = 0; i < DV_DURABLE_FIELDS; i++)
	{
		nulls[i] = row->offset[i] < 0 ? 'n' : ' ';
		values[i] = row->offset[i] < 0 ? (Datum) 0 :
			CStringGetTextDatum(row->data + row->offset[i]);
	}

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag audit writer: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dvflag: writing an audit row");
	/*
	 * The refusal's row has the audit row's time: one event, one moment.  A
	 * database not yet updated to 1.3 has no refusal table: the audit row
	 * alone, as before.
	 */
	if (SPI_execute_with_args(dv_relation_exists("registration_refusal") ?
							  "WITH a AS (INSERT INTO dvflag.audit (actor, client, action, target, detail)"
							  "           VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb) RETURNING at)"
							  " INSERT INTO dvflag.registration_refusal (at, link_no, card_serial, event)"
							  " SELECT a.at, $6, $7, $8 FROM a WHERE $6 IS NOT NULL" :
							  "INSERT INTO dvflag.audit (actor, client, action, target, detail)"
							  " VALUES ($1, $2, $3, $4, $5::pg_catalog.jsonb)",
							  DV_DURABLE_FIELDS, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dvflag audit writer: the insert failed");
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	pg_atomic_write_u32(&row->done, 1);
	dsm_detach(seg);
	proc_exit(0);
}
