/* compat.c: talking to a daemon of an earlier revision (see proto.h and the
 * compatibility rule in man/wfmon-protocol.7).
 *
 * A producer asks "hello" first. A daemon of revision 1 does not know the
 * request and answers an error; a producer then sends each event through
 * proto_event_downgrade, which removes what revision 1 would refuse as an
 * unknown field, and drops the events revision 1 cannot express at all. */
#include "proto.h"
#include "proto-internal.h"

#include <string.h>

/* Fields revision 2 added to existing kinds. */
static const char *const rev2_fields[] = {"attempt", "labels", "delayed_until", NULL};

int proto_event_downgrade(json_t *event, int revision)
{
	if (revision >= PROTO_REVISION)
		return 0;
	enum proto_event_kind kind;
	const char *type = json_string_value(json_object_get(event, "type"));
	if (!json_is_object(event) || proto_event_kind_parse(type, &kind) != 0)
		return -1;
	if (kind == EV_CONTROL_REQUESTED || kind == EV_CONTROL_REPLIED)
		return -1;
	/* Revision 1 needs a plan of 1 to 512 steps: the execution appears
	 * through its other events instead. */
	if (kind == EV_EXECUTION_QUEUED && json_array_size(json_object_get(event, "steps")) == 0)
		return -1;
	for (const char *const *f = rev2_fields; *f != NULL; f++)
		json_object_del(event, *f);
	if (kind == EV_STEP_STARTED || kind == EV_STEP_COMPLETED || kind == EV_STEP_FAILED)
		json_object_del(event, "name");
	/* Extension fields: collect first, deleting while iterating is unsafe. */
	const char *drop[64];
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach(event, key, v)
		if (n < 64 && strncmp(key, PROTO_EXT_PREFIX, sizeof PROTO_EXT_PREFIX - 1) == 0)
			drop[n++] = key;
	for (size_t i = n; i-- > 0;)
		json_object_del(event, drop[i]);
	return 0;
}

int proto_hello_revision(json_t *answer)
{
	const char *type = json_string_value(json_object_get(answer, "type"));
	if (type == NULL)
		return 0;
	if (strcmp(type, "error") == 0)
		return 1;   /* a daemon from before the hello */
	if (strcmp(type, "hello") != 0)
		return 0;
	json_t *r = json_object_get(answer, "revision");
	if (!json_is_integer(r) || json_integer_value(r) < 1)
		return 1;
	return json_integer_value(r) > 1000 ? 1000 : (int)json_integer_value(r);
}
