/* action_page.c: the pages behind an action link (see action.h, action_page.h).
 *
 * GET /v1/actions/TOKEN shows what the link does (the alert, the action, a
 * field for the person's name) and changes nothing; its button POSTs to the
 * same address, which checks the token again, refuses a link used before,
 * applies the action and audits it. Pages are in English, or in Polish for a
 * browser that asks for it (Accept-Language: pl), plain HTML without scripts
 * or styles (lws's security headers forbid inline ones). Invariants: every
 * text from outside (the alert's title, a name typed in) is HTML-escaped; the
 * token never reaches a log; a nonce is marked used before the action is
 * applied, so that two quick POSTs act once. */
#include "action_page.h"

#include <ctype.h>
#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "alerts.h"
#include "clock.h"
#include "http.h"
#include "log.h"
#include "org.h"
#include "server.h"
#include "xalloc.h"

#define NAME_MAX_LEN 64

enum lang { EN, PL };

enum word {
	W_TITLE_ACK, W_TITLE_ESC, W_QUESTION_ACK, W_QUESTION_ESC, W_BUTTON_ACK, W_BUTTON_ESC, W_NAME, W_ONCE,
	W_DONE_ACK, W_DONE_ESC, W_INVALID, W_EXPIRED, W_USED, W_NO_ALERT, W_REFUSED, W_SHELL, W_STATE,
	W__COUNT
};

static const char *const words[W__COUNT][2] = {
	[W_TITLE_ACK] = { "Acknowledge alert", "Potwierdź alert" },
	[W_TITLE_ESC] = { "Escalate alert", "Eskaluj alert" },
	[W_QUESTION_ACK] = { "Acknowledge this alert?", "Potwierdzić ten alert?" },
	[W_QUESTION_ESC] = { "Escalate this alert?", "Eskalować ten alert?" },
	[W_BUTTON_ACK] = { "Acknowledge", "Potwierdź" },
	[W_BUTTON_ESC] = { "Escalate", "Eskaluj" },
	[W_NAME] = { "Your name, for the audit log (optional)", "Twoje imię i nazwisko do dziennika audytu (opcjonalnie)" },
	[W_ONCE] = { "This link works once, until %s.", "Ten link działa raz, do %s." },
	[W_DONE_ACK] = { "The alert is acknowledged.", "Alert został potwierdzony." },
	[W_DONE_ESC] = { "The alert is escalated.", "Alert został eskalowany." },
	[W_INVALID] = { "This link is not valid: it is incomplete or was changed.",
			"Ten link jest nieprawidłowy: jest niepełny albo został zmieniony." },
	[W_EXPIRED] = { "This link has expired.", "Ten link wygasł." },
	[W_USED] = { "This link was used already: each link works once.",
		     "Ten link został już użyty: każdy link działa raz." },
	[W_NO_ALERT] = { "This alert is not known (any more).", "Ten alert nie jest (już) znany." },
	[W_REFUSED] = { "Nothing was changed: %s.", "Nic nie zmieniono: %s." },
	[W_SHELL] = { "From a shell: wfmon alerts %s %lld", "Z powłoki: wfmon alerts %s %lld" },
	[W_STATE] = { "Organization %s, severity %s, state %s, alert %lld.",
		      "Organizacja %s, ważność %s, stan %s, alert %lld." },
};

static enum lang page_lang(struct lws *wsi)
{
	char al[64];
	if (lws_hdr_copy(wsi, al, sizeof al, WSI_TOKEN_HTTP_ACCEPT_LANGUAGE) > 0 &&
	    strncasecmp(al, "pl", 2) == 0)
		return PL;
	return EN;
}

/* ---- a page ------------------------------------------------------------------------- */

struct page {
	char *text;
	size_t len;
	FILE *f;
	enum lang lang;
};

static void page_escaped(struct page *p, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", p->f); break;
		case '<': fputs("&lt;", p->f); break;
		case '>': fputs("&gt;", p->f); break;
		case '"': fputs("&quot;", p->f); break;
		case '\'': fputs("&#39;", p->f); break;
		default: fputc(*s, p->f);
		}
	}
}

/* A paragraph from a word's format (ours) and arguments, escaped. */
static void page_para(struct page *p, enum word w, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, w);
	vsnprintf(buf, sizeof buf, words[w][p->lang], ap);
	va_end(ap);
	fputs("<p>", p->f);
	page_escaped(p, buf);
	fputs("</p>\n", p->f);
}

