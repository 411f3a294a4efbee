/* log.h: the one place messages for operators are written (stderr, one line each).
 *
 * Under systemd, when stderr is journald's stream, each line carries a syslog
 * priority prefix ("<3>" error ... "<7>" debug) and no timestamp of its own;
 * elsewhere "2026-01-02T03:04:05.678Z ident[level] message".
 *
 * Every error is logged once, where it is handled, never where it is merely passed
 * up. Nothing passed to these functions may contain a token or a secret. */
#ifndef WFMON_LOG_H
#define WFMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Parses "error", "warn", "info" or "debug"; returns -1 for anything else. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefixes every line with this name (borrowed, must outlive logging). */
void log_set_ident(const char *ident);

/* True when stderr is the stream journald connected (JOURNAL_STREAM). */
bool log_stderr_is_journal(void);
/* Chooses the line format again (after stderr was redirected). */
void log_redetect(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) \
	do { if (log_get_level() >= LOG_DEBUG) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
