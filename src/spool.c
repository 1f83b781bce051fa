/*
 * spool.c — the queued audit rows, on disk until they are in the table.
 *
 * An audited read (a disaster search) hands its row to the audit writer
 * through shared memory (durable.c), which a crash of the server empties.
 * So each queued row is first appended to a spool file in the data
 * directory, one write() of one record, as its server-log line is: it then
 * survives the crash of any process, the server's too.  When the server
 * starts again, the writer inserts the rows of the spool files the last
 * run left, each one unless its event is in dvflag.audit already, and
 * then removes those files.  A record is appended before its row is
 * queued, and its row is counted pending until the writer has committed
 * it; a file is removed only when none of its rows is pending.
 *
 * While the server runs, callers append to the file of the current
 * generation; the writer starts a new generation when that file has grown
 * past dvflag.audit_spool_size, and removes the previous one once its rows are all
 * in (at most one previous generation at a time).  Callers take the spool
 * lock shared to append, the writer exclusively to start a generation, so
 * that no caller appends to a file once its rows are counted.
 *
 * The writer's commits do not wait for their WAL to reach the disk
 * (synchronous_commit off): until they have, the rows are in the spool,
 * and a file is removed only after a flush of the WAL.
 *
 * What the spool does not cover: the loss of the operating system's page
 * cache (a power failure before the kernel wrote the file), which the log
 * line does not survive either, and a file the writer cannot remove (it
 * warns; the next start inserts nothing of it twice).
 */
#include "dvflag.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/xlog.h"
#include "common/file_perm.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#define DV_SPOOL_PREFIX "dvflag_audit.spool."
#define DV_SPOOL_MAGIC 0x44565351	/* "DVSQ" */

typedef struct DvSpoolHeader
{
	uint32		magic;
	uint32		len;			/* of the payload */
	pg_crc32c	crc;			/* of the payload */
} DvSpoolHeader;

typedef struct DvSpool
{
	LWLock	   *lock;
	uint64		gen;			/* the file callers append to */
	uint64		prev;			/* the previous one, until its rows are in; 0: none */
	pg_atomic_uint64 size;		/* bytes appended to gen's file */
	pg_atomic_uint32 pending[2];	/* rows appended, not yet written, by gen % 2 */
	/* the files the server's last run left: rec_first .. rec_last */
	uint64		rec_first;
	uint64		rec_last;
	uint64		rec_cur;		/* the one being read; > rec_last: all read */
	off_t		rec_off;
	pg_atomic_uint32 rec_pending;	/* their rows queued, not yet written */
} DvSpool;

static DvSpool *spool = NULL;

int			dv_audit_spool_size = 16 * 1024;	/* kB: dvflag.audit_spool_size */

/* this process's file to append to */
static int	my_fd = -1;
static uint64 my_gen = 0;

/* the writer's file being recovered */
static int	rec_fd = -1;
static uint64 rec_fd_gen = 0;

static void
spool_path(char *path, uint64 gen)
{
	snprintf(path, MAXPGPATH, "%s/" DV_SPOOL_PREFIX UINT64_FORMAT, DataDir, gen);
}

Size
dv_spool_shmem_size(void)
{
	return sizeof(DvSpool);
}

/* From the shmem_request hook. */
void
dv_spool_request(void)
{
	RequestNamedLWLockTranche("dvflag audit spool", 1);
}

/*
 * From the shmem_startup hook (AddinShmemInitLock held): the files left by
 * the last run are to be recovered, new rows go to a new generation.
 */
void
dv_spool_startup(void *mem, bool found)
{
	DIR		   *dir;
	struct dirent *de;
	uint64		first = 0,
				last = 0;

	spool = mem;
	if (found)
		return;
	memset(spool, 0, sizeof(DvSpool));
	spool->lock = &(GetNamedLWLockTranche("dvflag audit spool"))->lock;
	dir = AllocateDir(DataDir);
	while ((de = ReadDir(dir, DataDir)) != NULL)
	{
		char	   *end;
		uint64		gen;

		if (strncmp(de->d_name, DV_SPOOL_PREFIX, strlen(DV_SPOOL_PREFIX)) != 0)
			continue;
		gen = strtou64(de->d_name + strlen(DV_SPOOL_PREFIX), &end, 10);
		if (*end != '\0' || gen == 0)
			continue;
		if (first == 0 || gen < first)
			first = gen;
		if (gen > last)
			last = gen;
	}
	FreeDir(dir);
	spool->rec_first = first ? first : 1;
	spool->rec_last = last;
	spool->rec_cur = spool->rec_first;
	spool->rec_off = 0;
	spool->gen = last + 1;
	spool->prev = 0;
	pg_atomic_init_u64(&spool->size, 0);
	pg_atomic_init_u32(&spool->pending[0], 0);
	pg_atomic_init_u32(&spool->pending[1], 0);
	pg_atomic_init_u32(&spool->rec_pending, 0);
}

/*
 * Append one record; false when it could not be (no spool, a full disk):
 * the caller then writes its row itself.  *slot is what to give
 * dv_spool_written() once the row is in.
 */
