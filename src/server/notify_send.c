/* notify_send.c: the messages the notifier sends (webhook, Slack, email, SMS)
 * and one delivery attempt through libcurl (see notify.h, notify-internal.h).
 *
 * Invariants: the formatting helpers do no I/O (notify_email_new only reads
 * the random source for its Message-ID). A result's detail is built from fixed
 * texts and status numbers only, never from a URL, a header, an address or
 * curl's error buffer, so no secret can reach it. libcurl speaks http/https
 * for the HTTP channels and smtp/smtps for email, nothing else; it ignores
 * proxy variables, follows no redirect, reuses no connection, installs no
 * signal handler and never logs (CURLOPT_VERBOSE stays off). Buffers that held
 * a secret are wiped before they are freed. */
#include "notify.h"
#include "notify-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "xalloc.h"

#define SLACK_HEADER_MAX 150     /* Slack refuses a longer plain_text header */
#define SLACK_SECTION_MAX 3000   /* ... and a longer section text */
#define EMAIL_LINE_MAX 990       /* RFC 5322 allows 998 octets before CRLF */
#define EW_CHUNK 45              /* bytes per encoded-word: 60 base64 chars, 72 in all (<= 75) */

/* ---- a growing string that remembers running out of memory ------------------ */

struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sbuf_addn(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sbuf_add(struct sbuf *b, const char *s)
{
	sbuf_addn(b, s, strlen(s));
}

static void sbuf_addf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		b->failed = true;
		return;
	}
	sbuf_addn(b, tmp, (size_t)n);
}

/* Returns the string (caller frees) or NULL if any append failed. */
static char *sbuf_take(struct sbuf *b)
{
	if (b->failed || !b->p) {
		free(b->p);
		return b->failed ? NULL : strdup("");
	}
	return b->p;
}

/* ---- UTF-8 ----------------------------------------------------------------------- */

static bool utf8_cont(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* The bytes of s[0..len) holding at most max code points, never ending inside one. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t i = 0, n = 0;
	while (i < len && n < max) {
		i++;
		while (i < len && utf8_cont((unsigned char)s[i]))
			i++;
		n++;
	}
	return i;
}

/* ---- HMAC and the webhook ---------------------------------------------------- */

void notify_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha256(), key, (int)keylen, data, len, mac, &maclen);
	for (unsigned int i = 0; i < maclen && i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
	out[64] = '\0';
}

