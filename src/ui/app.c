/* app.c: the console's event loop, global keys, the command line and the
 * message line (see ui_app.h, ui_view.h).
 *
 * Invariants: one poll() over the terminal and the connection per turn, with
 * a finite timeout; a frame is drawn only when something changed or a visible
 * tick is due, never more often than every UI_FRAME_MS, and always ends with
 * exactly one doupdate; the execution room is subscribed exactly while the
 * execution, step or timeline view is shown (and the resources room while
 * the resources view is); the alerts room is subscribed from the start, so
 * the header's count and the critical banner are right in every view. */
#include "ui_app.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "i18n.h"
#include "endpoint.h"
#include "ui_screen.h"
#include "ui_view.h"
#include "xalloc.h"

/* Frames at most this often: events coalesce, latency stays under 100 ms. */
#define UI_FRAME_MS 50
#define UI_MESSAGE_MS 6000
#define UI_IDLE_MS 1000
#define UI_RECONNECTED_MS 60000   /* how long "reconnected: ..." stays on the notice line */

static volatile sig_atomic_t app_stop;

static void app_on_signal(int sig)
{
	(void)sig;
	app_stop = 1;
}

static const struct ui_view_ops *const views[VIEW__COUNT] = {
	[VIEW_LIST] = &ui_view_list,
	[VIEW_EXEC] = &ui_view_exec,
	[VIEW_STEP] = &ui_view_step,
	[VIEW_TIMELINE] = &ui_view_timeline,
	[VIEW_QUEUE] = &ui_view_queue,
	[VIEW_RESOURCES] = &ui_view_resources,
	[VIEW_ALERTS] = &ui_view_alerts,
	[VIEW_ALERT] = &ui_view_alert,
	[VIEW_RULES] = &ui_view_rules,
	[VIEW_RULE_FORM] = &ui_view_rule_form,
	[VIEW_METRICS] = &ui_view_metrics,
	[VIEW_METRICS_WF] = &ui_view_metrics_workflow,
	[VIEW_HEALTH] = &ui_view_health,
	[VIEW_DASHBOARD] = &ui_view_dashboard,
	[VIEW_DASHBOARD_EDIT] = &ui_view_dashboard_edit,
};

/* The views that show the open execution (and keep its room). */
static bool view_shows_execution(enum ui_view_id id)
{
	static const bool shows[VIEW__COUNT] = {
		[VIEW_EXEC] = true, [VIEW_STEP] = true, [VIEW_TIMELINE] = true,
	};
	return shows[id];
}

/* ---- actions ------------------------------------------------------------------------ */

void ui_message(struct ui *ui, enum ui_element el, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof ui->message, fmt, ap);
	va_end(ap);
	ui->message_el = el;
	ui->message_until_ms = ui->now_ms + UI_MESSAGE_MS;
	ui->dirty = true;
}

static void exec_room(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "execution:%s", id);
}

void ui_set_view(struct ui *ui, enum ui_view_id id)
{
	char room[PROTO_MAX_ROOM + 1];
	/* Leaving the execution (to the list, queue...) unsubscribes its room. */
	if (!view_shows_execution(id) && ui->exec_id[0] != '\0') {
		exec_room(ui->exec_id, room, sizeof room);
		session_unwant(ui->session, room);
		ui->exec_id[0] = '\0';
		ui_textpane_clear(&ui->log);
		ui->log_seen = 0;
	}
	if (ui->view != NULL && ui->view->leave != NULL)
		ui->view->leave(ui);
	ui->view_id = id;
	ui->view = views[id];
	if (ui->view->enter != NULL)
		ui->view->enter(ui);
	ui->dirty = true;
}

int ui_request(struct ui *ui, json_t *req)
{
	if (session_request(ui->session, req) != 0) {
		ui_message(ui, UI_ERROR, "%s", _("not connected: try again when the header says LIVE"));
		return -1;
	}
	return 0;
}

