/* spool.h: the store's on-disk queue of records not yet in PostgreSQL.
 *
 * Segment files NNNNNNNN.spool in one folder, each a run of records
 * [u32 length LE][u32 crc32 LE][payload]. Appends go to the newest segment
 * with one write per batch; spool_sync makes them durable. A read cursor
 * walks the records in order (oldest first); spool_consume moves it past a
 * batch that is now in PostgreSQL, records the new position in the file
 * "consumed" (so a restart does not replay what was consumed), and deletes
 * every segment wholly behind it; the segment being appended to stays until
 * it reaches the rotation size, so that steady traffic costs one fdatasync
 * per batch and no file creation. At open, every segment is checked: a torn
 * or corrupt tail record is truncated away (and logged), and each good record
 * after the consumed position is shown to a callback.
 *
 * Threads: one appender thread (spool_append, spool_sync) and one reader
 * thread (spool_read, spool_consume) may work at once; spool_bytes,
 * spool_pending and spool_segments may be called from either. A record is
 * visible to the reader (and counted) once spool_sync has made it durable.
 * spool_open and spool_close run alone. */
#ifndef WFMON_SPOOL_H
#define WFMON_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SPOOL_SEGMENT_MAX (16u * 1024 * 1024)  /* default rotation size */
#define SPOOL_RECORD_MAX (8u * 1024 * 1024)    /* larger records are refused */
#define SPOOL_HEADER 8                         /* bytes before each payload */

struct spool;

/* One record of a read batch; payload borrows from the spool until the next
 * spool_read or spool_close. */
struct spool_record {
	const char *payload;
	uint32_t len;
};

struct spool_batch {
	struct spool_record *records;  /* borrowed, n entries */
	size_t n;
	/* where the cursor goes on spool_consume */
	uint32_t end_segment;
	uint64_t end_offset;
};

/* Opens (creating the folder if missing) and recovers. segment_max 0 means
 * SPOOL_SEGMENT_MAX. on_record (may be NULL) sees each good record found. */
int spool_open(const char *dir, size_t segment_max,
	       void (*on_record)(const char *payload, uint32_t len, void *arg), void *arg,
	       struct spool **out, char *cause, size_t causelen);
void spool_close(struct spool *sp);

/* Appends n payloads with one write (not yet durable). On failure nothing is
 * appended (a partial write is cut off again). */
int spool_append(struct spool *sp, const struct spool_record *records, size_t n, char *cause,
		 size_t causelen);
/* fdatasync of what was appended since the last sync. */
int spool_sync(struct spool *sp, char *cause, size_t causelen);

/* Reads up to max_records / about max_bytes from the cursor without moving it. */
int spool_read(struct spool *sp, size_t max_records, size_t max_bytes, struct spool_batch *out,
	       char *cause, size_t causelen);
/* Moves the cursor to the end of batch (from the last spool_read), records
 * it, and deletes the segments it has passed (not the last one while it is
 * below the rotation size). */
void spool_consume(struct spool *sp, const struct spool_batch *batch);

/* Synced bytes after the cursor (0 once drained); the files may hold up to
 * one segment more, already consumed. */
uint64_t spool_bytes(struct spool *sp);
uint64_t spool_pending(struct spool *sp);   /* synced records after the cursor */
size_t spool_segments(struct spool *sp);    /* segment files on disk */

#endif
