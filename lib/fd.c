/* SPDX-License-Identifier: ISC */
/* fd.c: descriptor hygiene before exec, and small whole-file I/O. */
#include <sys/syscall.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int
kept(int fd, const int *keep, size_t nkeep)
{
	size_t i;

	for (i = 0; i < nkeep; i++)
		if (keep[i] == fd)
			return 1;
	return 0;
}

/*
 * Mark every descriptor above 2 close-on-exec except those in keep, so the
 * next program inherits only what the interface promises (CVE-2024-21626
 * leaked a host cgroup fd this way). close_range where the kernel has it;
 * a /proc/self/fd scan otherwise.
 */
int
close_fds_except(const int *keep, size_t nkeep)
{
	unsigned int lo = 3;
	int fd, maxkeep = 2;
	size_t i;
	DIR *d;
	struct dirent *e;

	for (i = 0; i < nkeep; i++)
		if (keep[i] > maxkeep)
			maxkeep = keep[i];
	for (fd = 3; fd <= maxkeep; fd++) {
		if (!kept(fd, keep, nkeep))
			continue;
		if ((unsigned)fd > lo && syscall(SYS_close_range, lo,
		    (unsigned)fd - 1, CLOSE_RANGE_CLOEXEC) < 0)
			goto scan;
		lo = (unsigned)fd + 1;
	}
	if (syscall(SYS_close_range, lo, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
scan:
	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (fd > 2 && fd != dirfd(d) && !kept(fd, keep, nkeep))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

/* Write data to an existing file, as one write (proc and cgroup files
 * take a value per write). */
int
write_file_at(int dirfd, const char *path, const char *data)
{
	int fd, saved;
	size_t len = strlen(data);
	ssize_t n;

	fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	saved = errno;
	close(fd);
	if (n < 0 || (size_t)n != len) {
		errno = n < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

/* Read up to len - 1 bytes of a file and NUL-terminate them. */
ssize_t
read_file_at(int dirfd, const char *path, char *buf, size_t len)
{
	int fd, saved;
	ssize_t n = 0, got = 0;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	buf[got] = '\0';
	return got;
}