void ui_open_execution(struct ui *ui, const char *id)
{
	if (!proto_id_valid(id)) {
		ui_message(ui, UI_ERROR, _("\"%s\" is not an execution id"), id);
		return;
	}
	char room[PROTO_MAX_ROOM + 1];
	if (ui->exec_id[0] != '\0' && strcmp(ui->exec_id, id) != 0) {
		exec_room(ui->exec_id, room, sizeof room);
		session_unwant(ui->session, room);
	}
	if (strcmp(ui->exec_id, id) != 0) {
		ui_textpane_clear(&ui->log);
		ui->log_seen = 0;
		ui->step_sel = ui->step_top = 0;
		ui->step_sel_id[0] = '\0';
		ui->log_focus = false;
	}
	snprintf(ui->exec_id, sizeof ui->exec_id, "%s", id);
	exec_room(id, room, sizeof room);
	if (session_want(ui->session, room) != 0)
		ui_message(ui, UI_ERROR, "%s", _("too many rooms open"));
	ui_set_view(ui, VIEW_EXEC);
}

int ui_set_theme(struct ui *ui, const char *name)
{
	char cause[1024];
	struct ui_theme t;
	if (ui_theme_load(name, &t, cause, sizeof cause) != 0) {
		ui_message(ui, UI_ERROR, "%s", cause);
		return -1;
	}
	ui->theme = t;
	ui_screen_apply_theme(&ui->theme);
	ui_screen_redraw_all();
	ui_message(ui, UI_MESSAGE, _("theme %s (%s)"), t.name, t.path);
	return 0;
}

void ui_prompt_start(struct ui *ui, enum ui_prompt p, const char *initial)
{
	ui->prompt = p;
	snprintf(ui->input, sizeof ui->input, "%s", initial ? initial : "");
	ui->dirty = true;
}

void ui_ask_edit(struct ui *ui, const char *label, const char *initial, void (*fn)(struct ui *ui, const char *answer))
{
	snprintf(ui->ask_label, sizeof ui->ask_label, "%s", label);
	ui->ask_fn = fn;
	ui_prompt_start(ui, PROMPT_ASK, initial);
}

void ui_ask(struct ui *ui, enum ui_prompt p, const char *label, void (*fn)(struct ui *ui, const char *answer))
{
	snprintf(ui->ask_label, sizeof ui->ask_label, "%s", label);
	ui->ask_fn = fn;
	ui_prompt_start(ui, p, "");
}

/* ---- commands (":") ---------------------------------------------------------------------- */

static void cmd_exec(struct ui *ui, const char *arg)
{
	if (arg[0] == '\0') {
		ui_message(ui, UI_ERROR, "%s", _("usage: :exec ID"));
		return;
	}
	ui_open_execution(ui, arg);
}

static void cmd_wf(struct ui *ui, const char *arg)
{
	snprintf(ui->filter.workflow, sizeof ui->filter.workflow, "%s", arg);
	ui_list_search(ui);
	if (ui->view_id != VIEW_LIST)
		ui_set_view(ui, VIEW_LIST);
	if (arg[0] == '\0')
		ui_message(ui, UI_MESSAGE, "%s", _("showing every workflow"));
	else
		ui_message(ui, UI_MESSAGE, _("showing workflow %s only (:wf to show all)"), arg);
}

static void cmd_theme(struct ui *ui, const char *arg)
{
	if (arg[0] == '\0') {
		ui_message(ui, UI_MESSAGE, _("theme %s; switch with :theme NAME (default, light, "
					     "high-contrast, colorblind, ansi16)"), ui->theme.name);
		return;
	}
	ui_set_theme(ui, arg);
}

static void cmd_quit(struct ui *ui, const char *arg)
{
	(void)arg;
	ui->quit = true;
}

static void cmd_sort(struct ui *ui, const char *arg)
{
	for (int s = 0; s < SORT__COUNT; s++) {
		if (strcmp(arg, model_sort_name((enum model_sort)s)) == 0) {
			ui->filter.sort = (enum model_sort)s;
			return;
		}
	}
	ui_message(ui, UI_ERROR, "%s", _("sort by one of: activity, workflow, status, progress, "
					  "duration, priority, id"));
}

static void filter_apply(struct ui *ui, const char *text)
{
	char cause[256];
	if (model_filter_set_text(&ui->filter, text, cause, sizeof cause) == 0)
		return;
	/* A bad label: term leaves the filter as it was; a bad pattern is taken literally. */
	if (strcmp(ui->filter.typed, text) != 0)
		ui_message(ui, UI_ERROR, _("filter not changed: %s"), cause);
	else
		ui_message(ui, UI_ERROR, _("not a regular expression (%s): matching the text as typed"), cause);
}

