/* tls.h: HTTPS and WSS on wfmond's listener (OpenSSL, through lws 4.1.6).
 *
 * With tls-cert and tls-key set, the listener speaks TLS 1.2 and 1.3 only,
 * with the ciphers of tls-ciphers (1.2) and tls-ciphersuites (1.3), no
 * renegotiation, no compression, ALPN http/1.1 (no HTTP/2); with
 * tls-client-ca, every client must show a certificate that CA signed. A plain
 * listener stays possible (no tls-cert): loopback, or behind a proxy.
 *
 * The credentials (certificate chain, key, client CA) are read by this
 * module, not by lws, so that start-up and SIGHUP read them the same way and
 * give the same clear errors: tls_creds_load reads and checks them without
 * touching what runs, tls_creds_apply puts them on the listener's SSL_CTX
 * (new handshakes use them; open connections keep theirs).
 *
 * Writing: flush.c writes frames past lws. A connection whose OpenSSL hands
 * the encryption to the kernel (kernel TLS, tls-ktls, checked per
 * connection with BIO_get_ktls_send) is written with send() like a plain
 * one; others go through tls_write. Loop thread only, except tls_write. */
#ifndef WFMON_TLS_H
#define WFMON_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct config;
struct lws;
struct lws_context_creation_info;
struct server;
struct tls_creds;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/* Reads and checks cfg's certificate chain, key and client CA. Returns new
 * credentials, or NULL with a cause ("tls-cert FILE: ...") that says what to
 * fix. */
struct tls_creds *tls_creds_load(const struct config *cfg, char *cause, size_t causelen);
void tls_creds_free(struct tls_creds *c);
/* "CN=... (issuer CN=...), valid until 2027-01-01" for the log. */
void tls_creds_describe(const struct tls_creds *c, char *buf, size_t len);

/* Fills the lws context fields TLS needs (options, ALPN). The credentials
 * themselves go on in tls_ctx_ready. */
void tls_context_info(const struct config *cfg, struct lws_context_creation_info *info);
/* LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS: lws made the
 * listener's SSL_CTX; this sets versions, options and ciphers and puts creds
 * on it (borrowed: applied, not kept). Returns -1 (lws then fails) with the
 * reason logged. */
int tls_ctx_ready(struct server *s, SSL_CTX *ctx, const struct tls_creds *creds);
/* Puts new credentials on the running listener (a reload). */
void tls_creds_apply(struct server *s, const struct tls_creds *creds);

/* How flush.c writes to one connection. */
enum tls_mode {
	TLS_NONE,      /* plain TCP: send() */
	TLS_KERNEL,    /* OpenSSL handed the encryption to the kernel: send() of plain text */
	TLS_OPENSSL,   /* tls_write */
};
/* The connection's mode, decided once it is established (the handshake is
 * done); *ssl is its SSL (NULL for TLS_NONE). Also turns on partial writes
 * on it, which tls_write needs (lws copes with them). */
enum tls_mode tls_conn_mode(struct lws *wsi, SSL **ssl);

/* Writes up to len bytes of buf through ssl, one TLS record after another,
 * from any thread (the loop waits meanwhile). Returns the bytes the socket
 * took whole (0 or more), or -1 with *err set when the connection failed.
 * *held is true when OpenSSL began a record it could not finish: the bytes
 * from the return value on must be the next ones offered to ssl, whoever
 * writes next (flush.c hands them to lws, which retries them first). */
ssize_t tls_write(SSL *ssl, const void *buf, size_t len, bool *held, int *err);

#endif
