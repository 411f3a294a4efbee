/* run_cli.c: wfmon run, wfmon step and wfmon emit (see run_cli.h).
 *
 * One report per process: a publisher (publisher.h) that starts connecting
 * at once, the outbox's older reports queued first, then this report's
 * events as they happen. Event ids are a per-process random prefix and a
 * counter, so a report kept in the outbox and sent twice is recognised.
 *
 * Invariants: the command's output and exit status are never changed by
 * reporting; every event made here is validated before it is queued (a
 * failure is a bug, logged, and the event left out); at the end everything
 * not settled by the daemon is either in the outbox or said to be lost. */
#include "run_cli.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "proto.h"
#include "publisher.h"
#include "runner.h"
#include "utf8.h"
#include "xalloc.h"

#define COMMAND_STEP "command"       /* the step wfmon run reports the command as */
#define MAX_QUEUED 20000
#define LOG_BACKLOG (MAX_QUEUED / 2) /* past this many waiting, output lines are not queued */
#define UNSENT_MAX MAX_QUEUED

struct report {
	const struct run_cli_options *o;
	const char *who;                 /* "run", "step", "emit": for messages */
	struct publisher *pub;
	struct outbox_resend *resend;
	char outbox[OUTBOX_PATH_MAX];
	char exec_id[PROTO_MAX_ID + 1];
	char wf_id[PROTO_MAX_ID + 1];
	char id_prefix[24];
	uint64_t next_id;
	const char *log_step;            /* output lines belong to this step, or NULL */
	double tokens;                   /* output lines that may go out now */
	int64_t tokens_at_ms;
	uint64_t dropped_rate, dropped_slow, dropped_total_said;
	bool cancel;                     /* an operator asked to cancel */
	char cancel_by[PROTO_MAX_NAME + 1];
	uint64_t invalid;                /* events this program made that did not validate */
};

/* ---- small helpers ------------------------------------------------------------------ */

