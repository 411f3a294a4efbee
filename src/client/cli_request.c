/* cli_request.c: one request, one answer (see cli_request.h). */
#include "cli_request.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "reconnect.h"
#include "xalloc.h"

struct wsl *cli_connect(const char *cmd, const struct endpoint *ep)
{
	struct wsl_config cfg;
	char cause[256];
	endpoint_link(ep, &cfg);
	struct wsl *c = wsl_new(&cfg, cause, sizeof cause);
	if (c == NULL) {
		fprintf(stderr, "wfmon %s: %s\n", cmd, cause);
		return NULL;
	}
	if (wsl_wait_open(c, CLI_TIMEOUT_MS) < 0) {
		char why[400];
		if (wsl_state(c) == WSL_CLOSED)
			reconnect_explain(wsl_http_status(c), wsl_close_code(c), wsl_error(c), "client", why, sizeof why);
		else
			snprintf(why, sizeof why, "no answer from %s within %d s", ep->url, CLI_TIMEOUT_MS / 1000);
		fprintf(stderr, "wfmon %s: cannot connect: %s\n", cmd, why);
		wsl_free(c);
		return NULL;
	}
	return c;
}

json_t *cli_ask(struct wsl *c, json_t *req, int timeout_ms)
{
	char *text = json_dumps(req, JSON_COMPACT);
	int rc = wsl_send_text(c, text, strlen(text));
	free(text);
	if (rc < 0 || wsl_wait_flushed(c, timeout_ms) < 0)
		return NULL;
	json_t *want = json_object_get(req, "id");
	for (;;) {
		const char *data;
		size_t len;
		if (wsl_wait_message(c, timeout_ms, &data, &len) != 1)
			return NULL;
		json_t *m = json_loadb(data, len, 0, NULL);
		if (m != NULL && json_equal(json_object_get(m, "id"), want))
			return m;
		json_decref(m);
	}
}

void cli_close(struct wsl *c)
{
	wsl_send_close(c, 1000);
	wsl_wait_flushed(c, 500);
	wsl_free(c);
}

char *cli_read_file(const char *path, char *cause, size_t causelen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		snprintf(cause, causelen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			if (cap >= PROTO_MAX_MESSAGE) {
				snprintf(cause, causelen, "%s: larger than %d bytes", path, PROTO_MAX_MESSAGE);
				free(buf);
				if (f != stdin)
					fclose(f);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (f != stdin)
		fclose(f);
	buf[len] = '\0';
	return buf;
}

int cli_answer_status(const char *cmd, json_t *m, bool json_out)
{
	if (m == NULL) {
		fprintf(stderr, "wfmon %s: no answer from the daemon\n", cmd);
		return 1;
	}
	if (json_out) {
		char *t = json_dumps(m, JSON_COMPACT);
		puts(t);
		free(t);
	}
	const char *type = json_string_value(json_object_get(m, "type"));
	if (type != NULL && strcmp(type, "error") == 0) {
		const char *field = json_string_value(json_object_get(m, "field"));
		const char *code = json_string_value(json_object_get(m, "code"));
		const char *msg = json_string_value(json_object_get(m, "message"));
		fprintf(stderr, "wfmon %s: %s%s%s: %s\n", cmd, code ? code : "error", field && *field ? " at " : "",
			field && *field ? field : "", msg ? msg : "");
		return 1;
	}
	return 0;
}

int cli_usage_error(const char *cmd, void (*usage)(FILE *f), const char *fmt, const char *arg)
{
	fprintf(stderr, "wfmon %s: ", cmd);
	fprintf(stderr, fmt, arg ? arg : "");
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}
