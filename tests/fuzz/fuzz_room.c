/* fuzz_room.c: libFuzzer target: room names. A name that parses formats
 * back to itself (names are canonical) and parses again the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[512];
	if (size >= sizeof name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	struct proto_room room, again;
	struct proto_cause cause;
	if (proto_room_parse(name, &room, &cause) != 0)
		return 0;
	char out[PROTO_MAX_ROOM + 8];
	int n = proto_room_format(&room, out, sizeof out);
	if (n < 0 || strcmp(out, name) != 0)
		abort();
	if (proto_room_parse(out, &again, &cause) != 0 || again.kind != room.kind ||
	    strcmp(again.id, room.id) != 0)
		abort();
	return 0;
}
