/* SPDX-License-Identifier: ISC */
/* vol-mount: a private mount namespace with a container's storage: an
 * overlay root, bind volumes, tmpfs, named volumes; then exec the rest. */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "mountops.h"

/* <linux/mount.h> clashes with <sys/mount.h>; the few names we need. */
#define ATTR_RDONLY 0x00000001
#define SETATTR_RECURSIVE 0x8000	/* AT_RECURSIVE */
struct attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define MAXLOWERS 500

static struct {
	const char *root;
	const char *upper, *work;
	char **lowers;
	size_t nlowers;
	int no_overlay;
	struct mount_op *ops;
	size_t nops;
	const char *store;	/* $SKIFF_ROOT */
	char **argv;
} conf;

/* What the checks before the namespace saw of each bind source; the
 * source is opened again inside the namespace and must be the same. */
static struct stat *srcst;

static int rootfd = -1;
/* A root that is read-only once its mountpoints are made. */
static int root_ro_later;
static int keepfds[64];
static size_t nkeep;

static const char usage_line[] =
    "vol-mount [--bind SRC:DST[:OPTS]] [--lower DIR[:DIR...]] [--no-overlay]"
    " [--root DIR] [--tmpfs DST[:OPTS]] [--upper DIR --work DIR]"
    " [--volume NAME:DST[:ro]] -- PROGRAM [ARG...]";
static const char volume_usage[] =
    "vol-mount volume create|inspect|ls|rm [--force] [NAME...]";

enum { O_LOWER = 0x100, O_NOOVERLAY, O_TMPFS, O_UPPER, O_WORK };

static const struct optspec options[] = {
	{ "bind", required_argument, 'b', "SRC:DST[:OPTS]", "bind host SRC on DST (OPTS: ro rw rbind private slave shared rprivate rslave rshared)" },
	{ "lower", required_argument, O_LOWER, "DIR[:DIR...]", "overlay root from these layer dirs, top first (repeatable)" },
	{ "no-overlay", no_argument, O_NOOVERLAY, NULL, "build the root without overlayfs (the fallback)" },
	{ "root", required_argument, 'r', "DIR", "the container's root; every DST is beneath it (default: /)" },
	{ "tmpfs", required_argument, O_TMPFS, "DST[:OPTS]", "a tmpfs on DST (OPTS: size= mode= uid= gid= nr_inodes= ro exec)" },
	{ "upper", required_argument, O_UPPER, "DIR", "the overlay's writable layer (with --work)" },
	{ "volume", required_argument, 'v', "NAME:DST[:OPTS]", "named volume $SKIFF_ROOT/volumes/NAME on DST, made when missing" },
	{ "work", required_argument, O_WORK, "DIR", "the overlay's work dir, on the same filesystem as --upper" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_SETUP);
}

static void
add_op(int opt, const char *spec)
{
	static const char *const names[] = { "--bind", "--tmpfs", "--volume" };
	struct mount_op op;
	char err[160];
	int r;

	if (opt == 'b')
		r = mop_parse_bind(spec, &op, err, sizeof(err));
	else if (opt == O_TMPFS)
		r = mop_parse_tmpfs(spec, &op, err, sizeof(err));
	else
		r = mop_parse_volume(spec, &op, err, sizeof(err));
	if (r < 0)
		die(EXIT_SETUP, "%s %s: %s", names[opt == 'b' ? 0 : opt == O_TMPFS ? 1 : 2], spec, err);
	conf.ops = reallocarray(conf.ops, conf.nops + 1, sizeof(*conf.ops));
	if (conf.ops == NULL)
		die(EXIT_SETUP, "out of memory:");
	conf.ops[conf.nops++] = op;
}