static void say(const struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wfmon %s: ", r->who);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void random_hex(char *out, size_t len, size_t bytes)
{
	uint8_t raw[16];
	if (bytes > sizeof raw)
		bytes = sizeof raw;
	if (getrandom(raw, bytes, 0) != (ssize_t)bytes) {
		uint64_t t = (uint64_t)clock_mono_us() ^ (uint64_t)getpid() << 32;
		memcpy(raw, &t, bytes < 8 ? bytes : 8);
	}
	size_t o = 0;
	for (size_t i = 0; i < bytes && o + 2 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%02x", raw[i]);
}

/* A name field from any text: sanitized and cut to PROTO_MAX_NAME bytes. */
static void name_of(const char *in, char *out, size_t len)
{
	bool bad, cut;
	size_t cap = len < PROTO_MAX_NAME + 1 ? len : PROTO_MAX_NAME + 1;
	if (utf8_sanitize_line(in, strlen(in), out, cap, &bad, &cut) == 0)
		snprintf(out, len, "?");
	/* A name has no tab either. */
	for (char *p = out; *p; p++)
		if (*p == '\t')
			*p = ' ';
}

static void host_name(char *out, size_t len)
{
	char h[HOST_NAME_MAX + 1] = "";
	if (gethostname(h, sizeof h) != 0 || h[0] == '\0')
		snprintf(h, sizeof h, "localhost");
	h[sizeof h - 1] = '\0';
	name_of(h, out, len);
}

void run_cli_step_id(const char *name, char *out, size_t len)
{
	size_t o = 0;
	bool dash = false;
	for (const char *p = name; *p && o + 1 < len && o < PROTO_MAX_ID; p++) {
		char c = *p;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
		if (ok) {
			out[o++] = c;
			dash = false;
		} else if (!dash && o > 0) {
			out[o++] = '-';
			dash = true;
		}
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	if (o == 0)
		snprintf(out, len, "step");
}

int run_cli_label(json_t *labels, const char *arg, char *cause, size_t causelen)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg) {
		snprintf(cause, causelen, "--label '%s' must be KEY=VALUE, e.g. --label period=2026-11", arg);
		return -1;
	}
	char key[PROTO_MAX_LABEL_KEY + 2];
	size_t klen = (size_t)(eq - arg);
	if (klen > PROTO_MAX_LABEL_KEY) {
		snprintf(cause, causelen, "--label key '%.*s...' is longer than %d bytes", 20, arg, PROTO_MAX_LABEL_KEY);
		return -1;
	}
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (!proto_label_key_valid(key)) {
		snprintf(cause, causelen, "--label key '%s' may only hold A-Z a-z 0-9 _ . - /", key);
		return -1;
	}
	if (!proto_label_value_valid(eq + 1)) {
		snprintf(cause, causelen, "--label %s: the value must be 1 to %d bytes of text without control "
			 "characters", key, PROTO_MAX_LABEL_VALUE);
		return -1;
	}
	if (json_object_get(labels, key) == NULL && json_object_size(labels) >= PROTO_MAX_LABELS) {
		snprintf(cause, causelen, "at most %d labels", PROTO_MAX_LABELS);
		return -1;
	}
	json_object_set_new(labels, key, json_string(eq + 1));
	return 0;
}

/* ---- the report ---------------------------------------------------------------------- */

static void on_control(json_t *msg, void *arg);

static void report_open(struct report *r, const struct run_cli_options *o, const char *who, bool join_control)
{
	memset(r, 0, sizeof *r);
	r->o = o;
	r->who = who;
	char hex[16];
	random_hex(hex, sizeof hex, 6);
	snprintf(r->id_prefix, sizeof r->id_prefix, "w%s", hex);
	char client[64];
	snprintf(client, sizeof client, "wfmon %s", who);
	struct publisher_config pc = {
		.host = o->host, .port = o->port, .path = o->path, .token = o->token, .client = client,
		.tls = o->tls, .tls_ca_file = o->tls_ca_file,
		.join_control = join_control, .max_queued = MAX_QUEUED, .on_control = on_control, .arg = r,
	};
	r->pub = publisher_new(&pc);
	r->resend = xcalloc(1, sizeof *r->resend);
	outbox_dir(r->outbox, sizeof r->outbox);
	outbox_queue(r->outbox, r->pub, r->resend);
	r->tokens = o->log_rate * 5 > 20 ? o->log_rate * 5 : 20;
	r->tokens_at_ms = clock_mono_us() / 1000;
	publisher_io(r->pub, 0, r->tokens_at_ms);
}

/* Queues an event of kind with fields (taken) and the common ones. */
static void report_event(struct report *r, enum proto_event_kind kind, json_t *fields)
{
	char id[PROTO_MAX_ID + 1], ts[40];
	snprintf(id, sizeof id, "%s-%llu", r->id_prefix, (unsigned long long)++r->next_id);
	proto_time_format(clock_wall_ms(), ts, sizeof ts);
	json_t *ev = json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", proto_event_kind_name(kind), "id", id, "execution_id",
			       r->exec_id, "workflow_id", r->wf_id, "ts", ts);
	json_object_update(ev, fields);
	json_decref(fields);
	struct proto_cause cause;
	if (proto_event_validate(ev, NULL, &cause) != 0) {
		say(r, "made an invalid %s event (%s: %s): left out", proto_event_kind_name(kind), cause.field,
		    cause.message);
		r->invalid++;
		json_decref(ev);
		return;
	}
	publisher_add(r->pub, ev);
}

