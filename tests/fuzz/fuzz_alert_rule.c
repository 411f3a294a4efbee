/* fuzz_alert_rule.c: libFuzzer target: an alert rule in its JSON form
 * through alert_rule_parse; a rule that parses goes back to JSON (with and
 * without secrets) and must parse again to the same JSON, and an edit that
 * keeps masked secrets must parse too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		return 0;
	struct alert_rule rule, again, edited;
	struct proto_cause cause;
	if (alert_rule_parse(j, &rule, &cause) == 0) {
		json_t *full = alert_rule_json_new(&rule, true);
		if (alert_rule_parse(full, &again, &cause) != 0)
			abort();
		json_t *full2 = alert_rule_json_new(&again, true);
		if (!json_equal(full, full2))
			abort();
		json_t *masked = alert_rule_json_new(&rule, false);
		if (alert_rule_parse_edit(masked, &rule, &edited, &cause) == 0)
			alert_rule_clear(&edited);
		json_decref(masked);
		json_decref(full2);
		json_decref(full);
		alert_rule_clear(&again);
		alert_rule_clear(&rule);
	}
	json_decref(j);
	return 0;
}
