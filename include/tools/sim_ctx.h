/* sim_ctx.h: an execution's business context in the simulator: the values
 * its templates refer to (a period, a company and its NIP with a valid check
 * digit, an invoice and its VAT, a bank and an IBAN with valid ISO 7064 check
 * digits, a VAT return whose due amount is output less input VAT, dates,
 * a currency and its rate), drawn once per execution so every step and
 * output of one execution agrees; and the expansion of templates.
 *
 * Templates are our own constant data (sim_workflows.c): a '{' followed by
 * a lowercase letter opens a placeholder ({period}, {n:LO-HI} a number,
 * {amt:LO-HI} an amount in PLN); any other '{' is JSON. An unknown
 * placeholder or an expansion past the buffer is a broken invariant (fatal). */
#ifndef WFMON_SIM_CTX_H
#define WFMON_SIM_CTX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

struct sim_ctx {
	char period[8], last_day[11], company[64], nip[11], contractor[64], contractor_nip[11];
	char invoice_no[24], amount[24], vat[24], gross[24], bank[32], iban[32], batch_id[24];
	char doc_no[20], approver[48], date_from[11], date_to[11], days[4], currency[4], rate[12];
	char output_vat[24], input_vat[24], vat_due[24];   /* vat_due = output_vat - input_vat */
	int64_t from_epoch_day;
};

/* An epoch day as YYYY-MM-DD. */
void sim_ctx_date(int64_t epoch_day, char out[11]);
/* Draws a new context. */
void sim_ctx_init(struct rng *r, struct sim_ctx *c);
/* Expands template t into out (len bytes). */
void sim_ctx_expand(struct rng *r, const struct sim_ctx *c, const char *t, char *out, size_t len);
/* Expands a template that is JSON; new reference. */
json_t *sim_ctx_expand_json(struct rng *r, const struct sim_ctx *c, const char *t);
/* Picks one of the '\n'-separated lines of list into out. */
void sim_ctx_pick_line(struct rng *r, const char *list, char *out, size_t len);

#endif
