/* fmt.h: every number a person reads, formatted in one place: durations,
 * sizes, percentages, counts, decimal numbers, dates and times, in English
 * or Polish. The console's views, the command line and the daemon's alert
 * texts all format through this module, so the same value reads the same
 * everywhere.
 *
 * The rules:
 *   - Rounding is half up (away from zero) to the precision shown, decided
 *     before the unit: 999.5 ms is "1.0 s", 59.95 s is "1 min", 1023.96 KiB
 *     is "1.0 MiB". Binary noise never decides a half (2.675 with two
 *     decimals is 2.68).
 *   - Durations: under a second in whole ms ("850 ms"); under 10 s with
 *     tenths ("5.8 s"); under a minute in whole seconds ("45 s"); then two
 *     units, the second dropped when zero ("1 min 5 s", "2 h", "3 d 4 h").
 *     Elapsed times that tick while shown count whole seconds, never ahead
 *     of the clock ("0 s" during the first second); a time left counts up
 *     to the next whole second.
 *   - Languages: English uses "." for decimals, "," between thousands and
 *     no space before "%"; Polish uses "," for decimals, a space between
 *     thousands (from five digits, as Polish typesetting does) and a space
 *     before every unit, "%" included. Both put a space before the other
 *     units ("1.5 s", "439,4 MiB").
 *   - Dates and times are ISO-like in both languages, in local time:
 *     "2026-11-23 05:24:37", "2026-11-23", "05:24:37", "05:24".
 *   - Anything unknown (a negative duration or size, a time of 0) is "-".
 *
 * The language is always an argument: nothing here reads the process
 * locale, so the daemon can write a rule's Polish text while running in C.
 * Pure: no allocation, no I/O. Every function writes at most len bytes
 * (NUL included) and returns buf; FMT_MAX is enough for any single value. */
#ifndef WFMON_FMT_H
#define WFMON_FMT_H

#include <stddef.h>
#include <stdint.h>

#define FMT_MAX 64

enum fmt_lang { FMT_EN, FMT_PL, FMT__LANG_COUNT };

/* "pl", "pl_PL", "pl_PL.UTF-8", "PL" -> FMT_PL; anything else (NULL
 * included) -> FMT_EN. */
enum fmt_lang fmt_lang_parse(const char *code);
/* "en", "pl". */
const char *fmt_lang_code(enum fmt_lang lang);

/* value rounded half up to `decimals` digits (0 to 6), thousands grouped:
 * "12,345.6" / "12 345,6". */
char *fmt_number(enum fmt_lang lang, double value, int decimals, char *buf, size_t len);
/* A whole number, grouped: "1,234" / "1234", "12 345". */
char *fmt_count(enum fmt_lang lang, int64_t n, char *buf, size_t len);
/* A measured value whose precision is not known in advance (an alert's
 * context): whole numbers as counts, others with at most two decimals,
 * trailing zeros dropped: 99.700000000000003 -> "99.7". */
char *fmt_value(enum fmt_lang lang, double value, char *buf, size_t len);
/* "42.5%" / "42,5 %"; "-" when pct < 0 (unknown). */
char *fmt_percent(enum fmt_lang lang, double pct, int decimals, char *buf, size_t len);
/* A duration that is known exactly (a finished step, an average); ms may
 * have a fraction. "-" when ms < 0. */
char *fmt_duration(enum fmt_lang lang, double ms, char *buf, size_t len);
/* A duration that grows while shown (a running execution, an age): whole
 * seconds, rounded down. "-" when ms < 0. */
char *fmt_elapsed(enum fmt_lang lang, int64_t ms, char *buf, size_t len);
/* A time left (a countdown, an estimate): whole seconds, rounded up, "0 s"
 * only when nothing is left. "-" when ms < 0. */
char *fmt_remaining(enum fmt_lang lang, int64_t ms, char *buf, size_t len);
/* A time offset exactly, for axis labels and "start +1.25 s": no rounding,
 * as many units as it takes, the fraction of a second only as long as it
 * needs: "0 s", "250 ms", "1.25 s", "1 min 30 s", "1 min 0.5 s", "1 h 30 min",
 * "-30 s". Returns the length it needed (like snprintf). */
size_t fmt_offset(enum fmt_lang lang, int64_t ms, char *buf, size_t len);
/* Bytes in B, KiB, MiB, GiB, TiB (one decimal past B): "439.4 MiB" /
 * "439,4 MiB". "-" when bytes < 0. */
char *fmt_bytes(enum fmt_lang lang, int64_t bytes, char *buf, size_t len);
/* Wall-clock ms since the epoch, local time; "-" for 0 or less. */
char *fmt_datetime(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len);   /* 2026-11-23 05:24:37 */
char *fmt_date(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len);       /* 2026-11-23 */
char *fmt_time(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len);       /* 05:24:37 */
char *fmt_clock(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len);      /* 05:24 */

#endif
