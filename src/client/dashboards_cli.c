/* dashboards_cli.c: `wfmon dashboards` (see dashboards_cli.h): one
 * connection, one "dashboard" request, one answer. */
#include "dashboards_cli.h"

#include <stdlib.h>
#include <string.h>

#include "cli_request.h"
#include "dashboard.h"
#include "proto.h"

void dashboards_cli_usage(FILE *f)
{
	fputs("usage: wfmon dashboards [--url URL] [--token T | --token-file F] [--json] ACTION ...\n"
	      "  list [--user U]             the dashboards: name, widgets, default, last change\n"
	      "  export NAME [--user U]      one dashboard as JSON on standard output\n"
	      "  import FILE|- [--user U]    save a dashboard from JSON (replaces one of the same name)\n"
	      "  delete NAME [--user U]      delete a dashboard\n"
	      "  default NAME [--user U]     the dashboard the console opens on\n"
	      "  --user names another user's dashboards (admins only)\n", f);
}

static int usage(const char *fmt, const char *arg)
{
	return cli_usage_error("dashboards", dashboards_cli_usage, fmt, arg);
}

static void print_list(json_t *list)
{
	printf("%-32s %7s %-7s %s\n", "NAME", "WIDGETS", "DEFAULT", "UPDATED");
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *at = json_string_value(json_object_get(d, "updated_at"));
		printf("%-32s %7lld %-7s %s\n", name ? name : "?",
		       (long long)json_integer_value(json_object_get(d, "widgets")),
		       json_is_true(json_object_get(d, "is_default")) ? "yes" : "", at ? at : "-");
	}
}

/* The file as a checked dashboard in canonical form (new), or NULL after
 * saying why (in the daemon's words, naming the field). */
static json_t *read_dashboard(const char *path)
{
	char cause[256];
	char *text = cli_read_file(path, cause, sizeof cause);
	if (text == NULL) {
		fprintf(stderr, "wfmon dashboards: %s\n", cause);
		return NULL;
	}
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	free(text);
	if (j == NULL) {
		fprintf(stderr, "wfmon dashboards: %s: not JSON (line %d: %s)\n", path, err.line, err.text);
		return NULL;
	}
	/* An export of another user's may carry its owner: the importer owns the copy. */
	json_object_del(j, "user");
	json_object_del(j, "updated_at");
	struct dashboard *d = calloc(1, sizeof *d);
	struct proto_cause pc;
	json_t *out = NULL;
	if (d != NULL && dashboard_parse(j, d, &pc) == 0)
		out = dashboard_json_new(d, false);
	else if (d != NULL)
		fprintf(stderr, "wfmon dashboards: %s: %s: %s\n", path, pc.field, pc.message);
	free(d);
	json_decref(j);
	return out;
}

int dashboards_cli_run(const struct cli_action_options *opt)
{
	if (opt->argc < 1)
		return usage("name an action%s", "");
	static const struct {
		const char *name;
		enum dash_action action;
		bool takes_arg;
	} actions[] = {
		{ "list", DASH_LIST, false }, { "export", DASH_GET, true }, { "import", DASH_SAVE, true },
		{ "delete", DASH_DELETE, true }, { "default", DASH_DEFAULT, true },
	};
	size_t k = 0;
	while (k < sizeof actions / sizeof actions[0] && strcmp(actions[k].name, opt->argv[0]) != 0)
		k++;
	if (k == sizeof actions / sizeof actions[0])
		return usage("unknown action '%s'", opt->argv[0]);
	const char *arg = NULL, *user = NULL;
	for (int i = 1; i < opt->argc; i++) {
		if (strcmp(opt->argv[i], "--user") == 0 && i + 1 < opt->argc)
			user = opt->argv[++i];
		else if (strncmp(opt->argv[i], "--user=", 7) == 0)
			user = opt->argv[i] + 7;
		else if (arg == NULL && actions[k].takes_arg)
			arg = opt->argv[i];
		else
			return usage("unexpected argument '%s'", opt->argv[i]);
	}
	if (actions[k].takes_arg && arg == NULL)
		return usage("%s needs an argument", actions[k].name);
	if (user != NULL && !proto_id_valid(user))
		return usage("--user '%s' is not a user id", user);
	json_t *dash = NULL;
	if (actions[k].action == DASH_SAVE && (dash = read_dashboard(arg)) == NULL)
		return 2;
	json_t *req = dashboard_request_new("cli", actions[k].action, actions[k].action == DASH_SAVE ? NULL : arg,
					    user, dash, NULL);
	json_decref(dash);
	struct wsl *c = cli_connect("dashboards", opt->ep);
	if (c == NULL) {
		json_decref(req);
		return 1;
	}
	json_t *m = cli_ask(c, req, CLI_TIMEOUT_MS);
	json_decref(req);
	int rc = cli_answer_status("dashboards", m, opt->json);
	if (rc == 0 && !opt->json) {
		json_t *d = json_object_get(m, "dashboard");
		switch (actions[k].action) {
		case DASH_LIST:
			print_list(json_object_get(m, "dashboards"));
			break;
		case DASH_GET: {
			/* Without its owner: the file imports as is. */
			json_t *copy = json_deep_copy(d);
			json_object_del(copy, "user");
			json_object_del(copy, "updated_at");
			char *t = json_dumps(copy, JSON_INDENT(2));
			if (t != NULL)
				puts(t);
			free(t);
			json_decref(copy);
			break;
		}
		case DASH_SAVE:
			printf("%s dashboard %s\n", json_is_true(json_object_get(m, "created")) ? "created" : "replaced",
			       json_string_value(json_object_get(d, "name")));
			break;
		default:
			printf("done\n");
			break;
		}
	}
	json_decref(m);
	cli_close(c);
	return rc;
}
