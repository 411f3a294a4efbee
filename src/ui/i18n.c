/* i18n.c: gettext set-up and locale-aware formatting (see i18n.h).
 *
 * Invariant: after i18n_init the process runs in the user's locale, or in
 * C.UTF-8 with LANGUAGE naming the user's language when the user's locale is
 * not installed (so LANG=pl_PL.UTF-8 shows Polish even before localedef). */
#include "i18n.h"

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "install_paths.h"

static char i18n_dir[PATH_MAX + 48];

bool i18n_dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void i18n_exe_dir(char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	buf[0] = '\0';
	if (n <= 0)
		return;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	snprintf(buf, len, "%s", path);
}

/* The locale the user asked for messages, as setlocale would read it. */
static const char *requested_locale(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

/* When the user's locale is missing, run in C.UTF-8 and let LANGUAGE carry
 * the language ("pl_PL.UTF-8" -> "pl_PL:pl"), which gettext honours there. */
static void locale_fallback(void)
{
	const char *want = requested_locale();
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "C");
	const char *language = getenv("LANGUAGE");
	if (want == NULL || (language != NULL && language[0] != '\0'))
		return;
	char lang[64];
	size_t n = strcspn(want, ".@");
	if (n == 0 || n >= sizeof lang || strcmp(want, "C") == 0 || strcmp(want, "POSIX") == 0)
		return;
	memcpy(lang, want, n);
	lang[n] = '\0';
	char value[160];
	size_t base = strcspn(lang, "_");
	snprintf(value, sizeof value, "%s:%.*s", lang, (int)base, lang);
	setenv("LANGUAGE", value, 0);
}

