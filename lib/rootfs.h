/* SPDX-License-Identifier: ISC */
/* rootfs.h: turn a directory into a container's root, and look up users in it. */
#ifndef SKIFF_ROOTFS_H
#define SKIFF_ROOTFS_H

#include <stddef.h>
#include <sys/types.h>

struct oci_mount;

struct rootfs_opts {
	const char *path;		/* the root directory, a host path */
	int readonly;			/* remount / read-only at the end */
	int privileged;			/* no masked paths, /sys writable */
	int in_userns;			/* devices bound from the host */
	const char *ptyname;		/* a pty bound on /dev/console, or NULL */
	const char *const *masked;	/* NULL: Docker's list */
	const char *const *readonly_paths; /* NULL: Docker's list */
	/* An OCI bundle's mounts, done in order instead of the built-in
	 * /proc /dev /sys; a tmpfs on /dev gets the usual nodes. */
	const struct oci_mount *mounts;
	size_t nmounts;
	int oci;
	/* Called (when set) just before /sys is mounted, with an O_PATH fd
	 * of the root: the place to join a network namespace made in the
	 * meantime, as sysfs shows the mounter's. Returns 0, or -1 with
	 * err filled. Not called for an OCI bundle's mounts. */
	int (*before_sys)(int rootfd, char *err, size_t errlen);
	/* Stop after pivot_root: /sys and its masks (rootfs_sys), /proc's
	 * read-only paths (rootfs_proc_ro), detaching the old root and
	 * --read-only (rootfs_finish) are left to another process of the
	 * mount namespace, while this one goes on; the caller must wait for
	 * it before exec. */
	int finish_elsewhere;
	/* rootfs_prepare was called already (in this mount namespace). */
	int prepared;
	/* /dev is made by rootfs_dev in another process, meanwhile; wait_dev
	 * returns once it is (0), or -1 with err filled. */
	int dev_elsewhere;
	int (*wait_dev)(char *err, size_t errlen);
};

/*
 * Make a fresh mount namespace's view: slave propagation, the root bound
 * on itself, /proc, a tmpfs /dev with the usual nodes, /sys, masked and
 * read-only paths, pivot_root, the old root detached. Call it after
 * unshare(CLONE_NEWNS), in the process that will become the container.
 * On failure, err holds "what: why" and the caller's namespace is left to
 * die with it.
 */
int rootfs_enter(const struct rootfs_opts *o, char *err, size_t errlen);

/*
 * For a caller that shares the work with another process of the mount
 * namespace. rootfs_prepare: rootfs_enter's first step (the host's mounts
 * slave, the root bound on itself), before the fork; returns an O_PATH fd
 * of the bound root, or -1. rootfs_dev (dev_elsewhere) makes /dev in it
 * while rootfs_enter goes on; rootfs_sys (finish_elsewhere) mounts /sys
 * and its masks, before or after rootfs_enter's pivot_root (sysfs is not
 * bound from the host here where it cannot be mounted; h: what
 * rootfs_host_probe() found before the fork); once rootfs_enter has
 * pivoted, rootfs_proc_ro makes /proc's read-only paths so, and
 * rootfs_finish, in a process whose root and working directory were the
 * old root, detaches the old root and makes / read-only if asked. Errors
 * as rootfs_enter's.
 */
int rootfs_prepare(const struct rootfs_opts *o, char *err, size_t errlen);
int rootfs_dev(const struct rootfs_opts *o, int root, char *err, size_t errlen);
struct rootfs_host;
int rootfs_sys(const struct rootfs_opts *o, int root, const struct rootfs_host *h,
    char *err, size_t errlen);
int rootfs_proc_ro(const struct rootfs_opts *o, int root, char *err, size_t errlen);
int rootfs_finish(const struct rootfs_opts *o, char *err, size_t errlen);

/* What the host's mount namespace shows, read before pivot_root hides
 * it: whether /sys/fs/cgroup is a pure cgroup v2 tree, and a descriptor
 * of its /sys if that is a sysfs (else -1), where rootfs_sys lists what a
 * glob under /sys/devices/system matches. */
struct rootfs_host {
	int cgroup2;
	int sys;
};
void rootfs_host_probe(struct rootfs_host *h);
void rootfs_host_close(struct rootfs_host *h);

/* Bring lo up in the current network namespace. */
int net_lo_up(void);

/*
 * passwd.c: look NAME (or a number) up in the container's /etc/passwd or
 * /etc/group, read as a capped regular file (never a FIFO or device).
 * Returns 0 and fills what it found; -1 when there is no such entry.
 */
int passwd_lookup(const char *file, const char *key, long long *id,
    long long *gid, char *home, size_t homelen);

#endif
