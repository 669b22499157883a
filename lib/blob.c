/* SPDX-License-Identifier: ISC */
/* blob.c: checked, decompressing reads of image blobs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__has_include)
#if __has_include(<zstd.h>)
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>
#define HAVE_ZSTD 1
#endif
#endif

#include "blob.h"

#define INBUF (256 * 1024)

int
digest_valid(const char *digest, const char **hex)
{
	size_t i;

	if (digest == NULL || strncmp(digest, "sha256:", 7) != 0)
		return 0;
	for (i = 7; i < 71; i++)
		if (!((digest[i] >= '0' && digest[i] <= '9') ||
		    (digest[i] >= 'a' && digest[i] <= 'f')))
			return 0;
	if (digest[71] != '\0')
		return 0;
	if (hex != NULL)
		*hex = digest + 7;
	return 1;
}

static void
tohex(const unsigned char *d, char hex[65])
{
	static const char x[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[d[i] >> 4];
		hex[2 * i + 1] = x[d[i] & 15];
	}
	hex[64] = '\0';
}

void
sha256_hex(const void *buf, size_t len, char hex[65])
{
	struct sha256 c;
	unsigned char d[32];

	sha256_init(&c);
	sha256_update(&c, buf, len);
	sha256_final(&c, d);
	tohex(d, hex);
}

/* Read more of the blob after what is left unread in the buffer (moved to
 * its start); every byte is hashed once, as it arrives. 0 at the end. */
static ssize_t
fill(struct blob *b)
{
	size_t keep = b->inlen - b->inpos, want = INBUF - keep;
	ssize_t n;

	if (b->pos >= b->len)
		return 0;
	if (keep > 0)
		memmove(b->in, b->in + b->inpos, keep);
	b->inlen = keep;
	b->inpos = 0;
	if (want > b->len - b->pos)
		want = (size_t)(b->len - b->pos);
	do
		n = pread(b->fd, b->in + keep, want, b->off + (off_t)b->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(b->err, sizeof(b->err), "read: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		snprintf(b->err, sizeof(b->err), "truncated: %llu of %llu bytes",
		    (unsigned long long)b->pos, (unsigned long long)b->len);
		errno = EIO;
		return -1;
	}
	sha256_update(&b->hin, b->in + keep, (size_t)n);
	b->pos += (uint64_t)n;
	b->inlen = keep + (size_t)n;
	return n;
}

/* At least k unread bytes in the buffer, unless the blob ends first. */
static int
ensure(struct blob *b, size_t k)
{
	while (b->inlen - b->inpos < k && b->pos < b->len)
		if (fill(b) < 0)
			return -1;
	return 0;
}

/*
 * The length of a gzip member header (RFC 1952) at p, or 0 when it is not
 * all in the n bytes or uses reserved flags. The first member is inflated
 * raw, past this header, so that zlib does not compute its CRC-32: the
 * sha256 of the same bytes is checked anyway, and the CRC costs a tenth.
 */
static size_t
gzip_header(const unsigned char *p, size_t n)
{
	size_t off = 10;
	unsigned flg;

	if (n < 10 || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || (p[3] & 0xe0))
		return 0;
	flg = p[3];
	if (flg & 4) {
		if (n < off + 2)
			return 0;
		off += 2 + (p[off] | (size_t)p[off + 1] << 8);
	}
	if (flg & 8) {
		while (off < n && p[off] != 0)
			off++;
		off++;
	}
	if (flg & 16) {
		while (off < n && p[off] != 0)
			off++;
		off++;
	}
	if (flg & 2)
		off += 2;
	return off <= n ? off : 0;
}

