/* SPDX-License-Identifier: ISC */
/* opt.c: getopt_long tables and --help text generated from one table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct optspec *built_for;
static struct option *longopts;
static char *shortopts;

static size_t
speclen(const struct optspec *spec)
{
	size_t n = 0;

	while (spec[n].name != NULL || spec[n].val != 0)
		n++;
	return n;
}

static int
build(const struct optspec *spec)
{
	size_t i, n = speclen(spec), k = 0, s = 0;

	free(longopts);
	free(shortopts);
	longopts = calloc(n + 3, sizeof(*longopts));
	shortopts = calloc(3 * n + 2, 1);
	if (longopts == NULL || shortopts == NULL)
		return -1;
	/* '+' stops at the first operand, so a chain's next command keeps
	 * its own flags; ':' lets us tell a missing argument apart. */
	shortopts[s++] = '+';
	shortopts[s++] = ':';
	for (i = 0; i < n; i++) {
		if (spec[i].name != NULL) {
			longopts[k].name = spec[i].name;
			longopts[k].has_arg = spec[i].has_arg;
			longopts[k].val = spec[i].val;
			k++;
		}
		if (spec[i].val > 0 && spec[i].val < 256) {
			shortopts[s++] = (char)spec[i].val;
			if (spec[i].has_arg != no_argument)
				shortopts[s++] = ':';
			if (spec[i].has_arg == optional_argument)
				shortopts[s++] = ':';
		}
	}
	longopts[k++] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longopts[k++] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	built_for = spec;
	return 0;
}

/* Like getopt_long, with the tables made from spec on the first call.
 * Returns '?' for an unknown option and ':' for a missing argument, with
 * optopt (or argv[optind - 1]) naming it. */
int
optspec_getopt(int argc, char *const argv[], const struct optspec *spec)
{
	if (built_for != spec && build(spec) < 0)
		return -1;
	opterr = 0;
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

/* The --help text: the usage line, then one line an option. */
char *
optspec_help(const char *usage, const struct optspec *spec)
{
	char *buf = NULL, left[64];
	size_t len = 0, i;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "usage: %s\n\noptions:\n", usage);
	for (i = 0; spec[i].name != NULL || spec[i].val != 0; i++) {
		const struct optspec *o = &spec[i];
		char shortname[8] = "    ";

		if (o->help == NULL)
			continue;
		if (o->val > 0 && o->val < 256)
			snprintf(shortname, sizeof(shortname), "-%c, ", o->val);
		snprintf(left, sizeof(left), "%s--%s%s%s", shortname,
		    o->name ? o->name : "", o->argname ? " " : "",
		    o->argname ? o->argname : "");
		fprintf(f, "  %-28s %s\n", left, o->help);
	}
	fprintf(f, "  %-28s %s\n  %-28s %s\n", "    --help",
	    "print this help and exit", "    --version",
	    "print the version and exit");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
