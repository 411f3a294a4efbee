/* sampler.c: parsing /proc text and reading it (see sampler.h).
 *
 * Invariants: the parsers read only inside [buf, buf + len) and write their
 * outputs only after the whole text checked out; a number is digits ending at
 * whitespace or the end of its line, never a prefix of something else. The
 * readers are the only functions here that touch files or the clock, and they
 * update the previous counters only after a successful read. */
#include "sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

/* ---- a bounded cursor over text ------------------------------------------ */

struct scan {
	const char *p, *end;
};

static void scan_blanks(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

static bool at_break(const struct scan *s)
{
	return s->p == s->end || *s->p == ' ' || *s->p == '\t' || *s->p == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Blanks, then an unsigned decimal that ends at a break. */
static bool scan_u64(struct scan *s, uint64_t *v)
{
	scan_blanks(s);
	if (s->p == s->end || !is_digit(*s->p))
		return false;
	uint64_t x = 0;
	while (s->p < s->end && is_digit(*s->p)) {
		uint64_t d = (uint64_t)(*s->p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		s->p++;
	}
	if (!at_break(s))
		return false;
	*v = x;
	return true;
}

/* Blanks, then digits with an optional fraction ("0.52"), ending at a break. */
static bool scan_decimal(struct scan *s, double *v)
{
	scan_blanks(s);
	if (s->p == s->end || !is_digit(*s->p))
		return false;
	double x = 0;
	int digits = 0;
	while (s->p < s->end && is_digit(*s->p)) {
		x = x * 10 + (*s->p++ - '0');
		if (++digits > 15)
			return false;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		double scale = 0.1;
		if (s->p == s->end || !is_digit(*s->p))
			return false;
		while (s->p < s->end && is_digit(*s->p)) {
			x += (*s->p++ - '0') * scale;
			scale /= 10;
		}
	}
	if (!at_break(s))
		return false;
	*v = x;
	return true;
}

static bool scan_literal(struct scan *s, const char *lit)
{
	size_t n = strlen(lit);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* True at the end of a line: blanks, then '\n' (a line the buffer cut off may
 * have lost digits, so it does not count). */
static bool scan_eol(struct scan *s)
{
	scan_blanks(s);
	return s->p < s->end && *s->p == '\n';
}

/* Positions s just after "key" at the start of some line. */
static bool scan_find_line(const char *buf, size_t len, const char *key, struct scan *s)
{
	size_t klen = strlen(key);
	const char *p = buf, *end = buf + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) >= klen && memcmp(p, key, klen) == 0) {
			s->p = p + klen;
			s->end = end;
			return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* ---- parsers --------------------------------------------------------------- */

int sampler_parse_stat(const char *buf, size_t len, struct sampler_cpu_times *out)
{
	/* user nice system idle iowait irq softirq steal guest guest_nice */
	enum { F_IDLE = 3, F_IOWAIT = 4, F_COUNTED = 8, F_MAX = 10, F_MIN = 4 };
	struct scan s = { buf, buf + len };
	if (!scan_literal(&s, "cpu") || s.p == s.end || (*s.p != ' ' && *s.p != '\t'))
		return -1;
	uint64_t f[F_MAX] = { 0 };
	int n = 0;
	while (!scan_eol(&s)) {
		uint64_t v;
		if (!scan_u64(&s, &v))
			return -1;
		if (n < F_MAX)   /* later kernels may add fields: checked, not used */
			f[n] = v;
		n++;
	}
	if (n < F_MIN)
		return -1;
	uint64_t total = 0;
	for (int i = 0; i < F_COUNTED; i++) {
		if (total + f[i] < total)
			return -1;
		total += f[i];
	}
	out->total = total;
	out->idle = f[F_IDLE] + f[F_IOWAIT];
	return 0;
}

int sampler_cpu_percent(const struct sampler_cpu_times *prev, const struct sampler_cpu_times *cur,
			double *pct)
{
	if (cur->total < prev->total || cur->idle < prev->idle)
		return -1;
	uint64_t dt = cur->total - prev->total, di = cur->idle - prev->idle;
	if (di > dt)
		return -1;
	*pct = dt == 0 ? 0.0 : 100.0 * (double)(dt - di) / (double)dt;
	return 0;
}

/* "Key:   N kB" anywhere in the text, in bytes. */
static bool meminfo_field(const char *buf, size_t len, const char *key, uint64_t *bytes)
{
	struct scan s;
	uint64_t kib;
	if (!scan_find_line(buf, len, key, &s) || !scan_u64(&s, &kib))
		return false;
	scan_blanks(&s);
	if (!scan_literal(&s, "kB") || !scan_eol(&s) || kib > UINT64_MAX / 1024)
		return false;
	*bytes = kib * 1024;
	return true;
}

int sampler_parse_meminfo(const char *buf, size_t len, uint64_t *total, uint64_t *available)
{
	uint64_t t, a;
	if (!meminfo_field(buf, len, "MemTotal:", &t))
		return -1;
	if (!meminfo_field(buf, len, "MemAvailable:", &a)) {
		uint64_t fr, bu, ca;
		if (!meminfo_field(buf, len, "MemFree:", &fr) || !meminfo_field(buf, len, "Buffers:", &bu) ||
		    !meminfo_field(buf, len, "Cached:", &ca))
			return -1;
		a = fr + bu + ca;
	}
	if (a > t)
		a = t;   /* Cached can count shared pages twice on old kernels */
	*total = t;
	*available = a;
	return 0;
}

int sampler_parse_loadavg(const char *buf, size_t len, double load[3])
{
	struct scan s = { buf, buf + len };
	double l[3];
	uint64_t running, threads;
	for (int i = 0; i < 3; i++)
		if (!scan_decimal(&s, &l[i]))
			return -1;
	/* then "running/threads": the kernel always writes it */
	scan_blanks(&s);
	struct scan r = s;
	const char *slash = memchr(s.p, '/', (size_t)(s.end - s.p));
	if (slash == NULL)
		return -1;
	r.end = slash;
	if (!scan_u64(&r, &running) || r.p != slash)
		return -1;
	s.p = slash + 1;
	if (!scan_u64(&s, &threads) || running > threads)
		return -1;
	memcpy(load, l, sizeof l);
	return 0;
}

int sampler_parse_pid_stat(const char *buf, size_t len, uint64_t *utime, uint64_t *stime)
{
	/* fields after the name: state(3) ... utime(14) stime(15) */
	enum { TOK_UTIME = 14 - 3, TOK_STIME = 15 - 3 };
	struct scan s = { buf, buf + len };
	uint64_t pid;
	const char *close = NULL;
	if (!scan_u64(&s, &pid) || !scan_literal(&s, " ("))
		return -1;
	for (const char *p = s.p; p < s.end; p++)
		if (*p == ')')
			close = p;
	if (close == NULL)
		return -1;
	s.p = close + 1;
	scan_blanks(&s);
	/* The state is one letter. */
	if (s.p == s.end || !((*s.p >= 'A' && *s.p <= 'Z') || (*s.p >= 'a' && *s.p <= 'z')))
		return -1;
	s.p++;
	if (!at_break(&s))
		return -1;
	uint64_t u, st;
	for (int tok = 1; tok < TOK_UTIME; tok++) {
		scan_blanks(&s);
		if (s.p == s.end || *s.p == '\n')
			return -1;
		while (!at_break(&s))
			s.p++;
	}
	if (!scan_u64(&s, &u) || !scan_u64(&s, &st))
		return -1;
	*utime = u;
	*stime = st;
	return 0;
}

int sampler_parse_status_rss(const char *buf, size_t len, uint64_t *rss_bytes)
{
	return meminfo_field(buf, len, "VmRSS:", rss_bytes) ? 0 : -1;
}

int sampler_self_percent(uint64_t prev_ticks, int64_t prev_us, uint64_t ticks, int64_t now_us,
			 long clk_tck, double *pct)
{
	if (now_us <= prev_us || ticks < prev_ticks || clk_tck <= 0)
		return -1;
	double cpu_s = (double)(ticks - prev_ticks) / (double)clk_tck;
	double wall_s = (double)(now_us - prev_us) / 1e6;
	*pct = 100.0 * cpu_s / wall_s;
	return 0;
}

/* ---- reading --------------------------------------------------------------- */

int sampler_init(struct sampler *s, const char *proc_root, char *cause, size_t causelen)
{
	memset(s, 0, sizeof *s);
	if (proc_root == NULL)
		proc_root = "/proc";
	if (strlen(proc_root) >= sizeof s->root) {
		snprintf(cause, causelen, "proc root too long: %s", proc_root);
		return -1;
	}
	strcpy(s->root, proc_root);
	s->clk_tck = sysconf(_SC_CLK_TCK);
	if (s->clk_tck <= 0)
		s->clk_tck = 100;
	return 0;
}

/* Reads up to size bytes of root/name (a /proc file's first page is all we
 * parse); returns the length or -1. */
static ssize_t proc_read(const struct sampler *s, const char *name, char *buf, size_t size,
			 char *cause, size_t causelen)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", s->root, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(cause, causelen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = 0;
	while (n < size) {
		ssize_t r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(cause, causelen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return (ssize_t)n;
}

static int parse_error(const struct sampler *s, const char *name, char *cause, size_t causelen)
{
	snprintf(cause, causelen, "%s/%s: unexpected format", s->root, name);
	return -1;
}

int sampler_read_host(struct sampler *s, struct host_sample *out, char *cause, size_t causelen)
{
	char buf[8192];
	ssize_t n;
	struct sampler_cpu_times cur;
	struct host_sample h;

	if ((n = proc_read(s, "stat", buf, sizeof buf, cause, causelen)) < 0)
		return -1;
	if (sampler_parse_stat(buf, (size_t)n, &cur) < 0)
		return parse_error(s, "stat", cause, causelen);
	if ((n = proc_read(s, "meminfo", buf, sizeof buf, cause, causelen)) < 0)
		return -1;
	if (sampler_parse_meminfo(buf, (size_t)n, &h.mem_total_bytes, &h.mem_available_bytes) < 0)
		return parse_error(s, "meminfo", cause, causelen);
	if ((n = proc_read(s, "loadavg", buf, sizeof buf, cause, causelen)) < 0)
		return -1;
	if (sampler_parse_loadavg(buf, (size_t)n, h.load) < 0)
		return parse_error(s, "loadavg", cause, causelen);

	if (!s->have_host || sampler_cpu_percent(&s->host_prev, &cur, &h.cpu_percent) < 0)
		h.cpu_percent = -1;
	s->host_prev = cur;
	s->have_host = true;
	*out = h;
	return 0;
}

int sampler_read_self(struct sampler *s, struct self_sample *out, char *cause, size_t causelen)
{
	char buf[4096];
	ssize_t n;
	uint64_t ut, st;
	struct self_sample me;

	if ((n = proc_read(s, "self/stat", buf, sizeof buf, cause, causelen)) < 0)
		return -1;
	if (sampler_parse_pid_stat(buf, (size_t)n, &ut, &st) < 0)
		return parse_error(s, "self/stat", cause, causelen);
	int64_t now = clock_mono_us();
	if ((n = proc_read(s, "self/status", buf, sizeof buf, cause, causelen)) < 0)
		return -1;
	if (sampler_parse_status_rss(buf, (size_t)n, &me.rss_bytes) < 0)
		return parse_error(s, "self/status", cause, causelen);

	uint64_t ticks = ut + st;
	if (!s->have_self ||
	    sampler_self_percent(s->self_prev_ticks, s->self_prev_us, ticks, now, s->clk_tck,
				 &me.cpu_percent) < 0)
		me.cpu_percent = -1;
	s->self_prev_ticks = ticks;
	s->self_prev_us = now;
	s->have_self = true;
	*out = me;
	return 0;
}