static void cmd_filter(struct ui *ui, const char *arg)
{
	filter_apply(ui, arg);
	ui_list_search(ui);
}

static void cmd_queue(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_set_view(ui, VIEW_QUEUE);
}

static void cmd_resources(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_set_view(ui, VIEW_RESOURCES);
}

static void cmd_timeline(struct ui *ui, const char *arg)
{
	if (arg[0] != '\0')
		ui_open_execution(ui, arg);
	if (ui->exec_id[0] == '\0') {
		ui_message(ui, UI_ERROR, "%s", _("usage: :timeline ID (or t in an execution)"));
		return;
	}
	if (proto_id_valid(ui->exec_id))
		ui_set_view(ui, VIEW_TIMELINE);
}

static void cmd_alerts(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_set_view(ui, VIEW_ALERTS);
}

static void cmd_rules(struct ui *ui, const char *arg)
{
	(void)arg;
	ui_set_view(ui, VIEW_RULES);
}

static void cmd_metrics(struct ui *ui, const char *arg)
{
	ui_metrics_open(ui, arg);
}

static void cmd_dashboard(struct ui *ui, const char *arg)
{
	ui_dashboard_open(ui, arg);
}

static void cmd_bell(struct ui *ui, const char *arg)
{
	if (strcmp(arg, "on") == 0)
		ui->bell = true;
	else if (strcmp(arg, "off") == 0)
		ui->bell = false;
	else if (arg[0] != '\0') {
		ui_message(ui, UI_ERROR, "%s", _("usage: :bell on|off"));
		return;
	}
	ui_message(ui, UI_MESSAGE, "%s", ui->bell ? _("the bell rings for alerts that ask for it")
						  : _("the bell is off"));
}

static void cmd_help(struct ui *ui, const char *arg)
{
	(void)arg;
	ui->help = true;
}

static const struct {
	const char *name;
	const char *alias;
	void (*fn)(struct ui *ui, const char *arg);
	const char *usage;
} commands[] = {
	{ "exec", "e", cmd_exec, N_(":exec ID - open an execution") },
	{ "wf", "workflow", cmd_wf, N_(":wf NAME - show one workflow only (:wf shows all)") },
	{ "theme", NULL, cmd_theme, N_(":theme NAME - switch the colour theme") },
	{ "sort", NULL, cmd_sort, N_(":sort COLUMN - sort the executions") },
	{ "filter", NULL, cmd_filter, N_(":filter TEXT - like /") },
	{ "queue", NULL, cmd_queue, N_(":queue - the queue view") },
	{ "resources", "res", cmd_resources, N_(":resources - the resources view") },
	{ "timeline", "tl", cmd_timeline, N_(":timeline [ID] - the timeline of an execution") },
	{ "alerts", NULL, cmd_alerts, N_(":alerts - the alerts view") },
	{ "rules", NULL, cmd_rules, N_(":rules - the alert rules") },
	{ "metrics", "m", cmd_metrics, N_(":metrics [WORKFLOW] - performance: every workflow, or one's trends") },
	{ "dashboard", "d", cmd_dashboard, N_(":dashboard [NAME] - open a dashboard (none: list them)") },
	{ "bell", NULL, cmd_bell, N_(":bell on|off - beep for alerts that ask for it") },
	{ "help", "h", cmd_help, N_(":help - the keys of this view") },
	{ "q", "quit", cmd_quit, N_(":q - quit") },
};

static void command_run(struct ui *ui, char *line)
{
	while (*line == ' ')
		line++;
	if (*line == '\0')
		return;
	char *arg = line + strcspn(line, " ");
	if (*arg != '\0')
		*arg++ = '\0';
	while (*arg == ' ')
		arg++;
	size_t n = strlen(arg);
	while (n > 0 && arg[n - 1] == ' ')
		arg[--n] = '\0';
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(line, commands[i].name) == 0 ||
		    (commands[i].alias != NULL && strcmp(line, commands[i].alias) == 0)) {
			commands[i].fn(ui, arg);
			return;
		}
	}
	ui_message(ui, UI_ERROR, _("unknown command :%s (try :exec, :wf, :queue, :resources, :timeline, "
				   ":alerts, :rules, :metrics, :dashboard, :bell, :theme, :sort, :filter, :help, :q)"),
		   line);
}

