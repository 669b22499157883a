/* SPDX-License-Identifier: ISC */
/* mountops.c: vol-mount's specs, the named volume store, tree removal. */
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "mountops.h"

#define MAXDEPTH 256

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

int
mop_norm_target(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *p = path, *e;
	size_t n = 0, len;

	if (path[0] != '/')
		return fail(err, errlen, "target must be an absolute path");
	while (*p) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchrnul(p, '/');
		len = (size_t)(e - p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return fail(err, errlen, "'..' in the target");
		if (!(len == 1 && p[0] == '.')) {
			if (n + len + 2 > outlen || n + len + 2 > PATH_MAX)
				return fail(err, errlen, "target too long");
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = e;
	}
	if (n == 0)
		return fail(err, errlen, "target is the root itself");
	out[n] = '\0';
	return 0;
}

static size_t
depth_of(const char *dst)
{
	size_t d = 0;

	for (; *dst; dst++)
		if (*dst == '/')
			d++;
	return d;
}

/* Split spec at its first ':' into *a and the rest; the rest at its next
 * ':' into *b and *opts. Fields are copies in one buffer (*buf). */
static int
split3(const char *spec, char **buf, char **a, char **b, char **opts)
{
	char *s, *c;

	if ((s = *buf = strdup(spec)) == NULL)
		return -1;
	*a = s;
	*b = *opts = NULL;
	if ((c = strchr(s, ':')) == NULL)
		return 0;
	*c++ = '\0';
	*b = c;
	if ((c = strchr(c, ':')) == NULL)
		return 0;
	*c++ = '\0';
	*opts = c;
	return 0;
}

static int
set_target(struct mount_op *op, const char *dst, char *err, size_t errlen)
{
	char norm[PATH_MAX];

	if (dst == NULL || *dst == '\0')
		return fail(err, errlen, "missing target");
	if (mop_norm_target(dst, norm, sizeof(norm), err, errlen) < 0)
		return -1;
	if ((op->dst = strdup(norm)) == NULL)
		return fail(err, errlen, "out of memory");
	op->depth = depth_of(norm);
	return 0;
}

static int
set_prop(struct mount_op *op, const char *o, int *seen)
{
	static const struct {
		const char *name;
		unsigned long prop;
		int rec;
	} props[] = {
		{ "private", MS_PRIVATE, 0 }, { "rprivate", MS_PRIVATE, 1 },
		{ "slave", MS_SLAVE, 0 }, { "rslave", MS_SLAVE, 1 },
		{ "shared", MS_SHARED, 0 }, { "rshared", MS_SHARED, 1 },
	};
	size_t i;

	for (i = 0; i < LEN(props); i++)
		if (strcmp(o, props[i].name) == 0) {
			if ((*seen)++)
				return -1;
			op->prop = props[i].prop;
			op->prop_rec = props[i].rec;
			return 1;
		}
	return 0;
}

/* "ro", "rw", "bind", "rbind" and a propagation, comma-separated. */
static int
bind_opts(struct mount_op *op, char *opts, int allow_rec, char *err, size_t errlen)
{
	int seen_rw = 0, seen_prop = 0, seen_rec = 0, r;
	char *o, *save = NULL;

	if (opts == NULL)
		return 0;
	if (*opts == '\0')
		return fail(err, errlen, "empty options");
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0) {
			if (seen_rw++)
				return fail(err, errlen, "ro and rw given twice");
			op->ro = o[1] == 'o';
		} else if (allow_rec && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0)) {
			if (seen_rec++)
				return fail(err, errlen, "bind and rbind given twice");
			op->rec = o[0] == 'r';
		} else if ((r = set_prop(op, o, &seen_prop)) != 0) {
			if (r < 0)
				return fail(err, errlen, "more than one propagation");
		} else
			return fail(err, errlen, "unknown option '%.32s'", o);
	}
	/* Without a propagation asked for, the mount is private, and all of
	 * its submounts with it. */
	if (!seen_prop)
		op->prop_rec = op->rec;
	return 0;
}

static void
init_op(struct mount_op *op, enum mop_kind kind)
{
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->prop = MS_PRIVATE;
}

