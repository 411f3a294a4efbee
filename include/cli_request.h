/* cli_request.h: one request and its answer for the command-line tools that
 * ask the daemon something and exit (`wfmon alerts`, `wfmon metrics`).
 *
 * The connection options and the token come resolved from main.c; messages
 * name the command ("wfmon alerts: ...") and say what to do. */
#ifndef WFMON_CLI_REQUEST_H
#define WFMON_CLI_REQUEST_H

#include <jansson.h>

#include "wsclient.h"

#define CLI_TIMEOUT_MS 10000

/* Connects and waits until the WebSocket is open; NULL after printing why
 * (a refused token gets its own advice). */
struct wsc *cli_connect(const char *cmd, const char *host, int port, const char *path, const char *token);
/* Sends req (borrowed) and waits for the message with the same id; NULL on a
 * timeout or a dropped connection. New reference. */
json_t *cli_ask(struct wsc *c, json_t *req, int timeout_ms);
/* Says goodbye and frees c. */
void cli_close(struct wsc *c);

#endif