static void write_data(struct ui *ui, const char *path)
{
	if (ui->data_doc == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("nothing to write"));
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		ui_message(ui, UI_ERROR, _("cannot write %s: %s"), path, strerror(errno));
		return;
	}
	size_t len = strlen(ui->data_doc), off = 0;
	while (off < len) {
		ssize_t w = write(fd, ui->data_doc + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;
			close(fd);
			ui_message(ui, UI_ERROR, _("cannot write %s: %s"), path, strerror(e));
			return;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1 || close(fd) != 0) {
		ui_message(ui, UI_ERROR, _("cannot write %s: %s"), path, strerror(errno));
		return;
	}
	char *abs = realpath(path, NULL);
	ui_message(ui, UI_MESSAGE, _("wrote %zu bytes to %s"), len + 1, abs ? abs : path);
	free(abs);
}

/* ---- the prompt's line editor --------------------------------------------------------------- */

static void prompt_key(struct ui *ui, int key)
{
	size_t n = strlen(ui->input);
	if (ui->prompt == PROMPT_CONFIRM) {
		ui->prompt = PROMPT_NONE;
		if ((key == 'y' || key == 'Y' || key == 't' || key == 'T') && ui->ask_fn != NULL)
			ui->ask_fn(ui, "y");
		else
			ui_message(ui, UI_MESSAGE, "%s", _("cancelled"));
		return;
	}
	switch (key) {
	case 27:
		if (ui->prompt == PROMPT_FILTER) {
			filter_apply(ui, "");
			ui_list_search(ui);
		}
		ui->prompt = PROMPT_NONE;
		return;
	case '\r':
	case '\n':
	case KEY_ENTER: {
		enum ui_prompt p = ui->prompt;
		ui->prompt = PROMPT_NONE;
		char line[UI_PROMPT_LEN];
		snprintf(line, sizeof line, "%s", ui->input);
		if (p == PROMPT_COMMAND)
			command_run(ui, line);
		else if (p == PROMPT_FILTER) {
			/* Typing filters what is loaded; Enter also asks history. */
			filter_apply(ui, line);
			ui_list_search(ui);
		}
		else if (p == PROMPT_WRITE)
			write_data(ui, line[0] ? line : "wfmon-step.json");
		else if (p == PROMPT_ASK && ui->ask_fn != NULL)
			ui->ask_fn(ui, line);
		return;
	}
	case KEY_BACKSPACE:
	case 127:
	case 8:
		/* Whole UTF-8 characters. */
		while (n > 0 && ((unsigned char)ui->input[n - 1] & 0xc0) == 0x80)
			ui->input[--n] = '\0';
		if (n > 0)
			ui->input[--n] = '\0';
		break;
	case 21: /* Ctrl-U */
		ui->input[0] = '\0';
		break;
	default:
		if (key >= 0x20 && key < 0x100 && key != 127 && n + 1 < sizeof ui->input) {
			ui->input[n] = (char)key;
			ui->input[n + 1] = '\0';
		}
		break;
	}
	/* The filter applies as it is typed, like htop's. */
	if (ui->prompt == PROMPT_FILTER)
		filter_apply(ui, ui->input);
}

/* ---- global keys ----------------------------------------------------------------------------- */

static void k_quit(struct ui *ui) { ui->quit = true; }
static void k_help(struct ui *ui) { ui->help = true; }
static void k_command(struct ui *ui) { ui_prompt_start(ui, PROMPT_COMMAND, ""); }

static void k_redraw(struct ui *ui)
{
	ui_screen_redraw_all();
	ui->dirty = true;
}

static void k_alerts(struct ui *ui) { ui_set_view(ui, VIEW_ALERTS); }
static void k_metrics(struct ui *ui) { ui_set_view(ui, VIEW_METRICS); }
static void k_dashboard(struct ui *ui) { ui_set_view(ui, VIEW_DASHBOARD); }

static void k_dismiss(struct ui *ui)
{
	if (ui->model.banner.alert_id == 0) {
		ui_notice_dismiss(ui);
		return;
	}
	model_banner_dismiss(&ui->model);
	ui_message(ui, UI_MESSAGE, "%s", _("banner dismissed: the alert stays active (A lists the alerts)"));
}

