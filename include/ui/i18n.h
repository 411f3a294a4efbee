/* i18n.h: messages, and the language numbers are written in, for the console.
 *
 * Every string a person reads goes through _() (gettext, text domain
 * "wfmon"); N_() marks strings in tables that are translated where they are
 * shown. i18n_init finds the catalogues: $WFMON_LOCALEDIR if set, else the
 * "locale" folder next to the executable when it exists (the build tree),
 * else the installed WFMON_LOCALEDIR. Numbers, durations, sizes and dates are
 * fmt.h's, in the language of the catalogue in use (i18n_lang). */
#ifndef WFMON_I18N_H
#define WFMON_I18N_H

#include <libintl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define _(s) gettext(s)
#define N_(s) (s)
/* A message with a context, for short words that mean different things. */
#define C_(ctx, s) i18n_pgettext(ctx "\004" s, s)

#define I18N_DOMAIN "wfmon"

/* setlocale(LC_ALL, "") and the text domain. Returns the folder bound. */
const char *i18n_init(void);
const char *i18n_pgettext(const char *ctx_and_id, const char *id);
/* The folder of the running executable (/proc/self/exe), or "" when it
 * cannot be told; the console finds its catalogues and themes from it. */
void i18n_exe_dir(char *buf, size_t len);
bool i18n_dir_exists(const char *path);

/* The language of the catalogue in use (the one _() reads from), so that
 * numbers follow the words: Polish words, Polish numbers. */
enum fmt_lang i18n_lang(void);

/* fmt.h's functions in i18n_lang(): the console's views call these. */
void i18n_format_decimal(double value, int decimals, char *buf, size_t len);
void i18n_format_percent(double pct, int decimals, char *buf, size_t len);
void i18n_format_value(double value, char *buf, size_t len);
void i18n_format_duration(double ms, char *buf, size_t len);      /* known exactly */
/* The same in at most 8 columns, for tables: "850 ms", "2.1 s", "45 s",
 * "4m56s", "2h03m", "3d04h" (the larger units truncated); "-" when ms < 0. */
void i18n_format_duration_short(int64_t ms, char *buf, size_t len);
void i18n_format_elapsed(int64_t ms, char *buf, size_t len);      /* ticks: whole seconds, down */
void i18n_format_remaining(int64_t ms, char *buf, size_t len);    /* a countdown: whole seconds, up */
void i18n_format_time(int64_t wall_ms, char *buf, size_t len);    /* 05:24:37 */
void i18n_format_clock(int64_t wall_ms, char *buf, size_t len);   /* 05:24 */
void i18n_format_datetime(int64_t wall_ms, char *buf, size_t len);/* 2026-11-23 05:24:37 */
void i18n_format_bytes(int64_t bytes, char *buf, size_t len);
void i18n_format_count(int64_t n, char *buf, size_t len);

#endif
