/* i18n.h: messages and locale-aware formatting for the console.
 *
 * Every string a person reads goes through _() (gettext, text domain
 * "wfmon"); N_() marks strings in tables that are translated where they are
 * shown. i18n_init finds the catalogues: $WFMON_LOCALEDIR if set, else the
 * "locale" folder next to the executable when it exists (the build tree),
 * else the installed WFMON_LOCALEDIR. Formatting follows the locale: times of
 * day use the locale's time format, numbers its decimal separator (or the
 * catalogue's, when only LANGUAGE chose the language and LC_NUMERIC is C). */
#ifndef WFMON_I18N_H
#define WFMON_I18N_H

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define _(s) gettext(s)
#define N_(s) (s)
/* A message with a context, for short words that mean different things. */
#define C_(ctx, s) i18n_pgettext(ctx "\004" s, s)

#define I18N_DOMAIN "wfmon"

/* setlocale(LC_ALL, "") and the text domain. Returns the folder bound. */
const char *i18n_init(void);
const char *i18n_pgettext(const char *ctx_and_id, const char *id);
/* The locale's decimal separator ("." or ","). */
const char *i18n_decimal_point(void);
/* The folder of the running executable (/proc/self/exe), or "" when it
 * cannot be told; the console finds its catalogues and themes from it. */
void i18n_exe_dir(char *buf, size_t len);
bool i18n_dir_exists(const char *path);

/* "850 ms", "45 s", "1 min 5 s", "2 h 3 min", "3 d 4 h"; "-" when ms < 0. */
void i18n_format_duration(int64_t ms, char *buf, size_t len);
/* The same in at most 8 columns, for tables: "850 ms", "2,1 s", "45 s",
 * "4m56s", "2h03m", "3d04h"; "-" when ms < 0. */
void i18n_format_duration_short(int64_t ms, char *buf, size_t len);
/* i18n_format_duration in whole seconds (truncated), for times that tick
 * while shown (an age, a running step) or are only estimates: no tenths,
 * "0 ms" under a second; "-" when ms < 0 (unknown). */
void i18n_format_elapsed(int64_t ms, char *buf, size_t len);
/* Wall-clock time of day in the locale's format; "-" for 0. */
void i18n_format_time(int64_t wall_ms, char *buf, size_t len);
/* Hours and minutes only, for the clock: "14:05". */
void i18n_format_clock(int64_t wall_ms, char *buf, size_t len);
/* Date and time: the locale's date then its time. */
void i18n_format_datetime(int64_t wall_ms, char *buf, size_t len);
/* value with `decimals` digits after the locale's separator. */
void i18n_format_decimal(double value, int decimals, char *buf, size_t len);
/* Bytes in KiB/MiB/GiB with one decimal: "12,5 MiB". */
void i18n_format_bytes(int64_t bytes, char *buf, size_t len);
/* Thousands grouped with a thin space: "12 345". */
void i18n_format_count(int64_t n, char *buf, size_t len);

#endif