static void k_workflows(struct ui *ui)
{
	if (ui->view_id != VIEW_RULE_FORM)
		ui_set_view(ui, VIEW_HEALTH);
}

static void k_back(struct ui *ui)
{
	static const enum ui_view_id parent[VIEW__COUNT] = {
		[VIEW_LIST] = VIEW_LIST, [VIEW_EXEC] = VIEW_LIST, [VIEW_STEP] = VIEW_EXEC,
		[VIEW_TIMELINE] = VIEW_EXEC, [VIEW_QUEUE] = VIEW_LIST, [VIEW_RESOURCES] = VIEW_LIST,
		[VIEW_ALERTS] = VIEW_LIST, [VIEW_ALERT] = VIEW_ALERTS, [VIEW_RULES] = VIEW_ALERTS,
		[VIEW_RULE_FORM] = VIEW_RULES, [VIEW_METRICS] = VIEW_LIST, [VIEW_METRICS_WF] = VIEW_METRICS,
		[VIEW_HEALTH] = VIEW_LIST,
		[VIEW_DASHBOARD] = VIEW_DASHBOARD, [VIEW_DASHBOARD_EDIT] = VIEW_DASHBOARD,
	};
	/* The executions list goes back to the dashboard, wfmon's first screen. */
	if (ui->view_id == VIEW_LIST)
		ui_set_view(ui, VIEW_DASHBOARD);
	else if (ui->view_id != VIEW_DASHBOARD)
		ui_set_view(ui, parent[ui->view_id]);
}

static const struct ui_key global_keys[] = {
	{ '?', "?", N_("show this help"), k_help },
	{ KEY_F(1), NULL, NULL, k_help },
	{ ':', ":", N_("command line: :exec ID, :wf NAME, :queue, :resources, :theme NAME, :q"), k_command },
	{ 'A', "A", N_("the alerts: active first, then history"), k_alerts },
	{ 'M', "M", N_("performance metrics: success rate, durations, trends"), k_metrics },
	{ 'D', "D", N_("the dashboard (:dashboard NAME for another)"), k_dashboard },
	{ 'X', "X", N_("dismiss the critical alert banner, else the notice shown"), k_dismiss },
	{ 'W', "W", N_("the workflows: last runs, schedules and missed runs"), k_workflows },
	{ 12, "Ctrl-L", N_("redraw the screen"), k_redraw },
	{ 27, "Esc", N_("back"), k_back },
	{ 'q', "q", N_("quit"), k_quit },
};

void ui_global_keys(const struct ui_key **keys, size_t *n)
{
	*keys = global_keys;
	*n = sizeof global_keys / sizeof global_keys[0];
}

static bool key_dispatch(struct ui *ui, const struct ui_key *keys, size_t n, int key)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].key == key) {
			keys[i].fn(ui);
			return true;
		}
	}
	return false;
}

static void on_key(struct ui *ui, int key)
{
	ui->dirty = true;
	if (key == KEY_RESIZE) {
		ui_screen_redraw_all();
		return;
	}
	if (ui->prompt != PROMPT_NONE) {
		prompt_key(ui, key);
		return;
	}
	if (ui->help) {
		ui->help = false;
		return;
	}
	if (ui->view->raw_key != NULL && ui->view->raw_key(ui, key))
		return;
	if (key_dispatch(ui, ui->view->keys, ui->view->nkeys, key))
		return;
	key_dispatch(ui, global_keys, sizeof global_keys / sizeof global_keys[0], key);
}

/* ---- model changes worth a message ------------------------------------------------------------- */

