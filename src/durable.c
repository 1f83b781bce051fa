/*
 * durable.c — audit rows that outlive the caller's transaction.
 *
 * A refused initial registration (DV001) ends in an error, so a row written
 * by the caller would be rolled back with it; yet the refusal is the one
 * durable sign that the person holds a re-issued card while SB still blocks
 * it (RULES.md §5, dvflag.sb_due_for_clearing).  dv_audit_durable() hands
 * the row, with the refusal's own row in dvflag.registration_refusal, to an
 * audit writer, a background process that inserts both in a transaction of
 * its own and commits, and waits for it.
 *
 * The writer.  When dvflag is in shared_preload_libraries, one writer is
 * registered at server start: its worker slot is reserved, so no one can
 * starve it by filling max_worker_processes (parallel queries).  It waits
 * on a queue in shared memory (DV_QUEUE_SLOTS slots: a database and a
 * segment each); a process connects to one database only, so it serves the
 * rows of the database it connected to and, when a row of another one
 * waits, exits to be started again at once for that one.  Without preload,
 * or with the queue full, a dynamic worker is started for the one row, as
 * before 1.3; that one can be starved, and then the caller warns.
 *
 * The row travels in a dynamic shared memory segment, pinned so that it
 * outlives the caller's mapping: a caller cancelled while it waits still
 * has its row written.  The pin is dropped once, by whoever claims it first
 * (state): the writer when it attaches, or the caller when it gives up on a
 * writer that never attached (the segment is then gone, and the writer
 * skips the slot).  The segment is freed when the last process detaches.
 * The writer sets 'done' after its commit and wakes the caller.  If no
 * segment can be had, or the insert fails, the caller warns and goes on:
 * the event's log line (written before) is then its only trace, as it is
 * on a hot standby.  A segment leaks, until restart, only when the caller
 * is cancelled and no writer ever takes its row.
 *
 * Nobody waits forever.  The writer takes a lock for at most
 * DV_WORKER_LOCK_TIMEOUT and runs a row for at most DV_WORKER_TIMEOUT; the
 * caller waits at most DV_CALLER_WAIT.  The writer connects as the
 * bootstrap superuser, pins search_path to pg_catalog and runs one fixed
 * statement with parameters.
 */
#include "dvflag.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/dsm.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#define DV_WORKER_LOCK_TIMEOUT "5s"
#define DV_WORKER_TIMEOUT 10000	/* ms */
#define DV_CALLER_WAIT 15000	/* ms */
#define DV_WRITER_IDLE 1000		/* ms a connected writer waits for more rows */

/* Who owns the segment's pin: nobody yet, the worker, or nobody ever. */
#define DV_ROW_WAITING 0
#define DV_ROW_CLAIMED 1		/* the worker attached and unpinned it */
#define DV_ROW_ABANDONED 2		/* the caller gave up and unpinned it */

typedef struct DvDurableRow
{
	Oid			dboid;
	int			notify_procno;	/* the caller, woken when 'done' is set */
	pg_atomic_uint32 state;		/* DV_ROW_* */
	pg_atomic_uint32 done;		/* 1 once the worker has committed the row */
	int32		offset[DV_DURABLE_FIELDS];	/* into data; -1 for NULL */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} DvDurableRow;

/* The queue of the reserved writer, in shared memory (preload only). */
#define DV_QUEUE_SLOTS 32
#define DV_SLOT_FREE 0
#define DV_SLOT_FILLING 1			/* a caller is writing it */
#define DV_SLOT_READY 2				/* waiting for the writer */
#define DV_SLOT_TAKEN 3				/* the writer is on it */

typedef struct DvQueueSlot
{
	pg_atomic_uint32 state;
	Oid			dboid;
	dsm_handle	handle;
} DvQueueSlot;

/*
 * The rows of audited reads (a disaster search that answered), which the
 * writer inserts in batches, in transactions of its own: the read itself
 * writes nothing, so it stays a read-only transaction (no XID, no commit
 * to flush).  Its server-log line, written before the answer, is the
 * record that survives whatever happens to the queue; the row follows.
 */
#define DV_ASYNC_SLOTS 1024
#define DV_ASYNC_ROW 2048		/* the fields' bytes; a larger row is written by its caller */
#define DV_ASYNC_FIELDS 5		/* actor, client, action, target, detail */
#define DV_BATCH 512
/*
 * A busy writer gathers rows for DV_GATHER ms before each batch, so that one
 * commit serves many searches; a caller wakes it early only when the queue
 * is a quarter full, or when it sleeps for want of rows.
 */
