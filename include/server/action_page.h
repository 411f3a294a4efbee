/* action_page.h: the HTTP side of action links (action.h): the confirmation
 * page (GET, changes nothing) and the action (POST from its button). Both
 * answer with a small HTML page; loop thread only. */
#ifndef WFMON_ACTION_PAGE_H
#define WFMON_ACTION_PAGE_H

#include <stddef.h>

struct lws;
struct server;

/* GET /v1/actions/TOKEN. Returns what the lws callback should return. */
int action_page_get(struct server *s, struct lws *wsi, const char *token);
/* POST /v1/actions/TOKEN with its form body (borrowed). */
int action_page_post(struct server *s, struct lws *wsi, const char *token, const char *body, size_t len);

/* The largest form body accepted. */
#define ACTION_PAGE_MAX_BODY 4096

#endif
