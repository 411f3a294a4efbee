/* utf8.c: small UTF-8 helpers (see utf8.h).
 *
 * Invariant: valid UTF-8 in is valid UTF-8 out; cutting happens at
 * character boundaries only. */
#include "utf8.h"

#include <stddef.h>
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
