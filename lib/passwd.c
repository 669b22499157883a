/* SPDX-License-Identifier: ISC */
/* passwd.c: users and groups from a container's /etc/passwd and /etc/group. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rootfs.h"
#include "util.h"

#define MAXFILE (1024 * 1024)

/* The file is the image's: open it without blocking (a FIFO must not hang
 * us), require a regular file, and cap what is read (CVE-2024-9676). */
static char *
slurp(const char *path)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAXFILE ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return buf;
}

int
passwd_lookup(const char *file, const char *key, long long *id, long long *gid,
    char *home, size_t homelen)
{
	char *data, *line, *save = NULL;
	int found = -1;

	if ((data = slurp(file)) == NULL)
		return -1;
	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7] = { 0 }, *p = line;
		int i;

		/* name:password:id:gid:gecos:home:shell */
		for (i = 0; i < 7 && p; i++) {
			f[i] = p;
			if ((p = strchr(p, ':')) != NULL)
				*p++ = '\0';
		}
		if (f[2] == NULL || (strcmp(f[0], key) != 0 && strcmp(f[2], key) != 0))
			continue;
		if (parse_num(f[2], 0, UINT32_MAX - 1, id) < 0)
			continue;
		if (gid && (f[3] == NULL || parse_num(f[3], 0, UINT32_MAX - 1, gid) < 0))
			*gid = *id;
		if (home && f[5] && f[5][0])
			snprintf(home, homelen, "%s", f[5]);
		found = 0;
		break;
	}
	free(data);
	return found;
}
