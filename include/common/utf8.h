/* utf8.h: small UTF-8 helpers for text that is cut to fit a buffer.
 *
 * Pure: no allocation, no locale. (Whole-buffer validation is wsframe.h's
 * utf8_valid.) */
#ifndef WFMON_UTF8_H
#define WFMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Drops a multibyte character left incomplete at the end of s, as snprintf
 * leaves one when it cuts valid UTF-8 to fit: the lead byte and whatever
 * continuation bytes follow it. Complete text, ASCII included, is untouched. */
void utf8_trim_tail(char *s);

/* Makes a line of a program's output fit a protocol text: the part after the
 * last carriage return (what a terminal shows), escape sequences (CSI, OSC,
 * and other ESC sequences) removed, bytes that are not valid UTF-8 and
 * control characters other than tab replaced by U+FFFD, cut at a character
 * boundary to fit outcap - 1 bytes (with a NUL). Returns the length written;
 * *bad_utf8 and *cut tell whether invalid bytes were replaced and whether the
 * line was cut. */
size_t utf8_sanitize_line(const char *in, size_t len, char *out, size_t outcap, bool *bad_utf8, bool *cut);

#endif
