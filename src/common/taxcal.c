/* taxcal.c: Polish public holidays, working days and monthly tax deadlines
 * (see taxcal.h).
 *
 * Invariants: dates go through day numbers (days since 1970-01-01) for any
 * arithmetic, so month and year boundaries need no special cases; the
 * calendar itself (holidays, Easter, working days) is workdays.c's, shared
 * with schedules. */
#include "taxcal.h"

#include <string.h>

#include "topn.h"
#include "workdays.h"

/* The calendar is workdays.h's; these keep the deadline code's own date type. */
static struct civil_date civil(struct taxcal_date d)
{
	return (struct civil_date){ d.year, d.month, d.day };
}

static struct taxcal_date tax(struct civil_date d)
{
	return (struct taxcal_date){ d.year, d.month, d.day };
}

int64_t taxcal_days(struct taxcal_date d)
{
	return workdays_days_from_civil(civil(d));
}

struct taxcal_date taxcal_from_days(int64_t days)
{
	return tax(workdays_civil_from_days(days));
}

int taxcal_weekday(struct taxcal_date d)
{
	return workdays_weekday(civil(d));
}

bool taxcal_date_valid(struct taxcal_date d)
{
	return workdays_date_valid(civil(d));
}

struct taxcal_date taxcal_easter(int year)
{
	return tax(workdays_easter(year));
}

bool taxcal_is_holiday(struct taxcal_date d, const char **name)
{
	const char *h = workdays_holiday(civil(d));
	if (h != NULL && name != NULL)
		*name = h;
	return h != NULL;
}

bool taxcal_is_working_day(struct taxcal_date d)
{
	return workdays_is_working(civil(d));
}

struct taxcal_date taxcal_next_working_day(struct taxcal_date d)
{
	return tax(workdays_next_working(civil(d)));
}

/* ---- deadlines ----------------------------------------------------------------- */

const struct taxcal_rule taxcal_default_rules[] = {
	{ "VAT/JPK_V7M", 25, "jpk-generation" },
	{ "PIT/CIT", 20, "" },
	{ "PIT-4", 20, "" },
	{ "ZUS", 15, "" },
};
const size_t taxcal_default_nrules = sizeof taxcal_default_rules / sizeof taxcal_default_rules[0];

static struct taxcal_date month_add(struct taxcal_date d, int months)
{
	int idx = d.year * 12 + (d.month - 1) + months;
	return (struct taxcal_date){ idx / 12, idx % 12 + 1, d.day };
}

static bool due_before(const void *a, const void *b)
{
	return taxcal_days(((const struct taxcal_due *)a)->due) < taxcal_days(((const struct taxcal_due *)b)->due);
}

size_t taxcal_upcoming(const struct taxcal_rule *rules, size_t nrules, struct taxcal_date today,
		       struct taxcal_due *out, size_t max)
{
	int64_t t = taxcal_days(today);
	size_t n = 0;
	for (size_t i = 0; i < nrules; i++) {
		if (rules[i].day < 1 || rules[i].day > 28)
			continue;
		struct taxcal_due x = { .rule = &rules[i] };
		for (int ahead = 0; ahead < 2; ahead++) {
			struct taxcal_date month = month_add((struct taxcal_date){ today.year, today.month, 1 }, ahead);
			x.statutory = (struct taxcal_date){ month.year, month.month, rules[i].day };
			x.due = taxcal_next_working_day(x.statutory);
			if (taxcal_days(x.due) >= t)
				break;
		}
		x.period = month_add((struct taxcal_date){ x.statutory.year, x.statutory.month, 1 }, -1);
		x.days_left = (int)(taxcal_days(x.due) - t);
		x.moved = taxcal_days(x.due) != taxcal_days(x.statutory);
		/* Equal dates keep the rules' order. */
		n = topn_insert(out, n, max, sizeof *out, &x, due_before);
	}
	return n;
}