int
mop_parse_bind(const char *spec, struct mount_op *op, char *err, size_t errlen)
{
	char *buf, *src, *dst, *opts;
	int r = -1;

	init_op(op, MOP_BIND);
	if (split3(spec, &buf, &src, &dst, &opts) < 0)
		return fail(err, errlen, "out of memory");
	if (*src == '\0')
		fail(err, errlen, "missing source");
	else if (dst == NULL)
		fail(err, errlen, "expected SRC:DST[:OPTIONS]");
	else if (set_target(op, dst, err, errlen) == 0 &&
	    bind_opts(op, opts, 1, err, errlen) == 0) {
		if ((op->src = strdup(src)) != NULL)
			r = 0;
		else
			fail(err, errlen, "out of memory");
	}
	free(buf);
	if (r < 0)
		mop_free(op);
	return r;
}

int
vol_name_ok(const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '_' || c == '.' || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

int
mop_parse_volume(const char *spec, struct mount_op *op, char *err, size_t errlen)
{
	char *buf, *name, *dst, *opts;
	int r = -1;

	init_op(op, MOP_VOLUME);
	if (split3(spec, &buf, &name, &dst, &opts) < 0)
		return fail(err, errlen, "out of memory");
	if (dst == NULL)
		fail(err, errlen, "expected NAME:DST[:ro]");
	else if (!vol_name_ok(name))
		fail(err, errlen, "bad volume name '%.70s' (letters, digits, '_', '.', '-'; 64 at most)", name);
	else if (set_target(op, dst, err, errlen) == 0 &&
	    bind_opts(op, opts, 0, err, errlen) == 0) {
		if ((op->src = strdup(name)) != NULL)
			r = 0;
		else
			fail(err, errlen, "out of memory");
	}
	free(buf);
	if (r < 0)
		mop_free(op);
	return r;
}

/* "size=64m,mode=1777,uid=0,gid=0,nr_inodes=1k,ro,exec": the kernel's
 * tmpfs options rebuilt from checked values, nothing passed through. */
static int
tmpfs_opts(struct mount_op *op, char *opts, char *err, size_t errlen)
{
	char *o, *save = NULL, *v, part[48];
	long long n;
	uint64_t sz;
	size_t len = 0;
	int seen_rw = 0, seen_exec = 0;

	op->flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (opts == NULL)
		return 0;
	if (*opts == '\0')
		return fail(err, errlen, "empty options");
	for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		part[0] = '\0';
		if ((v = strchr(o, '=')) != NULL)
			*v++ = '\0';
		if (v == NULL && (strcmp(o, "ro") == 0 || strcmp(o, "rw") == 0)) {
			if (seen_rw++)
				return fail(err, errlen, "ro and rw given twice");
			op->ro = o[1] == 'o';
		} else if (v == NULL && (strcmp(o, "exec") == 0 || strcmp(o, "noexec") == 0)) {
			if (seen_exec++)
				return fail(err, errlen, "exec and noexec given twice");
			if (o[0] == 'e')
				op->flags &= ~(unsigned long)MS_NOEXEC;
		} else if (v != NULL && strcmp(o, "size") == 0) {
			if (parse_size(v, &sz) < 0 || sz == 0)
				return fail(err, errlen, "size=%.32s: expected a size above 0", v);
			snprintf(part, sizeof(part), "size=%llu", (unsigned long long)sz);
		} else if (v != NULL && strcmp(o, "nr_inodes") == 0) {
			if (parse_size(v, &sz) < 0 || sz == 0)
				return fail(err, errlen, "nr_inodes=%.32s: expected a count above 0", v);
			snprintf(part, sizeof(part), "nr_inodes=%llu", (unsigned long long)sz);
		} else if (v != NULL && strcmp(o, "mode") == 0) {
			char *end;
			long m;

			errno = 0;
			m = strtol(v, &end, 8);
			if (*v == '\0' || *end != '\0' || errno || m < 0 || m > 07777)
				return fail(err, errlen, "mode=%.32s: expected octal 0 to 7777", v);
			snprintf(part, sizeof(part), "mode=%lo", m);
		} else if (v != NULL && (strcmp(o, "uid") == 0 || strcmp(o, "gid") == 0)) {
			if (parse_num(v, 0, UINT32_MAX - 1, &n) < 0)
				return fail(err, errlen, "%s=%.32s: expected a number", o, v);
			snprintf(part, sizeof(part), "%s=%lld", o, n);
		} else
			return fail(err, errlen, "unknown option '%.32s'", o);
		if (part[0]) {
			size_t pl = strlen(part);

			if (len + pl + 2 > sizeof(op->data))
				return fail(err, errlen, "too many options");
			if (len)
				op->data[len++] = ',';
			memcpy(op->data + len, part, pl + 1);
			len += pl;
		}
	}
	return 0;
}

