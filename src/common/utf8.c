/* utf8.c: small UTF-8 helpers (see utf8.h).
 *
 * Invariant: valid UTF-8 in is valid UTF-8 out; only the tail changes. */
#include "utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

void utf8_trim_tail(char *s)
{
	size_t n = strlen(s), i = n;
	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return;   /* ends in ASCII (or holds no lead byte at all) */
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* Length of the valid UTF-8 character at s (of at most len bytes), 0 when
 * the bytes there are not one (overlong forms, surrogates and values past
 * U+10FFFF included). */
static size_t char_len(const unsigned char *s, size_t len)
{
	unsigned char b = s[0];
	size_t n;
	uint32_t cp, min;
	if (b < 0x80)
		return 1;
	if ((b & 0xE0) == 0xC0) {
		n = 2;
		cp = b & 0x1F;
		min = 0x80;
	} else if ((b & 0xF0) == 0xE0) {
		n = 3;
		cp = b & 0x0F;
		min = 0x800;
	} else if ((b & 0xF8) == 0xF0) {
		n = 4;
		cp = b & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* The length of the escape sequence starting with ESC at s. */
static size_t escape_len(const unsigned char *s, size_t len)
{
	if (len < 2)
		return len;
	size_t i;
	if (s[1] == '[') {                    /* CSI: parameters, then a final byte 0x40..0x7e */
		for (i = 2; i < len; i++)
			if (s[i] >= 0x40 && s[i] <= 0x7e)
				return i + 1;
		return len;
	}
	if (s[1] == ']') {                    /* OSC: up to BEL or ESC \ */
		for (i = 2; i < len; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
				return i + 2;
		}
		return len;
	}
	return 2;                             /* ESC and one byte */
}

size_t utf8_sanitize_line(const char *in, size_t len, char *out, size_t outcap, bool *bad_utf8, bool *cut)
{
	static const char replacement[] = "\xef\xbf\xbd";   /* U+FFFD */
	const unsigned char *s = (const unsigned char *)in;
	*bad_utf8 = false;
	*cut = false;
	if (outcap == 0)
		return 0;
	/* What a terminal shows of a line rewritten with carriage returns. */
	for (size_t i = len; i-- > 0;)
		if (s[i] == '\r' && i + 1 < len) {
			s += i + 1;
			len -= i + 1;
			break;
		}
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == 0x1b) {
			i += escape_len(s + i, len - i);
			continue;
		}
		size_t n = char_len(s + i, len - i);
		const char *piece = (const char *)s + i;
		size_t plen = n;
		bool control = n == 1 ? ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
				      : n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f;
		if (n == 0 || control) {
			if (n == 0)
				*bad_utf8 = true;
			if (s[i] == '\r') {          /* a trailing carriage return: nothing to show */
				i++;
				continue;
			}
			piece = replacement;
			plen = 3;
			n = n ? n : 1;
		}
		if (o + plen > outcap - 1) {
			*cut = true;
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o] = '\0';
	return o;
}
