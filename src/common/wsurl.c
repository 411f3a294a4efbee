/* wsurl.c: parsing the daemon's URL (see wsurl.h). */
#include "wsurl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *prefix;
	bool tls;
} schemes[] = {
	{ "ws://", false }, { "wss://", true }, { "http://", false }, { "https://", true },
};

int ws_url_parse(const char *url, struct ws_url *out, char *cause, size_t causelen)
{
	const char *p = NULL;
	bool tls = false;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i].prefix);
		if (strncasecmp(url, schemes[i].prefix, n) == 0) {
			p = url + n;
			tls = schemes[i].tls;
		}
	}
	if (p == NULL) {
		snprintf(cause, causelen, "the URL must start with ws://, wss://, http:// or https://, as in %s "
					  "or wss://wfmon.example.com", WS_URL_EXAMPLE);
		return -1;
	}
	const char *host, *host_end, *port = NULL;
	if (*p == '[') {
		host = p + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || (host_end[1] != ':' && !(tls && (host_end[1] == '/' || host_end[1] == '\0')))) {
			snprintf(cause, causelen, "write an IPv6 address as ws://[ADDRESS]:PORT");
			return -1;
		}
		port = host_end[1] == ':' ? host_end + 2 : NULL;
	} else {
		host = p;
		host_end = host + strcspn(host, ":/");
		if (*host_end == ':')
			port = host_end + 1;
		else if (!tls) {
			snprintf(cause, causelen, "the URL has no port: write ws://HOST:PORT, as in %s",
				 WS_URL_EXAMPLE);
			return -1;
		}
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen > WS_URL_MAX_HOST || memchr(host, '@', hlen) != NULL) {
		snprintf(cause, causelen, "the URL's host must be 1 to %d characters, without user "
					  "name, as in %s", WS_URL_MAX_HOST, WS_URL_EXAMPLE);
		return -1;
	}
	long pn = WS_URL_TLS_PORT;
	const char *rest = host_end + (*host_end == ']' ? 1 : 0);
	if (port != NULL) {
		char *end = NULL;
		errno = 0;
		pn = (*port >= '0' && *port <= '9') ? strtol(port, &end, 10) : -1;
		if (pn < 1 || pn > 65535 || errno != 0 || (*end != '\0' && *end != '/')) {
			snprintf(cause, causelen, "the URL's port must be a number from 1 to 65535, as in %s",
				 WS_URL_EXAMPLE);
			return -1;
		}
		rest = end;
	}
	const char *path = *rest == '/' ? rest : "/";
	if (strlen(path) > WS_URL_MAX_PATH) {
		snprintf(cause, causelen, "the URL's path is longer than %d characters", WS_URL_MAX_PATH);
		return -1;
	}
	for (const char *c = path; *c; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f || *c == '#') {
			snprintf(cause, causelen, "the URL's path must not contain spaces, control "
						  "characters or '#'");
			return -1;
		}
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	out->port = (int)pn;
	out->tls = tls;
	snprintf(out->path, sizeof out->path, "%s", path);
	return 0;
}

bool ws_url_host_is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
		return true;
	unsigned a, b, c, d;
	char extra;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 && c < 256 &&
	       d < 256;
}