static void page_begin(struct page *p, struct lws *wsi, const char *title)
{
	p->lang = page_lang(wsi);
	p->f = open_memstream(&p->text, &p->len);
	if (p->f == NULL)
		fatal("out of memory for a page");
	fprintf(p->f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		      "<meta name=\"viewport\" content=\"width=device-width\"><title>",
		p->lang == PL ? "pl" : "en");
	page_escaped(p, title);
	fputs(" - wfmon</title></head><body>\n<h1>", p->f);
	page_escaped(p, title);
	fputs("</h1>\n", p->f);
}

static int page_send(struct page *p, struct lws *wsi, unsigned status)
{
	fputs("</body></html>\n", p->f);
	fclose(p->f);
	int rc = http_respond_html(wsi, status, p->text, p->len);
	free(p->text);
	return rc;
}

static void page_alert(struct page *p, const struct action_claims *c, const struct alert_record *r)
{
	fputs("<p><strong>", p->f);
	page_escaped(p, r->title ? r->title : "");
	fputs("</strong></p>\n", p->f);
	page_para(p, W_STATE, c->org, alert_severity_name(r->severity), alert_state_name(r->state),
		  (long long)r->id);
}

/* ---- checking a link ------------------------------------------------------------------ */

/* The token's verdict, with the page that answers a bad one already sent
 * (*rc its lws result). Returns the alert for a good one. */
static const struct alert_record *link_check(struct server *s, struct lws *wsi, const char *token,
					     struct action_claims *c, int *rc)
{
	enum word title = W_TITLE_ACK, why;
	unsigned status;
	switch (action_token_check(s->action_key, s->action_prev_key, token, clock_wall_ms() / 1000, c)) {
	case ACTION_VALID:
		title = c->kind == ACTION_ESCALATE ? W_TITLE_ESC : W_TITLE_ACK;
		if (action_nonce_used(s, c->nonce)) {
			why = W_USED;
			status = HTTP_STATUS_GONE;
			break;
		}
		struct org *o = strmap_get(&s->orgs, c->org);
		const struct alert_record *r = o ? alerts_find(o, c->alert_id) : NULL;
		if (r != NULL)
			return r;
		why = W_NO_ALERT;
		status = HTTP_STATUS_NOT_FOUND;
		break;
	case ACTION_EXPIRED:
		title = c->kind == ACTION_ESCALATE ? W_TITLE_ESC : W_TITLE_ACK;
		why = W_EXPIRED;
		status = HTTP_STATUS_GONE;
		break;
	default:
		why = W_INVALID;
		status = HTTP_STATUS_FORBIDDEN;
		break;
	}
	struct page p;
	page_begin(&p, wsi, words[title][page_lang(wsi)]);
	page_para(&p, why);
	if (why != W_INVALID)
		page_para(&p, W_SHELL, c->kind == ACTION_ESCALATE ? "escalate" : "ack", (long long)c->alert_id);
	*rc = page_send(&p, wsi, status);
	return NULL;
}

int action_page_get(struct server *s, struct lws *wsi, const char *token)
{
	struct action_claims c;
	int rc;
	const struct alert_record *r = link_check(s, wsi, token, &c, &rc);
	if (r == NULL)
		return rc;
	bool esc = c.kind == ACTION_ESCALATE;
	struct page p;
	page_begin(&p, wsi, words[esc ? W_TITLE_ESC : W_TITLE_ACK][page_lang(wsi)]);
	fputs("<p>", p.f);
	page_escaped(&p, words[esc ? W_QUESTION_ESC : W_QUESTION_ACK][p.lang]);
	fputs("</p>\n", p.f);
	page_alert(&p, &c, r);
	/* No action attribute: the form goes back to this very address, also
	 * behind a proxy that serves the daemon under a path of its own. */
	fputs("<form method=\"post\"><p><label>", p.f);
	page_escaped(&p, words[W_NAME][p.lang]);
	fprintf(p.f, " <input name=\"name\" maxlength=\"%d\" autocomplete=\"name\"></label></p>\n"
		     "<p><button type=\"submit\" name=\"confirm\" value=\"yes\">", NAME_MAX_LEN);
	page_escaped(&p, words[esc ? W_BUTTON_ESC : W_BUTTON_ACK][p.lang]);
	fputs("</button></p></form>\n", p.f);
	char until[40];
	proto_time_format(c.exp_s * 1000, until, sizeof until);
	page_para(&p, W_ONCE, until);
	return page_send(&p, wsi, HTTP_STATUS_OK);
}

