/* cli_request.h: one request and its answer for the command-line tools that
 * ask the daemon something and exit (`wfmon alerts`, `wfmon metrics`).
 *
 * The endpoint (URL, TLS trust, token) comes resolved from main.c; messages
 * name the command ("wfmon alerts: ...") and say what to do. */
#ifndef WFMON_CLI_REQUEST_H
#define WFMON_CLI_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "endpoint.h"
#include "wslink.h"

#define CLI_TIMEOUT_MS 10000

/* What a one-request tool (`wfmon alerts`, `wfmon dashboards`) gets from main.c. */
struct cli_action_options {
	struct endpoint *ep;  /* where and as whom */
	bool json;            /* print the daemon's answers as JSON lines */
	int argc;             /* the action and its arguments */
	char **argv;
};

/* "wfmon CMD: " + the message (fmt with one %s for arg) on standard error,
 * then the tool's usage; returns 2 (a usage error). */
int cli_usage_error(const char *cmd, void (*usage)(FILE *f), const char *fmt, const char *arg);

/* Connects and waits until the WebSocket is open; NULL after printing why
 * (refusals explained as the console explains them). */
struct wsl *cli_connect(const char *cmd, const struct endpoint *ep);
/* Sends req (borrowed) and waits for the message with the same id; NULL on a
 * timeout or a dropped connection. New reference. */
json_t *cli_ask(struct wsl *c, json_t *req, int timeout_ms);
/* Says goodbye and frees c. */
void cli_close(struct wsl *c);

/* The whole of a file (or standard input for "-"), NUL-terminated, at most
 * PROTO_MAX_MESSAGE bytes: a new string, or NULL with the cause. */
char *cli_read_file(const char *path, char *cause, size_t causelen);
/* Prints an answer as a JSON line when json_out; an error answer (or none)
 * goes to standard error as "wfmon CMD: code at field: message". Returns 0
 * for an answer that is not an error, 1 otherwise. */
int cli_answer_status(const char *cmd, json_t *m, bool json_out);

#endif
