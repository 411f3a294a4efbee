/* outbox.h: reports that could not reach wfmond, kept on disk until a later
 * wfmon run, step or emit sends them.
 *
 * One file per report, NAME.ndjson (one event a line), written whole (a
 * temporary file synced and renamed) with mode 0600 in a folder of mode 0700:
 * $WFMON_OUTBOX, else $XDG_STATE_HOME/wfmon/outbox, else
 * ~/.local/state/wfmon/outbox. Bounded: at most OUTBOX_MAX_FILES files and
 * OUTBOX_MAX_BYTES bytes; past that a report is refused (and the caller says
 * it was dropped). Events keep their ids, so sending a file twice is
 * harmless. */
#ifndef WFMON_OUTBOX_H
#define WFMON_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#define OUTBOX_MAX_FILES 200
#define OUTBOX_MAX_BYTES (16 * 1024 * 1024)
#define OUTBOX_PATH_MAX 4096

struct publisher;

/* The folder (not created). */
void outbox_dir(char *buf, size_t len);
/* Saves texts (compact JSON events) as NAME.ndjson; 0 with the file's path in
 * path_out, or -1 with a cause (the bounds, or the disk). */
int outbox_save(const char *dir, const char *name, char *const *texts, size_t n, char *path_out, size_t pathlen,
		char *cause, size_t causelen);

/* Files being sent again: each remembered with the sequence number of its
 * last event, so that it is deleted once the daemon settled that far.
 * Large: allocate it. */
struct outbox_resend {
	size_t n;
	char paths[OUTBOX_MAX_FILES][OUTBOX_PATH_MAX];
	uint64_t last_seq[OUTBOX_MAX_FILES];
	size_t events;
	uint64_t max_seq;          /* the last sequence number of any of them */
};
/* Queues every saved report's events on p, oldest file first (stopping when
 * p is full); unreadable lines are skipped with a warning. */
void outbox_queue(const char *dir, struct publisher *p, struct outbox_resend *r);
/* Deletes the files whose events are all settled; returns how many. */
size_t outbox_settle(struct outbox_resend *r, const struct publisher *p);

#endif
