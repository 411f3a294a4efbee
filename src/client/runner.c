/* runner.c: running a command (see runner.h).
 *
 * The child reports an exec failure through a close-on-exec pipe (its errno,
 * or nothing when exec worked). Output is read in chunks, copied to our own
 * stdout or stderr as it comes (a partial write is finished before going on:
 * the copy is the command's own output, unchanged), and split into lines:
 * a line longer than RUNNER_LINE_MAX is handed over cut, and the rest of it
 * is skipped. The loop ends when the child has exited and both pipes are at
 * their end (a grandchild holding them keeps the loop alive, as a shell's
 * pipe would). */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "utf8.h"

extern char **environ;

struct stream {
	int fd;                 /* -1 once at its end */
	int out;                /* our descriptor it is copied to */
	char buf[RUNNER_LINE_MAX + 1];
	size_t len;
	bool skipping;          /* the rest of a cut line */
};

static volatile sig_atomic_t forward_signal;

static void on_signal(int sig)
{
	forward_signal = sig;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;   /* our own output is gone (a closed pipe): the command goes on */
		p += w;
		n -= (size_t)w;
	}
}

static void emit_line(struct stream *s, int which, const struct runner_ops *ops, struct runner_result *r)
{
	char text[RUNNER_LINE_MAX * 3 + 4];
	bool bad, cut;
	size_t n = utf8_sanitize_line(s->buf, s->len, text, RUNNER_LINE_MAX + 1, &bad, &cut);
	cut = cut || s->skipping;
	s->len = 0;
	if (n == 0)
		return;
	r->lines++;
	r->bad_utf8_lines += bad;
	r->cut_lines += cut;
	if (ops->line != NULL)
		ops->line(ops->arg, which, text, n);
}

/* Reads what there is; false at the end of the stream. */
static bool stream_read(struct stream *s, int which, const struct runner_ops *ops, struct runner_result *r)
{
	char chunk[8192];
	ssize_t n = read(s->fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		if (s->len > 0)
			emit_line(s, which, ops, r);
		close(s->fd);
		s->fd = -1;
		return false;
	}
	write_all(s->out, chunk, (size_t)n);
	for (ssize_t i = 0; i < n; i++) {
		if (chunk[i] == '\n') {
			emit_line(s, which, ops, r);
			s->skipping = false;
			continue;
		}
		if (s->len < RUNNER_LINE_MAX) {
			s->buf[s->len++] = chunk[i];
		} else if (!s->skipping) {
			/* Hand over what fits; the rest of the line is skipped. */
			emit_line(s, which, ops, r);
			s->skipping = true;
		}
	}
	return true;
}