/* ---- acting --------------------------------------------------------------------------- */

/* The value of field `name` in a form body (application/x-www-form-urlencoded),
 * decoded, printable characters only, at most NAME_MAX_LEN bytes. */
static void form_field(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > nlen && memcmp(body + i, name, nlen) == 0 && body[i + nlen] == '=') {
			for (size_t k = i + nlen + 1; k < end && o + 1 < outlen; k++) {
				unsigned char ch = (unsigned char)body[k];
				if (ch == '+')
					ch = ' ';
				else if (ch == '%' && k + 2 < end && isxdigit((unsigned char)body[k + 1]) &&
					 isxdigit((unsigned char)body[k + 2])) {
					char hex[3] = { body[k + 1], body[k + 2], 0 };
					ch = (unsigned char)strtol(hex, NULL, 16);
					k += 2;
				}
				/* Control characters would end up in logs and the audit. */
				if (ch >= 0x20 && ch != 0x7f)
					out[o++] = (char)ch;
			}
			out[o] = '\0';
			return;
		}
		i = end + 1;
	}
}

int action_page_post(struct server *s, struct lws *wsi, const char *token, const char *body, size_t len)
{
	struct action_claims c;
	int rc;
	const struct alert_record *r = link_check(s, wsi, token, &c, &rc);
	if (r == NULL) {
		s->stats.action_links_refused++;
		log_info("action link POST refused (%s)", c.org[0] ? c.org : "invalid link");
		return rc;
	}
	char name[NAME_MAX_LEN + 1], peer[64] = "", agent[160] = "", forwarded[160] = "";
	form_field(body, len, "name", name, sizeof name);
	lws_get_peer_simple(wsi, peer, sizeof peer);
	lws_hdr_copy(wsi, agent, sizeof agent, WSI_TOKEN_HTTP_USER_AGENT);
	lws_hdr_copy(wsi, forwarded, sizeof forwarded, WSI_TOKEN_X_FORWARDED_FOR);
	/* Who: the person if they said, and the recipient the link was sent to. */
	char to[ACTION_MAX_RECIPIENT + 40], by[PROTO_MAX_NAME + 1];
	snprintf(to, sizeof to, "%s link%s%s", c.channel, c.recipient[0] ? " to " : "", c.recipient);
	/* Cut to what an alert record keeps of its actor; the audit row has all. */
	if (name[0])
		snprintf(by, sizeof by, "%.60s (%.60s)", name, to);
	else
		snprintf(by, sizeof by, "%.120s", to);
	/* Used from here on, whatever follows: a second POST finds it so. */
	action_nonce_use(s, &c, by);
	json_t *how = json_pack("{s:s,s:s,s:s,s:s?,s:s,s:s?,s:s?,s:s}", "via", "link", "channel", c.channel,
				"recipient", c.recipient, "name", name[0] ? name : NULL, "ip", peer,
				"forwarded_for", forwarded[0] ? forwarded : NULL, "user_agent", agent[0] ? agent : NULL,
				"link", c.nonce);
	char cause[200];
	bool esc = c.kind == ACTION_ESCALATE;
	struct org *o = strmap_get(&s->orgs, c.org);
	int done = alerts_act(s, o, c.alert_id, action_kind_alert_action(c.kind), by, how, cause, sizeof cause);
	r = alerts_find(o, c.alert_id);
	struct page p;
	page_begin(&p, wsi, words[esc ? W_TITLE_ESC : W_TITLE_ACK][page_lang(wsi)]);
	if (done == 0) {
		s->stats.action_links_used++;
		log_info("%s: alert %lld %s through a %s link by %s", c.org, (long long)c.alert_id,
			 esc ? "escalated" : "acknowledged", c.channel, by);
		page_para(&p, esc ? W_DONE_ESC : W_DONE_ACK);
	} else {
		s->stats.action_links_refused++;
		page_para(&p, W_REFUSED, cause);
	}
	if (r != NULL)
		page_alert(&p, &c, r);
	return page_send(&p, wsi, done == 0 ? HTTP_STATUS_OK : HTTP_STATUS_CONFLICT);
}
