/* fuzz_request.c: libFuzzer target: proto_request_parse on any frame, and
 * for a request that parses, what the daemon does next with its parts
 * (publish's events validated one by one, a rule parsed). */
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_request req;
	struct proto_cause cause;
	json_t *id = NULL;
	if (proto_request_parse((const char *)data, size, &req, &id, &cause) < 0) {
		json_decref(id);
		return 0;
	}
	if (req.type == REQ_PUBLISH) {
		size_t i;
		json_t *ev;
		json_array_foreach(req.events, i, ev) {
			struct proto_event pe;
			proto_event_validate(ev, &pe, &cause);
		}
	}
	if (req.type == REQ_RULE && req.rule != NULL) {
		struct alert_rule rule;
		if (alert_rule_parse(req.rule, &rule, &cause) == 0)
			alert_rule_clear(&rule);
	}
	proto_request_clear(&req);
	return 0;
}
