/* tmpdir.h: a private temporary folder for a unit test, removed with
 * everything in it. Both abort the test program when they fail. */
#ifndef WFMON_TEST_TMPDIR_H
#define WFMON_TEST_TMPDIR_H

/* A new folder /tmp/wfmon-<what>-XXXXXX (malloc'd path). */
char *tmpdir_new(const char *what);
/* Removes it and what it holds, frees the path. */
void tmpdir_free(char *dir);

#endif
