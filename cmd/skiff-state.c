/* SPDX-License-Identifier: ISC */
/*
 * skiff-state: make and remove a container's state directories for the
 * skiff wrapper. `skiff run` used mkdir, ln and rm from coreutils for
 * this; each is a dynamically linked fork+exec of about 4 ms on a small
 * machine, more than the whole container start. One static call does it.
 *
 *   new [--name NAME] [--base WORD]: a fresh 64-hex id; under $SKIFF_ROOT
 *     containers/ID/{upper,work} and the name link names/NAME -> ID, under
 *     $SKIFF_RUN containers/ID/rootfs; prints "ID NAME CREATED" (UTC).
 *   rm ID...: those directories and the name links pointing at ID.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mountops.h"
#include "util.h"

static const char usage_line[] =
    "skiff-state new [--name NAME] [--base WORD] | rm ID...";

enum { O_NAME = 0x100, O_BASE };
static const struct optspec options[] = {
	{ "name", required_argument, O_NAME, "NAME", "the container's name (default WORD_XXXXXX)" },
	{ "base", required_argument, O_BASE, "WORD", "the default name's first part, usually the image" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

static const char *
envdir(const char *var, const char *def)
{
	const char *s = getenv(var);

	if (s == NULL || *s == '\0')
		s = def;
	if (*s != '/')
		die(1, "%s %s: must be an absolute path", var, s);
	return s;
}

static void
xmkdirs(const char *a, const char *b, const char *c)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", a, b, c) >= sizeof(path))
		die(1, "%s%s: path too long", a, b);
	if (mkdir_p(path, 0755) < 0)
		die(1, "mkdir %s:", path);
}

/* Docker's rule for names; also what keeps one a single path component. */
static int
valid_name(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return 0;
	return p - s <= 128;
}

/* A 64-hex id and nothing else: it becomes a path component. */
static int
valid_id(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* rm -rf DIR/containers/ID, never crossing into a mount. */
static int
remove_dir(const char *dir, const char *id)
{
	char path[4096];
	int fd, r;

	snprintf(path, sizeof(path), "%s/containers", dir);
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : -1;
	r = rm_tree_at(fd, id);
	close(fd);
	return r;
}

/* A container's directories, then the names that point at it. */
static int
remove_one(const char *root, const char *run, const char *id)
{
	char path[4096], target[80];
	struct dirent *e;
	DIR *d;
	ssize_t n;
	int rc = 0;

	if (remove_dir(root, id) < 0) {
		warn("%s/containers/%s:", root, id);
		rc = -1;
	}
	if (remove_dir(run, id) < 0) {
		warn("%s/containers/%s:", run, id);
		rc = -1;
	}
	snprintf(path, sizeof(path), "%s/names", root);
	if ((d = opendir(path)) == NULL)
		return rc;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
		if (n != 64 || memcmp(target, id, 64) != 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
			warn("%s/%s:", path, e->d_name);
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

static int
cmd_new(const char *root, const char *run, const char *name, const char *base)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[32];
	char id[65], def[160], ctdir[4096], owner[65];
	const char *b;
	size_t i, n;
	ssize_t r;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		die(1, "getrandom:");
	for (i = 0; i < sizeof(rnd); i++) {
		id[2 * i] = hex[rnd[i] >> 4];
		id[2 * i + 1] = hex[rnd[i] & 15];
	}
	id[64] = '\0';
	if (name == NULL) {
		/* The image's last path component, made a valid name. */
		b = strrchr(base, '/') != NULL ? strrchr(base, '/') + 1 : base;
		for (n = 0; n < 100 && b[n] != '\0'; n++) {
			char ch = b[n];
			int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
			def[n] = ok ? ch : '_';
		}
		if (n == 0 || def[0] == '_' || def[0] == '.' || def[0] == '-')
			def[n++] = 'c';
		snprintf(def + n, sizeof(def) - n, "_%.6s", id);
		name = def;
	} else if (!valid_name(name)) {
		die(1, "--name %s: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", name);
	}

	xmkdirs(root, "/names", "");
	snprintf(ctdir, sizeof(ctdir), "/containers/%s/upper", id);
	xmkdirs(root, ctdir, "");
	snprintf(ctdir, sizeof(ctdir), "/containers/%s/work", id);
	xmkdirs(root, ctdir, "");
	snprintf(ctdir, sizeof(ctdir), "/containers/%s/rootfs", id);
	xmkdirs(run, ctdir, "");
	snprintf(ctdir, sizeof(ctdir), "%s/names/%s", root, name);
	if (symlink(id, ctdir) == 0) {
		time_t now = time(NULL);
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
		printf("%s %s %s\n", id, name, when);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	r = errno;
	remove_one(root, run, id);
	if (r == EEXIST) {
		r = readlink(ctdir, owner, sizeof(owner) - 1);
		owner[r > 0 ? r : 0] = '\0';
		die(1, "--name %s: already in use by container %.12s", name, owner);
	}
	errno = (int)r;
	die(1, "%s:", ctdir);
}

int
main(int argc, char *argv[])
{
	const char *root, *run, *verb = NULL, *name = NULL, *base = "c";
	char *help;
	int c, i, rc = 0;

	setprogname(argv[0]);
	/* The verb first, then its options: skiff-state new --name N. */
	if (argc > 1 && (strcmp(argv[1], "new") == 0 || strcmp(argv[1], "rm") == 0)) {
		verb = argv[1];
		argc--;
		argv++;
	}
	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_NAME: name = optarg; break;
		case O_BASE: base = optarg; break;
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) == NULL)
				die(1, "--help:");
			fputs(help, stdout);
			exit(0);
		case OPT_VERSION:
			printf("skiff-state %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_USAGE, c, argv);
		}
	}
	if (verb == NULL)
		usage();
	root = envdir("SKIFF_ROOT", "/var/lib/skiff");
	run = envdir("SKIFF_RUN", "/run/skiff");
	if (strcmp(verb, "new") == 0) {
		if (optind != argc)
			usage();
		return cmd_new(root, run, name, base);
	}
	if (optind == argc || name != NULL)
		usage();
	for (i = optind; i < argc; i++) {
		if (!valid_id(argv[i])) {
			warn("%s: not a container id (64 hex digits)", argv[i]);
			rc = 1;
			continue;
		}
		if (remove_one(root, run, argv[i]) < 0)
			rc = 1;
	}
	return rc;
}
