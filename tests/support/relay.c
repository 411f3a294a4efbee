/* relay.c: see relay.h. The child relays with poll(2) and blocking writes
 * (test traffic is small); SIGUSR1 starts losing, SIGUSR2 stops, and the
 * child answers each switch by touching a pipe the parent waits on. */
#include "relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RELAY_MAX 64

static volatile sig_atomic_t want_losing, switched;

static void on_signal(int sig)
{
	want_losing = sig == SIGUSR1;
	switched = 1;
}

static int listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int connect_loopback(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool write_all(int fd, const char *buf, ssize_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		buf += w;
		n -= w;
	}
	return true;
}

static void relay_main(int lfd, int to_port, int ready_fd)
{
	int cli[RELAY_MAX], srv[RELAY_MAX];
	size_t n = 0;
	bool losing = false;
	for (;;) {
		if (switched) {
			switched = 0;
			losing = want_losing;
			char c = losing ? 'L' : 'R';
			if (write(ready_fd, &c, 1) != 1)
				_exit(1);
		}
		struct pollfd p[1 + 2 * RELAY_MAX];
		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (size_t i = 0; i < n; i++) {
			p[1 + 2 * i] = (struct pollfd){ .fd = cli[i], .events = POLLIN };
			p[2 + 2 * i] = (struct pollfd){ .fd = srv[i], .events = POLLIN };
		}
		if (poll(p, 1 + 2 * n, 100) < 0)
			continue;   /* EINTR: a switch */
		for (size_t i = n; i-- > 0;) {
			char buf[65536];
			bool gone = false;
			if (p[1 + 2 * i].revents) {
				ssize_t r = read(cli[i], buf, sizeof buf);
				gone = r <= 0 || !write_all(srv[i], buf, r);
			}
			if (!gone && p[2 + 2 * i].revents) {
				ssize_t r = read(srv[i], buf, sizeof buf);
				/* Losing: the server ran what it answers; the answer goes nowhere. */
				gone = r <= 0 || losing || !write_all(cli[i], buf, r);
			}
			if (gone) {
				close(cli[i]);
				close(srv[i]);
				cli[i] = cli[n - 1];
				srv[i] = srv[n - 1];
				n--;
			}
		}
		if (p[0].revents & POLLIN) {
			int c = accept(lfd, NULL, NULL);
			int s = c >= 0 ? connect_loopback(to_port) : -1;
			if (s < 0 || n == RELAY_MAX) {
				if (c >= 0)
					close(c);
				if (s >= 0)
					close(s);
			} else {
				cli[n] = c;
				srv[n] = s;
				n++;
			}
		}
	}
}

int relay_start(struct relay *r, int to_port)
{
	int lfd = listen_loopback(&r->port);
	int pipefd[2];
	r->ready_fd = -1;
	if (lfd < 0 || pipe(pipefd) != 0)
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		close(pipefd[0]);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;   /* no SA_RESTART: poll wakes up */
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
		relay_main(lfd, to_port, pipefd[1]);
		_exit(0);
	}
	close(lfd);
	close(pipefd[1]);
	r->ready_fd = pipefd[0];
	return 0;
}

void relay_lose(struct relay *r, bool losing)
{
	kill(r->pid, losing ? SIGUSR1 : SIGUSR2);
	char c;
	while (read(r->ready_fd, &c, 1) == 1 && c != (losing ? 'L' : 'R'))
		;
}

void relay_stop(struct relay *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGTERM);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
	if (r->ready_fd >= 0) {
		close(r->ready_fd);
		r->ready_fd = -1;
	}
}
