/* SPDX-License-Identifier: ISC */
/* Fuzz target: the Dockerfile parser (lib/dockerfile.c) on arbitrary text,
 * with and without build arguments and a target stage. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const args[] = { "A=1", "B=two words", "EMPTY=" };
	struct df_opts o = { args, 3, NULL };
	struct pk_buf plan = { 0 };
	char err[256];

	if (df_parse((const char *)data, size, &o, &plan, err, sizeof(err)) == 0 &&
	    plan.len > 0 && strlen(plan.s) != plan.len)
		__builtin_trap();	/* a plan never holds NUL */
	pk_buf_free(&plan);
	o.target = "build";
	o.nargs = 0;
	df_parse((const char *)data, size, &o, &plan, err, sizeof(err));
	pk_buf_free(&plan);
	return 0;
}
