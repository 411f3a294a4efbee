/* reload.c: SIGHUP's reload of the configuration (see reload.h).
 *
 * The sequence, and the only place it is written down:
 *  1. build the next configuration from the server's config_source (defaults,
 *     the file, the command-line flags over it) and config_check it;
 *  2. settings only a restart can change keep their running values (each
 *     difference is logged); so does a TLS file that was set and is not, or
 *     the other way round (TLS is switched on or off by a restart only);
 *  3. every row of reload_steps prepares what the next configuration needs
 *     (a new JWT verifier reads its key file) and touches nothing running;
 *  4. if any step failed, every prepared state is discarded and the running
 *     configuration stays, with the reason logged;
 *  5. otherwise s->cfg becomes the next configuration and every step commits,
 *     in table order; commits cannot fail.
 * A new reloadable piece is one more row: load and check in prepare, swap in
 * commit, free in discard. */
#include "reload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "action.h"
#include "server.h"
#include "tls.h"

struct reload_step {
	const char *name;
	/* Builds the state the next configuration needs, or -1 with a cause.
	 * NULL: nothing to prepare. */
	int (*prepare)(struct server *s, const struct config *next, void **state, char *cause,
		       size_t causelen);
	/* Puts it in place; s->cfg is already the next configuration, prev the
	 * one that ran until now. Takes state. */
	void (*commit)(struct server *s, const struct config *prev, void *state);
	/* Frees a prepared state that will not be committed (NULL: none). */
	void (*discard)(void *state);
};

/* ---- the JWT keyring: rereads every key file, also when their paths are the same --- */

static int keys_prepare(struct server *s, const struct config *next, void **state, char *cause,
			size_t causelen)
{
	(void)s;
	struct auth_settings st;
	config_auth_settings(next, &st);
	*state = auth_verifier_build(&st, cause, causelen);
	return *state != NULL ? 0 : -1;
}

static void keys_commit(struct server *s, const struct config *prev, void *state)
{
	(void)prev;
	struct auth_verifier *v = state;
	if (auth_verifier_same_key(s->verifier, v)) {
		auth_verifier_free(v);
		return;
	}
	auth_verifier_free(s->verifier);
	s->verifier = v;
	char keys[1024];
	auth_verifier_describe(v, keys, sizeof keys);
	log_info("reload: new JWT keyring: %s. New connections and in-band refreshes need tokens it "
		 "verifies; open connections keep their identity until their token expires", keys);
}

static void keys_discard(void *state)
{
	auth_verifier_free(state);
}

/* ---- the TLS certificate, key and client CA: reread, also when their paths are the same --- */

static int tls_prepare(struct server *s, const struct config *next, void **state, char *cause,
		       size_t causelen)
{
	*state = NULL;
	if (s->tls_ctx == NULL || next->tls_cert == NULL)
		return 0;   /* a plain listener: switching TLS on is a restart's (step 2) */
	*state = tls_creds_load(next, cause, causelen);
	return *state != NULL ? 0 : -1;
}

static void tls_commit(struct server *s, const struct config *prev, void *state)
{
	(void)prev;
	if (state == NULL)
		return;
	tls_creds_apply(s, state);
	char desc[400];
	tls_creds_describe(state, desc, sizeof desc);
	log_info("reload: TLS certificate %s: new connections get it; open ones keep theirs", desc);
	tls_creds_free(state);
}

static void tls_discard(void *state)
{
	tls_creds_free(state);
}

/* ---- the action links' secret: the previous one still checks links already sent --- */

static int action_prepare(struct server *s, const struct config *next, void **state, char *cause,
			  size_t causelen)
{
	(void)s;
	*state = NULL;
	if (next->action_secret_file == NULL)
		return 0;
	*state = action_key_load(next->action_secret_file, cause, causelen);
	return *state != NULL ? 0 : -1;
}

static void action_commit(struct server *s, const struct config *prev, void *state)
{
	(void)prev;
	struct action_key *k = state;
	if (action_key_same(s->action_key, k)) {
		action_key_free(k);
		return;
	}
	action_key_free(s->action_prev_key);
	s->action_prev_key = s->action_key;
	s->action_key = k;
	log_info("reload: %s action links' secret: links sent before keep working until they expire",
		 k != NULL ? "new" : "no more");
}

static void action_discard(void *state)
{
	action_key_free(state);
}

