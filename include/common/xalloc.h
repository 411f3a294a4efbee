/* xalloc.h: allocation for small internal objects.
 *
 * These abort on failure: running out of memory for a few hundred bytes of
 * bookkeeping is a broken invariant, not an error a caller could act on.
 * Anything whose size comes from input must use plain malloc and return an error. */
#ifndef WFMON_XALLOC_H
#define WFMON_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string formatted like printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints the message and aborts: only for broken invariants. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
