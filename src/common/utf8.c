/* utf8.c: small UTF-8 helpers (see utf8.h).
 *
 * Invariant: valid UTF-8 in is valid UTF-8 out; cutting happens at
 * character boundaries only. */
#include "utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

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

size_t utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	size_t n = u[0] >= 0xf0 && u[0] < 0xf8 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc2 ? 2 : 0;
	if (n == 0) {
		*cp = 0xfffd;
		return 1;
	}
	uint32_t v = u[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		v = v << 6 | (u[i] & 0x3f);
	}
	*cp = v;
	return n;
}

int utf8_cp_width(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
		return 1;   /* shown as one replacement column */
	if (cp < 0x7f)
		return 1;
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int utf8_width(const char *s)
{
	int w = 0;
	uint32_t cp;
	while (*s) {
		s += utf8_next(s, &cp);
		w += utf8_cp_width(cp);
	}
	return w;
}

char *utf8_fit(const char *s, int width, bool right, char *out, size_t outlen)
{
	static const char ellipsis[] = "\u2026";
	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (width <= 0)
		return out;
	int tw = utf8_width(s);
	size_t k = 0;
	int used = 0;
	/* Room for the widest tail: padding, or the ellipsis. */
	if (tw <= width) {
		size_t n = strlen(s);
		if (right)
			for (; used < width - tw && k + 1 < outlen; used++)
				out[k++] = ' ';
		if (k + n + 1 > outlen)
			n = outlen - k - 1;
		memcpy(out + k, s, n);
		k += n;
		out[k] = '\0';
		utf8_trim_tail(out);
		k = strlen(out);
		for (used += tw; used < width && k + 1 < outlen; used++)
			out[k++] = ' ';
		out[k] = '\0';
		return out;
	}
	uint32_t cp;
	const char *p = s;
	while (*p) {
		size_t n = utf8_next(p, &cp);
		int cw = utf8_cp_width(cp);
		if (used + cw > width - 1 || k + n + sizeof ellipsis >= outlen)
			break;
		memcpy(out + k, p, n);
		k += n;
		used += cw;
		p += n;
	}
	if (k + sizeof ellipsis <= outlen) {
		memcpy(out + k, ellipsis, sizeof ellipsis);
		k += sizeof ellipsis - 1;
		used++;
	}
	for (; used < width && k + 1 < outlen; used++)
		out[k++] = ' ';
	out[k] = '\0';
	return out;
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
