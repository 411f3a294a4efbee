/* fuzz_event.c: libFuzzer target: an event as a producer sends it (JSON
 * text) through proto_event_validate, and a valid one through the message
 * the daemon frames for subscribers. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return 0;
	struct proto_event pe;
	struct proto_cause cause;
	if (proto_event_validate(ev, &pe, &cause) == 0) {
		/* The borrowed strings live as long as the object. */
		if (strlen(pe.event_id) == 0 || strlen(pe.execution_id) == 0)
			abort();
		free(proto_event_message_new("org", 1, ev));
	}
	json_decref(ev);
	return 0;
}
