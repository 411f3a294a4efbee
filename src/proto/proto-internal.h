/* proto-internal.h: helpers shared by the files of the protocol module only.
 * Nothing outside src/proto includes this; the contract is include/proto/proto.h
 * (which also has proto_fail and proto_json_id_valid, shared with the alert
 * rule parser). */
#ifndef WFMON_PROTO_INTERNAL_H
#define WFMON_PROTO_INTERNAL_H

#include "proto.h"

/* proto_id_valid for a string that may hold NUL bytes (JSON strings can). */
bool proto_idn_valid(const char *s, size_t len);

#endif