int
blob_open(struct blob *b, int fd, off_t off, uint64_t len, int decompress,
    uint64_t maxout)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->off = off;
	b->len = len;
	b->decompress = decompress;
	b->maxout = maxout;
	sha256_init(&b->hin);
	sha256_init(&b->hout);
	if ((b->in = malloc(INBUF)) == NULL)
		return -1;
	if (!decompress)
		return 0;
	if (fill(b) < 0)
		return -1;
	if (b->inlen >= 2 && b->in[0] == 0x1f && b->in[1] == 0x8b) {
		z_stream *z = calloc(1, sizeof(*z));

		if (z == NULL)
			return -1;
		size_t hdr = gzip_header(b->in, b->inlen);

		b->z = z;
		b->comp = BLOB_GZIP;
		if (inflateInit2(z, hdr ? -15 : 15 + 16) != Z_OK) {
			snprintf(b->err, sizeof(b->err), "inflateInit failed");
			return -1;
		}
		b->raw = hdr != 0;
		b->inpos = hdr;
	} else if (b->inlen >= 4 && b->in[0] == 0x28 && b->in[1] == 0xb5 &&
	    b->in[2] == 0x2f && b->in[3] == 0xfd) {
#ifdef HAVE_ZSTD
		if ((b->z = ZSTD_createDStream()) == NULL)
			return -1;
		ZSTD_initDStream(b->z);
#ifdef ZSTD_d_forceIgnoreChecksum
		/* The frame's XXH64 is redundant next to the sha256 of the
		 * same bytes that we check anyway, and costs a fifth. */
		ZSTD_DCtx_setParameter(b->z, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
#endif
		b->comp = BLOB_ZSTD;
#else
		snprintf(b->err, sizeof(b->err), "zstd layers are not supported by this build");
		errno = ENOTSUP;
		return -1;
#endif
	} else
		b->comp = BLOB_PLAIN;
	return 0;
}

static ssize_t
out_count(struct blob *b, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	b->nout += n;
	if (b->maxout && b->nout > b->maxout) {
		snprintf(b->err, sizeof(b->err),
		    "decompressed size exceeds the limit of %llu bytes",
		    (unsigned long long)b->maxout);
		errno = EFBIG;
		return -1;
	}
	if (!b->hout_async)
		sha256_update(&b->hout, buf, n);
	return (ssize_t)n;
}

ssize_t
blob_read(struct blob *b, void *buf, size_t len)
{
	if (b->ended || len == 0)
		return 0;
	if (!b->decompress || b->comp == BLOB_PLAIN) {
		size_t n;

		if (b->inpos == b->inlen) {
			ssize_t r = fill(b);

			if (r <= 0)
				return r;
		}
		n = b->inlen - b->inpos;
		if (n > len)
			n = len;
		memcpy(buf, b->in + b->inpos, n);
		b->inpos += n;
		return b->decompress ? out_count(b, buf, n) : (ssize_t)n;
	}
	for (;;) {
		size_t produced = 0;

		if (b->inpos == b->inlen) {
			ssize_t r = fill(b);

			if (r < 0)
				return -1;
			if (r == 0) {
				snprintf(b->err, sizeof(b->err),
				    "compressed stream ends early");
				errno = EIO;
				return -1;
			}
		}
		if (b->comp == BLOB_GZIP) {
			z_stream *z = b->z;
			int rc;

			z->next_in = b->in + b->inpos;
			z->avail_in = (uInt)(b->inlen - b->inpos);
			z->next_out = buf;
			z->avail_out = len > (1u << 30) ? (1u << 30) : (uInt)len;
			rc = inflate(z, Z_NO_FLUSH);
			produced = (size_t)((unsigned char *)z->next_out - (unsigned char *)buf);
			b->inpos = b->inlen - z->avail_in;
			if (rc == Z_STREAM_END) {
				if (b->raw) {
					/* The trailer (CRC-32, size) we skip. */
					if (ensure(b, 8) < 0)
						return -1;
					if (b->inlen - b->inpos < 8) {
						snprintf(b->err, sizeof(b->err),
						    "gzip: truncated trailer");
						errno = EIO;
						return -1;
					}
					b->inpos += 8;
					b->raw = 0;
				}
				/* Another member may follow: zlib reads it
				 * whole, header and CRC included. */
				if (ensure(b, 2) < 0)
					return -1;
				if (b->inlen - b->inpos >= 2 && b->in[b->inpos] == 0x1f &&
				    b->in[b->inpos + 1] == 0x8b)
					inflateReset2(z, 15 + 16);
				else
					b->ended = 1;
			} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
				snprintf(b->err, sizeof(b->err), "gzip: %s",
				    z->msg ? z->msg : "corrupt data");
				errno = EIO;
				return -1;
			}
#ifdef HAVE_ZSTD
		} else {
			ZSTD_inBuffer zin = { b->in, b->inlen, b->inpos };
			ZSTD_outBuffer zout = { buf, len, 0 };
			size_t rc = ZSTD_decompressStream(b->z, &zout, &zin);

			if (ZSTD_isError(rc)) {
				snprintf(b->err, sizeof(b->err), "zstd: %s",
				    ZSTD_getErrorName(rc));
				errno = EIO;
				return -1;
			}
			b->inpos = zin.pos;
			produced = zout.pos;
			if (rc == 0 && b->inpos == b->inlen && b->pos == b->len)
				b->ended = 1;
#endif
		}
		if (produced > 0 || b->ended)
			return out_count(b, buf, produced);
	}
}

