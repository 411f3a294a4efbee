/* sim_ctx.c: an execution's business context in the simulator and the
 * expansion of templates (see sim_ctx.h). Pure apart from fatal() on a
 * broken template. */
#include "sim_ctx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

#define SIM_CTX_TEXT 4096   /* a template expanded as JSON */



static const struct {
	const char *name;
	size_t off;
} sim_ctx_fields[] = {
#define F(x) { #x, offsetof(struct sim_ctx, x) }
	F(period), F(last_day), F(company), F(nip), F(contractor), F(contractor_nip),
	F(invoice_no), F(amount), F(vat), F(gross), F(bank), F(iban), F(batch_id),
	F(doc_no), F(approver), F(date_from), F(date_to), F(days), F(currency), F(rate),
	F(output_vat), F(input_vat), F(vat_due),
#undef F
};

static const char *const sim_companies[] = {
	"Biuro Rachunkowe Bilans Sp. z o.o.", "Baltic Trade S.A.", "Mazowiecka Piekarnia Sp. j.",
	"Nowak Logistics Sp. z o.o.", "Green Office Sp. z o.o.", "Krakowski Software House S.A.",
	"Hurtownia Farmaceutyczna Medex Sp. z o.o.", "Wrocławskie Meble Sp. z o.o.",
};
static const char *const sim_contractors[] = {
	"Orlen Paliwa Sp. z o.o.", "Allegro Sp. z o.o.", "Polkomtel Sp. z o.o.",
	"Biuro Podróży Sindbad", "PGE Obrót S.A.", "Lyreco Polska S.A.", "Budimex S.A.",
	"Drukarnia Poligraf Sp. z o.o.", "Kancelaria Prawna Zając i Wspólnicy",
};
static const char *const sim_approvers[] = {
	"Anna Wiśniewska", "Piotr Zieliński", "Katarzyna Wójcik", "Tomasz Lewandowski",
	"Magdalena Kamińska", "Michał Szymański",
};
static const struct {
	const char *name;
	const char *code;  /* 8-digit sort code */
} sim_banks[] = {
	{ "PKO BP", "10201026" }, { "mBank", "11402004" }, { "Santander Bank Polska", "10901014" },
	{ "ING Bank Śląski", "10501025" }, { "Bank Pekao", "12401037" },
};
static const struct {
	const char *code;
	int lo, hi; /* PLN per unit, in 1/10000 */
} sim_currencies[] = {
	{ "EUR", 42100, 43800 }, { "USD", 38200, 41500 }, { "GBP", 49800, 52600 },
	{ "CHF", 44100, 46900 },
};

static void sim_nip(struct rng *r, char out[11])
{
	static const int w[9] = { 6, 5, 7, 2, 3, 4, 5, 6, 7 };
	for (;;) {
		int sum = 0;
		for (int i = 0; i < 9; i++) {
			int d = (int)rng_range(r, i == 0 ? 1 : 0, 9);
			out[i] = (char)('0' + d);
			sum += d * w[i];
		}
		if (sum % 11 != 10) {
			out[9] = (char)('0' + sum % 11);
			out[10] = '\0';
			return;
		}
	}
}

/* A Polish IBAN with correct ISO 7064 check digits. */
static void sim_iban(struct rng *r, const char *sort, char out[32])
{
	char bban[27];
	memcpy(bban, sort, 8);
	for (int i = 8; i < 24; i++)
		bban[i] = (char)('0' + rng_range(r, 0, 9));
	bban[24] = '\0';
	/* BBAN + "PL00" with letters as numbers (P=25, L=21). */
	char num[40];
	snprintf(num, sizeof num, "%s252100", bban);
	unsigned rem = 0;
	for (const char *p = num; *p; p++)
		rem = (rem * 10 + (unsigned)(*p - '0')) % 97;
	snprintf(out, 32, "PL%02u%s", 98 - rem, bban);
}

static void sim_money(int64_t grosze, char *out, size_t len)
{
	int64_t a = grosze < 0 ? -grosze : grosze;
	snprintf(out, len, "%s%lld.%02lld", grosze < 0 ? "-" : "", (long long)(a / 100),
		 (long long)(a % 100));
}

