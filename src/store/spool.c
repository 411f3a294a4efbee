/* spool.c: the segment files of the store's on-disk queue (see spool.h).
 *
 * Invariants: segs[] lists the files on disk in ascending number; the read
 * cursor is always inside segs[0] (cur_off <= segs[0].size), because consume
 * deletes every segment the cursor has left, except the last one while it is
 * below segment_max (it is kept for further appends, so that steady traffic
 * costs one fdatasync per group commit and no file creation); only the last
 * segment is ever appended to (wfd), and an unsynced segment is synced before
 * it is left for a new one, so one spool_sync covers everything appended;
 * `bytes` is the sum of the segment sizes, `bytes - cur_off` what is not yet
 * consumed, and `pending` the number of records after the cursor; the
 * CURSOR_FILE names a position (segment, offset) such that every record before
 * it is in PostgreSQL, and every segment numbered below its segment is wholly
 * consumed; next_num is above every segment number that file may name.
 *
 * Exactly once. A record is acknowledged only after the fdatasync of its
 * segment, and its segment is deleted only after the cursor has moved past it
 * (the cursor is written before the segments behind it are unlinked). The
 * cursor is written (pwrite, no fsync) after the transaction that took the
 * batch committed. After kill -9 the page cache still holds the segments and
 * the last cursor written, so start-up resumes exactly at the first record not
 * consumed: acknowledged records not yet in PostgreSQL are replayed once, and
 * records already in PostgreSQL are not, even in a kept segment. The only
 * repeat is a crash between the commit and the cursor write (one batch, as
 * before), or a power loss that loses a cursor write that was not synced (the
 * cursor then names an earlier position); both replay records that are
 * already in PostgreSQL, which wfmon_apply_events absorbs (ON CONFLICT DO
 * NOTHING on (org, event_id, ts), which a replayed record repeats; projections
 * change only for rows actually inserted) and the server's dedup set recognises. A cursor can never
 * name a later position than the data that survived except when an
 * fdatasync failed (those records were not acknowledged); start-up checks it
 * against the recovered records (it must be a record boundary within the good
 * part) and otherwise replays the whole segment, then writes and syncs the
 * cursor again before any append, so that a rejected cursor cannot become
 * plausible later. Without a readable cursor file everything is replayed.
 *
 * Two threads. One appender (spool_append, spool_sync) and one reader
 * (spool_read, spool_consume) work at once, so that acknowledgements never
 * wait for PostgreSQL. `mu` guards the shared picture: segs, bytes, pending,
 * cur_off. The appender alone owns the write side (wfd, wnum, wsize and what
 * it has written but not synced); the reader alone owns the read side (rfd,
 * rbuf, the cursor file). Neither does file I/O on the other's descriptors:
 * the reader may unlink the appender's segment once it is full and consumed,
 * and the appender then starts a new one. The reader sees a record only once
 * it is synced: a segment's size in segs is what has been made durable
 * (`wsize` may be larger until the next sync), so nothing unacknowledged is
 * ever consumed, and a segment with unsynced records is never deleted. */
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "cause.h"
#include "log.h"
#include "xalloc.h"

struct seg {
	uint32_t num;
	uint64_t size;
};

#define CURSOR_FILE "consumed"
#define CURSOR_SIZE 16   /* [u32 segment][u64 offset][u32 crc32 of the 12 before] LE */

struct spool {
	char *dir;
	size_t segment_max;
	int lockfd;              /* DIR/lock, held exclusively while open */

	pthread_mutex_t mu;      /* guards the four below */
	struct seg *segs;        /* sizes: what is synced */
	size_t nsegs, capsegs;
	uint64_t cur_off;        /* read cursor in segs[0] */
	uint64_t bytes, pending;

	/* the appender's */
	uint32_t next_num;
	int wfd;                 /* segment wnum, open for appending, or -1 */
	uint32_t wnum;           /* the segment appended to (0: none yet) */
	uint64_t wsize;          /* its size on disk, synced or not */
	uint64_t wrecords;       /* records appended since the last sync */
	bool dirty;              /* appended since the last sync */

