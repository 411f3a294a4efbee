/* keyfile.c: small secret and key files (see keyfile.h). */
#include "keyfile.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

unsigned char *keyfile_read(const char *path, const char *what, size_t max, size_t *len, char *cause,
			    size_t causelen)
{
	int e;
	if (path == NULL || path[0] == '\0') {
		snprintf(cause, causelen, "no %s given", what);
		errno = ENOENT;
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		snprintf(cause, causelen, "cannot open %s %s: %s", what, path, strerror(e));
		errno = e;
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		snprintf(cause, causelen, "%s %s is not a readable file", what, path);
		close(fd);
		errno = EISDIR;
		return NULL;
	}
	unsigned char *buf = malloc(max + 2);
	if (buf == NULL) {
		snprintf(cause, causelen, "out of memory reading %s %s", what, path);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, max + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			snprintf(cause, causelen, "cannot read %s %s: %s", what, path, strerror(e));
			goto fail;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			e = EFBIG;
			snprintf(cause, causelen, "%s %s is larger than %zu KiB: it is not a key", what, path,
				 max / 1024);
			goto fail;
		}
	}
	close(fd);
	if (have == 0) {
		snprintf(cause, causelen, "%s %s is empty", what, path);
		free(buf);
		errno = ENODATA;
		return NULL;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
fail:
	explicit_bzero(buf, max + 2);
	free(buf);
	close(fd);
	errno = e;
	return NULL;
}

static bool token_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int token_file_read(const char *path, char **out, char *cause, size_t causelen)
{
	size_t len = 0;
	char inner[256];
	char *text = (char *)keyfile_read(path, "token file", TOKEN_FILE_MAX, &len, inner, sizeof inner);
	if (text == NULL && errno != ENODATA) {
		snprintf(cause, causelen, "cannot read the token file %s: %s", path,
			 errno == EFBIG ? "larger than 64 KiB, it is not a token" : strerror(errno));
		return -1;
	}
	/* Trimmed in place; the whole buffer (len bytes) is wiped below. */
	const char *tok = text ? text : "";
	size_t n = text ? len : 0;
	while (n > 0 && token_space(*tok)) {
		tok++;
		n--;
	}
	while (n > 0 && token_space(tok[n - 1]))
		n--;
	/* memchr, not strpbrk: a NUL inside the file is not the end of the token. */
	bool ok = n > 0 && n <= TOKEN_FILE_MAX_TOKEN && memchr(tok, ' ', n) == NULL &&
		  memchr(tok, '\t', n) == NULL && memchr(tok, '\r', n) == NULL &&
		  memchr(tok, '\n', n) == NULL && memchr(tok, '\0', n) == NULL;
	if (ok)
		*out = xstrndup(tok, n);
	else
		snprintf(cause, causelen, "the token file %s must hold one token on one line; "
					  "write it with: wfmon token ... > %s", path, path);
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	return ok ? 0 : -1;
}
