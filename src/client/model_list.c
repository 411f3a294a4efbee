/* model_list.c: filtering and sorting the executions for the list view (see
 * model.h), and keeping a built list until what it was built from changes.
 *
 * Invariant: a list whose `built` is set reflects the model at `serial`, the
 * filter in `key` and any time before `valid_until_ms`. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

static const char *const sort_names[SORT__COUNT] = {
	[SORT_ACTIVITY] = "activity", [SORT_WORKFLOW] = "workflow", [SORT_STATUS] = "status",
	[SORT_PROGRESS] = "progress", [SORT_DURATION] = "duration", [SORT_PRIORITY] = "priority",
	[SORT_ID] = "id",
};

const char *model_sort_name(enum model_sort s)
{
	return (unsigned)s < SORT__COUNT ? sort_names[s] : "?";
}

/* ---- filtering and sorting ------------------------------------------------------------- */

void model_filter_init(struct model_filter *f)
{
	memset(f, 0, sizeof *f);
	f->status = SF_ALL;
	f->sort = SORT_ACTIVITY;
}

void model_filter_free(struct model_filter *f)
{
	if (f->text_is_regex)
		regfree(&f->re);
	f->text_is_regex = false;
	f->text[0] = '\0';
	f->typed[0] = '\0';
	f->nlabels = 0;
}

/* Takes the label:KEY=VALUE terms out of text into labels; the rest into
 * rest. 0, or -1 with a cause. */
static int labels_take(const char *text, struct model_filter_label *labels, size_t *nlabels, char *rest,
		       size_t restlen, char *cause, size_t causelen)
{
	size_t r = 0;
	*nlabels = 0;
	rest[0] = '\0';
	const char *p = text;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		const char *start = p;
		bool quoted = false;
		while (*p != '\0' && (quoted || *p != ' ')) {
			if (*p == '"')
				quoted = !quoted;
			else if (*p == '\\' && quoted && p[1] != '\0')
				p++;
			p++;
		}
		size_t len = (size_t)(p - start);
		if (len > 6 && strncmp(start, "label:", 6) == 0) {
			char term[MODEL_FILTER_LEN];
			snprintf(term, sizeof term, "%.*s", (int)(len - 6), start + 6);
			struct proto_cause pc;
			json_t *o = proto_labels_parse_text(term, 1, &pc);
			if (o == NULL || json_object_size(o) != 1) {
				if (cause != NULL)
					snprintf(cause, causelen, "label:%s: %s", term,
						 o == NULL ? pc.message : "write it as label:KEY=VALUE");
				json_decref(o);
				return -1;
			}
			if (*nlabels == MODEL_FILTER_LABELS) {
				json_decref(o);
				if (cause != NULL)
					snprintf(cause, causelen, "at most %d label: terms", MODEL_FILTER_LABELS);
				return -1;
			}
			const char *key;
			json_t *v;
			json_object_foreach(o, key, v) {
				copy_str(labels[*nlabels].key, sizeof labels[0].key, key);
				copy_str(labels[*nlabels].value, sizeof labels[0].value, json_string_value(v));
			}
			(*nlabels)++;
			json_decref(o);
			continue;
		}
		int n = snprintf(rest + r, restlen - r, "%s%.*s", r ? " " : "", (int)len, start);
		if (n > 0 && (size_t)n < restlen - r)
			r += (size_t)n;
	}
	return 0;
}

int model_filter_set_text(struct model_filter *f, const char *text, char *cause, size_t causelen)
{
	struct model_filter_label labels[MODEL_FILTER_LABELS];
	size_t nlabels;
	char rest[MODEL_FILTER_LEN];
	if (labels_take(text ? text : "", labels, &nlabels, rest, sizeof rest, cause, causelen) < 0)
		return -1;
	model_filter_free(f);
	copy_str(f->typed, sizeof f->typed, text ? text : "");
	memcpy(f->labels, labels, sizeof labels);
	f->nlabels = nlabels;
	copy_str(f->text, sizeof f->text, rest);
	if (f->text[0] == '\0')
		return 0;
	int rc = regcomp(&f->re, f->text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc == 0) {
		f->text_is_regex = true;
		return 0;
	}
	if (cause != NULL && causelen > 0)
		regerror(rc, &f->re, cause, causelen);
	regfree(&f->re);
	return -1;
}

static bool text_match(const struct model_filter *f, const char *s)
{
	if (f->text_is_regex)
		return regexec(&f->re, s, 0, NULL, 0) == 0;
	return strcasestr(s, f->text) != NULL;
}

bool model_filter_match(const struct model_filter *f, const struct model_exec *x, int64_t now_ms,
			int64_t stale_after_ms)
{
	enum model_status st = model_exec_status(x, now_ms, stale_after_ms);
	static const unsigned accept[SF__COUNT] = {
		[SF_ALL] = ~0u,
		[SF_RUNNING] = 1u << MS_RUNNING | 1u << MS_STALE,
		[SF_FAILED] = 1u << MS_FAILED,
		[SF_COMPLETED] = 1u << MS_COMPLETED,
		[SF_QUEUED] = 1u << MS_QUEUED,
	};
	if (!(accept[f->status] & (1u << st)))
		return false;
	const char *name = exec_workflow_name(&x->x);
	if (f->workflow[0] != '\0' && strcasecmp(f->workflow, x->x.workflow_id) != 0 &&
	    strcasecmp(f->workflow, name) != 0)
		return false;
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *have = exec_label(&x->x, f->labels[i].key);
		if (have == NULL || strcmp(have, f->labels[i].value) != 0)
			return false;
	}
	if (f->text[0] != '\0' && !text_match(f, name) && !text_match(f, x->x.workflow_id) &&
	    !text_match(f, x->x.id) && !text_match(f, x->x.current_step) &&
	    !text_match(f, model_status_name(st)) && (x->x.error == NULL || !text_match(f, x->x.error)))
		return false;
	return true;
}