	/* the reader's */
	struct seg *rsegs;       /* a copy of segs from the cursor on, for one read */
	size_t caprsegs;
	int curfd;               /* DIR/CURSOR_FILE, or -1 */
	uint32_t saved_seg;      /* what curfd holds */
	uint64_t saved_off;
	bool cursor_dirty;       /* written since the last sync */
	bool cursor_failing;     /* the last write failed (logged once) */
	int rfd;                 /* segment rnum open for reading, or -1 */
	uint32_t rnum;
	char *rbuf;              /* segment bytes (headers and payloads) of the last read */
	size_t rcap;
	struct spool_record *recs;
	size_t *roffs;           /* payload offsets in rbuf while reading */
	size_t reccap;
};

/* CRC-32 (IEEE 802.3) of the payload, as zlib computes it. */
static uint32_t crc32_of(const void *data, size_t len)
{
	/* zlib's length is a uInt: a record is at most SPOOL_RECORD_MAX. */
	return (uint32_t)crc32(0L, data, (uInt)len);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xFF;
	p[1] = (v >> 8) & 0xFF;
	p[2] = (v >> 16) & 0xFF;
	p[3] = (v >> 24) & 0xFF;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- files --------------------------------------------------------------- */

static char *seg_path(const struct spool *sp, uint32_t num)
{
	return xasprintf("%s/%08u.spool", sp->dir, num);
}

static bool seg_name_parse(const char *name, uint32_t *num)
{
	if (strlen(name) != 14 || strcmp(name + 8, ".spool") != 0)
		return false;
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	*num = v;
	return true;
}

static int dir_sync(const struct spool *sp)
{
	int fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int cmp_seg(const void *a, const void *b)
{
	uint32_t x = ((const struct seg *)a)->num, y = ((const struct seg *)b)->num;
	return x < y ? -1 : x > y;
}

static void segs_push(struct spool *sp, uint32_t num, uint64_t size)
{
	if (sp->nsegs == sp->capsegs) {
		sp->capsegs = sp->capsegs ? sp->capsegs * 2 : 8;
		sp->segs = xrealloc(sp->segs, sizeof *sp->segs * sp->capsegs);
	}
	sp->segs[sp->nsegs].num = num;
	sp->segs[sp->nsegs].size = size;
	sp->nsegs++;
}

/* Deletes segs[0] from disk and from the list (the reader, mu held). The
 * appender's descriptor is the appender's to close: it notices the segment
 * has gone at its next append. */
static void segs_drop_first(struct spool *sp)
{
	if (sp->rfd >= 0 && sp->rnum == sp->segs[0].num) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	char *path = seg_path(sp, sp->segs[0].num);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("spool: cannot delete %s: %s", path, strerror(errno));
	free(path);
	sp->bytes -= sp->segs[0].size;
	memmove(sp->segs, sp->segs + 1, sizeof *sp->segs * (sp->nsegs - 1));
	sp->nsegs--;
	sp->cur_off = 0;
}

/* Drops wholly consumed segments at the front: any that is no longer the
 * last, and the last too once it is full (the next append would leave it). */
static void segs_trim(struct spool *sp)
{
	while (sp->nsegs > 0 && sp->cur_off >= sp->segs[0].size &&
	       (sp->nsegs > 1 || sp->segs[0].size >= sp->segment_max))
		segs_drop_first(sp);
}

/* ---- the consumed position ------------------------------------------------ */

static bool cursor_load(struct spool *sp, uint32_t *seg, uint64_t *off)
{
	unsigned char buf[CURSOR_SIZE];
	ssize_t r;
	do
		r = pread(sp->curfd, buf, sizeof buf, 0);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)sizeof buf)
		return false;
	if (crc32_of(buf, 12) != get_u32(buf + 12)) {
		log_warn("spool: %s/%s is damaged: replaying every segment", sp->dir, CURSOR_FILE);
		return false;
	}
	*seg = get_u32(buf);
	*off = (uint64_t)get_u32(buf + 4) | (uint64_t)get_u32(buf + 8) << 32;
	return true;
}

