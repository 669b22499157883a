/* SPDX-License-Identifier: ISC */
/* rootfs_ctx.h: the state of one call and the helpers shared by the
 * built-in root (rootfs.c) and an OCI bundle's mounts (rootfs_oci.c);
 * private to them. */
#ifndef SKIFF_ROOTFS_CTX_H
#define SKIFF_ROOTFS_CTX_H

#include <stddef.h>

#include "rootfs.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define CGROUP2_SUPER_MAGIC 0x63677270
#define SYSFS_MAGIC 0x62656572

/* The state of one rootfs_enter (or rootfs_dev, rootfs_sys, ...) call. */
struct rootfs_ctx {
	const struct rootfs_opts *o;
	int root;		/* O_PATH fd of the root's own mount */
	char *err;
	size_t errlen;
	int null;		/* the checked /dev/null, once a file is masked */
	int empty;		/* the empty tmpfs, once a directory is masked */
	int cgroup2;		/* the host has a pure cgroup v2 tree */
	int pivoted;		/* the host's /sys is out of reach */
	int dev_ready;		/* /dev is made (here, or wait_dev said so) */
	int hostsys;		/* the host's /sys, where globs under /sys/devices/system are listed */
	int proc;		/* the /proc just mounted and checked, or -1 */
};


/* Record "what: why" (a format ending in ':' gets strerror); returns -1. */
int rootfs_fail(struct rootfs_ctx *c, const char *fmt, ...);
/* Mount src (of fstype, with data) on the directory dstfd names; what
 * names it in an error. */
int rootfs_mount_on(struct rootfs_ctx *c, const char *src, int dstfd, const char *fstype,
    unsigned long flags, const char *data, const char *what);
/* Remount what is at path (beneath the root) with flags, keeping the
 * flags the kernel has locked; or read-only. */
int rootfs_remount_flags(struct rootfs_ctx *c, const char *path, unsigned long flags);
int rootfs_remount_ro(struct rootfs_ctx *c, const char *path);
/* An O_PATH fd of a mountpoint beneath the root, made when missing,
 * never followed out; -1 on error. */
int rootfs_mountpoint(struct rootfs_ctx *c, const char *path);
/* In a /dev (devfd): the device nodes and links every container's /dev
 * holds; the pty bound on /dev/console, when there is one. */
int rootfs_dev_nodes(struct rootfs_ctx *c, int devfd);
int rootfs_dev_console(struct rootfs_ctx *c, int devfd);

/* rootfs_oci.c: an OCI bundle's mounts, in order (rootfs_opts.mounts). */
int rootfs_setup_oci(struct rootfs_ctx *c);

#endif