#define DV_GATHER 10
#define DV_WAKE_AT (DV_ASYNC_SLOTS / 4)

/* A queued row as it is spooled (spool.c): up to the end of its data. */
typedef struct DvRowImage
{
	Oid			dboid;
	TimestampTz at;
	int32		offset[DV_ASYNC_FIELDS];	/* into data; -1 for NULL */
	char		data[DV_ASYNC_ROW];
} DvRowImage;

typedef struct DvAsyncRow
{
	pg_atomic_uint32 state;		/* DV_SLOT_* */
	int			spool_slot;		/* for dv_spool_written() */
	DvRowImage	img;
} DvAsyncRow;

typedef struct DvWriterQueue
{
	pg_atomic_uint32 writer_procno; /* pgprocno + 1 of the running writer, 0 if none */
	DvQueueSlot slots[DV_QUEUE_SLOTS];
	pg_atomic_uint32 next_row;	/* where a caller starts looking for a free row */
	pg_atomic_uint32 queued;	/* rows ready or being written */
	pg_atomic_uint32 writer_sleeps; /* 1 while the writer waits with nothing to write */
	pg_atomic_uint64 rows_lost; /* rows the writer failed to insert since start */
	Oid			connecting;		/* the database a writer was connecting to */
	DvAsyncRow rows[DV_ASYNC_SLOTS];
} DvWriterQueue;

static DvWriterQueue *queue = NULL;
static shmem_request_hook_type prev_shmem_request = NULL;
static shmem_startup_hook_type prev_shmem_startup = NULL;

PGDLLEXPORT void dvflag_audit_writer_main(Datum arg);
PGDLLEXPORT void dvflag_reserved_writer_main(Datum arg);

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

/* Wait until the writer has committed the row, at most until 'deadline'. */
static bool
wait_for_row(DvDurableRow *row, TimestampTz deadline)
{
	for (;;)
	{
		long		remaining;

		if (pg_atomic_read_u32(&row->done) == 1)
			return true;
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining <= 0)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(remaining, 100), PG_WAIT_EXTENSION);
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

/* A pinned segment holding the row's fields; NULL when none is left. */
static dsm_segment *
fill_row(const char *const fields[DV_DURABLE_FIELDS])
{
	Size		size = offsetof(DvDurableRow, data);
	dsm_segment *seg;
	DvDurableRow *row;
	char	   *p;

	for (int i = 0; i < DV_DURABLE_FIELDS; i++)
		if (fields[i])
			size += strlen(fields[i]) + 1;
	seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
	if (seg == NULL)
		return NULL;
	row = dsm_segment_address(seg);
	row->dboid = MyDatabaseId;
	row->notify_procno = MyProc->pgprocno;
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
	/* the writer unpins it; until then it survives our error or exit */
	dsm_pin_segment(seg);
	return seg;
}

/* Wake the reserved writer, if it runs. */
static void
wake_writer(void)
{
	uint32		procno = pg_atomic_read_u32(&queue->writer_procno);

	if (procno != 0)
		SetLatch(&ProcGlobal->allProcs[procno - 1].procLatch);
}

/* Hand the row to the reserved writer; false when there is none or no room. */
static bool
enqueue(dsm_segment *seg)
{
	if (queue == NULL)
		return false;
	for (int i = 0; i < DV_QUEUE_SLOTS; i++)
	{
		DvQueueSlot *slot = &queue->slots[i];
		uint32		expected = DV_SLOT_FREE;

		if (!pg_atomic_compare_exchange_u32(&slot->state, &expected, DV_SLOT_FILLING))
			continue;
		slot->dboid = MyDatabaseId;
		slot->handle = dsm_segment_handle(seg);
		pg_write_barrier();
		pg_atomic_write_u32(&slot->state, DV_SLOT_READY);
		wake_writer();
		return true;
	}
	return false;
}