static void child_exec(char *const argv[], char *const extra_env[], int out_w, int err_w, int status_w)
{
	setpgid(0, 0);
	dup2(out_w, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
	for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
		putenv(extra_env[i]);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	int e = errno;
	write_all(status_w, (const char *)&e, sizeof e);
	_exit(e == ENOENT ? 127 : 126);
}

int runner_run(char *const argv[], char *const extra_env[], const struct runner_ops *ops,
	       struct runner_result *r, char *cause, size_t causelen)
{
	memset(r, 0, sizeof *r);
	int out_p[2], err_p[2], st_p[2];
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 || pipe2(st_p, O_CLOEXEC) < 0) {
		snprintf(cause, causelen, "cannot make pipes: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	r->started_ms = clock_wall_ms();
	int64_t t0 = clock_mono_us();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(cause, causelen, "cannot start a process: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		child_exec(argv, extra_env, out_p[1], err_p[1], st_p[1]);
	setpgid(pid, pid);
	close(out_p[1]);
	close(err_p[1]);
	close(st_p[1]);
	int e = 0;
	ssize_t got;
	do
		got = read(st_p[0], &e, sizeof e);
	while (got < 0 && errno == EINTR);
	close(st_p[0]);
	r->started = got != (ssize_t)sizeof e;
	if (!r->started)
		r->exec_errno = e;

	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	forward_signal = 0;

	struct stream streams[2] = {
		{ .fd = out_p[0], .out = STDOUT_FILENO },
		{ .fd = err_p[0], .out = STDERR_FILENO },
	};
	bool exited = false;
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	int64_t term_at = 0;        /* monotonic ms of the SIGTERM, 0: none sent */
	while (!exited || streams[0].fd >= 0 || streams[1].fd >= 0) {
		int64_t now_ms = clock_mono_us() / 1000;
		if (forward_signal != 0) {
			kill(-pid, forward_signal);
			forward_signal = 0;
		}
		if (!exited && term_at == 0 && ops->stop != NULL && ops->stop(ops->arg)) {
			kill(-pid, SIGTERM);
			term_at = now_ms;
		}
		if (!exited && term_at != 0 && now_ms - term_at >= RUNNER_KILL_AFTER_MS) {
			kill(-pid, SIGKILL);
			term_at = now_ms + 24LL * 3600 * 1000;   /* once */
		}
		struct pollfd pfd[3];
		int n = 0;
		for (int i = 0; i < 2; i++)
			if (streams[i].fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = streams[i].fd, .events = POLLIN };
		int xfd = ops->fd ? ops->fd(ops->arg) : -1;
		if (xfd >= 0)
			pfd[n++] = (struct pollfd){ .fd = xfd, .events = ops->events ? ops->events(ops->arg) : POLLIN };
		/* Without a SIGCHLD handler, the child's exit is looked for each 100 ms. */
		int wait = exited ? 1000 : 100;
		int t = ops->timeout_ms ? ops->timeout_ms(ops->arg, now_ms) : -1;
		if (t >= 0 && t < wait)
			wait = t;
		int rc = poll(pfd, (nfds_t)n, wait);
		if (rc < 0 && errno != EINTR)
			break;
		now_ms = clock_mono_us() / 1000;
		int k = 0;
		for (int i = 0; i < 2; i++) {
			if (streams[i].fd < 0)
				continue;
			if (rc > 0 && (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				stream_read(&streams[i], i + 1, ops, r);
			k++;
		}
		if (ops->io != NULL)
			ops->io(ops->arg, xfd >= 0 && rc > 0 ? pfd[k].revents : 0, now_ms);
		if (!exited) {
			pid_t w = wait4(pid, &status, WNOHANG, &ru);
			if (w == pid) {
				exited = true;
				r->duration_ms = (clock_mono_us() - t0) / 1000;
			}
		}
	}
	if (!exited) {
		waitpid(pid, &status, 0);
		r->duration_ms = (clock_mono_us() - t0) / 1000;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);

	r->cpu_ms = (int64_t)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
		    (int64_t)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
	r->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
	if (!r->started) {
		r->exit_status = r->exec_errno == ENOENT ? 127 : 126;
	} else if (WIFSIGNALED(status)) {
		r->signalled = true;
		r->signal = WTERMSIG(status);
		r->exit_status = 128 + r->signal;
	} else {
		r->code = WEXITSTATUS(status);
		r->exit_status = r->code;
	}
	return 0;
}

static const struct {
	int sig;
	const char *name;
} signal_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
	{ SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGSEGV, "SIGSEGV" }, { SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" }, { SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" },
};

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ENOEXEC: return "ENOEXEC";
	case ENOTDIR: return "ENOTDIR";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	default: return "EXEC_FAILED";
	}
}

void runner_describe(const struct runner_result *r, const char *command, char *text, size_t textlen,
		     char *code, size_t codelen)
{
	if (!r->started) {
		snprintf(text, textlen, "cannot run '%s': %s", command, strerror(r->exec_errno));
		snprintf(code, codelen, "%s", errno_name(r->exec_errno));
	} else if (r->signalled) {
		const char *name = NULL;
		for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
			if (signal_names[i].sig == r->signal)
				name = signal_names[i].name;
		snprintf(text, textlen, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
		if (name != NULL)
			snprintf(code, codelen, "%s", name);
		else
			snprintf(code, codelen, "SIG%d", r->signal);
	} else {
		snprintf(text, textlen, "exit status %d", r->code);
		snprintf(code, codelen, "EXIT_%d", r->code);
	}
}
