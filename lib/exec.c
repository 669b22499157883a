/* SPDX-License-Identifier: ISC */
/* exec.c: the chain-loader's exit status for a failed exec. */
#include <errno.h>

#include "util.h"

/* 127 when the program is not there (as the shell and env(1) say), 126 when
 * it is there but cannot be run. */
int
exec_status(int err)
{
	return (err == ENOENT || err == ENOTDIR) ? EXIT_NOTFOUND : EXIT_NOEXEC;
}
