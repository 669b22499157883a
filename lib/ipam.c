/* SPDX-License-Identifier: ISC */
/* ipam.c: IPv4 subnets, owner files and round-robin address leases. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "ipam.h"

#define NSFS_MAGIC 0x6e736673

int
ip_parse(const char *s, uint32_t *addr)
{
	unsigned long part;
	uint32_t a = 0;
	int i;
	char *end;

	for (i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			goto bad;
		/* No leading zeros: "010" is octal to inet_aton, decimal here. */
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			goto bad;
		errno = 0;
		part = strtoul(s, &end, 10);
		if (errno || part > 255 || end - s > 3)
			goto bad;
		a = a << 8 | (uint32_t)part;
		s = end;
		if (i < 3) {
			if (*s != '.')
				goto bad;
			s++;
		}
	}
	if (*s != '\0')
		goto bad;
	*addr = a;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

uint32_t
ipnet_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int
ipnet_parse(const char *s, struct ipnet *net)
{
	char buf[32], *slash;
	unsigned long p;
	char *end;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) == NULL)
		goto bad;
	*slash++ = '\0';
	if (*slash < '0' || *slash > '9' || strlen(slash) > 2)
		goto bad;
	p = strtoul(slash, &end, 10);
	if (*end != '\0' || p < 1 || p > 30)
		goto bad;
	if (ip_parse(buf, &net->addr) < 0)
		goto bad;
	net->prefix = (int)p;
	if (net->addr & ~ipnet_mask(net->prefix)) {
		errno = EDOM;	/* host bits set */
		return -1;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
ipnet_contains(const struct ipnet *net, uint32_t addr)
{
	return (addr & ipnet_mask(net->prefix)) == net->addr;
}

int
ipnet_overlap(const struct ipnet *a, const struct ipnet *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return (a->addr & ipnet_mask(p)) == (b->addr & ipnet_mask(p));
}

uint32_t
ipnet_first(const struct ipnet *net)
{
	return net->addr + 1;
}

uint32_t
ipnet_last(const struct ipnet *net)
{
	return (net->addr | ~ipnet_mask(net->prefix)) - 1;
}

void
ip_format(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
}

/* Field 22 of /proc/PID/stat: the start time, counted after the last ')'
 * because the command name may hold anything. */
static int
proc_start(pid_t pid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		goto bad;
	/* After ") " comes field 3, the state: a zombie owns nothing any more
	 * (a detached container's parent may never reap it). */
	if (p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) {
		errno = ESRCH;
		return -1;
	}
	/* Skip to field 22: p is on the space before field 3 after the
	 * first turn, on the one before field 22 after the last. */
	for (i = 2; i < 22; i++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			goto bad;
	}
	*start = strtoull(p + 1, NULL, 10);
	return 0;
bad:
	errno = EPROTO;
	return -1;
}

int
owner_self(struct owner *o, pid_t pid)
{
	memset(o, 0, sizeof(*o));
	o->pid = pid;
	return proc_start(pid, &o->start);
}

int
owner_format(const struct owner *o, char *buf, size_t len)
{
	int n;

	if (o->netns[0])
		n = snprintf(buf, len, "netns=%s\n", o->netns);
	else
		n = snprintf(buf, len, "pid=%d start=%llu\n", (int)o->pid, o->start);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

int
owner_parse(const char *s, struct owner *o)
{
	long long pid;
	char *end;
	size_t n;

	memset(o, 0, sizeof(*o));
	if (strncmp(s, "netns=/", 7) == 0) {
		n = strcspn(s + 6, "\n");
		if (n >= sizeof(o->netns) || s[6 + n] != '\n' || s[7 + n] != '\0')
			goto bad;
		memcpy(o->netns, s + 6, n);
		o->netns[n] = '\0';
		return 0;
	}
	if (strncmp(s, "pid=", 4) != 0 || s[4] < '1' || s[4] > '9')
		goto bad;
	errno = 0;
	pid = strtoll(s + 4, &end, 10);
	if (errno || pid <= 0 || pid > 0x3fffffff || strncmp(end, " start=", 7) != 0 ||
	    end[7] < '0' || end[7] > '9')
		goto bad;
	o->pid = (pid_t)pid;
	o->start = strtoull(end + 7, &end, 10);
	if (errno || strcmp(end, "\n") != 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
owner_alive(const struct owner *o)
{
	unsigned long long start;
	struct statfs sf;

	if (o->netns[0])
		return statfs(o->netns, &sf) == 0 && sf.f_type == NSFS_MAGIC;
	if (kill(o->pid, 0) < 0 && errno != EPERM)
		return 0;
	if (proc_start(o->pid, &start) < 0)
		return errno != ENOENT && errno != ESRCH;
	return o->start == 0 || start == o->start;
}

int
owner_read(int dirfd, const char *name, struct owner *o)
{
	char buf[512];
	ssize_t n;
	int fd;

	memset(o, 0, sizeof(*o));
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (n == 0)
		return 1;	/* just created, not written yet */
	buf[n] = '\0';
	if (owner_parse(buf, o) < 0)
		return 0;	/* garbage holds nothing */
	return owner_alive(o);
}

int
owner_claim(int dirfd, const char *name, const struct owner *o)
{
	char buf[512];
	struct owner old;
	int fd, n, r;

	if ((n = owner_format(o, buf, sizeof(buf))) < 0)
		return -1;
	for (;;) {
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return -1;
		if ((r = owner_read(dirfd, name, &old)) < 0)
			return -1;
		if (r == 1) {
			errno = EEXIST;
			return -1;
		}
		/* Stale: its owner is gone. Reclaim it. */
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return -1;
	}
	if (write(fd, buf, (size_t)n) != n) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, name, 0);
		errno = e ? e : EIO;
		return -1;
	}
	close(fd);
	return 0;
}

int
owner_replace(int dirfd, const char *name, const struct owner *o)
{
	char buf[512], tmp[64];
	int fd, n;

	if ((n = owner_format(o, buf, sizeof(buf))) < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)n) != n || renameat(dirfd, tmp, dirfd, name) < 0) {
		int e = errno;

		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = e ? e : EIO;
		return -1;
	}
	close(fd);
	return 0;
}

