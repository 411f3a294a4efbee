/* version.h: the one version of wfmon. Every program (wfmond, wfmon,
 * wfmon-sim, wfmon-bench, wfmon-histgen, wfmon-bullmq) answers --version with
 * VERSION_LINE, so they always print the same version, protocol and revision. */
#ifndef WFMON_VERSION_H
#define WFMON_VERSION_H

#include "proto.h"

#define WFMON_VERSION "0.1.0"

#define VERSION_STR_(x) #x
#define VERSION_STR(x) VERSION_STR_(x)
/* "PROGRAM VERSION (protocol wfmon.v1, revision 2)\n", for fputs. */
#define VERSION_LINE(program) \
	program " " WFMON_VERSION " (protocol " PROTO_SUBPROTOCOL ", revision " VERSION_STR(PROTO_REVISION) ")\n"

#endif
