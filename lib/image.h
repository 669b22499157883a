/* SPDX-License-Identifier: ISC */
/* image.h: OCI image layouts and docker archives, in a directory or a tar
 * file: find the manifest, config and layers of one image. */
#ifndef SKIFF_IMAGE_H
#define SKIFF_IMAGE_H

#include <sys/types.h>
#include <stdint.h>

#include "json.h"

#define IMG_MAX_JSON (16 << 20)

struct arent {
	char *name;		/* normalized: no "./", no trailing "/" */
	off_t off;
	uint64_t size;
	char type;		/* '0' file, '2' symlink, '5' dir */
	char *link;
};

/* Where image files come from: a directory, or entries of a tar file. */
struct imgsrc {
	int fd;
	int archive;
	struct arent *ents;
	size_t nents;
};

struct desc {
	char *mediatype;
	char *digest;		/* NULL when the format has none (docker layer) */
	uint64_t size;
	char *path;		/* file in the source holding it */
};

struct image {
	char *kind;		/* "oci" or "docker" */
	struct desc manifest;	/* path NULL for docker-archive */
	struct desc config;
	struct desc *layers;
	size_t nlayers;
	char **diffids;
	char *config_raw;
	size_t config_len;
	struct json *config_json;
	char *name;		/* the reference it was chosen by or carries */
};

int src_open_dir(struct imgsrc *s, const char *dir, char *err, size_t errlen);
int src_open_archive(struct imgsrc *s, const char *file, char *err, size_t errlen);
void src_close(struct imgsrc *s);
/* A file of the source: an fd of its own (close it), offset and length. */
int src_file(struct imgsrc *s, const char *name, int *fd, off_t *off,
    uint64_t *len, char *err, size_t errlen);
/* Whether the source holds name. */
int src_has(struct imgsrc *s, const char *name);
/* A whole small file; with digest, checked against it (and size when
 * nonzero). NUL-terminated, malloc'd. */
char *src_read(struct imgsrc *s, const char *name, const char *digest,
    uint64_t size, size_t *len, char *err, size_t errlen);

/* Find the image (tag may be NULL) in an OCI layout or docker archive. */
int image_load_oci(struct imgsrc *s, const char *tag, struct image *img,
    char *err, size_t errlen);
int image_load_docker(struct imgsrc *s, const char *tag, struct image *img,
    char *err, size_t errlen);
void image_free(struct image *img);
/* A layer media type we can unpack (any compression, checked by magic). */
int layer_type_ok(const char *mediatype);

#endif
