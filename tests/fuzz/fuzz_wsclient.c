/* fuzz_wsclient.c: libFuzzer target: what a WebSocket server sends to the
 * client library (wsclient.c), through its real I/O path. The target listens
 * on a loopback port, lets a client connect, reads its upgrade request, and
 * answers with the input: after a valid 101 (first byte even: the frames
 * parser, close handling and reassembly are fuzzed) or as is (first byte
 * odd: the handshake parser). Then it closes its side and drives the client
 * until it has taken everything, popping every message. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "base64.h"
#include "wsclient.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int listener = -1;
static int port;

static void init(void)
{
	signal(SIGPIPE, SIG_IGN);
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 16) < 0 ||
	    getsockname(listener, (struct sockaddr *)&a, &len) < 0)
		abort();
	port = ntohs(a.sin_port);
}

/* Reads the client's request; returns the accept value for its key. */
static bool read_request(int fd, char *accept, size_t acceptlen)
{
	char req[4096];
	size_t got = 0;
	while (got < sizeof req - 1 && memmem(req, got, "\r\n\r\n", 4) == NULL) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			return false;
		ssize_t n = read(fd, req + got, sizeof req - 1 - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	req[got] = '\0';
	char *k = strcasestr(req, "Sec-WebSocket-Key: ");
	if (k == NULL)
		return false;
	k += 19;
	char key[128];
	size_t kl = strcspn(k, "\r\n");
	if (kl >= 64)
		return false;
	snprintf(key, sizeof key, "%.*s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", (int)kl, k);
	unsigned char sha[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)key, strlen(key), sha);
	return base64_encode(sha, sizeof sha, accept, acceptlen) > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (listener < 0)
		init();
	if (size == 0 || size > 1 << 20)
		return 0;
	char cause[256];
	struct wsc_config cfg = { .host = "127.0.0.1", .port = port, .path = "/", .subprotocol = "wfmon.v1" };
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	if (c == NULL)
		abort();
	/* Let it connect and write its request. */
	for (int i = 0; i < 100 && wsc_state(c) == WSC_CONNECTING; i++) {
		struct pollfd p = { .fd = wsc_fd(c), .events = wsc_poll_events(c) };
		if (poll(&p, 1, 10) > 0)
			wsc_io(c, p.revents);
	}
	int fd = accept(listener, NULL, NULL);
	if (fd < 0)
		abort();
	for (int i = 0; i < 10 && wsc_outbuf_len(c) > 0; i++)
		wsc_io(c, POLLOUT);
	char accept_value[64];
	if (read_request(fd, accept_value, sizeof accept_value)) {
		if (!(data[0] & 1)) {
			char head[256];
			int n = snprintf(head, sizeof head,
					 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
					 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
					 "Sec-WebSocket-Protocol: wfmon.v1\r\n\r\n", accept_value);
			(void)!write(fd, head, (size_t)n);
		}
		size_t off = 0;
		while (off < size - 1) {
			ssize_t n = write(fd, data + 1 + off, size - 1 - off);
			if (n <= 0)
				break;
			off += (size_t)n;
			/* Let the client read, so a large input never blocks us. */
			wsc_io(c, POLLIN);
			const char *m;
			size_t mlen;
			while (wsc_next(c, &m, &mlen) == 1)
				;
		}
	}
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 1000 && wsc_state(c) != WSC_CLOSED; i++) {
		struct pollfd p = { .fd = wsc_fd(c), .events = wsc_poll_events(c) | POLLIN };
		if (poll(&p, 1, 10) <= 0)
			break;
		wsc_io(c, p.revents);
		const char *m;
		size_t mlen;
		while (wsc_next(c, &m, &mlen) == 1)
			;
	}
	close(fd);
	wsc_free(c);
	return 0;
}