static void
add_lowers(const char *arg)
{
	char *s = strdup(arg), *p, *save = NULL;

	if (s == NULL)
		die(EXIT_SETUP, "out of memory:");
	if (*s == '\0' || s[0] == ':' || s[strlen(s) - 1] == ':' || strstr(s, "::"))
		die(EXIT_SETUP, "--lower %s: an empty layer directory", arg);
	for (p = strtok_r(s, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (conf.nlowers == MAXLOWERS)
			die(EXIT_SETUP, "--lower: more than %d layers", MAXLOWERS);
		conf.lowers = reallocarray(conf.lowers, conf.nlowers + 1, sizeof(char *));
		if (conf.lowers == NULL)
			die(EXIT_SETUP, "out of memory:");
		conf.lowers[conf.nlowers++] = p;
	}
}

static void
parse_args(int argc, char *argv[])
{
	char *help;
	int c;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case 'b':
		case O_TMPFS:
		case 'v':
			add_op(c, optarg);
			break;
		case O_LOWER: add_lowers(optarg); break;
		case O_NOOVERLAY: conf.no_overlay = 1; break;
		case 'r': conf.root = optarg; break;
		case O_UPPER: conf.upper = optarg; break;
		case O_WORK: conf.work = optarg; break;
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) == NULL)
				die(EXIT_SETUP, "--help:");
			fputs(help, stdout);
			printf("\n       %s\n", volume_usage);
			exit(0);
		case OPT_VERSION:
			printf("vol-mount %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_SETUP, c, argv);
		}
	}
	if (optind >= argc)
		usage();
	conf.argv = argv + optind;
}

static void
check_dir(const char *opt, const char *path, struct stat *st)
{
	if (stat(path, st) < 0)
		die(EXIT_SETUP, "%s %s:", opt, path);
	if (!S_ISDIR(st->st_mode))
		die(EXIT_SETUP, "%s %s: not a directory", opt, path);
}

/* Every check that can be made without changing anything, so bad input
 * leaves nothing behind: no namespace, no volume, no mountpoint. */
static void
validate(void)
{
	struct stat st, up, wk;
	struct mount_op tmp;
	size_t i, j;

	if ((conf.upper == NULL) != (conf.work == NULL))
		die(EXIT_SETUP, "--upper and --work go together");
	if (conf.upper && conf.nlowers == 0)
		die(EXIT_SETUP, "--upper needs --lower");
	if (conf.nlowers && conf.root == NULL)
		die(EXIT_SETUP, "--lower needs --root");
	if (conf.no_overlay && conf.nlowers == 0)
		die(EXIT_SETUP, "--no-overlay needs --lower");
	if (conf.root == NULL)
		conf.root = "/";
	check_dir("--root", conf.root, &st);
	for (i = 0; i < conf.nlowers; i++)
		check_dir("--lower", conf.lowers[i], &st);
	if (conf.upper) {
		check_dir("--upper", conf.upper, &up);
		check_dir("--work", conf.work, &wk);
		if (up.st_dev != wk.st_dev)
			die(EXIT_SETUP, "--work %s: not on the filesystem of --upper %s",
			    conf.work, conf.upper);
		if (up.st_ino == wk.st_ino)
			die(EXIT_SETUP, "--work %s: the same directory as --upper", conf.work);
	}
	if ((srcst = calloc(conf.nops + 1, sizeof(*srcst))) == NULL)
		die(EXIT_SETUP, "out of memory:");
	for (i = 0; i < conf.nops; i++) {
		struct mount_op *op = &conf.ops[i];

		if (op->kind == MOP_BIND && stat(op->src, &srcst[i]) < 0)
			die(EXIT_SETUP, "--bind %s:%s: source %s:", op->src, op->dst, op->src);
		for (j = 0; j < i; j++)
			if (strcmp(conf.ops[j].dst, op->dst) == 0)
				die(EXIT_SETUP, "%s: more than one mount on this target", op->dst);
	}
	if (conf.store == NULL || conf.store[0] != '/')
		for (i = 0; i < conf.nops; i++)
			if (conf.ops[i].kind == MOP_VOLUME)
				die(EXIT_SETUP, "SKIFF_ROOT %s: must be an absolute path",
				    conf.store ? conf.store : "");
	/* Parents before children, as docker does, so --volume v:/data
	 * --bind x:/data/x puts x inside the volume; stable otherwise. */
	for (i = 1; i < conf.nops; i++) {
		struct stat sst = srcst[i];

		tmp = conf.ops[i];
		for (j = i; j > 0 && conf.ops[j - 1].depth > tmp.depth; j--) {
			conf.ops[j] = conf.ops[j - 1];
			srcst[j] = srcst[j - 1];
		}
		conf.ops[j] = tmp;
		srcst[j] = sst;
	}
}