static void on_changes(struct ui *ui, unsigned changed)
{
	if (changed != 0)
		ui->dirty = true;
	if (changed != 0 && ui->view->changed != NULL)
		ui->view->changed(ui, changed);
	/* One beep per new alert that asks for it, whatever the view. */
	if (model_banner_take_bell(&ui->model) && ui->bell)
		ui_screen_bell();
	if ((changed & MC_NOTICE) && ui->model.notice.serial != ui->notice_seen) {
		const struct model_notice *n = &ui->model.notice;
		ui->notice_seen = n->serial;
		/* Failures always; the rest only when nothing more important is shown. */
		if (n->kind == MLOG_EXEC_FAILED || ui->message_el != UI_ERROR || ui->now_ms >= ui->message_until_ms) {
			char t[32];
			i18n_format_time(n->ts_ms, t, sizeof t);
			ui_message(ui, n->kind == MLOG_EXEC_FAILED ? UI_STATUS_FAILED : UI_MESSAGE,
				   "%s %s: %s (%s)", t, ui_log_kind_text(n->kind), n->workflow_name,
				   n->execution_id);
		}
	}
	if (changed & MC_ERROR)
		ui_notice_raise(ui, NOTICE_SERVER, UI_ERROR, 0, _("server: %s"), ui->model.last_error);
	/* Rows go stale at the daemon's threshold, the one its counts use. */
	if ((changed & MC_SUMMARY) && ui->model.summary.loaded && ui->model.summary.s.stale_after_ms > 0)
		ui->stale_ms = ui->model.summary.s.stale_after_ms;
	const struct model_reply *r = &ui->model.reply;
	if ((changed & MC_REPLY) && r->serial != ui->reply_seen) {
		ui->reply_seen = r->serial;
		size_t pl = strlen(MODEL_ID_PRIO);
		if (ui_alerts_reply(ui, r) || ui_rules_reply(ui, r) || ui_exec_control_reply(ui, r)) {
			/* said on the message line */
		} else if (strncmp(r->id, MODEL_ID_PRIO, pl) == 0 && r->ok)
			ui_message(ui, UI_MESSAGE, _("the server raised the priority of %s to high"), r->id + pl);
		else if (strncmp(r->id, MODEL_ID_PRIO, pl) == 0)
			ui_notice_raise(ui, NOTICE_REFUSAL, UI_ERROR, 0, _("cannot raise the priority of %s: %s%s%s"), r->id + pl,
				   strcmp(r->code, "forbidden") == 0 ? _("only operators and admins may")
				   : strcmp(r->code, "not_found") == 0 ? _("it is not queued (any more)")
				   : r->code,
				   r->message[0] ? " - " : "", r->message);
	}
	ui_dashboard_poll(ui, changed);
	/* The connection's state stays on the notice line while it is true: a
	 * refusal until the user acts, a drop until the connection is back, and
	 * the reconnection's outcome for a minute (or until dismissed). The
	 * outcome is decided with a state change of its own, so the state is
	 * handled first: a connection back clears the drop, then the outcome
	 * takes its place. */
	enum session_recovery outcome = session_take_recovery(ui->session);
	bool state_changed = session_take_changed(ui->session);
	if (state_changed) {
		ui->dirty = true;
		if (session_state(ui->session) == SESSION_FAILED)
			ui_notice_raise(ui, NOTICE_CONNECTION, UI_ERROR, 0, "%s", session_last_error(ui->session));
		else if (session_state(ui->session) == SESSION_BACKOFF && session_last_error(ui->session)[0])
			ui_notice_raise(ui, NOTICE_CONNECTION, UI_STATUS_STALE, 0, _("connection lost: %s"),
					session_last_error(ui->session));
		else if (session_token_notice(ui->session)[0])
			ui_notice_raise(ui, NOTICE_CONNECTION, UI_STATUS_STALE, 0, _("token: %s"),
					session_token_notice(ui->session));
		else if (session_state(ui->session) == SESSION_LIVE && outcome == SR_NONE)
			ui_notice_clear(ui, NOTICE_CONNECTION);   /* the outcome follows once the rooms answered */
		/* A renewed token may speak for another role. */
		proto_token_peek(tokensrc_token(ui->opt->ep->token), &ui->who);
	}
	char t[32];
	switch (outcome) {
	case SR_COMPLETE:
		i18n_format_clock(ui->now_ms, t, sizeof t);
		ui_notice_raise(ui, NOTICE_CONNECTION, UI_MESSAGE, UI_RECONNECTED_MS, _("%s reconnected: nothing missed"), t);
		break;
	case SR_RESYNC:
		i18n_format_clock(ui->now_ms, t, sizeof t);
		ui_notice_raise(ui, NOTICE_CONNECTION, UI_STATUS_STALE, UI_RECONNECTED_MS,
				_("%s reconnected: resynchronised from a fresh snapshot"), t);
		break;
	default:
		break;
	}
	if (state_changed) {
		/* A question to history lost with the connection is asked again. */
		if (session_state(ui->session) == SESSION_LIVE && ui->model.search.state == MSEARCH_PENDING) {
			model_search_unsent(&ui->model);
			ui_list_search(ui);
		} else if (session_state(ui->session) == SESSION_LIVE && ui->model.search.state == MSEARCH_NONE) {
			ui_list_search(ui);
		}
	}
}

