/* tlsraw.h: a raw TLS connection for tests, with OpenSSL directly: whatever
 * bytes a test wants to send over TLS (a half request, an unmasked frame),
 * and what the peer's certificate is. */
#ifndef WFMON_TLSRAW_H
#define WFMON_TLSRAW_H

#include <stddef.h>
#include <sys/types.h>

struct tlsraw;

struct tlsraw_options {
	int port;               /* on 127.0.0.1 */
	const char *host;       /* the name to verify and send as SNI, e.g. "localhost" */
	const char *ca_file;    /* trust; NULL: verify nothing */
	const char *cert_file;  /* a client certificate, or NULL */
	const char *key_file;
	int max_version;        /* e.g. TLS1_1_VERSION to see it refused; 0: any */
};

/* Connects and completes the handshake. NULL with a sentence in err. */
struct tlsraw *tlsraw_open(const struct tlsraw_options *o, char *err, size_t errlen);
/* Writes all of buf. 0 or -1. */
int tlsraw_write(struct tlsraw *t, const void *buf, size_t len);
/* Reads what comes within timeout_ms: the bytes, 0 at the end of the
 * connection, -1 on timeout or error. */
ssize_t tlsraw_read(struct tlsraw *t, void *buf, size_t len, int timeout_ms);
/* The peer certificate's serial number, as decimal text (malloc'd). */
char *tlsraw_peer_serial(struct tlsraw *t);
void tlsraw_close(struct tlsraw *t);

/* One HTTPS request (the whole text) and its answer: the status, the body
 * copied to body. -1 when the connection or the handshake failed. */
int tlsraw_http(const struct tlsraw_options *o, const char *request, char *body, size_t bodylen);

#endif
