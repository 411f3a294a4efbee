/* action.c: signed, single-use, expiring action links (see action.h).
 *
 * A token is BASE64URL(payload) "." BASE64URL(HMAC-SHA256(key, "wfmon-action.v1." BASE64URL(payload))),
 * payload a compact JSON object {"o","a","k","e","n","c","r"}: organization,
 * alert id, kind, expiry, nonce, channel, recipient. Invariants: the payload is
 * read only after its MAC matched (compared in constant time); a key is never
 * shorter than ACTION_MIN_SECRET and is wiped before it is freed; a nonce,
 * once used, stays refused until its link expires, in memory and (through the
 * store) across restarts. */
#include "action.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "alert_channel.h"
#include "base64.h"
#include "cluster.h"
#include "history.h"
#include "keyfile.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "xalloc.h"

#define ACTION_MIN_SECRET 32
#define ACTION_MAX_SECRET_FILE (64 * 1024)
#define ACTION_CONTEXT "wfmon-action.v1."
#define MAC_LEN 32

struct action_key {
	unsigned char *bytes;
	size_t len;
};

static const char *const kind_names[ACTION__COUNT] = { [ACTION_ACK] = "acknowledge", [ACTION_ESCALATE] = "escalate" };

const char *action_kind_name(enum action_kind k)
{
	return (unsigned)k < ACTION__COUNT ? kind_names[k] : "unknown";
}

enum alert_action action_kind_alert_action(enum action_kind k)
{
	return k == ACTION_ESCALATE ? ACT_ESCALATE : ACT_ACKNOWLEDGE;
}

/* ---- keys ------------------------------------------------------------------------- */

struct action_key *action_key_new(const void *secret, size_t len)
{
	struct action_key *k = xcalloc(1, sizeof *k);
	k->bytes = xmalloc(len);
	memcpy(k->bytes, secret, len);
	k->len = len;
	return k;
}

struct action_key *action_key_load(const char *path, char *cause, size_t causelen)
{
	size_t len = 0;
	unsigned char *buf = keyfile_read(path, "action-secret-file", ACTION_MAX_SECRET_FILE, &len, cause, causelen);
	if (buf == NULL)
		return NULL;
	if (buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len < ACTION_MIN_SECRET) {
		snprintf(cause, causelen, "action-secret-file %s holds %zu bytes: at least %d are needed (e.g. "
					  "head -c 48 /dev/urandom | base64 > %s)", path, len, ACTION_MIN_SECRET, path);
		explicit_bzero(buf, len);
		free(buf);
		return NULL;
	}
	struct action_key *k = xcalloc(1, sizeof *k);
	k->bytes = buf;
	k->len = len;
	return k;
}

void action_key_free(struct action_key *k)
{
	if (k == NULL)
		return;
	explicit_bzero(k->bytes, k->len);
	free(k->bytes);
	free(k);
}

bool action_key_same(const struct action_key *a, const struct action_key *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->len == b->len && CRYPTO_memcmp(a->bytes, b->bytes, a->len) == 0;
}

/* ---- tokens ------------------------------------------------------------------------ */

static void mac_of(const struct action_key *k, const char *payload, size_t len, unsigned char out[MAC_LEN])
{
	char *text = xmalloc(sizeof ACTION_CONTEXT + len);
	memcpy(text, ACTION_CONTEXT, sizeof ACTION_CONTEXT - 1);
	memcpy(text + sizeof ACTION_CONTEXT - 1, payload, len);
	unsigned int n = MAC_LEN;
	HMAC(EVP_sha256(), k->bytes, (int)k->len, (const unsigned char *)text, sizeof ACTION_CONTEXT - 1 + len,
	     out, &n);
	free(text);
}

