/* tlsclient.h: what every wfmon client does the same way over TLS: which
 * certificates it trusts, the certificate it shows when the daemon asks for
 * one, and the words it uses when the daemon's certificate is refused.
 *
 * The trust is the system's CA store (OpenSSL's default paths), or only the
 * CA file given (--ca-file): a private CA need not be installed system-wide.
 * The host name of the URL is always checked against the certificate (a
 * name, or an IP address). TLS 1.2 at least. Used by the lean client
 * (wsclient.h, through tlsc_ctx_new) and by the libwebsockets client
 * (wslink.h, which hands the files to lws after tlsc_files_check). */
#ifndef WFMON_TLSCLIENT_H
#define WFMON_TLSCLIENT_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;

struct tlsc_files {
	const char *ca_file;     /* NULL: the system's CA store */
	const char *cert_file;   /* a client certificate (PEM), NULL: none */
	const char *key_file;    /* its key; needed with cert_file */
};

/* Reads the files the way OpenSSL will, so that a wrong one is named before
 * any connection: the CA file holds certificates, the key is the
 * certificate's. Returns 0, or -1 with a cause naming the option and file. */
int tlsc_files_check(const struct tlsc_files *f, char *cause, size_t causelen);

/* A client context with the trust and client certificate of f, verifying
 * peers, TLS 1.2 and 1.3 only. NULL with a cause. Free with SSL_CTX_free. */
SSL_CTX *tlsc_ctx_new(const struct tlsc_files *f, char *cause, size_t causelen);

/* The sentence for a certificate the client refused: verify_result is
 * OpenSSL's X509_V_ERR_* (SSL_get_verify_result), host:port the daemon's,
 * ca_file the trust given (NULL: the system's). Says what to do: give the
 * CA with --ca-file, use the name the certificate is for, renew it. */
void tlsc_verify_explain(long verify_result, const char *host, int port, const char *ca_file, char *buf,
			 size_t len);

#endif
