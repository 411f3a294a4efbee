/* proto-internal.h: helpers shared by the files of the protocol module only.
 * Nothing outside src/proto includes this; the contract is include/proto.h. */
#ifndef WFMON_PROTO_INTERNAL_H
#define WFMON_PROTO_INTERNAL_H

#include "proto.h"

/* Fills *cause (which may be NULL) and returns -1, so that a failing check is
 * one line: `return proto_fail(cause, "ts", "must be ...")`. Both texts are cut
 * at a UTF-8 character boundary, because they end up in JSON strings and a
 * split character would make the error message itself unencodable. */
int proto_fail(struct proto_cause *cause, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* proto_id_valid for a string that may hold NUL bytes (JSON strings can). */
bool proto_idn_valid(const char *s, size_t len);

/* A JSON value that is a string holding a valid id. */
bool proto_json_id_valid(const json_t *v);

#endif