int
mop_parse_tmpfs(const char *spec, struct mount_op *op, char *err, size_t errlen)
{
	char *buf, *dst, *opts;

	init_op(op, MOP_TMPFS);
	if ((buf = strdup(spec)) == NULL)
		return fail(err, errlen, "out of memory");
	dst = buf;
	if ((opts = strchr(buf, ':')) != NULL)
		*opts++ = '\0';
	if (set_target(op, dst, err, errlen) < 0 || tmpfs_opts(op, opts, err, errlen) < 0) {
		free(buf);
		mop_free(op);
		return -1;
	}
	free(buf);
	return 0;
}

void
mop_free(struct mount_op *op)
{
	free(op->src);
	free(op->dst);
	op->src = op->dst = NULL;
}

unsigned long
mop_locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

/* ---- tree removal --------------------------------------------------- */

/*
 * Which mount a directory entry is on: statx's STATX_MNT_ID (Linux 5.8).
 * A bind mount of the same filesystem keeps st_dev, so st_dev alone would
 * let a removal walk into it. musl 1.2.3 has neither statx() nor
 * <linux/stat.h>: the kernel's struct (256 bytes, stable ABI) is here.
 */
#define KSTATX_MNT_ID 0x1000U
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint64_t spare[13];
};

/* 0 when the kernel cannot tell (then st_dev is all there is). */
static uint64_t
mnt_id_at(int dirfd, const char *name)
{
	struct kstatx sx;
	int flags = AT_SYMLINK_NOFOLLOW | (*name == '\0' ? AT_EMPTY_PATH : 0);

	if (syscall(SYS_statx, dirfd, name, flags, KSTATX_MNT_ID, &sx) < 0 ||
	    !(sx.mask & KSTATX_MNT_ID))
		return 0;
	return sx.mnt_id;
}

static int
rm_tree_depth(int dirfd, const char *name, dev_t dev, uint64_t mnt, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, saved, r = 0;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	if (st.st_dev != dev || (mnt != 0 && mnt_id_at(dirfd, name) != mnt)) {
		/* Something is mounted here: leave it, and fail. */
		errno = EBUSY;
		return -1;
	}
	if (depth > MAXDEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (rm_tree_depth(fd, e->d_name, dev, mnt, depth + 1) < 0) {
			/* Stop at the first failure: a mount met is
			 * reported as such, not as the ENOTEMPTY above it. */
			r = -1;
			break;
		}
	}
	saved = errno;
	closedir(d);
	if (r < 0) {
		errno = saved;
		return -1;
	}
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

int
rm_tree_at(int dirfd, const char *name)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return -1;
	return rm_tree_depth(dirfd, name, st.st_dev, mnt_id_at(dirfd, ""), 0);
}

/* ---- the volume store ------------------------------------------------ */