char *notify_webhook_body_new(json_t *payload, const char *title, const char *body)
{
	json_t *t = json_string(title ? title : "");
	json_t *x = json_string(body ? body : "");
	if (!t || !x) {
		json_decref(t);
		json_decref(x);
		return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string("alert"));
	json_object_set(o, "alert", payload ? payload : json_null());
	json_object_set_new(o, "title", t);
	json_object_set_new(o, "text", x);
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

void notify_webhook_signature(const char *secret, int64_t unix_s, const char *body, char out[80])
{
	char *signed_text = xasprintf("%lld.%s", (long long)unix_s, body);
	char hex[65];
	notify_hmac_sha256_hex(secret ? secret : "", secret ? strlen(secret) : 0, signed_text,
			       strlen(signed_text), hex);
	free(signed_text);
	snprintf(out, 80, "sha256=%s", hex);
}

/* ---- Slack -------------------------------------------------------------------- */

/* Slack's mrkdwn gives &, < and > a meaning; its docs ask for these entities. */
static void sbuf_slack_escaped(struct sbuf *b, const char *s, size_t len)
{
	static const char *const entity[256] = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;" };
	for (size_t i = 0; i < len; i++) {
		const char *e = entity[(unsigned char)s[i]];
		if (e)
			sbuf_add(b, e);
		else
			sbuf_addn(b, s + i, 1);
	}
}

char *notify_slack_body_new(const char *title, const char *body)
{
	title = title && *title ? title : "wfmon alert";
	body = body ? body : "";
	size_t tl = strlen(title), bl = strlen(body);

	struct sbuf text = { 0 }, section = { 0 };
	sbuf_slack_escaped(&text, title, tl);
	if (bl) {
		sbuf_add(&text, "\n");
		sbuf_slack_escaped(&text, body, bl);
	}
	/* A section needs some text: an alert without details repeats its title. */
	if (bl)
		sbuf_slack_escaped(&section, body, utf8_prefix(body, bl, SLACK_SECTION_MAX));
	else
		sbuf_slack_escaped(&section, title, utf8_prefix(title, tl, SLACK_SECTION_MAX));
	char *text_s = sbuf_take(&text), *section_s = sbuf_take(&section);
	json_t *jt = text_s ? json_string(text_s) : NULL;
	json_t *js = section_s ? json_string(section_s) : NULL;
	json_t *jh = json_stringn(title, utf8_prefix(title, tl, SLACK_HEADER_MAX));
	free(text_s);
	free(section_s);
	if (!jt || !js || !jh) {
		json_decref(jt);
		json_decref(js);
		json_decref(jh);
		return NULL;
	}
	json_t *o = json_pack("{s:o, s:[{s:s, s:{s:s, s:o}}, {s:s, s:{s:s, s:o}}]}",
			      "text", jt, "blocks",
			      "type", "header", "text", "type", "plain_text", "text", jh,
			      "type", "section", "text", "type", "mrkdwn", "text", js);
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- SMS ------------------------------------------------------------------------ */

char *notify_sms_body_new(const char *to, const char *title, const char *body)
{
	title = title ? title : "";
	body = body ? body : "";
	size_t first = strcspn(body, "\r\n");
	struct sbuf b = { 0 };
	sbuf_add(&b, title);
	if (first) {
		sbuf_add(&b, ": ");
		sbuf_addn(&b, body, first);
	}
	char *text = sbuf_take(&b);
	if (!text)
		return NULL;
	json_t *msg = json_stringn(text, utf8_prefix(text, strlen(text), NOTIFY_SMS_MAX));
	free(text);
	json_t *jto = json_string(to ? to : "");
	if (!msg || !jto) {
		json_decref(msg);
		json_decref(jto);
		return NULL;
	}
	json_t *o = json_pack("{s:o, s:o}", "to", jto, "message", msg);
	if (!o)
		return NULL;
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- email ---------------------------------------------------------------------- */

/* A header value on one line: CR and LF would start headers of their own. */
static void sbuf_header_value(struct sbuf *b, const char *s)
{
	for (; *s; s++)
		sbuf_addn(b, *s == '\r' || *s == '\n' ? " " : s, 1);
}

static bool subject_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || (p[0] == '=' && p[1] == '?'))
			return false;
	return true;
}

/* RFC 2047 "B" encoded-words, folded, each holding whole UTF-8 characters. */
static void sbuf_subject(struct sbuf *b, const char *s)
{
	if (subject_plain(s)) {
		sbuf_add(b, s);
		return;
	}
	size_t len = strlen(s), i = 0;
	while (i < len) {
		size_t n = len - i < EW_CHUNK ? len - i : EW_CHUNK;
		if (i + n < len) {
			size_t k = n;
			while (k > 0 && utf8_cont((unsigned char)s[i + k]))
				k--;
			if (k > 0)
				n = k;
		}
		char enc[64];
		base64_encode((const uint8_t *)s + i, n, enc, sizeof enc);
		sbuf_addf(b, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", enc);
		i += n;
	}
}

/* English names whatever the locale: strftime's %a and %b would follow LC_TIME. */
static void sbuf_date(struct sbuf *b, int64_t now_ms)
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	sbuf_addf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", wday[tm.tm_wday], tm.tm_mday,
		  mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void sbuf_message_id(struct sbuf *b, const char *from, int64_t now_ms)
{
	uint64_t r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint64_t)now_ms * 6364136223846793005ULL ^ (uint64_t)(uintptr_t)&r;
	const char *at = strrchr(from, '@');
	size_t dl = at ? strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") : 0;
	sbuf_addf(b, "<%lld.%016llx@", (long long)now_ms, (unsigned long long)r);
	if (dl)
		sbuf_addn(b, at + 1, dl);
	else
		sbuf_add(b, "wfmond.localdomain");
	sbuf_add(b, ">");
}

/* CRLF line ends whatever the input used, and no line past EMAIL_LINE_MAX. */
static void sbuf_email_body(struct sbuf *b, const char *s)
{
	size_t col = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			if (p[0] == '\r' && p[1] == '\n')
				p++;
			sbuf_addn(b, "\r\n", 2);
			col = 0;
			continue;
		}
		if (col >= EMAIL_LINE_MAX && !utf8_cont((unsigned char)*p)) {
			sbuf_addn(b, "\r\n", 2);
			col = 0;
		}
		sbuf_addn(b, p, 1);
		col++;
	}
	if (col)
		sbuf_addn(b, "\r\n", 2);
}