static void report_log(struct report *r, const char *level, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report_log(struct report *r, const char *level, const char *step, const char *fmt, ...)
{
	char text[PROTO_MAX_TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	utf8_trim_tail(text);
	json_t *f = json_pack("{s:s,s:s}", "level", level, "message", text);
	if (step != NULL)
		json_object_set_new(f, "step_id", json_string(step));
	report_event(r, EV_LOG, f);
}

/* Says in the execution's log how many lines were held back, once some
 * were and the rate allows a line again. */
static void report_dropped(struct report *r, bool final)
{
	uint64_t dropped = r->dropped_rate + r->dropped_slow;
	if (dropped == r->dropped_total_said)
		return;
	if (!final && r->tokens < 1)
		return;
	if (!final)
		r->tokens -= 1;
	report_log(r, "warn", r->log_step, "wfmon %s: %llu output lines were not sent (more than %g a second, or "
		   "wfmond was slow to take them)", r->who, (unsigned long long)(dropped - r->dropped_total_said),
		   r->o->log_rate);
	r->dropped_total_said = dropped;
}

/* One output line: a log event while the rate and the queue allow it. */
static void on_line(void *arg, int stream, const char *text, size_t len)
{
	struct report *r = arg;
	(void)len;
	if (r->o->no_log)
		return;
	int64_t now = clock_mono_us() / 1000;
	double burst = r->o->log_rate * 5 > 20 ? r->o->log_rate * 5 : 20;
	r->tokens += (double)(now - r->tokens_at_ms) * r->o->log_rate / 1000.0;
	if (r->tokens > burst)
		r->tokens = burst;
	r->tokens_at_ms = now;
	if (publisher_pending(r->pub) >= LOG_BACKLOG) {
		r->dropped_slow++;
		return;
	}
	if (r->tokens < 1) {
		r->dropped_rate++;
		return;
	}
	report_dropped(r, false);
	if (r->tokens < 1) {
		r->dropped_rate++;
		return;
	}
	r->tokens -= 1;
	json_t *f = json_pack("{s:s,s:s}", "level", stream == 2 ? "warn" : "info", "message", text);
	if (r->log_step != NULL)
		json_object_set_new(f, "step_id", json_string(r->log_step));
	report_event(r, EV_LOG, f);
}

/* The control room: an operator's cancel of this execution stops the
 * command; a retry cannot be done here. */
static void on_control(json_t *msg, void *arg)
{
	struct report *r = arg;
	const char *cmd = json_string_value(json_object_get(msg, "command"));
	const char *x = json_string_value(json_object_get(msg, "execution_id"));
	const char *rid = json_string_value(json_object_get(msg, "request_id"));
	const char *by = json_string_value(json_object_get(msg, "by"));
	enum proto_control c;
	if (x == NULL || strcmp(x, r->exec_id) != 0 || proto_control_parse(cmd, &c) != 0)
		return;
	json_t *f = json_pack("{s:s,s:b}", "command", cmd, "accepted", c == CONTROL_CANCEL && !r->cancel);
	if (rid != NULL && proto_id_valid(rid))
		json_object_set_new(f, "request_id", json_string(rid));
	if (c == CONTROL_RETRY)
		json_object_set_new(f, "reason", json_string("wfmon run cannot run a command again: start it again"));
	else if (r->cancel)
		json_object_set_new(f, "reason", json_string("it is being cancelled already"));
	report_event(r, EV_CONTROL_REPLIED, f);
	if (c == CONTROL_CANCEL && !r->cancel) {
		r->cancel = true;
		name_of(by && *by ? by : "an operator", r->cancel_by, sizeof r->cancel_by);
		say(r, "%s asked from the console to cancel %s: stopping the command", r->cancel_by, r->exec_id);
	}
}

static int ops_fd(void *arg)
{
	return publisher_fd(((struct report *)arg)->pub);
}

static short ops_events(void *arg)
{
	return publisher_poll_events(((struct report *)arg)->pub);
}

static int ops_timeout(void *arg, int64_t now_ms)
{
	return publisher_timeout_ms(((struct report *)arg)->pub, now_ms);
}

static void ops_io(void *arg, short revents, int64_t now_ms)
{
	struct report *r = arg;
	publisher_io(r->pub, revents, now_ms);
	outbox_settle(r->resend, r->pub);
}

static bool ops_stop(void *arg)
{
	return ((struct report *)arg)->cancel;
}

/* Waits for the daemon, then keeps or drops what it did not take. Returns
 * 0 when everything was sent, 1 kept in the outbox, 2 lost. */
static int report_close(struct report *r)
{
	int rc = 0;
	publisher_drain(r->pub, r->o->send_timeout_ms);
	outbox_settle(r->resend, r->pub);
	struct publisher_stats st;
	publisher_get_stats(r->pub, &st);
	if (publisher_pending(r->pub) > 0) {
		char **texts = xcalloc(UNSENT_MAX, sizeof *texts);
		size_t n = publisher_take_unsent(r->pub, r->resend->max_seq, texts, UNSENT_MAX);
		const char *why = publisher_error(r->pub)[0] ? publisher_error(r->pub) : "it did not answer in time";
		char path[OUTBOX_PATH_MAX + 16], cause[OUTBOX_PATH_MAX + 256], name[PROTO_MAX_ID + 32];
		snprintf(name, sizeof name, "%s-%s", r->exec_id, r->id_prefix);
		if (n == 0) {
			/* Only older reports were left: they stay in the outbox. */
			rc = 1;
		} else if (outbox_save(r->outbox, name, texts, n, path, sizeof path, cause, sizeof cause) == 0) {
			say(r, "wfmond at %s could not be reached (%s): the report of %s (%zu events) is kept in %s "
			    "and will be sent by the next wfmon run, step or emit", r->o->url, why, r->exec_id, n, path);
			rc = 1;
		} else {
			say(r, "wfmond at %s could not be reached (%s) and the report of %s (%zu events) could not be "
			    "kept: %s; it was dropped", r->o->url, why, r->exec_id, n, cause);
			rc = 2;
		}
		for (size_t i = 0; i < n; i++)
			free(texts[i]);
		free(texts);
	}
	if (st.refused > 0) {
		say(r, "wfmond refused %llu event(s) (said above)", (unsigned long long)st.refused);
		if (rc == 0)
			rc = 2;
	}
	if (st.downgraded_out > 0 && !r->o->quiet)
		say(r, "wfmond speaks an older protocol revision: %llu event(s) it could not take were left out",
		    (unsigned long long)st.downgraded_out);
	publisher_free(r->pub);
	free(r->resend);
	return rc;
}

/* The environment the command gets, so that wfmon step and wfmon emit inside
 * report to the same execution. Strings are malloc'd; free with env_free. */
static void env_build(const struct report *r, char **env, size_t max)
{
	size_t n = 0;
	const struct run_cli_options *o = r->o;
	env[n++] = xasprintf("WFMON_EXECUTION_ID=%s", r->exec_id);
	env[n++] = xasprintf("WFMON_WORKFLOW_ID=%s", r->wf_id);
	env[n++] = xasprintf("WFMON_URL=%s", o->url);
	if (o->token_file != NULL)
		env[n++] = xasprintf("WFMON_TOKEN_FILE=%s", o->token_file);
	else if (o->token_given)
		env[n++] = xasprintf("WFMON_TOKEN=%s", o->token);
	env[n] = NULL;
	(void)max;
}

static void env_free(char **env)
{
	for (size_t i = 0; env[i] != NULL; i++) {
		explicit_bzero(env[i], strlen(env[i]));
		free(env[i]);
	}
}

/* The usage figures of step.completed and step.failed. */
static void put_usage(json_t *f, const struct runner_result *res)
{
	json_object_set_new(f, "duration_ms", json_integer(res->duration_ms));
	if (res->duration_ms > 0) {
		double cpu = 100.0 * (double)res->cpu_ms / (double)res->duration_ms;
		json_object_set_new(f, "cpu_percent", json_real(cpu > 100000 ? 100000 : cpu));
	}
	if (res->max_rss_bytes > 0)
		json_object_set_new(f, "memory_bytes", json_integer(res->max_rss_bytes));
}

/* What the runner counted that the user should know. */
static void report_output_notes(struct report *r, const struct runner_result *res)
{
	if (res->bad_utf8_lines > 0) {
		report_log(r, "warn", r->log_step, "wfmon %s: %llu output lines were not valid UTF-8; they were sent "
			   "with U+FFFD for the bad bytes", r->who, (unsigned long long)res->bad_utf8_lines);
		if (!r->o->quiet)
			say(r, "%llu output lines were not valid UTF-8; they were reported with U+FFFD for the bad bytes",
			    (unsigned long long)res->bad_utf8_lines);
	}
	if (res->cut_lines > 0 && !r->o->quiet)
		say(r, "%llu output lines longer than %d bytes were reported cut", (unsigned long long)res->cut_lines,
		    RUNNER_LINE_MAX);
	report_dropped(r, true);
	if (r->dropped_rate + r->dropped_slow > 0 && !r->o->quiet)
		say(r, "%llu output lines were not reported (more than %g a second, or wfmond was slow)",
		    (unsigned long long)(r->dropped_rate + r->dropped_slow), r->o->log_rate);
}

static char *command_text(int argc, char **argv)
{
	char buf[1024];
	size_t o = 0;
	for (int i = 0; i < argc && o + 4 < sizeof buf; i++) {
		int n = snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", argv[i]);
		o = n < 0 ? o : o + (size_t)n;
	}
	if (o >= sizeof buf)
		o = sizeof buf - 1;
	buf[o] = '\0';
	char clean[sizeof buf * 3];
	bool bad, cut;
	utf8_sanitize_line(buf, strlen(buf), clean, sizeof clean, &bad, &cut);
	return xstrdup(clean);
}

static int run_command(struct report *r, struct runner_result *res)
{
	char *env[8];
	env_build(r, env, 8);
	struct runner_ops ops = {
		.arg = r, .line = on_line, .fd = ops_fd, .events = ops_events, .timeout_ms = ops_timeout, .io = ops_io,
		.stop = ops_stop,
	};
	char cause[256];
	int rc = runner_run(r->o->argv, env, &ops, res, cause, sizeof cause);
	env_free(env);
	if (rc < 0) {
		say(r, "%s", cause);
		return -1;
	}
	if (!res->started)
		say(r, "cannot run '%s': %s", r->o->argv[0], strerror(res->exec_errno));
	return 0;
}

/* ---- wfmon run ---------------------------------------------------------------------------- */

int run_cli_run(const struct run_cli_options *o)
{
	struct report r;
	report_open(&r, o, "run", true);
	snprintf(r.wf_id, sizeof r.wf_id, "%s", o->workflow_id);
	if (o->execution_id != NULL) {
		snprintf(r.exec_id, sizeof r.exec_id, "%s", o->execution_id);
	} else {
		char hex[16];
		random_hex(hex, sizeof hex, 4);
		snprintf(r.exec_id, sizeof r.exec_id, "run-%llx-%s", (unsigned long long)clock_wall_ms(), hex);
	}
	r.log_step = COMMAND_STEP;

	char host[PROTO_MAX_NAME + 1], user[PROTO_MAX_NAME + 1] = "?", cwd[PATH_MAX] = "", name[PROTO_MAX_NAME + 1];
	host_name(host, sizeof host);
	struct passwd *pw = getpwuid(getuid());
	if (pw != NULL)
		name_of(pw->pw_name, user, sizeof user);
	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, "?");
	char *cmd = command_text(o->argc, o->argv);
	const char *base = strrchr(o->argv[0], '/');
	name_of(base && base[1] ? base + 1 : o->argv[0], name, sizeof name);

	json_t *q = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s}}", "workflow_name",
			      o->workflow_name ? o->workflow_name : o->workflow_id, "priority", "NORMAL", "params",
			      "command", cmd, "host", host, "user", user, "cwd", cwd);
	if (o->labels != NULL && json_object_size(o->labels) > 0)
		json_object_set(q, "labels", o->labels);
	report_event(&r, EV_EXECUTION_QUEUED, q);
	json_t *s = json_pack("{s:s}", "worker", host);
	if (o->labels != NULL && json_object_size(o->labels) > 0)
		json_object_set(s, "labels", o->labels);
	report_event(&r, EV_EXECUTION_STARTED, s);
	report_event(&r, EV_STEP_STARTED, json_pack("{s:s,s:s,s:s}", "step_id", COMMAND_STEP, "name", name, "worker", host));
	free(cmd);

	struct runner_result res;
	if (run_command(&r, &res) < 0) {
		report_event(&r, EV_EXECUTION_FAILED, json_pack("{s:s,s:s}", "error", "wfmon run could not start the command",
								 "error_code", "RUN_FAILED"));
		report_close(&r);
		return 125;
	}
	report_output_notes(&r, &res);
	char text[PROTO_MAX_TEXT], code[PROTO_MAX_ID + 1];
	runner_describe(&res, o->argv[0], text, sizeof text, code, sizeof code);
	json_t *sf = json_pack("{s:s}", "step_id", COMMAND_STEP);
	put_usage(sf, &res);
	bool ok = res.started && !res.signalled && res.code == 0;
	if (!ok) {
		json_object_set_new(sf, "error", json_string(text));
		json_object_set_new(sf, "error_code", json_string(code));
	}
	report_event(&r, ok ? EV_STEP_COMPLETED : EV_STEP_FAILED, sf);
	if (r.cancel) {
		char why[PROTO_MAX_TEXT];
		snprintf(why, sizeof why, "cancelled by %s (%.3500s)", r.cancel_by, text);
		utf8_trim_tail(why);
		report_event(&r, EV_EXECUTION_CANCELLED, json_pack("{s:s}", "reason", why));
	} else if (ok) {
		report_event(&r, EV_EXECUTION_COMPLETED,
			     json_pack("{s:I,s:{s:i,s:I,s:I,s:I}}", "duration_ms", (json_int_t)res.duration_ms, "output",
				       "exit_status", res.code, "cpu_ms", (json_int_t)res.cpu_ms, "max_rss_bytes",
				       (json_int_t)res.max_rss_bytes, "lines", (json_int_t)res.lines));
	} else {
		report_event(&r, EV_EXECUTION_FAILED,
			     json_pack("{s:s,s:s,s:s}", "error", text, "error_code", code, "step_id", COMMAND_STEP));
	}
	if (!o->quiet && !ok && res.started)
		say(&r, "%s: %s", o->argv[0], text);
	report_close(&r);
	return res.exit_status;
}