int
blob_finish(struct blob *b, char inhex[65], char outhex[65])
{
	unsigned char d[32];
	char tmp[16384];
	ssize_t n;

	/* Whatever the tar reader left (end padding) still counts for the
	 * digests: the diff-id covers the whole stream. */
	if (b->decompress)
		while ((n = blob_read(b, tmp, sizeof(tmp))) > 0)
			;
	else
		n = 0;
	if (n < 0)
		return -1;
	/* Bytes after the compressed stream still belong to the blob. */
	b->inpos = b->inlen;
	while (b->pos < b->len)
		if (fill(b) < 0)
			return -1;
	sha256_final(&b->hin, d);
	tohex(d, inhex);
	sha256_final(&b->hout, d);
	tohex(d, outhex);
	return 0;
}

void
blob_close(struct blob *b)
{
	if (b->comp == BLOB_GZIP) {
		inflateEnd(b->z);
		free(b->z);
	}
#ifdef HAVE_ZSTD
	else if (b->comp == BLOB_ZSTD)
		ZSTD_freeDStream(b->z);
#endif
	b->z = NULL;
	b->comp = BLOB_PLAIN;
	free(b->in);
	b->in = NULL;
}

#define SLOTSZ (512 * 1024)

/*
 * A ring of slots filled by the producer (read, hash the blob, decompress)
 * and read by two consumers: the caller (blob_async_read) and a hasher
 * thread that takes the decompressed stream's sha256. A slot is refilled
 * only when both are done with it. Three threads, so that on two cores the
 * three stages share them as their costs fall. The lock is taken once a
 * slot, not once a read (tar headers are read 512 bytes at a time), and a
 * thread is woken only when it waits: the producer when half the ring is
 * free again, so that it fills several slots a wake-up.
 */
struct blob_async {
	struct blob *b;
	pthread_t th, hth;
	int hasher;		/* hth was started */
	pthread_mutex_t mu;
	pthread_cond_t space, data;
	char *slot[BLOB_NSLOT];
	size_t len[BLOB_NSLOT];
	unsigned head, tail, htail;	/* produced, read, hashed */
	unsigned rhead;		/* head as the reader last saw it */
	size_t rpos;		/* read position in the tail slot */
	int lent;		/* the tail slot is all read: release it */
	int pwait, cwait;	/* producer waiting, consumers waiting */
	int done, failed, stop, pgone;
	int saved_errno;
};

/* Slots in use: produced and not yet released by both consumers. */
static unsigned
inuse(const struct blob_async *a)
{
	unsigned r = a->head - a->tail, h = a->hasher ? a->head - a->htail : 0;

	return r > h ? r : h;
}

/* A consumer released a slot (lock held). */
static void
released(struct blob_async *a)
{
	if (a->pwait && inuse(a) <= BLOB_NSLOT / 2)
		pthread_cond_signal(&a->space);
}

static void *
producer(void *arg)
{
	struct blob_async *a = arg;

	for (;;) {
		ssize_t n;
		unsigned slot;

		pthread_mutex_lock(&a->mu);
		while (inuse(a) == BLOB_NSLOT && !a->stop) {
			a->pwait = 1;
			pthread_cond_wait(&a->space, &a->mu);
			a->pwait = 0;
		}
		slot = a->head % BLOB_NSLOT;
		if (a->stop) {
			pthread_mutex_unlock(&a->mu);
			return NULL;
		}
		pthread_mutex_unlock(&a->mu);
		/* The slot at head is ours until head moves. */
		n = blob_read(a->b, a->slot[slot], SLOTSZ);
		pthread_mutex_lock(&a->mu);
		if (n <= 0) {
			a->done = 1;
			a->failed = n < 0;
			a->saved_errno = errno;
		} else {
			a->len[slot] = (size_t)n;
			a->head++;
		}
		if (a->cwait > 0)
			pthread_cond_broadcast(&a->data);
		pthread_mutex_unlock(&a->mu);
		if (n <= 0)
			return NULL;
	}
}

/* Every slot produced is hashed, in order, including those the caller
 * never reads (the end padding): the diff-id covers the whole stream. */
