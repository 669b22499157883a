/* SPDX-License-Identifier: ISC */
/* flatten.c: apply an unpacked layer onto a directory tree by copying, the
 * way overlayfs would show it: vol-mount's fallback where overlay fails. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "mountops.h"

#define MAXDEPTH 256
#define OPAQUE "trusted.overlay.opaque"

static int
is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int
is_opaque(int fd)
{
	char v[4];

	return fgetxattr(fd, OPAQUE, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* Extended attributes (file capabilities, ACLs, SELinux labels) except
 * overlayfs's own. Not supported on the target: silently none. */
static int
copy_xattrs(int sfd, int dfd)
{
	char names[4096], *n, val[4096];
	ssize_t len, vl;

	len = flistxattr(sfd, names, sizeof(names));
	if (len <= 0)
		return 0;
	for (n = names; n < names + len; n += strlen(n) + 1) {
		if (strncmp(n, "trusted.overlay.", 16) == 0)
			continue;
		vl = fgetxattr(sfd, n, val, sizeof(val));
		if (vl < 0)
			continue;
		if (fsetxattr(dfd, n, val, (size_t)vl, 0) < 0 && errno != ENOTSUP &&
		    errno != EPERM)
			return -1;
	}
	return 0;
}

/* Owner first (a chown clears set-id bits and capabilities), then mode,
 * attributes, and the times last. */
static int
copy_meta(int sfd, int dfd, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchown(dfd, st->st_uid, st->st_gid) < 0 ||
	    fchmod(dfd, st->st_mode & 07777) < 0 || copy_xattrs(sfd, dfd) < 0 ||
	    futimens(dfd, ts) < 0)
		return -1;
	return 0;
}

static int
copy_data(int sfd, int dfd)
{
	char buf[65536];
	ssize_t n, w, off;

	for (;;) {
		n = copy_file_range(sfd, NULL, dfd, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return -1;
	while ((n = read(sfd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += w)
			if ((w = write(dfd, buf + off, (size_t)(n - off))) < 0)
				return -1;
	return n < 0 ? -1 : 0;
}

static int
copy_file(int sdir, int ddir, const char *name, const struct stat *st)
{
	int s, d = -1, r = -1, saved;

	s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return -1;
	d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d >= 0 && copy_data(s, d) == 0 && copy_meta(s, d, st) == 0)
		r = 0;
	saved = errno;
	close(s);
	if (d >= 0)
		close(d);
	errno = saved;
	return r;
}

static int
copy_special(int sdir, int ddir, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	char target[PATH_MAX];
	ssize_t n;

	if (S_ISLNK(st->st_mode)) {
		if ((n = readlinkat(sdir, name, target, sizeof(target) - 1)) < 0)
			return -1;
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return -1;
	} else {
		if (mknodat(ddir, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0)
			return -1;
		if (fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
			return -1;
	}
	if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	return 0;
}

/* Empty a directory (an opaque one in the layer hides what is below). */
int
dir_clear(int dfd)
{
	struct dirent *e;
	DIR *d;
	int fd = dup(dfd), r = 0;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    rm_tree_at(dfd, e->d_name) < 0)
			r = -1;
	closedir(d);
	return r;
}

static int apply_dir(int sdir, int ddir, int depth);

static int
apply_entry(int sdir, int ddir, const char *name, int depth)
{
	struct stat st, dst;
	int s, d, r, saved, exists;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	exists = fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
	if (is_whiteout(&st))
		return exists ? rm_tree_at(ddir, name) : 0;
	if (!S_ISDIR(st.st_mode)) {
		if (exists && rm_tree_at(ddir, name) < 0)
			return -1;
		return S_ISREG(st.st_mode) ? copy_file(sdir, ddir, name, &st) :
		    copy_special(sdir, ddir, name, &st);
	}
	if (exists && !S_ISDIR(dst.st_mode) && rm_tree_at(ddir, name) < 0)
		return -1;
	if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
		return -1;
	s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s < 0)
		return -1;
	d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	r = 0;
	if (is_opaque(s) && dir_clear(d) < 0)
		r = -1;
	if (r == 0)
		r = apply_dir(s, d, depth + 1);
	if (r == 0)
		r = copy_meta(s, d, &st);
	saved = errno;
	close(s);
	close(d);
	errno = saved;
	return r;
}

static int
apply_dir(int sdir, int ddir, int depth)
{
	struct dirent *e;
	DIR *d;
	int fd, r = 0, saved;

	if (depth > MAXDEPTH) {
		errno = ELOOP;
		return -1;
	}
	if ((fd = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		r = apply_entry(sdir, ddir, e->d_name, depth);
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return r;
}

/*
 * Apply the layer in directory sfd onto the tree in dfd (both opened
 * O_RDONLY | O_DIRECTORY): a whiteout (a 0/0 character device) deletes,
 * an opaque directory replaces, anything else is copied over what is
 * there, with owner, mode, times and extended attributes. Nothing is
 * followed: every step is relative to a held descriptor, O_NOFOLLOW.
 * Hard links become separate copies. The root directory gets the layer's
 * owner and mode.
 */
int
layer_apply(int sfd, int dfd)
{
	struct stat st;

	if (fstat(sfd, &st) < 0)
		return -1;
	if (is_opaque(sfd) && dir_clear(dfd) < 0)
		return -1;
	if (apply_dir(sfd, dfd, 0) < 0)
		return -1;
	return copy_meta(sfd, dfd, &st);
}
