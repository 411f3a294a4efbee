/* wsurl.h: the daemon's address as users write it: ws://, wss://, http://
 * or https://HOST[:PORT][/PATH].
 *
 * Shared by every client (the console and its commands, wfmon-sim,
 * wfmon-bench, the tests). wss:// and https:// mean TLS (the same listener
 * serves WebSocket and HTTP, so either scheme names it); ws:// and http://
 * mean plain TCP. Pure: no I/O. */
#ifndef WFMON_WSURL_H
#define WFMON_WSURL_H

#include <stdbool.h>
#include <stddef.h>

#define WS_URL_MAX_HOST 255
#define WS_URL_MAX_PATH 1024
/* The example the parser's messages show. */
#define WS_URL_EXAMPLE "ws://127.0.0.1:7681"
/* The port of wss:// and https:// when the URL gives none (a TLS proxy). */
#define WS_URL_TLS_PORT 443

struct ws_url {
	char host[WS_URL_MAX_HOST + 1];  /* without the brackets of an IPv6 literal */
	int port;
	char path[WS_URL_MAX_PATH + 1];  /* "/" when the URL has none */
	bool tls;                        /* wss:// or https:// */
};

/* Parses SCHEME://HOST[:PORT][/PATH] (HOST may be a bracketed IPv6 literal;
 * the scheme is case-insensitive). ws:// and http:// need the port (the
 * daemon's is not a web server's 80); wss:// and https:// default to 443.
 * User names, ports outside 1..65535 and paths with spaces, control
 * characters or '#' are refused. Returns 0, or -1 with a sentence in cause
 * saying what is wrong and how to write it (the URL itself is not repeated). */
int ws_url_parse(const char *url, struct ws_url *out, char *cause, size_t causelen);

/* True for a host that is this machine: localhost, 127.0.0.0/8, ::1. A
 * token sent in clear text to any other crosses a network. */
bool ws_url_host_is_loopback(const char *host);

#endif
