/* tls.c: wfmond's TLS listener (see tls.h).
 *
 * Owns the credentials read from the files (certificate chain, key, client
 * CA), the settings of the listener's SSL_CTX, and the record-by-record write
 * flush.c uses past lws. Invariants: credentials are checked whole before
 * anything running is touched (the key belongs to the certificate, the CA
 * file holds certificates); the SSL_CTX is lws's, borrowed for the daemon's
 * life, and changed only on the loop thread between lws callbacks; a cause
 * never holds key material. */
#include "tls.h"

#include <errno.h>
#include <limits.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "keyfile.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

#define TLS_MAX_FILE (1024 * 1024)

struct tls_creds {
	X509 *leaf;
	STACK_OF(X509) *chain;          /* intermediates, may be empty */
	EVP_PKEY *key;
	X509_STORE *client_store;       /* NULL: no client certificates asked for */
	STACK_OF(X509_NAME) *client_names;
	char desc[512];
};

/* The last OpenSSL error as words, and the queue emptied. */
static const char *ssl_error_text(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, len, "no detail from OpenSSL");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* Refuses to ask for a passphrase: the daemon runs unattended. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static BIO *file_bio(const char *path, const char *what, char *cause, size_t causelen)
{
	size_t len = 0;
	unsigned char *text = keyfile_read(path, what, TLS_MAX_FILE, &len, cause, causelen);
	if (text == NULL)
		return NULL;
	/* The BIO reads from a copy it owns, so the key text can be wiped here. */
	BIO *bio = BIO_new(BIO_s_mem());
	if (bio != NULL && BIO_write(bio, text, (int)len) != (int)len) {
		BIO_free(bio);
		bio = NULL;
	}
	explicit_bzero(text, len);
	free(text);
	if (bio == NULL)
		snprintf(cause, causelen, "out of memory reading %s %s", what, path);
	return bio;
}

static void name_line(X509_NAME *name, char *buf, size_t len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	buf[0] = '\0';
	if (mem == NULL)
		return;
	X509_NAME_print_ex(mem, name, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	char *data;
	long n = BIO_get_mem_data(mem, &data);
	snprintf(buf, len, "%.*s", (int)(n > 0 ? n : 0), data);
	BIO_free(mem);
}

static void time_line(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		snprintf(buf, len, "(unknown)");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
}

static int chain_load(struct tls_creds *c, const char *path, char *cause, size_t causelen)
{
	BIO *bio = file_bio(path, "tls-cert", cause, causelen);
	if (bio == NULL)
		return -1;
	c->leaf = PEM_read_bio_X509_AUX(bio, NULL, no_passphrase, NULL);
	c->chain = sk_X509_new_null();
	X509 *x;
	while (c->leaf != NULL && (x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		sk_X509_push(c->chain, x);
	ERR_clear_error();
	BIO_free(bio);
	if (c->leaf == NULL) {
		snprintf(cause, causelen, "tls-cert %s holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\"): "
					  "give the server's certificate, then its intermediates", path);
		return -1;
	}
	return 0;
}

static int key_load(struct tls_creds *c, const char *path, const char *cert_path, char *cause, size_t causelen)
{
	BIO *bio = file_bio(path, "tls-key", cause, causelen);
	if (bio == NULL)
		return -1;
	c->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (c->key == NULL) {
		char err[200];
		snprintf(cause, causelen, "tls-key %s is not an unencrypted PEM private key (%s): wfmond "
					  "cannot ask for a passphrase; decrypt it with openssl pkey -in KEY -out "
					  "PLAIN.key and make it readable by the daemon's user only",
			 path, ssl_error_text(err, sizeof err));
		return -1;
	}
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		ERR_clear_error();
		snprintf(cause, causelen, "tls-key %s is not the key of the certificate in %s", path, cert_path);
		return -1;
	}
	return 0;
}

static int client_ca_load(struct tls_creds *c, const char *path, char *cause, size_t causelen)
{
	char err[200];
	c->client_store = X509_STORE_new();
	c->client_names = SSL_load_client_CA_file(path);
	if (c->client_store == NULL || X509_STORE_load_file(c->client_store, path) != 1 ||
	    c->client_names == NULL || sk_X509_NAME_num(c->client_names) == 0) {
		snprintf(cause, causelen, "tls-client-ca %s holds no PEM certificate OpenSSL can read (%s)", path,
			 ssl_error_text(err, sizeof err));
		return -1;
	}
	return 0;
}

/* The ciphers are restart-only settings, checked on a scratch context so that
 * a typo stops the daemon with its name rather than an lws log line. */
static int ciphers_check(const struct config *cfg, char *cause, size_t causelen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	int rc = 0;
	if (ctx == NULL) {
		snprintf(cause, causelen, "OpenSSL cannot make a TLS context");
		return -1;
	}
	if (SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers) != 1) {
		snprintf(cause, causelen, "tls-ciphers: OpenSSL knows no cipher in '%s'", cfg->tls_ciphers);
		rc = -1;
	} else if (SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites) != 1) {
		snprintf(cause, causelen, "tls-ciphersuites: OpenSSL knows no TLS 1.3 suite in '%s'",
			 cfg->tls_ciphersuites);
		rc = -1;
	}
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return rc;
}

