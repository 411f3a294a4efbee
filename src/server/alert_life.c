/* alert_life.c: the life of an alert: active -> acknowledged -> resolved,
 * escalation, and the sentences that explain a refused action.
 *
 * Invariant: resolved is final; escalation never changes the state and
 * raises the severity by one step, critical staying critical. The table below
 * is the whole policy. */
#include "alert.h"

#include <stdio.h>

static const char *const action_names[] = {
	[ACT_ACKNOWLEDGE] = "acknowledge", [ACT_RESOLVE] = "resolve", [ACT_ESCALATE] = "escalate",
	[ACT_AUTO_RESOLVE] = "auto_resolve",
};

#define ACT__COUNT (sizeof action_names / sizeof action_names[0])

/* The state an action leads to from each state, or -1 with the reason. */
struct transition {
	int to;                 /* enum alert_state, or -1: refused */
	const char *refusal;
};

#define KEEP (-2)           /* escalate: the state stays */

static const struct transition transitions[ALERT__STATE_COUNT][ACT__COUNT] = {
	[ALERT_ACTIVE] = {
		[ACT_ACKNOWLEDGE] = { ALERT_ACKNOWLEDGED, NULL },
		[ACT_RESOLVE] = { ALERT_RESOLVED, NULL },
		[ACT_ESCALATE] = { KEEP, NULL },
		[ACT_AUTO_RESOLVE] = { ALERT_RESOLVED, NULL },
	},
	[ALERT_ACKNOWLEDGED] = {
		[ACT_ACKNOWLEDGE] = { -1, "the alert is already acknowledged" },
		[ACT_RESOLVE] = { ALERT_RESOLVED, NULL },
		[ACT_ESCALATE] = { KEEP, NULL },
		[ACT_AUTO_RESOLVE] = { ALERT_RESOLVED, NULL },
	},
	[ALERT_RESOLVED] = {
		[ACT_ACKNOWLEDGE] = { -1, "the alert is already resolved" },
		[ACT_RESOLVE] = { -1, "the alert is already resolved" },
		[ACT_ESCALATE] = { -1, "the alert is already resolved" },
		[ACT_AUTO_RESOLVE] = { -1, "the alert is already resolved" },
	},
};

const char *alert_action_name(enum alert_action a)
{
	return (unsigned)a < ACT__COUNT ? action_names[a] : NULL;
}

int alert_transition(enum alert_state from, enum alert_severity sev, enum alert_action act,
		     enum alert_state *to, enum alert_severity *new_sev, char *cause, size_t causelen)
{
	if ((unsigned)from >= ALERT__STATE_COUNT || (unsigned)act >= ACT__COUNT || (unsigned)sev >= SEV__COUNT) {
		if (cause != NULL && causelen > 0)
			snprintf(cause, causelen, "unknown alert state, severity or action");
		return -1;
	}
	const struct transition *t = &transitions[from][act];
	if (t->to == -1) {
		if (cause != NULL && causelen > 0)
			snprintf(cause, causelen, "%s", t->refusal);
		return -1;
	}
	*to = t->to == KEEP ? from : (enum alert_state)t->to;
	*new_sev = sev;
	if (act == ACT_ESCALATE && sev < SEV_CRITICAL)
		*new_sev = (enum alert_severity)(sev + 1);
	return 0;
}
