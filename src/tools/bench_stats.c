/* bench_stats.c: histogram, /proc readers and frame scanning for wfmon-bench.
 *
 * Invariants: nothing here allocates; the histogram's bucket of any value is
 * computed in O(1) and every 64-bit value has one; the scanners never read
 * past the length they are given (frames are not NUL-terminated). */
#include "bench_stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void bench_hist_reset(struct bench_hist *h)
{
	memset(h, 0, sizeof *h);
	h->min = UINT64_MAX;
}

/* Group 0 holds the values 0..SUB-1 one per bucket. A value with its top bit
 * at e >= SUB_BITS falls in group e - SUB_BITS + 1, whose SUB buckets each
 * span 2^(e - SUB_BITS) values: the SUB_BITS bits below the top bit pick one. */
unsigned bench_hist_bucket(uint64_t value)
{
	if (value < BENCH_HIST_SUB)
		return (unsigned)value;
	unsigned e = 63u - (unsigned)__builtin_clzll(value);
	unsigned shift = e - BENCH_HIST_SUB_BITS;
	unsigned sub = (unsigned)(value >> shift) - BENCH_HIST_SUB;
	return (shift + 1) * BENCH_HIST_SUB + sub;
}

uint64_t bench_hist_bucket_high(unsigned bucket)
{
	if (bucket < BENCH_HIST_SUB)
		return bucket;
	unsigned shift = bucket / BENCH_HIST_SUB - 1;
	uint64_t sub = bucket % BENCH_HIST_SUB;
	uint64_t low = (BENCH_HIST_SUB + sub) << shift;
	return low + ((uint64_t)1 << shift) - 1;
}

void bench_hist_add(struct bench_hist *h, uint64_t value)
{
	h->counts[bench_hist_bucket(value)]++;
	h->total++;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

uint64_t bench_hist_percentile(const struct bench_hist *h, double p)
{
	if (h->total == 0)
		return 0;
	if (p > 100.0)
		p = 100.0;
	/* The epsilon keeps 99 % of 1000 at rank 990 despite binary rounding. */
	double want = p * (double)h->total / 100.0 - 1e-9;
	uint64_t rank = (uint64_t)want;
	if ((double)rank < want)
		rank++;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < BENCH_HIST_BUCKETS; b++) {
		seen += h->counts[b];
		if (seen >= rank) {
			uint64_t high = bench_hist_bucket_high(b);
			return high < h->max ? high : h->max;
		}
	}
	return h->max;
}

int bench_proc_stat_parse(const char *buf, size_t len, uint64_t *utime, uint64_t *stime)
{
	const char *close = NULL;
	for (size_t i = len; i > 0; i--) {
		if (buf[i - 1] == ')') {
			close = buf + i - 1;
			break;
		}
	}
	if (close == NULL)
		return -1;
	/* After ')' come fields 3 (state) onwards; utime and stime are 14 and 15. */
	const char *p = close + 1;
	const char *end = buf + len;
	uint64_t values[2] = { 0, 0 };
	int field = 2;
	while (p < end && field < 15) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		field++;
		const char *start = p;
		uint64_t v = 0;
		bool digits = true;
		while (p < end && *p != ' ' && *p != '\n') {
			if (*p < '0' || *p > '9')
				digits = false;
			else
				v = v * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (field == 14 || field == 15) {
			if (!digits || p == start)
				return -1;
			values[field - 14] = v;
		}
		if (p < end && *p == '\n')
			break;
	}
	if (field < 15)
		return -1;
	*utime = values[0];
	*stime = values[1];
	return 0;
}

int bench_proc_status_rss(const char *buf, size_t len, uint64_t *kib)
{
	static const char key[] = "VmRSS:";
	const char *p = buf;
	const char *end = buf + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > sizeof key - 1 && memcmp(p, key, sizeof key - 1) == 0) {
			const char *q = p + sizeof key - 1;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q == eol || *q < '0' || *q > '9')
				return -1;
			uint64_t v = 0;
			while (q < eol && *q >= '0' && *q <= '9')
				v = v * 10 + (uint64_t)(*q++ - '0');
			*kib = v;
			return 0;
		}
		p = eol + 1;
	}
	return -1;
}

