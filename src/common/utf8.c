/* utf8.c: small UTF-8 helpers (see utf8.h).
 *
 * Invariant: valid UTF-8 in is valid UTF-8 out; only the tail changes. */
#include "utf8.h"

#include <stddef.h>
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
