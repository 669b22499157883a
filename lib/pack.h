/* SPDX-License-Identifier: ISC */
/* pack.h: writing OCI images (a JSON tree, tar layers, OCI layouts) and
 * parsing Dockerfiles, for img-pack and dockerfile-parse. */
#ifndef SKIFF_PACK_H
#define SKIFF_PACK_H

#include <stddef.h>
#include <stdint.h>

/* pkbuf.c: a growable byte buffer, always NUL-terminated. */
struct pk_buf {
	char *s;
	size_t len, cap;
};
int pk_buf_add(struct pk_buf *b, const void *p, size_t n);
int pk_buf_puts(struct pk_buf *b, const char *s);
int pk_buf_printf(struct pk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int pk_buf_json_str(struct pk_buf *b, const char *s);
void pk_buf_free(struct pk_buf *b);

/*
 * pkjson.c: a small JSON tree that keeps the order of object members, so
 * a config read, changed and written again stays recognisable. Numbers are
 * kept as their text. Strings holding NUL (\u0000) are refused.
 */
enum pj_type { PJ_NULL, PJ_BOOL, PJ_NUM, PJ_STR, PJ_ARR, PJ_OBJ };
struct pj {
	enum pj_type type;
	char *key;		/* the member's name inside an object */
	char *str;		/* string, number text, "true" or "false" */
	struct pj **kid;	/* array elements or object members */
	size_t n, cap;
};
struct pj *pj_parse(const char *s, size_t len, char *err, size_t errlen);
void pj_free(struct pj *v);
struct pj *pj_get(const struct pj *obj, const char *key);
struct pj *pj_get_type(const struct pj *obj, const char *key, enum pj_type t);
struct pj *pj_new(enum pj_type t, const char *str);
struct pj *pj_set(struct pj *obj, const char *key, struct pj *val);
void pj_del(struct pj *obj, const char *key);
struct pj *pj_push(struct pj *arr, struct pj *val);
struct pj *pj_obj_at(struct pj *obj, const char *key);
struct pj *pj_arr_at(struct pj *obj, const char *key);
int pj_write(struct pk_buf *b, const struct pj *v);
int pj_is_str_array(const struct pj *v);

/* pgz.c: a gzip stream deflated on every core, deterministically. */
struct pgz;
struct pgz *pgz_new(int fd, int level);
int pgz_write(struct pgz *z, const void *p, size_t n);
int pgz_finish(struct pgz *z, char digest[72], uint64_t *size);
int pgz_error(const struct pgz *z);
void pgz_free(struct pgz *z);

/* zstdw.c: the same for zstd, where the build has libzstd. */
struct zw;
int pk_zstd_available(void);
struct zw *zw_new(int fd, int level);
int zw_write(struct zw *z, const void *p, size_t n);
int zw_finish(struct zw *z, char digest[72], uint64_t *size);
int zw_error(const struct zw *z);
void zw_free(struct zw *z);
int zw_diff_id(int fd, char diff_id[72], char *err, size_t errlen);

/* tarw.c: a directory tree as a deterministic tar stream, compressed. */
#define PK_DIGEST_LEN 72	/* "sha256:" + 64 hex + NUL */
#define PK_MT_TAR_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define PK_MT_TAR_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define PK_MT_TAR "application/vnd.oci.image.layer.v1.tar"
struct pk_layer_opts {
	int overlay;		/* an overlay upper dir: whiteouts become .wh. */
	int zstd;		/* zstd instead of gzip */
	int level;		/* compression level, 0 for the default */
	long long epoch;	/* clamp mtimes to this, -1 for none */
};
struct pk_layer {
	char digest[PK_DIGEST_LEN];
	char diff_id[PK_DIGEST_LEN];
	uint64_t size;
	const char *media_type;
};
int pk_write_layer(int srcfd, int outfd, const struct pk_layer_opts *o,
    struct pk_layer *out, char *err, size_t errlen);
int pk_diff_id(int blobfd, char diff_id[PK_DIGEST_LEN], char *err, size_t errlen);

/* ociw.c: OCI image layouts. */
#define PK_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define PK_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define PK_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define PK_REF_NAME "org.opencontainers.image.ref.name"
int pk_digest_valid(const char *d);
void pk_sha256_hex(const void *p, size_t n, char out[PK_DIGEST_LEN]);
int pk_layout_init(const char *path, char *err, size_t errlen);
int pk_layout_open(const char *path, char *err, size_t errlen);
int pk_blob_tmp(int lfd, char *name, size_t namelen);
int pk_blob_commit(int lfd, const char *tmpname, const char *digest);
int pk_blob_put(int lfd, const char *data, size_t len, char digest[PK_DIGEST_LEN]);
int pk_blob_exists(int lfd, const char *digest, uint64_t *size);
int pk_blob_open(int lfd, const char *digest);
int pk_blob_read(int lfd, const char *digest, size_t max, struct pk_buf *out,
    char *err, size_t errlen);
int pk_blob_copy(int srcfd, int dstfd, const char *digest, char *err, size_t errlen);
int pk_resolve(int lfd, const char *ref, char digest[PK_DIGEST_LEN],
    struct pj **manifest, char *err, size_t errlen);
int pk_index_tag(int lfd, const char *digest, uint64_t size,
    char *const *tags, size_t ntags, char *err, size_t errlen);
int pk_index_untag(int lfd, char *const *names, size_t nnames, char *err, size_t errlen);
int pk_index_list(int lfd, void (*fn)(void *, const char *, const char *, const char *),
    void *arg, char *err, size_t errlen);

/*
 * dockerfile.c: a Dockerfile as a plan of shell-quoted lines (see
 * dockerfile-parse(1)). args are NAME=VALUE build arguments; target, if
 * not NULL, ends the plan after that stage. On error, returns -1 with
 * "LINE: why" (LINE 0 when no line applies) in err.
 */
struct df_opts {
	char *const *args;
	size_t nargs;
	const char *target;
	char *const *image_env;	/* "IMAGE=K=V": a base image's own ENV */
	size_t nimage_env;
};
int df_parse(const char *text, size_t len, const struct df_opts *o,
    struct pk_buf *plan, char *err, size_t errlen);

#endif