/* ---- wfmon step -------------------------------------------------------------------------- */

/* The execution from the options or the environment wfmon run set. */
static int context(struct report *r, const struct run_cli_options *o)
{
	const char *x = o->execution_id ? o->execution_id : getenv("WFMON_EXECUTION_ID");
	const char *w = o->workflow_id ? o->workflow_id : getenv("WFMON_WORKFLOW_ID");
	if (x == NULL || w == NULL || !proto_id_valid(x) || !proto_id_valid(w)) {
		fprintf(stderr, "wfmon %s: no execution to report to: run it under wfmon run (which sets "
				"WFMON_EXECUTION_ID and WFMON_WORKFLOW_ID) or pass --execution-id and --workflow\n",
			r->who);
		return -1;
	}
	snprintf(r->exec_id, sizeof r->exec_id, "%s", x);
	snprintf(r->wf_id, sizeof r->wf_id, "%s", w);
	return 0;
}

int run_cli_step(const struct run_cli_options *o)
{
	struct report r;
	memset(&r, 0, sizeof r);
	r.who = "step";
	if (context(&r, o) < 0)
		return 2;
	report_open(&r, o, "step", false);
	context(&r, o);
	char step[PROTO_MAX_ID + 1], name[PROTO_MAX_NAME + 1];
	name_of(o->step_name, name, sizeof name);
	if (o->step_id != NULL)
		snprintf(step, sizeof step, "%s", o->step_id);
	else
		run_cli_step_id(name, step, sizeof step);
	r.log_step = step;
	json_t *sf = json_pack("{s:s,s:s}", "step_id", step, "name", name);
	char host[PROTO_MAX_NAME + 1];
	host_name(host, sizeof host);
	json_object_set_new(sf, "worker", json_string(host));
	if (o->attempt > 0)
		json_object_set_new(sf, "attempt", json_integer(o->attempt));
	report_event(&r, EV_STEP_STARTED, sf);

	struct runner_result res;
	if (run_command(&r, &res) < 0) {
		report_close(&r);
		return 125;
	}
	report_output_notes(&r, &res);
	char text[PROTO_MAX_TEXT], code[PROTO_MAX_ID + 1];
	runner_describe(&res, o->argv[0], text, sizeof text, code, sizeof code);
	bool ok = res.started && !res.signalled && res.code == 0;
	json_t *ef = json_pack("{s:s}", "step_id", step);
	put_usage(ef, &res);
	if (o->attempt > 0)
		json_object_set_new(ef, "attempt", json_integer(o->attempt));
	if (!ok) {
		json_object_set_new(ef, "error", json_string(text));
		json_object_set_new(ef, "error_code", json_string(code));
	}
	report_event(&r, ok ? EV_STEP_COMPLETED : EV_STEP_FAILED, ef);
	report_close(&r);
	return res.exit_status;
}

