/* cause.c: see cause.h. */
#include "cause.h"

#include <stdarg.h>
#include <stdio.h>

static void cause_vset(char *cause, size_t causelen, const char *fmt, va_list ap)
{
	if (cause == NULL || causelen == 0)
		return;
	vsnprintf(cause, causelen, fmt, ap);
}

void cause_set(char *cause, size_t causelen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cause_vset(cause, causelen, fmt, ap);
	va_end(ap);
}

int cause_fail(char *cause, size_t causelen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cause_vset(cause, causelen, fmt, ap);
	va_end(ap);
	return -1;
}
