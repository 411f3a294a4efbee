/* tokensrc.c: a client's token and its renewal (see tokensrc.h).
 *
 * Invariants: t->token is always a token (the first one, or a fresher one
 * that replaced it); at most one command runs at a time, and the thread that
 * runs it touches only t->job, under t->mu; a token leaves memory wiped. */
#include "tokensrc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "claims.h"
#include "clock.h"
#include "keyfile.h"
#include "xalloc.h"

#define COMMAND_TIMEOUT_MS 30000
#define COMMAND_MAX_OUTPUT (64 * 1024)
#define RETRY_MS 2000            /* after a renewal that gave nothing fresher */

extern char **environ;

enum kind { GIVEN, FILE_, COMMAND };

/* A command's run, shared with its thread. */
struct job {
	bool running, done;
	char *token;                 /* its answer, or NULL */
	char err[300];
	pthread_t thread;
};

struct tokensrc {
	enum kind kind;
	char *where;                 /* the file or the command */
	char *token;
	int64_t exp, iat;
	int64_t next_ms;             /* when to renew, 0: never */
	pthread_mutex_t mu;
	struct job job;
};

static void token_wipe_free(char *tok)
{
	if (tok != NULL) {
		explicit_bzero(tok, strlen(tok));
		free(tok);
	}
}

int64_t tokensrc_renew_at_ms(int64_t exp_s, int64_t iat_s)
{
	if (exp_s <= 0)
		return 0;
	int64_t life = iat_s > 0 && iat_s < exp_s ? exp_s - iat_s : 3600;
	int64_t margin_ms = life * 1000 / 3;
	if (margin_ms > 60000)
		margin_ms = 60000;
	if (margin_ms < 1000)
		margin_ms = 1000;
	return exp_s * 1000 - margin_ms;
}

/* Takes tok as the current token. */
static void set_token(struct tokensrc *t, char *tok)
{
	token_wipe_free(t->token);
	t->token = tok;
	struct proto_token_claims c;
	proto_token_peek(tok, &c);
	t->exp = c.exp;
	t->iat = c.iat;
	t->next_ms = t->kind == GIVEN ? 0 : tokensrc_renew_at_ms(c.exp, c.iat);
}

