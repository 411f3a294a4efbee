/* room.c: room names, the addresses clients subscribe to.
 *
 * A room is a bare word ("org") or a word, a colon and an id
 * ("execution:<id>"). The table below is the only list of rooms; a parsed room
 * always formats back to the exact name it came from. */
#include "proto.h"
#include "proto-internal.h"

#include <stdio.h>
#include <string.h>

static const struct room_spec {
	const char *word;
	bool has_id;
} rooms[ROOM__COUNT] = {
	[ROOM_EXECUTION] = {"execution", true},
	[ROOM_WORKFLOW] = {"workflow", true},
	[ROOM_ORG] = {"org", false},
	[ROOM_QUEUE] = {"queue", false},
	[ROOM_RESOURCES] = {"resources", false},
	[ROOM_ALERTS] = {"alerts", false},
	[ROOM_CONTROL] = {"control", false},
	[ROOM_HEALTH] = {"health", false},
	[ROOM_METRICS] = {"metrics", true},
};

int proto_room_parse(const char *name, struct proto_room *out, struct proto_cause *cause)
{
	if (name == NULL)
		return proto_fail(cause, "room", "must be a string");
	size_t len = strnlen(name, PROTO_MAX_ROOM + 1);
	if (len > PROTO_MAX_ROOM)
		return proto_fail(cause, "room", "room name longer than %d bytes", PROTO_MAX_ROOM);

	for (int k = 0; k < ROOM__COUNT; k++) {
		const struct room_spec *r = &rooms[k];
		size_t wlen = strlen(r->word);
		if (strncmp(name, r->word, wlen) != 0)
			continue;
		if (!r->has_id) {
			if (name[wlen] != '\0')
				continue;
			out->kind = (enum proto_room_kind)k;
			out->id[0] = '\0';
			return 0;
		}
		if (name[wlen] == '\0')
			return proto_fail(cause, "room", "room '%s' needs an id, as in %s:<id>", r->word,
					  r->word);
		if (name[wlen] != ':')
			continue;
		const char *id = name + wlen + 1;
		if (id[0] == '\0')
			return proto_fail(cause, "room", "missing the id after '%s:'", r->word);
		if (!proto_id_valid(id))
			return proto_fail(cause, "room",
					  "invalid id '%.64s': 1 to %d characters of A-Z a-z 0-9 _ . : -",
					  id, PROTO_MAX_ID);
		out->kind = (enum proto_room_kind)k;
		snprintf(out->id, sizeof out->id, "%s", id);
		return 0;
	}
	return proto_fail(cause, "room",
			  "unknown room '%.96s': use org, queue, resources, alerts, control, health, "
			  "execution:<id>, workflow:<id> or metrics:<range>[:<workflow>]",
			  name);
}

int proto_room_format(const struct proto_room *room, char *buf, size_t len)
{
	if (room == NULL || (unsigned)room->kind >= ROOM__COUNT)
		return -1;
	const struct room_spec *r = &rooms[room->kind];
	int n;
	if (r->has_id) {
		if (!proto_id_valid(room->id))
			return -1;
		n = snprintf(buf, len, "%s:%s", r->word, room->id);
	} else {
		n = snprintf(buf, len, "%s", r->word);
	}
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
