/* tlsclient.c: the clients' side of TLS (see tlsclient.h).
 *
 * Invariants: a context made here always verifies the peer (there is no
 * option to turn that off); a cause names the file and the option, never a
 * key's content. */
#include "tlsclient.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

static void ssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	if (e == 0)
		snprintf(buf, len, "no detail from OpenSSL");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

/* Loads f into ctx; -1 with a cause. */
static int files_load(SSL_CTX *ctx, const struct tlsc_files *f, char *cause, size_t causelen)
{
	char err[200];
	if (f->ca_file != NULL) {
		if (SSL_CTX_load_verify_file(ctx, f->ca_file) != 1) {
			ssl_error(err, sizeof err);
			snprintf(cause, causelen, "--ca-file %s: no PEM certificate OpenSSL can read (%s)", f->ca_file,
				 err);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		ssl_error(err, sizeof err);
		snprintf(cause, causelen, "the system's CA certificates cannot be read (%s): give --ca-file",
			 err);
		return -1;
	}
	if ((f->cert_file == NULL) != (f->key_file == NULL)) {
		snprintf(cause, causelen, "a client certificate needs both --cert FILE and --key FILE");
		return -1;
	}
	if (f->cert_file != NULL) {
		if (SSL_CTX_use_certificate_chain_file(ctx, f->cert_file) != 1) {
			ssl_error(err, sizeof err);
			snprintf(cause, causelen, "--cert %s: no PEM certificate OpenSSL can read (%s)", f->cert_file,
				 err);
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, f->key_file, SSL_FILETYPE_PEM) != 1) {
			ssl_error(err, sizeof err);
			snprintf(cause, causelen, "--key %s: not an unencrypted PEM private key (%s)", f->key_file,
				 err);
			return -1;
		}
		if (SSL_CTX_check_private_key(ctx) != 1) {
			ERR_clear_error();
			snprintf(cause, causelen, "--key %s is not the key of the certificate in %s", f->key_file,
				 f->cert_file);
			return -1;
		}
	}
	return 0;
}

/* OpenSSL asks for a passphrase on the terminal otherwise: the console owns it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

SSL_CTX *tlsc_ctx_new(const struct tlsc_files *f, char *cause, size_t causelen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		snprintf(cause, causelen, "OpenSSL cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* A buffer that moves between two tries of a write (the lean client
	 * grows its own), and one record per write. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (files_load(ctx, f, cause, causelen) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int tlsc_files_check(const struct tlsc_files *f, char *cause, size_t causelen)
{
	SSL_CTX *ctx = tlsc_ctx_new(f, cause, causelen);
	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ctx);
	return 0;
}

void tlsc_verify_explain(long verify_result, const char *host, int port, const char *ca_file, char *buf,
			 size_t len)
{
	const char *what = X509_verify_cert_error_string(verify_result);
	switch (verify_result) {
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		snprintf(buf, len, "the TLS certificate of %s:%d is not for %s (%s): connect with a name the "
				   "certificate lists", host, port, host, what);
		return;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(buf, len, "the TLS certificate of %s:%d is refused: %s (check the clocks, renew it)",
			 host, port, what);
		return;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		if (ca_file != NULL)
			snprintf(buf, len, "the TLS certificate of %s:%d is not signed by the CA in %s (%s)", host,
				 port, ca_file, what);
		else
			snprintf(buf, len, "the TLS certificate of %s:%d is not signed by a CA this system trusts "
					   "(%s): give the CA that signed it with --ca-file FILE", host, port, what);
		return;
	default:
		snprintf(buf, len, "the TLS certificate of %s:%d is refused: %s", host, port, what);
		return;
	}
}
