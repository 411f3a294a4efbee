/* service.h: what wfmond tells its service manager (systemd's sd_notify
 * protocol, through libsystemd): READY=1 once it serves, RELOADING=1 and
 * READY=1 around a SIGHUP reload, STOPPING=1 when the drain begins, a STATUS
 * line, and WATCHDOG=1 pings from the event loop while WatchdogSec= is set.
 *
 * Without NOTIFY_SOCKET (not started by systemd, or not Type=notify) every
 * call does nothing. Loop thread only. */
#ifndef WFMON_SERVICE_H
#define WFMON_SERVICE_H

#include <stdarg.h>

struct ev_loop;

/* The listener is up and the spool open: the daemon serves. */
void service_ready(const char *status_fmt, ...) __attribute__((format(printf, 1, 2)));
void service_reloading(void);
void service_stopping(void);
void service_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Starts the watchdog pings on loop when the manager asked for them
 * (WATCHDOG_USEC), at half its interval: a loop that stops turning stops
 * them, and systemd restarts the daemon. */
void service_watchdog_start(struct ev_loop *loop);
void service_watchdog_stop(struct ev_loop *loop);

#endif