void sim_ctx_date(int64_t epoch_day, char out[11])
{
	time_t t = (time_t)(epoch_day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void sim_ctx_init(struct rng *r, struct sim_ctx *c)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int month = (int)rng_range(r, 1, 12);
	snprintf(c->period, sizeof c->period, "2026-%02d", month);
	snprintf(c->last_day, sizeof c->last_day, "2026-%02d-%02d", month, mdays[month - 1]);
	snprintf(c->company, sizeof c->company, "%s",
		 sim_companies[rng_range(r, 0, sizeof sim_companies / sizeof *sim_companies - 1)]);
	sim_nip(r, c->nip);
	snprintf(c->contractor, sizeof c->contractor, "%s",
		 sim_contractors[rng_range(r, 0, sizeof sim_contractors / sizeof *sim_contractors - 1)]);
	sim_nip(r, c->contractor_nip);
	snprintf(c->invoice_no, sizeof c->invoice_no, "FV/2026/%02d/%04d", month,
		 (int)rng_range(r, 1, 2400));
	int64_t net = rng_range(r, 10000, 5000000);
	int64_t vat = (net * 23 + 50) / 100;
	sim_money(net, c->amount, sizeof c->amount);
	sim_money(vat, c->vat, sizeof c->vat);
	sim_money(net + vat, c->gross, sizeof c->gross);
	/* The period's VAT return: what is due is output VAT less input VAT, so
	 * every step and output that shows these figures agrees. */
	int64_t out_vat = rng_range(r, 2000000, 90000000);
	int64_t in_vat = rng_range(r, 1000000, out_vat);
	sim_money(out_vat, c->output_vat, sizeof c->output_vat);
	sim_money(in_vat, c->input_vat, sizeof c->input_vat);
	sim_money(out_vat - in_vat, c->vat_due, sizeof c->vat_due);
	size_t b = (size_t)rng_range(r, 0, sizeof sim_banks / sizeof *sim_banks - 1);
	snprintf(c->bank, sizeof c->bank, "%s", sim_banks[b].name);
	sim_iban(r, sim_banks[b].code, c->iban);
	snprintf(c->batch_id, sizeof c->batch_id, "PAY-2026%02d%02d-%02d", month,
		 (int)rng_range(r, 1, mdays[month - 1]), (int)rng_range(r, 1, 12));
	snprintf(c->doc_no, sizeof c->doc_no, "UM/2026/%03d", (int)rng_range(r, 1, 999));
	snprintf(c->approver, sizeof c->approver, "%s",
		 sim_approvers[rng_range(r, 0, sizeof sim_approvers / sizeof *sim_approvers - 1)]);
	/* 2026-01-01 is epoch day 20454. */
	int days = (int)rng_range(r, 7, 21);
	c->from_epoch_day = 20454 + rng_range(r, 0, 364 - days);
	sim_ctx_date(c->from_epoch_day, c->date_from);
	sim_ctx_date(c->from_epoch_day + days - 1, c->date_to);
	snprintf(c->days, sizeof c->days, "%d", days);
	size_t cur = (size_t)rng_range(r, 0, sizeof sim_currencies / sizeof *sim_currencies - 1);
	snprintf(c->currency, sizeof c->currency, "%s", sim_currencies[cur].code);
	int rate = (int)rng_range(r, sim_currencies[cur].lo, sim_currencies[cur].hi);
	snprintf(c->rate, sizeof c->rate, "%d.%04d", rate / 10000 % 100, rate % 10000);
}

void sim_ctx_expand(struct rng *r, const struct sim_ctx *c, const char *t, char *out,
		       size_t len)
{
	size_t o = 0;
	for (const char *p = t; *p;) {
		char piece[96];
		const char *src = piece;
		if (p[0] == '{' && p[1] >= 'a' && p[1] <= 'z') {
			const char *end = strchr(p, '}');
			if (end == NULL)
				fatal("sim template without '}': %s", t);
			size_t nlen = strcspn(p + 1, ":}");
			long long lo = 0, hi = 0;
			if (p[1 + nlen] == ':') {
				char *q;
				lo = strtoll(p + 2 + nlen, &q, 10);
				if (*q != '-')
					fatal("sim template range without '-': %s", t);
				hi = strtoll(q + 1, &q, 10);
				if (q != end)
					fatal("sim template range is malformed: %s", t);
			}
			if (nlen == 1 && p[1] == 'n') {
				snprintf(piece, sizeof piece, "%lld", (long long)rng_range(r, lo, hi));
			} else if (nlen == 3 && strncmp(p + 1, "amt", 3) == 0) {
				sim_money(rng_range(r, lo * 100, hi * 100), piece, sizeof piece);
			} else {
				src = NULL;
				for (size_t i = 0; i < sizeof sim_ctx_fields / sizeof *sim_ctx_fields; i++)
					if (strlen(sim_ctx_fields[i].name) == nlen &&
					    strncmp(sim_ctx_fields[i].name, p + 1, nlen) == 0)
						src = (const char *)c + sim_ctx_fields[i].off;
				if (src == NULL)
					fatal("sim template has an unknown placeholder: %s", t);
			}
			p = end + 1;
		} else {
			piece[0] = *p++;
			piece[1] = '\0';
		}
		size_t n = strlen(src);
		if (o + n >= len)
			fatal("sim template expands past %zu bytes: %s", len, t);
		memcpy(out + o, src, n);
		o += n;
	}
	out[o] = '\0';
}

json_t *sim_ctx_expand_json(struct rng *r, const struct sim_ctx *c, const char *t)
{
	char buf[SIM_CTX_TEXT];
	sim_ctx_expand(r, c, t, buf, sizeof buf);
	json_error_t err;
	json_t *v = json_loads(buf, JSON_REJECT_DUPLICATES, &err);
	if (v == NULL)
		fatal("sim template is not JSON (%s): %s", err.text, buf);
	return v;
}

void sim_ctx_pick_line(struct rng *r, const char *list, char *out, size_t len)
{
	size_t lines = 1;
	for (const char *p = list; *p; p++)
		lines += *p == '\n';
	size_t k = (size_t)rng_range(r, 0, (int64_t)lines - 1);
	const char *p = list;
	while (k-- > 0)
		p = strchr(p, '\n') + 1;
	size_t n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

