/* keyfile.c: small secret and key files (see keyfile.h). */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

unsigned char *keyfile_read(const char *path, const char *what, size_t max, size_t *len, char *cause,
			    size_t causelen)
{
	if (path == NULL || path[0] == '\0') {
		snprintf(cause, causelen, "no %s given", what);
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(cause, causelen, "cannot open %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		snprintf(cause, causelen, "%s %s is not a readable file", what, path);
		close(fd);
		return NULL;
	}
	unsigned char *buf = malloc(max + 2);
	if (buf == NULL) {
		snprintf(cause, causelen, "out of memory reading %s %s", what, path);
		close(fd);
		return NULL;
	}
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, max + 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(cause, causelen, "cannot read %s %s: %s", what, path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			snprintf(cause, causelen, "%s %s is larger than %zu KiB: it is not a key", what, path,
				 max / 1024);
			goto fail;
		}
	}
	close(fd);
	if (have == 0) {
		snprintf(cause, causelen, "%s %s is empty", what, path);
		free(buf);
		return NULL;
	}
	buf[have] = '\0';
	*len = have;
	return buf;
fail:
	explicit_bzero(buf, max + 2);
	free(buf);
	close(fd);
	return NULL;
}
