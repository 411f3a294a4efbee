/* version.h: the one version of wfmon. Every program (wfmond, wfmon,
 * wfmon-sim, wfmon-bench) answers --version with version_line(), so they
 * always print the same version and protocol. */
#ifndef WFMON_VERSION_H
#define WFMON_VERSION_H

#include "proto.h"

#define WFMON_VERSION "0.1.0"

/* "PROGRAM VERSION (protocol wfmon.v1)\n", for printf. */
#define VERSION_LINE(program) program " " WFMON_VERSION " (protocol " PROTO_SUBPROTOCOL ")\n"

#endif