bool
dv_audit_enqueue(const char *const fields[DV_ASYNC_FIELDS], TimestampTz at)
{
	Size		size = 0;
	uint32		start;

	if (queue == NULL || RecoveryInProgress())
		return false;
	for (int i = 0; i < DV_ASYNC_FIELDS; i++)
		if (fields[i])
			size += strlen(fields[i]) + 1;
	if (size > DV_ASYNC_ROW)
		return false;
	start = pg_atomic_fetch_add_u32(&queue->next_row, 1);
	for (uint32 k = 0; k < DV_ASYNC_SLOTS; k++)
	{
		DvAsyncRow *row = &queue->rows[(start + k) % DV_ASYNC_SLOTS];
		uint32		expected = DV_SLOT_FREE;
		char	   *p = row->img.data;

		if (!pg_atomic_compare_exchange_u32(&row->state, &expected, DV_SLOT_FILLING))
			continue;
		row->img.dboid = MyDatabaseId;
		row->img.at = at;
		for (int i = 0; i < DV_ASYNC_FIELDS; i++)
		{
			row->img.offset[i] = -1;
			if (fields[i] == NULL)
				continue;
			row->img.offset[i] = p - row->img.data;
			strcpy(p, fields[i]);
			p += strlen(fields[i]) + 1;
		}
		/* on disk before it is queued: a crash of the server loses nothing */
		if (!dv_spool_append(&row->img, offsetof(DvRowImage, data) + (p - row->img.data), &row->spool_slot))
		{
			pg_atomic_write_u32(&row->state, DV_SLOT_FREE);
			return false;
		}
		pg_write_barrier();
		pg_atomic_write_u32(&row->state, DV_SLOT_READY);
		/* full barrier: the row is ready before we look whether it sleeps */
		if (pg_atomic_add_fetch_u32(&queue->queued, 1) >= DV_WAKE_AT ||
			pg_atomic_read_u32(&queue->writer_sleeps) != 0)
			wake_writer();
		return true;
	}
	return false;
}

/* Has this database rows waiting in the queue, or being written? */
static bool
rows_pending(Oid dboid)
{
	for (int i = 0; i < DV_ASYNC_SLOTS; i++)
	{
		uint32		state = pg_atomic_read_u32(&queue->rows[i].state);

		if ((state == DV_SLOT_READY || state == DV_SLOT_TAKEN) && queue->rows[i].img.dboid == dboid)
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(dvflag_audit_flush);
/*
 * audit_flush(): wait (at most 10 s) until the audit rows this database's
 * audited reads queued are in dvflag.audit; false when some are not yet.
 */
Datum
dvflag_audit_flush(PG_FUNCTION_ARGS)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DV_WORKER_TIMEOUT);

	if (queue == NULL)
		PG_RETURN_BOOL(true);
	while (rows_pending(MyDatabaseId))
	{
		if (GetCurrentTimestamp() >= deadline)
			PG_RETURN_BOOL(false);
		wake_writer();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dvflag_audit_rows_lost);
/* audit_rows_lost(): queued rows the writer failed to insert since the server started. */
Datum
dvflag_audit_rows_lost(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(queue ? (int64) pg_atomic_read_u64(&queue->rows_lost) : 0);
}

/* Start a worker of its own for the row; false when none could be had. */
static bool
start_worker(dsm_segment *seg, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;

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
	return RegisterDynamicBackgroundWorker(&worker, handle);
}

static void
durable_write(const char *const fields[DV_DURABLE_FIELDS])
{
	const char *action = fields[2];
	dsm_segment *seg = fill_row(fields);
	DvDurableRow *row;
	BackgroundWorkerHandle *handle;
	bool		written;
	const char *why;

	if (seg == NULL)
	{
		durable_warning(action, "No dynamic shared memory segment was left.", NULL);
		return;
	}
	row = dsm_segment_address(seg);
	if (enqueue(seg))
	{
		written = wait_for_row(row, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DV_CALLER_WAIT));
		why = "The audit writer did not write it in time; it may still write it.";
	}
	else if (start_worker(seg, &handle))
	{
		/*
		 * A cancel here leaves the pin to the worker, which normally starts
		 * within milliseconds; only a worker that never starts leaks it.
		 */
		bool		stopped = wait_for_worker(handle, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																				  DV_CALLER_WAIT));

		if (!stopped)
		{
			TerminateBackgroundWorker(handle);
			stopped = wait_for_worker(handle, TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000));
		}
		written = pg_atomic_read_u32(&row->done) == 1;
		why = stopped ? "The audit writer failed or was stopped; its error is in the server log." :
			"The audit writer did not finish in time; it was asked to stop, and may still write the row.";
	}
	else
	{
		dsm_unpin_segment(dsm_segment_handle(seg));
		dsm_detach(seg);
		durable_warning(action, "No background worker could be started.",
						"Raise max_worker_processes if workers run out, or preload dvflag, whose audit writer has a slot of its own.");
		return;
	}
	if (!written)
	{
		abandon(seg, row);
		durable_warning(action, why, NULL);
	}
	dsm_detach(seg);
}

