/* log.c: single-line messages on stderr, filtered by level (see log.h).
 *
 * Two line formats, chosen once per process (and again by log_redetect):
 * on a terminal or a file, "TIMESTAMP IDENT[LEVEL] message"; when stderr is
 * the stream journald gave us (JOURNAL_STREAM names its device and inode),
 * "<PRIORITY>message": journald stamps the time and the program itself, and
 * reads the syslog priority from the prefix (journalctl -p warning). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* syslog(3) priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int level_priorities[] = {
	[LOG_ERROR] = 3, [LOG_WARN] = 4, [LOG_INFO] = 6, [LOG_DEBUG] = 7,
};

static bool to_journal;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void detect(void)
{
	to_journal = log_stderr_is_journal();
}

void log_redetect(void)
{
	pthread_once(&detect_once, detect);
	detect();
}

const char *log_level_name(enum log_level level)
{
	return (unsigned)level <= LOG_DEBUG ? level_names[level] : "unknown";
}

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }
void log_set_ident(const char *ident) { current_ident = ident; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > current_level)
		return;

	pthread_once(&detect_once, detect);
	/* Build the whole line first so that concurrent writers never interleave. */
	char line[2048];
	int n;
	if (to_journal) {
		n = snprintf(line, sizeof line, "<%d>", level_priorities[level]);
	} else {
		struct timespec ts;
		struct tm tm;
		char stamp[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof line, "%s.%03ldZ %s[%s] ", stamp, ts.tv_nsec / 1000000,
			     current_ident, level_names[level]);
	}
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