/* ---- wfmon emit -------------------------------------------------------------------------- */

/* KIND key=value key:=JSON ... into an event (new reference) or NULL with a cause. */
static json_t *emit_from_args(int argc, char **argv, char *cause, size_t causelen, bool *strings_used)
{
	enum proto_event_kind kind;
	if (proto_event_kind_parse(argv[0], &kind) != 0) {
		snprintf(cause, causelen, "unknown event kind '%s' (log, counter, step.started, execution.completed ...)",
			 argv[0]);
		return NULL;
	}
	json_t *ev = json_pack("{s:s}", "type", argv[0]);
	*strings_used = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (eq == NULL || eq == a) {
			snprintf(cause, causelen, "'%s' must be key=value (a string) or key:=JSON", a);
			json_decref(ev);
			return NULL;
		}
		bool raw = eq > a && eq[-1] == ':';
		char key[PROTO_MAX_ID + 1];
		size_t klen = (size_t)(eq - a) - (raw ? 1 : 0);
		if (klen == 0 || klen > PROTO_MAX_ID) {
			snprintf(cause, causelen, "'%s': the field name is empty or too long", a);
			json_decref(ev);
			return NULL;
		}
		memcpy(key, a, klen);
		key[klen] = '\0';
		json_t *v;
		if (raw) {
			json_error_t err;
			v = json_loads(eq + 1, JSON_DECODE_ANY, &err);
			if (v == NULL) {
				snprintf(cause, causelen, "'%s': the value is not JSON: %s", key, err.text);
				json_decref(ev);
				return NULL;
			}
		} else {
			v = json_string(eq + 1);
			*strings_used = true;
			if (v == NULL) {
				snprintf(cause, causelen, "'%s': the value is not valid UTF-8", key);
				json_decref(ev);
				return NULL;
			}
		}
		json_object_set_new(ev, key, v);
	}
	return ev;
}

