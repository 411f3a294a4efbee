/* dashboards_cli.h: `wfmon dashboards`: a user's dashboards from the command
 * line, so that a team can keep layouts in version control.
 *
 *   wfmon dashboards list [--user U]            name, widgets, default, last change
 *   wfmon dashboards export NAME [--user U]     the dashboard as JSON on standard output
 *   wfmon dashboards import FILE|- [--user U]   saves it (creates or replaces by its name)
 *   wfmon dashboards delete NAME [--user U]
 *   wfmon dashboards default NAME [--user U]    the one the console opens on
 *
 * --user names another user's dashboards (admins only). An exported file
 * imports as is: it carries no owner. A file is checked with the daemon's
 * own schema (dashboard.h) before any connection. */
#ifndef WFMON_DASHBOARDS_CLI_H
#define WFMON_DASHBOARDS_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cli_action_options;


/* 0 on success, 1 when the daemon refused or could not be reached, 2 for usage errors. */
int dashboards_cli_run(const struct cli_action_options *opt);
void dashboards_cli_usage(FILE *f);

#endif
