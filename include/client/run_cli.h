/* run_cli.h: reporting cron jobs and scripts to wfmond with no code to write.
 *
 *   wfmon run --workflow ID [--name NAME] [--label k=v]... -- COMMAND ARGS...
 *       runs COMMAND as one execution of the workflow: started, its output
 *       lines as log events (at most --log-rate a second; the rest counted
 *       and said), then completed or failed with its exit status (or the
 *       signal that killed it), duration, CPU time and peak memory from the
 *       kernel. The command's output passes through unchanged and its exit
 *       status is ours. WFMON_EXECUTION_ID and WFMON_WORKFLOW_ID are set for
 *       it, so that wfmon step and wfmon emit inside report to the same
 *       execution. An operator's cancel from the console stops it (SIGTERM,
 *       then SIGKILL) and it is reported cancelled.
 *   wfmon step NAME -- COMMAND ARGS...
 *       the same for one step of the current execution.
 *   wfmon emit KIND [key=value | key:=JSON]...  |  --json EVENT  |  -  |  --flush
 *       one event (or NDJSON from standard input), the common fields filled.
 *
 * Reporting never holds the command back: events go out as it runs; when
 * wfmond cannot be reached the command still runs, and at its end what was
 * not sent is kept in the outbox (outbox.h), sent by the next run, step or
 * emit, or dropped with a message when the outbox is full.
 *
 * Option parsing of the connection and the token/URL lookup live in main.c;
 * this module gets resolved values. */
#ifndef WFMON_RUN_CLI_H
#define WFMON_RUN_CLI_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>

struct run_cli_options {
	/* where and as whom: resolved by main.c */
	const char *url, *host, *path, *token;
	int port;
	SSL_CTX *tls;                    /* wss://: the context (borrowed); NULL: plain */
	const char *tls_ca_file;         /* the CA file it trusts, for messages; NULL: the system's */
	/* what the command exports to its children for wfmon step and emit */
	const char *token_file;          /* --token-file as given, or NULL */
	bool token_given;                /* --token was given (exported as WFMON_TOKEN) */
	/* what is reported */
	const char *workflow_id;         /* --workflow (step, emit: $WFMON_WORKFLOW_ID by default) */
	const char *workflow_name;       /* --name (run) */
	const char *execution_id;        /* --execution-id (step, emit: $WFMON_EXECUTION_ID) */
	const char *step_id;             /* --step-id (step) */
	const char *step_name;           /* the step's name (step) */
	json_t *labels;                  /* --label k=v, an object (run); borrowed */
	int attempt;                     /* --attempt (step), 0: not said */
	double log_rate;                 /* lines a second (run, step) */
	int send_timeout_ms;             /* how long to wait for wfmond at the end */
	bool no_log;                     /* --no-log: output lines are not sent */
	bool quiet;                      /* no message about the report unless it was lost */
	const char *json;                /* emit --json */
	bool flush;                      /* emit --flush */
	int argc;                        /* the command (run, step) or emit's arguments */
	char **argv;
};

#define RUN_DEFAULT_LOG_RATE 20.0
#define RUN_DEFAULT_SEND_TIMEOUT_MS 10000

/* Exit status: the command's (run, step); for emit 0 sent or kept in the
 * outbox, 1 refused or lost, 2 usage. */
int run_cli_run(const struct run_cli_options *o);
int run_cli_step(const struct run_cli_options *o);
int run_cli_emit(const struct run_cli_options *o);

/* Checks one --label argument "key=value" and adds it to labels. Returns 0,
 * or -1 with what is wrong in cause. */
int run_cli_label(json_t *labels, const char *arg, char *cause, size_t causelen);
/* A step id made from a step's name: lower case, runs of other characters
 * as one '-', at most PROTO_MAX_ID; "step" when nothing is left. */
void run_cli_step_id(const char *name, char *out, size_t len);

#endif
