/* model_search.c: the list's executions from history, asked of the daemon
 * when the filter reaches past the live rooms (see model_search.h).
 *
 * Invariants: items are the answer to the query of `serial` only; an answer
 * or error for another serial changes nothing; items never hold an
 * execution twice; the model's execs_serial moves whenever items change, so
 * the list is rebuilt. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"
#include "xalloc.h"

static void items_free(struct model_search *s)
{
	for (size_t i = 0; i < s->n; i++) {
		exec_clear(&s->items[i]->x);
		free(s->items[i]);
	}
	free(s->items);
	s->items = NULL;
	s->n = 0;
	s->more = false;
}

void model_search_clear(struct model *m)
{
	struct model_search *s = &m->search;
	if (s->n > 0)
		m->execs_serial++;
	items_free(s);
	s->state = MSEARCH_NONE;
	s->key[0] = '\0';
	s->error[0] = '\0';
}

void model_search_unsent(struct model *m)
{
	m->search.key[0] = '\0';
	m->search.state = MSEARCH_NONE;
}

/* A pattern the server can match: plain text, no regular expression. */
static bool plain_text(const char *t)
{
	return strpbrk(t, ".[]()*+?{}|^$\\") == NULL;
}

static const char *const history_status[SF__COUNT] = {
	[SF_FAILED] = "failed", [SF_COMPLETED] = "completed",
};

json_t *model_search_request_new(struct model *m, const struct model_filter *f)
{
	struct model_search *s = &m->search;
	bool text = f->text[0] != '\0', workflow = f->workflow[0] != '\0';
	const char *status = history_status[f->status];
	/* A text that is not a valid regular expression is matched as typed. */
	if (text && f->text_is_regex && !plain_text(f->text)) {
		if (s->state != MSEARCH_REGEX) {
			model_search_clear(m);
			s->state = MSEARCH_REGEX;
		}
		return NULL;
	}
	/* Running and queued executions are all in the live rooms. */
	if (!text && !workflow && status == NULL) {
		if (s->state != MSEARCH_NONE)
			model_search_clear(m);
		return NULL;
	}
	char key[MODEL_SEARCH_KEY];
	snprintf(key, sizeof key, "%d\n%s\n%s", (int)f->status, f->workflow, f->text);
	if (strcmp(key, s->key) == 0 && s->state != MSEARCH_NONE && s->state != MSEARCH_REGEX)
		return NULL;
	model_search_clear(m);
	snprintf(s->key, sizeof s->key, "%s", key);
	json_t *params = json_pack("{s:i}", "limit", MODEL_SEARCH_LIMIT);
	if (text)
		json_object_set_new(params, "text", json_string(f->text));
	if (workflow && proto_id_valid(f->workflow))
		json_object_set_new(params, "workflow", json_string(f->workflow));
	if (status != NULL)
		json_object_set_new(params, "status", json_string(status));
	s->serial++;
	s->state = MSEARCH_PENDING;
	char id[64];
	snprintf(id, sizeof id, "%s%llu", MODEL_ID_SEARCH, (unsigned long long)s->serial);
	return json_pack("{s:s,s:s,s:s,s:o}", "type", "query", "id", id, "query", "executions", "params", params);
}

/* The serial an answer's id carries, or 0 when it is not a search's. */
static uint64_t answer_serial(const char *id)
{
	size_t pl = strlen(MODEL_ID_SEARCH);
	if (id == NULL || strncmp(id, MODEL_ID_SEARCH, pl) != 0)
		return 0;
	return strtoull(id + pl, NULL, 10);
}

bool model_search_owns(const char *id)
{
	return answer_serial(id) != 0;
}

unsigned model_search_on_result(struct model *m, json_t *msg)
{
	struct model_search *s = &m->search;
	if (answer_serial(jstr(msg, "id")) != s->serial || s->state != MSEARCH_PENDING)
		return MC_NONE;
	json_t *data = json_object_get(msg, "data");
	json_t *list = json_object_get(data, "executions");
	items_free(s);
	size_t n = json_array_size(list);
	s->items = n ? xcalloc(n, sizeof *s->items) : NULL;
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		const char *id = jstr(j, "id"), *wf = jstr(j, "workflow_id");
		if (id == NULL || wf == NULL || !proto_id_valid(id) || !proto_id_valid(wf))
			continue;
		bool dup = false;
		for (size_t k = 0; k < s->n && !dup; k++)
			dup = strcmp(s->items[k]->x.id, id) == 0;
		if (dup)
			continue;
		struct model_exec *x = xcalloc(1, sizeof *x);
		exec_init(&x->x, id, wf);
		exec_merge_json(&x->x, j);
		s->items[s->n++] = x;
	}
	s->more = json_is_string(json_object_get(data, "next"));
	s->state = MSEARCH_LOADED;
	m->execs_serial++;
	return MC_LIST | MC_SEARCH;
}

unsigned model_search_on_error(struct model *m, json_t *msg)
{
	struct model_search *s = &m->search;
	if (answer_serial(jstr(msg, "id")) != s->serial || s->state != MSEARCH_PENDING)
		return MC_NONE;
	const char *code = jstr(msg, "code");
	s->state = code != NULL && strcmp(code, "unavailable") == 0 ? MSEARCH_UNAVAILABLE : MSEARCH_FAILED;
	copy_str(s->error, sizeof s->error, jstr(msg, "message") ? jstr(msg, "message") : code ? code : "");
	return MC_SEARCH;
}