/* ---- frames -------------------------------------------------------------------------------------- */

static void frame_draw(struct ui *ui)
{
	int rows = ui_screen_rows(), cols = ui_screen_cols();
	erase();
	if (rows < 6 || cols < 20) {
		ui_text(0, 0, cols, UI_ERROR, _("terminal too small"));
		ui_screen_flush();
		return;
	}
	ui->header.ops->update(&ui->header, ui);
	ui->header.ops->draw(&ui->header, ui, (struct ui_rect){ 0, 0, 2, cols });
	/* The critical banner takes a line under the header in every view. */
	int top = 2;
	if (ui->model.banner.alert_id != 0) {
		char line[PROTO_MAX_TEXT + 256];
		snprintf(line, sizeof line, " %s %s: %s  (%s)", ui_sym(SYM_WARN), _("CRITICAL ALERT"),
			 ui->model.banner.title, _("A: alerts, X: dismiss"));
		ui_fill(top, 0, cols, UI_ALERT_CRITICAL);
		ui_text(top, 0, cols, UI_ALERT_CRITICAL, line);
		top++;
	}
	/* The notice line, above the footer, while a notice is shown. */
	int notice = ui_notice_rows(ui);
	if (notice > 0)
		ui_notice_draw(ui, rows - 2 - notice);
	ui->view->draw(ui, top, rows - 2 - notice - top);
	ui->footer.ops->draw(&ui->footer, ui, (struct ui_rect){ rows - 2, 0, 2, cols });
	if (ui->help)
		ui->help_widget.ops->draw(&ui->help_widget, ui, (struct ui_rect){ 2, 0, rows - 4, cols });
	ui_screen_flush();
}

/* The period of the visible ticks: spinners, elapsed times, countdowns. */
static int tick_period_ms(struct ui *ui)
{
	int t = ui->view->tick_ms ? ui->view->tick_ms(ui) : 0;
	enum session_display d = session_display(ui->session);
	if (d != SD_LIVE && (t == 0 || t > 1000))
		t = 1000;
	if (ui->message[0] != '\0' && ui->now_ms < ui->message_until_ms + 1000 && (t == 0 || t > 1000))
		t = 1000;
	return t;
}

static void clock_now(struct ui *ui)
{
	ui->now_ms = clock_wall_ms();
	ui->now_us = clock_mono_us();
}

static int run_loop(struct ui *ui)
{
	int64_t last_frame_us = 0, last_tick_ms = 0;
	int last_minute = -1;
	ui->dirty = true;
	while (!ui->quit && !app_stop) {
		clock_now(ui);
		int period = tick_period_ms(ui);
		if (period > 0 && ui->now_ms / period != last_tick_ms / period) {
			ui->dirty = true;
			ui->spin++;
		}
		if ((int)(ui->now_ms / 60000) != last_minute)
			ui->dirty = true;
		ui_notices_sync(ui);
		/* The depth history gets a point a second, shown only by the queue view. */
		if (model_queue_tick(&ui->model, ui->now_ms) && ui->view_id == VIEW_QUEUE)
			ui->dirty = true;
		if (ui->dirty && ui->now_us - last_frame_us >= (int64_t)UI_FRAME_MS * 1000) {
			frame_draw(ui);
			ui->dirty = false;
			last_frame_us = ui->now_us;
			last_tick_ms = ui->now_ms;
			last_minute = (int)(ui->now_ms / 60000);
		}

		/* Sleep until the nearest of: input, the session's timer, the next
		 * frame if one is pending, the next visible tick, the clock's minute. */
		int timeout = UI_IDLE_MS;
		if (ui->dirty) {
			int64_t left = (int64_t)UI_FRAME_MS * 1000 - (ui->now_us - last_frame_us);
			timeout = left > 0 ? (int)((left + 999) / 1000) : 0;
		} else {
			if (period > 0) {
				int to_tick = period - (int)(ui->now_ms % period);
				if (to_tick < timeout)
					timeout = to_tick;
			}
			int to_minute = 60000 - (int)(ui->now_ms % 60000);
			if (to_minute < timeout)
				timeout = to_minute;
		}
		int st = session_timeout_ms(ui->session, ui->now_us);
		if (st >= 0 && st < timeout)
			timeout = st;

		struct pollfd pfd[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = -1 } };
		int sfd = session_fd(ui->session);
		if (sfd >= 0) {
			pfd[1].fd = sfd;
			pfd[1].events = session_poll_events(ui->session);
		}
		int n = poll(pfd, 2, timeout);
		if (n < 0 && errno != EINTR)
			return 1;
		clock_now(ui);
		if (n > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(pfd[0].revents & POLLIN))
			ui->quit = true;
		/* Keys first: a flood of events never delays them. getch also
		 * returns KEY_RESIZE after SIGWINCH interrupted the poll. */
		int key;
		while ((key = getch()) != ERR)
			on_key(ui, key);
		unsigned changed = session_service(ui->session, n > 0 ? pfd[1].revents : 0, ui->now_us,
						   ui->now_ms);
		on_changes(ui, changed);
	}
	return 0;
}

