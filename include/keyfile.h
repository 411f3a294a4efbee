/* keyfile.h: reading a small secret or key file (JWT secrets and public keys)
 * safely: no directories, a size cap checked while reading (a pipe or a file
 * that grows cannot make us allocate more), no empty files, the buffer wiped
 * on every error path. Shared by wfmond's verifier and `wfmon token`. */
#ifndef WFMON_KEYFILE_H
#define WFMON_KEYFILE_H

#include <stddef.h>

/* Returns a new buffer holding the file plus a NUL (not counted in *len), or
 * NULL with a cause naming the file as `what` ("key file", "secret file").
 * The caller wipes (explicit_bzero) and frees it. */
unsigned char *keyfile_read(const char *path, const char *what, size_t max, size_t *len, char *cause,
			    size_t causelen);

#endif
