/* model_health.h: every workflow's health as the daemon computes it (room
 * "health": the snapshot and "stats" pushes): its executions held now, its
 * last run, and its schedule with where the expected run stands
 * (model_health.c). Part of the console's model (model.h). */
#ifndef WFMON_MODEL_HEALTH_H
#define WFMON_MODEL_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "proto.h"
#include "schedule.h"

#define MODEL_HEALTH_ROWS 1000

struct model_health_row {
	char workflow_id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];
	int64_t running, queued, completed, failed;   /* of the executions the daemon holds */
	bool has_last;
	char last_id[PROTO_MAX_ID + 1];
	enum exec_status last_status;
	int64_t last_finished_ms;
	bool has_schedule;
	char schedule_text[96];                /* "30 2 * * 1-5" or "5th working day 18:00" */
	enum schedule_state state;
	enum schedule_miss miss;
	char expected_local[96], due_local[96];
	int64_t next_ms;
};

struct model_health {
	bool loaded;
	struct model_health_row *rows;         /* sorted by name, as the daemon sends them */
	size_t n;
	uint64_t serial;                       /* changes with every change */
};

#endif