char *notify_email_new(const char *from, const char *to, const char *subject, const char *body,
		       int64_t now_ms)
{
	from = from ? from : "";
	struct sbuf b = { 0 };
	sbuf_add(&b, "From: ");
	sbuf_header_value(&b, from);
	sbuf_add(&b, "\r\nTo: ");
	sbuf_header_value(&b, to ? to : "");
	sbuf_add(&b, "\r\nSubject: ");
	struct sbuf subj = { 0 };
	sbuf_header_value(&subj, subject ? subject : "");
	char *clean = sbuf_take(&subj);
	if (!clean)
		b.failed = true;
	else
		sbuf_subject(&b, clean);
	free(clean);
	sbuf_add(&b, "\r\nDate: ");
	sbuf_date(&b, now_ms);
	sbuf_add(&b, "\r\nMessage-ID: ");
	sbuf_message_id(&b, from, now_ms);
	sbuf_add(&b, "\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: 8bit\r\n"
		     "\r\n");
	sbuf_email_body(&b, body ? body : "");
	return sbuf_take(&b);
}

/* ---- the message for a channel ----------------------------------------------- */

static bool present(const char *s)
{
	return s && *s;
}

static int msg_invalid(struct notify_msg *m, const char *why)
{
	snprintf(m->invalid, sizeof m->invalid, "%s", why);
	return 0;
}

static char *dup_or_null(const char *s)
{
	return present(s) ? xstrdup(s) : NULL;
}

/* An envelope address: something@something, nothing SMTP would read as syntax. */
static bool address_ok(const char *s, size_t len)
{
	if (len == 0 || len > 254 || !memchr(s, '@', len))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || strchr("<>()[],;:\\\"", s[i]))
			return false;
	return true;
}

static int build_http(struct notify_msg *m, const struct alert_channel *ch, char *body_new)
{
	if (!body_new)
		return -1;
	m->body = body_new;
	m->url = xstrdup(ch->url);
	m->secret = dup_or_null(ch->secret);
	return 0;
}

static int build_webhook(struct notify_msg *m, const struct alert_channel *ch, const char *title,
			 const char *body, json_t *payload, int64_t now_ms)
{
	(void)now_ms;
	if (!present(ch->url))
		return msg_invalid(m, "webhook channel without a URL");
	return build_http(m, ch, notify_webhook_body_new(payload, title, body));
}

static int build_slack(struct notify_msg *m, const struct alert_channel *ch, const char *title,
		       const char *body, json_t *payload, int64_t now_ms)
{
	(void)payload;
	(void)now_ms;
	if (!present(ch->url))
		return msg_invalid(m, "slack channel without a URL");
	if (build_http(m, ch, notify_slack_body_new(title, body)) < 0)
		return -1;
	/* Slack's incoming webhooks take no secret: the URL is the credential. */
	free(m->secret);
	m->secret = NULL;
	return 0;
}