/* Fills what an event left out: id, ts, execution_id, workflow_id. */
static void emit_fill(struct report *r, json_t *ev)
{
	char id[PROTO_MAX_ID + 1], ts[40];
	if (json_object_get(ev, "id") == NULL) {
		snprintf(id, sizeof id, "%s-%llu", r->id_prefix, (unsigned long long)++r->next_id);
		json_object_set_new(ev, "id", json_string(id));
	}
	if (json_object_get(ev, "ts") == NULL) {
		proto_time_format(clock_wall_ms(), ts, sizeof ts);
		json_object_set_new(ev, "ts", json_string(ts));
	}
	if (json_object_get(ev, "execution_id") == NULL && r->exec_id[0])
		json_object_set_new(ev, "execution_id", json_string(r->exec_id));
	if (json_object_get(ev, "workflow_id") == NULL && r->wf_id[0])
		json_object_set_new(ev, "workflow_id", json_string(r->wf_id));
}

static int emit_check(struct report *r, json_t *ev, const char *where, bool strings_used)
{
	struct proto_cause cause;
	if (proto_event_validate(ev, NULL, &cause) == 0)
		return 0;
	bool number = strstr(cause.message, "integer") != NULL || strstr(cause.message, "number") != NULL ||
		      strstr(cause.message, "true or false") != NULL;
	fprintf(stderr, "wfmon emit: %s: %s: %s%s\n", where, cause.field[0] ? cause.field : "event", cause.message,
		number && strings_used ? " (write numbers and booleans as key:=42, key:=true)" : "");
	(void)r;
	return -1;
}