bool
dv_spool_append(const void *payload, uint32 len, int *slot)
{
	DvSpoolHeader h;
	char	   *buf;
	bool		ok;

	if (spool == NULL)
		return false;
	h.magic = DV_SPOOL_MAGIC;
	h.len = len;
	INIT_CRC32C(h.crc);
	COMP_CRC32C(h.crc, payload, len);
	FIN_CRC32C(h.crc);
	buf = palloc(sizeof(h) + len);
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), payload, len);

	LWLockAcquire(spool->lock, LW_SHARED);
	if (my_gen != spool->gen)
	{
		char		path[MAXPGPATH];

		if (my_fd >= 0)
			close(my_fd);
		spool_path(path, spool->gen);
		my_fd = BasicOpenFilePerm(path, O_WRONLY | O_APPEND | O_CREAT | PG_BINARY, pg_file_create_mode);
		my_gen = my_fd >= 0 ? spool->gen : 0;
	}
	/* one write: records of processes appending at once do not mix */
	ok = my_fd >= 0 && write(my_fd, buf, sizeof(h) + len) == (ssize_t) (sizeof(h) + len);
	if (ok)
	{
		*slot = (int) (my_gen % 2);
		pg_atomic_fetch_add_u32(&spool->pending[*slot], 1);
		pg_atomic_fetch_add_u64(&spool->size, sizeof(h) + len);
	}
	LWLockRelease(spool->lock);
	pfree(buf);
	return ok;
}

/* The writer: n rows of this slot are in the table (or lost, and counted). */
void
dv_spool_written(int slot, uint32 n)
{
	if (spool == NULL || n == 0)
		return;
	if (slot == DV_SPOOL_RECOVERED)
		pg_atomic_fetch_sub_u32(&spool->rec_pending, n);
	else
		pg_atomic_fetch_sub_u32(&spool->pending[slot], n);
}

static void
spool_remove(uint64 gen)
{
	char		path[MAXPGPATH];

	/*
	 * The writer commits without waiting for the WAL flush (its rows are
	 * here meanwhile): the file goes only once those commits are on disk.
	 */
	if (!RecoveryInProgress())
		XLogFlush(GetXLogInsertRecPtr());
	spool_path(path, gen);
	if (unlink(path) != 0 && errno != ENOENT)
		ereport(WARNING,
				(errcode_for_file_access(),
				 errmsg("dvflag audit writer could not remove \"%s\": %m", path),
				 errhint("Its rows are in dvflag.audit; the next start inserts none of them twice.")));
}

/*
 * The writer, between batches: start a new generation when the file is
 * large, remove the previous one and the recovered ones once their rows are
 * all in.
 */
void
dv_spool_maintain(void)
{
	if (spool == NULL)
		return;
	if (spool->prev == 0 && pg_atomic_read_u64(&spool->size) >= (uint64) dv_audit_spool_size * 1024)
	{
		LWLockAcquire(spool->lock, LW_EXCLUSIVE);
		spool->prev = spool->gen;
		spool->gen++;
		pg_atomic_write_u64(&spool->size, 0);
		LWLockRelease(spool->lock);
	}
	if (spool->prev != 0 && pg_atomic_read_u32(&spool->pending[spool->prev % 2]) == 0)
	{
		spool_remove(spool->prev);
		spool->prev = 0;
	}
	if (spool->rec_first <= spool->rec_last && spool->rec_cur > spool->rec_last &&
		pg_atomic_read_u32(&spool->rec_pending) == 0)
	{
		for (uint64 g = spool->rec_first; g <= spool->rec_last; g++)
			spool_remove(g);
		spool->rec_first = spool->rec_last + 1;
	}
}

/* Read exactly len bytes at the recovery position; false at the end. */
static bool
rec_read(void *buf, size_t len)
{
	ssize_t		got = pg_pread(rec_fd, buf, len, spool->rec_off);

	return got == (ssize_t) len;
}

/*
 * The writer: the next record of the files the last run left, into payload
 * (cap bytes); false when there is none left.  A record that does not read
 * whole (a write cut short by a full disk) is skipped up to the next one.
 * The caller queues the record's row with DV_SPOOL_RECOVERED and calls
 * dv_spool_recovered_queued().
 */
bool
dv_spool_recover_next(void *payload, uint32 cap, uint32 *len)
{
	if (spool == NULL)
		return false;
	while (spool->rec_cur <= spool->rec_last)
	{
		DvSpoolHeader h;

		if (rec_fd < 0 || rec_fd_gen != spool->rec_cur)
		{
			char		path[MAXPGPATH];

			if (rec_fd >= 0)
				close(rec_fd);
			spool_path(path, spool->rec_cur);
			rec_fd = BasicOpenFile(path, O_RDONLY | PG_BINARY);
			rec_fd_gen = spool->rec_cur;
			if (rec_fd < 0)
			{
				if (errno != ENOENT)
					ereport(WARNING,
							(errcode_for_file_access(),
							 errmsg("dvflag audit writer could not read \"%s\": %m", path),
							 errhint("The events of its rows are in the server log (\"dvflag audit:\").")));
				spool->rec_cur++;
				spool->rec_off = 0;
				continue;
			}
		}
		if (!rec_read(&h, sizeof(h)))
		{
			close(rec_fd);
			rec_fd = -1;
			spool->rec_cur++;
			spool->rec_off = 0;
			continue;
		}
		if (h.magic == DV_SPOOL_MAGIC && h.len <= cap)
		{
			pg_crc32c	crc;
			off_t		at = spool->rec_off;

			spool->rec_off += sizeof(h);
			if (rec_read(payload, h.len))
			{
				INIT_CRC32C(crc);
				COMP_CRC32C(crc, payload, h.len);
				FIN_CRC32C(crc);
				if (EQ_CRC32C(crc, h.crc))
				{
					spool->rec_off += h.len;
					*len = h.len;
					return true;
				}
			}
			spool->rec_off = at;
		}
		spool->rec_off++;		/* not a record here: look further */
	}
	return false;
}

/* The writer queued a recovered row. */
void
dv_spool_recovered_queued(void)
{
	pg_atomic_fetch_add_u32(&spool->rec_pending, 1);
}

/* Are rows of the last run still to be read from their files? */
bool
dv_spool_recovering(void)
{
	return spool != NULL && spool->rec_cur <= spool->rec_last;
}