/* ---- inside the namespace ------------------------------------------- */

static int
xopen(const char *what, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd < 0)
		die(EXIT_SETUP, "%s %s:", what, path);
	return fd;
}

static void
xmount(const char *src, int dstfd, const char *fstype, unsigned long flags,
    const char *data, const char *what)
{
	char dst[32];

	fdpath(dstfd, dst, sizeof(dst));
	if (mount(src, dst, fstype, flags, data) < 0)
		die(EXIT_SETUP, "%s:", what);
}

/* Make the mount at fd read-only (and its submounts when rec) and set its
 * propagation. mount_setattr changes only the bits asked for, so flags
 * locked by a parent user namespace (nosuid, nodev...) stay as they are. */
static void
set_attrs(int fd, int ro, int rec, unsigned long prop, int prop_rec, const char *dst)
{
	struct attr a = { 0 };
	char p[32];

	fdpath(fd, p, sizeof(p));
	if (ro) {
		a.attr_set = ATTR_RDONLY;
		if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH |
		    (rec ? SETATTR_RECURSIVE : 0), &a, sizeof(a)) < 0) {
			if (errno != ENOSYS || rec)
				die(EXIT_SETUP, "%s: make read-only:", dst);
			if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
			    mop_locked_flags(fd), NULL) < 0)
				die(EXIT_SETUP, "%s: remount read-only:", dst);
		}
	}
	if (prop && mount(NULL, p, NULL, prop | (prop_rec ? MS_REC : 0), NULL) < 0)
		die(EXIT_SETUP, "%s: set propagation:", dst);
}

static char *
fdname(int fd)
{
	static char bufs[MAXLOWERS + 3][24];
	static size_t n;
	char *b = bufs[n++ % LEN(bufs)];

	fdpath(fd, b, sizeof(bufs[0]));
	return b;
}

/*
 * The overlay root: lowers, and upper/work, named by fds opened here in
 * the new namespace (overlayfs refuses mounts of another namespace), so
 * no layer path has to be escaped. Without --upper, a small tmpfs hidden
 * under the overlay is its upper, so that mountpoints missing from the
 * image can be made; the root is made read-only after the mounts.
 */
