/* names.h: tables of names indexed by an enum's values (names[v] is the name
 * of value v; a NULL entry names nothing), and the way back from a name. */
#ifndef WFMON_NAMES_H
#define WFMON_NAMES_H

#include <stddef.h>

/* The index of name in names[0..n), or -1 when name is NULL or not there. */
int names_find(const char *const *names, size_t n, const char *name);

#endif
