/* conffile.h: the one "key = value" text format of wfmon's settings files:
 * wfmond.conf(5), the console's config file (wfmon(1)) and theme files
 * (wfmon-themes(5)).
 *
 * One setting per line; the key and the value are trimmed of spaces, tabs and
 * CRs; blank lines are skipped; '#' starts a comment at the start of a line or
 * after a space or tab (so "key = value  # why" works, while a '#' inside a
 * value, as in a password or a URL fragment, stays). A line without '=' is an
 * error naming the line. What a key means is the caller's: it gets each pair
 * in file order through a callback.
 *
 * conffile_parse is pure (text in memory, no I/O); conffile_read and
 * conffile_load add the reading, bounded by a size the caller gives, and wipe
 * the text they read before freeing it (a console config file holds a
 * token). */
#ifndef WFMON_CONFFILE_H
#define WFMON_CONFFILE_H

#include <stddef.h>

/* Called for each pair; key and value are borrowed for the call. Returns 0,
 * or -1 with a sentence in why (the parser puts "NAME:LINE: " before it). */
typedef int (*conffile_fn)(const char *key, const char *value, void *arg, char *why, size_t whylen);

/* Parses len bytes of text (no NUL needed). name is what messages call the
 * text (a path); expected describes a line's shape for the error about a
 * line without '=' (NULL: "\"key = value\""). Returns 0, or -1 with
 * "NAME:LINE: message" in cause, having stopped at the first bad line (pairs
 * before it were already given to fn). */
int conffile_parse(const char *text, size_t len, const char *name, const char *expected, conffile_fn fn,
		   void *arg, char *cause, size_t causelen);

/* Reads a whole text file of at most max bytes. Returns a new NUL-terminated
 * buffer (length in *len; the caller wipes and frees it, or uses
 * conffile_text_free), or NULL with errno set and a sentence naming the file
 * in cause: open's or read's errno (ENOENT for a missing file), EISDIR,
 * EFBIG (larger than max), EILSEQ (holds a NUL byte: not text), ENOMEM.
 * An empty file is an empty text, not an error. */
char *conffile_read(const char *path, size_t max, size_t *len, char *cause, size_t causelen);
void conffile_text_free(char *text, size_t len);

/* conffile_read then conffile_parse. Returns 0, -1 with a cause (errno as
 * conffile_read sets it when the file could not be read, 0 for a bad line). */
int conffile_load(const char *path, size_t max, const char *expected, conffile_fn fn, void *arg,
		  char *cause, size_t causelen);

#endif