/* Writes the position (not synced: see the top of the file). */
static int cursor_store(struct spool *sp, uint32_t seg, uint64_t off)
{
	if (sp->curfd < 0)
		return -1;
	if (seg == sp->saved_seg && off == sp->saved_off)
		return 0;
	unsigned char buf[CURSOR_SIZE];
	put_u32(buf, seg);
	put_u32(buf + 4, (uint32_t)off);
	put_u32(buf + 8, (uint32_t)(off >> 32));
	put_u32(buf + 12, crc32_of(buf, 12));
	ssize_t w;
	do
		w = pwrite(sp->curfd, buf, sizeof buf, 0);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)sizeof buf) {
		/* The position on disk stays behind: a restart replays a little
		 * more, which PostgreSQL absorbs. */
		if (!sp->cursor_failing)
			log_warn("spool: cannot write %s/%s: %s", sp->dir, CURSOR_FILE,
				 w < 0 ? strerror(errno) : "short write");
		sp->cursor_failing = true;
		return -1;
	}
	sp->cursor_failing = false;
	sp->saved_seg = seg;
	sp->saved_off = off;
	sp->cursor_dirty = true;
	return 0;
}

/* Reads a whole segment and checks its records; a torn or corrupt record and
 * everything after it is cut off. *skip is the consumed position in it: the
 * records before it are neither counted nor shown; if it is not the start of
 * a good record (or the good end), it is set to 0 and the whole segment is
 * replayed. Returns the good size, or -1. */