static struct tokensrc *src_new(enum kind kind, const char *where)
{
	struct tokensrc *t = xcalloc(1, sizeof *t);
	t->kind = kind;
	t->where = where ? xstrdup(where) : NULL;
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

struct tokensrc *tokensrc_given(const char *token)
{
	struct tokensrc *t = src_new(GIVEN, NULL);
	set_token(t, xstrdup(token));
	return t;
}

struct tokensrc *tokensrc_file(const char *path, char *cause, size_t causelen)
{
	char *tok = NULL;
	if (token_file_read(path, &tok, cause, causelen) != 0)
		return NULL;
	struct tokensrc *t = src_new(FILE_, path);
	set_token(t, tok);
	return t;
}

/* ---- running a command ---------------------------------------------------------------- */

/* The token in a command's output: the text itself, trimmed, or the
 * status.token of a kubectl ExecCredential. NULL with why. */
static char *output_token(char *out, size_t len, char *why, size_t whylen)
{
	size_t a = 0, e = len;
	while (a < e && strchr(" \t\r\n", out[a]))
		a++;
	while (e > a && strchr(" \t\r\n", out[e - 1]))
		e--;
	if (a == e) {
		snprintf(why, whylen, "it printed no token");
		return NULL;
	}
	if (out[a] == '{') {
		json_t *j = json_loadb(out + a, e - a, 0, NULL);
		const char *tok = json_string_value(json_object_get(json_object_get(j, "status"), "token"));
		char *copy = tok && tok[0] ? xstrdup(tok) : NULL;
		if (tok != NULL)
			explicit_bzero((char *)tok, strlen(tok));
		json_decref(j);
		if (copy == NULL)
			snprintf(why, whylen, "it printed JSON without status.token (a kubectl ExecCredential)");
		return copy;
	}
	for (size_t i = a; i < e; i++) {
		if ((unsigned char)out[i] <= ' ') {
			snprintf(why, whylen, "it printed more than one word: the token alone is expected");
			return NULL;
		}
	}
	if (e - a > TOKEN_FILE_MAX_TOKEN) {
		snprintf(why, whylen, "it printed more than %d bytes", TOKEN_FILE_MAX_TOKEN);
		return NULL;
	}
	return xstrndup(out + a, e - a);
}

/* Runs command, waiting at most COMMAND_TIMEOUT_MS; returns the token or
 * NULL with err. Any thread. */
static char *command_run(const char *command, char *err, size_t errlen)
{
	int outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot run the token command: %s", strerror(errno));
		return NULL;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot run the token command: %s", strerror(errno));
		close(outp[0]);
		close(outp[1]);
		return NULL;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	char *argv[] = { "sh", "-c", (char *)command, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	if (rc != 0) {
		close(outp[0]);
		close(errp[0]);
		snprintf(err, errlen, "cannot run the token command: %s", strerror(rc));
		return NULL;
	}
	char *out = xmalloc(COMMAND_MAX_OUTPUT + 1);
	char errtext[200] = "";
	size_t outlen = 0, errlen_got = 0;
	bool too_long = false, timed_out = false;
	int64_t deadline = clock_mono_us() + (int64_t)COMMAND_TIMEOUT_MS * 1000;
	struct pollfd p[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int64_t left = (deadline - clock_mono_us()) / 1000;
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(p, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t n = read(p[i].fd, buf, sizeof buf);
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			if (i == 0) {
				size_t take = outlen + (size_t)n > COMMAND_MAX_OUTPUT ? COMMAND_MAX_OUTPUT - outlen : (size_t)n;
				memcpy(out + outlen, buf, take);
				outlen += take;
				too_long = too_long || take < (size_t)n;
			} else if (errlen_got + 1 < sizeof errtext) {
				size_t take = (size_t)n < sizeof errtext - 1 - errlen_got ? (size_t)n
											   : sizeof errtext - 1 - errlen_got;
				memcpy(errtext + errlen_got, buf, take);
				errlen_got += take;
			}
			explicit_bzero(buf, sizeof buf);
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	if (timed_out)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The first line of what it said on standard error. */
	errtext[strcspn(errtext, "\r\n")] = '\0';
	char *tok = NULL;
	char why[160] = "";
	if (timed_out)
		snprintf(why, sizeof why, "it did not finish within %d s", COMMAND_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(why, sizeof why, "it exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	else if (too_long)
		snprintf(why, sizeof why, "it printed more than %d KiB", COMMAND_MAX_OUTPUT / 1024);
	else
		tok = output_token(out, outlen, why, sizeof why);
	explicit_bzero(out, outlen);
	free(out);
	if (tok == NULL)
		snprintf(err, errlen, "the token command failed: %s%s%s", why, errtext[0] ? ": " : "", errtext);
	return tok;
}

static void *job_main(void *arg)
{
	struct tokensrc *t = arg;
	char err[300] = "";
	char *tok = command_run(t->where, err, sizeof err);
	pthread_mutex_lock(&t->mu);
	t->job.token = tok;
	snprintf(t->job.err, sizeof t->job.err, "%s", err);
	t->job.done = true;
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

struct tokensrc *tokensrc_command(const char *command, char *cause, size_t causelen)
{
	char *tok = command_run(command, cause, causelen);
	if (tok == NULL)
		return NULL;
	struct tokensrc *t = src_new(COMMAND, command);
	set_token(t, tok);
	return t;
}

void tokensrc_free(struct tokensrc *t)
{
	if (t == NULL)
		return;
	if (t->job.running) {
		pthread_join(t->job.thread, NULL);
		token_wipe_free(t->job.token);
	}
	pthread_mutex_destroy(&t->mu);
	token_wipe_free(t->token);
	free(t->where);
	free(t);
}

const char *tokensrc_token(const struct tokensrc *t)
{
	return t->token;
}

int64_t tokensrc_expires(const struct tokensrc *t)
{
	return t->exp;
}

bool tokensrc_renewable(const struct tokensrc *t)
{
	return t->kind != GIVEN;
}

/* ---- renewing ---------------------------------------------------------------------------- */

/* A candidate replaces the token only when it is fresher. */
static enum tokensrc_event offer(struct tokensrc *t, char *tok, int64_t now_ms, char *err, size_t errlen)
{
	struct proto_token_claims c;
	bool jwt = proto_token_peek(tok, &c) == 0;
	bool fresher = jwt ? c.exp > t->exp : strcmp(tok, t->token) != 0;
	if (!fresher) {
		token_wipe_free(tok);
		t->next_ms = now_ms + RETRY_MS;
		snprintf(err, errlen, "the %s %s gave no fresher token yet (the current one expires at %lld)",
			 t->kind == FILE_ ? "token file" : "token command", t->where, (long long)t->exp);
		return TOKENSRC_FAILED;
	}
	set_token(t, tok);
	return TOKENSRC_NEW;
}

enum tokensrc_event tokensrc_poll(struct tokensrc *t, int64_t now_ms, char *err, size_t errlen)
{
	if (t->kind == COMMAND && t->job.running) {
		pthread_mutex_lock(&t->mu);
		bool done = t->job.done;
		pthread_mutex_unlock(&t->mu);
		if (!done)
			return TOKENSRC_NONE;
		pthread_join(t->job.thread, NULL);
		t->job.running = false;
		char *tok = t->job.token;
		t->job.token = NULL;
		if (tok == NULL) {
			t->next_ms = now_ms + RETRY_MS;
			snprintf(err, errlen, "%s", t->job.err);
			return TOKENSRC_FAILED;
		}
		return offer(t, tok, now_ms, err, errlen);
	}
	if (t->next_ms == 0 || now_ms < t->next_ms)
		return TOKENSRC_NONE;
	if (t->kind == FILE_) {
		char *tok = NULL;
		if (token_file_read(t->where, &tok, err, errlen) != 0) {
			t->next_ms = now_ms + RETRY_MS;
			return TOKENSRC_FAILED;
		}
		return offer(t, tok, now_ms, err, errlen);
	}
	/* A command: in a thread, so that the loop goes on meanwhile. */
	memset(&t->job, 0, sizeof t->job);
	if (pthread_create(&t->job.thread, NULL, job_main, t) != 0) {
		t->next_ms = now_ms + RETRY_MS;
		snprintf(err, errlen, "cannot start the token command: %s", strerror(errno));
		return TOKENSRC_FAILED;
	}
	t->job.running = true;
	return TOKENSRC_NONE;
}

int tokensrc_timeout_ms(const struct tokensrc *t, int64_t now_ms)
{
	if (t->job.running)
		return 100;   /* the command's answer is looked for this often */
	if (t->next_ms == 0)
		return -1;
	int64_t left = t->next_ms - now_ms;
	return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}
