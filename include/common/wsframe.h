/* wsframe.h: RFC 6455 frame headers and UTF-8 checking. Pure: no I/O.
 *
 * The daemon frames each outbound message once and shares the bytes among all
 * subscribers; clients use the same code to mask what they send and to parse
 * what they receive. */
#ifndef WFMON_WSFRAME_H
#define WFMON_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

#define WSFRAME_MAX_HEADER 14

/* Writes a frame header for a payload of len bytes into hdr (at least
 * WSFRAME_MAX_HEADER bytes); mask is NULL for server frames. Returns its size. */
size_t wsframe_header(uint8_t *hdr, enum ws_opcode op, bool fin, uint64_t len,
		      const uint8_t *mask);

struct wsframe {
	enum ws_opcode op;
	bool fin;
	bool masked;
	uint8_t mask[4];
	uint64_t len;        /* payload length */
	size_t header_len;
};

/* Parses a header at buf. Returns 1 with *out filled, 0 if more bytes are
 * needed, -1 if the header is malformed (reserved bits, bad opcode, a control
 * frame that is fragmented or longer than 125 bytes, a 64-bit length with the
 * top bit set). */
int wsframe_parse(const uint8_t *buf, size_t len, struct wsframe *out);

/* XORs data with the mask, starting at payload offset off (for chunked input). */
void wsframe_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off);

/* Whole-buffer UTF-8 validity (no overlongs, no surrogates, <= U+10FFFF). */
bool utf8_valid(const uint8_t *s, size_t len);

#endif
