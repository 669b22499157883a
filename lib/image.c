/* SPDX-License-Identifier: ISC */
/* image.c: find one image's manifest, config and layers in an OCI layout
 * or a docker archive, each held as a directory or as a tar file. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "image.h"
#include "tar.h"
#include "util.h"

#define MAXDEPTH 4

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

int
src_open_dir(struct imgsrc *s, const char *dir, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->fd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* "./a//b/" -> "a/b"; ".." components are resolved lexically, and a
 * name climbing above the top is refused. */
static char *
normalize(const char *p)
{
	char *out = malloc(strlen(p) + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		e = p;
		while (*e && *e != '/')
			e++;
		n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == out) {
				free(out);
				return NULL;
			}
			while (o > out && o[-1] != '/')
				o--;
			if (o > out)
				o--;
		} else {
			if (o > out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p = e;
	}
	*o = '\0';
	return out;
}

struct fdreader {
	int fd;
	off_t pos;
};

static ssize_t
fd_read(void *ctx, void *buf, size_t len)
{
	struct fdreader *r = ctx;
	ssize_t n;

	do
		n = pread(r->fd, buf, len, r->pos);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		r->pos += n;
	return n;
}

int
src_open_archive(struct imgsrc *s, const char *file, char *err, size_t errlen)
{
	struct fdreader r;
	struct tar t;
	struct tar_entry *e;
	struct stat st;
	unsigned char magic[2];
	char why[256];
	int rc;

	memset(s, 0, sizeof(*s));
	s->archive = 1;
	s->fd = open(file, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", file);
		goto bad;
	}
	if (pread(s->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		snprintf(err, errlen, "%s: compressed archive; decompress it first", file);
		goto bad;
	}
	r.fd = s->fd;
	r.pos = 0;
	tar_init(&t, fd_read, &r);
	while ((rc = tar_next(&t, &e, why, sizeof(why))) == 1) {
		struct arent *a;

		if (e->type != '0' && e->type != '2')
			continue;
		if (s->nents % 64 == 0) {
			a = reallocarray(s->ents, s->nents + 64, sizeof(*a));
			if (a == NULL) {
				snprintf(err, errlen, "%s: out of memory", file);
				tar_free(&t);
				goto bad;
			}
			s->ents = a;
		}
		a = &s->ents[s->nents];
		memset(a, 0, sizeof(*a));
		a->name = normalize(e->path);
		if (a->name == NULL)
			continue;	/* names above the top are never looked up */
		a->type = e->type;
		a->off = r.pos;
		a->size = e->size;
		if (e->type == '2' && (a->link = strdup(e->link)) == NULL) {
			free(a->name);
			continue;
		}
		s->nents++;
		if (a->size > (uint64_t)st.st_size) {
			snprintf(err, errlen, "%s: truncated archive", file);
			tar_free(&t);
			goto bad;
		}
	}
	tar_free(&t);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", file, why);
		goto bad;
	}
	return 0;
bad:
	src_close(s);
	return -1;
}

