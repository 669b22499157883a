/* SPDX-License-Identifier: ISC */
/* zstdw.c: a zstd stream written to a file with the digest of what was
 * written; built only where <zstd.h> is (the musl build's libzstd). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>

#include "pack.h"

#if defined(__has_include)
#if __has_include(<zstd.h>)
#define HAVE_ZSTD 1
#endif
#endif

#ifdef HAVE_ZSTD
#include <zstd.h>

struct zw {
	int fd, err;
	ZSTD_CCtx *cc;
	SHA2_CTX sha;
	uint64_t size;
	unsigned char out[1 << 17];
};

int
pk_zstd_available(void)
{
	return 1;
}

struct zw *
zw_new(int fd, int level)
{
	struct zw *z = calloc(1, sizeof(*z));

	if (z == NULL)
		return NULL;
	z->fd = fd;
	SHA256Init(&z->sha);
	if ((z->cc = ZSTD_createCCtx()) == NULL) {
		free(z);
		errno = ENOMEM;
		return NULL;
	}
	ZSTD_CCtx_setParameter(z->cc, ZSTD_c_compressionLevel, level ? level : 3);
	/* With workers (when libzstd has them) the bytes are the same for
	 * any number of them; ask for one per core. */
	{
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		ZSTD_CCtx_setParameter(z->cc, ZSTD_c_nbWorkers, n < 1 ? 1 : n > 8 ? 8 : (int)n);
	}
	return z;
}

static int
flush_out(struct zw *z, size_t n)
{
	const unsigned char *b = z->out;

	SHA256Update(&z->sha, b, n);
	z->size += n;
	while (n > 0) {
		ssize_t w = write(z->fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			z->err = errno;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
run(struct zw *z, const void *p, size_t n, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { z->out, sizeof(z->out), 0 };

		left = ZSTD_compressStream2(z->cc, &out, &in, end);
		if (ZSTD_isError(left)) {
			z->err = EIO;
			return -1;
		}
		if (flush_out(z, out.pos) < 0)
			return -1;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

int
zw_write(struct zw *z, const void *p, size_t n)
{
	return run(z, p, n, ZSTD_e_continue);
}

int
zw_finish(struct zw *z, char digest[PK_DIGEST_LEN], uint64_t *size)
{
	char hex[SHA256_DIGEST_STRING_LENGTH];

	if (run(z, NULL, 0, ZSTD_e_end) < 0)
		return -1;
	SHA256End(&z->sha, hex);
	memcpy(digest, "sha256:", 7);
	memcpy(digest + 7, hex, 65);
	*size = z->size;
	return 0;
}

int
zw_error(const struct zw *z)
{
	return z->err ? z->err : EIO;
}

void
zw_free(struct zw *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cc);
	free(z);
}

/* The sha256 of what a zstd stream at fd decompresses to. */
int
zw_diff_id(int fd, char diff_id[PK_DIGEST_LEN], char *err, size_t errlen)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	unsigned char *in = malloc(ZSTD_DStreamInSize()), *outb = malloc(ZSTD_DStreamOutSize());
	char hex[SHA256_DIGEST_STRING_LENGTH];
	SHA2_CTX c;
	ssize_t n;
	size_t r = 0;
	int rc = -1;

	SHA256Init(&c);
	if (ds == NULL || in == NULL || outb == NULL) {
		snprintf(err, errlen, "zstd: out of memory");
		goto out;
	}
	while ((n = read(fd, in, ZSTD_DStreamInSize())) > 0) {
		ZSTD_inBuffer ib = { in, (size_t)n, 0 };

		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob = { outb, ZSTD_DStreamOutSize(), 0 };

			r = ZSTD_decompressStream(ds, &ob, &ib);
			if (ZSTD_isError(r)) {
				snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(r));
				errno = EINVAL;
				goto out;
			}
			SHA256Update(&c, outb, ob.pos);
		}
	}
	if (n < 0) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		goto out;
	}
	if (r != 0) {
		snprintf(err, errlen, "zstd: truncated");
		errno = EINVAL;
		goto out;
	}
	SHA256End(&c, hex);
	snprintf(diff_id, PK_DIGEST_LEN, "sha256:%s", hex);
	rc = 0;
out:
	ZSTD_freeDStream(ds);
	free(in);
	free(outb);
	return rc;
}

#else /* no zstd in this build */

int
zw_diff_id(int fd, char diff_id[PK_DIGEST_LEN], char *err, size_t errlen)
{
	(void)fd;
	(void)diff_id;
	snprintf(err, errlen, "zstd: not in this build; give --layer DIGEST,DIFF_ID");
	errno = ENOTSUP;
	return -1;
}

int
pk_zstd_available(void)
{
	return 0;
}

struct zw *
zw_new(int fd, int level)
{
	(void)fd;
	(void)level;
	errno = ENOTSUP;
	return NULL;
}

int
zw_write(struct zw *z, const void *p, size_t n)
{
	(void)z;
	(void)p;
	(void)n;
	errno = ENOTSUP;
	return -1;
}

int
zw_finish(struct zw *z, char digest[PK_DIGEST_LEN], uint64_t *size)
{
	(void)z;
	(void)digest;
	(void)size;
	errno = ENOTSUP;
	return -1;
}

int
zw_error(const struct zw *z)
{
	(void)z;
	return ENOTSUP;
}

void
zw_free(struct zw *z)
{
	(void)z;
}
#endif
