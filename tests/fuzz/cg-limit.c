/* SPDX-License-Identifier: ISC */
/* Fuzz cg-limit's value parsers: --cpus, cpuset lists, group names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint64_t quota, period;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cg_parse_cpus(s, &quota, &period) == 0 &&
	    (quota < 1000 || period != 100000))
		abort();
	(void)cg_parse_cpuset(s, 64);
	(void)cg_parse_cpuset(s, 0);
	if (cg_valid_name(s, 1) && (strstr(s, "..") != NULL &&
	    (strcmp(s, "..") == 0 || strncmp(s, "../", 3) == 0 ||
	    strstr(s, "/../") != NULL ||
	    (size >= 3 && strcmp(s + strlen(s) - 3, "/..") == 0))))
		abort();
	if (cg_valid_name(s, 0) && strchr(s, '/') != NULL)
		abort();
	free(s);
	return 0;
}