int
vol_open_store(const char *skiff_root, int create)
{
	int rootfd, fd, saved;

	if (create && mkdir(skiff_root, 0711) < 0 && errno != EEXIST)
		return -1;
	rootfd = open(skiff_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -1;
	if (create && mkdirat(rootfd, "volumes", 0700) < 0 && errno != EEXIST)
		goto fail;
	fd = openat(rootfd, "volumes", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	close(rootfd);
	return fd;
fail:
	saved = errno;
	close(rootfd);
	errno = saved;
	return -1;
}

/* Make NAME/ with data/ and lock in a temporary directory and rename it
 * into place, so a volume is either whole or absent. EEXIST if it is. */
int
vol_create(int store, const char *name)
{
	char tmp[96];
	int fd, saved;

	if (!vol_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (faccessat(store, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	snprintf(tmp, sizeof(tmp), ".new-%s.%ld", name, (long)getpid());
	if (mkdirat(store, tmp, 0755) < 0)
		return -1;
	fd = openat(store, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (mkdirat(fd, "data", 0755) < 0) {
		close(fd);
		goto fail;
	}
	close(fd);
	fd = openat(store, tmp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	saved = openat(fd, "lock", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(fd);
	if (saved < 0)
		goto fail;
	close(saved);
	/* Fails with EEXIST or ENOTEMPTY when another process won the race. */
	if (renameat(store, tmp, store, name) < 0) {
		if (errno == ENOTEMPTY)
			errno = EEXIST;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	rm_tree_at(store, tmp);
	errno = saved;
	return -1;
}

/*
 * Take a shared lock on NAME/lock, making the volume first when create is
 * set. Returns the lock fd (close-on-exec; the caller keeps it open for as
 * long as the volume is used). A lock file with no links left was removed
 * while we waited: start again.
 */
int
vol_acquire(int store, const char *name, int create, int *created)
{
	struct stat st;
	char path[96];
	int fd, tries;

	*created = 0;
	snprintf(path, sizeof(path), "%s/lock", name);
	for (tries = 0; tries < 8; tries++) {
		fd = openat(store, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT || !create)
				return -1;
			if (vol_create(store, name) == 0)
				*created = 1;
			else if (errno != EEXIST)
				return -1;
			continue;
		}
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		if (flock(fd, LOCK_SH) < 0) {
			close(fd);
			return -1;
		}
		if (fstat(fd, &st) == 0 && st.st_nlink > 0)
			return fd;
		close(fd);
	}
	errno = EAGAIN;
	return -1;
}

/* Pids holding a flock on the file open at fd, from /proc/locks ("1:
 * FLOCK ADVISORY READ 1234 fd:01:5678 0 EOF"). Returns how many, at most
 * max stored. */
int
flock_holders(int fd, pid_t *pids, size_t max)
{
	char line[256], want[64];
	struct stat st;
	size_t n = 0;
	FILE *f;

	if (fstat(fd, &st) < 0)
		return -1;
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev),
	    minor(st.st_dev), (unsigned long long)st.st_ino);
	if ((f = fopen("/proc/locks", "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char kind[16], dev[64];
		long pid;

		if (strstr(line, "->") != NULL)
			continue;	/* a waiter, not a holder */
		if (sscanf(line, "%*s %15s %*s %*s %ld %63s", kind, &pid, dev) != 3)
			continue;
		if (strcmp(kind, "FLOCK") != 0 || strcmp(dev, want) != 0)
			continue;
		if (n < max)
			pids[n] = (pid_t)pid;
		n++;
	}
	fclose(f);
	return (int)n;
}

/* The users of a volume: the holders of its lock. */
int
vol_users(int store, const char *name, pid_t *pids, size_t max)
{
	char path[96];
	int fd, n, saved;

	snprintf(path, sizeof(path), "%s/lock", name);
	fd = openat(store, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = flock_holders(fd, pids, max);
	saved = errno;
	close(fd);
	errno = saved;
	return n;
}

/* Remove a volume: EBUSY while someone holds it, unless forced. The lock
 * file goes first (under our exclusive lock), so a user waiting for it
 * sees a removed volume and does not mount it. */
int
vol_remove(int store, const char *name, int force)
{
	char path[96], tmp[96];
	int fd, saved;

	if (!vol_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/lock", name);
	fd = openat(store, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT || faccessat(store, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
	} else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		saved = errno == EWOULDBLOCK ? EBUSY : errno;
		if (!force) {
			close(fd);
			errno = saved;
			return -1;
		}
	}
	if (fd >= 0 && unlinkat(store, path, 0) < 0 && errno != ENOENT)
		goto fail;
	snprintf(tmp, sizeof(tmp), ".rm-%s.%ld", name, (long)getpid());
	if (renameat(store, name, store, tmp) < 0)
		goto fail;
	if (fd >= 0)
		close(fd);
	return rm_tree_at(store, tmp);
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}
