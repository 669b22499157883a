/* SPDX-License-Identifier: ISC */
/* unpack.h: apply one layer's tar stream to a root directory, safely. */
#ifndef SKIFF_UNPACK_H
#define SKIFF_UNPACK_H

#include <stddef.h>

#include "tar.h"

struct pathset;
struct dirtime;

struct unpack {
	int rootfd;		/* O_PATH fd of the root; never replaced */
	int overlay;		/* whiteouts as 0/0 devices, opaque xattr */
	const int *lowerfds;	/* store mode: earlier layers, for hardlinks */
	size_t nlower;
	int root;		/* running as root: chown, devices, trusted.* */
	void (*warn)(const char *fmt, ...);
	/* private */
	char *cdir;
	int cdirfd;
	unsigned cdir_gid;	/* cdir's group, and whether it is setgid: */
	int cdir_sgid;		/* what a new entry's group will be */
	unsigned euid, egid;
	unsigned umask;
	int exact;		/* no default ACL: a new entry's mode is the
				 * one asked for, less the umask */
	struct pathset *seen;
	char **opaque;
	size_t nopaque;
	struct dirtime *dirs;
	size_t ndirs;
	int warned_dev, warned_xattr;
};

void unpack_init(struct unpack *u, int rootfd, int overlay);
/* Apply every entry of t; -1 with the reason (naming the entry) in err. */
int unpack_layer(struct unpack *u, struct tar *t, char *err, size_t errlen);
void unpack_free(struct unpack *u);
/* Remove name (recursively if a directory) in dirfd without following
 * symlinks. */
int remove_at(int dirfd, const char *name);

#endif