void
src_close(struct imgsrc *s)
{
	size_t i;

	for (i = 0; i < s->nents; i++) {
		free(s->ents[i].name);
		free(s->ents[i].link);
	}
	free(s->ents);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

static struct arent *
find_ent(struct imgsrc *s, const char *name)
{
	char *cur = normalize(name);
	struct arent *found = NULL;
	int hops;

	/* The last entry of a name wins, as when extracting. */
	for (hops = 0; cur != NULL && hops < 8; hops++) {
		size_t i;

		found = NULL;
		for (i = s->nents; i-- > 0;)
			if (strcmp(s->ents[i].name, cur) == 0) {
				found = &s->ents[i];
				break;
			}
		if (found == NULL || found->type != '2')
			break;
		/* skopeo's archives link <id>/layer.tar to <diffid>.tar. */
		{
			char *slash = strrchr(cur, '/'), *j;

			if (found->link[0] == '/')
				j = strdup(found->link);
			else if (asprintf(&j, "%.*s/%s", slash ? (int)(slash - cur) : 0,
			    cur, found->link) < 0)
				j = NULL;
			free(cur);
			cur = j ? normalize(j) : NULL;
			free(j);
		}
		found = NULL;
	}
	free(cur);
	return found != NULL && found->type == '0' ? found : NULL;
}

int
src_has(struct imgsrc *s, const char *name)
{
	struct stat st;
	int fd;

	if (s->archive)
		return find_ent(s, name) != NULL;
	fd = open_beneath(s->fd, name, O_PATH, 0);
	if (fd < 0)
		return 0;
	close(fd);
	(void)st;
	return 1;
}

int
src_file(struct imgsrc *s, const char *name, int *fd, off_t *off,
    uint64_t *len, char *err, size_t errlen)
{
	struct stat st;

	if (s->archive) {
		struct arent *a = find_ent(s, name);

		if (a == NULL) {
			snprintf(err, errlen, "%s: not in the archive", name);
			errno = ENOENT;
			return -1;
		}
		if ((*fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) < 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return -1;
		}
		*off = a->off;
		*len = a->size;
		return 0;
	}
	*fd = open_beneath(s->fd, name, O_RDONLY, 0);
	if (*fd < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", name);
		close(*fd);
		errno = EINVAL;
		return -1;
	}
	*off = 0;
	*len = (uint64_t)st.st_size;
	return 0;
}

char *
src_read(struct imgsrc *s, const char *name, const char *digest,
    uint64_t size, size_t *lenp, char *err, size_t errlen)
{
	struct blob b;
	char *buf = NULL, in[65], out[65];
	const char *hex = NULL;
	uint64_t len;
	size_t got = 0;
	off_t off;
	int fd;

	if (digest != NULL && !digest_valid(digest, &hex)) {
		snprintf(err, errlen, "%s: bad digest", name);
		return NULL;
	}
	if (src_file(s, name, &fd, &off, &len, err, errlen) < 0)
		return NULL;
	if (digest != NULL && size != 0 && len != size) {
		snprintf(err, errlen, "%s: size %llu, expected %llu", digest,
		    (unsigned long long)len, (unsigned long long)size);
		goto out;
	}
	if (len > IMG_MAX_JSON) {
		snprintf(err, errlen, "%s: too large (%llu bytes)", name,
		    (unsigned long long)len);
		goto out;
	}
	if ((buf = malloc((size_t)len + 1)) == NULL ||
	    blob_open(&b, fd, off, len, 0, 0) < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		free(buf);
		buf = NULL;
		goto out;
	}
	while (got < len) {
		ssize_t n = blob_read(&b, buf + got, (size_t)len - got);

		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", name, n < 0 ? b.err : "truncated");
			goto fail;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (blob_finish(&b, in, out) < 0) {
		snprintf(err, errlen, "%s: %s", name, b.err);
		goto fail;
	}
	if (hex != NULL && strcmp(in, hex) != 0) {
		snprintf(err, errlen, "%s: digest mismatch (content is sha256:%s)",
		    digest, in);
		goto fail;
	}
	blob_close(&b);
	*lenp = got;
	close(fd);
	return buf;
fail:
	blob_close(&b);
	free(buf);
	buf = NULL;
out:
	close(fd);
	return NULL;
}

static int
desc_from_json(struct json *j, struct desc *d, char *err, size_t errlen)
{
	const char *mt = json_getstr(j, "mediaType"), *dg = json_getstr(j, "digest"), *hex;
	unsigned long long size;

	if (dg == NULL || !digest_valid(dg, &hex)) {
		snprintf(err, errlen, "descriptor digest %s: not sha256: and 64 hex digits",
		    dg ? dg : "(missing)");
		return -1;
	}
	if (json_getu64(j, "size", &size) < 0) {
		snprintf(err, errlen, "descriptor %s: bad size", dg);
		return -1;
	}
	d->mediatype = strdup(mt ? mt : "");
	d->digest = strdup(dg);
	d->size = size;
	if (d->mediatype == NULL || d->digest == NULL ||
	    asprintf(&d->path, "blobs/sha256/%s", hex) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void
desc_free(struct desc *d)
{
	free(d->mediatype);
	free(d->digest);
	free(d->path);
	memset(d, 0, sizeof(*d));
}

int
layer_type_ok(const char *mt)
{
	static const char *const ok[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.diff.tar",
		"",
	};
	size_t i;

	for (i = 0; i < LEN(ok); i++)
		if (strcmp(mt, ok[i]) == 0)
			return 1;
	return 0;
}

/* Fill in the config and the diff-ids once the config's bytes are here. */
static int
load_config(struct image *img, char *err, size_t errlen)
{
	struct json *rootfs, *ids, *m;
	char why[160];
	size_t i = 0;

	img->config_json = json_parse(img->config_raw, img->config_len, why, sizeof(why));
	if (img->config_json == NULL || img->config_json->type != JSON_OBJECT) {
		snprintf(err, errlen, "config %s: %s", img->config.digest ? img->config.digest :
		    img->config.path, img->config_json ? "not an object" : why);
		return -1;
	}
	rootfs = json_get(img->config_json, "rootfs");
	ids = json_get(rootfs, "diff_ids");
	if (ids == NULL || ids->type != JSON_ARRAY) {
		snprintf(err, errlen, "config: no rootfs.diff_ids");
		return -1;
	}
	if (ids->n != img->nlayers) {
		snprintf(err, errlen, "config has %zu diff_ids for %zu layers",
		    ids->n, img->nlayers);
		return -1;
	}
	if ((img->diffids = calloc(ids->n + 1, sizeof(char *))) == NULL)
		return -1;
	for (m = ids->child; m != NULL; m = m->next, i++) {
		if (m->type != JSON_STRING || !digest_valid(m->str, NULL)) {
			snprintf(err, errlen, "config: diff_id %s: not sha256: and 64 hex digits",
			    m->type == JSON_STRING ? m->str : "(not a string)");
			return -1;
		}
		img->diffids[i] = m->str;
	}
	return 0;
}

static int
platform_match(struct json *d)
{
	struct json *p = json_get(d, "platform");
	const char *os = json_getstr(p, "os"), *arch = json_getstr(p, "architecture");

	return p == NULL || (os && arch && strcmp(os, "linux") == 0 &&
	    strcmp(arch, "amd64") == 0);
}

static int
is_attestation(struct json *d)
{
	struct json *a = json_get(d, "annotations");
	const char *t = json_getstr(a, "vnd.docker.reference.type");
	struct json *p = json_get(d, "platform");
	const char *os = json_getstr(p, "os");

	return (t != NULL && strcmp(t, "attestation-manifest") == 0) ||
	    (os != NULL && strcmp(os, "unknown") == 0);
}

static int
load_manifest(struct imgsrc *s, struct desc *d, struct image *img, int depth,
    const char *tag, char *err, size_t errlen)
{
	struct json *j, *m, *pick = NULL, *list;
	char *raw, why[200];
	size_t len, nmatch = 0;
	const char *mt;
	int rc = -1;

	if (depth > MAXDEPTH) {
		snprintf(err, errlen, "image indexes nested too deeply");
		return -1;
	}
	raw = src_read(s, d->path, d->digest, d->size, &len, err, errlen);
	if (raw == NULL)
		return -1;
	j = json_parse(raw, len, why, sizeof(why));
	free(raw);
	if (j == NULL || j->type != JSON_OBJECT) {
		snprintf(err, errlen, "%s: %s", d->digest ? d->digest : d->path,
		    j ? "not an object" : why);
		json_free(j);
		return -1;
	}
	mt = json_getstr(j, "mediaType");
	if (mt == NULL)
		mt = d->mediatype;
	list = json_get(j, "manifests");
	if ((mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0)) ||
	    (list != NULL && json_get(j, "layers") == NULL)) {
		struct desc sub = { 0 };

		if (list == NULL || list->type != JSON_ARRAY) {
			snprintf(err, errlen, "%s: index without manifests", d->path);
			goto out;
		}
		for (m = list->child; m != NULL; m = m->next) {
			const char *ref = json_getstr(json_get(m, "annotations"),
			    "org.opencontainers.image.ref.name");

			if (m->type != JSON_OBJECT || is_attestation(m))
				continue;
			if (tag != NULL) {
				if (ref != NULL && strcmp(ref, tag) == 0)
					pick = m, nmatch++;
			} else if (platform_match(m))
				pick = m, nmatch++;
		}
		if (nmatch == 0) {
			if (tag != NULL)
				snprintf(err, errlen, "tag %s: not found", tag);
			else
				snprintf(err, errlen, "no image for linux/amd64 in the index");
			goto out;
		}
		if (nmatch > 1) {
			snprintf(err, errlen, "%zu images match; name one with :TAG", nmatch);
			goto out;
		}
		if (desc_from_json(pick, &sub, err, errlen) < 0) {
			desc_free(&sub);
			goto out;
		}
		if (depth == 0 && img->name == NULL) {
			const char *ref = json_getstr(json_get(pick, "annotations"),
			    "org.opencontainers.image.ref.name");

			if (ref != NULL && (img->name = strdup(ref)) == NULL)
				goto out;
		}
		rc = load_manifest(s, &sub, img, depth + 1, NULL, err, errlen);
		if (rc == 0 && img->manifest.digest == NULL)
			img->manifest = sub;
		else
			desc_free(&sub);
		goto out;
	}
	if (tag != NULL) {
		snprintf(err, errlen, "tag %s: not an index", tag);
		goto out;
	}
	/* An image manifest. */
	if ((m = json_get(j, "config")) == NULL ||
	    desc_from_json(m, &img->config, err, errlen) < 0) {
		if (m == NULL)
			snprintf(err, errlen, "%s: manifest without config", d->digest);
		goto out;
	}
	list = json_get(j, "layers");
	if (list == NULL || list->type != JSON_ARRAY) {
		snprintf(err, errlen, "%s: manifest without layers", d->digest);
		goto out;
	}
	if ((img->layers = calloc(list->n + 1, sizeof(*img->layers))) == NULL)
		goto out;
	for (m = list->child; m != NULL; m = m->next) {
		struct desc *l = &img->layers[img->nlayers++];

		if (desc_from_json(m, l, err, errlen) < 0)
			goto out;
		if (!layer_type_ok(l->mediatype)) {
			snprintf(err, errlen, "layer %s: unsupported media type %s",
			    l->digest, l->mediatype);
			goto out;
		}
	}
	img->config_raw = src_read(s, img->config.path, img->config.digest,
	    img->config.size, &img->config_len, err, errlen);
	if (img->config_raw == NULL)
		goto out;
	rc = load_config(img, err, errlen);
	if (rc == 0 && img->manifest.digest == NULL) {
		img->manifest.digest = strdup(d->digest);
		img->manifest.mediatype = strdup(mt ? mt : MT_OCI_MANIFEST);
		img->manifest.path = strdup(d->path);
		img->manifest.size = d->size;
	}
out:
	json_free(j);
	return rc;
}

int
image_load_oci(struct imgsrc *s, const char *tag, struct image *img,
    char *err, size_t errlen)
{
	struct desc top = { 0 };
	char *layout;
	size_t len;
	int rc;

	memset(img, 0, sizeof(*img));
	img->kind = "oci";
	layout = src_read(s, "oci-layout", NULL, 0, &len, err, errlen);
	if (layout == NULL)
		return -1;
	rc = strstr(layout, "\"imageLayoutVersion\"") != NULL;
	free(layout);
	if (!rc) {
		snprintf(err, errlen, "oci-layout: not an OCI image layout");
		return -1;
	}
	top.path = strdup("index.json");
	top.mediatype = strdup(MT_OCI_INDEX);
	if (top.path == NULL || top.mediatype == NULL) {
		desc_free(&top);
		return -1;
	}
	rc = load_manifest(s, &top, img, 0, tag, err, errlen);
	desc_free(&top);
	return rc;
}

/* "name:tag" as docker writes it; a bare name means ":latest". */
static const char *
short_ref(const char *r)
{
	if (strncmp(r, "docker.io/", 10) == 0)
		r += 10;
	if (strncmp(r, "library/", 8) == 0)
		r += 8;
	return r;
}

static int
tag_match(const char *have, const char *want)
{
	size_t n;

	/* "docker.io/library/x:t", "library/x:t" and "x:t" are one name. */
	have = short_ref(have);
	want = short_ref(want);
	n = strlen(want);

	if (strcmp(have, want) == 0)
		return 1;
	return strchr(want, ':') == NULL && strncmp(have, want, n) == 0 &&
	    strcmp(have + n, ":latest") == 0;
}

int
image_load_docker(struct imgsrc *s, const char *tag, struct image *img,
    char *err, size_t errlen)
{
	struct json *j, *m, *pick = NULL, *layers, *c;
	char *raw, why[200];
	const char *cfg, *base, *hex;
	size_t len, n = 0;
	int rc = -1;

	memset(img, 0, sizeof(*img));
	img->kind = "docker";
	raw = src_read(s, "manifest.json", NULL, 0, &len, err, errlen);
	if (raw == NULL)
		return -1;
	j = json_parse(raw, len, why, sizeof(why));
	free(raw);
	if (j == NULL || j->type != JSON_ARRAY) {
		snprintf(err, errlen, "manifest.json: %s", j ? "not an array" : why);
		goto out;
	}
	for (m = j->child; m != NULL; m = m->next) {
		if (tag == NULL) {
			pick = m, n++;
			continue;
		}
		for (c = json_get(m, "RepoTags") ? json_get(m, "RepoTags")->child : NULL;
		    c != NULL; c = c->next)
			if (c->type == JSON_STRING && tag_match(c->str, tag)) {
				pick = m, n++;
				break;
			}
	}
	if (n != 1) {
		if (n == 0)
			snprintf(err, errlen, tag ? "tag %s: not found" : "empty manifest.json%s",
			    tag ? tag : "");
		else
			snprintf(err, errlen, "%zu images in the archive; name one with :NAME:TAG", n);
		goto out;
	}
	c = json_get(pick, "RepoTags");
	if (c != NULL && c->type == JSON_ARRAY && c->child != NULL &&
	    c->child->type == JSON_STRING &&
	    (img->name = strdup(short_ref(c->child->str))) == NULL)
		goto out;
	cfg = json_getstr(pick, "Config");
	layers = json_get(pick, "Layers");
	if (cfg == NULL || layers == NULL || layers->type != JSON_ARRAY) {
		snprintf(err, errlen, "manifest.json: entry without Config or Layers");
		goto out;
	}
	if ((img->layers = calloc(layers->n + 1, sizeof(*img->layers))) == NULL)
		goto out;
	for (c = layers->child; c != NULL; c = c->next) {
		struct desc *l = &img->layers[img->nlayers++];
		int fd;
		off_t off;

		if (c->type != JSON_STRING) {
			snprintf(err, errlen, "manifest.json: layer is not a path");
			goto out;
		}
		if (src_file(s, c->str, &fd, &off, &l->size, err, errlen) < 0)
			goto out;
		close(fd);
		l->path = strdup(c->str);
		l->mediatype = strdup("application/vnd.docker.image.rootfs.diff.tar");
		if (l->path == NULL || l->mediatype == NULL)
			goto out;
	}
	/* The config's file name is its digest (classic "<hex>.json",
	 * Docker 25's "blobs/sha256/<hex>"): check it when it is one. */
	base = strrchr(cfg, '/') ? strrchr(cfg, '/') + 1 : cfg;
	if ((img->config.path = strdup(cfg)) == NULL)
		goto out;
	if (strlen(base) >= 64 && asprintf(&img->config.digest, "sha256:%.64s", base) > 0 &&
	    (!digest_valid(img->config.digest, &hex) ||
	    (base[64] != '\0' && strcmp(base + 64, ".json") != 0))) {
		free(img->config.digest);
		img->config.digest = NULL;
	}
	img->config.mediatype = strdup("application/vnd.docker.container.image.v1+json");
	img->config_raw = src_read(s, cfg, img->config.digest, 0, &img->config_len,
	    err, errlen);
	if (img->config_raw == NULL)
		goto out;
	if (img->config.digest == NULL) {
		char h[65];

		sha256_hex(img->config_raw, img->config_len, h);
		if (asprintf(&img->config.digest, "sha256:%s", h) < 0)
			goto out;
	}
	img->config.size = img->config_len;
	rc = load_config(img, err, errlen);
out:
	json_free(j);
	return rc;
}

void
image_free(struct image *img)
{
	size_t i;

	desc_free(&img->manifest);
	desc_free(&img->config);
	for (i = 0; i < img->nlayers; i++)
		desc_free(&img->layers[i]);
	free(img->layers);
	free(img->diffids);
	free(img->config_raw);
	json_free(img->config_json);
	free(img->name);
	memset(img, 0, sizeof(*img));
}
