/* notify-internal.h: what the notifier's queue (notify.c) and its transport
 * (notify_send.c) share: one message prepared for one channel, and what one
 * attempt to deliver it came to. Not a public interface. */
#ifndef WFMON_NOTIFY_INTERNAL_H
#define WFMON_NOTIFY_INTERNAL_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"

#define NOTIFY_BODY_MAX (256 * 1024)   /* a larger request body is refused at submit */

/* Everything an attempt needs, built once at submit time in the caller's
 * thread so that the notifier thread shares nothing with it (the payload's
 * JSON is serialized here). All strings are owned. */
struct notify_msg {
	enum channel_type type;
	char *url;                    /* http(s) endpoint, or the smtp(s) server */
	char *secret;                 /* webhook HMAC key or SMS bearer token; NULL when none */
	char *smtp_user, *smtp_password;
	char *mail_from;              /* the bare envelope sender */
	char *rcpt[ALERT_EMAIL_MAX_RCPT];  /* bare envelope recipients */
	size_t nrcpt;
	char *body;                   /* the request body, or the RFC 5322 message */
	size_t body_len;
	char invalid[128];            /* non-empty: the channel cannot be used, and why */
};

struct notify_result {
	bool ok;
	bool permanent;               /* retrying cannot help (SMTP 5xx, a malformed URL) */
	char detail[256];             /* never holds a secret, a URL or a credential */
};

/* Fills *m for the channel. A channel missing what its type needs (URL,
 * recipients) still gives 0, with m->invalid saying why (the notifier reports
 * that as a final failure). Returns -1 only when a body cannot be built
 * (allocation, invalid UTF-8, larger than NOTIFY_BODY_MAX). */
int notify_msg_build(struct notify_msg *m, const struct alert_channel *ch, const char *title,
		     const char *body, json_t *payload, int64_t now_ms);
void notify_msg_clear(struct notify_msg *m);

/* One attempt, on multi (the handle is added and removed here). Returns when
 * the transfer ends or, soon after a curl_multi_wakeup, when stopping(arg)
 * says so (the result is then a failure "daemon shutting down"). */
void notify_send(CURLM *multi, const struct notify_msg *m, int timeout_ms,
		 bool (*stopping)(void *arg), void *arg, struct notify_result *res);

#endif