/* Reads a small /proc file whole into buf; returns its length or -1. */
static ssize_t proc_read(pid_t pid, const char *name, char *buf, size_t size, char *cause,
			 size_t causelen)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(cause, causelen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(cause, causelen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

int bench_proc_cpu_us(pid_t pid, uint64_t *us, char *cause, size_t causelen)
{
	char buf[1024];
	ssize_t n = proc_read(pid, "stat", buf, sizeof buf, cause, causelen);
	if (n < 0)
		return -1;
	uint64_t ut, st;
	if (bench_proc_stat_parse(buf, (size_t)n, &ut, &st) < 0) {
		snprintf(cause, causelen, "/proc/%ld/stat: unexpected format", (long)pid);
		return -1;
	}
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	*us = (ut + st) * 1000000u / (uint64_t)hz;
	return 0;
}

int bench_proc_rss_kib(pid_t pid, uint64_t *kib, char *cause, size_t causelen)
{
	char buf[4096];
	ssize_t n = proc_read(pid, "status", buf, sizeof buf, cause, causelen);
	if (n < 0)
		return -1;
	if (bench_proc_status_rss(buf, (size_t)n, kib) < 0) {
		snprintf(cause, causelen, "/proc/%ld/status: no VmRSS line", (long)pid);
		return -1;
	}
	return 0;
}

static const struct {
	const char *name;
	enum bench_msg type;
} msg_types[] = {
	{ "\"event\"", BENCH_MSG_EVENT },
	{ "\"subscribed\"", BENCH_MSG_SUBSCRIBED },
	{ "\"ack\"", BENCH_MSG_ACK },
	{ "\"error\"", BENCH_MSG_ERROR },
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* An event message's keys after its type, up to its "event": a pending one
 * says "pending":true there (the event's own text never gets looked at). */
static enum bench_msg event_kind(const char *keys, const char *end)
{
	const char *ev = memmem(keys, (size_t)(end - keys), "\"event\":", 8);
	if (ev != NULL && memmem(keys, (size_t)(ev - keys), "\"pending\":true", 14) != NULL)
		return BENCH_MSG_PENDING;
	return BENCH_MSG_EVENT;
}

/* The protocol's encoders write "type" as the first key; insisting on that
 * keeps a "type" key inside an event's payload from being taken for it. */
enum bench_msg bench_msg_type(const char *data, size_t len)
{
	const char *end = data + len;
	const char *k = data;
	while (k < end && is_space(*k))
		k++;
	if (k >= end || *k != '{')
		return BENCH_MSG_OTHER;
	k++;
	while (k < end && is_space(*k))
		k++;
	if ((size_t)(end - k) < 6 || memcmp(k, "\"type\"", 6) != 0)
		return BENCH_MSG_OTHER;
	const char *p = k + 6;
	while (p < end && is_space(*p))
		p++;
	if (p >= end || *p != ':')
		return BENCH_MSG_OTHER;
	p++;
	while (p < end && is_space(*p))
		p++;
	for (size_t i = 0; i < sizeof msg_types / sizeof msg_types[0]; i++) {
		size_t n = strlen(msg_types[i].name);
		if ((size_t)(end - p) >= n && memcmp(p, msg_types[i].name, n) == 0)
			return msg_types[i].type == BENCH_MSG_EVENT ? event_kind(p + n, end) : msg_types[i].type;
	}
	return BENCH_MSG_OTHER;
}

/* The workflow id "bench" and execution ids "bench-<k>" never have a space
 * after "bench", so the quote-bench-space prefix only matches the message. */
bool bench_marker_find(const char *data, size_t len, int64_t *us)
{
	const char *m = memmem(data, len, "\"bench ", 7);
	if (m == NULL)
		return false;
	const char *p = m + 7;
	const char *end = data + len;
	int64_t v = 0;
	int digits = 0;
	while (p < end && *p >= '0' && *p <= '9' && digits < 18) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || p >= end || *p != '"')
		return false;
	*us = v;
	return true;
}

bool bench_int_field(const char *data, size_t len, const char *key, int64_t *out)
{
	char pat[64];
	int n = snprintf(pat, sizeof pat, "\"%s\"", key);
	if (n <= 0 || (size_t)n >= sizeof pat)
		return false;
	const char *k = memmem(data, len, pat, (size_t)n);
	if (k == NULL)
		return false;
	const char *p = k + n;
	const char *end = data + len;
	while (p < end && is_space(*p))
		p++;
	if (p >= end || *p != ':')
		return false;
	p++;
	while (p < end && is_space(*p))
		p++;
	bool neg = false;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return false;
	int64_t v = 0;
	int digits = 0;
	while (p < end && *p >= '0' && *p <= '9' && digits < 18) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	*out = neg ? -v : v;
	return true;
}
