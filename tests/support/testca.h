/* testca.h: a certificate authority made by the tests with the openssl
 * command: a CA, and certificates it signs for servers and clients. Files
 * live in a folder the caller gives (a test's temp folder). */
#ifndef WFMON_TESTCA_H
#define WFMON_TESTCA_H

#include <stddef.h>

struct testca {
	char dir[256];
	char cert[320];     /* the CA certificate (PEM): what clients trust */
	char key[320];
};

/* Makes a CA named cn in dir (created if needed). 0 or -1 (printed). */
int testca_make(struct testca *ca, const char *dir, const char *cn);
/* Signs a certificate for name (files NAME.crt and NAME.key in the CA's
 * folder, paths copied to cert and key, 320 bytes each), with the subject
 * alternative names san (e.g. "DNS:localhost"), for a server (serverAuth)
 * or a client (clientAuth), valid for days days. Each call gives a new
 * serial. 0 or -1. */
int testca_issue(const struct testca *ca, const char *name, const char *san, int days, int client, char *cert,
		 char *key);

#endif
