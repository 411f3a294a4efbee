/* testca.c: a test certificate authority through the openssl command (see
 * testca.h). */
#include "testca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "testca: failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

int testca_make(struct testca *ca, const char *dir, const char *cn)
{
	memset(ca, 0, sizeof *ca);
	snprintf(ca->dir, sizeof ca->dir, "%s", dir);
	mkdir(dir, 0700);
	snprintf(ca->cert, sizeof ca->cert, "%s/ca.crt", dir);
	snprintf(ca->key, sizeof ca->key, "%s/ca.key", dir);
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s -out %s "
		 "-days 2 -subj '/CN=%s' -addext basicConstraints=critical,CA:TRUE "
		 "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null",
		 ca->key, ca->cert, cn);
	return run(cmd);
}

int testca_issue(const struct testca *ca, const char *name, const char *san, int days, int client, char *cert,
		 char *key)
{
	static int serial = 1000;
	char csr[400], ext[400], cmd[4096];
	snprintf(cert, 320, "%s/%s.crt", ca->dir, name);
	snprintf(key, 320, "%s/%s.key", ca->dir, name);
	snprintf(csr, sizeof csr, "%s/%s.csr", ca->dir, name);
	snprintf(ext, sizeof ext, "%s/%s.ext", ca->dir, name);
	FILE *f = fopen(ext, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "basicConstraints=CA:FALSE\nextendedKeyUsage=%s\n%s%s\n", client ? "clientAuth" : "serverAuth",
		san ? "subjectAltName=" : "", san ? san : "");
	fclose(f);
	snprintf(cmd, sizeof cmd,
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s -out %s -subj '/CN=%s' "
		 "2>/dev/null && openssl x509 -req -in %s -CA %s -CAkey %s -days %d -set_serial %d -extfile %s "
		 "-out %s 2>/dev/null",
		 key, csr, name, csr, ca->cert, ca->key, days, ++serial, ext, cert);
	return run(cmd);
}
