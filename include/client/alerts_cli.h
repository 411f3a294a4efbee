/* alerts_cli.h: `wfmon alerts`: alert rules and alerts from the command line.
 *
 *   wfmon alerts list                 active and recent alerts
 *   wfmon alerts rules                the rules (secrets masked)
 *   wfmon alerts create FILE|-        a new rule from JSON (see wfmon-protocol(7))
 *   wfmon alerts update FILE|-        a changed rule (the JSON carries its id)
 *   wfmon alerts delete|enable|disable RULE_ID
 *   wfmon alerts ack|resolve ALERT_ID [--note TEXT]
 *   wfmon alerts escalate ALERT_ID
 *
 * Command-line parsing of the connection options and the token/URL lookup live
 * in main.c; this module gets resolved values. */
#ifndef WFMON_ALERTS_CLI_H
#define WFMON_ALERTS_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cli_action_options;


/* 0 on success, 1 when the daemon refused or could not be reached, 2 for usage errors. */
int alerts_cli_run(const struct cli_action_options *opt);
void alerts_cli_usage(FILE *f);

#endif
