/* alert_channel.c: the notification channel types, the fields of each (one
 * table row per field: alert_schema.h), and a channel's JSON form read,
 * written, copied and freed (see alert_channel.h).
 *
 * Invariants: a parsed channel satisfies its type's rows; unknown fields are
 * refused; every error names the field relative to the channel; a channel's
 * strings are heap copies it owns, NULL when absent. */
#include "alert_channel.h"
#include "alert_schema-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

#define CH_STR(m) .store = ALERT_STORE_STR, .offset = offsetof(struct alert_channel, m)

static const char *const http_schemes[] = { "http", "https", NULL };
static const char *const https_schemes[] = { "https", NULL };
static const char *const smtp_schemes[] = { "smtp", "smtps", NULL };

#define URL_HTTP(m) .kind = ALERT_FIELD_URL, .min = 1, .max = 2048, .schemes = http_schemes, \
	.must = "an http:// or https:// URL with a host and no credentials", CH_STR(m)
#define CREDENTIAL(m) .kind = ALERT_FIELD_TEXT, .min = 1, .max = 256, CH_STR(m)

static const struct alert_field in_app_fields[] = {
	{ .name = "bell", .label = "bell", .kind = ALERT_FIELD_BOOL, .form_start = "true",
	  .store = ALERT_STORE_BOOL, .offset = offsetof(struct alert_channel, bell) },
	{ 0 },
};

static const struct alert_field webhook_fields[] = {
	{ .name = "url", .label = "URL", .flags = ALERT_F_REQUIRED, URL_HTTP(url) },
	{ .name = "secret", .label = "signing secret", .kind = ALERT_FIELD_TEXT,
	  .flags = ALERT_F_REQUIRED | ALERT_F_SECRET, .min = 16, .max = 256, CH_STR(secret) },
	{ 0 },
};

static const struct alert_field slack_fields[] = {
	{ .name = "url", .label = "URL", .kind = ALERT_FIELD_URL, .flags = ALERT_F_REQUIRED, .min = 1, .max = 2048,
	  .schemes = https_schemes, .must = "an https:// URL with a host and no credentials", CH_STR(url) },
	{ 0 },
};

static const struct alert_field email_fields[] = {
	{ .name = "to", .label = "to", .kind = ALERT_FIELD_ADDRESSES, .flags = ALERT_F_REQUIRED, .min = 1,
	  .max = 1024, .must = "1 to " STRINGIFY(ALERT_EMAIL_MAX_RCPT)
			       " addresses like user@example.com, separated by commas", CH_STR(to) },
	{ .name = "from", .label = "from", .kind = ALERT_FIELD_ADDRESS, .flags = ALERT_F_REQUIRED, .min = 1,
	  .max = 320, .must = "one address like alerts@example.com", CH_STR(from) },
	{ .name = "smtp_url", .label = "SMTP URL", .kind = ALERT_FIELD_URL, .flags = ALERT_F_REQUIRED, .min = 1,
	  .max = 2048, .schemes = smtp_schemes,
	  .must = "an smtp:// or smtps:// URL with a host (credentials go in smtp_user and smtp_password)",
	  CH_STR(smtp_url) },
	{ .name = "smtp_user", .label = "SMTP user", CREDENTIAL(smtp_user) },
	{ .name = "smtp_password", .label = "SMTP password", .flags = ALERT_F_SECRET, CREDENTIAL(smtp_password) },
	{ 0 },
};

static const struct alert_field sms_fields[] = {
	{ .name = "url", .label = "URL", .flags = ALERT_F_REQUIRED, URL_HTTP(url) },
	{ .name = "to", .label = "to", .kind = ALERT_FIELD_PHONE, .flags = ALERT_F_REQUIRED,
	  .must = "+ then 8 to 15 digits, e.g. +48123456789", CH_STR(to) },
	{ .name = "secret", .label = "secret", .flags = ALERT_F_SECRET, CREDENTIAL(secret) },
	{ 0 },
};

static const struct alert_choice channel_types[CH__COUNT] = {
	[CH_IN_APP] = { "in_app", "in the console", in_app_fields },
	[CH_WEBHOOK] = { "webhook", "webhook", webhook_fields },
	[CH_SLACK] = { "slack", "Slack", slack_fields },
	[CH_EMAIL] = { "email", "e-mail", email_fields },
	[CH_SMS] = { "sms", "SMS", sms_fields },
};

/* The "type" field every channel starts with. */
static const struct alert_field type_field[] = {
	{ .name = "type", .label = "channel", .kind = ALERT_FIELD_CHOICE, .flags = ALERT_F_REQUIRED,
	  .choices = channel_types, .nchoices = CH__COUNT, .store = ALERT_STORE_ENUM,
	  .offset = offsetof(struct alert_channel, type) },
	{ 0 },
};

_Static_assert(sizeof(enum channel_type) == sizeof(int), "channel types are stored as int");

const char *channel_type_name(enum channel_type t)
{
	return (unsigned)t < CH__COUNT ? channel_types[t].name : NULL;
}

const struct alert_choice *alert_channel_types(void)
{
	return channel_types;
}

void alert_channel_clear(struct alert_channel *ch)
{
	free(ch->url);
	free(ch->secret);
	free(ch->to);
	free(ch->smtp_url);
	free(ch->smtp_user);
	free(ch->smtp_password);
	free(ch->from);
	memset(ch, 0, sizeof *ch);
}

int alert_channel_parse_edit(json_t *j, const struct alert_channel *prev, bool mask_ok,
			     struct alert_channel *ch, struct proto_cause *cause)
{
	memset(ch, 0, sizeof *ch);
	if (!json_is_object(j))
		return proto_fail(cause, "", "a channel must be an object with a \"type\"");
	struct alert_parse p = { .prefix = "" };
	if (alert_schema_parse(j, type_field, ch, &p, cause) < 0)
		return -1;
	const struct alert_field *fields = channel_types[ch->type].fields;
	static const char *const type_key[] = { "type", NULL };
	if (alert_schema_check_keys(j, fields, type_key, "", cause) < 0)
		return -1;
	char missing[64];
	snprintf(missing, sizeof missing, "is required for a %s channel", channel_types[ch->type].name);
	p.missing = missing;
	p.null_is_absent = true;
	p.prev = prev != NULL && prev->type == ch->type ? prev : NULL;
	p.mask_ok = mask_ok;
	if (alert_schema_parse(j, fields, ch, &p, cause) < 0) {
		alert_channel_clear(ch);
		return -1;
	}
	return 0;
}

int alert_channel_parse(json_t *j, struct alert_channel *ch, struct proto_cause *cause)
{
	return alert_channel_parse_edit(j, NULL, false, ch, cause);
}

json_t *alert_channel_json_new(const struct alert_channel *ch, bool with_secrets)
{
	json_t *o = json_object();
	alert_schema_write(o, type_field, ch, with_secrets);
	if ((unsigned)ch->type < CH__COUNT)
		alert_schema_write(o, channel_types[ch->type].fields, ch, with_secrets);
	return o;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void alert_channel_copy(struct alert_channel *dst, const struct alert_channel *src)
{
	dst->type = src->type;
	dst->url = dup_or_null(src->url);
	dst->secret = dup_or_null(src->secret);
	dst->to = dup_or_null(src->to);
	dst->smtp_url = dup_or_null(src->smtp_url);
	dst->smtp_user = dup_or_null(src->smtp_user);
	dst->smtp_password = dup_or_null(src->smtp_password);
	dst->from = dup_or_null(src->from);
	dst->bell = src->bell;
}
