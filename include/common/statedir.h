/* statedir.h: where wfmon's programs keep state between runs (the outbox of
 * wfmon run, wfmon-bullmq's stream positions), and making such folders.
 *
 * $XDG_STATE_HOME/wfmon when that is an absolute path, else
 * $HOME/.local/state/wfmon (the password database's home when HOME is unset,
 * /tmp when there is none). Folders are made with mode 0700: what is kept
 * there may name jobs and hold their output. */
#ifndef WFMON_STATEDIR_H
#define WFMON_STATEDIR_H

#include <stddef.h>

/* "<state dir>/sub" into buf (cut to fit len). */
void statedir_path(const char *sub, char *buf, size_t len);

/* mkdir -p dir with mode 0700 for what it makes; with parents_only, the
 * folders above dir's last part only (dir is then a file's path). 0, or -1
 * with errno. */
int statedir_make(const char *dir, int parents_only);

#endif
