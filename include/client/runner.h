/* runner.h: running a command for wfmon run and wfmon step: its output
 * passed through to ours unchanged and handed over line by line, its exit
 * status, and what the kernel measured (wall time, CPU time, peak memory).
 *
 * The command runs in its own process group, so that a cancel can stop it
 * and whatever it started; SIGINT, SIGTERM and SIGHUP that reach us are
 * passed on to that group. The loop also serves one more file descriptor
 * (the link to wfmond) so that reporting never waits on the command nor the
 * command on reporting. */
#ifndef WFMON_RUNNER_H
#define WFMON_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNNER_LINE_MAX 4000   /* bytes of one output line handed over (under PROTO_MAX_TEXT) */

struct runner_result {
	bool started;              /* the command could be executed */
	int exec_errno;            /* why not, when it could not */
	bool signalled;            /* killed by signal `signal` */
	int signal;
	int code;                  /* its exit code when it exited */
	int exit_status;           /* what to exit with: code, 128 + signal, 127 not found, 126 not runnable */
	int64_t started_ms;        /* wall clock */
	int64_t duration_ms;
	int64_t cpu_ms;            /* user + system, the command and its waited-for children */
	int64_t max_rss_bytes;     /* peak resident memory of the largest process */
	uint64_t lines, bad_utf8_lines, cut_lines;
};

struct runner_ops {
	void *arg;
	/* One line of output (stream 1 or 2), made a valid protocol text
	 * (utf8_sanitize_line); never empty. */
	void (*line)(void *arg, int stream, const char *text, size_t len);
	/* The other work of the loop; any may be NULL. */
	int (*fd)(void *arg);                          /* -1: none now */
	short (*events)(void *arg);
	int (*timeout_ms)(void *arg, int64_t now_ms);  /* -1: none */
	void (*io)(void *arg, short revents, int64_t now_ms);
	/* Asked each turn: true to stop the command (SIGTERM to its group, then
	 * SIGKILL after RUNNER_KILL_AFTER_MS). */
	bool (*stop)(void *arg);
};

#define RUNNER_KILL_AFTER_MS 10000

/* Runs argv (searched in PATH) with extra environment entries ("NAME=value",
 * NULL-terminated, may be NULL) until it exits and its output is read.
 * Returns 0 with *out filled (also when the command could not be executed:
 * see out->started), or -1 with a cause when we could not even try (no
 * pipes, no fork). */
int runner_run(char *const argv[], char *const extra_env[], const struct runner_ops *ops,
	       struct runner_result *out, char *cause, size_t causelen);

/* "exit status 3", "killed by signal 9 (Killed)", "cannot run 'x': No such
 * file or directory"; and a short code: "EXIT_3", "SIGKILL", "ENOENT". */
void runner_describe(const struct runner_result *r, const char *command, char *text, size_t textlen,
		     char *code, size_t codelen);

#endif