int console_run(const struct console_options *opt)
{
	struct ui *ui = xcalloc(1, sizeof *ui);
	ui->opt = opt;
	ui->bell = !opt->no_bell && getenv("WFMON_NO_BELL") == NULL;
	ui->stale_ms = (int64_t)(opt->stale_after_s > 0 ? opt->stale_after_s : 120) * 1000;
	model_init(&ui->model);
	model_filter_init(&ui->filter);
	ui->sopt = (struct session_options){ .ep = opt->ep };
	proto_token_peek(tokensrc_token(opt->ep->token), &ui->who);
	ui->header = (struct ui_widget){ &ui_header_ops, ui_header_state_new() };
	ui->footer = (struct ui_widget){ &ui_footer_ops, NULL };
	ui->help_widget = (struct ui_widget){ &ui_help_ops, NULL };
	clock_now(ui);

	/* The theme is read before the screen starts, so its error can be printed. */
	char cause[1024];
	ui_theme_builtin(&ui->theme);
	const char *theme = opt->theme ? opt->theme : "default";
	struct ui_theme t;
	bool theme_ok = ui_theme_load(theme, &t, cause, sizeof cause) == 0;
	if (theme_ok)
		ui->theme = t;
	else if (opt->theme != NULL) {
		fprintf(stderr, "wfmon: %s\n", cause);
		model_free(&ui->model);
		free(ui->header.state);
		free(ui);
		return 2;
	}

	struct ui_screen_options so = { .ascii = opt->ascii, .mono = opt->mono };
	if (ui_screen_init(&so, cause, sizeof cause) != 0) {
		fprintf(stderr, "wfmon: %s\n", cause);
		model_free(&ui->model);
		free(ui->header.state);
		free(ui);
		return 1;
	}
	ui_screen_apply_theme(&ui->theme);

	struct sigaction sa = { .sa_handler = app_on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);

	ui->session = session_new(&ui->sopt, &ui->model);
	session_want(ui->session, "org");
	session_want(ui->session, "queue");
	session_want(ui->session, "alerts");
	ui_set_view(ui, opt->view == CONSOLE_VIEW_EXECUTIONS ? VIEW_LIST : VIEW_DASHBOARD);
	if (!theme_ok)
		ui_message(ui, UI_ERROR, _("using the built-in theme: %s"), cause);
	if (opt->warning != NULL)
		ui_message(ui, UI_ERROR, _("warning: %s"), opt->warning);
	if (opt->exec_id != NULL)
		ui_open_execution(ui, opt->exec_id);

	int rc = run_loop(ui);

	session_close(ui->session, 300);
	ui_screen_end();
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	session_free(ui->session);
	ui_textpane_clear(&ui->log);
	ui_textpane_clear(&ui->data);
	ui_textpane_clear(&ui->alert_pane);
	ui_rule_form_free(ui);
	ui_metrics_free(ui);
	ui_dashboard_free(ui);
	free(ui->data_doc);
	model_list_free(&ui->list);
	model_list_free(&ui->queue);
	model_filter_free(&ui->filter);
	model_free(&ui->model);
	ui->header.ops->free(&ui->header);
	free(ui);
	return rc;
}
