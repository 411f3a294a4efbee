/* dashboards.c: the "dashboard" request (see dashboards.h).
 *
 * Invariants: a save reaches the store only after dashboard_parse accepted
 * it, in its canonical form; the answer names the client by connection id
 * (pending.h), never by pointer. */
#include "dashboards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dashboard.h"
#include "org.h"
#include "pending.h"
#include "reply.h"
#include "server.h"

static enum proto_error refusal_code(const char *code)
{
	if (code != NULL && strcmp(code, "not_found") == 0)
		return PROTO_ERR_NOT_FOUND;
	return PROTO_ERR_BAD_REQUEST;
}

void dashboards_request(struct conn *c, const struct proto_request *req)
{
	struct server *s = c->srv;
	struct reply_to to = { .conn_id = c->id, .req_id = req->id };
	if (c->who.role == ROLE_PRODUCER) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "producers have no dashboards", NULL);
		return;
	}
	const char *user = req->dashboard_user ? req->dashboard_user : c->who.sub;
	if (strcmp(user, c->who.sub) != 0 && c->who.role != ROLE_ADMIN) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN,
				"only the organization's admins may see or change another user's dashboards", "user");
		return;
	}
	if (s->store == NULL) {
		conn_send_error(c, req->id, PROTO_ERR_UNAVAILABLE,
				"dashboards are kept in the database: start wfmond with --database", NULL);
		return;
	}
	json_t *params = json_pack("{s:s,s:s,s:s,s:s}", "op", dashboard_action_name(req->dashboard_action), "actor",
				   c->who.sub, "role", auth_role_name(c->who.role), "user", user);
	if (req->dashboard_name != NULL)
		json_object_set_new(params, "name", json_string(req->dashboard_name));
	if (req->dashboard_action == DASH_SAVE) {
		/* Checked here, so the refusal names the field before the store is asked. */
		struct dashboard *d = calloc(1, sizeof *d);
		struct proto_cause cause;
		if (d == NULL || dashboard_parse(req->dashboard, d, &cause) != 0) {
			char field[128];
			snprintf(field, sizeof field, "dashboard.%s", d ? cause.field : "");
			conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, d ? cause.message : "out of memory", field);
			free(d);
			json_decref(params);
			return;
		}
		json_object_set_new(params, "dashboard", dashboard_json_new(d, false));
		free(d);
		if (req->dashboard_rename_from != NULL)
			json_object_set_new(params, "rename_from", json_string(req->dashboard_rename_from));
	}
	struct pending *p = pending_new(s, PENDING_DASHBOARD, &to);
	p->dash_action = req->dashboard_action;
	if (store_query(s->store, STORE_Q_DASHBOARD, c->org->id, params, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		conn_send_error(c, req->id, PROTO_ERR_UNAVAILABLE, "the store is busy: retry in a moment", NULL);
	}
}

void dashboards_done(struct server *s, struct pending *p, const struct store_done *d)
{
	const struct reply_to *to = &p->to;
	if (d->status != 0) {
		reply_error(s, to, PROTO_ERR_UNAVAILABLE, d->error, NULL);
		return;
	}
	json_t *refused = json_object_get(d->result, "refused");
	if (refused != NULL) {
		const char *field = json_string_value(json_object_get(refused, "field"));
		char path[128];
		snprintf(path, sizeof path, "%s%s", p->dash_action == DASH_SAVE && field && strcmp(field, "rename_from")
							    ? "dashboard." : "", field ? field : "");
		reply_error(s, to, refusal_code(json_string_value(json_object_get(refused, "code"))),
			    json_string_value(json_object_get(refused, "message")), path);
		return;
	}
	reply_send(s, to, dashboard_answer_message_new(to->req_id, p->dash_action, d->result), 200, NULL);
}