/* The row of a segment, claimed by the writer; NULL when the caller gave up. */
static DvDurableRow *
claim(dsm_segment *seg, dsm_handle handle)
{
	DvDurableRow *row = dsm_segment_address(seg);
	uint32		expected = DV_ROW_WAITING;

	/* the pin is ours to drop, unless the caller gave up and dropped it */
	if (pg_atomic_compare_exchange_u32(&row->state, &expected, DV_ROW_CLAIMED))
		dsm_unpin_segment(handle);
	return row;
}

/* Insert the row in a transaction of its own and commit; wake the caller. */
static void
insert_row(DvDurableRow *row)
{
	Datum		values[DV_DURABLE_FIELDS];
	char		nulls[DV_DURABLE_FIELDS];
	Oid			types[DV_DURABLE_FIELDS] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID};

	/* statement_timeout is armed only by the query loop: arm it here */
	enable_timeout_after(STATEMENT_TIMEOUT, DV_WORKER_TIMEOUT);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	for (int i = 0; i < DV_DURABLE_FIELDS; i++)
	{
		nulls[i] = row->offset[i] < 0 ? 'n' : ' ';
		values[i] = row->offset[i] < 0 ? (Datum) 0 :
			CStringGetTextDatum(row->data + row->offset[i]);
	}
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
	disable_timeout(STATEMENT_TIMEOUT, false);
	pgstat_report_activity(STATE_IDLE, NULL);
	pg_atomic_write_u32(&row->done, 1);
	SetLatch(&ProcGlobal->allProcs[row->notify_procno].procLatch);
}

/* Settings of every writer, before it connects: the connection takes locks. */
static void
writer_settings(void)
{
	SetConfigOption("lock_timeout", DV_WORKER_LOCK_TIMEOUT, PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
}

/* The dynamic worker: one row, then exit. */
void
dvflag_audit_writer_main(Datum arg)
{
	dsm_segment *seg;
	DvDurableRow *row;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "dvflag audit writer");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dvflag audit writer: the caller's row is gone")));
	row = claim(seg, DatumGetUInt32(arg));
	writer_settings();
	BackgroundWorkerInitializeConnectionByOid(row->dboid, BOOTSTRAP_SUPERUSERID, 0);
	insert_row(row);
	dsm_detach(seg);
	proc_exit(0);
}

/* The reserved writer: no longer running, as far as callers know. */
static void
writer_gone(int code pg_attribute_unused(), Datum arg pg_attribute_unused())
{
	pg_atomic_write_u32(&queue->writer_procno, 0);
}

/* A ready slot of this database (any, when InvalidOid); -1 if none. */
static int
ready_slot(Oid dboid)
{
	for (int i = 0; i < DV_QUEUE_SLOTS; i++)
	{
		if (pg_atomic_read_u32(&queue->slots[i].state) != DV_SLOT_READY)
			continue;
		pg_read_barrier();
		if (!OidIsValid(dboid) || queue->slots[i].dboid == dboid)
			return i;
	}
	return -1;
}

/* One row of the queue, taken from slot i; an error is logged, not fatal. */
static void
serve_slot(int i)
{
	DvQueueSlot *slot = &queue->slots[i];
	uint32		expected = DV_SLOT_READY;
	dsm_handle	handle = slot->handle;
	MemoryContext cxt = CurrentMemoryContext;
	dsm_segment *seg;

	if (!pg_atomic_compare_exchange_u32(&slot->state, &expected, DV_SLOT_TAKEN))
		return;
	seg = dsm_attach(handle);	/* NULL: the caller gave up and it is gone */
	if (seg != NULL)
	{
		PG_TRY();
		{
			insert_row(claim(seg, handle));
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(cxt);
			disable_timeout(STATEMENT_TIMEOUT, false);
			EmitErrorReport();
			AbortCurrentTransaction();
			FlushErrorState();
			pgstat_report_activity(STATE_IDLE, NULL);
		}
		PG_END_TRY();
		dsm_detach(seg);
	}
	pg_atomic_write_u32(&slot->state, DV_SLOT_FREE);
}

/* A ready queued row of this database (any, when InvalidOid); -1 if none. */
static int
ready_row(Oid dboid)
{
	for (int i = 0; i < DV_ASYNC_SLOTS; i++)
	{
		if (pg_atomic_read_u32(&queue->rows[i].state) != DV_SLOT_READY)
			continue;
		pg_read_barrier();
		if (!OidIsValid(dboid) || queue->rows[i].img.dboid == dboid)
			return i;
	}
	return -1;
}

