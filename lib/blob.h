/* SPDX-License-Identifier: ISC */
/* blob.h: read an image blob with its size and sha256 checked while it
 * streams, decompressing gzip or zstd (found by magic bytes) on the way. */
#ifndef SKIFF_BLOB_H
#define SKIFF_BLOB_H

#include <sys/types.h>
#include <stdint.h>

#include "sha256.h"

enum { BLOB_PLAIN, BLOB_GZIP, BLOB_ZSTD };

struct blob {
	int fd;
	off_t off;		/* where the blob starts in fd */
	uint64_t len, pos;	/* its length, bytes read so far */
	int comp, decompress, ended;
	int raw;		/* inflating a gzip member without its wrapper */
	struct sha256 hin, hout;
	int hout_async;		/* hout is taken by blob_async's hasher */
	uint64_t nout, maxout;
	void *z;		/* z_stream or ZSTD_DStream */
	unsigned char *in;
	size_t inlen, inpos;
	char err[160];
};

/* A blob of len bytes at off in fd. With decompress, blob_read returns the
 * decompressed stream, and more than maxout bytes of it is an error. */
int blob_open(struct blob *b, int fd, off_t off, uint64_t len, int decompress,
    uint64_t maxout);
ssize_t blob_read(struct blob *b, void *buf, size_t len);
/* Read what is left (so the digests cover everything), then give the
 * digests as 64 hex digits: of the blob, and of the decompressed stream. */
int blob_finish(struct blob *b, char inhex[65], char outhex[65]);
void blob_close(struct blob *b);
/*
 * The same stream read ahead by a thread of its own (reading, hashing the
 * blob, decompressing) while another takes the sha256 of the decompressed
 * stream, so that both overlap with whatever the caller does with the
 * bytes (creating files). Start it after blob_open, read with blob_async_read (a tar_readfn),
 * stop it before blob_finish.
 */
#define BLOB_NSLOT 8
struct blob_async;
struct blob_async *blob_async_start(struct blob *b);
ssize_t blob_async_read(void *async, void *buf, size_t len);
/* The same, lending the bytes (a tar_lendfn). */
ssize_t blob_async_lend(void *async, const void **p, size_t len);
void blob_async_stop(struct blob_async *a);

/* "sha256:" and 64 lowercase hex digits; the hex part in *hex. */
int digest_valid(const char *digest, const char **hex);
/* sha256 of a whole buffer as hex. */
void sha256_hex(const void *buf, size_t len, char hex[65]);

#endif
