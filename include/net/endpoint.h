/* endpoint.h: where a client reaches wfmond and as whom: the URL, the TLS
 * trust and client certificate, the token and where fresh ones come from.
 *
 * Filled once by the program (wfmon's main.c, wfmon-sim) from its options,
 * the environment and the config file; the console, `wfmon tail`, `wfmon
 * alerts` and wfmon-sim connect with endpoint_link, so that every one of
 * them verifies certificates, sends the token and renews it the same way. */
#ifndef WFMON_ENDPOINT_H
#define WFMON_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "tlsclient.h"
#include "tokensrc.h"
#include "wslink.h"
#include "wsurl.h"

struct endpoint {
	char *url;               /* as written, for messages */
	struct ws_url where;
	struct tlsc_files tls;   /* strings owned; used when where.tls */
	struct tokensrc *token;  /* owned */
};

/* The link to open now: the endpoint's address and TLS settings, the
 * subprotocol, the current token. Strings borrowed from ep (the token until
 * the next tokensrc_poll). */
void endpoint_link(const struct endpoint *ep, struct wsl_config *out);
/* A sentence warning that the token crosses a network in clear text (a ws://
 * URL to a host that is not this machine), or NULL when it does not. */
const char *endpoint_cleartext_warning(const struct endpoint *ep);

/* Renews the token when due and, on a live link, sends the fresh one in-band
 * (an "auth" request with id "auth"). Returns what tokensrc_poll said; err
 * holds the failure's sentence. link may be NULL or not open. */
enum tokensrc_event endpoint_renew(struct endpoint *ep, struct wsl *link, int64_t now_ms, char *err,
				   size_t errlen);

/* Frees what ep owns and empties it. */
void endpoint_clear(struct endpoint *ep);

#endif
