/* alert_channel.h: the notification channels of an alert rule: their types,
 * each type's fields (alert_schema.h rows), and the channel's JSON form read
 * and written (alert_channel.c). Part of the rule schema (alert_rule.h).
 *
 * Ownership: a channel's strings are heap copies it owns (NULL when absent);
 * alert_channel_clear frees them. *_new return new references. */
#ifndef WFMON_ALERT_CHANNEL_H
#define WFMON_ALERT_CHANNEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "alert_schema.h"
#include "proto.h"

/* Addresses in an email channel's "to": the parser refuses more and the
 * notifier sizes its envelope by it, so a saved rule can always be delivered. */
#define ALERT_EMAIL_MAX_RCPT 20

enum channel_type { CH_IN_APP, CH_WEBHOOK, CH_SLACK, CH_EMAIL, CH_SMS, CH__COUNT };
const char *channel_type_name(enum channel_type t);   /* "in_app", ...; NULL out of range */

/* The channel types as choices (name, label, fields), indexed by enum channel_type. */
const struct alert_choice *alert_channel_types(void);

/* A notification channel as saved. Secrets (webhook secret, SMTP password,
 * SMS token) live here and are never sent back to clients or logged. */
struct alert_channel {
	enum channel_type type;
	char *url;          /* webhook, slack, sms gateway (http/https only) */
	char *secret;       /* webhook: HMAC-SHA256 key; sms: bearer token (optional) */
	char *to;           /* email: comma-separated addresses; sms: phone number (+48...) */
	char *smtp_url;     /* email: smtp:// or smtps:// server */
	char *smtp_user, *smtp_password, *from;
	bool bell;          /* in_app: ask consoles to ring/flash */
};

/* Channel validation, as alert_rule_parse does it for each channel: URL
 * schemes (http/https for webhook, slack and sms; smtp/smtps for email),
 * address syntax (user@domain.tld, comma-separated), phone syntax (+ and 8 to
 * 15 digits), required fields. 0 or -1 with *cause naming the field relative
 * to the channel ("url", "to"); on error *ch holds nothing to free. */
int alert_channel_parse(json_t *j, struct alert_channel *ch, struct proto_cause *cause);
/* The same for an edit: a secret that comes back as ALERT_SECRET_MASK keeps
 * prev's (which may be NULL) when prev has the same type and the secret set;
 * with mask_ok, a masked secret passes as it is instead (a client's check of
 * what it is about to send: the daemon keeps the stored secret). */
int alert_channel_parse_edit(json_t *j, const struct alert_channel *prev, bool mask_ok,
			     struct alert_channel *ch, struct proto_cause *cause);
/* The JSON form; with_secrets false masks every secret (for clients). */
json_t *alert_channel_json_new(const struct alert_channel *ch, bool with_secrets);
void alert_channel_copy(struct alert_channel *dst, const struct alert_channel *src);
void alert_channel_clear(struct alert_channel *ch);

#endif