static int
mount_overlay(int dirfd)
{
	char *opts, *p;
	size_t i, len;
	int fd, r, tfd = -1, saved;

	len = 64 + (conf.nlowers + 2) * 24;
	if ((opts = p = malloc(len)) == NULL)
		die(EXIT_SETUP, "out of memory:");
	p += sprintf(p, "lowerdir=");
	for (i = 0; i < conf.nlowers; i++) {
		fd = xopen("--lower", conf.lowers[i], O_PATH | O_DIRECTORY);
		p += sprintf(p, "%s%s", i ? ":" : "", fdname(fd));
	}
	if (strlen(opts) >= 4000) {
		errno = E2BIG;
		free(opts);
		return -1;
	}
	if (conf.upper) {
		fd = xopen("--upper", conf.upper, O_PATH | O_DIRECTORY);
		p += sprintf(p, ",upperdir=%s", fdname(fd));
		fd = xopen("--work", conf.work, O_PATH | O_DIRECTORY);
		p += sprintf(p, ",workdir=%s", fdname(fd));
	} else {
		xmount("tmpfs", dirfd, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1m",
		    "tmpfs under the overlay");
		tfd = xopen("--root", conf.root, O_RDONLY | O_DIRECTORY);
		if (mkdirat(tfd, "u", 0755) < 0 || mkdirat(tfd, "w", 0700) < 0)
			die(EXIT_SETUP, "tmpfs under the overlay: mkdir:");
		fd = openat(tfd, "u", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		p += sprintf(p, ",upperdir=%s", fdname(fd));
		fd = openat(tfd, "w", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		p += sprintf(p, ",workdir=%s", fdname(fd));
		root_ro_later = 1;
	}
	r = mount("overlay", fdname(tfd >= 0 ? tfd : dirfd), "overlay", 0, opts);
	saved = errno;
	if (r < 0 && tfd >= 0) {
		umount2(fdname(tfd), MNT_DETACH);
		root_ro_later = 0;
	}
	if (tfd >= 0)
		close(tfd);
	free(opts);
	errno = saved;
	return r;
}

/* Marks an upper dir filled by the copy fallback: it holds the whole
 * root, so it is bound as it is, never again put over the layers. */
#define FLATMARK "skiff-flat"

static int
flat_upper(void)
{
	int fd = xopen("--work", conf.work, O_PATH | O_DIRECTORY), r;

	r = faccessat(fd, FLATMARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	close(fd);
	return r;
}

static int
dir_empty(int fd)
{
	struct dirent *e;
	int n = 0, d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir;

	if (d < 0 || (dir = fdopendir(d)) == NULL)
		die(EXIT_SETUP, "read --upper %s:", conf.upper);
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dir);
	return n == 0;
}

/* The layers, bottom first, copied onto the tree at dstfd. */
static int
copy_layers(int dstfd, const char **failed)
{
	size_t i;
	int fd, saved;

	for (i = conf.nlowers; i-- > 0;) {
		*failed = conf.lowers[i];
		fd = open(conf.lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (layer_apply(fd, dstfd) < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		close(fd);
	}
	return 0;
}

/*
 * Where overlayfs cannot be used (no overlay in the kernel, an upper it
 * refuses, --no-overlay): one layer without an upper is bound read-only;
 * several are copied into a tmpfs made read-only; with an upper they are
 * copied into it once, and it is bound read-write. See vol-mount(1).
 */
static void
fallback_root(int dirfd, int err)
{
	const char *failed = NULL;
	int fd, wfd, saved;

	if (err)
		warn("overlay on %s: %s; using the copy fallback", conf.root, strerror(err));
	if (conf.upper) {
		fd = xopen("--upper", conf.upper, O_RDONLY | O_DIRECTORY);
		if (!flat_upper()) {
			if (!dir_empty(fd))
				die(EXIT_SETUP, "--upper %s: not empty, and not made by the fallback"
				    " (used by overlayfs before?)", conf.upper);
			wfd = xopen("--work", conf.work, O_PATH | O_DIRECTORY);
			if (copy_layers(fd, &failed) < 0) {
				saved = errno;
				dir_clear(fd);
				errno = saved;
				die(EXIT_SETUP, "--lower %s: copy into --upper %s:", failed, conf.upper);
			}
			saved = openat(wfd, FLATMARK, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (saved < 0)
				die(EXIT_SETUP, "--work %s: mark the copied upper:", conf.work);
			close(saved);
			close(wfd);
		}
		xmount(fdname(fd), dirfd, NULL, MS_BIND | MS_REC, NULL, "bind --upper on the root");
		close(fd);
		return;
	}
	if (conf.nlowers == 1) {
		fd = xopen("--lower", conf.lowers[0], O_PATH | O_DIRECTORY);
		xmount(fdname(fd), dirfd, NULL, MS_BIND | MS_REC, NULL, "bind the layer as the root");
		close(fd);
		fd = xopen("--root", conf.root, O_PATH | O_DIRECTORY);
		set_attrs(fd, 1, 1, 0, 0, conf.root);
		close(fd);
	} else {
		xmount("tmpfs", dirfd, "tmpfs", 0, "mode=755", "tmpfs for the root");
		fd = xopen("--root", conf.root, O_RDONLY | O_DIRECTORY);
		if (copy_layers(fd, &failed) < 0)
			die(EXIT_SETUP, "--lower %s: copy into a tmpfs:", failed);
		close(fd);
		root_ro_later = 1;
	}
}

static void
keep_fd(int fd)
{
	if (nkeep == LEN(keepfds))
		die(EXIT_SETUP, "too many locks to keep (named volumes)");
	keepfds[nkeep++] = fd;
}

static void print_users(const pid_t *pids, int n, FILE *f, const char *sep);

/*
 * An upper dir serves one container at a time (two overlays on one upper
 * are undefined behaviour): an exclusive flock on skiff.lock in the work
 * dir, held like a volume's for as long as the chain lives.
 */
static void
lock_upper(void)
{
	char who[512] = "";
	pid_t pids[8];
	FILE *f;
	int wfd, fd, n;

	wfd = xopen("--work", conf.work, O_PATH | O_DIRECTORY);
	fd = openat(wfd, "skiff.lock", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die(EXIT_SETUP, "--work %s: skiff.lock:", conf.work);
	close(wfd);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			die(EXIT_SETUP, "--work %s: lock:", conf.work);
		n = flock_holders(fd, pids, LEN(pids));
		if ((f = fmemopen(who, sizeof(who) - 1, "w")) != NULL) {
			print_users(pids, n, f, ", ");
			fclose(f);
		}
		die(EXIT_SETUP, "--upper %s: in use by another container (pid %s)",
		    conf.upper, who[0] ? who : "?");
	}
	keep_fd(fd);
}

static void
setup_root(void)
{
	int dirfd;

	/* From here on nothing we mount reaches the host. */
	if (unshare(CLONE_NEWNS) < 0)
		die(EXIT_SETUP, "unshare mount namespace:");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		die(EXIT_SETUP, "make / a slave:");
	if (strcmp(conf.root, "/") == 0)
		goto done;
	dirfd = xopen("--root", conf.root, O_PATH | O_DIRECTORY);
	if (conf.upper)
		lock_upper();
	if (conf.nlowers) {
		if (conf.no_overlay || (conf.upper && flat_upper()))
			fallback_root(dirfd, 0);
		else if (mount_overlay(dirfd) < 0) {
			if (errno == ENODEV || errno == EINVAL || errno == EOPNOTSUPP ||
			    errno == E2BIG)
				fallback_root(dirfd, errno);
			else
				die(EXIT_SETUP, "overlay on %s:", conf.root);
		}
	} else
		xmount(fdname(dirfd), dirfd, NULL, MS_BIND | MS_REC, NULL, "bind --root on itself");
	close(dirfd);
	/* The fd held names the directory under the new mount; this one
	 * names the mount. The root and all in it is private: the host's
	 * later mounts do not show up in the container. */
	rootfd = xopen("--root", conf.root, O_PATH | O_DIRECTORY);
	set_attrs(rootfd, 0, 0, MS_PRIVATE, 1, conf.root);
	return;
done:
	rootfd = xopen("--root", conf.root, O_PATH | O_DIRECTORY);
}

static int
open_volume(const struct mount_op *op)
{
	static int store = -1;
	char path[96];
	int lock, created, fd;

	if (store < 0 && (store = vol_open_store(conf.store, 1)) < 0)
		die(EXIT_SETUP, "volume store %s/volumes:", conf.store);
	lock = vol_acquire(store, op->src, 1, &created);
	if (lock < 0)
		die(EXIT_SETUP, "volume %s:", op->src);
	keep_fd(lock);
	snprintf(path, sizeof(path), "%s/data", op->src);
	fd = openat(store, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_SETUP, "volume %s: %s/volumes/%s:", op->src, conf.store, path);
	return fd;
}

static void
apply(struct mount_op *op, const struct stat *want)
{
	char what[PATH_MAX + 64];
	struct stat st, tst;
	int src = -1, dst, fd, isdir = 1;

	if (op->kind == MOP_BIND) {
		src = xopen("--bind", op->src, O_PATH);
		if (fstat(src, &st) < 0 || st.st_dev != want->st_dev ||
		    st.st_ino != want->st_ino)
			die(EXIT_SETUP, "--bind %s: source changed while being set up", op->src);
		isdir = S_ISDIR(st.st_mode);
	} else if (op->kind == MOP_VOLUME)
		src = open_volume(op);

	dst = isdir ? mkdir_beneath(rootfd, op->dst, 0755) :
	    mkfile_beneath(rootfd, op->dst, 0644);
	if (dst < 0)
		die(EXIT_SETUP, "target %s in %s:", op->dst, conf.root);
	if (fstat(dst, &tst) < 0)
		die(EXIT_SETUP, "target %s:", op->dst);
	if (isdir != S_ISDIR(tst.st_mode))
		die(EXIT_SETUP, "target %s in %s: %s", op->dst, conf.root, isdir ?
		    "a file where a directory is needed" : "a directory where a file is needed");

	if (op->kind == MOP_TMPFS) {
		snprintf(what, sizeof(what), "tmpfs on %s", op->dst);
		xmount("tmpfs", dst, "tmpfs", op->flags | (op->ro ? MS_RDONLY : 0),
		    op->data[0] ? op->data : NULL, what);
	} else {
		snprintf(what, sizeof(what), "bind %s on %s", op->kind == MOP_BIND ?
		    op->src : "the volume", op->dst);
		xmount(fdname(src), dst, NULL, MS_BIND | (op->rec ? MS_REC : 0), NULL, what);
		close(src);
	}
	close(dst);
	/* Open the target again: now it names the new mount. Resolved the
	 * same way beneath the root, in a namespace only we are in. */
	fd = open_beneath(rootfd, op->dst, O_PATH, 0);
	if (fd < 0)
		die(EXIT_SETUP, "target %s after mounting:", op->dst);
	if (op->kind != MOP_TMPFS)
		set_attrs(fd, op->ro, op->rec, op->prop, op->prop_rec, op->dst);
	else
		set_attrs(fd, 0, 0, MS_PRIVATE, 0, op->dst);
	close(fd);
}

/* ---- the volume verbs ----------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
vol_ls(int store)
{
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	DIR *d;
	int fd = dup(store);

	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		die(1, "list volumes:");
	while ((e = readdir(d)) != NULL) {
		if (!vol_name_ok(e->d_name))
			continue;
		char **more = reallocarray(names, n + 1, sizeof(*names));

		if (more == NULL || (more[n++] = strdup(e->d_name)) == NULL)
			die(1, "out of memory:");
		names = more;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++)
		puts(names[i]);
	return 0;
}

static void
print_users(const pid_t *pids, int n, FILE *f, const char *sep)
{
	char path[64], comm[64];
	ssize_t k;
	int i;

	for (i = 0; i < n && i < 32; i++) {
		snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pids[i]);
		k = read_file_at(AT_FDCWD, path, comm, sizeof(comm) - 1);
		if (k > 0 && comm[k - 1] == '\n')
			k--;
		comm[k > 0 ? k : 0] = '\0';
		fprintf(f, "%s%ld%s%s%s", i ? sep : "", (long)pids[i],
		    k > 0 ? " (" : "", comm, k > 0 ? ")" : "");
	}
}

static int
vol_inspect(int store, const char *name)
{
	char path[96];
	struct stat st;
	struct tm tm;
	char when[32];
	pid_t pids[32];
	int n;

	snprintf(path, sizeof(path), "%s/data", name);
	if (fstatat(store, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		warn("volume %s: no such volume", name);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/lock", name);
	if (fstatat(store, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		warn("volume %s: being removed", name);
		return 1;
	}
	gmtime_r(&st.st_mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = vol_users(store, name, pids, LEN(pids));
	printf("name=%s\npath=%s/volumes/%s/data\ncreated=%s\nusers=", name,
	    conf.store, name, when);
	if (n > 0)
		print_users(pids, n, stdout, ",");
	putchar('\n');
	return 0;
}

static int
volume_main(int argc, char *argv[])
{
	static const struct optspec vopts[] = {
		{ "force", no_argument, 'f', NULL, "rm: remove even while in use" },
		{ NULL, 0, 0, NULL, NULL },
	};
	const char *verb;
	int c, force = 0, store, rc = 0, i;
	char *help;

	optind = 1;
	if (argc < 2) {
		fprintf(stderr, "usage: %s\n", volume_usage);
		return 2;
	}
	verb = argv[1];
	if (verb[0] == '-')
		verb = "";	/* vol-mount volume --help: the options first */
	else {
		argc--;
		argv++;
	}
	while ((c = optspec_getopt(argc, argv, vopts)) != -1) {
		switch (c) {
		case 'f': force = 1; break;
		case OPT_HELP:
			if ((help = optspec_help(volume_usage, vopts)) == NULL)
				die(1, "--help:");
			fputs(help, stdout);
			return 0;
		case OPT_VERSION:
			printf("vol-mount %s\n", SKIFF_VERSION);
			return 0;
		default:
			warn("volume%s%s: %s: unknown option", verb[0] ? " " : "", verb,
			    argv[optind - 1]);
			return 2;
		}
	}
	if (verb[0] == '\0') {
		fprintf(stderr, "usage: %s\n", volume_usage);
		return 2;
	}
	if (strcmp(verb, "ls") == 0) {
		if (optind != argc || force) {
			fprintf(stderr, "usage: vol-mount volume ls\n");
			return 2;
		}
		if ((store = vol_open_store(conf.store, 0)) < 0)
			return errno == ENOENT ? 0 : (warn("volume store %s/volumes:", conf.store), 1);
		return vol_ls(store);
	}
	if (strcmp(verb, "create") != 0 && strcmp(verb, "inspect") != 0 &&
	    strcmp(verb, "rm") != 0) {
		warn("volume %s: unknown verb (create, inspect, ls, rm)", verb);
		return 2;
	}
	if (optind == argc || (force && strcmp(verb, "rm") != 0)) {
		fprintf(stderr, "usage: vol-mount volume %s%s NAME...\n", verb,
		    strcmp(verb, "rm") == 0 ? " [--force]" : "");
		return 2;
	}
	for (i = optind; i < argc; i++)
		if (!vol_name_ok(argv[i])) {
			warn("volume %s: bad name (letters, digits, '_', '.', '-'; 64 at most)", argv[i]);
			return 2;
		}
	if ((store = vol_open_store(conf.store, verb[0] == 'c')) < 0) {
		if (errno == ENOENT && verb[0] != 'c') {
			warn("volume %s: no such volume", argv[optind]);
			return 1;
		}
		warn("volume store %s/volumes:", conf.store);
		return 1;
	}
	for (i = optind; i < argc; i++) {
		const char *name = argv[i];
		pid_t pids[32];
		int n;

		if (verb[0] == 'c') {
			if (vol_create(store, name) < 0 && errno != EEXIST) {
				warn("volume %s: create:", name);
				rc = 1;
				continue;
			}
			puts(name);
		} else if (verb[0] == 'i') {
			rc |= vol_inspect(store, name);
		} else if (vol_remove(store, name, force) < 0) {
			if (errno == EBUSY) {
				char line[1024] = "";
				FILE *f = fmemopen(line, sizeof(line) - 1, "w");

				n = vol_users(store, name, pids, LEN(pids));
				if (f != NULL) {
					print_users(pids, n, f, ", ");
					fclose(f);
				}
				warn("volume %s: in use by pid %s (--force removes it anyway)",
				    name, line[0] ? line : "?");
			} else if (errno == ENOENT)
				warn("volume %s: no such volume", name);
			else
				warn("volume %s: remove:", name);
			rc = 1;
		} else
			puts(name);
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	size_t i;

	setprogname(argv[0]);
	conf.store = getenv("SKIFF_ROOT");
	if (conf.store == NULL || conf.store[0] == '\0')
		conf.store = "/var/lib/skiff";
	if (argc > 1 && strcmp(argv[1], "volume") == 0)
		return volume_main(argc - 1, argv + 1);
	parse_args(argc, argv);
	validate();

	setup_root();
	for (i = 0; i < conf.nops; i++)
		apply(&conf.ops[i], &srcst[i]);
	if (root_ro_later)
		set_attrs(rootfd, 1, 0, 0, 0, conf.root);
	close(rootfd);

	/* The next program gets the volume locks (held open for as long as
	 * the container lives, see vol-mount(1)) and nothing else of ours. */
	for (i = 0; i < nkeep; i++)
		if (fcntl(keepfds[i], F_SETFD, 0) < 0)
			die(EXIT_SETUP, "keep a lock open:");
	if (close_fds_except(keepfds, nkeep) < 0)
		die(EXIT_SETUP, "close descriptors:");
	xexecvp(conf.argv);
}