/* The text[] of field f of the taken rows. */
static Datum
field_array(const int *taken, int n, int f)
{
	Datum	   *items = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc(sizeof(bool) * n);
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int k = 0; k < n; k++)
	{
		DvAsyncRow *row = &queue->rows[taken[k]];

		nulls[k] = row->img.offset[f] < 0;
		items[k] = nulls[k] ? (Datum) 0 : CStringGetTextDatum(row->img.data + row->img.offset[f]);
	}
	return PointerGetDatum(construct_md_array(items, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The taken rows are in the table, or counted lost: free their slots. */
static void
release_rows(const int *taken, int n)
{
	uint32		written[3] = {0, 0, 0};

	for (int k = 0; k < n; k++)
	{
		written[queue->rows[taken[k]].spool_slot]++;
		pg_atomic_write_u32(&queue->rows[taken[k]].state, DV_SLOT_FREE);
	}
	for (int slot = 0; slot < 3; slot++)
		dv_spool_written(slot, written[slot]);
	pg_atomic_fetch_sub_u32(&queue->queued, n);
}

/* Take up to max of the ready rows of a database; their slots into taken. */
static int
take_rows_of(Oid dboid, int *taken, int max)
{
	int			n = 0;

	for (int i = 0; i < DV_ASYNC_SLOTS && n < max; i++)
	{
		uint32		expected = DV_SLOT_READY;

		if (queue->rows[i].img.dboid == dboid &&
			pg_atomic_compare_exchange_u32(&queue->rows[i].state, &expected, DV_SLOT_TAKEN))
			taken[n++] = i;
	}
	return n;
}

/*
 * The rows of a database the last writer could not connect to (dropped, or
 * closed to connections): counted lost, or no writer would ever get past
 * them.  Their events are in the server log.
 */
static void
drop_rows_of(Oid dboid)
{
	int			taken[DV_ASYNC_SLOTS];
	int			n = take_rows_of(dboid, taken, DV_ASYNC_SLOTS);

	if (n == 0)
		return;
	pg_atomic_fetch_add_u64(&queue->rows_lost, n);
	release_rows(taken, n);
	ereport(WARNING,
			(errmsg("dvflag audit writer: %d audit rows of database %u were not written", n, dboid),
			 errdetail("The writer could not connect to the database."),
			 errhint("Their events are in the server log (\"dvflag audit:\"); check() reports them.")));
}

/*
 * Queue the rows the server's last run left in the spool, as many as there
 * are free slots; the insert skips those already in the table.
 */
static void
recover_rows(void)
{
	static DvRowImage img;

	while (dv_spool_recovering())
	{
		uint32		len;
		int			free = -1;
		bool		whole = true;
		Size		used;

		for (int i = 0; i < DV_ASYNC_SLOTS && free < 0; i++)
		{
			uint32		expected = DV_SLOT_FREE;

			if (pg_atomic_compare_exchange_u32(&queue->rows[i].state, &expected, DV_SLOT_FILLING))
				free = i;
		}
		if (free < 0)
			return;
		if (!dv_spool_recover_next(&img, sizeof(img), &len) || len < offsetof(DvRowImage, data))
		{
			pg_atomic_write_u32(&queue->rows[free].state, DV_SLOT_FREE);
			continue;
		}
		/* every field inside the record and ended */
		used = len - offsetof(DvRowImage, data);
		for (int f = 0; f < DV_ASYNC_FIELDS; f++)
			if (img.offset[f] >= 0 &&
				((Size) img.offset[f] >= used || memchr(img.data + img.offset[f], '\0', used - img.offset[f]) == NULL))
				whole = false;
		if (!whole || !OidIsValid(img.dboid))
		{
			pg_atomic_write_u32(&queue->rows[free].state, DV_SLOT_FREE);
			continue;
		}
		memcpy(&queue->rows[free].img, &img, len);
		queue->rows[free].spool_slot = DV_SPOOL_RECOVERED;
		dv_spool_recovered_queued();
		pg_atomic_fetch_add_u32(&queue->queued, 1);
		pg_write_barrier();
		pg_atomic_write_u32(&queue->rows[free].state, DV_SLOT_READY);
	}
}

/* The columns of dvflag.audit, in the order the writer fills them. */
static const char *const audit_columns[] = {"id", "at", "actor", "client", "action", "target", "detail"};
#define DV_AUDIT_NATTS 7

/*
 * Is dvflag.audit as dvflag made it: these columns and no others, no rules,
 * no INSERT triggers?  Then the writer inserts into its heap and indexes
 * itself, as COPY does (insert_directly); a table an administrator has
 * given a trigger or a rule gets an INSERT statement, which fires them.
 * att: the columns' numbers, in audit_columns order.
 */
static bool
audit_is_plain(Relation rel, AttrNumber *att)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TriggerDesc *trig = rel->trigdesc;
	int			live = 0;

	if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relhasrules)
		return false;
	if (trig != NULL &&
		(trig->trig_insert_before_row || trig->trig_insert_after_row ||
		 trig->trig_insert_instead_row || trig->trig_insert_before_statement ||
		 trig->trig_insert_after_statement || trig->trig_insert_new_table))
		return false;
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			live++;
	if (live != DV_AUDIT_NATTS)
		return false;
	for (int c = 0; c < DV_AUDIT_NATTS; c++)
	{
		att[c] = get_attnum(RelationGetRelid(rel), audit_columns[c]);
		if (att[c] == InvalidAttrNumber)
			return false;
	}
	return TupleDescAttr(desc, att[0] - 1)->attidentity != '\0';
}

