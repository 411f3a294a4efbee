/* utf8.h: small UTF-8 helpers for text that is cut to fit a buffer.
 *
 * Pure: no allocation, no locale. (Whole-buffer validation is wsframe.h's
 * utf8_valid.) */
#ifndef WFMON_UTF8_H
#define WFMON_UTF8_H

/* Drops a multibyte character left incomplete at the end of s, as snprintf
 * leaves one when it cuts valid UTF-8 to fit: the lead byte and whatever
 * continuation bytes follow it. Complete text, ASCII included, is untouched. */
void utf8_trim_tail(char *s);

#endif
