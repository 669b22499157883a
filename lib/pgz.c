/* SPDX-License-Identifier: ISC */
/* pgz.c: gzip on every core, pigz's way: the stream is cut into fixed
 * chunks, each deflated by a worker thread with the previous 32 KiB as its
 * dictionary and ended by a sync flush, then written in order behind one
 * gzip header, with the CRCs combined. The bytes depend on the level and
 * the chunk size only, never on the number of threads. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>
#include <zlib.h>

#include "pack.h"

#define CHUNK (256 << 10)
#define DICT (32 << 10)
#define MAXTHREADS 8

struct chunk {
	unsigned char *in, *out;
	size_t inlen, outlen, outcap;
	unsigned char dict[DICT];
	size_t dictlen;
	uLong crc;
	uint64_t seq;
	int last, done;
};

struct pgz {
	int fd, level, nthreads, failed, werr;
	pthread_t th[MAXTHREADS];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk *ring;
	size_t nring;
	uint64_t submitted, taken, written;
	struct chunk *cur;
	uLong crc;
	uint64_t isize, size;
	SHA2_CTX sha;
	int stop;
};

static int
put(struct pgz *z, const void *p, size_t n)
{
	const unsigned char *b = p;

	SHA256Update(&z->sha, b, n);
	z->size += n;
	while (n > 0) {
		ssize_t w = write(z->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			z->werr = errno;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
squeeze(struct pgz *z, struct chunk *c, z_stream *s)
{
	int rc;

	s->next_in = c->in;
	s->avail_in = (uInt)c->inlen;
	s->next_out = c->out;
	s->avail_out = (uInt)c->outcap;
	if (c->dictlen > 0 && deflateSetDictionary(s, c->dict, (uInt)c->dictlen) != Z_OK)
		return -1;
	rc = deflate(s, c->last ? Z_FINISH : Z_SYNC_FLUSH);
	if (c->last ? rc != Z_STREAM_END : (rc != Z_OK || s->avail_out == 0))
		return -1;
	c->outlen = c->outcap - s->avail_out;
	c->crc = crc32(0, c->in, (uInt)c->inlen);
	(void)z;
	return 0;
}

static void *
worker(void *arg)
{
	struct pgz *z = arg;
	z_stream s;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, z->level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		pthread_mutex_lock(&z->mu);
		z->failed = 1;
		pthread_cond_broadcast(&z->cv);
		pthread_mutex_unlock(&z->mu);
		return NULL;
	}
	pthread_mutex_lock(&z->mu);
	for (;;) {
		struct chunk *c;
		int bad;

		while (!z->stop && z->taken >= z->submitted)
			pthread_cond_wait(&z->cv, &z->mu);
		if (z->stop)
			break;
		c = &z->ring[z->taken % z->nring];
		z->taken++;
		pthread_mutex_unlock(&z->mu);
		deflateReset(&s);
		bad = squeeze(z, c, &s);
		pthread_mutex_lock(&z->mu);
		if (bad)
			z->failed = 1;
		c->done = 1;
		pthread_cond_broadcast(&z->cv);
	}
	pthread_mutex_unlock(&z->mu);
	deflateEnd(&s);
	return NULL;
}

/* Writes out the oldest chunk once it is deflated. */
static int
drain_one(struct pgz *z)
{
	struct chunk *c = &z->ring[z->written % z->nring];

	pthread_mutex_lock(&z->mu);
	while (!c->done && !z->failed)
		pthread_cond_wait(&z->cv, &z->mu);
	pthread_mutex_unlock(&z->mu);
	if (z->failed) {
		errno = EIO;
		return -1;
	}
	if (put(z, c->out, c->outlen) < 0)
		return -1;
	z->crc = crc32_combine(z->crc, c->crc, (z_off_t)c->inlen);
	z->isize += c->inlen;
	c->done = 0;
	c->inlen = 0;
	z->written++;
	return 0;
}