/*
 * The taken rows into dvflag.audit, by the table's own access method and
 * its indexes, with its identity and its NOT NULL and CHECK constraints, in
 * one batch: what an INSERT statement of the rows would do, without its
 * executor.
 */
static void
insert_directly(Relation rel, const AttrNumber *att, const int *taken, int n)
{
	EState	   *estate = CreateExecutorState();
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	TupleTableSlot **slots = palloc(sizeof(TupleTableSlot *) * n);
	Oid			seq = getIdentitySequence(RelationGetRelid(rel), att[0], false);
	BulkInsertState bistate = GetBulkInsertState();
	CommandId	cid = GetCurrentCommandId(true);

	InitResultRelInfo(rri, rel, 0, NULL, 0);
	ExecOpenIndices(rri, false);
	for (int k = 0; k < n; k++)
	{
		DvRowImage *img = &queue->rows[taken[k]].img;
		TupleTableSlot *slot = table_slot_create(rel, NULL);

		slots[k] = slot;
		ExecClearTuple(slot);
		memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
		slot->tts_values[att[0] - 1] = Int64GetDatum(nextval_internal(seq, false));
		slot->tts_isnull[att[0] - 1] = false;
		slot->tts_values[att[1] - 1] = TimestampTzGetDatum(img->at);
		slot->tts_isnull[att[1] - 1] = false;
		for (int f = 0; f < DV_ASYNC_FIELDS; f++)
		{
			const char *v = img->offset[f] < 0 ? NULL : img->data + img->offset[f];
			int			a = att[f + 2] - 1;

			if (v == NULL)
				continue;
			slot->tts_values[a] = f == DV_ASYNC_FIELDS - 1
				? DirectFunctionCall1(jsonb_in, CStringGetDatum(v))
				: CStringGetTextDatum(v);
			slot->tts_isnull[a] = false;
		}
		ExecStoreVirtualTuple(slot);
		if (rel->rd_att->constr)
			ExecConstraints(rri, slot, estate);
	}
	table_multi_insert(rel, slots, n, cid, 0, bistate);
	for (int k = 0; k < n; k++)
	{
		ResetPerTupleExprContext(estate);
		(void) ExecInsertIndexTuples(rri, slots[k], estate, false, false, NULL, NIL);
		ExecDropSingleTupleTableSlot(slots[k]);
	}
	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
}

/*
 * The taken rows into dvflag.audit by an INSERT statement: for a table
 * that is not plain (above), and for rows recovered from the spool, which
 * may have been written before the crash: then their event, at its time,
 * is in the table already.
 */