static int64_t seg_recover(struct spool *sp, uint32_t num, uint64_t *skip,
			   void (*on_record)(const char *, uint32_t, void *), void *arg,
			   char *cause, size_t causelen)
{
	char *path = seg_path(sp, num);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		cause_fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	struct stat st;
	unsigned char *buf = NULL;
	int64_t result = -1;
	if (fstat(fd, &st) != 0) {
		cause_fail(cause, causelen, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	size_t size = (size_t)st.st_size;
	buf = malloc(size ? size : 1);
	if (buf == NULL) {
		cause_fail(cause, causelen, "%s is too large to read (%zu bytes)", path, size);
		goto out;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			cause_fail(cause, causelen, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += (size_t)r;
	}
	size_t off = 0;
	bool skip_ok = *skip == 0;
	const char *why = NULL;
	while (off < size) {
		if (off == *skip)
			skip_ok = true;
		if (size - off < SPOOL_HEADER) {
			why = "torn header";
			break;
		}
		uint32_t len = get_u32(buf + off), crc = get_u32(buf + off + 4);
		if (len == 0 || len > SPOOL_RECORD_MAX) {
			why = "bad length";
			break;
		}
		if (size - off - SPOOL_HEADER < len) {
			why = "torn record";
			break;
		}
		if (crc32_of(buf + off + SPOOL_HEADER, len) != crc) {
			why = "checksum mismatch";
			break;
		}
		off += SPOOL_HEADER + len;
	}
	if (off == *skip)
		skip_ok = true;
	if (!skip_ok) {
		log_warn("spool: %s: the consumed position %llu is not a record boundary of the %zu good bytes: replaying the whole segment",
			 path, (unsigned long long)*skip, off);
		*skip = 0;
	}
	if (why != NULL) {
		log_warn("spool: %s: %s at offset %zu: cutting off %zu bytes", path, why, off, size - off);
		if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
			cause_fail(cause, causelen, "cannot truncate %s: %s", path, strerror(errno));
			goto out;
		}
	}
	/* The good records after the consumed position, as checked above. */
	uint64_t records = 0;
	for (size_t o = (size_t)*skip; o < off; o += SPOOL_HEADER + get_u32(buf + o)) {
		if (on_record)
			on_record((const char *)buf + o + SPOOL_HEADER, get_u32(buf + o), arg);
		records++;
	}
	sp->pending += records;
	result = (int64_t)off;
out:
	free(buf);
	close(fd);
	free(path);
	return result;
}

int spool_open(const char *dir, size_t segment_max,
	       void (*on_record)(const char *payload, uint32_t len, void *arg), void *arg,
	       struct spool **out, char *cause, size_t causelen)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cause_fail(cause, causelen, "cannot create spool folder %s: %s", dir, strerror(errno));
	/* One daemon per spool: two appending to the same segments would
	 * interleave records and each would write the other's events again. */
	char lockpath[PATH_MAX];
	snprintf(lockpath, sizeof lockpath, "%s/lock", dir);
	int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0)
		return cause_fail(cause, causelen, "cannot create %s: %s", lockpath, strerror(errno));
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		close(lockfd);
		return cause_fail(cause, causelen,
			    "spool folder %s is in use by another wfmond: stop it, or give this one its own --spool-dir",
			    dir);
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		close(lockfd);
		return cause_fail(cause, causelen, "cannot open spool folder %s: %s", dir, strerror(errno));
	}
	struct spool *sp = xcalloc(1, sizeof *sp);
	sp->lockfd = lockfd;
	sp->dir = xstrdup(dir);
	sp->segment_max = segment_max ? segment_max : SPOOL_SEGMENT_MAX;
	sp->wfd = -1;
	sp->rfd = -1;
	sp->next_num = 1;
	pthread_mutex_init(&sp->mu, NULL);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint32_t num;
		if (seg_name_parse(de->d_name, &num))
			segs_push(sp, num, 0);
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof *sp->segs, cmp_seg);

	char curpath[PATH_MAX];
	snprintf(curpath, sizeof curpath, "%s/%s", dir, CURSOR_FILE);
	sp->curfd = open(curpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->curfd < 0) {
		cause_fail(cause, causelen, "cannot open %s: %s", curpath, strerror(errno));
		spool_close(sp);
		return -1;
	}
	uint32_t cseg = 0;
	uint64_t coff = 0;
	bool have_cursor = cursor_load(sp, &cseg, &coff);
	/* New segments must come after the one the cursor names, even if it is
	 * gone: a segment numbered below it would count as consumed. */
	if (have_cursor && cseg >= sp->next_num)
		sp->next_num = cseg + 1;

	size_t keep = 0;
	for (size_t i = 0; i < sp->nsegs; i++) {
		uint32_t num = sp->segs[i].num;
		if (num >= sp->next_num)
			sp->next_num = num + 1;
		if (have_cursor && num < cseg) {
			/* Consumed; its deletion was not made durable. */
			char *path = seg_path(sp, num);
			unlink(path);
			free(path);
			continue;
		}
		uint64_t skip = have_cursor && num == cseg ? coff : 0;
		int64_t size = seg_recover(sp, num, &skip, on_record, arg, cause, causelen);
		if (size < 0) {
			spool_close(sp);
			return -1;
		}
		if (size == 0) {
			char *path = seg_path(sp, num);
			unlink(path);
			free(path);
			continue;
		}
		if (keep == 0)
			sp->cur_off = skip;   /* only the cursor's segment has one */
		sp->segs[keep].num = num;
		sp->segs[keep].size = (uint64_t)size;
		sp->bytes += (uint64_t)size;
		keep++;
	}
	sp->nsegs = keep;
	segs_trim(sp);
	/* The position as checked against what survived, durable before anything
	 * is appended (see the top of the file). */
	sp->saved_seg = UINT32_MAX;   /* not what the file holds: write it */
	sp->saved_off = UINT64_MAX;
	if (cursor_store(sp, sp->nsegs > 0 ? sp->segs[0].num : sp->next_num, sp->cur_off) != 0 ||
	    fdatasync(sp->curfd) != 0) {
		cause_fail(cause, causelen, "cannot write %s: %s", curpath, strerror(errno));
		spool_close(sp);
		return -1;
	}
	sp->cursor_dirty = false;
	/* The appender goes on in the last segment (opened at the first append). */
	if (sp->nsegs > 0) {
		sp->wnum = sp->segs[sp->nsegs - 1].num;
		sp->wsize = sp->segs[sp->nsegs - 1].size;
	}
	*out = sp;
	return 0;
}

void spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->wfd >= 0) {
		if (sp->dirty)
			fdatasync(sp->wfd);
		close(sp->wfd);
	}
	if (sp->rfd >= 0)
		close(sp->rfd);
	if (sp->curfd >= 0) {
		if (sp->cursor_dirty)
			fdatasync(sp->curfd);
		close(sp->curfd);
	}
	if (sp->lockfd >= 0)
		close(sp->lockfd);   /* releases the lock */
	free(sp->dir);
	free(sp->segs);
	free(sp->rsegs);
	free(sp->rbuf);
	free(sp->recs);
	free(sp->roffs);
	pthread_mutex_destroy(&sp->mu);
	free(sp);
}

