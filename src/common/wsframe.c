/* wsframe.c: RFC 6455 section 5.2 frame headers, masking, and the strict
 * UTF-8 check of section 8.1.
 *
 * Pure functions over caller buffers. wsframe_parse never reads past len and
 * never accepts a header the RFC forbids, so a peer's bytes are checked here
 * once and trusted afterwards. */
#include "wsframe.h"

#include <string.h>

size_t wsframe_header(uint8_t *hdr, enum ws_opcode op, bool fin, uint64_t len,
		      const uint8_t *mask)
{
	size_t n = 0;
	hdr[n++] = (uint8_t)((fin ? 0x80 : 0) | ((unsigned)op & 0x0F));
	uint8_t maskbit = mask ? 0x80 : 0;
	if (len <= 125) {
		hdr[n++] = (uint8_t)(maskbit | len);
	} else if (len <= 0xFFFF) {
		hdr[n++] = maskbit | 126;
		hdr[n++] = (uint8_t)(len >> 8);
		hdr[n++] = (uint8_t)len;
	} else {
		hdr[n++] = maskbit | 127;
		for (int i = 7; i >= 0; i--)
			hdr[n++] = (uint8_t)(len >> (8 * i));
	}
	if (mask) {
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	return n;
}

static bool wsframe_opcode_known(unsigned op)
{
	static const bool known[16] = {
		[WS_OP_CONT] = true, [WS_OP_TEXT] = true, [WS_OP_BINARY] = true,
		[WS_OP_CLOSE] = true, [WS_OP_PING] = true, [WS_OP_PONG] = true,
	};
	return known[op & 0x0F];
}

int wsframe_parse(const uint8_t *buf, size_t len, struct wsframe *out)
{
	if (len < 2)
		return 0;
	if (buf[0] & 0x70)
		return -1; /* RSV1-3: no extension is ever negotiated */
	unsigned op = buf[0] & 0x0F;
	if (!wsframe_opcode_known(op))
		return -1;
	bool fin = buf[0] & 0x80;
	bool masked = buf[1] & 0x80;
	uint64_t plen = buf[1] & 0x7F;
	size_t need = 2;
	if (plen == 126)
		need += 2;
	else if (plen == 127)
		need += 8;
	if (masked)
		need += 4;
	bool control = op & 0x08;
	if (control && (!fin || plen > 125))
		return -1;
	if (len < need)
		return 0;

	size_t pos = 2;
	if (plen == 126) {
		plen = (uint64_t)buf[2] << 8 | buf[3];
		pos = 4;
		if (plen < 126)
			return -1; /* not the minimal encoding */
	} else if (plen == 127) {
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		pos = 10;
		if (plen >> 63)
			return -1;
		if (plen <= 0xFFFF)
			return -1;
	}
	out->op = (enum ws_opcode)op;
	out->fin = fin;
	out->masked = masked;
	if (masked) {
		memcpy(out->mask, buf + pos, 4);
		pos += 4;
	} else {
		memset(out->mask, 0, 4);
	}
	out->len = plen;
	out->header_len = pos;
	return 1;
}

void wsframe_mask(uint8_t *data, size_t len, const uint8_t mask[4], uint64_t off)
{
	size_t i = 0;
	unsigned k = (unsigned)(off & 3);
	/* Byte by byte until the key lines up, then a word at a time. */
	while (i < len && k != 0) {
		data[i++] ^= mask[k];
		k = (k + 1) & 3;
	}
	uint32_t word;
	memcpy(&word, mask, 4);
	for (; i + 4 <= len; i += 4) {
		uint32_t v;
		memcpy(&v, data + i, 4);
		v ^= word;
		memcpy(data + i, &v, 4);
	}
	for (k = 0; i < len; i++, k++)
		data[i] ^= mask[k];
}

bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		/* JSON is mostly ASCII: skip it eight bytes at a time. */
		if (len - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		uint8_t b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if ((b & 0xE0) == 0xC0) {
			n = 1;
			cp = b & 0x1F;
			min = 0x80;
		} else if ((b & 0xF0) == 0xE0) {
			n = 2;
			cp = b & 0x0F;
			min = 0x800;
		} else if ((b & 0xF8) == 0xF0) {
			n = 3;
			cp = b & 0x07;
			min = 0x10000;
		} else {
			return false; /* a continuation byte or 0xF8..0xFF */
		}
		if (len - i <= n)
			return false;
		for (size_t j = 1; j <= n; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}