int
owner_release(int dirfd, const char *name, const struct owner *o)
{
	struct owner cur;
	int r = owner_read(dirfd, name, &cur);

	if (r < 0)
		return -1;
	if (r == 1 && (o == NULL || cur.pid != o->pid ||
	    strcmp(cur.netns, o->netns) != 0)) {
		errno = EBUSY;
		return -1;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

int
ipam_lock(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static uint32_t
read_last(int dirfd)
{
	char buf[32];
	uint32_t a = 0;
	ssize_t n;
	int fd = openat(dirfd, "last", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, " \n")] = '\0';
	if (ip_parse(buf, &a) < 0)
		return 0;
	return a;
}

/* Overwritten in place, fixed width: a rename costs more than the whole
 * attach on some filesystems, and a torn write only restarts the round. */
static void
write_last(int dirfd, uint32_t a)
{
	char ip[16], buf[17];
	int fd;

	ip_format(a, ip);
	snprintf(buf, sizeof(buf), "%-15s\n", ip);
	fd = openat(dirfd, "last", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	(void)!pwrite(fd, buf, 16, 0);
	close(fd);
}

int
ipam_allocate(int dirfd, const struct ipnet *net, uint32_t gw,
    uint32_t want, const struct owner *o, uint32_t *got)
{
	uint32_t first = ipnet_first(net), last = ipnet_last(net), a, n, i;
	char name[16];
	int lk, r = -1, e = 0;

	if (want) {
		if (!ipnet_contains(net, want) || want < first || want > last ||
		    want == gw) {
			errno = EDOM;
			return -1;
		}
	}
	if ((lk = ipam_lock(dirfd, "lock")) < 0)
		return -1;
	if (want) {
		ip_format(want, name);
		if (owner_claim(dirfd, name, o) < 0) {
			e = errno == EEXIST ? EADDRINUSE : errno;
			goto out;
		}
		*got = want;
		r = 0;
		goto out;
	}
	a = read_last(dirfd);
	if (a < first || a > last)
		a = last;	/* so the first try is the first address */
	n = last - first + 1;
	e = ENOSPC;
	for (i = 0; i < n; i++) {
		a = a >= last ? first : a + 1;
		if (a == gw)
			continue;
		ip_format(a, name);
		if (owner_claim(dirfd, name, o) == 0) {
			write_last(dirfd, a);
			*got = a;
			r = 0;
			break;
		}
		if (errno != EEXIST) {
			e = errno;
			break;
		}
	}
out:
	close(lk);
	if (r < 0)
		errno = e;
	return r;
}

/* ---- network configs ---- */

int
netconf_load(int root, const char *name, struct netconf *c)
{
	char path[64], buf[512], *line, *save = NULL;
	ssize_t n;
	long long v;
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(path, sizeof(path), "%s/config", name);
	fd = openat(root, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "subnet=", 7) == 0) {
			if (ipnet_parse(line + 7, &c->net) < 0)
				goto bad;
		} else if (strncmp(line, "gateway=", 8) == 0) {
			if (ip_parse(line + 8, &c->gw) < 0)
				goto bad;
		} else if (strncmp(line, "mtu=", 4) == 0) {
			if (parse_num(line + 4, 0, 65535, &v) < 0)
				goto bad;
			c->mtu = (unsigned)v;
		} else if (strncmp(line, "internal=", 9) == 0)
			c->internal = strcmp(line + 9, "1") == 0;
	}
	if (c->net.prefix == 0 || !ipnet_contains(&c->net, c->gw))
		goto bad;
	return 1;
bad:
	errno = EINVAL;
	return -1;
}

int
netconf_save(int dirfd, const struct netconf *c)
{
	char buf[256], sub[16], gw[16];
	int fd, n;

	ip_format(c->net.addr, sub);
	ip_format(c->gw, gw);
	n = snprintf(buf, sizeof(buf), "subnet=%s/%d\ngateway=%s\nmtu=%u\ninternal=%d\n",
	    sub, c->net.prefix, gw, c->mtu, c->internal);
	fd = openat(dirfd, "config.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0 ||
	    renameat(dirfd, "config.tmp", dirfd, "config") < 0) {
		close(fd);
		unlinkat(dirfd, "config.tmp", 0);
		return -1;
	}
	return close(fd);
}

static int
strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **
netconf_list(int root)
{
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;
	int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		char **nv;

		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		if ((nv = reallocarray(v, n + 2, sizeof(*v))) == NULL)
			goto fail;
		v = nv;
		if ((v[n] = strdup(e->d_name)) == NULL)
			goto fail;
		n++;
	}
	closedir(d);
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	v[n] = NULL;
	qsort(v, n, sizeof(*v), strcmp_ptr);
	return v;
fail:
	closedir(d);
	while (n > 0)
		free(v[--n]);
	free(v);
	errno = ENOMEM;
	return NULL;
}
