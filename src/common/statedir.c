/* statedir.c: the state folder and mkdir -p (see statedir.h). Reads the
 * environment; no state of its own. */
#include "statedir.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void statedir_path(const char *sub, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && xdg[0] == '/') {
		snprintf(buf, len, "%s/wfmon/%s", xdg, sub);
		return;
	}
	const char *home = getenv("HOME");
	if (home == NULL || home[0] == '\0') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/tmp";
	}
	snprintf(buf, len, "%s/.local/state/wfmon/%s", home, sub);
}

int statedir_make(const char *dir, int parents_only)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (parents_only)
		return 0;
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}