static void *
hasher(void *arg)
{
	struct blob_async *a = arg;
	unsigned head;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->htail == a->head && !a->done && !a->pgone) {
			a->cwait++;
			pthread_cond_wait(&a->data, &a->mu);
			a->cwait--;
		}
		if (a->htail == a->head)
			break;
		head = a->head;
		pthread_mutex_unlock(&a->mu);
		/* Slots before head stay put until htail passes them. */
		while (a->htail != head) {
			unsigned slot = a->htail % BLOB_NSLOT;

			sha256_update(&a->b->hout, a->slot[slot], a->len[slot]);
			pthread_mutex_lock(&a->mu);
			a->htail++;
			released(a);
			pthread_mutex_unlock(&a->mu);
		}
		pthread_mutex_lock(&a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Tell the hasher no more data comes, and wait for it to end. */
static void
end_hasher(struct blob_async *a)
{
	pthread_mutex_lock(&a->mu);
	a->pgone = 1;
	pthread_cond_broadcast(&a->data);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->hth, NULL);
}

struct blob_async *
blob_async_start(struct blob *b)
{
	struct blob_async *a = calloc(1, sizeof(*a));
	int i;

	if (a == NULL)
		return NULL;
	a->b = b;
	for (i = 0; i < BLOB_NSLOT; i++)
		if ((a->slot[i] = malloc(SLOTSZ)) == NULL)
			goto bad;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->space, NULL);
	pthread_cond_init(&a->data, NULL);
	/* Without a hasher thread the producer hashes, as blob_read does. */
	b->hout_async = b->decompress;
	if (b->hout_async) {
		if (pthread_create(&a->hth, NULL, hasher, a) != 0)
			b->hout_async = 0;
		else
			a->hasher = 1;
	}
	if (pthread_create(&a->th, NULL, producer, a) != 0) {
		if (a->hasher)
			end_hasher(a);
		b->hout_async = 0;
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->space);
		pthread_cond_destroy(&a->data);
		goto bad;
	}
	return a;
bad:
	for (i = 0; i < BLOB_NSLOT; i++)
		free(a->slot[i]);
	free(a);
	return NULL;
}

/* Where the reader is: the slot at tail is released lazily when it was
 * lent out whole, so that the lent bytes stay put until the next call. */
static ssize_t
reader_next(struct blob_async *a, unsigned *slot)
{
	if (a->lent) {
		a->lent = 0;
		a->rpos = 0;
		pthread_mutex_lock(&a->mu);
		a->tail++;
		released(a);
		pthread_mutex_unlock(&a->mu);
	}
	if (a->tail == a->rhead) {
		pthread_mutex_lock(&a->mu);
		while (a->head == a->tail && !a->done) {
			a->cwait++;
			pthread_cond_wait(&a->data, &a->mu);
			a->cwait--;
		}
		if (a->head == a->tail) {
			int failed = a->failed;

			errno = a->saved_errno;
			pthread_mutex_unlock(&a->mu);
			return failed ? -1 : 0;
		}
		a->rhead = a->head;
		pthread_mutex_unlock(&a->mu);
	}
	/* Slots before rhead stay put until tail passes them. */
	*slot = a->tail % BLOB_NSLOT;
	return 1;
}


ssize_t
blob_async_lend(void *arg, const void **p, size_t len)
{
	struct blob_async *a = arg;
	unsigned slot;
	ssize_t r;
	size_t n;

	if ((r = reader_next(a, &slot)) <= 0)
		return r;
	n = a->len[slot] - a->rpos;
	if (n > len)
		n = len;
	*p = a->slot[slot] + a->rpos;
	a->rpos += n;
	if (a->rpos == a->len[slot])
		a->lent = 1;
	return (ssize_t)n;
}

/* A copy of what blob_async_lend lends: the slot is released on the next
 * call, as after a lend. */
ssize_t
blob_async_read(void *arg, void *buf, size_t len)
{
	const void *p;
	ssize_t n = blob_async_lend(arg, &p, len);

	if (n > 0)
		memcpy(buf, p, (size_t)n);
	return n;
}

void
blob_async_stop(struct blob_async *a)
{
	int i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->space);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	/* The producer is gone: the hasher takes what is left in the ring
	 * and ends; blob_read hashes in the caller from here. */
	if (a->hasher)
		end_hasher(a);
	a->b->hout_async = 0;
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->space);
	pthread_cond_destroy(&a->data);
	for (i = 0; i < BLOB_NSLOT; i++)
		free(a->slot[i]);
	free(a);
}