const char *i18n_init(void)
{
	if (setlocale(LC_ALL, "") == NULL)
		locale_fallback();
	const char *env = getenv("WFMON_LOCALEDIR");
	char dir[PATH_MAX];
	i18n_exe_dir(dir, sizeof dir);
	if (env != NULL && env[0] != '\0') {
		snprintf(i18n_dir, sizeof i18n_dir, "%s", env);
	} else {
		/* build/locale beside the build's binaries, else PREFIX/share/locale
		 * beside PREFIX/bin, else where it was built to be installed. */
		char local[PATH_MAX + 24], installed[PATH_MAX + 24];
		snprintf(local, sizeof local, "%s/locale", dir);
		snprintf(installed, sizeof installed, "%s/../share/locale/pl", dir);
		if (dir[0] != '\0' && i18n_dir_exists(local))
			snprintf(i18n_dir, sizeof i18n_dir, "%s", local);
		else if (dir[0] != '\0' && i18n_dir_exists(installed))
			snprintf(i18n_dir, sizeof i18n_dir, "%s/../share/locale", dir);
		else
			snprintf(i18n_dir, sizeof i18n_dir, "%s", WFMON_LOCALEDIR);
	}
	bindtextdomain(I18N_DOMAIN, i18n_dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
	return i18n_dir;
}

const char *i18n_pgettext(const char *ctx_and_id, const char *id)
{
	const char *t = gettext(ctx_and_id);
	return t == ctx_and_id ? id : t;
}

const char *i18n_decimal_point(void)
{
	const char *dp = localeconv()->decimal_point;
	if (dp != NULL && strcmp(dp, ".") != 0 && dp[0] != '\0')
		return dp;
	/* LC_NUMERIC is C while LANGUAGE chose the language: ask the catalogue. */
	/* TRANSLATORS: the decimal separator of your language, "," in Polish. */
	return C_("decimal separator", ".");
}

void i18n_format_decimal(double value, int decimals, char *buf, size_t len)
{
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	double scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	bool neg = value < 0;
	long long fixed = llround(fabs(value) * scale);
	long long whole = fixed / (long long)scale;
	long long frac = fixed % (long long)scale;
	if (decimals == 0)
		snprintf(buf, len, "%s%lld", neg ? "-" : "", whole);
	else
		snprintf(buf, len, "%s%lld%s%0*lld", neg ? "-" : "", whole, i18n_decimal_point(),
			 decimals, frac);
}

void i18n_format_duration_short(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;
	if (ms < 10000 || (s < 60 && ms % 1000 == 0))
		i18n_format_duration(ms, buf, len);
	else if (s < 60)
		snprintf(buf, len, _("%d s"), (int)s);
	else if (s < 3600)
		snprintf(buf, len, _("%dm%02ds"), (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, _("%dh%02dm"), (int)(s / 3600), (int)(s % 3600 / 60));
	else
		snprintf(buf, len, _("%dd%02dh"), (int)(s / 86400), (int)(s % 86400 / 3600));
}

void i18n_format_duration(int64_t ms, char *buf, size_t len)
{
	if (ms < 0) {
		snprintf(buf, len, "-");
		return;
	}
	int64_t s = ms / 1000;
	if (ms < 1000) {
		snprintf(buf, len, _("%d ms"), (int)ms);
	} else if (ms < 10000 && ms % 1000 != 0) {
		char num[32];
		i18n_format_decimal((double)(ms / 100) / 10.0, 1, num, sizeof num);
		snprintf(buf, len, _("%s s"), num);
	} else if (s < 60 || ms < 10000) {
		snprintf(buf, len, _("%d s"), (int)s);
	} else if (s < 3600) {
		snprintf(buf, len, _("%d min %d s"), (int)(s / 60), (int)(s % 60));
	} else if (s < 86400) {
		snprintf(buf, len, _("%d h %d min"), (int)(s / 3600), (int)(s % 3600 / 60));
	} else {
		snprintf(buf, len, _("%d d %d h"), (int)(s / 86400), (int)(s % 86400 / 3600));
	}
}

void i18n_format_elapsed(int64_t ms, char *buf, size_t len)
{
	i18n_format_duration(ms < 0 ? -1 : ms / 1000 * 1000, buf, len);
}

static void format_wall(int64_t wall_ms, const char *fmt, char *buf, size_t len)
{
	if (wall_ms <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	if (strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "-");
}

void i18n_format_time(int64_t wall_ms, char *buf, size_t len)
{
	format_wall(wall_ms, nl_langinfo(T_FMT), buf, len);
}

void i18n_format_clock(int64_t wall_ms, char *buf, size_t len)
{
	/* TRANSLATORS: strftime format of the header's clock (24-hour). */
	format_wall(wall_ms, _("%H:%M"), buf, len);
}

void i18n_format_datetime(int64_t wall_ms, char *buf, size_t len)
{
	char fmt[64];
	snprintf(fmt, sizeof fmt, "%s %s", nl_langinfo(D_FMT), nl_langinfo(T_FMT));
	format_wall(wall_ms, fmt, buf, len);
}

void i18n_format_bytes(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { N_("B"), N_("KiB"), N_("MiB"), N_("GiB"), N_("TiB") };
	if (bytes < 0) {
		snprintf(buf, len, "-");
		return;
	}
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	char num[32];
	i18n_format_decimal(v, u == 0 ? 0 : 1, num, sizeof num);
	snprintf(buf, len, "%s %s", num, _(units[u]));
}

void i18n_format_count(int64_t n, char *buf, size_t len)
{
	char digits[32];
	snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
	/* TRANSLATORS: the thousands separator of your language ("," in English, " " in Polish). */
	const char *sep = C_("thousands separator", ",");
	size_t nd = strlen(digits), k = 0;
	char out[64];
	if (n < 0)
		out[k++] = '-';
	for (size_t i = 0; i < nd && k + 8 < sizeof out; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			for (const char *p = sep; *p && k + 8 < sizeof out; p++)
				out[k++] = *p;
		out[k++] = digits[i];
	}
	out[k] = '\0';
	snprintf(buf, len, "%s", out);
}
