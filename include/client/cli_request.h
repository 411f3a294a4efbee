/* cli_request.h: one request and its answer for the command-line tools that
 * ask the daemon something and exit (`wfmon alerts`, `wfmon metrics`).
 *
 * The endpoint (URL, TLS trust, token) comes resolved from main.c; messages
 * name the command ("wfmon alerts: ...") and say what to do. */
#ifndef WFMON_CLI_REQUEST_H
#define WFMON_CLI_REQUEST_H

#include <jansson.h>

#include "endpoint.h"
#include "wslink.h"

#define CLI_TIMEOUT_MS 10000

/* Connects and waits until the WebSocket is open; NULL after printing why
 * (refusals explained as the console explains them). */
struct wsl *cli_connect(const char *cmd, const struct endpoint *ep);
/* Sends req (borrowed) and waits for the message with the same id; NULL on a
 * timeout or a dropped connection. New reference. */
json_t *cli_ask(struct wsl *c, json_t *req, int timeout_ms);
/* Says goodbye and frees c. */
void cli_close(struct wsl *c);

#endif
