/* SPDX-License-Identifier: ISC */
/* yaml-flat: print every scalar of YAML documents as one line a shell can
 * read: DOC, PATH, STYLE, VALUE, tab-separated. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "yamlflat.h"

#define MAXINPUT (16 * 1024 * 1024)

static const char usage_line[] = "yaml-flat [FILE]";

static const struct optspec options[] = {
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

/* The value on one line: backslash, newline, tab and CR escaped, so that
 * printf '%b' gives it back. */
static int
emit(void *arg, int doc, const char *path, int quoted, const char *value)
{
	FILE *out = arg;
	const char *p;

	fprintf(out, "%d\t%s\t%c\t", doc, path[0] ? path : ".", quoted ? 's' : 'p');
	for (p = value; *p; p++) {
		switch (*p) {
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default: putc(*p, out);
		}
	}
	putc('\n', out);
	return ferror(out) ? -1 : 0;
}

int
main(int argc, char *argv[])
{
	const char *file = "-";
	char err[256], *help;
	unsigned char *buf, *grown;
	size_t len = 0, cap = 65536;
	ssize_t n;
	int c, fd;

	setprogname(argv[0]);
	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) == NULL)
				die(1, "--help:");
			fputs(help, stdout);
			fputs("\nEach scalar of each document becomes a line:\n"
			    "  DOC<tab>PATH<tab>STYLE<tab>VALUE\n"
			    "DOC counts documents from 0; PATH joins keys and list indexes\n"
			    "with '/'; STYLE is p (plain) or s (quoted); VALUE has \\\\, \\n, \\t\n"
			    "and \\r escaped.\n", stdout);
			exit(0);
		case OPT_VERSION:
			printf("yaml-flat %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_USAGE, c, argv);
		}
	}
	if (argc - optind > 1)
		usage();
	if (argc - optind == 1)
		file = argv[optind];
	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		die(1, "%s:", file);
	if ((buf = malloc(cap)) == NULL)
		die(1, "%s:", file);
	while ((n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die(1, "%s:", file);
		}
		len += (size_t)n;
		if (len == cap) {
			if (cap >= MAXINPUT)
				die(1, "%s: larger than %d MiB", file, MAXINPUT >> 20);
			cap *= 2;
			if ((grown = realloc(buf, cap)) == NULL)
				die(1, "%s:", file);
			buf = grown;
		}
	}
	if (yaml_flatten(buf, len, emit, stdout, err, sizeof(err)) < 0) {
		fflush(stdout);
		die(1, "%s: %s", strcmp(file, "-") ? file : "stdin", err);
	}
	if (fflush(stdout) != 0)
		die(1, "stdout:");
	return 0;
}
