/* SPDX-License-Identifier: ISC */
/* cgroup_parse.c: cg-limit's values checked before anything is created:
 * group names, CPU counts, cpuset lists, DEVICE:RATE. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "util.h"

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Plain components: letters, digits, '_', '-', '.', not "." or "..",
 * separated by single '/' when slashes is set. */
int
cg_valid_name(const char *name, int slashes)
{
	const char *p, *start = name;

	if (name == NULL || *name == '\0' || strlen(name) > 200)
		return 0;
	for (p = name;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t n = (size_t)(p - start);

			if (n == 0 || (n == 1 && start[0] == '.') ||
			    (n == 2 && start[0] == '.' && start[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			if (!slashes)
				return 0;
			start = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' &&
		    *p != '.')
			return 0;
	}
}

/* "1.5" CPUs: quota per 100 ms period, in whole microseconds; at least
 * 0.01 CPU as docker has it. Decimal digits only, no float rounding. */
int
cg_parse_cpus(const char *s, uint64_t *quota, uint64_t *period)
{
	uint64_t whole = 0, frac = 0, scale = 100000;
	const char *p = s;

	if (s == NULL || !isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 100000)
			goto range;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (; isdigit((unsigned char)*p); p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (*p != '\0')
		goto bad;
	*period = 100000;
	*quota = whole * 100000 + frac;
	if (*quota < 1000)
		goto range;
	return 0;
bad:
	errno = EINVAL;
	return -1;
range:
	errno = ERANGE;
	return -1;
}

/* "0-3,5": CPU or memory node numbers below max (0: no bound). */
int
cg_parse_cpuset(const char *s, unsigned max)
{
	const char *p = s;

	if (s == NULL || *s == '\0' || strlen(s) >= 256)
		goto bad;
	for (;;) {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			goto bad;
		a = b = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			if (!isdigit((unsigned char)*++p))
				goto bad;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (a > b)
			goto bad;
		if (b > 65535 || (max > 0 && b >= max)) {
			errno = ERANGE;
			return -1;
		}
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			goto bad;
	}
bad:
	errno = EINVAL;
	return -1;
}

/* "/dev/sda:10m": a block device and a rate in bytes per second. */
int
cg_parse_devrate(const char *s, struct cg_dev *d, char *err, size_t errlen)
{
	char dev[PATH_MAX];
	const char *colon = strrchr(s, ':');
	struct stat st;
	uint64_t rate;

	if (colon == NULL || colon == s || (size_t)(colon - s) >= sizeof(dev)) {
		seterr(err, errlen, "expected DEVICE:RATE");
		return -1;
	}
	memcpy(dev, s, (size_t)(colon - s));
	dev[colon - s] = '\0';
	if (parse_size(colon + 1, &rate) < 0) {
		seterr(err, errlen, "rate %s: %s", colon + 1,
		    errno == ERANGE ? "too large" : "not a size");
		return -1;
	}
	if (stat(dev, &st) < 0) {
		seterr(err, errlen, "%s: %s", dev, strerror(errno));
		return -1;
	}
	if (!S_ISBLK(st.st_mode)) {
		seterr(err, errlen, "%s: not a block device", dev);
		return -1;
	}
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
	d->rate = rate;
	return 0;
}
