/* pendids.h: the ids of the pending events a client has shown in one room.
 *
 * A pending event (wfmon-protocol(7): an event message with "pending":true
 * and no "seq") is one the daemon acknowledged but could not number yet, its
 * cluster's Redis being away; it comes again, in the same room, as a
 * numbered event. The client applies the pending copy at once and, when the
 * numbered copy comes, takes only its position: this set says which ids it
 * has applied that way.
 *
 * Bounded: at most PENDIDS_MAX ids, the oldest forgotten first (counted in
 * `forgotten`): the numbered copy of a forgotten id is applied again, as a
 * client that never saw it pending would. Nothing is allocated until the
 * first id. */
#ifndef WFMON_PENDIDS_H
#define WFMON_PENDIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "strmap.h"

#define PENDIDS_MAX 4096

struct pendids_slot {
	char id[PROTO_MAX_ID + 1];
	uint64_t serial;              /* of its addition: the index's value says which slot is current */
};

struct pendids {
	struct pendids_slot *ring;    /* additions, oldest first, at most PENDIDS_MAX */
	uint32_t head, count, cap;
	struct strmap index;          /* id -> serial + 1 of the slot that holds it, for ids still pending */
	uint64_t next_serial;
	uint64_t forgotten;           /* ids dropped past the bound while still pending */
};

void pendids_init(struct pendids *p);
/* Frees everything; p is as pendids_init left it. */
void pendids_clear(struct pendids *p);
/* Notes id as applied pending. Returns false when it already was (the same
 * pending event again: a subscription's answer repeats what is pending). */
bool pendids_add(struct pendids *p, const char *id);
/* The numbered copy of id came: true when id was applied pending (it is
 * then forgotten: a later numbered copy is a real duplicate the position
 * check drops). */
bool pendids_take(struct pendids *p, const char *id);
/* Ids applied pending whose numbered copy has not come. */
size_t pendids_count(const struct pendids *p);

#endif
