/* SPDX-License-Identifier: ISC */
/* num.c: range-checked numbers, sizes (docker's k/m/g) and durations. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A whole decimal number in [min, max]; EINVAL for junk, ERANGE outside. */
int
parse_num(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

/* "512", "64k", "1.5g", "128MiB": bytes, with binary multipliers as docker
 * reads them (b k m g t, any case, optional "b"/"ib"). */
int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	long double v;
	uint64_t mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtold(s, &end);
	if (errno != 0 || end == s) {
		errno = EINVAL;
		return -1;
	}
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'b': mul = 1; end++; break;
	case 'k': mul = 1ULL << 10; end++; break;
	case 'm': mul = 1ULL << 20; end++; break;
	case 'g': mul = 1ULL << 30; end++; break;
	case 't': mul = 1ULL << 40; end++; break;
	default: errno = EINVAL; return -1;
	}
	if (mul > 1 && tolower((unsigned char)*end) == 'i')
		end++;
	if (mul > 1 && tolower((unsigned char)*end) == 'b')
		end++;
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	v *= mul;
	if (v >= 18446744073709551615.0L) {
		errno = ERANGE;
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* "250ms", "2s", "5m", "1h", "1.5s", or a bare number of seconds. */
int
parse_duration_ms(const char *s, uint64_t *out)
{
	char *end;
	long double v, mul = 1000;

	if (s == NULL || !isdigit((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtold(s, &end);
	if (errno != 0 || end == s) {
		errno = EINVAL;
		return -1;
	}
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else {
		errno = EINVAL;
		return -1;
	}
	v *= mul;
	if (v > 1e15L) {
		errno = ERANGE;
		return -1;
	}
	*out = (uint64_t)v;
	return 0;
}
