/* promtext.h: lines of the Prometheus text format (/metrics), written the
 * same way for every metric of wfmond, and the buckets of a duration
 * histogram counted the same way wherever one is kept.
 *
 * A duration histogram is n cumulative buckets: le[i] counts the
 * observations of at most bounds_ms[i] milliseconds (bounds ascending), as
 * Prometheus's "le" labels say; count and sum (seconds) cover them all. */
#ifndef WFMON_PROMTEXT_H
#define WFMON_PROMTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* # HELP, # TYPE (counter or gauge) and the value. */
void promtext_value(FILE *f, const char *name, const char *type, const char *help, unsigned long long value);
/* The whole histogram, +Inf, _sum and _count included. */
void promtext_histogram_ms(FILE *f, const char *name, const char *help, const unsigned *bounds_ms,
			   const uint64_t *le, size_t n, uint64_t count, double sum_s);
/* Counts one observation of took_us microseconds into le[0..n). */
void promtext_histogram_add(const unsigned *bounds_ms, uint64_t *le, size_t n, uint64_t took_us);

#endif
