/* sampler.h: host and daemon resource numbers from /proc.
 *
 * The parsers are pure functions over a text buffer (not NUL-terminated, given
 * with its length) that return 0, or -1 when the text is not what the kernel
 * writes (missing fields, non-numbers, overflow): never a half-filled result.
 * The readers are the only I/O: they read the files under a proc root (normally
 * "/proc"; tests point it elsewhere) and keep the previous counters in a small
 * struct sampler, so CPU percentages are over the time since the previous read.
 * No allocation. */
#ifndef WFMON_SAMPLER_H
#define WFMON_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The aggregate "cpu" line of /proc/stat, in clock ticks. */
struct sampler_cpu_times {
	uint64_t total;   /* user + nice + system + idle + iowait + irq + softirq + steal */
	uint64_t idle;    /* idle + iowait: time the CPUs were not working */
};

struct host_sample {
	double cpu_percent;          /* busy share of all CPUs since the previous read, 0..100; -1 on the first */
	uint64_t mem_total_bytes;
	uint64_t mem_available_bytes;
	double load[3];              /* 1, 5 and 15 minute load averages */
};

struct self_sample {
	double cpu_percent;          /* user + system time over wall time since the previous read,
				      * in percent of one CPU (like top: 200 is two busy cores); -1 on the first */
	uint64_t rss_bytes;
};

struct sampler {
	char root[64];               /* "/proc" */
	long clk_tck;
	bool have_host, have_self;
	struct sampler_cpu_times host_prev;
	uint64_t self_prev_ticks;
	int64_t self_prev_us;        /* monotonic */
};

/* ---- pure parsing ---------------------------------------------------------- */

/* /proc/stat: the first line, "cpu  user nice system idle [iowait irq softirq
 * steal guest guest_nice]" (guest time is already inside user and nice). */
int sampler_parse_stat(const char *buf, size_t len, struct sampler_cpu_times *out);
/* Busy share between two readings, 0..100; 0 when no tick passed. -1 when a
 * counter went back (a wrapped or different source): no percentage then. */
int sampler_cpu_percent(const struct sampler_cpu_times *prev, const struct sampler_cpu_times *cur,
			double *pct);
/* /proc/meminfo: MemTotal and MemAvailable in bytes; without MemAvailable (old
 * kernels), MemFree + Buffers + Cached. */
int sampler_parse_meminfo(const char *buf, size_t len, uint64_t *total, uint64_t *available);
/* /proc/loadavg: the three averages. */
int sampler_parse_loadavg(const char *buf, size_t len, double load[3]);
/* /proc/PID/stat: utime and stime in clock ticks. The command name may hold
 * spaces and parentheses, so fields are counted from the last ')'. */
int sampler_parse_pid_stat(const char *buf, size_t len, uint64_t *utime, uint64_t *stime);
/* /proc/PID/status: the VmRSS line, in bytes. */
int sampler_parse_status_rss(const char *buf, size_t len, uint64_t *rss_bytes);
/* Process CPU in percent of one CPU from tick and monotonic-µs deltas; -1 when
 * no time passed or a counter went back. */
int sampler_self_percent(uint64_t prev_ticks, int64_t prev_us, uint64_t ticks, int64_t now_us,
			 long clk_tck, double *pct);

/* ---- reading ------------------------------------------------------------- */

/* proc_root NULL: "/proc". Returns -1 with a message if the root is too long. */
int sampler_init(struct sampler *s, const char *proc_root, char *cause, size_t causelen);
/* Reads stat, meminfo and loadavg. 0, or -1 with a message naming the file
 * (then out is untouched and the previous counters are kept). */
int sampler_read_host(struct sampler *s, struct host_sample *out, char *cause, size_t causelen);
/* Reads self/stat and self/status. 0, or -1 with a message. */
int sampler_read_self(struct sampler *s, struct self_sample *out, char *cause, size_t causelen);

#endif
