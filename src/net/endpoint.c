/* endpoint.c: connecting to wfmond the one way every client does (see
 * endpoint.h). */
#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

void endpoint_link(const struct endpoint *ep, struct wsl_config *out)
{
	memset(out, 0, sizeof *out);
	out->host = ep->where.host;
	out->port = ep->where.port;
	out->path = ep->where.path;
	out->tls = ep->where.tls;
	if (ep->where.tls) {
		out->ca_file = ep->tls.ca_file;
		out->cert_file = ep->tls.cert_file;
		out->key_file = ep->tls.key_file;
	}
	out->subprotocol = PROTO_SUBPROTOCOL;
	out->bearer = ep->token ? tokensrc_token(ep->token) : NULL;
}

const char *endpoint_cleartext_warning(const struct endpoint *ep)
{
	if (ep->where.tls || ws_url_host_is_loopback(ep->where.host))
		return NULL;
	return "the URL is not encrypted (ws:// or http://) and the daemon is on another host: the token "
	       "will cross the network in clear text, where anyone on the path can read and reuse it; "
	       "use wss:// (see TLS in wfmond(8))";
}

enum tokensrc_event endpoint_renew(struct endpoint *ep, struct wsl *link, int64_t now_ms, char *err,
				   size_t errlen)
{
	if (ep->token == NULL)
		return TOKENSRC_NONE;
	enum tokensrc_event e = tokensrc_poll(ep->token, now_ms, err, errlen);
	if (e != TOKENSRC_NEW || link == NULL || wsl_state(link) != WSL_OPEN)
		return e;
	char *req = proto_auth_request_new("auth", tokensrc_token(ep->token));
	if (req != NULL) {
		wsl_send_text(link, req, strlen(req));
		explicit_bzero(req, strlen(req));
		free(req);
	}
	return e;
}

void endpoint_clear(struct endpoint *ep)
{
	free(ep->url);
	free((char *)ep->tls.ca_file);
	free((char *)ep->tls.cert_file);
	free((char *)ep->tls.key_file);
	tokensrc_free(ep->token);
	memset(ep, 0, sizeof *ep);
}
