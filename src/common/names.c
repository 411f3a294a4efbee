/* names.c: from a name back to its enum value (see names.h). */
#include "names.h"

#include <string.h>

int names_find(const char *const *names, size_t n, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}
