/* SPDX-License-Identifier: ISC */
/* tar.h: a streaming reader of ustar, GNU and PAX tar archives. */
#ifndef SKIFF_TAR_H
#define SKIFF_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Caps on what one archive may make us hold in memory. */
#define TAR_MAX_META (1 << 20)	/* a PAX header or GNU long name/link */
#define TAR_MAX_XATTRS 64

struct tar_xattr {
	char *name;
	char *value;
	size_t len;
};

struct tar_entry {
	char *path;		/* as in the archive, not cleaned */
	char *link;		/* symlink or hardlink target, verbatim */
	char type;		/* '0' file, '1' hardlink, '2' symlink, '3' char,
				 * '4' block, '5' directory, '6' fifo */
	unsigned mode;		/* permission bits incl. setuid/setgid/sticky */
	uint64_t uid, gid;
	int64_t mtime;
	long mtime_nsec;
	uint64_t size;		/* data bytes of a regular file */
	unsigned devmajor, devminor;
	struct tar_xattr xattrs[TAR_MAX_XATTRS];
	size_t nxattrs;
};

/* Returns bytes read (short only at end of input), 0 at end, -1 on error. */
typedef ssize_t (*tar_readfn)(void *ctx, void *buf, size_t len);
/* Optional, beside a tar_readfn over the same stream: lends up to len
 * bytes in *p instead of copying them, valid until the next call of
 * either; counts as for tar_readfn. */
typedef ssize_t (*tar_lendfn)(void *ctx, const void **p, size_t len);

struct tar {
	tar_readfn read;
	tar_lendfn lend;	/* may be NULL; set after tar_init */
	void *ctx;
	uint64_t left;		/* data bytes of the current entry not yet read */
	uint64_t pad;		/* padding after them */
	uint64_t nentries;
	struct tar_entry e;
	char *globalpax;	/* pax 'g' records are ignored but bounded */
	char *paxbuf;		/* the last pax 'x' record, reused */
	size_t paxcap;
};

void tar_init(struct tar *t, tar_readfn read, void *ctx);
/*
 * The next entry (metadata records folded in): 1, 0 at the end of the
 * archive (two zero blocks, or end of input at a header boundary, which
 * real images have), -1 with a reason in err. Unread data of the previous
 * entry is skipped. The entry stays valid until the next call.
 */
int tar_next(struct tar *t, struct tar_entry **e, char *err, size_t errlen);
/* Read data of the current entry: bytes read, 0 at its end, -1 (EIO on a
 * truncated archive). */
ssize_t tar_read(struct tar *t, void *buf, size_t len);
/* The same without a copy: up to len bytes of the entry's data lent in *p
 * (valid until the next call on t); t->lend must be set. */
ssize_t tar_lend(struct tar *t, const void **p, size_t len);
void tar_free(struct tar *t);

#endif
