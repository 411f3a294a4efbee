/* cmd_tail.c: `wfmon tail`: its options and rooms, checked before anything
 * is sent; the following itself is tail.h's. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "proto.h"
#include "tail.h"

/* ---- wfmon tail -------------------------------------------------------------- */

struct since_arg {
	char room[PROTO_MAX_ROOM + 1];
	int64_t seq;
};

/* Parses a room name into its canonical form; prints why not. */
static int room_canonical(const char *name, char *out, size_t outlen)
{
	struct proto_room room;
	struct proto_cause cause = { { 0 }, { 0 } };
	if (proto_room_parse(name, &room, &cause) != 0 || proto_room_format(&room, out, outlen) < 0) {
		cmdline_usage_error("tail", "%s", cause.message[0] ? cause.message : "invalid room name");
		return -1;
	}
	return 0;
}

static int since_parse(const char *arg, struct since_arg *out)
{
	const char *eq = strrchr(arg, '=');
	if (eq == NULL || eq == arg) {
		cmdline_usage_error("tail", "--since '%s' must be ROOM=SEQ, as in --since org=42", arg);
		return -1;
	}
	char room[PROTO_MAX_ROOM + 2];
	size_t n = (size_t)(eq - arg);
	if (n >= sizeof room) {
		cmdline_usage_error("tail", "--since: the room name is longer than %d bytes", PROTO_MAX_ROOM);
		return -1;
	}
	memcpy(room, arg, n);
	room[n] = '\0';
	if (room_canonical(room, out->room, sizeof out->room) != 0)
		return -1;
	char *end;
	errno = 0;
	long long seq = (eq[1] >= '0' && eq[1] <= '9') ? strtoll(eq + 1, &end, 10) : -1;
	if (seq < 0 || errno != 0 || *end != '\0') {
		cmdline_usage_error("tail", "--since %s: SEQ must be a whole number of at least 0", arg);
		return -1;
	}
	out->seq = seq;
	return 0;
}

int cmd_tail(int argc, char **argv)
{
	static const struct option longopts[] = {
		LINK_LONGOPTS,
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct link_opts lo = { 0 };
	struct since_arg since[TAIL_MAX_ROOMS];
	size_t nsince = 0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (cmdline_link_opt(&lo, c, optarg))
			continue;
		switch (c) {
		case 's':
			if (nsince == TAIL_MAX_ROOMS)
				return cmdline_usage_error("tail", "at most %d --since options", TAIL_MAX_ROOMS);
			if (since_parse(optarg, &since[nsince]) != 0)
				return EXIT_USAGE;
			nsince++;
			break;
		case 'h':
			printf("usage: %s\n\n" LINK_HELP
			       "  --since ROOM=SEQ      resume ROOM after position SEQ\n\n"
			       "Prints one JSON line per message until interrupted.\n",
			       command_find("tail")->usage);
			return 0;
		case ':':
			return cmdline_usage_error("tail", "%s needs a value", cmdline_bad_option(argv, optind));
		default:
			return cmdline_usage_error("tail", "unknown option %s", cmdline_bad_option(argv, optind));
		}
	}
	if (optind >= argc)
		return cmdline_usage_error("tail", "name at least one room to follow, e.g. org or execution:ID");
	if (argc - optind > TAIL_MAX_ROOMS)
		return cmdline_usage_error("tail", "at most %d rooms at once", TAIL_MAX_ROOMS);

	char names[TAIL_MAX_ROOMS][PROTO_MAX_ROOM + 1];
	struct tail_room rooms[TAIL_MAX_ROOMS];
	size_t nrooms = 0;
	for (int i = optind; i < argc; i++) {
		if (room_canonical(argv[i], names[nrooms], sizeof names[0]) != 0)
			return EXIT_USAGE;
		bool dup = false;
		for (size_t j = 0; j < nrooms; j++)
			dup = dup || strcmp(names[j], names[nrooms]) == 0;
		if (dup)
			continue;
		rooms[nrooms] = (struct tail_room){ .name = names[nrooms] };
		nrooms++;
	}
	for (size_t s = 0; s < nsince; s++) {
		size_t r;
		for (r = 0; r < nrooms; r++)
			if (strcmp(rooms[r].name, since[s].room) == 0)
				break;
		if (r == nrooms)
			return cmdline_usage_error("tail", "--since names %s, which is not one of the rooms to "
					   "follow; add it to the room list", since[s].room);
		rooms[r].has_since = true;
		rooms[r].since = since[s].seq;
	}

	struct endpoint ep;
	int status = cmdline_endpoint("tail", &lo, &ep, NULL);
	if (status != 0)
		return status;
	cmdline_cleartext_warn("tail", &ep);
	struct tail_options topt = {
		.ep = &ep,
		.rooms = rooms,
		.nrooms = nrooms,
		.out = stdout,
	};
	int rc = tail_run(&topt);
	endpoint_clear(&ep);
	return rc;
}