struct tls_creds *tls_creds_load(const struct config *cfg, char *cause, size_t causelen)
{
	struct tls_creds *c = xcalloc(1, sizeof *c);
	if (ciphers_check(cfg, cause, causelen) < 0 || chain_load(c, cfg->tls_cert, cause, causelen) < 0 ||
	    key_load(c, cfg->tls_key, cfg->tls_cert, cause, causelen) < 0 ||
	    (cfg->tls_client_ca != NULL && client_ca_load(c, cfg->tls_client_ca, cause, causelen) < 0)) {
		tls_creds_free(c);
		return NULL;
	}
	char subject[160], issuer[160], until[40];
	name_line(X509_get_subject_name(c->leaf), subject, sizeof subject);
	name_line(X509_get_issuer_name(c->leaf), issuer, sizeof issuer);
	time_line(X509_get0_notAfter(c->leaf), until, sizeof until);
	int late = X509_cmp_current_time(X509_get0_notAfter(c->leaf));
	int early = X509_cmp_current_time(X509_get0_notBefore(c->leaf));
	snprintf(c->desc, sizeof c->desc, "%s (issued by %s), valid until %s%s%s", subject, issuer, until,
		 late < 0 ? ": EXPIRED, clients will refuse it" : early > 0 ? ": NOT YET VALID" : "",
		 cfg->tls_client_ca ? "; client certificates required" : "");
	return c;
}

void tls_creds_free(struct tls_creds *c)
{
	if (c == NULL)
		return;
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	X509_STORE_free(c->client_store);
	sk_X509_NAME_pop_free(c->client_names, X509_NAME_free);
	free(c);
}

void tls_creds_describe(const struct tls_creds *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s", c->desc);
}

/* ---- the listener ---------------------------------------------------------------------- */

void tls_context_info(const struct config *cfg, struct lws_context_creation_info *info)
{
	if (cfg->tls_cert == NULL)
		return;
	/* lws makes the SSL_CTX and calls us back to fill it (tls_ctx_ready):
	 * it is given no file, so that one module reads them, at start-up and
	 * on SIGHUP alike. */
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_CREATE_VHOST_SSL_CTX;
	info->alpn = "http/1.1";
}

/* A client certificate the CA does not vouch for: said once, in words. */
static int client_cert_verified(int ok, X509_STORE_CTX *x)
{
	if (!ok) {
		int err = X509_STORE_CTX_get_error(x);
		log_info("TLS: a client certificate was refused: %s (depth %d)", X509_verify_cert_error_string(err),
			 X509_STORE_CTX_get_error_depth(x));
	}
	return ok;
}

static int creds_put(SSL_CTX *ctx, const struct tls_creds *c)
{
	if (SSL_CTX_use_cert_and_key(ctx, c->leaf, c->key, c->chain, 1) != 1)
		return -1;
	if (c->client_store != NULL) {
		if (X509_STORE_up_ref(c->client_store) != 1)
			return -1;
		SSL_CTX_set_cert_store(ctx, c->client_store);
		STACK_OF(X509_NAME) *names = SSL_dup_CA_list(c->client_names);
		if (names == NULL)
			return -1;
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, client_cert_verified);
	}
	return 0;
}

int tls_ctx_ready(struct server *s, SSL_CTX *ctx, const struct tls_creds *creds)
{
	char err[200];
	if (creds == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, 0);   /* the newest OpenSSL has: 1.3 */
	uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
	if (s->cfg.tls_ktls)
		opts |= SSL_OP_ENABLE_KTLS;
	SSL_CTX_set_options(ctx, opts);
	/* Client certificates and session resumption need a context id. */
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"wfmond", 6);
	if (SSL_CTX_set_cipher_list(ctx, s->cfg.tls_ciphers) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, s->cfg.tls_ciphersuites) != 1 || creds_put(ctx, creds) < 0) {
		log_error("TLS: the listener cannot take its settings: %s", ssl_error_text(err, sizeof err));
		return -1;
	}
	s->tls_ctx = ctx;
	return 0;
}

void tls_creds_apply(struct server *s, const struct tls_creds *creds)
{
	char err[200];
	if (s->tls_ctx == NULL)
		return;
	if (creds_put(s->tls_ctx, creds) < 0)
		/* Checked whole when loaded: only memory can fail here. */
		log_error("TLS: the new certificate could not be put in place: %s; new connections may fail "
			  "until the next reload", ssl_error_text(err, sizeof err));
}

/* ---- connections ------------------------------------------------------------------------ */

enum tls_mode tls_conn_mode(struct lws *wsi, SSL **ssl)
{
	SSL *t = lws_get_ssl(wsi);
	*ssl = t;
	if (t == NULL)
		return TLS_NONE;
	/* One record per SSL_write, so that a full socket loses no more than
	 * one record's worth of progress (tls_write). */
	SSL_set_mode(t, SSL_MODE_ENABLE_PARTIAL_WRITE);
	return BIO_get_ktls_send(SSL_get_wbio(t)) ? TLS_KERNEL : TLS_OPENSSL;
}

ssize_t tls_write(SSL *ssl, const void *buf, size_t len, bool *held, int *err)
{
	size_t off = 0;
	*held = false;
	*err = 0;
	while (off < len) {
		size_t chunk = len - off > INT_MAX ? INT_MAX : len - off;
		ERR_clear_error();
		errno = 0;
		int n = SSL_write(ssl, (const char *)buf + off, (int)chunk);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		int e = SSL_get_error(ssl, n);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			*held = true;
			break;
		}
		*err = e == SSL_ERROR_SYSCALL && errno != 0 ? errno : EPROTO;
		ERR_clear_error();
		return -1;
	}
	return (ssize_t)off;
}
