/* cause.h: the sentence saying why something failed, written into the
 * caller's buffer (the project's `char *cause, size_t causelen` convention:
 * functions return -1 or NULL and fill cause; the caller logs or shows it
 * once). */
#ifndef WFMON_CAUSE_H
#define WFMON_CAUSE_H

#include <stddef.h>

/* Formats into cause (NUL-terminated, cut to causelen); nothing when cause
 * is NULL or causelen 0. */
void cause_set(char *cause, size_t causelen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cause_set, then -1: `return cause_fail(cause, len, "...", ...);`. */
int cause_fail(char *cause, size_t causelen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
