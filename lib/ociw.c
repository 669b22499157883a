/* SPDX-License-Identifier: ISC */
/* ociw.c: OCI image layouts: blobs by digest, manifests found by ref name
 * or digest, and tags added to index.json atomically under a lock. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>

#include "pack.h"
#include "util.h"

#define MAXMETA (4 << 20)	/* manifests, configs, indexes */

static int
seterr(char *err, size_t errlen, int e, const char *fmt, const char *a, const char *b)
{
	if (errlen > 0)
		snprintf(err, errlen, fmt, a, b);
	errno = e;
	return -1;
}

int
pk_digest_valid(const char *d)
{
	size_t i;

	if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 71)
		return 0;
	for (i = 7; i < 71; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return 0;
	return 1;
}

void
pk_sha256_hex(const void *p, size_t n, char out[PK_DIGEST_LEN])
{
	SHA2_CTX c;
	char hex[SHA256_DIGEST_STRING_LENGTH];

	SHA256Init(&c);
	SHA256Update(&c, p, n);
	SHA256End(&c, hex);
	snprintf(out, PK_DIGEST_LEN, "sha256:%s", hex);
}

static void
blobpath(char *buf, size_t len, const char *digest)
{
	snprintf(buf, len, "blobs/sha256/%s", digest + 7);
}

/* Writes a small file in dirfd atomically (temp + rename). */
static int
put_atomic(int dfd, const char *name, const char *data, size_t len)
{
	char tmp[128];
	int fd;
	size_t off = 0;

	snprintf(tmp, sizeof(tmp), ".%s.tmp-%ld", name, (long)getpid());
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto bad;
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto bad;
	}
	if (renameat(dfd, tmp, dfd, name) < 0) {
		fd = -1;
		goto bad;
	}
	return 0;
bad:
	{
		int e = errno;

		if (fd >= 0)
			close(fd);
		unlinkat(dfd, tmp, 0);
		errno = e;
	}
	return -1;
}