/* ---- appending (the appender's thread) ------------------------------------ */

/* What was appended is synced: the reader may see it now. */
static void publish_synced(struct spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	if (sp->nsegs > 0 && sp->segs[sp->nsegs - 1].num == sp->wnum) {
		struct seg *last = &sp->segs[sp->nsegs - 1];
		sp->bytes += sp->wsize - last->size;
		last->size = sp->wsize;
		sp->pending += sp->wrecords;
	}
	sp->wrecords = 0;
	pthread_mutex_unlock(&sp->mu);
}

static int wfd_sync(struct spool *sp, char *cause, size_t causelen)
{
	if (sp->wfd < 0 || !sp->dirty)
		return 0;
	if (fdatasync(sp->wfd) != 0)
		return cause_fail(cause, causelen, "cannot sync the spool: %s", strerror(errno));
	sp->dirty = false;
	publish_synced(sp);
	return 0;
}

/* Opens a new last segment for appending, syncing the one it replaces. */
static int seg_start(struct spool *sp, char *cause, size_t causelen)
{
	if (sp->wfd >= 0) {
		if (wfd_sync(sp, cause, causelen) != 0)
			return -1;
		close(sp->wfd);
		sp->wfd = -1;
	}
	uint32_t num = sp->next_num;
	char *path = seg_path(sp, num);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		cause_fail(cause, causelen, "cannot create %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	/* The new name must survive a crash as much as the records in it. */
	if (dir_sync(sp) != 0) {
		close(fd);
		return cause_fail(cause, causelen, "cannot sync the spool folder: %s", strerror(errno));
	}
	sp->next_num++;
	sp->wfd = fd;
	sp->wnum = num;
	sp->wsize = 0;
	/* The one left goes at the reader's next consume if it was read to its
	 * end (deleting is the reader's: it may be reading it). */
	pthread_mutex_lock(&sp->mu);
	segs_push(sp, num, 0);
	pthread_mutex_unlock(&sp->mu);
	return 0;
}

/* Makes sure segment wnum is open for appending (after a restart it was
 * only read). */
static int seg_open_last(struct spool *sp, char *cause, size_t causelen)
{
	char *path = seg_path(sp, sp->wnum);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		cause_fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	sp->wfd = fd;
	return 0;
}

int spool_append(struct spool *sp, const struct spool_record *records, size_t n, char *cause,
		 size_t causelen)
{
	if (n == 0)
		return 0;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (records[i].len == 0 || records[i].len > SPOOL_RECORD_MAX)
			return cause_fail(cause, causelen, "a record of %u bytes does not fit the spool",
				    records[i].len);
		total += SPOOL_HEADER + records[i].len;
	}
	/* The reader deletes a full segment once it has consumed it, the
	 * appender's own included: then a new one is due. */
	pthread_mutex_lock(&sp->mu);
	bool gone = sp->nsegs == 0 || sp->segs[sp->nsegs - 1].num != sp->wnum;
	pthread_mutex_unlock(&sp->mu);
	/* A batch larger than a segment still goes into one (fresh) segment. */
	if (gone || (sp->wsize > 0 && sp->wsize + total > sp->segment_max)) {
		if (seg_start(sp, cause, causelen) != 0)
			return -1;
	}
	if (sp->wfd < 0 && seg_open_last(sp, cause, causelen) != 0)
		return -1;
	unsigned char *buf = malloc(total);
	if (buf == NULL)
		return cause_fail(cause, causelen, "no memory for a spool write of %zu bytes", total);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		put_u32(buf + off, records[i].len);
		put_u32(buf + off + 4, crc32_of(records[i].payload, records[i].len));
		memcpy(buf + off + SPOOL_HEADER, records[i].payload, records[i].len);
		off += SPOOL_HEADER + records[i].len;
	}
	size_t done = 0;
	int rc = 0;
	while (done < total) {
		ssize_t w = write(sp->wfd, buf + done, total - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = cause_fail(cause, causelen, "cannot write the spool: %s",
				  w < 0 ? strerror(errno) : "nothing written");
			/* Cut off the partial batch so the file holds whole records only. */
			if (ftruncate(sp->wfd, (off_t)sp->wsize) != 0)
				log_error("spool: cannot cut off a partial write: %s", strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	free(buf);
	if (rc != 0)
		return -1;
	sp->wsize += total;
	sp->wrecords += n;
	sp->dirty = true;
	return 0;
}

int spool_sync(struct spool *sp, char *cause, size_t causelen)
{
	return wfd_sync(sp, cause, causelen);
}

/* ---- reading ------------------------------------------------------------- */

/* Reads len bytes of segment num from off into rbuf + at, through one file
 * descriptor kept open while the reading stays in that segment. */
static int seg_pread(struct spool *sp, uint32_t num, size_t at, size_t len, uint64_t off, char *cause,
		     size_t causelen)
{
	if (at + len > sp->rcap) {
		size_t cap = sp->rcap ? sp->rcap : 65536;
		while (cap < at + len)
			cap *= 2;
		char *nb = realloc(sp->rbuf, cap);
		if (nb == NULL)
			return cause_fail(cause, causelen, "no memory to read the spool");
		sp->rbuf = nb;
		sp->rcap = cap;
	}
	if (sp->rfd >= 0 && sp->rnum != num) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	if (sp->rfd < 0) {
		char *path = seg_path(sp, num);
		sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
		if (sp->rfd < 0) {
			cause_fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
			free(path);
			return -1;
		}
		free(path);
		sp->rnum = num;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(sp->rfd, sp->rbuf + at + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			char *path = seg_path(sp, num);
			cause_fail(cause, causelen, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
			free(path);
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static void bad_record(const struct spool *sp, uint32_t num, uint64_t off, const char *what)
{
	char *path = seg_path(sp, num);
	log_error("spool: %s: %s at offset %llu, skipping the rest of the segment", path, what,
		  (unsigned long long)off);
	free(path);
}

/* One pread per segment (of what is left in it, up to the byte budget); the
 * records are parsed from that buffer. Only a first record larger than the
 * budget needs a second pread. rbuf keeps the records as on disk, headers
 * included: a batch takes at most max_bytes of it, or one record. */
int spool_read(struct spool *sp, size_t max_records, size_t max_bytes, struct spool_batch *out,
	       char *cause, size_t causelen)
{
	memset(out, 0, sizeof *out);
	/* The synced picture now; the appender may add to it meanwhile. */
	pthread_mutex_lock(&sp->mu);
	size_t nsegs = sp->nsegs;
	uint64_t cur_off = sp->cur_off;
	if (nsegs > sp->caprsegs) {
		sp->caprsegs = nsegs;
		sp->rsegs = xrealloc(sp->rsegs, sizeof *sp->rsegs * nsegs);
	}
	if (nsegs > 0)
		memcpy(sp->rsegs, sp->segs, sizeof *sp->segs * nsegs);
	pthread_mutex_unlock(&sp->mu);
	if (nsegs == 0) {
		out->end_offset = cur_off;
		return 0;
	}
	if (sp->reccap < max_records) {
		sp->reccap = max_records;
		sp->recs = xrealloc(sp->recs, sizeof *sp->recs * sp->reccap);
		sp->roffs = xrealloc(sp->roffs, sizeof *sp->roffs * sp->reccap);
	}
	size_t used = 0, n = 0, need = 0;
	size_t si = 0;
	uint64_t off = cur_off;
	while (n < max_records && (n == 0 || used < max_bytes)) {
		struct seg *sg = &sp->rsegs[si];
		if (off >= sg->size) {
			if (si + 1 == nsegs)
				break;
			si++;
			off = 0;
			continue;
		}
		uint64_t left = sg->size - off;
		size_t want = used < max_bytes ? max_bytes - used : 0;
		if (want < need)
			want = need;
		if (want < SPOOL_HEADER)
			want = SPOOL_HEADER;
		if (want > left)
			want = (size_t)left;
		need = 0;
		if (seg_pread(sp, sg->num, used, want, off, cause, causelen) != 0)
			return -1;
		const unsigned char *c = (const unsigned char *)sp->rbuf + used;
		size_t p = 0;   /* c + p is at segment offset off */
		bool stop = false;
		while (p < want && n < max_records && (n == 0 || used < max_bytes)) {
			size_t have = want - p;
			if (have < SPOOL_HEADER) {
				if (want == left) {   /* the segment ends inside a header */
					bad_record(sp, sg->num, off, "bad record");
					off = sg->size;
					break;
				}
				/* The budget ends inside a header: the record goes in
				 * the next batch, or is read again whole if it is the
				 * first. */
				if (n > 0)
					stop = true;
				else
					need = SPOOL_HEADER;
				break;
			}
			uint32_t len = get_u32(c + p), crc = get_u32(c + p + 4);
			if (len == 0 || len > SPOOL_RECORD_MAX || off + SPOOL_HEADER + len > sg->size) {
				bad_record(sp, sg->num, off, "bad record");
				off = sg->size;
				break;
			}
			if (have - SPOOL_HEADER < len) {   /* the budget ends inside it */
				if (n > 0)
					stop = true;
				else
					need = SPOOL_HEADER + len;
				break;
			}
			if (crc32_of(c + p + SPOOL_HEADER, len) != crc) {
				bad_record(sp, sg->num, off, "checksum mismatch");
				off = sg->size;
				break;
			}
			sp->roffs[n] = used + SPOOL_HEADER;
			sp->recs[n].len = len;
			n++;
			used += SPOOL_HEADER + len;
			p += SPOOL_HEADER + len;
			off += SPOOL_HEADER + len;
		}
		if (stop)
			break;
	}
	for (size_t i = 0; i < n; i++)
		sp->recs[i].payload = sp->rbuf + sp->roffs[i];
	out->records = sp->recs;
	out->n = n;
	out->end_segment = sp->rsegs[si].num;
	out->end_offset = off;
	return 0;
}

void spool_consume(struct spool *sp, const struct spool_batch *batch)
{
	pthread_mutex_lock(&sp->mu);
	sp->pending -= batch->n < sp->pending ? batch->n : sp->pending;
	if (sp->nsegs == 0) {
		pthread_mutex_unlock(&sp->mu);
		return;
	}
	/* The new position first, then the deletions behind it (see the top). */
	if (batch->end_segment > sp->segs[0].num ||
	    (batch->end_segment == sp->segs[0].num && batch->end_offset > sp->cur_off))
		cursor_store(sp, batch->end_segment, batch->end_offset);
	while (sp->nsegs > 0 && sp->segs[0].num < batch->end_segment)
		segs_drop_first(sp);
	if (sp->nsegs > 0 && sp->segs[0].num == batch->end_segment && batch->end_offset > sp->cur_off)
		sp->cur_off = batch->end_offset;
	/* The segment being appended to stays (the next append goes on in it)
	 * until it is full; the others go once read to their end. */
	segs_trim(sp);
	/* Records skipped as corrupt were never counted out one by one. */
	if (sp->nsegs == 0 || (sp->nsegs == 1 && sp->cur_off >= sp->segs[0].size))
		sp->pending = 0;
	pthread_mutex_unlock(&sp->mu);
}

/* A consistent read of the shared picture. */
static uint64_t spool_read_locked(struct spool *sp, uint64_t (*get)(const struct spool *))
{
	pthread_mutex_lock(&sp->mu);
	uint64_t n = get(sp);
	pthread_mutex_unlock(&sp->mu);
	return n;
}

static uint64_t get_bytes(const struct spool *sp) { return sp->bytes - sp->cur_off; }
static uint64_t get_pending(const struct spool *sp) { return sp->pending; }
static uint64_t get_segments(const struct spool *sp) { return sp->nsegs; }

uint64_t spool_bytes(struct spool *sp) { return spool_read_locked(sp, get_bytes); }
uint64_t spool_pending(struct spool *sp) { return spool_read_locked(sp, get_pending); }
size_t spool_segments(struct spool *sp) { return (size_t)spool_read_locked(sp, get_segments); }
