/* tlsraw.c: raw TLS connections for tests (see tlsraw.h). */
#include "tlsraw.h"

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tlsraw {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

void tlsraw_close(struct tlsraw *t)
{
	if (t == NULL)
		return;
	if (t->ssl)
		SSL_free(t->ssl);
	if (t->ctx)
		SSL_CTX_free(t->ctx);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

struct tlsraw *tlsraw_open(const struct tlsraw_options *o, char *err, size_t errlen)
{
	struct tlsraw *t = calloc(1, sizeof *t);
	t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (t->fd < 0 || connect(t->fd, (struct sockaddr *)&a, sizeof a) < 0) {
		snprintf(err, errlen, "connect: %s", strerror(errno));
		tlsraw_close(t);
		return NULL;
	}
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (o->max_version)
		SSL_CTX_set_max_proto_version(t->ctx, o->max_version);
	if (o->max_version && o->max_version < TLS1_2_VERSION) {
		SSL_CTX_set_min_proto_version(t->ctx, o->max_version);
		SSL_CTX_set_security_level(t->ctx, 0);
	}
	if (o->ca_file) {
		SSL_CTX_load_verify_file(t->ctx, o->ca_file);
		SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	}
	if (o->cert_file && (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert_file) != 1 ||
			     SSL_CTX_use_PrivateKey_file(t->ctx, o->key_file, SSL_FILETYPE_PEM) != 1)) {
		snprintf(err, errlen, "client certificate files");
		tlsraw_close(t);
		return NULL;
	}
	t->ssl = SSL_new(t->ctx);
	SSL_set_fd(t->ssl, t->fd);
	if (o->host) {
		SSL_set_tlsext_host_name(t->ssl, o->host);
		X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
		if (X509_VERIFY_PARAM_set1_ip_asc(p, o->host) != 1)
			X509_VERIFY_PARAM_set1_host(p, o->host, 0);
	}
	int rc = SSL_connect(t->ssl);
	if (rc != 1) {
		long v = SSL_get_verify_result(t->ssl);
		unsigned long e = ERR_get_error();
		snprintf(err, errlen, "handshake failed: %s",
			 v != X509_V_OK ? X509_verify_cert_error_string(v)
			 : e ? ERR_reason_error_string(e) : "connection closed");
		ERR_clear_error();
		tlsraw_close(t);
		return NULL;
	}
	return t;
}

int tlsraw_write(struct tlsraw *t, const void *buf, size_t len)
{
	return len == 0 || SSL_write(t->ssl, buf, (int)len) == (int)len ? 0 : -1;
}

ssize_t tlsraw_read(struct tlsraw *t, void *buf, size_t len, int timeout_ms)
{
	if (SSL_pending(t->ssl) == 0) {
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		if (poll(&p, 1, timeout_ms) <= 0)
			return -1;
	}
	int n = SSL_read(t->ssl, buf, (int)len);
	if (n > 0)
		return n;
	int e = SSL_get_error(t->ssl, n);
	ERR_clear_error();
	return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL || e == SSL_ERROR_SSL ? 0 : -1;
}

char *tlsraw_peer_serial(struct tlsraw *t)
{
	X509 *x = SSL_get1_peer_certificate(t->ssl);
	if (x == NULL)
		return NULL;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *dec = BN_bn2dec(bn);
	char *out = strdup(dec);
	OPENSSL_free(dec);
	BN_free(bn);
	X509_free(x);
	return out;
}

int tlsraw_http(const struct tlsraw_options *o, const char *request, char *body, size_t bodylen)
{
	char err[256];
	struct tlsraw *t = tlsraw_open(o, err, sizeof err);
	if (t == NULL)
		return -1;
	if (tlsraw_write(t, request, strlen(request)) < 0) {
		tlsraw_close(t);
		return -1;
	}
	char buf[65536];
	size_t got = 0;
	for (;;) {
		ssize_t n = tlsraw_read(t, buf + got, sizeof buf - 1 - got, 5000);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (http_response_done(buf, got, sizeof buf))
			break;
	}
	tlsraw_close(t);
	buf[got] = '\0';
	return http_response_parse(buf, body, bodylen);
}
