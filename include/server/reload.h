/* reload.h: applying a changed configuration while wfmond serves (SIGHUP).
 *
 * The sequence is in reload.c, in one function: build the next configuration
 * from the same sources as start-up, check it, keep the running value of what
 * only a restart can change, prepare every reloadable piece without touching
 * the running ones, then either swap everything or keep everything. No
 * connection is dropped either way. Loop thread only. */
#ifndef WFMON_RELOAD_H
#define WFMON_RELOAD_H

struct server;

/* Returns 0 when the new configuration runs, -1 when the running one was
 * kept; either way the outcome and what changed (or why nothing did) is
 * logged. */
int reload_config(struct server *s);

#endif