int run_cli_emit(const struct run_cli_options *o)
{
	struct report r;
	memset(&r, 0, sizeof r);
	r.who = "emit";
	const char *x = o->execution_id ? o->execution_id : getenv("WFMON_EXECUTION_ID");
	const char *w = o->workflow_id ? o->workflow_id : getenv("WFMON_WORKFLOW_ID");
	json_t *events = json_array();
	char cause[512];
	bool strings_used = false;
	/* Read and check everything before connecting. */
	if (o->flush) {
		if (o->argc > 0 || o->json != NULL) {
			fprintf(stderr, "wfmon emit: --flush sends the outbox only; give no event with it\n");
			json_decref(events);
			return 2;
		}
	} else if (o->json != NULL) {
		json_error_t err;
		json_t *ev = json_loads(o->json, 0, &err);
		if (!json_is_object(ev)) {
			fprintf(stderr, "wfmon emit: --json: %s\n", ev ? "must be one event (a JSON object)" : err.text);
			json_decref(ev);
			json_decref(events);
			return 2;
		}
		json_array_append_new(events, ev);
	} else if (o->argc == 1 && strcmp(o->argv[0], "-") == 0) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		int lineno = 0;
		while ((len = getline(&line, &cap, stdin)) > 0) {
			lineno++;
			if (strspn(line, " \t\r\n") == (size_t)len)
				continue;
			json_error_t err;
			json_t *ev = json_loadb(line, (size_t)len, 0, &err);
			if (!json_is_object(ev)) {
				fprintf(stderr, "wfmon emit: standard input line %d: %s\n", lineno,
					ev ? "must be one event (a JSON object)" : err.text);
				json_decref(ev);
				json_decref(events);
				free(line);
				return 2;
			}
			if (json_array_size(events) >= MAX_QUEUED) {
				fprintf(stderr, "wfmon emit: more than %d events on standard input\n", MAX_QUEUED);
				json_decref(ev);
				json_decref(events);
				free(line);
				return 2;
			}
			json_array_append_new(events, ev);
		}
		free(line);
	} else if (o->argc > 0) {
		json_t *ev = emit_from_args(o->argc, o->argv, cause, sizeof cause, &strings_used);
		if (ev == NULL) {
			fprintf(stderr, "wfmon emit: %s\n", cause);
			json_decref(events);
			return 2;
		}
		json_array_append_new(events, ev);
	} else {
		fprintf(stderr, "wfmon emit: what to send: KIND key=value..., --json EVENT, - (NDJSON on standard input) "
				"or --flush\n");
		json_decref(events);
		return 2;
	}
	char hex[16];
	random_hex(hex, sizeof hex, 6);
	snprintf(r.id_prefix, sizeof r.id_prefix, "w%s", hex);
	if (x != NULL && proto_id_valid(x))
		snprintf(r.exec_id, sizeof r.exec_id, "%s", x);
	if (w != NULL && proto_id_valid(w))
		snprintf(r.wf_id, sizeof r.wf_id, "%s", w);
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		emit_fill(&r, ev);
		char where[32];
		snprintf(where, sizeof where, "event %zu", i + 1);
		if (emit_check(&r, ev, where, strings_used) < 0) {
			if (json_object_get(ev, "execution_id") == NULL || json_object_get(ev, "workflow_id") == NULL)
				fprintf(stderr, "wfmon emit: the execution comes from --execution-id and --workflow, or "
						"WFMON_EXECUTION_ID and WFMON_WORKFLOW_ID (set by wfmon run)\n");
			json_decref(events);
			return 2;
		}
	}
	/* The ids were made above: keep them. */
	char prefix[sizeof r.id_prefix];
	snprintf(prefix, sizeof prefix, "%s", r.id_prefix);
	uint64_t next = r.next_id;
	char xid[PROTO_MAX_ID + 1], wid[PROTO_MAX_ID + 1];
	snprintf(xid, sizeof xid, "%s", r.exec_id[0] ? r.exec_id : "emit");
	snprintf(wid, sizeof wid, "%s", r.wf_id);
	report_open(&r, o, "emit", false);
	snprintf(r.id_prefix, sizeof r.id_prefix, "%s", prefix);
	r.next_id = next;
	snprintf(r.exec_id, sizeof r.exec_id, "%s", xid);
	snprintf(r.wf_id, sizeof r.wf_id, "%s", wid);
	size_t resent = r.resend->events;
	json_array_foreach(events, i, ev)
		publisher_add(r.pub, json_incref(ev));
	json_decref(events);
	int rc = report_close(&r);
	if (rc == 0 && o->flush && !o->quiet)
		fprintf(stderr, "wfmon emit: %zu event(s) from the outbox sent\n", resent);
	return rc == 2 ? 1 : 0;
}
