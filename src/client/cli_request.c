/* cli_request.c: one request, one answer (see cli_request.h). */
#include "cli_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct wsc *cli_connect(const char *cmd, const char *host, int port, const char *path, const char *token)
{
	struct wsc_config cfg = {
		.host = host, .port = port, .path = path, .subprotocol = PROTO_SUBPROTOCOL, .bearer = token,
	};
	char cause[256];
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	if (c == NULL) {
		fprintf(stderr, "wfmon %s: %s\n", cmd, cause);
		return NULL;
	}
	if (wsc_wait_open(c, CLI_TIMEOUT_MS) < 0) {
		if (wsc_http_status(c) == 401)
			fprintf(stderr, "wfmon %s: the server refused the token (HTTP 401): mint a new one with "
					"`wfmon token`\n", cmd);
		else
			fprintf(stderr, "wfmon %s: cannot connect: %s\n", cmd, wsc_error(c));
		wsc_free(c);
		return NULL;
	}
	return c;
}

json_t *cli_ask(struct wsc *c, json_t *req, int timeout_ms)
{
	char *text = json_dumps(req, JSON_COMPACT);
	int rc = wsc_send_text(c, text, strlen(text));
	free(text);
	if (rc < 0 || wsc_wait_flushed(c, timeout_ms) < 0)
		return NULL;
	json_t *want = json_object_get(req, "id");
	for (;;) {
		const char *data;
		size_t len;
		if (wsc_wait_message(c, timeout_ms, &data, &len) != 1)
			return NULL;
		json_t *m = json_loadb(data, len, 0, NULL);
		if (m != NULL && json_equal(json_object_get(m, "id"), want))
			return m;
		json_decref(m);
	}
}

void cli_close(struct wsc *c)
{
	wsc_send_close(c, 1000);
	wsc_wait_flushed(c, 500);
	wsc_free(c);
}
