/* model_search.h: the executions list's reach into history. A filter that
 * covers more than the live rooms hold (text, a workflow, the failed or
 * completed ones) asks the daemon's "executions" query (proto.h); what it
 * answers is kept here, apart from the live executions, and the list shows
 * both (model_list_build), saying where they came from. Part of the
 * console's model (model.h); model_search.c. */
#ifndef WFMON_MODEL_SEARCH_H
#define WFMON_MODEL_SEARCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct model;
struct model_exec;
struct model_filter;

#define MODEL_ID_SEARCH "search:"     /* + serial: an executions query */
#define MODEL_SEARCH_LIMIT 200        /* executions asked for at once */
#define MODEL_SEARCH_KEY 512

enum model_search_state {
	MSEARCH_NONE,          /* the filter asks nothing of history */
	MSEARCH_REGEX,         /* a regular expression: the server cannot, loaded ones only */
	MSEARCH_PENDING,       /* asked, no answer yet */
	MSEARCH_LOADED,        /* answered: items */
	MSEARCH_UNAVAILABLE,   /* the daemon keeps no history (or it is away) */
	MSEARCH_FAILED,        /* refused: error */
};

struct model_search {
	enum model_search_state state;
	char key[MODEL_SEARCH_KEY];           /* the filter it was asked for */
	uint64_t serial;                      /* of the last query; older answers are dropped */
	struct model_exec **items;            /* owned: executions from history, newest first */
	size_t n;
	bool more;                            /* the server has more than these */
	char error[PROTO_MAX_TEXT + 1];
};

/* What the filter needs from history, as a query (new reference, id
 * MODEL_ID_SEARCH + serial), or NULL when it needs nothing new: the same
 * filter as the last query, or one the live executions answer in full
 * (every running and queued execution is live), or a regular expression
 * (the server matches substrings: the state says so). A new filter drops
 * the previous answer. */
json_t *model_search_request_new(struct model *m, const struct model_filter *f);
/* Forgets the answer (a connection lost: it is asked again). */
void model_search_clear(struct model *m);
/* The query was not sent (no connection): asked again by the next request. */
void model_search_unsent(struct model *m);

#endif