char *action_token_new(const struct action_key *k, const struct action_claims *c)
{
	json_t *p = json_pack("{s:s,s:I,s:s,s:I,s:s,s:s,s:s}", "o", c->org, "a", (json_int_t)c->alert_id, "k",
			      action_kind_name(c->kind), "e", (json_int_t)c->exp_s, "n", c->nonce, "c", c->channel,
			      "r", c->recipient);
	char *json = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	if (json == NULL)
		return NULL;
	size_t jl = strlen(json);
	char *out = xmalloc(base64url_encoded_len(jl) + 1 + base64url_encoded_len(MAC_LEN) + 1);
	int n = base64url_encode((const uint8_t *)json, jl, out, base64url_encoded_len(jl) + 1);
	free(json);
	unsigned char mac[MAC_LEN];
	mac_of(k, out, (size_t)n, mac);
	out[n] = '.';
	base64url_encode(mac, MAC_LEN, out + n + 1, base64url_encoded_len(MAC_LEN) + 1);
	return out;
}

static bool claims_read(json_t *p, struct action_claims *out)
{
	const char *org = json_string_value(json_object_get(p, "o"));
	const char *kind = json_string_value(json_object_get(p, "k"));
	const char *nonce = json_string_value(json_object_get(p, "n"));
	const char *channel = json_string_value(json_object_get(p, "c"));
	const char *recipient = json_string_value(json_object_get(p, "r"));
	json_t *a = json_object_get(p, "a"), *e = json_object_get(p, "e");
	if (org == NULL || !proto_id_valid(org) || kind == NULL || nonce == NULL ||
	    strlen(nonce) != ACTION_NONCE_LEN || channel == NULL || strlen(channel) >= sizeof out->channel ||
	    recipient == NULL || strlen(recipient) > ACTION_MAX_RECIPIENT || !json_is_integer(a) ||
	    json_integer_value(a) <= 0 || !json_is_integer(e))
		return false;
	memset(out, 0, sizeof *out);
	int k = -1;
	for (int i = 0; i < ACTION__COUNT; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			k = i;
	if (k < 0)
		return false;
	snprintf(out->org, sizeof out->org, "%s", org);
	out->alert_id = json_integer_value(a);
	out->kind = (enum action_kind)k;
	out->exp_s = json_integer_value(e);
	snprintf(out->nonce, sizeof out->nonce, "%s", nonce);
	snprintf(out->channel, sizeof out->channel, "%s", channel);
	snprintf(out->recipient, sizeof out->recipient, "%s", recipient);
	return true;
}

static bool mac_matches(const struct action_key *k, const char *token, size_t plen, const unsigned char *mac)
{
	if (k == NULL)
		return false;
	unsigned char want[MAC_LEN];
	mac_of(k, token, plen, want);
	return CRYPTO_memcmp(want, mac, MAC_LEN) == 0;
}

enum action_check action_token_check(const struct action_key *key, const struct action_key *prev,
				     const char *token, int64_t now_s, struct action_claims *out)
{
	size_t len = token ? strnlen(token, ACTION_MAX_TOKEN + 1) : 0;
	const char *dot = len ? memchr(token, '.', len) : NULL;
	if (len == 0 || len > ACTION_MAX_TOKEN || dot == NULL)
		return ACTION_INVALID;
	size_t plen = (size_t)(dot - token), slen = len - plen - 1;
	unsigned char mac[MAC_LEN + 3];
	if (plen == 0 || base64url_decode(dot + 1, slen, mac, sizeof mac) != MAC_LEN ||
	    (!mac_matches(key, token, plen, mac) && !mac_matches(prev, token, plen, mac)))
		return ACTION_INVALID;
	uint8_t raw[ACTION_MAX_TOKEN];
	int n = base64url_decode(token, plen, raw, sizeof raw);
	json_t *p = n > 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	bool ok = json_is_object(p) && claims_read(p, out);
	json_decref(p);
	if (!ok)
		return ACTION_INVALID;
	return now_s > out->exp_s ? ACTION_EXPIRED : ACTION_VALID;
}

/* ---- the daemon's links ------------------------------------------------------------------ */

/* Who a notification on ch reaches, as the audit names it: the email
 * addresses (not a secret), nothing for hooks (their URLs are secrets). */
static void channel_recipient(const struct alert_channel *ch, char *out, size_t len)
{
	out[0] = '\0';
	if (ch->type == CH_EMAIL && ch->to != NULL)
		snprintf(out, len, "%s", ch->to);
}

int action_links(struct server *s, const char *org, int64_t alert_id, const struct alert_channel *ch,
		 char urls[ACTION__COUNT][ACTION_MAX_TOKEN + 256], int64_t now_s)
{
	if (s->cfg.public_url == NULL || s->action_key == NULL)
		return -1;
	size_t base = strlen(s->cfg.public_url);
	while (base > 0 && s->cfg.public_url[base - 1] == '/')
		base--;
	for (int k = 0; k < ACTION__COUNT; k++) {
		struct action_claims c = { .alert_id = alert_id, .kind = (enum action_kind)k,
					   .exp_s = now_s + s->cfg.action_link_ttl_s };
		snprintf(c.org, sizeof c.org, "%s", org);
		snprintf(c.channel, sizeof c.channel, "%s", channel_type_name(ch->type));
		channel_recipient(ch, c.recipient, sizeof c.recipient);
		uint8_t raw[ACTION_NONCE_LEN / 2];
		if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
			return -1;
		for (size_t i = 0; i < sizeof raw; i++)
			snprintf(c.nonce + 2 * i, 3, "%02x", raw[i]);
		char *token = action_token_new(s->action_key, &c);
		if (token == NULL)
			return -1;
		snprintf(urls[k], sizeof urls[k], "%.*s/v1/actions/%s", (int)base, s->cfg.public_url, token);
		free(token);
	}
	return 0;
}

/* ---- used nonces --------------------------------------------------------------------------- */

struct used_nonce {
	int64_t exp_s;
};

bool action_nonce_used(struct server *s, const char *nonce)
{
	return strmap_get(&s->action_used, nonce) != NULL;
}

static void nonce_remember(struct server *s, const char *nonce, int64_t exp_s)
{
	struct used_nonce *u = xmalloc(sizeof *u);
	u->exp_s = exp_s;
	free(strmap_put(&s->action_used, nonce, u));
}

void action_nonce_use(struct server *s, const struct action_claims *c, const char *by)
{
	nonce_remember(s, c->nonce, c->exp_s);
	if (s->cluster != NULL)
		cluster_share(s->cluster, c->org, CLUSTER_SHARE_ACTION_USE,
			      json_pack("{s:s,s:I}", "nonce", c->nonce, "exp_s", (json_int_t)c->exp_s));
	history_put(s, STORE_Q_PUT_ACTION_USE, c->org,
		    json_pack("{s:s,s:I,s:s,s:s,s:I}", "nonce", c->nonce, "alert_id", (json_int_t)c->alert_id,
			      "action", action_kind_name(c->kind), "by", by, "exp_s", (json_int_t)c->exp_s));
}

void action_nonce_shared(struct server *s, json_t *j)
{
	const char *nonce = json_string_value(json_object_get(j, "nonce"));
	if (nonce != NULL)
		nonce_remember(s, nonce, json_integer_value(json_object_get(j, "exp_s")));
}

void action_nonces_load(struct server *s, json_t *list)
{
	size_t i;
	json_t *u;
	json_array_foreach(list, i, u) {
		const char *nonce = json_string_value(json_object_get(u, "nonce"));
		if (nonce != NULL)
			nonce_remember(s, nonce, json_integer_value(json_object_get(u, "exp_s")));
	}
}

struct gc {
	int64_t now_s;
	char **expired;
	size_t n, cap;
};

static void gc_collect(const char *key, void *value, void *arg)
{
	struct gc *g = arg;
	if (((struct used_nonce *)value)->exp_s >= g->now_s)
		return;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 16;
		g->expired = xrealloc(g->expired, sizeof *g->expired * g->cap);
	}
	g->expired[g->n++] = xstrdup(key);
}

void action_nonces_gc(struct server *s, int64_t now_s)
{
	struct gc g = { .now_s = now_s };
	strmap_each(&s->action_used, gc_collect, &g);
	for (size_t i = 0; i < g.n; i++) {
		free(strmap_remove(&s->action_used, g.expired[i]));
		free(g.expired[i]);
	}
	free(g.expired);
}

static void free_value(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void action_nonces_free(struct server *s)
{
	strmap_each(&s->action_used, free_value, NULL);
	strmap_clear(&s->action_used);
}
