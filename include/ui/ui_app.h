/* ui_app.h: the full-screen console (`wfmon` with no subcommand).
 *
 * Owns the event loop: one poll() over the terminal and the connection, with
 * a timeout that is the nearest of the session's timer, the next frame and
 * the next visible tick, so that a dead server never freezes the keyboard and
 * an idle screen wakes at most once a second. */
#ifndef WFMON_UI_APP_H
#define WFMON_UI_APP_H

#include <stdbool.h>

struct endpoint;

/* The first view: the user's default dashboard, or the executions list. */
enum console_view { CONSOLE_VIEW_DASHBOARD, CONSOLE_VIEW_EXECUTIONS };

struct console_options {
	const char *url;          /* for the header */
	struct endpoint *ep;      /* where and as whom (its token is renewed: session.h) */
	const char *warning;      /* said once the screen is up (a token in clear text), or NULL */
	const char *theme;        /* NULL: "default" */
	const char *exec_id;      /* open this execution first, or NULL */
	enum console_view view;   /* --view: the first view */
	bool ascii, mono, readonly;
	bool no_bell;             /* never beep for alerts (--no-bell) */
	int stale_after_s;        /* > 0 */
};

/* Runs until the user quits or a signal; returns the exit status. */
int console_run(const struct console_options *opt);

#endif
