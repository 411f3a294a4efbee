/* migrations.h: the SQL migrations compiled into wfmond, in order.
 * Generated from src/store/migrations/NNNN_name.sql by the Makefile. */
#ifndef WFMON_MIGRATIONS_H
#define WFMON_MIGRATIONS_H

struct migration {
	const char *name;   /* "0001_schema": the file name without .sql */
	const char *sql;
};

/* Terminated by an entry whose name is NULL. */
extern const struct migration migrations[];

#endif
