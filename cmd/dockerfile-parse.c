/* SPDX-License-Identifier: ISC */
/* dockerfile-parse: a Dockerfile as a line-oriented, shell-quoted plan of
 * instructions, for `skiff build` to run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pack.h"
#include "util.h"

#define MAXFILE (16 << 20)

static const char usage_line[] =
    "dockerfile-parse [--build-arg K[=V]] [--image-env IMAGE=K=V] [--target STAGE] [FILE]";

enum { O_BUILDARG = 0x100, O_IMAGEENV, O_TARGET };
static const struct optspec options[] = {
	{ "build-arg", required_argument, O_BUILDARG, "K[=V]", "a build argument (K alone: from the environment)" },
	{ "image-env", required_argument, O_IMAGEENV, "IMAGE=K=V", "an ENV of base image IMAGE (as FROM names it after substitution)" },
	{ "target", required_argument, O_TARGET, "STAGE", "end the plan with this stage" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

int
main(int argc, char *argv[])
{
	struct df_opts o = { 0 };
	struct pk_buf text = { 0 }, plan = { 0 };
	char **args = NULL, **ienv = NULL, buf[65536], err[512], *h;
	const char *file = "-", *name;
	size_t nargs = 0, nienv = 0;
	ssize_t n;
	int c, fd;

	setprogname(argv[0]);
	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_BUILDARG: {
			char **p = realloc(args, (nargs + 1) * sizeof(*p));

			if (p == NULL)
				die(1, "build args:");
			args = p;
			if (*optarg == '\0' || *optarg == '=') {
				warn("--build-arg %s: expected K[=V]", optarg);
				usage();
			}
			if (strchr(optarg, '=') == NULL) {
				/* Docker takes a bare name's value from the environment. */
				const char *v = getenv(optarg);

				if (v == NULL)
					break;
				if (asprintf(&args[nargs], "%s=%s", optarg, v) < 0)
					die(1, "build args:");
			} else if ((args[nargs] = strdup(optarg)) == NULL) {
				die(1, "build args:");
			}
			nargs++;
			break;
		}
		case O_IMAGEENV: {
			char **p = realloc(ienv, (nienv + 1) * sizeof(*p));
			const char *eq = strchr(optarg, '=');

			if (p == NULL)
				die(1, "image env:");
			ienv = p;
			if (eq == NULL || eq == optarg || eq[1] == '=' || strchr(eq + 1, '=') == NULL) {
				warn("--image-env %s: expected IMAGE=K=V", optarg);
				usage();
			}
			ienv[nienv++] = optarg;
			break;
		}
		case O_TARGET:
			o.target = optarg;
			break;
		case OPT_HELP:
			if ((h = optspec_help(usage_line, options)) == NULL)
				die(1, "help:");
			else
				fputs(h, stdout);
			free(h);
			return 0;
		case OPT_VERSION:
			printf("dockerfile-parse %s\n", SKIFF_VERSION);
			return 0;
		case ':':
			warn("option %s needs an argument", argv[optind - 1]);
			usage();
		default:
			warn("unknown option %s", argv[optind - 1]);
			usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (argc - optind == 1)
		file = argv[optind];
	o.args = args;
	o.nargs = nargs;
	o.image_env = ienv;
	o.nimage_env = nienv;
	if (strcmp(file, "-") == 0) {
		fd = STDIN_FILENO;
		name = "Dockerfile";
	} else {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
			die(1, "%s:", file);
		name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (text.len + (size_t)n > MAXFILE)
			die(1, "%s: larger than %d MiB", name, MAXFILE >> 20);
		if (pk_buf_add(&text, buf, (size_t)n) < 0)
			die(1, "%s:", name);
	}
	if (n < 0)
		die(1, "%s:", file);
	if (df_parse(text.s ? text.s : "", text.len, &o, &plan, err, sizeof(err)) < 0) {
		/* err is "LINE: why"; line 0 means the file as a whole. */
		if (strncmp(err, "0: ", 3) == 0)
			die(1, "%s: %s", name, err + 3);
		die(1, "%s:%s", name, err);
	}
	if (plan.len > 0 && fwrite(plan.s, 1, plan.len, stdout) != plan.len)
		die(1, "stdout:");
	if (fflush(stdout) == EOF)
		die(1, "stdout:");
	pk_buf_free(&text);
	pk_buf_free(&plan);
	while (nargs > 0)
		free(args[--nargs]);
	free(args);
	free(ienv);
	return 0;
}
