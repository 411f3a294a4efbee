/* keyfile.h: reading a small secret or key file (JWT secrets and public keys,
 * tokens) safely: no directories, a size cap checked while reading (a pipe or
 * a file that grows cannot make us allocate more), no empty files, the buffer
 * wiped on every error path. Shared by wfmond's verifier, `wfmon token`, and
 * the token files of wfmon, wfmon-sim and wfmon-bench. */
#ifndef WFMON_KEYFILE_H
#define WFMON_KEYFILE_H

#include <stddef.h>

/* Returns a new buffer holding the file plus a NUL (not counted in *len), or
 * NULL with a cause naming the file as `what` ("key file", "secret file") and
 * errno set: open's or read's errno, EISDIR (a directory or not a readable
 * file), EFBIG (more than max bytes), ENODATA (empty), ENOMEM.
 * The caller wipes (explicit_bzero) and frees it. */
unsigned char *keyfile_read(const char *path, const char *what, size_t max, size_t *len, char *cause,
			    size_t causelen);

/* A token file may be at most this large, and the token in it this long. */
#define TOKEN_FILE_MAX (64 * 1024)
#define TOKEN_FILE_MAX_TOKEN 8192

/* Reads a token file: one token on one line, surrounding whitespace (spaces,
 * tabs, CR, LF) ignored; whitespace inside, an empty file or a token longer
 * than TOKEN_FILE_MAX_TOKEN is refused. Returns 0 and a new string in *out
 * (the caller wipes and frees it), or -1 with a sentence in cause that names
 * the file and never contains its content. */
int token_file_read(const char *path, char **out, char *cause, size_t causelen);

#endif
