/* SPDX-License-Identifier: ISC */
/* rootfs_oci.c: an OCI bundle's mounts (config.json's "mounts"), done in
 * order beneath the root in place of rootfs.c's built-in /proc /dev /sys;
 * a tmpfs on /dev still gets the usual nodes. */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mountops.h"
#include "ocispec.h"
#include "rootfs.h"
#include "rootfs_ctx.h"
#include "util.h"

/* Where we are in the v1 hierarchy name ("memory", "systemd"), from
 * /proc/self/cgroup; "" when not found. */
static void
own_cgroup(const char *name, char *out, size_t len)
{
	char line[512], want[300], *p, *q;
	FILE *f;

	out[0] = '\0';
	snprintf(want, sizeof(want), "%s%s", strcmp(name, "systemd") == 0 ? "name=" : "", name);
	if ((f = fopen("/proc/self/cgroup", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		if ((p = strchr(line, ':')) == NULL || (q = strchr(p + 1, ':')) == NULL)
			continue;
		*q = '\0';
		if (strcmp(p + 1, want) != 0)
			continue;
		q[1 + strcspn(q + 1, "\n")] = '\0';
		snprintf(out, len, "%s", q + 1);
		break;
	}
	fclose(f);
}

/* A cgroup mount on a host without a pure v2 tree: a tmpfs holding each
 * of the host's hierarchies, as runc lays it out. Where the kernel will
 * not mount a hierarchy (a user namespace without its own cgroup
 * namespace), our own cgroup's directory is bound instead, as runc does. */
static int
mount_cgroup_v1(struct rootfs_ctx *c, const struct oci_mount *m, int dstfd)
{
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | (m->flags & MS_RDONLY);
	char host[300], sub[300], opts[300], dst[32], target[128], own[256], src[600];
	struct statfs sf;
	struct stat st;
	struct dirent *e;
	ssize_t n;
	int fd, r;
	DIR *d;

	if (rootfs_mount_on(c, "tmpfs", dstfd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    "mode=755", "tmpfs for the cgroup hierarchies") < 0)
		return -1;
	if ((d = opendir("/sys/fs/cgroup")) == NULL)
		return rootfs_fail(c, "open /sys/fs/cgroup:");
	r = 0;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 100)
			continue;
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s", e->d_name);
		snprintf(sub, sizeof(sub), "%s/%s", m->dest + 1, e->d_name);
		if (lstat(host, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) {
			/* cpu -> cpu,cpuacct */
			if ((n = readlink(host, target, sizeof(target) - 1)) <= 0)
				continue;
			target[n] = '\0';
			snprintf(sub, sizeof(sub), "%s", m->dest + 1);
			if ((fd = open_beneath(c->root, sub, O_PATH | O_DIRECTORY, 0)) < 0) {
				r = rootfs_fail(c, "open %s:", m->dest);
				break;
			}
			if (symlinkat(target, fd, e->d_name) < 0)
				r = rootfs_fail(c, "symlink %s/%s:", m->dest, e->d_name);
			close(fd);
			continue;
		}
		/* The hybrid layout's cgroup2 "unified" is left out, as
		 * runc leaves it out. */
		if (!S_ISDIR(st.st_mode) || statfs(host, &sf) < 0 || sf.f_type != 0x27e0eb)
			continue;
		if ((fd = rootfs_mountpoint(c, sub)) < 0) {
			r = -1;
			break;
		}
		fdpath(fd, dst, sizeof(dst));
		if (strcmp(e->d_name, "systemd") == 0)
			snprintf(opts, sizeof(opts), "none,name=systemd");
		else
			snprintf(opts, sizeof(opts), "%s", e->d_name);
		r = mount("cgroup", dst, "cgroup", fl, opts);
		if (r < 0 && errno == EPERM) {
			own_cgroup(e->d_name, own, sizeof(own));
			snprintf(src, sizeof(src), "%s%s", host, own);
			r = mount(src, dst, NULL, MS_BIND, NULL);
			if (r < 0)
				r = rootfs_fail(c, "bind %s on %s/%s:", src, m->dest, e->d_name);
			close(fd);
			if (r == 0)
				r = rootfs_remount_flags(c, sub, fl);
			continue;
		}
		close(fd);
		if (r < 0)
			r = rootfs_fail(c, "mount cgroup %s on %s/%s:", e->d_name, m->dest, e->d_name);
	}
	closedir(d);
	/* The tmpfs itself stays writable, as runc leaves it. */
	return r;
}

static int
oci_mount(struct rootfs_ctx *c, const struct oci_mount *m)
{
	const char *dest = m->dest + strspn(m->dest, "/");
	const char *type = m->type ? m->type : "none";
	struct statfs sf;
	struct stat st;
	char dst[32], src[32], what[300];
	int fd, srcfd, r;

	snprintf(what, sizeof(what), "%s on %s", m->bind ? "bind" : type, m->dest);
	if (m->bind) {
		/* The source is the host's, opened before pivot_root. */
		if ((srcfd = open(m->source, O_PATH | O_CLOEXEC)) < 0 || fstat(srcfd, &st) < 0)
			return rootfs_fail(c, "bind source %s:", m->source);
		fd = S_ISDIR(st.st_mode) ? rootfs_mountpoint(c, dest) : mkfile_beneath(c->root, dest, 0644);
		if (fd < 0) {
			close(srcfd);
			return S_ISDIR(st.st_mode) ? -1 : rootfs_fail(c, "mountpoint %s:", m->dest);
		}
		fdpath(srcfd, src, sizeof(src));
		r = rootfs_mount_on(c, src, fd, NULL, MS_BIND | (m->rec ? MS_REC : 0), NULL, what);
		close(fd);
		close(srcfd);
		if (r < 0)
			return -1;
		if ((m->flags & ~(MS_REC)) != 0 &&
		    rootfs_remount_flags(c, dest, m->flags) < 0)
			return -1;
	} else {
		if ((fd = rootfs_mountpoint(c, dest)) < 0)
			return -1;
		if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
			if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
				r = rootfs_mount_on(c, "cgroup2", fd, "cgroup2", m->flags, NULL, what);
			else
				r = mount_cgroup_v1(c, m, fd);
		} else {
			fdpath(fd, dst, sizeof(dst));
			r = mount(m->source ? m->source : type, dst, type, m->flags,
			    m->data[0] ? m->data : NULL);
			if (r < 0 && errno == EPERM && strcmp(type, "sysfs") == 0) {
				/* As in setup_sys: a user namespace may not
				 * mount sysfs; bind the host's instead. */
				r = mount("/sys", dst, NULL, MS_BIND | MS_REC, NULL);
				if (r == 0 && (m->flags & MS_RDONLY)) {
					close(fd);
					return rootfs_remount_ro(c, dest);
				}
			}
			if (r < 0)
				r = rootfs_fail(c, "mount %s:", what);
		}
		close(fd);
		if (r < 0)
			return -1;
		if (strcmp(type, "proc") == 0) {
			/* Later steps write through it (CVE-2019-16884). */
			fd = open_beneath(c->root, dest, O_PATH | O_DIRECTORY, 0);
			if (fd < 0 || fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
				if (fd >= 0)
					close(fd);
				errno = EXDEV;
				return rootfs_fail(c, "%s is not the procfs just mounted", m->dest);
			}
			close(fd);
		}
	}
	if (m->propagation) {
		if ((fd = open_beneath(c->root, dest, O_PATH, 0)) < 0)
			return rootfs_fail(c, "open %s:", m->dest);
		fdpath(fd, dst, sizeof(dst));
		r = mount(NULL, dst, NULL, m->propagation, NULL);
		close(fd);
		if (r < 0)
			return rootfs_fail(c, "propagation of %s:", m->dest);
	}
	if (strcmp(dest, "dev") == 0 && !m->bind) {
		if ((fd = open_beneath(c->root, "dev", O_PATH | O_DIRECTORY, 0)) < 0)
			return rootfs_fail(c, "open /dev:");
		r = rootfs_dev_nodes(c, fd);
		close(fd);
		return r;
	}
	return 0;
}

int
rootfs_setup_oci(struct rootfs_ctx *c)
{
	int fd, r, dev = 0;
	size_t i;

	for (i = 0; i < c->o->nmounts; i++) {
		if (oci_mount(c, &c->o->mounts[i]) < 0)
			return -1;
		dev |= strcmp(c->o->mounts[i].dest, "/dev") == 0;
	}
	if (!dev || c->o->ptyname == NULL)
		return 0;
	if ((fd = open_beneath(c->root, "dev", O_PATH | O_DIRECTORY, 0)) < 0)
		return rootfs_fail(c, "open /dev:");
	r = rootfs_dev_console(c, fd);
	close(fd);
	return r;
}
