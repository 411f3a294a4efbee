/* tmpdir.c: see tmpdir.h. */
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tmpdir_new(const char *what)
{
	char path[256];
	snprintf(path, sizeof path, "/tmp/wfmon-%s-XXXXXX", what);
	char *dir = mkdtemp(path) != NULL ? strdup(path) : NULL;
	if (dir == NULL) {
		perror("tmpdir_new");
		abort();
	}
	return dir;
}

void tmpdir_free(char *dir)
{
	char cmd[320];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "tmpdir_free: cannot remove %s\n", dir);
		abort();
	}
	free(dir);
}