static void
insert_by_statement(const int *taken, int n)
{
	Datum		values[DV_ASYNC_FIELDS + 2];
	Oid			types[DV_ASYNC_FIELDS + 2] = {TIMESTAMPTZARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, BOOLARRAYOID};
	Datum	   *ats = palloc(sizeof(Datum) * n);
	Datum	   *recovered = palloc(sizeof(Datum) * n);

	for (int k = 0; k < n; k++)
		ats[k] = TimestampTzGetDatum(queue->rows[taken[k]].img.at);
	values[0] = PointerGetDatum(construct_array(ats, n, TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	for (int f = 0; f < DV_ASYNC_FIELDS; f++)
		values[f + 1] = field_array(taken, n, f);
	for (int k = 0; k < n; k++)
		recovered[k] = BoolGetDatum(queue->rows[taken[k]].spool_slot == DV_SPOOL_RECOVERED);
	values[DV_ASYNC_FIELDS + 1] = PointerGetDatum(construct_array(recovered, n, BOOLOID, 1, true, TYPALIGN_CHAR));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dvflag audit writer: SPI_connect failed");
	if (SPI_execute_with_args("INSERT INTO dvflag.audit (at, actor, client, action, target, detail)"
							  " SELECT u.at, u.actor, u.client, u.action, u.target, u.detail::pg_catalog.jsonb"
							  "   FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),"
							  "                   pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),"
							  "                   pg_catalog.unnest($7))"
							  "        AS u(at, actor, client, action, target, detail, recovered)"
							  "  WHERE NOT u.recovered OR NOT EXISTS"
							  "        (SELECT FROM dvflag.audit a WHERE a.at OPERATOR(pg_catalog.=) u.at"
							  "            AND a.action OPERATOR(pg_catalog.=) u.action"
							  "            AND (a.detail OPERATOR(pg_catalog.->>) 'event') OPERATOR(pg_catalog.=)"
							  "                (u.detail::pg_catalog.jsonb OPERATOR(pg_catalog.->>) 'event'))",
							  DV_ASYNC_FIELDS + 2, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dvflag audit writer: the insert failed");
	SPI_finish();
}

/*
 * Insert the queued rows of this database, up to DV_BATCH of them, in one
 * transaction.  A batch that fails is counted lost (audit_rows_lost(),
 * check()): the log lines of its events stand.
 */
static void
serve_rows(Oid dboid)
{
	int			taken[DV_BATCH];
	int			n = take_rows_of(dboid, taken, DV_BATCH);
	MemoryContext cxt = CurrentMemoryContext;

	if (n == 0)
		return;
	PG_TRY();
	{
		Oid			nsp;
		Oid			relid;
		Relation	rel;
		AttrNumber	att[DV_AUDIT_NATTS];
		bool		recovered = false;

		enable_timeout_after(STATEMENT_TIMEOUT, DV_WORKER_TIMEOUT);
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "dvflag: writing audit rows");
		for (int k = 0; k < n; k++)
			recovered |= queue->rows[taken[k]].spool_slot == DV_SPOOL_RECOVERED;
		nsp = get_namespace_oid("dvflag", false);
		relid = get_relname_relid("audit", nsp);
		if (!OidIsValid(relid))
			elog(ERROR, "dvflag audit writer: relation dvflag.audit is missing");
		rel = table_open(relid, RowExclusiveLock);
		if (!recovered && audit_is_plain(rel, att))
			insert_directly(rel, att, taken, n);
		else
			insert_by_statement(taken, n);
		table_close(rel, NoLock);
		PopActiveSnapshot();
		CommitTransactionCommand();
		disable_timeout(STATEMENT_TIMEOUT, false);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		disable_timeout(STATEMENT_TIMEOUT, false);
		EmitErrorReport();
		AbortCurrentTransaction();
		FlushErrorState();
		pgstat_report_activity(STATE_IDLE, NULL);
		pg_atomic_fetch_add_u64(&queue->rows_lost, n);
		ereport(WARNING,
				(errmsg("dvflag audit writer: %d audit rows were not written", n),
				 errdetail("Their events are in the server log (\"dvflag audit:\"); check() reports them.")));
	}
	PG_END_TRY();
	release_rows(taken, n);
}

/*
 * The reserved writer.  It waits, connected to no database, for a row; then
 * connects to that row's database, writes every row of it that waits, and
 * exits, to be started again at once: a process stays in one database for
 * good, and one that stayed connected would keep DROP DATABASE from
 * running.  (The postmaster logs each exit, "exited with exit code 1".)
 */
void
dvflag_reserved_writer_main(Datum arg pg_attribute_unused())
{
	Oid			connected = InvalidOid;
	TimestampTz idle_since = GetCurrentTimestamp();

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "dvflag audit writer");
	/*
	 * The rows a previous run had taken died with it: their callers warn,
	 * and the queued rows are counted lost (their log lines stand).
	 */
	for (int i = 0; i < DV_QUEUE_SLOTS; i++)
	{
		uint32		expected = DV_SLOT_TAKEN;

		(void) pg_atomic_compare_exchange_u32(&queue->slots[i].state, &expected, DV_SLOT_FREE);
	}
	for (int i = 0; i < DV_ASYNC_SLOTS; i++)
	{
		uint32		expected = DV_SLOT_TAKEN;

		if (pg_atomic_compare_exchange_u32(&queue->rows[i].state, &expected, DV_SLOT_TAKEN))
		{
			pg_atomic_fetch_add_u64(&queue->rows_lost, 1);
			release_rows(&i, 1);
		}
	}
	if (OidIsValid(queue->connecting))
	{
		drop_rows_of(queue->connecting);
		queue->connecting = InvalidOid;
	}
	before_shmem_exit(writer_gone, (Datum) 0);
	pg_atomic_write_u32(&queue->writer_procno, MyProc->pgprocno + 1);
	writer_settings();
	/* the spool holds the rows until the WAL is flushed (spool.c) */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);

	for (;;)
	{
		int			i;
		int			r;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		recover_rows();
		dv_spool_maintain();
		i = ready_slot(connected);
		r = ready_row(connected);
		if (i >= 0 || r >= 0)
		{
			if (!OidIsValid(connected))
			{
				connected = i >= 0 ? queue->slots[i].dboid : queue->rows[r].img.dboid;
				/* a FATAL here leaves the database for the next writer to skip */
				queue->connecting = connected;
				BackgroundWorkerInitializeConnectionByOid(connected, BOOTSTRAP_SUPERUSERID, 0);
				queue->connecting = InvalidOid;
			}
			if (i >= 0)
				serve_slot(i);
			else if (pg_atomic_read_u32(&queue->queued) < DV_WAKE_AT)
			{
				/* gather more rows for one commit, unless a caller waits */
				(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 DV_GATHER, PG_WAIT_EXTENSION);
				ResetLatch(MyLatch);
				CHECK_FOR_INTERRUPTS();
				if (ready_slot(connected) >= 0)
					continue;
			}
			serve_rows(connected);
			idle_since = GetCurrentTimestamp();
			continue;
		}
		/*
		 * Done with this database: started again at once, when it has been
		 * idle a moment (busy searches keep it), or a row of another one
		 * waits.
		 */
		if (OidIsValid(connected) &&
			(ready_slot(InvalidOid) >= 0 || ready_row(InvalidOid) >= 0 ||
			 TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), DV_WRITER_IDLE)))
			proc_exit(1);
		/*
		 * Asleep, any new row wakes us: say so, then look once more (a
		 * caller that queued before it saw the flag is seen here).
		 */
		pg_atomic_write_u32(&queue->writer_sleeps, 1);
		pg_memory_barrier();
		if (ready_slot(connected) < 0 && ready_row(connected) < 0)
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 OidIsValid(connected) ? DV_WRITER_IDLE : 1000, PG_WAIT_EXTENSION);
		pg_atomic_write_u32(&queue->writer_sleeps, 0);
	}
}

