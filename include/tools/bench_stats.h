/* bench_stats.h: the pure parts of wfmon-bench, kept apart so they can be tested.
 *
 * A fixed-size log-linear latency histogram (no per-sample storage), the
 * parsing of /proc/PID/stat and /proc/PID/status, and the allocation-free
 * scanning of server frames the benchmark does on its hot path (message type
 * and the "bench <µs>" marker) instead of a JSON parse. */
#ifndef WFMON_BENCH_STATS_H
#define WFMON_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Values below 2^BENCH_HIST_SUB_BITS get a bucket each; above, every power of two
 * is split into 2^BENCH_HIST_SUB_BITS equal buckets, so a bucket's width is at
 * most 1/32 (about 3 %) of its value. All 64-bit values fit. */
#define BENCH_HIST_SUB_BITS 5
#define BENCH_HIST_SUB (1u << BENCH_HIST_SUB_BITS)
#define BENCH_HIST_BUCKETS ((64 - BENCH_HIST_SUB_BITS + 1) * BENCH_HIST_SUB)

struct bench_hist {
	uint64_t counts[BENCH_HIST_BUCKETS];
	uint64_t total;
	uint64_t min;
	uint64_t max;
};

void bench_hist_reset(struct bench_hist *h);
void bench_hist_add(struct bench_hist *h, uint64_t value);
/* Bucket index of a value, and the largest value that bucket holds. */
unsigned bench_hist_bucket(uint64_t value);
uint64_t bench_hist_bucket_high(unsigned bucket);
/* The value at percentile p (0 < p <= 100): the upper edge of the bucket that
 * holds the ceil(p/100 * total)-th smallest sample, never above the maximum
 * seen. 0 when the histogram is empty. */
uint64_t bench_hist_percentile(const struct bench_hist *h, double p);

/* Parses the text of /proc/PID/stat: utime and stime in clock ticks. The
 * command name may hold spaces and parentheses, so fields are counted from
 * the last ')'. Returns 0 or -1. */
int bench_proc_stat_parse(const char *buf, size_t len, uint64_t *utime, uint64_t *stime);
/* Parses the text of /proc/PID/status: the VmRSS line in KiB. 0 or -1. */
int bench_proc_status_rss(const char *buf, size_t len, uint64_t *kib);
/* Reads the process's user + system CPU time in microseconds. 0, or -1 with a
 * message in cause. */
int bench_proc_cpu_us(pid_t pid, uint64_t *us, char *cause, size_t causelen);
/* Reads the process's resident set size in KiB. 0, or -1 with a message. */
int bench_proc_rss_kib(pid_t pid, uint64_t *kib, char *cause, size_t causelen);

/* Server message types the benchmark tells apart. */
enum bench_msg {
	BENCH_MSG_OTHER,
	BENCH_MSG_EVENT,
	BENCH_MSG_PENDING,   /* an event not numbered yet; its numbered copy follows (not a delivery) */
	BENCH_MSG_SUBSCRIBED,
	BENCH_MSG_ACK,
	BENCH_MSG_ERROR,
};
/* The "type" of a server message, which must be its first key (the protocol's
 * encoders put it first); tolerates whitespace. An event message whose keys
 * before "event" hold "pending":true is BENCH_MSG_PENDING. */
enum bench_msg bench_msg_type(const char *data, size_t len);
/* Finds the "bench <µs>" marker of an event's message. Returns true with the
 * send time in *us. */
bool bench_marker_find(const char *data, size_t len, int64_t *us);
/* Reads the integer after the first "key": (key without quotes) in data.
 * Returns true with *out filled. For acks only: it does not know nesting. */
bool bench_int_field(const char *data, size_t len, const char *key, int64_t *out);

#endif
