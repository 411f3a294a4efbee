/* fuzz_time.c: libFuzzer target: RFC 3339 timestamps. A time that parses
 * formats to a timestamp that parses to the same millisecond. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	if (size >= sizeof s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t ms;
	if (proto_time_parse(s, &ms) != 0)
		return 0;
	char out[64];
	proto_time_format(ms, out, sizeof out);
	int64_t back;
	if (proto_time_parse(out, &back) != 0 || back != ms)
		abort();
	return 0;
}