static int build_sms(struct notify_msg *m, const struct alert_channel *ch, const char *title,
		     const char *body, json_t *payload, int64_t now_ms)
{
	(void)payload;
	(void)now_ms;
	if (!present(ch->url))
		return msg_invalid(m, "sms channel without a gateway URL");
	if (!present(ch->to))
		return msg_invalid(m, "sms channel without a phone number");
	return build_http(m, ch, notify_sms_body_new(ch->to, title, body));
}

static int build_email(struct notify_msg *m, const struct alert_channel *ch, const char *title,
		       const char *body, json_t *payload, int64_t now_ms)
{
	(void)payload;
	if (!present(ch->smtp_url))
		return msg_invalid(m, "email channel without an SMTP server");
	if (!present(ch->to))
		return msg_invalid(m, "email channel without recipients");
	const char *from = present(ch->from) ? ch->from : "wfmond@localhost";
	if (!address_ok(from, strlen(from)))
		return msg_invalid(m, "email channel with an invalid sender");

	struct sbuf to = { 0 };
	for (const char *p = ch->to; *p;) {
		size_t len = strcspn(p, ",");
		const char *a = p;
		size_t alen = len;
		while (alen && (*a == ' ' || *a == '\t'))
			a++, alen--;
		while (alen && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
			alen--;
		p += len + (p[len] == ',');
		if (!alen)
			continue;
		if (!address_ok(a, alen) || m->nrcpt == ALERT_EMAIL_MAX_RCPT) {
			free(sbuf_take(&to));
			return msg_invalid(m, m->nrcpt == ALERT_EMAIL_MAX_RCPT ? "email channel with too many recipients"
									   : "email channel with an invalid recipient");
		}
		m->rcpt[m->nrcpt++] = xstrndup(a, alen);
		if (to.len)
			sbuf_add(&to, ", ");
		sbuf_addn(&to, a, alen);
	}
	char *to_s = sbuf_take(&to);
	if (!to_s)
		return -1;
	if (m->nrcpt == 0) {
		free(to_s);
		return msg_invalid(m, "email channel without recipients");
	}
	m->body = notify_email_new(from, to_s, title, body, now_ms);
	free(to_s);
	if (!m->body)
		return -1;
	m->url = xstrdup(ch->smtp_url);
	m->mail_from = xstrdup(from);
	m->smtp_user = dup_or_null(ch->smtp_user);
	m->smtp_password = dup_or_null(ch->smtp_password);
	return 0;
}

typedef int (*msg_builder)(struct notify_msg *m, const struct alert_channel *ch, const char *title,
			   const char *body, json_t *payload, int64_t now_ms);

static const msg_builder builders[CH__COUNT] = {
	[CH_WEBHOOK] = build_webhook,
	[CH_SLACK] = build_slack,
	[CH_EMAIL] = build_email,
	[CH_SMS] = build_sms,
};

int notify_msg_build(struct notify_msg *m, const struct alert_channel *ch, const char *title,
		     const char *body, json_t *payload, int64_t now_ms)
{
	memset(m, 0, sizeof *m);
	m->type = ch->type;
	msg_builder build = (unsigned)ch->type < CH__COUNT ? builders[ch->type] : NULL;
	if (!build)
		return msg_invalid(m, "channel type not delivered by the notifier");
	if (build(m, ch, title ? title : "", body ? body : "", payload, now_ms) < 0) {
		notify_msg_clear(m);
		return -1;
	}
	if (m->body) {
		m->body_len = strlen(m->body);
		if (m->body_len > NOTIFY_BODY_MAX) {
			notify_msg_clear(m);
			return -1;
		}
	}
	return 0;
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void notify_msg_clear(struct notify_msg *m)
{
	free(m->url);
	free_secret(m->secret);
	free(m->smtp_user);
	free_secret(m->smtp_password);
	free(m->mail_from);
	for (size_t i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->body);
	memset(m, 0, sizeof *m);
}

/* ---- one attempt through libcurl ----------------------------------------------- */

struct upload {
	const char *p;
	size_t len, off;
};

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nitems;
	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->p + u->off, n);
	u->off += n;
	return n;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

/* Frees a header list, wiping it first: it may hold a bearer token. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i; i = i->next)
		explicit_bzero(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

/* Appends, or frees everything and returns NULL (curl copies the string). */
static struct curl_slist *headers_add(struct curl_slist *h, bool *failed, const char *line)
{
	if (*failed)
		return h;
	struct curl_slist *n = curl_slist_append(h, line);
	if (!n)
		*failed = true;
	return n ? n : h;
}

struct attempt {
	struct curl_slist *headers, *rcpt;
	struct upload up;
	bool smtp;
};

static int setup_http(CURL *e, const struct notify_msg *m, struct attempt *a)
{
	bool failed = false;
	a->headers = headers_add(a->headers, &failed, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip for a body of a few kilobytes. */
	a->headers = headers_add(a->headers, &failed, "Expect:");
	if (m->type == CH_WEBHOOK) {
		int64_t now_s = (int64_t)time(NULL);
		char line[128], sig[80];
		snprintf(line, sizeof line, "X-Wfmon-Timestamp: %lld", (long long)now_s);
		a->headers = headers_add(a->headers, &failed, line);
		if (m->secret) {
			notify_webhook_signature(m->secret, now_s, m->body, sig);
			snprintf(line, sizeof line, "X-Wfmon-Signature: %s", sig);
			a->headers = headers_add(a->headers, &failed, line);
		}
	} else if (m->type == CH_SMS && m->secret) {
		char *line = xasprintf("Authorization: Bearer %s", m->secret);
		a->headers = headers_add(a->headers, &failed, line);
		free_secret(line);
	}
	if (failed)
		return -1;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, m->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)m->body_len);
	return 0;
}

