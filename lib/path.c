/* SPDX-License-Identifier: ISC */
/* path.c: resolve user and image paths beneath a root, never out of it. */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAXHOPS 40

static int have_openat2 = 1;

static int
sys_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		/* Symlinks resolve as if rootfd were "/", ".." stops at it,
		 * and /proc magic links (which could point anywhere) fail. */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static int
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * The walk used where the kernel lacks openat2 (before 5.6): one component
 * at a time with O_NOFOLLOW, symlinks expanded by hand with "/" meaning the
 * root and ".." clamped at it. Each step is relative to an fd we hold, so
 * no component is ever looked up through a path string from the host.
 */
static int
walk_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	char *rest, *buf = NULL, target[PATH_MAX];
	int cur, next, hops = 0, saved;

	if ((buf = malloc(strlen(path) + 1)) == NULL)
		return -1;
	strcpy(buf, path);
	rest = buf;
	if ((cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
		goto fail;
	for (;;) {
		char *comp, *slash;
		struct stat st;
		int last;
		ssize_t n;

		while (*rest == '/')
			rest++;
		if (*rest == '\0') {
			/* The path named a directory we are holding. */
			next = openat(cur, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
			close(cur);
			free(buf);
			return next;
		}
		comp = rest;
		slash = strchr(rest, '/');
		if (slash != NULL) {
			*slash = '\0';
			rest = slash + 1;
		} else
			rest += strlen(rest);
		while (*rest == '/')
			rest++;
		last = *rest == '\0';
		if (strcmp(comp, ".") == 0) {
			if (last)
				rest = (char *)"";
			continue;
		}
		if (strcmp(comp, "..") == 0) {
			if (!same_file(cur, rootfd)) {
				next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (next < 0)
					goto fail;
				close(cur);
				cur = next;
			}
			continue;
		}
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
			char *joined;

			if (++hops > MAXHOPS) {
				errno = ELOOP;
				goto fail;
			}
			n = readlinkat(cur, comp, target, sizeof(target) - 1);
			if (n < 0)
				goto fail;
			target[n] = '\0';
			joined = malloc((size_t)n + strlen(rest) + 2);
			if (joined == NULL)
				goto fail;
			sprintf(joined, "%s/%s", target, rest);
			free(buf);
			buf = rest = joined;
			if (target[0] == '/') {
				close(cur);
				if ((cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0)
					goto fail;
			}
			continue;
		}
		if (last)
			next = openat(cur, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		else
			next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			goto fail;
		close(cur);
		cur = next;
		if (last) {
			free(buf);
			return cur;
		}
	}
fail:
	saved = errno;
	if (cur >= 0)
		close(cur);
	free(buf);
	errno = saved;
	return -1;
}

/* Open path beneath rootfd; flags as for openat(2), O_CLOEXEC always. */
int
open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	int fd;

	if (have_openat2) {
		fd = sys_openat2(rootfd, path, flags, mode);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		have_openat2 = 0;
	}
	return walk_beneath(rootfd, path, flags, mode);
}

/* Split off the last component: "a/b/c" -> "a/b" and "c". */
static int
split_last(const char *path, char *dir, size_t dirlen, const char **base)
{
	const char *end = path + strlen(path), *p;

	while (end > path && end[-1] == '/')
		end--;
	p = end;
	while (p > path && p[-1] != '/')
		p--;
	if (p == end) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)(p - path) >= dirlen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(p - path));
	dir[p - path] = '\0';
	*base = p;
	return (int)(end - p);
}

static int mkdir_hops(int rootfd, const char *path, mode_t mode, int hops);

/* The component name in parent is a symlink whose target does not exist
 * yet: make the target, resolved beneath the root as the kernel would. */
static int
mkdir_through_link(int rootfd, int parent, const char *dir, const char *name,
    mode_t mode, int hops)
{
	char target[PATH_MAX], *joined;
	ssize_t n;
	int fd;

	if (hops > MAXHOPS) {
		errno = ELOOP;
		return -1;
	}
	if ((n = readlinkat(parent, name, target, sizeof(target) - 1)) < 0) {
		errno = ENOTDIR;
		return -1;
	}
	target[n] = '\0';
	if ((joined = malloc(strlen(dir) + (size_t)n + 2)) == NULL)
		return -1;
	if (target[0] == '/')
		strcpy(joined, target);
	else
		sprintf(joined, "%s/%s", dir, target);
	fd = mkdir_hops(rootfd, joined, mode, hops + 1);
	free(joined);
	return fd;
}

static int
mkdir_hops(int rootfd, const char *path, mode_t mode, int hops)
{
	char dir[PATH_MAX], name[NAME_MAX + 1];
	const char *base;
	int fd, parent, n, saved;

	fd = open_beneath(rootfd, path, O_PATH | O_DIRECTORY, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if ((n = split_last(path, dir, sizeof(dir), &base)) < 0)
		return -1;
	if (n > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, base, (size_t)n);
	name[n] = '\0';
	parent = dir[0] ? mkdir_hops(rootfd, dir, mode, hops) :
	    fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (parent < 0)
		return -1;
	if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
		goto fail;
	fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		fd = mkdir_through_link(rootfd, parent, dir, name, mode, hops);
	if (fd < 0)
		goto fail;
	close(parent);
	return fd;
fail:
	saved = errno;
	close(parent);
	errno = saved;
	return -1;
}

/*
 * mkdir -p beneath the root: every missing component is made with mkdirat
 * in the directory its parent resolved to; a dangling symlink gets its
 * target made, beneath the root. Returns an O_PATH fd of the directory.
 * A component that exists and is not a directory fails with ENOTDIR.
 */
int
mkdir_beneath(int rootfd, const char *path, mode_t mode)
{
	return mkdir_hops(rootfd, path, mode, 0);
}

/* An empty regular file beneath the root (a bind-mount target), created
 * with its parents when missing. Returns an O_PATH fd. */
int
mkfile_beneath(int rootfd, const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	const char *base;
	int fd, parent, n, saved;
	char name[NAME_MAX + 1];

	fd = open_beneath(rootfd, path, O_PATH, 0);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if ((n = split_last(path, dir, sizeof(dir), &base)) < 0)
		return -1;
	if (n > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, base, (size_t)n);
	name[n] = '\0';
	parent = dir[0] ? mkdir_beneath(rootfd, dir, 0755) :
	    fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (parent < 0)
		return -1;
	fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno != EEXIST)
		goto fail;
	if (fd >= 0)
		close(fd);
	fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	close(parent);
	return fd;
fail:
	saved = errno;
	close(parent);
	errno = saved;
	return -1;
}

/* "/proc/self/fd/N": how mount(2) and friends are pointed at an fd. */
int
fdpath(int fd, char *buf, size_t len)
{
	int n = snprintf(buf, len, "/proc/self/fd/%d", fd);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* mkdir -p: PATH and every missing directory above it, each with MODE. */
int
mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX], *s;
	size_t n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}
