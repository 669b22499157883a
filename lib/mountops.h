/* SPDX-License-Identifier: ISC */
/* mountops.h: vol-mount's pieces: mount specs parsed into operations, the
 * named volume store, and fd-relative tree removal. */
#ifndef SKIFF_MOUNTOPS_H
#define SKIFF_MOUNTOPS_H

#include <sys/types.h>
#include <stddef.h>

enum mop_kind { MOP_BIND, MOP_TMPFS, MOP_VOLUME };

/* One mount to make beneath the root, parsed and checked, nothing done. */
struct mount_op {
	enum mop_kind kind;
	char *src;		/* bind: host path; volume: its name */
	char *dst;		/* normalised absolute target inside the root */
	int ro;			/* remount read-only */
	int rec;		/* rbind: submounts too */
	unsigned long prop;	/* MS_PRIVATE, MS_SLAVE, MS_SHARED */
	int prop_rec;		/* propagation set with MS_REC */
	unsigned long flags;	/* tmpfs: MS_NOSUID... */
	char data[160];		/* tmpfs: the options for the kernel */
	size_t depth;		/* components in dst, to mount parents first */
};

/* Parse "SRC:DST[:OPTS]", "DST[:OPTS]" and "NAME:DST[:OPTS]". On failure
 * -1 and err holds why (the caller names the option and the spec). */
int mop_parse_bind(const char *spec, struct mount_op *op, char *err, size_t errlen);
int mop_parse_tmpfs(const char *spec, struct mount_op *op, char *err, size_t errlen);
int mop_parse_volume(const char *spec, struct mount_op *op, char *err, size_t errlen);
void mop_free(struct mount_op *op);

/* A target inside the root: absolute, no "..", normalised into out. */
int mop_norm_target(const char *path, char *out, size_t outlen, char *err, size_t errlen);

/* Volume names: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64 bytes. */
int vol_name_ok(const char *name);

/*
 * The named volume store: $SKIFF_ROOT/volumes/NAME/{data/,lock}. A user
 * holds a shared flock on NAME/lock for as long as it uses the volume;
 * removal takes it exclusively, so a volume in use is never removed
 * unless forced. vol_open_store opens (and with create makes) the
 * volumes directory.
 */
int vol_open_store(const char *skiff_root, int create);
int vol_create(int store, const char *name);
int vol_acquire(int store, const char *name, int create, int *created);
int vol_users(int store, const char *name, pid_t *pids, size_t max);
int vol_remove(int store, const char *name, int force);
int flock_holders(int fd, pid_t *pids, size_t max);

/* Remove name beneath dirfd and everything under it, never following a
 * symlink and never crossing into another mount. */
int rm_tree_at(int dirfd, const char *name);

/* flatten.c: copy a layer onto a tree as overlayfs would show it
 * (whiteouts delete, opaque directories replace); the overlay fallback. */
int layer_apply(int srcfd, int dstfd);
int dir_clear(int dirfd);

/* The mount flags a bind remount must keep (locked in a user namespace). */
unsigned long mop_locked_flags(int fd);

#endif
