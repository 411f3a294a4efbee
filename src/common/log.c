/* log.c: timestamped single-line messages on stderr, filtered by level. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "names.h"

static enum log_level current_level = LOG_INFO;
static const char *current_ident = "wfmon";

static const char *const level_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

int log_level_parse(const char *name, enum log_level *out)
{
	int i = names_find(level_names, sizeof level_names / sizeof level_names[0], name);
	if (i < 0)
		return -1;
	*out = (enum log_level)i;
	return 0;
}

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }
void log_set_ident(const char *ident) { current_ident = ident; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;

	struct timespec ts;
	struct tm tm;
	char stamp[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);

	/* Build the whole line first so that concurrent writers never interleave. */
	char line[2048];
	int n = snprintf(line, sizeof line, "%s.%03ldZ %s[%s] ", stamp, ts.tv_nsec / 1000000,
			 current_ident, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	fwrite(line, 1, len, stderr);
}
