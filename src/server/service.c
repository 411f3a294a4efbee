/* service.c: sd_notify to the service manager (see service.h).
 *
 * The watchdog ping is a libev timer of the event loop itself, so it proves
 * the loop turns; its interval is half of what systemd allows. */
#include "service.h"

#include <ev.h>
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "log.h"

static ev_timer watchdog_timer;

static void notify(const char *state)
{
	/* 0: no manager listening; <0: it went away. Neither stops the daemon. */
	if (sd_notify(0, state) < 0)
		log_debug("sd_notify(%s) failed", state);
}

static void notify_with_status(const char *state, const char *fmt, va_list ap)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s%sSTATUS=", state, state[0] ? "\n" : "");
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	notify(msg);
}

void service_ready(const char *status_fmt, ...)
{
	va_list ap;
	va_start(ap, status_fmt);
	notify_with_status("READY=1", status_fmt, ap);
	va_end(ap);
}

void service_reloading(void)
{
	notify("RELOADING=1\nSTATUS=reloading the configuration");
}

void service_stopping(void)
{
	notify("STOPPING=1\nSTATUS=draining connections");
}

void service_status(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	notify_with_status("", fmt, ap);
	va_end(ap);
}

static void watchdog_ping(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	notify("WATCHDOG=1");
}

void service_watchdog_start(struct ev_loop *loop)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	double every = (double)usec / 2e6;
	ev_timer_init(&watchdog_timer, watchdog_ping, every, every);
	ev_timer_start(loop, &watchdog_timer);
	notify("WATCHDOG=1");
	log_info("systemd watchdog: pinging every %.1f s", every);
}

void service_watchdog_stop(struct ev_loop *loop)
{
	if (ev_is_active(&watchdog_timer))
		ev_timer_stop(loop, &watchdog_timer);
}
