/* conffile.c: the "key = value" settings format (see conffile.h).
 *
 * Invariants: the parser never writes to the text it is given (each line is
 * copied to a bounded buffer, or to the heap when longer); every buffer that
 * held file text is wiped before it is freed. */
#include "conffile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"
#include "xalloc.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims s in place (s is a NUL-terminated copy). */
static char *trim(char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Cuts the comment off a line copy: a '#' at its start or after a blank. */
static void cut_comment(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p == '#' && (p == s || is_blank(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

int conffile_parse(const char *text, size_t len, const char *name, const char *expected, conffile_fn fn,
		   void *arg, char *cause, size_t causelen)
{
	char small[512];
	int lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - pos;
		lineno++;
		char *line = n < sizeof small ? small : xmalloc(n + 1);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = end + 1;
		cut_comment(line);
		char *s = trim(line);
		int rc = 0;
		if (*s != '\0') {
			char *eq = strchr(s, '=');
			if (eq == NULL) {
				snprintf(cause, causelen, "%s:%d: expected %s", name, lineno,
					 expected != NULL ? expected : "\"key = value\"");
				rc = -1;
			} else {
				*eq = '\0';
				char why[512];
				why[0] = '\0';
				if (fn(trim(s), trim(eq + 1), arg, why, sizeof why) != 0) {
					snprintf(cause, causelen, "%s:%d: %s", name, lineno, why);
					rc = -1;
				}
			}
		}
		explicit_bzero(line, n + 1);
		if (line != small)
			free(line);
		if (rc != 0)
			return -1;
	}
	return 0;
}

char *conffile_read(const char *path, size_t max, size_t *len, char *cause, size_t causelen)
{
	char *text = (char *)keyfile_read(path, "file", max, len, cause, causelen);
	if (text == NULL) {
		int e = errno;
		if (e == ENODATA) {   /* empty: an empty text */
			*len = 0;
			return xstrdup("");
		}
		if (e == EFBIG)
			snprintf(cause, causelen, "%s is larger than %zu KiB", path, max / 1024);
		else if (e == EISDIR)
			snprintf(cause, causelen, "%s is not a readable file", path);
		else if (e != ENOMEM)
			snprintf(cause, causelen, "%s: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	if (memchr(text, '\0', *len) != NULL) {
		snprintf(cause, causelen, "%s is not a text file (it holds a NUL byte)", path);
		conffile_text_free(text, *len);
		errno = EILSEQ;
		return NULL;
	}
	return text;
}

void conffile_text_free(char *text, size_t len)
{
	if (text == NULL)
		return;
	explicit_bzero(text, len);
	free(text);
}

int conffile_load(const char *path, size_t max, const char *expected, conffile_fn fn, void *arg,
		  char *cause, size_t causelen)
{
	size_t len;
	char *text = conffile_read(path, max, &len, cause, causelen);
	if (text == NULL)
		return -1;
	int rc = conffile_parse(text, len, path, expected, fn, arg, cause, causelen);
	conffile_text_free(text, len);
	errno = 0;
	return rc;
}
