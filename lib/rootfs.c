/* SPDX-License-Identifier: ISC */
/* rootfs.c: a directory becomes a container's root: /proc, /dev, /sys,
 * masks, pivot_root (an OCI bundle's own mounts: rootfs_oci.c). Every
 * mountpoint is resolved beneath the root. */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ocispec.h"
#include "mountops.h"
#include "rootfs.h"
#include "rootfs_ctx.h"
#include "util.h"

/* Docker's defaults (runtime-facts.md). */
static const char *const docker_masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore",
	"/proc/keys", "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi",
	"/proc/timer_list", "/proc/timer_stats", "/sys/devices/virtual/powercap",
	"/sys/firmware", "/sys/devices/system/cpu/cpu*/thermal_throttle", NULL,
};
static const char *const docker_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	NULL,
};


/* With dev_elsewhere, wait for the process making /dev. */
static int
dev_ready(struct rootfs_ctx *c)
{
	if (!c->dev_ready && c->o->wait_dev && c->o->wait_dev(c->err, c->errlen) < 0)
		return -1;
	c->dev_ready = 1;
	return 0;
}

/* Record "what: why" (a format ending in ':' gets strerror) and fail. */
int
rootfs_fail(struct rootfs_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrfmt(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
rootfs_mount_on(struct rootfs_ctx *c, const char *src, int dstfd, const char *fstype,
    unsigned long flags, const char *data, const char *what)
{
	char dst[32];

	fdpath(dstfd, dst, sizeof(dst));
	if (mount(src, dst, fstype, flags, data) < 0)
		return rootfs_fail(c, "mount %s:", what);
	return 0;
}

/* Remount what is at path (beneath the root) with flags, keeping the
 * flags the kernel has locked. */
int
rootfs_remount_flags(struct rootfs_ctx *c, const char *path, unsigned long flags)
{
	char p[32];
	int fd, r;

	if ((fd = open_beneath(c->root, path, O_PATH, 0)) < 0)
		return rootfs_fail(c, "remount %s:", path);
	fdpath(fd, p, sizeof(p));
	r = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | flags | mop_locked_flags(fd), NULL);
	close(fd);
	if (r < 0)
		return rootfs_fail(c, "remount %s:", path);
	return 0;
}

int
rootfs_remount_ro(struct rootfs_ctx *c, const char *path)
{
	return rootfs_remount_flags(c, path, MS_RDONLY);
}

/* A device node; in a user namespace, where mknod is refused, the host's
 * node bound on an empty file, after checking it is what it claims. */
static int
make_node(struct rootfs_ctx *c, int devfd, const char *name, unsigned maj, unsigned min)
{
	char src[64], dst[32];
	struct stat st;
	int fd, hostfd, r;

	/* 0666 exactly: dev_nodes has cleared the umask */
	if (mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) == 0)
		return 0;
	if (errno != EPERM)
		return rootfs_fail(c, "mknod /dev/%s:", name);
	snprintf(src, sizeof(src), "/dev/%s", name);
	hostfd = open(src, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (hostfd < 0 || fstat(hostfd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(maj, min)) {
		errno = ENODEV;
		return rootfs_fail(c, "host %s is not the device %u:%u", src, maj, min);
	}
	fd = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return rootfs_fail(c, "create /dev/%s:", name);
	close(fd);
	if ((fd = openat(devfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return rootfs_fail(c, "open /dev/%s:", name);
	fdpath(hostfd, src, sizeof(src));
	fdpath(fd, dst, sizeof(dst));
	r = mount(src, dst, NULL, MS_BIND, NULL);
	close(fd);
	close(hostfd);
	if (r < 0)
		return rootfs_fail(c, "bind /dev/%s:", name);
	return 0;
}

/* A mountpoint beneath the root, made when missing, never followed out. */
int
rootfs_mountpoint(struct rootfs_ctx *c, const char *path)
{
	int fd = mkdir_beneath(c->root, path, 0755);

	if (fd < 0)
		rootfs_fail(c, "mountpoint %s in %s:", path, c->o->path);
	return fd;
}

static int
mount_in_dev(struct rootfs_ctx *c, int devfd, const char *dir, const char *src,
    const char *fstype, unsigned long flags, const char *data)
{
	char what[64];
	int fd, r;

	if ((fd = openat(devfd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return rootfs_fail(c, "open /dev/%s:", dir);
	snprintf(what, sizeof(what), "%s on /dev/%s", fstype, dir);
	r = rootfs_mount_on(c, src, fd, fstype, flags, data, what);
	close(fd);
	return r;
}

/* The device nodes and links every container's /dev holds. */
int
rootfs_dev_nodes(struct rootfs_ctx *c, int devfd)
{
	static const struct {
		const char *name;
		unsigned maj, min;
	} nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	mode_t mask = umask(0);
	size_t i;

	for (i = 0; i < LEN(nodes); i++)
		if (make_node(c, devfd, nodes[i].name, nodes[i].maj, nodes[i].min) < 0) {
			umask(mask);
			return -1;
		}
	umask(mask);
	for (i = 0; i < LEN(links); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0)
			return rootfs_fail(c, "symlink /dev/%s:", links[i][1]);
	return 0;
}

/* The pty bound on /dev/console, when there is one. */
int
rootfs_dev_console(struct rootfs_ctx *c, int devfd)
{
	char src[32];
	int fd, r;

	if (c->o->ptyname != NULL) {
		/* Opened here, in the new mount namespace: an fd from before
		 * unshare names a mount that mount(2) will not bind from. */
		int pty = open(c->o->ptyname, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (pty < 0)
			return rootfs_fail(c, "open %s:", c->o->ptyname);
		fd = openat(devfd, "console", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			close(fd);
			fd = openat(devfd, "console", O_PATH | O_CLOEXEC | O_NOFOLLOW);
		}
		if (fd < 0) {
			close(pty);
			return rootfs_fail(c, "create /dev/console:");
		}
		fdpath(pty, src, sizeof(src));
		r = rootfs_mount_on(c, src, fd, NULL, MS_BIND, NULL, "the pty on /dev/console");
		close(fd);
		close(pty);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* A fresh tmpfs /dev: never the image's own nodes or symlinks. */
static int
setup_dev(struct rootfs_ctx *c)
{
	char opts[96];
	int fd, devfd, r = -1;

	if ((fd = rootfs_mountpoint(c, "dev")) < 0)
		return -1;
	r = rootfs_mount_on(c, "tmpfs", fd, "tmpfs", MS_NOSUID | MS_STRICTATIME,
	    "mode=755,size=65536k", "tmpfs on /dev");
	close(fd);
	if (r < 0)
		return -1;
	if ((devfd = open_beneath(c->root, "dev", O_PATH | O_DIRECTORY, 0)) < 0)
		return rootfs_fail(c, "open /dev:");
	r = -1;
	if (rootfs_dev_nodes(c, devfd) < 0)
		goto out;
	if (mkdirat(devfd, "pts", 0755) < 0 || mkdirat(devfd, "shm", 01777) < 0 ||
	    mkdirat(devfd, "mqueue", 0755) < 0) {
		rootfs_fail(c, "mkdir in /dev:");
		goto out;
	}
	/* gid 5 is "tty" everywhere; in a user namespace it may not be
	 * mapped, and the kernel then refuses the option. */
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620%s",
	    c->o->in_userns ? "" : ",gid=5");
	if (mount_in_dev(c, devfd, "pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, opts) < 0 ||
	    mount_in_dev(c, devfd, "shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=1777,size=65536k") < 0 ||
	    mount_in_dev(c, devfd, "mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL) < 0)
		goto out;
	if (rootfs_dev_console(c, devfd) < 0)
		goto out;
	r = 0;
out:
	close(devfd);
	return r;
}

static int
setup_proc(struct rootfs_ctx *c)
{
	struct statfs sf;
	int fd, r;

	if ((fd = rootfs_mountpoint(c, "proc")) < 0)
		return -1;
	r = rootfs_mount_on(c, "proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "proc on /proc");
	close(fd);
	if (r < 0)
		return -1;
	/* Later steps write through this /proc; check it is the one just
	 * mounted, not something the image planted (CVE-2019-16884). */
	fd = open_beneath(c->root, "proc", O_PATH | O_DIRECTORY, 0);
	if (fd < 0 || fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		if (fd >= 0)
			close(fd);
		errno = EXDEV;
		return rootfs_fail(c, "/proc in %s is not the procfs just mounted", c->o->path);
	}
	c->proc = fd;
	return 0;
}

static int
setup_sys(struct rootfs_ctx *c)
{
	unsigned long ro = c->o->privileged ? 0 : MS_RDONLY;
	char dst[32];
	int fd, r;

	if ((fd = rootfs_mountpoint(c, "sys")) < 0)
		return -1;
	fdpath(fd, dst, sizeof(dst));
	r = mount("sysfs", dst, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | ro, NULL);
	if (r < 0 && errno == EPERM && !c->pivoted) {
		/* A user namespace that does not own the network namespace
		 * may not mount sysfs: bind the host's, read-only. */
		r = mount("/sys", dst, NULL, MS_BIND | MS_REC, NULL);
		close(fd);
		if (r < 0)
			return rootfs_fail(c, "bind the host's /sys:");
		return ro ? rootfs_remount_ro(c, "sys") : 0;
	}
	close(fd);
	if (r < 0)
		return rootfs_fail(c, "mount sysfs on /sys:");
	if (c->cgroup2) {
		/* Pure cgroup v2: with the cgroup namespace, the container
		 * sees its own subtree as the root, read-only. */
		fd = open_beneath(c->root, "sys/fs/cgroup", O_PATH | O_DIRECTORY, 0);
		if (fd >= 0) {
			fdpath(fd, dst, sizeof(dst));
			r = mount("cgroup2", dst, "cgroup2", MS_NOSUID | MS_NODEV |
			    MS_NOEXEC | ro, NULL);
			close(fd);
			if (r < 0 && errno != EPERM)
				return rootfs_fail(c, "mount cgroup2 on /sys/fs/cgroup:");
		}
	}
	return 0;
}

/* path beneath the root. A single name in the /proc just mounted is
 * opened from there (it cannot lead out: no "..", no symlink followed),
 * not looked up from the root again. */
static int
open_in(struct rootfs_ctx *c, const char *path, int flags)
{
	const char *name = path + 6;

	if (c->proc >= 0 && strncmp(path, "/proc/", 6) == 0 && *name != '\0' &&
	    strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
		return openat(c->proc, name, flags | O_NOFOLLOW | O_CLOEXEC);
	return open_beneath(c->root, path, flags, 0);
}

/* The mount API of Linux 5.12 (not in musl's headers). */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x04
#define MOVE_MOUNT_T_EMPTY_PATH 0x40
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
#endif
struct mount_attr_v0 {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* A copy of the mount (or, recursive, the tree) at src put on dst, with
 * attr set on it first if not NULL: calls on descriptors, where a bind
 * and a remount each look their paths up through /proc/self/fd. Returns
 * 1 when the kernel lacks the calls. */
static int
clone_onto(int src, int dst, int recursive, const struct mount_attr_v0 *attr)
{
	int tree, r, saved;

	tree = (int)syscall(SYS_open_tree, src, "", OPEN_TREE_CLONE | O_CLOEXEC |
	    AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return errno == ENOSYS ? 1 : -1;
	r = attr ? (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH |
	    (recursive ? AT_RECURSIVE : 0), attr, sizeof(*attr)) : 0;
	if (r < 0 && errno == ENOSYS) {
		close(tree);
		return 1;
	}
	if (r == 0)
		r = (int)syscall(SYS_move_mount, tree, "", dst, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	saved = errno;
	close(tree);
	errno = saved;
	return r;
}

/* A masked path: a file gets /dev/null bound on it, a directory an empty
 * read-only tmpfs. */
static int
mask_path(struct rootfs_ctx *c, const char *path)
{
	char src[32], dst[32];
	struct stat st, nst;
	int fd, nullfd, r;

	if ((fd = open_in(c, path, O_PATH | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return rootfs_fail(c, "mask %s:", path);
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		return rootfs_fail(c, "mask %s:", path);
	}
	fdpath(fd, dst, sizeof(dst));
	if (S_ISDIR(st.st_mode) && c->empty >= 0) {
		/* The same empty tmpfs again: one superblock less to make
		 * now and to tear down at the end. A bind keeps its flags. */
		if ((r = clone_onto(c->empty, fd, 0, NULL)) > 0) {
			fdpath(c->empty, src, sizeof(src));
			r = mount(src, dst, NULL, MS_BIND, NULL);
		}
	} else if (S_ISDIR(st.st_mode)) {
		r = mount("tmpfs", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV |
		    MS_NOEXEC, "size=0,mode=555");
		if (r == 0)
			c->empty = open_in(c, path, O_PATH | O_DIRECTORY | O_NOFOLLOW);
	} else {
		/* The /dev/null bound must really be 1:3 (CVE-2025-31133). */
		if (c->null < 0 && dev_ready(c) < 0) {
			close(fd);
			return -1;
		}
		if (c->null < 0) {
			nullfd = open_beneath(c->root, "dev/null", O_PATH | O_NOFOLLOW, 0);
			if (nullfd < 0 || fstat(nullfd, &nst) < 0 || !S_ISCHR(nst.st_mode) ||
			    nst.st_rdev != makedev(1, 3)) {
				if (nullfd >= 0)
					close(nullfd);
				close(fd);
				errno = ENODEV;
				return rootfs_fail(c, "mask %s: /dev/null is not the null device", path);
			}
			c->null = nullfd;
		}
		if ((r = clone_onto(c->null, fd, 0, NULL)) > 0) {
			fdpath(c->null, src, sizeof(src));
			r = mount(src, dst, NULL, MS_BIND, NULL);
		}
	}
	close(fd);
	if (r < 0)
		return rootfs_fail(c, "mask %s:", path);
	return 0;
}

/* A read-only copy of the tree at fd, put in its place. */
static int
readonly_clone(int fd)
{
	static const struct mount_attr_v0 ro = { .attr_set = MOUNT_ATTR_RDONLY };

	return clone_onto(fd, fd, 1, &ro);
}

static int
readonly_path(struct rootfs_ctx *c, const char *path)
{
	char p[32];
	int fd, r;

	if ((fd = open_in(c, path, O_PATH | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return rootfs_fail(c, "read-only %s:", path);
	}
	if ((r = readonly_clone(fd)) <= 0) {
		close(fd);
		return r < 0 ? rootfs_fail(c, "read-only %s:", path) : 0;
	}
	fdpath(fd, p, sizeof(p));
	r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (r < 0)
		return rootfs_fail(c, "bind %s:", path);
	return rootfs_remount_ro(c, path);
}

/* Apply fn to path; a single '*' in one component (Docker's cpu-star
 * thermal_throttle) is matched against that directory's entries. */
static int
each_match(struct rootfs_ctx *c, const char *path, int (*fn)(struct rootfs_ctx *, const char *))
{
	char dir[256], full[512];
	const char *star = strchr(path, '*'), *slash, *rest;
	size_t prefixlen, dirlen;
	struct dirent *e;
	struct stat st;
	int fd, host, r = 0;
	DIR *d;

	if (star == NULL)
		return fn(c, path);
	for (slash = star; slash > path && slash[-1] != '/'; slash--)
		;
	dirlen = (size_t)(slash - path);
	if (dirlen >= sizeof(dir))
		return 0;
	memcpy(dir, path, dirlen);
	dir[dirlen] = '\0';
	prefixlen = (size_t)(star - slash);
	rest = strchr(star, '/');
	/* Under /sys/devices/system, list the host's directory: the same
	 * CPUs and nodes (unlike network devices, which are per namespace),
	 * with its entries in the dentry cache, where every lookup in the
	 * container's new sysfs allocates one (and Docker's cpu-star pattern
	 * matches nothing on most machines, so nothing is looked up there). */
	host = c->hostsys >= 0 && strncmp(dir, "/sys/devices/system/", 20) == 0;
	fd = host ? openat(c->hostsys, dir + 5, O_RDONLY | O_DIRECTORY | O_CLOEXEC) :
	    open_beneath(c->root, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, slash, prefixlen) != 0)
			continue;
		snprintf(full, sizeof(full), "%s%s%s", dir, e->d_name, rest ? rest : "");
		if (host && strchr(full + dirlen, '*') == NULL &&
		    fstatat(dirfd(d), full + dirlen, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		r = each_match(c, full, fn);
	}
	closedir(d);
	return r;
}

/* Which of the masked and read-only paths: those under /sys can only be
 * done once /sys is mounted, the others before. */
enum {
	RO_NOT_SYS = 1, MASK_NOT_SYS = 2, RO_SYS = 4, MASK_SYS = 8,
	NOT_SYS = RO_NOT_SYS | MASK_NOT_SYS, SYS = RO_SYS | MASK_SYS,
	ALL = NOT_SYS | SYS,
};

static int
setup_masks(struct rootfs_ctx *c, int which)
{
	const char *const *m = c->o->masked ? c->o->masked : docker_masked;
	const char *const *ro = c->o->readonly_paths ? c->o->readonly_paths : docker_readonly;

	/* Read-only paths first: masking a file waits for /dev/null when
	 * another process is making /dev (dev_elsewhere). */
	for (; *ro; ro++)
		if ((which & (strncmp(*ro, "/sys/", 5) == 0 ? RO_SYS : RO_NOT_SYS)) &&
		    each_match(c, *ro, readonly_path) < 0)
			return -1;
	for (; *m; m++)
		if ((which & (strncmp(*m, "/sys/", 5) == 0 ? MASK_SYS : MASK_NOT_SYS)) &&
		    each_match(c, *m, mask_path) < 0)
			return -1;
	return 0;
}

int
net_lo_up(void)
{
	struct ifreq ifr;
	int s, r;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return r;
}

void
rootfs_host_probe(struct rootfs_host *h)
{
	struct statfs sf;

	h->cgroup2 = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	h->sys = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->sys >= 0 && (fstatfs(h->sys, &sf) < 0 || sf.f_type != SYSFS_MAGIC)) {
		close(h->sys);
		h->sys = -1;
	}
}

void
rootfs_host_close(struct rootfs_host *h)
{
	if (h->sys >= 0)
		close(h->sys);
	h->sys = -1;
}

static void
ctx_close(struct rootfs_ctx *c)
{
	if (c->root >= 0)
		close(c->root);
	if (c->null >= 0)
		close(c->null);
	if (c->empty >= 0)
		close(c->empty);
	if (c->proc >= 0)
		close(c->proc);
}

/* After pivot_root, with the old root stacked where the working directory
 * is: detach it ("." names it), and --read-only. */
static int
detach_old(struct rootfs_ctx *c)
{
	int fd;

	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return rootfs_fail(c, "detach the old root:");
	if (c->o->readonly) {
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
		    mop_locked_flags(fd), NULL) < 0)
			return rootfs_fail(c, "remount / read-only:");
		close(fd);
	}
	return 0;
}

/* The host's mounts made slave, so that nothing propagates back; the
 * root bound on itself, as pivot_root needs a mount point. */
int
rootfs_prepare(const struct rootfs_opts *o, char *err, size_t errlen)
{
	struct rootfs_ctx c = { o, -1, err, errlen, -1, -1, 0, 0, 0, -1, -1 };
	char p[32];
	int fd, r;

	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return rootfs_fail(&c, "make / a slave mount:");
	/* Then rootfs_enter holds the new mount: an fd opened before would
	 * name the directory beneath it, or a mount of another namespace. */
	if ((fd = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rootfs_fail(&c, "open %s:", o->path);
	fdpath(fd, p, sizeof(p));
	r = mount(p, p, NULL, MS_BIND | MS_REC, NULL);
	close(fd);
	if (r < 0)
		return rootfs_fail(&c, "bind %s on itself:", o->path);
	if ((fd = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rootfs_fail(&c, "open %s:", o->path);
	return fd;
}

/* /dev, for a rootfs_enter with dev_elsewhere; root from rootfs_prepare. */
int
rootfs_dev(const struct rootfs_opts *o, int root, char *err, size_t errlen)
{
	struct rootfs_ctx c = { o, root, err, errlen, -1, -1, 0, 0, 1, -1, -1 };
	int r;

	r = setup_dev(&c);
	c.root = -1;
	ctx_close(&c);
	return r;
}

/* /sys and its masks, for a rootfs_enter with finish_elsewhere, before or
 * after its pivot_root; root from rootfs_prepare. */
int
rootfs_sys(const struct rootfs_opts *o, int root, const struct rootfs_host *h,
    char *err, size_t errlen)
{
	struct rootfs_ctx c = { o, root, err, errlen, -1, -1, h->cgroup2, 1, 1, h->sys, -1 };
	int r;

	r = setup_sys(&c) < 0 || (!o->privileged && setup_masks(&c, SYS) < 0) ? -1 : 0;
	c.root = -1;
	ctx_close(&c);
	return r;
}

/* /proc's read-only paths, for a rootfs_enter with finish_elsewhere, once
 * it has pivoted (its /proc is mounted and checked by then); root from
 * rootfs_prepare. */
int
rootfs_proc_ro(const struct rootfs_opts *o, int root, char *err, size_t errlen)
{
	struct rootfs_ctx c = { o, root, err, errlen, -1, -1, 0, 1, 1, -1, -1 };
	struct statfs sf;
	int r;

	if (o->privileged)
		return 0;
	c.proc = open_beneath(root, "proc", O_PATH | O_DIRECTORY, 0);
	if (c.proc < 0 || fstatfs(c.proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
		errno = EXDEV;
		r = rootfs_fail(&c, "/proc in %s is not the procfs just mounted", o->path);
	} else
		r = setup_masks(&c, RO_NOT_SYS);
	c.root = -1;
	ctx_close(&c);
	return r;
}

/*
 * The order bubblewrap uses: the host's mounts made slave so nothing
 * propagates back, the root bound on itself, /proc /dev /sys built inside
 * it, pivot_root, the old root detached.
 */
int
rootfs_enter(const struct rootfs_opts *o, char *err, size_t errlen)
{
	struct rootfs_host h = { 0, -1 };
	struct rootfs_ctx c = { o, -1, err, errlen, -1, -1, 0, 0, !o->dev_elsewhere, -1, -1 };
	int r;

	/* With finish_elsewhere, /sys is another process's business. */
	if (o->oci || !o->finish_elsewhere)
		rootfs_host_probe(&h);
	c.cgroup2 = h.cgroup2;
	c.hostsys = h.sys;

	if (!o->prepared)
		c.root = rootfs_prepare(o, err, errlen);
	else if ((c.root = open(o->path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return rootfs_fail(&c, "open %s:", o->path);
	if (c.root < 0)
		return -1;

	if (o->oci) {
		if (rootfs_setup_oci(&c) < 0 || setup_masks(&c, ALL) < 0)
			goto fail;
	} else if (setup_proc(&c) < 0 || (!o->dev_elsewhere && setup_dev(&c) < 0) ||
	    (!o->privileged && setup_masks(&c, o->finish_elsewhere ? MASK_NOT_SYS : NOT_SYS) < 0) ||
	    (o->before_sys && o->before_sys(c.root, err, errlen) < 0) ||
	    (!o->finish_elsewhere && (setup_sys(&c) < 0 ||
	    (!o->privileged && setup_masks(&c, SYS) < 0))))
		goto fail;

	if (dev_ready(&c) < 0)
		goto fail;
	if (fchdir(c.root) < 0) {
		rootfs_fail(&c, "chdir %s:", o->path);
		goto fail;
	}
	/* pivot_root(".", ".") stacks the old root on the new one. */
	if (syscall(SYS_pivot_root, ".", ".") < 0) {
		rootfs_fail(&c, "pivot_root into %s:", o->path);
		goto fail;
	}
	/* Unmounting the old root must not reach the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		rootfs_fail(&c, "detach the old root:");
		goto fail;
	}
	r = o->finish_elsewhere ? 0 : detach_old(&c);
	ctx_close(&c);
	rootfs_host_close(&h);
	return r;
fail:
	ctx_close(&c);
	rootfs_host_close(&h);
	return -1;
}

/* The last steps for a rootfs_enter with finish_elsewhere (after
 * rootfs_sys), in a process whose root and working directory were the old
 * root, once rootfs_enter has pivoted: detach the old root, --read-only. */
int
rootfs_finish(const struct rootfs_opts *o, char *err, size_t errlen)
{
	struct rootfs_ctx c = { o, -1, err, errlen, -1, -1, 0, 1, 1, -1, -1 };

	return detach_old(&c);
}
