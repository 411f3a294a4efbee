/* outbox.c: reports kept on disk (see outbox.h).
 *
 * Invariants: a file in the folder is whole (written to NAME.tmp, synced,
 * renamed); only files named *.ndjson are read; a file is deleted only when
 * every event it holds was settled by the daemon. */
#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "publisher.h"
#include "statedir.h"
#include "xalloc.h"

#define LINE_MAX_BYTES (2 * 1024 * 1024)

void outbox_dir(char *buf, size_t len)
{
	const char *env = getenv("WFMON_OUTBOX");
	if (env != NULL && env[0] != '\0') {
		snprintf(buf, len, "%s", env);
		return;
	}
	statedir_path("outbox", buf, len);
}

static int is_report(const char *name)
{
	size_t n = strlen(name);
	return n > 7 && strcmp(name + n - 7, ".ndjson") == 0 && name[0] != '.';
}

/* How many reports and bytes the folder holds. */
static void usage(const char *dir, size_t *files, uint64_t *bytes)
{
	*files = 0;
	*bytes = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char path[OUTBOX_PATH_MAX];
		if (!is_report(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (stat(path, &st) == 0) {
			(*files)++;
			*bytes += (uint64_t)st.st_size;
		}
	}
	closedir(d);
}

int outbox_save(const char *dir, const char *name, char *const *texts, size_t n, char *path_out, size_t pathlen,
		char *cause, size_t causelen)
{
	if (statedir_make(dir, 0) < 0) {
		snprintf(cause, causelen, "cannot make the outbox folder %s: %s", dir, strerror(errno));
		return -1;
	}
	size_t files;
	uint64_t bytes, mine = 0;
	usage(dir, &files, &bytes);
	for (size_t i = 0; i < n; i++)
		mine += strlen(texts[i]) + 1;
	if (files + 1 > OUTBOX_MAX_FILES || bytes + mine > OUTBOX_MAX_BYTES) {
		snprintf(cause, causelen, "the outbox %s is full (%zu reports, %llu bytes; at most %d and %d)", dir,
			 files, (unsigned long long)bytes, OUTBOX_MAX_FILES, OUTBOX_MAX_BYTES);
		return -1;
	}
	char tmp[OUTBOX_PATH_MAX + 8];
	snprintf(path_out, pathlen, "%s/%s.ndjson", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(cause, causelen, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t len = strlen(texts[i]);
		if (write(fd, texts[i], len) != (ssize_t)len || write(fd, "\n", 1) != 1)
			rc = -1;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -1;
	int e = errno;
	close(fd);
	if (rc == 0 && rename(tmp, path_out) < 0) {
		rc = -1;
		e = errno;
	}
	if (rc < 0) {
		unlink(tmp);
		snprintf(cause, causelen, "cannot write %s: %s", path_out, strerror(e));
	}
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void outbox_queue(const char *dir, struct publisher *p, struct outbox_resend *r)
{
	memset(r, 0, sizeof *r);
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	char *names[OUTBOX_MAX_FILES];
	size_t nnames = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && nnames < OUTBOX_MAX_FILES)
		if (is_report(e->d_name))
			names[nnames++] = xstrdup(e->d_name);
	closedir(d);
	qsort(names, nnames, sizeof *names, name_cmp);
	char *line = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < nnames; i++) {
		char path[OUTBOX_PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		uint64_t last = 0;
		bool full = false;
		ssize_t len;
		int lineno = 0;
		while (!full && (len = getline(&line, &cap, f)) > 0) {
			lineno++;
			if (len > LINE_MAX_BYTES)
				continue;
			json_t *ev = json_loadb(line, (size_t)len, 0, NULL);
			if (!json_is_object(ev)) {
				log_warn("outbox %s line %d is not an event: skipped", path, lineno);
				json_decref(ev);
				continue;
			}
			uint64_t seq = publisher_add(p, ev);
			if (seq == 0)
				full = true;
			else {
				last = seq;
				r->max_seq = seq;
				r->events++;
			}
		}
		fclose(f);
		if (full)
			break;   /* the rest waits for another time; this file is not settled */
		snprintf(r->paths[r->n], sizeof r->paths[r->n], "%s", path);
		r->last_seq[r->n++] = last;
	}
	free(line);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
}

size_t outbox_settle(struct outbox_resend *r, const struct publisher *p)
{
	size_t done = 0;
	uint64_t settled = publisher_settled_through(p);
	for (size_t i = 0; i < r->n; i++) {
		if (r->paths[i][0] == '\0' || r->last_seq[i] > settled)
			continue;
		if (unlink(r->paths[i]) == 0)
			done++;
		r->paths[i][0] = '\0';
	}
	return done;
}
