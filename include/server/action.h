/* action.h: acting on an alert from its notification (AC6): signed,
 * single-use, expiring links to acknowledge or escalate it.
 *
 * A notification sent by email, Slack or webhook carries two links when the
 * daemon knows how people reach it (public-url) and has a secret to sign
 * with (action-secret-file): PUBLIC-URL/v1/actions/TOKEN. The token names
 * the organization, the alert, the action, the channel and recipient the
 * notification went to, when it expires (action-link-ttl) and a random
 * nonce; it is signed with HMAC-SHA256. A GET shows what the link would do
 * and changes nothing (action_page.c); the page's button POSTs, which checks
 * the token again, refuses a nonce used before (in memory, and in PostgreSQL
 * across restarts: action_link_uses), applies the action as the console
 * would and audits it with who and how.
 *
 * Without a public URL or a secret, notifications say how to act from a
 * shell instead (alert_text_actions). Loop thread only. */
#ifndef WFMON_ACTION_H
#define WFMON_ACTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "proto.h"

struct server;
struct alert_channel;

enum action_kind { ACTION_ACK, ACTION_ESCALATE, ACTION__COUNT };
/* "acknowledge", "escalate" */
const char *action_kind_name(enum action_kind k);
/* The alert action it stands for. */
enum alert_action action_kind_alert_action(enum action_kind k);

#define ACTION_NONCE_LEN 32        /* hex characters */
#define ACTION_MAX_RECIPIENT 160
#define ACTION_MAX_TOKEN 1024

/* What a link's token says, signed. */
struct action_claims {
	char org[PROTO_MAX_ID + 1];
	int64_t alert_id;
	enum action_kind kind;
	int64_t exp_s;
	char nonce[ACTION_NONCE_LEN + 1];
	char channel[16];                          /* "email", "slack", "webhook", "sms" */
	char recipient[ACTION_MAX_RECIPIENT + 1];  /* the addresses an email went to, else "" */
};

/* ---- signing (pure but for the key file) ------------------------------------------ */

struct action_key;
/* Reads the secret (at least 32 bytes, one trailing newline ignored). NULL
 * with a cause. */
struct action_key *action_key_load(const char *path, char *cause, size_t causelen);
void action_key_free(struct action_key *k);
bool action_key_same(const struct action_key *a, const struct action_key *b);
/* A key from bytes, for tests. */
struct action_key *action_key_new(const void *secret, size_t len);

/* The token for c: new string (base64url payload '.' base64url HMAC). */
char *action_token_new(const struct action_key *k, const struct action_claims *c);

enum action_check {
	ACTION_VALID,
	ACTION_INVALID,   /* malformed, tampered with, or signed with another key */
	ACTION_EXPIRED,   /* genuine, but past its exp */
};
/* Checks token against key (and prev, the key before the last reload, when
 * not NULL) at now_s; fills *out for VALID and EXPIRED. */
enum action_check action_token_check(const struct action_key *key, const struct action_key *prev,
				     const char *token, int64_t now_s, struct action_claims *out);

/* ---- the daemon's links ------------------------------------------------------------ */

/* The links for one notification of alert_id to channel ch: 0 with
 * urls[ACTION__COUNT] (each of len bytes) filled, or -1 when the daemon
 * makes no links (no public URL or no secret). */
int action_links(struct server *s, const char *org, int64_t alert_id, const struct alert_channel *ch,
		 char urls[ACTION__COUNT][ACTION_MAX_TOKEN + 256], int64_t now_s);

/* Whether a nonce was used already; marking it used also stores it (the
 * store keeps it until the link expires) and, in a cluster, tells the other
 * nodes (a link opened on one node is used there too). */
bool action_nonce_used(struct server *s, const char *nonce);
void action_nonce_use(struct server *s, const struct action_claims *c, const char *by);
/* Another node used a link: {"nonce","exp_s"} (cluster.h). */
void action_nonce_shared(struct server *s, json_t *j);
/* Nonces the store remembers (start-up): [{"nonce","exp_s"}]. */
void action_nonces_load(struct server *s, json_t *list);
/* Forgets nonces whose links have expired anyway. */
void action_nonces_gc(struct server *s, int64_t now_s);
void action_nonces_free(struct server *s);

#endif