static int setup_smtp(CURL *e, const struct notify_msg *m, struct attempt *a)
{
	bool failed = false;
	a->smtp = true;
	for (size_t i = 0; i < m->nrcpt; i++)
		a->rcpt = headers_add(a->rcpt, &failed, m->rcpt[i]);
	if (failed)
		return -1;
	a->up = (struct upload){ .p = m->body, .len = m->body_len };
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, m->mail_from);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, a->rcpt);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(e, CURLOPT_READDATA, &a->up);
	curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->body_len);
	/* smtps:// is TLS from the start; on smtp:// use STARTTLS when offered. */
	if (strncasecmp(m->url, "smtp://", 7) == 0)
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (m->smtp_user) {
		curl_easy_setopt(e, CURLOPT_USERNAME, m->smtp_user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, m->smtp_password ? m->smtp_password : "");
	}
	return 0;
}

/* Each channel speaks only its own protocols: a webhook URL can never make
 * the daemon talk SMTP, nor an SMTP URL make it POST. */
static const struct transport {
	int (*setup)(CURL *e, const struct notify_msg *m, struct attempt *a);
	const char *protocols;
} transports[CH__COUNT] = {
	[CH_WEBHOOK] = { setup_http, "http,https" },
	[CH_SLACK] = { setup_http, "http,https" },
	[CH_SMS] = { setup_http, "http,https" },
	[CH_EMAIL] = { setup_smtp, "smtp,smtps" },
};

static void setup_common(CURL *e, const struct notify_msg *m, const char *protocols, int timeout_ms)
{
	curl_easy_setopt(e, CURLOPT_URL, m->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* Alerts are rare: a connection per attempt, no idle SMTP session left open. */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "wfmond");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
}

