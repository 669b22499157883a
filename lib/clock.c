/* SPDX-License-Identifier: ISC */
/* clock.c: the monotonic clock in milliseconds, for servers' timeouts. */
#include <stdint.h>
#include <time.h>

#include "util.h"

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
