/* exec_control.c: cancel and retry from the console: the question, the
 * request, the daemon's answer on the message line, and where a request
 * stands as the execution's views show it (see ui_view.h).
 *
 * Invariants: nothing is sent under --readonly or by a viewer (the daemon
 * would refuse it; saying so first is kinder); every request is confirmed
 * first; a request id is MODEL_ID_CONTROL "COMMAND:EXECUTION". */
#include "ui_view.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

static const char *command_text(enum proto_control c)
{
	return c == CONTROL_CANCEL ? C_("verb", "cancel") : C_("verb", "retry");
}

static void on_confirm(struct ui *ui, const char *yes)
{
	(void)yes;
	const char *cmd = proto_control_name(ui->ctl_cmd);
	char id[PROTO_MAX_ID + 32];
	snprintf(id, sizeof id, "%s%s:%s", MODEL_ID_CONTROL, cmd, ui->ctl_exec);
	json_t *req = json_pack("{s:s,s:s,s:s}", "type", cmd, "id", id, "execution_id", ui->ctl_exec);
	if (req != NULL && ui_request(ui, req) == 0)
		ui_message(ui, UI_MESSAGE, _("asking the producer to %s %s…"), command_text(ui->ctl_cmd), ui->ctl_exec);
}

void ui_exec_control_ask(struct ui *ui, const struct exec *x, enum proto_control cmd)
{
	if (x == NULL || x->id[0] == '\0')
		return;
	if (ui->opt->readonly) {
		ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): cancelling and retrying are disabled"));
		return;
	}
	if (strcmp(ui->who.role, "operator") != 0 && strcmp(ui->who.role, "admin") != 0) {
		ui_message(ui, UI_ERROR, _("only operators and admins may cancel or retry executions (your role: %s)"),
			   ui->who.role[0] ? ui->who.role : "?");
		return;
	}
	bool fits = cmd == CONTROL_CANCEL ? x->status == EXEC_QUEUED || x->status == EXEC_RUNNING
					  : x->status == EXEC_FAILED || x->status == EXEC_CANCELLED;
	if (!fits) {
		ui_message(ui, UI_ERROR, cmd == CONTROL_CANCEL ? _("%s is %s: only a queued or running execution can be cancelled")
							    : _("%s is %s: only a failed or cancelled execution can be retried"),
			   x->id, ui_status_text((enum model_status)x->status));
		return;
	}
	snprintf(ui->ctl_exec, sizeof ui->ctl_exec, "%s", x->id);
	ui->ctl_cmd = cmd;
	char label[UI_MESSAGE_LEN];
	snprintf(label, sizeof label,
		 cmd == CONTROL_CANCEL ? _("Cancel %s (%s)? The producer is asked to stop it. (y/n) ")
				       : _("Retry %s (%s)? The producer is asked to run it again. (y/n) "),
		 x->id, exec_workflow_name(x));
	ui_ask(ui, PROMPT_CONFIRM, label, on_confirm);
}

bool ui_exec_control_reply(struct ui *ui, const struct model_reply *r)
{
	size_t pl = strlen(MODEL_ID_CONTROL);
	if (strncmp(r->id, MODEL_ID_CONTROL, pl) != 0)
		return false;
	const char *rest = r->id + pl, *colon = strchr(rest, ':');
	enum proto_control cmd = strncmp(rest, "cancel", 6) == 0 ? CONTROL_CANCEL : CONTROL_RETRY;
	const char *xid = colon ? colon + 1 : rest;
	if (r->ok)
		ui_message(ui, UI_MESSAGE, _("the server passed on the request to %s %s: waiting for the producer"),
			   command_text(cmd), xid);
	else
		ui_message(ui, UI_ERROR, _("cannot %s %s: %s"), command_text(cmd), xid,
			   strcmp(r->code, "forbidden") == 0 ? _("only operators and admins may") : r->message);
	return true;
}

bool ui_exec_control_text(const struct exec *x, char *buf, size_t len, enum ui_element *el)
{
	const struct exec_control *k = &x->control;
	const char *cmd = command_text(k->command);
	*el = UI_STATUS_STALE;
	switch (k->state) {
	case CTL_REQUESTED:
		snprintf(buf, len, _("%s asked by %s: waiting for the producer"), cmd, k->by ? k->by : "?");
		return true;
	case CTL_ACCEPTED:
		snprintf(buf, len, _("%s accepted by the producer"), cmd);
		return true;
	case CTL_REFUSED:
		*el = UI_STATUS_FAILED;
		snprintf(buf, len, _("%s refused by the producer: %s"), cmd, k->reason ? k->reason : _("no reason given"));
		return true;
	default:
		return false;
	}
}