/* Short texts for the system errors a connect most often ends with. */
static const struct {
	int err;
	const char *text;
} connect_errors[] = {
	{ ECONNREFUSED, "connection refused" },
	{ EHOSTUNREACH, "host unreachable" },
	{ ENETUNREACH, "network unreachable" },
	{ ETIMEDOUT, "connect timed out" },
	{ ECONNRESET, "connection reset" },
};

/* Transport failures retrying cannot mend: the channel itself is wrong. */
static bool curl_permanent(CURLcode rc)
{
	return rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT;
}

static void transport_detail(CURL *e, CURLcode rc, int timeout_ms, struct notify_result *res)
{
	long os_errno = 0;
	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
	if (rc == CURLE_COULDNT_CONNECT)
		for (size_t i = 0; i < sizeof connect_errors / sizeof connect_errors[0]; i++)
			if (connect_errors[i].err == os_errno) {
				snprintf(res->detail, sizeof res->detail, "%s", connect_errors[i].text);
				return;
			}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(res->detail, sizeof res->detail, "timed out after %d ms", timeout_ms);
		return;
	}
	snprintf(res->detail, sizeof res->detail, "%s", curl_easy_strerror(rc));
}

static void classify(CURL *e, const struct attempt *a, CURLcode rc, int timeout_ms, struct notify_result *res)
{
	long code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (!a->smtp && rc == CURLE_OK) {
		res->ok = code >= 200 && code < 300;
		snprintf(res->detail, sizeof res->detail, "HTTP %ld", code);
		return;
	}
	if (a->smtp && rc == CURLE_OK) {
		res->ok = true;
		snprintf(res->detail, sizeof res->detail, "SMTP %ld", code >= 200 && code < 300 ? code : 250L);
		return;
	}
	if (a->smtp && code >= 400 && code < 600) {
		/* A 5xx reply is SMTP's "permanent negative": the same mail would fail again. */
		res->permanent = code >= 500;
		snprintf(res->detail, sizeof res->detail, "SMTP %ld", code);
		return;
	}
	res->permanent = curl_permanent(rc);
	transport_detail(e, rc, timeout_ms, res);
}

void notify_send(CURLM *multi, const struct notify_msg *m, int timeout_ms,
		 bool (*stopping)(void *arg), void *arg, struct notify_result *res)
{
	memset(res, 0, sizeof *res);
	struct attempt a = { 0 };
	CURL *e = curl_easy_init();
	const struct transport *t = (unsigned)m->type < CH__COUNT && transports[m->type].setup ? &transports[m->type] : NULL;
	if (!e || !t || !m->url || !m->body) {
		res->permanent = e != NULL;
		snprintf(res->detail, sizeof res->detail, "%s", e ? "channel cannot be delivered" : "out of memory");
		if (e)
			curl_easy_cleanup(e);
		return;
	}
	setup_common(e, m, t->protocols, timeout_ms);
	if (t->setup(e, m, &a) < 0 || curl_multi_add_handle(multi, e) != CURLM_OK) {
		snprintf(res->detail, sizeof res->detail, "out of memory");
		goto out;
	}

	CURLcode rc = CURLE_OK;
	bool done = false, aborted = false;
	for (;;) {
		int running = 0, left = 0;
		CURLMcode mc = curl_multi_perform(multi, &running);
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(multi, &left)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == e) {
				rc = msg->data.result;
				done = true;
			}
		if (done || mc != CURLM_OK)
			break;
		if (stopping(arg)) {
			aborted = true;
			break;
		}
		/* notify_stop's curl_multi_wakeup ends this wait early. */
		curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	if (aborted) {
		res->permanent = true;
		snprintf(res->detail, sizeof res->detail, "daemon shutting down");
	} else if (!done) {
		snprintf(res->detail, sizeof res->detail, "transfer failed");
	} else {
		classify(e, &a, rc, timeout_ms, res);
	}
	curl_multi_remove_handle(multi, e);
out:
	curl_easy_cleanup(e);
	headers_free(a.headers);
	curl_slist_free_all(a.rcpt);
}
