/* ws.h: the lws callback of the "wfmon.v1" WebSocket protocol. */
#ifndef WFMON_WS_H
#define WFMON_WS_H

#include <stddef.h>

struct lws;
enum lws_callback_reasons;

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