/* ---- the log level ------------------------------------------------------------- */

static void log_commit(struct server *s, const struct config *prev, void *state)
{
	(void)prev;
	(void)state;
	server_apply_log_level(s);
}

/* ---- the queue limits of open connections (new ones read s->cfg) --------------- */

static void connections_commit(struct server *s, const struct config *prev, void *state)
{
	(void)state;
	if (prev->outq_max_messages == s->cfg.outq_max_messages && prev->outq_max_bytes == s->cfg.outq_max_bytes)
		return;
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		conn_set_limits(c, s->cfg.outq_max_messages, s->cfg.outq_max_bytes);
}

static const struct reload_step reload_steps[] = {
	{ "JWT keyring", keys_prepare, keys_commit, keys_discard },
	{ "TLS certificate", tls_prepare, tls_commit, tls_discard },
	{ "action link secret", action_prepare, action_commit, action_discard },
	{ "log level", NULL, log_commit, NULL },
	{ "connection limits", NULL, connections_commit, NULL },
};
#define NSTEPS (sizeof reload_steps / sizeof reload_steps[0])

/* ---- the sequence --------------------------------------------------------------- */

/* Appends "name old -> new" (or "name changed" for a secret) to list. */
static void describe_change(char *list, size_t len, const struct config *prev, const struct config *next,
			    size_t i)
{
	size_t used = strlen(list);
	if (used + 1 >= len)
		return;
	char a[256], b[256];
	const char *name = config_setting_name(i);
	if (config_setting_secret(i)) {
		snprintf(list + used, len - used, "%s%s changed", used ? ", " : "", name);
		return;
	}
	config_setting_format(prev, i, a, sizeof a);
	config_setting_format(next, i, b, sizeof b);
	snprintf(list + used, len - used, "%s%s %s -> %s", used ? ", " : "", name, a, b);
}

int reload_config(struct server *s)
{
	char cause[512];
	if (s->draining) {
		log_info("reload: ignored: the daemon is draining");
		return -1;
	}
	const char *from = s->src.path != NULL ? s->src.path : "the command line";
	struct config next;
	if (config_build(&s->src, &next, cause, sizeof cause) < 0) {
		log_error("reload: kept the running configuration: %s", cause);
		return -1;
	}
	if (config_check(&next, cause, sizeof cause) < 0) {
		log_error("reload: kept the running configuration: %s", cause);
		config_free(&next);
		return -1;
	}
	for (size_t i = 0; i < config_setting_count(); i++) {
		bool switched = config_setting_switch_restart(i) &&
				config_setting_is_set(&s->cfg, i) != config_setting_is_set(&next, i);
		if ((config_setting_reloadable(i) && !switched) || config_setting_equal(&s->cfg, &next, i))
			continue;
		char change[600] = "";
		describe_change(change, sizeof change, &s->cfg, &next, i);
		log_warn("reload: %s: only a restart applies this; keeping the running value", change);
		config_setting_copy(&next, &s->cfg, i);
	}

	void *states[NSTEPS] = { 0 };
	size_t failed = NSTEPS;
	for (size_t k = 0; k < NSTEPS && failed == NSTEPS; k++)
		if (reload_steps[k].prepare != NULL &&
		    reload_steps[k].prepare(s, &next, &states[k], cause, sizeof cause) < 0)
			failed = k;
	if (failed < NSTEPS) {
		for (size_t k = 0; k < failed; k++)
			if (reload_steps[k].discard != NULL)
				reload_steps[k].discard(states[k]);
		log_error("reload: kept the running configuration: %s: %s", reload_steps[failed].name, cause);
		config_free(&next);
		return -1;
	}

	char changes[2048] = "";
	for (size_t i = 0; i < config_setting_count(); i++)
		if (!config_setting_equal(&s->cfg, &next, i))
			describe_change(changes, sizeof changes, &s->cfg, &next, i);
	/* Said before the commits: they cannot fail, and the new log level may
	 * hide info lines. */
	log_info("reload: configuration from %s applied (settings changed: %s)", from,
		 changes[0] ? changes : "none");
	struct config prev = s->cfg;
	s->cfg = next;
	for (size_t k = 0; k < NSTEPS; k++)
		if (reload_steps[k].commit != NULL)
			reload_steps[k].commit(s, &prev, states[k]);
	config_free(&prev);
	return 0;
}