/* qsort has no context argument: the sort keys travel through this. */
static struct {
	enum model_sort sort;
	bool reverse;
	int64_t now_ms;
} sort_ctx;

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int activity_group(const struct model_exec *x)
{
	static const int group[EXEC__COUNT] = {
		[EXEC_RUNNING] = 0, [EXEC_QUEUED] = 1,
		[EXEC_FAILED] = 2, [EXEC_COMPLETED] = 2, [EXEC_CANCELLED] = 2,
	};
	return group[x->x.status];
}

static int sort_cmp(const void *pa, const void *pb)
{
	const struct model_exec *a = *(struct model_exec *const *)pa;
	const struct model_exec *b = *(struct model_exec *const *)pb;
	int c = 0;
	switch (sort_ctx.sort) {
	case SORT_ACTIVITY:
		c = activity_group(a) - activity_group(b);
		if (c == 0) /* newest first */
			c = -cmp_i64(a->x.started_ms ? a->x.started_ms : a->x.queued_ms,
				     b->x.started_ms ? b->x.started_ms : b->x.queued_ms);
		break;
	case SORT_WORKFLOW: c = strcasecmp(exec_workflow_name(&a->x), exec_workflow_name(&b->x)); break;
	case SORT_STATUS: c = (int)a->x.status - (int)b->x.status; break;
	case SORT_PROGRESS: c = model_exec_percent(b) - model_exec_percent(a); break;
	case SORT_DURATION:
		c = -cmp_i64(model_exec_duration_ms(a, sort_ctx.now_ms),
			     model_exec_duration_ms(b, sort_ctx.now_ms));
		break;
	case SORT_PRIORITY: c = (int)a->x.priority - (int)b->x.priority; break;
	case SORT_ID: c = strcmp(a->x.id, b->x.id); break;
	default: break;
	}
	if (c == 0) /* a total order, so rows never swap places between frames */
		c = strcmp(a->x.id, b->x.id);
	return sort_ctx.reverse ? -c : c;
}

/* When time alone may change the list: a running execution going stale
 * (the status filters and the text see that), and the durations of running
 * ones for that sort (they grow; a second is what the view shows). */
static int64_t valid_until(const struct model *m, const struct model_filter *f, int64_t now_ms,
			   int64_t stale_after_ms)
{
	int64_t until = INT64_MAX;
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		if (x->x.status != EXEC_RUNNING)
			continue;
		if (f->sort == SORT_DURATION)
			return now_ms + 1000;
		int64_t last = model_exec_activity_ms(x);
		if (stale_after_ms > 0 && last > 0 && last + stale_after_ms >= now_ms &&
		    last + stale_after_ms + 1 < until)
			until = last + stale_after_ms + 1;
	}
	return until;
}

void model_list_build(const struct model *m, const struct model_filter *f, int64_t now_ms,
		      int64_t stale_after_ms, struct model_list *out)
{
	/* The live executions, then those only history knows (model_search.h):
	 * an execution the live rooms hold is shown once, as they have it. */
	size_t need = m->nexecs + m->search.n;
	if (out->cap < need) {
		out->cap = need + 64;
		out->items = xrealloc(out->items, sizeof *out->items * out->cap);
	}
	out->n = 0;
	out->from_history = 0;
	for (size_t i = 0; i < m->nexecs; i++)
		if (model_filter_match(f, m->execs[i], now_ms, stale_after_ms))
			out->items[out->n++] = m->execs[i];
	for (size_t i = 0; i < m->search.n; i++) {
		struct model_exec *x = m->search.items[i];
		if (model_exec_find(m, x->x.id) == NULL && model_filter_match(f, x, now_ms, stale_after_ms)) {
			out->items[out->n++] = x;
			out->from_history++;
		}
	}
	sort_ctx.sort = f->sort;
	sort_ctx.reverse = f->reverse;
	sort_ctx.now_ms = now_ms;
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, sort_cmp);
	out->built = true;
	out->serial = m->execs_serial;
	out->key = *f;
	out->key.text_is_regex = false;   /* the copy holds no compiled pattern */
	out->stale_after_ms = stale_after_ms;
	out->valid_until_ms = valid_until(m, f, now_ms, stale_after_ms);
}

static bool same_filter(const struct model_filter *a, const struct model_filter *b)
{
	return a->status == b->status && a->sort == b->sort && a->reverse == b->reverse &&
	       strcmp(a->typed, b->typed) == 0 && strcmp(a->workflow, b->workflow) == 0;
}

bool model_list_refresh(const struct model *m, const struct model_filter *f, int64_t now_ms,
			int64_t stale_after_ms, struct model_list *out)
{
	if (out->built && out->serial == m->execs_serial && same_filter(&out->key, f) &&
	    out->stale_after_ms == stale_after_ms && now_ms < out->valid_until_ms)
		return false;
	model_list_build(m, f, now_ms, stale_after_ms, out);
	return true;
}

void model_list_free(struct model_list *l)
{
	free(l->items);
	memset(l, 0, sizeof *l);
}

long model_list_find(const struct model_list *l, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i]->x.id, id) == 0)
			return (long)i;
	return -1;
}