static void
stop_threads(struct pgz *z)
{
	int i;

	pthread_mutex_lock(&z->mu);
	z->stop = 1;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	for (i = 0; i < z->nthreads; i++)
		pthread_join(z->th[i], NULL);
	z->nthreads = 0;
}

void
pgz_free(struct pgz *z)
{
	size_t i;

	if (z == NULL)
		return;
	stop_threads(z);
	for (i = 0; i < z->nring; i++) {
		free(z->ring[i].in);
		free(z->ring[i].out);
	}
	free(z->ring);
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
	free(z);
}

struct pgz *
pgz_new(int fd, int level)
{
	static const unsigned char hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	struct pgz *z = calloc(1, sizeof(*z));
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i;
	int k;

	if (z == NULL)
		return NULL;
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	z->fd = fd;
	z->level = level ? level : Z_DEFAULT_COMPRESSION;
	z->crc = crc32(0, NULL, 0);
	SHA256Init(&z->sha);
	n = n < 1 ? 1 : n > MAXTHREADS ? MAXTHREADS : n;
	z->nring = (size_t)n * 2 + 1;
	if ((z->ring = calloc(z->nring, sizeof(*z->ring))) == NULL)
		goto bad;
	for (i = 0; i < z->nring; i++) {
		z->ring[i].outcap = deflateBound(NULL, CHUNK) + 64;
		z->ring[i].in = malloc(CHUNK);
		z->ring[i].out = malloc(z->ring[i].outcap);
		if (z->ring[i].in == NULL || z->ring[i].out == NULL)
			goto bad;
	}
	for (k = 0; k < n; k++) {
		if (pthread_create(&z->th[k], NULL, worker, z) != 0) {
			if (k == 0)
				goto bad;
			break;
		}
		z->nthreads++;
	}
	z->cur = &z->ring[0];
	if (put(z, hdr, sizeof(hdr)) < 0)
		goto bad;
	return z;
bad:
	pgz_free(z);
	return NULL;
}

/* Hands the current chunk to the workers and takes the next slot, writing
 * out the chunk that held it when the ring is full. */
static int
submit(struct pgz *z, int last)
{
	struct chunk *c = z->cur, *next;

	c->last = last;
	c->seq = z->submitted;
	pthread_mutex_lock(&z->mu);
	z->submitted++;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
	if (last)
		return 0;
	next = &z->ring[z->submitted % z->nring];
	if (z->submitted - z->written >= z->nring && drain_one(z) < 0)
		return -1;
	/* The next chunk's dictionary: the end of this one's input. */
	next->dictlen = c->inlen < DICT ? c->inlen : DICT;
	memcpy(next->dict, c->in + c->inlen - next->dictlen, next->dictlen);
	z->cur = next;
	return 0;
}

int
pgz_write(struct pgz *z, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n > 0) {
		size_t k = CHUNK - z->cur->inlen;

		if (k > n)
			k = n;
		memcpy(z->cur->in + z->cur->inlen, b, k);
		z->cur->inlen += k;
		b += k;
		n -= k;
		if (z->cur->inlen == CHUNK && submit(z, 0) < 0)
			return -1;
	}
	return 0;
}

/* Ends the stream; digest and size are of the compressed bytes. */
int
pgz_finish(struct pgz *z, char digest[PK_DIGEST_LEN], uint64_t *size)
{
	unsigned char tr[8];
	char hex[SHA256_DIGEST_STRING_LENGTH];
	int i;

	if (submit(z, 1) < 0)
		return -1;
	while (z->written < z->submitted)
		if (drain_one(z) < 0)
			return -1;
	for (i = 0; i < 4; i++) {
		tr[i] = (unsigned char)(z->crc >> (8 * i));
		tr[4 + i] = (unsigned char)(z->isize >> (8 * i));
	}
	if (put(z, tr, sizeof(tr)) < 0)
		return -1;
	SHA256End(&z->sha, hex);
	memcpy(digest, "sha256:", 7);
	memcpy(digest + 7, hex, 65);
	*size = z->size;
	return 0;
}

int
pgz_error(const struct pgz *z)
{
	return z->werr ? z->werr : EIO;
}
