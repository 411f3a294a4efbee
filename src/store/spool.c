/* spool.c: the segment files of the store's on-disk queue (see spool.h).
 *
 * Invariants: segs[] lists the files on disk in ascending number; the read
 * cursor is always inside segs[0] (cur_off <= segs[0].size), because consume
 * deletes every segment the cursor has left; only the last segment is ever
 * appended to (wfd), and an unsynced segment is synced before it is left for a
 * new one, so one spool_sync covers everything appended; `bytes` is the sum of
 * the segment sizes and `pending` the number of records after the cursor. */
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

#include "log.h"
#include "xalloc.h"

struct seg {
	uint32_t num;
	uint64_t size;
};

struct spool {
	char *dir;
	size_t segment_max;
	struct seg *segs;
	size_t nsegs, capsegs;
	uint32_t next_num;
	int wfd;                 /* the last segment, open for appending, or -1 */
	int lockfd;              /* DIR/lock, held exclusively while open */
	bool dirty;              /* appended since the last sync */
	uint64_t cur_off;        /* read cursor in segs[0] */
	uint64_t bytes, pending;
	char *rbuf;              /* payloads of the last read */
	size_t rcap;
	struct spool_record *recs;
	size_t reccap;
};

static int fail(char *cause, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *cause, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- crc32 (IEEE 802.3, reflected, as zlib computes it) ------------------- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_of(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
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

/* Deletes segs[0] from disk and from the list. */
static void segs_drop_first(struct spool *sp)
{
	if (sp->nsegs == 1 && sp->wfd >= 0) {
		close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
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

/* Reads a whole segment and checks its records; a torn or corrupt record and
 * everything after it is cut off. Returns the good size, or -1. */
static int64_t seg_recover(struct spool *sp, uint32_t num,
			   void (*on_record)(const char *, uint32_t, void *), void *arg,
			   char *cause, size_t causelen)
{
	char *path = seg_path(sp, num);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	struct stat st;
	unsigned char *buf = NULL;
	int64_t result = -1;
	if (fstat(fd, &st) != 0) {
		fail(cause, causelen, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	size_t size = (size_t)st.st_size;
	buf = malloc(size ? size : 1);
	if (buf == NULL) {
		fail(cause, causelen, "%s is too large to read (%zu bytes)", path, size);
		goto out;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = pread(fd, buf + got, size - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fail(cause, causelen, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "short read");
			goto out;
		}
		got += (size_t)r;
	}
	size_t off = 0;
	uint64_t records = 0;
	const char *why = NULL;
	while (off < size) {
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
		if (on_record)
			on_record((const char *)buf + off + SPOOL_HEADER, len, arg);
		records++;
		off += SPOOL_HEADER + len;
	}
	if (why != NULL) {
		log_warn("spool: %s: %s at offset %zu: cutting off %zu bytes", path, why, off, size - off);
		if (ftruncate(fd, (off_t)off) != 0 || fsync(fd) != 0) {
			fail(cause, causelen, "cannot truncate %s: %s", path, strerror(errno));
			goto out;
		}
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
	pthread_once(&crc_once, crc_init);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(cause, causelen, "cannot create spool folder %s: %s", dir, strerror(errno));
	/* One daemon per spool: two appending to the same segments would
	 * interleave records and each would write the other's events again. */
	char lockpath[PATH_MAX];
	snprintf(lockpath, sizeof lockpath, "%s/lock", dir);
	int lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0)
		return fail(cause, causelen, "cannot create %s: %s", lockpath, strerror(errno));
	if (flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
		close(lockfd);
		return fail(cause, causelen,
			    "spool folder %s is in use by another wfmond: stop it, or give this one its own --spool-dir",
			    dir);
	}
	DIR *d = opendir(dir);
	if (d == NULL) {
		close(lockfd);
		return fail(cause, causelen, "cannot open spool folder %s: %s", dir, strerror(errno));
	}
	struct spool *sp = xcalloc(1, sizeof *sp);
	sp->lockfd = lockfd;
	sp->dir = xstrdup(dir);
	sp->segment_max = segment_max ? segment_max : SPOOL_SEGMENT_MAX;
	sp->wfd = -1;
	sp->next_num = 1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		uint32_t num;
		if (seg_name_parse(de->d_name, &num))
			segs_push(sp, num, 0);
	}
	closedir(d);
	if (sp->nsegs > 1)
		qsort(sp->segs, sp->nsegs, sizeof *sp->segs, cmp_seg);

	size_t keep = 0;
	for (size_t i = 0; i < sp->nsegs; i++) {
		uint32_t num = sp->segs[i].num;
		if (num >= sp->next_num)
			sp->next_num = num + 1;
		int64_t size = seg_recover(sp, num, on_record, arg, cause, causelen);
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
		sp->segs[keep].num = num;
		sp->segs[keep].size = (uint64_t)size;
		sp->bytes += (uint64_t)size;
		keep++;
	}
	sp->nsegs = keep;
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
	if (sp->lockfd >= 0)
		close(sp->lockfd);   /* releases the lock */
	free(sp->dir);
	free(sp->segs);
	free(sp->rbuf);
	free(sp->recs);
	free(sp);
}

/* Opens a new last segment for appending, syncing the one it replaces. */
static int seg_start(struct spool *sp, char *cause, size_t causelen)
{
	if (sp->wfd >= 0) {
		if (sp->dirty && fdatasync(sp->wfd) != 0)
			return fail(cause, causelen, "cannot sync the spool: %s", strerror(errno));
		close(sp->wfd);
		sp->wfd = -1;
		sp->dirty = false;
	}
	uint32_t num = sp->next_num;
	char *path = seg_path(sp, num);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail(cause, causelen, "cannot create %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	/* The new name must survive a crash as much as the records in it. */
	if (dir_sync(sp) != 0) {
		close(fd);
		return fail(cause, causelen, "cannot sync the spool folder: %s", strerror(errno));
	}
	sp->next_num++;
	sp->wfd = fd;
	segs_push(sp, num, 0);
	return 0;
}

/* Makes sure the last segment is open for appending (after a restart it was
 * only read). */
static int seg_open_last(struct spool *sp, char *cause, size_t causelen)
{
	struct seg *last = &sp->segs[sp->nsegs - 1];
	char *path = seg_path(sp, last->num);
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
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
			return fail(cause, causelen, "a record of %u bytes does not fit the spool",
				    records[i].len);
		total += SPOOL_HEADER + records[i].len;
	}
	if (sp->nsegs == 0 || sp->segs[sp->nsegs - 1].size + total > sp->segment_max) {
		/* A batch larger than a segment still goes into one (fresh) segment. */
		if (sp->nsegs == 0 || sp->segs[sp->nsegs - 1].size > 0) {
			if (seg_start(sp, cause, causelen) != 0)
				return -1;
		}
	}
	if (sp->wfd < 0 && seg_open_last(sp, cause, causelen) != 0)
		return -1;
	unsigned char *buf = malloc(total);
	if (buf == NULL)
		return fail(cause, causelen, "no memory for a spool write of %zu bytes", total);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		put_u32(buf + off, records[i].len);
		put_u32(buf + off + 4, crc32_of(records[i].payload, records[i].len));
		memcpy(buf + off + SPOOL_HEADER, records[i].payload, records[i].len);
		off += SPOOL_HEADER + records[i].len;
	}
	struct seg *last = &sp->segs[sp->nsegs - 1];
	size_t done = 0;
	int rc = 0;
	while (done < total) {
		ssize_t w = write(sp->wfd, buf + done, total - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = fail(cause, causelen, "cannot write the spool: %s",
				  w < 0 ? strerror(errno) : "nothing written");
			/* Cut off the partial batch so the file holds whole records only. */
			if (ftruncate(sp->wfd, (off_t)last->size) != 0)
				log_error("spool: cannot cut off a partial write: %s", strerror(errno));
			break;
		}
		done += (size_t)w;
	}
	free(buf);
	if (rc != 0)
		return -1;
	last->size += total;
	sp->bytes += total;
	sp->pending += n;
	sp->dirty = true;
	return 0;
}

int spool_sync(struct spool *sp, char *cause, size_t causelen)
{
	if (sp->wfd < 0 || !sp->dirty)
		return 0;
	if (fdatasync(sp->wfd) != 0)
		return fail(cause, causelen, "cannot sync the spool: %s", strerror(errno));
	sp->dirty = false;
	return 0;
}

/* ---- reading ------------------------------------------------------------- */

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int spool_read(struct spool *sp, size_t max_records, size_t max_bytes, struct spool_batch *out,
	       char *cause, size_t causelen)
{
	memset(out, 0, sizeof *out);
	if (sp->nsegs == 0) {
		out->end_offset = sp->cur_off;
		return 0;
	}
	if (sp->reccap < max_records) {
		sp->reccap = max_records;
		sp->recs = xrealloc(sp->recs, sizeof *sp->recs * sp->reccap);
	}
	size_t *offs = xmalloc(sizeof *offs * (max_records ? max_records : 1));
	size_t used = 0, n = 0;
	size_t si = 0;
	uint64_t off = sp->cur_off;
	int rc = 0;
	while (si < sp->nsegs && n < max_records && (n == 0 || used < max_bytes)) {
		struct seg *sg = &sp->segs[si];
		if (off >= sg->size) {
			if (si + 1 == sp->nsegs)
				break;
			si++;
			off = 0;
			continue;
		}
		char *path = seg_path(sp, sg->num);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			rc = fail(cause, causelen, "cannot open %s: %s", path, strerror(errno));
			free(path);
			break;
		}
		while (off < sg->size && n < max_records && (n == 0 || used < max_bytes)) {
			unsigned char hdr[SPOOL_HEADER];
			if (read_full(fd, hdr, sizeof hdr, off) != 0) {
				rc = fail(cause, causelen, "cannot read %s: %s", path, strerror(errno));
				break;
			}
			uint32_t len = get_u32(hdr), crc = get_u32(hdr + 4);
			if (len == 0 || len > SPOOL_RECORD_MAX || off + SPOOL_HEADER + len > sg->size) {
				log_error("spool: %s: bad record at offset %llu, skipping the rest of the segment",
					  path, (unsigned long long)off);
				off = sg->size;
				break;
			}
			if (used + len > sp->rcap) {
				size_t cap = sp->rcap ? sp->rcap : 65536;
				while (cap < used + len)
					cap *= 2;
				char *nb = realloc(sp->rbuf, cap);
				if (nb == NULL) {
					rc = fail(cause, causelen, "no memory to read the spool");
					break;
				}
				sp->rbuf = nb;
				sp->rcap = cap;
			}
			if (read_full(fd, sp->rbuf + used, len, off + SPOOL_HEADER) != 0) {
				rc = fail(cause, causelen, "cannot read %s: %s", path, strerror(errno));
				break;
			}
			if (crc32_of(sp->rbuf + used, len) != crc) {
				log_error("spool: %s: checksum mismatch at offset %llu, skipping the rest of the segment",
					  path, (unsigned long long)off);
				off = sg->size;
				break;
			}
			offs[n] = used;
			sp->recs[n].len = len;
			n++;
			used += len;
			off += SPOOL_HEADER + len;
		}
		close(fd);
		free(path);
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		free(offs);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		sp->recs[i].payload = sp->rbuf + offs[i];
	free(offs);
	out->records = sp->recs;
	out->n = n;
	out->end_segment = sp->segs[si < sp->nsegs ? si : sp->nsegs - 1].num;
	out->end_offset = off;
	return 0;
}

void spool_consume(struct spool *sp, const struct spool_batch *batch)
{
	sp->pending -= batch->n < sp->pending ? batch->n : sp->pending;
	while (sp->nsegs > 0 && sp->segs[0].num < batch->end_segment)
		segs_drop_first(sp);
	if (sp->nsegs > 0) {
		if (sp->segs[0].num == batch->end_segment)
			sp->cur_off = batch->end_offset;
		/* A segment read to its end goes too, even the one being appended
		 * to: the next append starts a fresh one. */
		if (sp->cur_off >= sp->segs[0].size)
			segs_drop_first(sp);
	}
	/* Records skipped as corrupt were never counted out one by one. */
	if (sp->nsegs == 0)
		sp->pending = 0;
}

uint64_t spool_bytes(const struct spool *sp) { return sp->bytes; }
uint64_t spool_pending(const struct spool *sp) { return sp->pending; }
size_t spool_segments(const struct spool *sp) { return sp->nsegs; }