static Size
queue_size(void)
{
	return MAXALIGN(sizeof(DvWriterQueue)) + dv_spool_shmem_size();
}

static void
queue_request(void)
{
	if (prev_shmem_request)
		prev_shmem_request();
	RequestAddinShmemSpace(queue_size());
	dv_spool_request();
}

static void
queue_startup(void)
{
	bool		found;

	if (prev_shmem_startup)
		prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	queue = ShmemInitStruct("dvflag audit writer queue", queue_size(), &found);
	if (!found)
	{
		pg_atomic_init_u32(&queue->writer_procno, 0);
		for (int i = 0; i < DV_QUEUE_SLOTS; i++)
			pg_atomic_init_u32(&queue->slots[i].state, DV_SLOT_FREE);
		pg_atomic_init_u32(&queue->next_row, 0);
		pg_atomic_init_u32(&queue->queued, 0);
		pg_atomic_init_u32(&queue->writer_sleeps, 0);
		pg_atomic_init_u64(&queue->rows_lost, 0);
		queue->connecting = InvalidOid;
		for (int i = 0; i < DV_ASYNC_SLOTS; i++)
			pg_atomic_init_u32(&queue->rows[i].state, DV_SLOT_FREE);
	}
	dv_spool_startup((char *) queue + MAXALIGN(sizeof(DvWriterQueue)), found);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * From _PG_init, when dvflag is preloaded: the queue in shared memory, and
 * the reserved writer, registered now so that its slot of
 * max_worker_processes is its own.
 */
void
dv_durable_init(void)
{
	BackgroundWorker worker;

	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request = shmem_request_hook;
	shmem_request_hook = queue_request;
	prev_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = queue_startup;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 0;	/* at once: it exits to change databases */
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dvflag");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dvflag_reserved_writer_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dvflag audit writer");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dvflag audit writer");
	RegisterBackgroundWorker(&worker);
}
