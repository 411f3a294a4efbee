/* tokensrc.h: where a client's token comes from, and a fresh one before it
 * expires.
 *
 * A token given as such (--token, WFMON_TOKEN, the config file's "token")
 * lives as long as it lives. A token file (--token-file) is read again, and a
 * token command (--token-command, the config file's "token-command") is run
 * again, once the token is near its end: a third of its lifetime before exp,
 * at most 60 s and at least 1 s before. That is how a console stays open all
 * day against an identity provider's short-lived tokens: something (an agent,
 * a cron job, the command itself) keeps the file or the command's answer
 * fresh, and the console sends each new token in-band (an "auth" request,
 * wfmon-protocol(7)) before the old one ends.
 *
 * A command prints the token on its standard output: the token alone, or a
 * kubectl ExecCredential ({"status": {"token": "..."}}), the way kubectl's
 * credential plugins answer. It runs with /bin/sh -c, its standard input
 * from /dev/null, for at most 30 s; what it says on standard error is kept
 * for the message when it fails.
 *
 * Never blocks once made: a file is small and read at once, a command runs
 * in a thread of its own and its answer is taken at a later tokensrc_poll.
 * Tokens are wiped from memory before they are freed; no message contains
 * one. */
#ifndef WFMON_TOKENSRC_H
#define WFMON_TOKENSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tokensrc;

/* The token itself (copied). */
struct tokensrc *tokensrc_given(const char *token);
/* Reads the file now. NULL with a cause naming it. */
struct tokensrc *tokensrc_file(const char *path, char *cause, size_t causelen);
/* Runs the command now, waiting for it (before any loop runs). NULL with a
 * cause that says what it printed on standard error. */
struct tokensrc *tokensrc_command(const char *command, char *cause, size_t causelen);
/* Waits for a command under way (at most its 30 s), then frees. */
void tokensrc_free(struct tokensrc *t);

/* The current token (borrowed until the next tokensrc_poll). */
const char *tokensrc_token(const struct tokensrc *t);
/* Its "exp", seconds since the epoch; 0 when it has none or is no JWT. */
int64_t tokensrc_expires(const struct tokensrc *t);
/* Whether a fresh token can come (a file or a command). */
bool tokensrc_renewable(const struct tokensrc *t);

enum tokensrc_event {
	TOKENSRC_NONE,     /* nothing new */
	TOKENSRC_NEW,      /* a fresher token replaced the old one */
	TOKENSRC_FAILED,   /* a renewal failed or gave no fresher token: err says why; retried soon */
};
/* Renews when due (now_ms: the wall clock). Never blocks. */
enum tokensrc_event tokensrc_poll(struct tokensrc *t, int64_t now_ms, char *err, size_t errlen);
/* Milliseconds until tokensrc_poll has something to do; -1: never. */
int tokensrc_timeout_ms(const struct tokensrc *t, int64_t now_ms);

/* The wall-clock time (ms) a token with these claims is renewed at: a third
 * of its lifetime before exp, between 1 and 60 s before (3600 s assumed
 * without iat); 0 without exp. Pure, for tests. */
int64_t tokensrc_renew_at_ms(int64_t exp_s, int64_t iat_s);

#endif
