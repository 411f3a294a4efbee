/* utf8.h: small UTF-8 helpers: text cut to fit a buffer, and text fitted
 * to a number of display columns (tables on a terminal or in a command's
 * output).
 *
 * No allocation. Display widths are wcwidth's, so LC_CTYPE must be a UTF-8
 * locale (the console and the command line see to it); a code point wcwidth
 * cannot tell counts one column, a control character one (it is shown as a
 * space or a "?"). (Whole-buffer validation is wsframe.h's utf8_valid.) */
#ifndef WFMON_UTF8_H
#define WFMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Drops a multibyte character left incomplete at the end of s, as snprintf
 * leaves one when it cuts valid UTF-8 to fit: the lead byte and whatever
 * continuation bytes follow it. Complete text, ASCII included, is untouched. */
void utf8_trim_tail(char *s);

/* Decodes the code point at s (not at its NUL); returns its length in bytes,
 * 1 with *cp = U+FFFD for a byte that does not start a valid sequence. */
size_t utf8_next(const char *s, uint32_t *cp);
/* Display columns of one code point (0, 1 or 2). */
int utf8_cp_width(uint32_t cp);
/* Display columns of a string. */
int utf8_width(const char *s);
/* Writes s into out fitted to exactly `width` columns: padded with spaces
 * (on the left when right is set), or cut at a character boundary with "…"
 * as its last column when it is wider, so that a cell never runs into the
 * next. Returns out. */
char *utf8_fit(const char *s, int width, bool right, char *out, size_t outlen);
/* Makes a line of a program's output fit a protocol text: the part after the
 * last carriage return (what a terminal shows), escape sequences (CSI, OSC,
 * and other ESC sequences) removed, bytes that are not valid UTF-8 and
 * control characters other than tab replaced by U+FFFD, cut at a character
 * boundary to fit outcap - 1 bytes (with a NUL). Returns the length written;
 * *bad_utf8 and *cut tell whether invalid bytes were replaced and whether the
 * line was cut. */
size_t utf8_sanitize_line(const char *in, size_t len, char *out, size_t outcap, bool *bad_utf8, bool *cut);

#endif
