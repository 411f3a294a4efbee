/* promtext.c: Prometheus text lines (see promtext.h). */
#include "promtext.h"

void promtext_value(FILE *f, const char *name, const char *type, const char *help, unsigned long long value)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, value);
}

void promtext_histogram_ms(FILE *f, const char *name, const char *help, const unsigned *bounds_ms,
			   const uint64_t *le, size_t n, uint64_t count, double sum_s)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds_ms[i] / 1000.0, (unsigned long long)le[i]);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, (unsigned long long)count, name,
		sum_s, name, (unsigned long long)count);
}

void promtext_histogram_add(const unsigned *bounds_ms, uint64_t *le, size_t n, uint64_t took_us)
{
	for (size_t i = 0; i < n; i++)
		if (took_us <= bounds_ms[i] * 1000ull)
			le[i]++;
}