static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char index_json[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" PK_MT_INDEX "\",\"manifests\":[]}";

/* An empty layout at path, or nothing at all if one is there already. */
int
pk_layout_init(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc = -1;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return seterr(err, errlen, errno, "%s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return seterr(err, errlen, errno, "%s: %s", path, strerror(errno));
	if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT) {
			seterr(err, errlen, errno, "%s/oci-layout: %s", path, strerror(errno));
			goto out;
		}
	} else if (!S_ISREG(st.st_mode)) {
		seterr(err, errlen, EINVAL, "%s/oci-layout: %s", path, "not a regular file");
		goto out;
	}
	if ((mkdirat(fd, "blobs", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(fd, "blobs/sha256", 0755) < 0 && errno != EEXIST)) {
		seterr(err, errlen, errno, "%s/blobs: %s", path, strerror(errno));
		goto out;
	}
	if (fstatat(fd, "index.json", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    put_atomic(fd, "index.json", index_json, sizeof(index_json) - 1) < 0) {
		seterr(err, errlen, errno, "%s/index.json: %s", path, strerror(errno));
		goto out;
	}
	/* oci-layout last: its presence marks a complete layout. */
	if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    put_atomic(fd, "oci-layout", layout_json, sizeof(layout_json) - 1) < 0) {
		seterr(err, errlen, errno, "%s/oci-layout: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int
pk_layout_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return seterr(err, errlen, errno, "%s: %s", path, strerror(errno));
	if (fstatat(fd, "oci-layout", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    fstatat(fd, "blobs/sha256", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return seterr(err, errlen, EINVAL, "%s: %s", path,
		    "not an OCI image layout (try img-pack init)");
	}
	return fd;
}

int
pk_blob_tmp(int lfd, char *name, size_t namelen)
{
	static unsigned seq;
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		snprintf(name, namelen, "blobs/sha256/.tmp-%ld-%u", (long)getpid(), seq++);
		fd = openat(lfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
pk_blob_commit(int lfd, const char *tmpname, const char *digest)
{
	char path[128];

	blobpath(path, sizeof(path), digest);
	if (renameat(lfd, tmpname, lfd, path) < 0) {
		int e = errno;

		unlinkat(lfd, tmpname, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int
pk_blob_put(int lfd, const char *data, size_t len, char digest[PK_DIGEST_LEN])
{
	char tmp[128];
	size_t off = 0;
	int fd;

	pk_sha256_hex(data, len, digest);
	if (pk_blob_exists(lfd, digest, NULL))
		return 0;
	if ((fd = pk_blob_tmp(lfd, tmp, sizeof(tmp))) < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;

			close(fd);
			unlinkat(lfd, tmp, 0);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	close(fd);
	return pk_blob_commit(lfd, tmp, digest);
}

int
pk_blob_exists(int lfd, const char *digest, uint64_t *size)
{
	char path[128];
	struct stat st;

	if (!pk_digest_valid(digest))
		return 0;
	blobpath(path, sizeof(path), digest);
	if (fstatat(lfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if (size != NULL)
		*size = (uint64_t)st.st_size;
	return 1;
}

int
pk_blob_open(int lfd, const char *digest)
{
	char path[128];

	if (!pk_digest_valid(digest)) {
		errno = EINVAL;
		return -1;
	}
	blobpath(path, sizeof(path), digest);
	return openat(lfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

/* A whole blob (at most max bytes), checked against its digest. */
int
pk_blob_read(int lfd, const char *digest, size_t max, struct pk_buf *out,
    char *err, size_t errlen)
{
	char buf[8192], got[PK_DIGEST_LEN];
	ssize_t n;
	int fd;

	if (!pk_digest_valid(digest))
		return seterr(err, errlen, EINVAL, "%s: %s", digest, "not a sha256 digest");
	if ((fd = pk_blob_open(lfd, digest)) < 0)
		return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
	out->len = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (out->len + (size_t)n > max) {
			close(fd);
			return seterr(err, errlen, EFBIG, "blob %s: %s", digest, "too big");
		}
		if (pk_buf_add(out, buf, (size_t)n) < 0) {
			close(fd);
			return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
		}
	}
	close(fd);
	if (n < 0)
		return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
	if (pk_buf_add(out, "", 0) < 0)
		return -1;
	pk_sha256_hex(out->s, out->len, got);
	if (strcmp(got, digest) != 0)
		return seterr(err, errlen, EINVAL, "blob %s: %s", digest, "digest mismatch");
	return 0;
}

/* Makes digest present in dst: a hard link when it can, else a checked copy. */
int
pk_blob_copy(int srcfd, int dstfd, const char *digest, char *err, size_t errlen)
{
	char path[128], tmp[128], buf[1 << 16], got[PK_DIGEST_LEN], hex[SHA256_DIGEST_STRING_LENGTH];
	SHA2_CTX c;
	ssize_t n;
	int in, out;

	if (pk_blob_exists(dstfd, digest, NULL))
		return 0;
	blobpath(path, sizeof(path), digest);
	if (linkat(srcfd, path, dstfd, path, 0) == 0 || errno == EEXIST)
		return 0;
	if ((in = pk_blob_open(srcfd, digest)) < 0)
		return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
	if ((out = pk_blob_tmp(dstfd, tmp, sizeof(tmp))) < 0) {
		close(in);
		return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
	}
	SHA256Init(&c);
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		SHA256Update(&c, (unsigned char *)buf, (size_t)n);
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	close(in);
	close(out);
	if (n < 0) {
		unlinkat(dstfd, tmp, 0);
		return seterr(err, errlen, errno, "copy blob %s: %s", digest, strerror(errno));
	}
	SHA256End(&c, hex);
	snprintf(got, sizeof(got), "sha256:%s", hex);
	if (strcmp(got, digest) != 0) {
		unlinkat(dstfd, tmp, 0);
		return seterr(err, errlen, EINVAL, "blob %s: %s", digest, "digest mismatch");
	}
	if (pk_blob_commit(dstfd, tmp, digest) < 0)
		return seterr(err, errlen, errno, "blob %s: %s", digest, strerror(errno));
	return 0;
}

static struct pj *
read_json_blob(int lfd, const char *digest, char *err, size_t errlen)
{
	struct pk_buf b = { 0 };
	struct pj *v;
	char why[128];

	if (pk_blob_read(lfd, digest, MAXMETA, &b, err, errlen) < 0) {
		pk_buf_free(&b);
		return NULL;
	}
	v = pj_parse(b.s, b.len, why, sizeof(why));
	pk_buf_free(&b);
	if (v == NULL || v->type != PJ_OBJ) {
		seterr(err, errlen, EINVAL, "blob %s: %s", digest, v ? "not a JSON object" : why);
		pj_free(v);
		return NULL;
	}
	return v;
}

static struct pj *
read_index(int lfd, char *err, size_t errlen)
{
	char buf[64], why[128];
	struct pk_buf b = { 0 };
	struct pj *v;
	ssize_t n;
	int fd = openat(lfd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (b.len + (size_t)n > MAXMETA || pk_buf_add(&b, buf, (size_t)n) < 0) {
			n = -1;
			errno = EFBIG;
			break;
		}
	close(fd);
	if (n < 0) {
		pk_buf_free(&b);
		seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
		return NULL;
	}
	v = pj_parse(b.s ? b.s : "", b.len, why, sizeof(why));
	pk_buf_free(&b);
	if (v == NULL || v->type != PJ_OBJ) {
		seterr(err, errlen, EINVAL, "index.json: %s%s", v ? "not a JSON object" : why, "");
		pj_free(v);
		return NULL;
	}
	return v;
}

static const char *
ref_name(const struct pj *desc)
{
	struct pj *r = pj_get_type(pj_get_type(desc, "annotations", PJ_OBJ), PK_REF_NAME, PJ_STR);

	return r ? r->str : NULL;
}

static const char *
host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__riscv)
	return "riscv64";
#else
	return "";
#endif
}

/* From an index's descriptors, the one for this machine (or the first). */
static struct pj *
pick_platform(struct pj *mans)
{
	size_t i;

	for (i = 0; i < mans->n; i++) {
		struct pj *pl = pj_get_type(mans->kid[i], "platform", PJ_OBJ);
		struct pj *os = pj_get_type(pl, "os", PJ_STR), *ar = pj_get_type(pl, "architecture", PJ_STR);

		if (os && ar && strcmp(os->str, "linux") == 0 && strcmp(ar->str, host_arch()) == 0)
			return mans->kid[i];
	}
	return mans->n > 0 ? mans->kid[0] : NULL;
}

/*
 * The image manifest a ref names in the layout: a ref.name annotation, a
 * manifest digest, or NULL/"" when index.json holds exactly one. Indexes
 * (multi-platform images) are followed to this machine's platform.
 */
int
pk_resolve(int lfd, const char *ref, char digest[PK_DIGEST_LEN],
    struct pj **manifest, char *err, size_t errlen)
{
	struct pj *idx, *mans, *desc = NULL, *m = NULL, *dg;
	size_t i;
	int depth;

	if (ref != NULL && pk_digest_valid(ref)) {
		snprintf(digest, PK_DIGEST_LEN, "%s", ref);
		idx = NULL;
	} else {
		if ((idx = read_index(lfd, err, errlen)) == NULL)
			return -1;
		if ((mans = pj_get_type(idx, "manifests", PJ_ARR)) == NULL) {
			pj_free(idx);
			return seterr(err, errlen, EINVAL, "index.json: %s%s", "no manifests array", "");
		}
		if (ref == NULL || *ref == '\0') {
			if (mans->n != 1) {
				pj_free(idx);
				return seterr(err, errlen, EINVAL, "index.json: %s%s",
				    "holds more than one image: name one", "");
			}
			desc = mans->kid[0];
		} else {
			for (i = mans->n; i-- > 0;)
				if (ref_name(mans->kid[i]) && strcmp(ref_name(mans->kid[i]), ref) == 0) {
					desc = mans->kid[i];
					break;
				}
			if (desc == NULL) {
				pj_free(idx);
				return seterr(err, errlen, ENOENT, "%s: %s", ref, "no such image in the layout");
			}
		}
		dg = pj_get_type(desc, "digest", PJ_STR);
		if (dg == NULL || !pk_digest_valid(dg->str)) {
			pj_free(idx);
			return seterr(err, errlen, EINVAL, "index.json: %s%s", "bad descriptor digest", "");
		}
		snprintf(digest, PK_DIGEST_LEN, "%s", dg->str);
		pj_free(idx);
	}
	for (depth = 0; depth < 4; depth++) {
		if ((m = read_json_blob(lfd, digest, err, errlen)) == NULL)
			return -1;
		if ((mans = pj_get_type(m, "manifests", PJ_ARR)) == NULL)
			break;
		desc = pick_platform(mans);
		dg = pj_get_type(desc, "digest", PJ_STR);
		if (dg == NULL || !pk_digest_valid(dg->str)) {
			pj_free(m);
			return seterr(err, errlen, EINVAL, "index %s: %s", digest, "no usable manifest");
		}
		snprintf(digest, PK_DIGEST_LEN, "%s", dg->str);
		pj_free(m);
		m = NULL;
	}
	if (m == NULL)
		return seterr(err, errlen, ELOOP, "%s: %s", ref ? ref : "image", "indexes nested too deep");
	dg = pj_get_type(pj_get_type(m, "config", PJ_OBJ), "digest", PJ_STR);
	if (dg == NULL || !pk_digest_valid(dg->str) || pj_get_type(m, "layers", PJ_ARR) == NULL) {
		pj_free(m);
		return seterr(err, errlen, EINVAL, "manifest %s: %s", digest, "no config or layers");
	}
	*manifest = m;
	return 0;
}

static struct pj *
descriptor(const char *digest, uint64_t size, const char *tag)
{
	struct pj *d = pj_new(PJ_OBJ, NULL), *a;
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	if (d == NULL || !pj_set(d, "mediaType", pj_new(PJ_STR, PK_MT_MANIFEST)) ||
	    !pj_set(d, "digest", pj_new(PJ_STR, digest)) ||
	    !pj_set(d, "size", pj_new(PJ_NUM, num)) ||
	    (a = pj_set(d, "annotations", pj_new(PJ_OBJ, NULL))) == NULL ||
	    !pj_set(a, PK_REF_NAME, pj_new(PJ_STR, tag))) {
		pj_free(d);
		return NULL;
	}
	return d;
}

/*
 * The one way index.json changes: under flock(2) on the layout directory,
 * read, let edit change the manifests array, write to a temporary file
 * and rename it into place. edit returns 0, or -1 with err set.
 */
static int
index_rewrite(int lfd, int (*edit)(struct pj *idx, struct pj *mans, void *arg,
    char *err, size_t errlen), void *arg, char *err, size_t errlen)
{
	struct pj *idx = NULL, *mans;
	struct pk_buf b = { 0 };
	int rc = -1;

	if (flock(lfd, LOCK_EX) < 0)
		return seterr(err, errlen, errno, "lock layout: %s%s", strerror(errno), "");
	if ((idx = read_index(lfd, err, errlen)) == NULL)
		goto out;
	if ((mans = pj_arr_at(idx, "manifests")) == NULL)
		goto nomem;
	if (edit(idx, mans, arg, err, errlen) < 0)
		goto out;
	if (pj_write(&b, idx) < 0)
		goto nomem;
	if (put_atomic(lfd, "index.json", b.s, b.len) < 0) {
		seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
out:
	flock(lfd, LOCK_UN);
	pj_free(idx);
	pk_buf_free(&b);
	return rc;
}

/* Drops the descriptors named by any of names; returns how many. */
static size_t
drop_names(struct pj *mans, char *const *names, size_t nnames)
{
	size_t i, j, k, dropped = 0;

	for (i = j = 0; i < mans->n; i++) {
		const char *r = ref_name(mans->kid[i]);

		for (k = 0; r != NULL && k < nnames; k++)
			if (strcmp(r, names[k]) == 0)
				break;
		if (r != NULL && k < nnames) {
			pj_free(mans->kid[i]);
			dropped++;
		} else
			mans->kid[j++] = mans->kid[i];
	}
	mans->n = j;
	return dropped;
}

struct tag_edit {
	const char *digest;
	uint64_t size;
	char *const *names;
	size_t n;
};

static int
edit_tag(struct pj *idx, struct pj *mans, void *arg, char *err, size_t errlen)
{
	struct tag_edit *t = arg;
	size_t k;

	drop_names(mans, t->names, t->n);
	for (k = 0; k < t->n; k++)
		if (!pj_push(mans, descriptor(t->digest, t->size, t->names[k])))
			return seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
	if (!pj_get(idx, "schemaVersion") && !pj_set(idx, "schemaVersion", pj_new(PJ_NUM, "2")))
		return seterr(err, errlen, errno, "index.json: %s%s", strerror(errno), "");
	return 0;
}

/* Points each tag at the manifest in index.json, replacing what the tag
 * named before. */
int
pk_index_tag(int lfd, const char *digest, uint64_t size,
    char *const *tags, size_t ntags, char *err, size_t errlen)
{
	struct tag_edit t = { digest, size, tags, ntags };

	return index_rewrite(lfd, edit_tag, &t, err, errlen);
}

static int
edit_untag(struct pj *idx, struct pj *mans, void *arg, char *err, size_t errlen)
{
	struct tag_edit *t = arg;
	size_t i, k;

	(void)idx;
	for (k = 0; k < t->n; k++) {
		for (i = 0; i < mans->n; i++)
			if (ref_name(mans->kid[i]) && strcmp(ref_name(mans->kid[i]), t->names[k]) == 0)
				break;
		if (i == mans->n)
			return seterr(err, errlen, ENOENT, "%s: %s", t->names[k], "no such image in the layout");
	}
	drop_names(mans, t->names, t->n);
	return 0;
}

/* Removes the names from index.json (the blobs stay: other names or a
 * later gc may want them). ENOENT when a name is not there. */
int
pk_index_untag(int lfd, char *const *names, size_t nnames, char *err, size_t errlen)
{
	struct tag_edit t = { NULL, 0, names, nnames };

	return index_rewrite(lfd, edit_untag, &t, err, errlen);
}

/* Calls fn for every named manifest of index.json: name, digest, size. */
int
pk_index_list(int lfd, void (*fn)(void *, const char *, const char *, const char *),
    void *arg, char *err, size_t errlen)
{
	struct pj *idx, *mans, *dg, *sz;
	size_t i;

	if ((idx = read_index(lfd, err, errlen)) == NULL)
		return -1;
	if ((mans = pj_get_type(idx, "manifests", PJ_ARR)) != NULL)
		for (i = 0; i < mans->n; i++) {
			const char *r = ref_name(mans->kid[i]);

			dg = pj_get_type(mans->kid[i], "digest", PJ_STR);
			sz = pj_get(mans->kid[i], "size");
			if (r != NULL && dg != NULL)
				fn(arg, r, dg->str, sz && sz->type == PJ_NUM ? sz->str : "0");
		}
	pj_free(idx);
	return 0;
}
