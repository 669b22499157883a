/* SPDX-License-Identifier: ISC */
/* img-unpack: verify an OCI or docker image and unpack its layers, into the
 * content-addressed layer store (overlay lower dirs) or one flat rootfs. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "image.h"
#include "json.h"
#include "tar.h"
#include "unpack.h"
#include "util.h"

static const char usage_line[] =
    "img-unpack [--config | --with-config | --inspect] [--max-size SIZE] [-o DIR] IMAGE"
    " | load FILE [NAME[:TAG]]";

enum { O_CONFIG = 0x100, O_INSPECT, O_MAXSIZE, O_WITHCONFIG };

static const struct optspec options[] = {
	{ "config", no_argument, O_CONFIG, NULL, "print the image config as shell-safe key=value lines" },
	{ "with-config", no_argument, O_WITHCONFIG, NULL, "unpack into the store, then print the config lines and Lower=DIR:DIR..." },
	{ "inspect", no_argument, O_INSPECT, NULL, "print manifest digest, config, layers, sizes, media types" },
	{ "max-size", required_argument, O_MAXSIZE, "SIZE", "refuse a layer decompressing to more than SIZE" },
	{ "output", required_argument, 'o', "DIR", "unpack all layers flattened into DIR (made; must not hold anything)" },
	{ NULL, 0, 0, NULL, NULL },
};

static struct {
	const char *out;
	int config, inspect, withconfig;
	uint64_t maxsize;
} conf;

/* What to remove if we die half-way: a temp dir in tmp_parent. */
static int tmp_parent = -1;
static char tmp_name[PATH_MAX];
static int lock_parent = -1;	/* the lock file of the layer being unpacked */
static char lock_name[80];

static void
cleanup(void)
{
	if (tmp_parent >= 0 && tmp_name[0] != '\0')
		remove_at(tmp_parent, tmp_name);
	tmp_name[0] = '\0';
	if (lock_parent >= 0 && lock_name[0] != '\0')
		unlinkat(lock_parent, lock_name, 0);
	lock_name[0] = '\0';
}

/* die(), after removing our temp dir (die() itself uses _exit). */
static void fatal(int code, const char *fmt, ...) __attribute__((__noreturn__, __format__(__printf__, 2, 3)));

static void
fatal(int code, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	cleanup();
	errno = saved;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fflush(stdout);
	_exit(code);
}

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

static const char *
skiff_root(void)
{
	const char *r = getenv("SKIFF_ROOT");

	return r != NULL && r[0] != '\0' ? r : "/var/lib/skiff";
}

enum srckind { K_OCI, K_OCI_ARCHIVE, K_DOCKER_ARCHIVE, K_DOCKER_DIR };

/* An IMAGE argument: transport, path and tag. The path is tried whole
 * first, so paths with ':' in them still work. */
static void
parse_ref(const char *arg, enum srckind *kind, char **path, char **tag)
{
	static const struct { const char *prefix; enum srckind kind; } tr[] = {
		{ "oci:", K_OCI }, { "oci-archive:", K_OCI_ARCHIVE },
		{ "docker-archive:", K_DOCKER_ARCHIVE },
	};
	struct stat st;
	const char *rest = NULL;
	char *p, *c;
	size_t i;
	int known = -1;

	*tag = NULL;
	for (i = 0; i < LEN(tr); i++)
		if (strncmp(arg, tr[i].prefix, strlen(tr[i].prefix)) == 0) {
			known = (int)i;
			rest = arg + strlen(tr[i].prefix);
		}
	if (known >= 0) {
		*kind = tr[known].kind;
		if ((p = strdup(rest)) == NULL)
			fatal(1, "out of memory");
		if (stat(p, &st) < 0) {
			/* docker-archive:FILE:NAME:TAG splits at the first
			 * ':', the others at the last. */
			c = *kind == K_DOCKER_ARCHIVE ? strchr(p, ':') : strrchr(p, ':');
			if (c != NULL) {
				*c = '\0';
				*tag = c + 1;
			}
		}
		*path = p;
		return;
	}
	if ((p = strdup(arg)) == NULL)
		fatal(1, "out of memory");
	if (stat(p, &st) < 0 && (c = strrchr(p, ':')) != NULL && strchr(c, '/') == NULL) {
		/* PATH:TAG, or PATH:NAME:TAG of a docker archive, of an
		 * existing PATH. */
		*c = '\0';
		if (stat(p, &st) == 0)
			*tag = c + 1;
		else {
			*c = ':';
			if ((c = strchr(p, ':')) != NULL) {
				*c = '\0';
				if (stat(p, &st) == 0)
					*tag = c + 1;
				else
					*c = ':';
			}
		}
	}
	if (*tag != NULL || stat(p, &st) == 0) {
		int fd, has_docker;

		*path = p;
		arg = p;
		if (S_ISDIR(st.st_mode)) {
			fd = open(arg, O_PATH | O_DIRECTORY | O_CLOEXEC);
			has_docker = fd >= 0 && faccessat(fd, "manifest.json", F_OK, 0) == 0;
			if (fd >= 0)
				close(fd);
			*kind = has_docker ? K_DOCKER_DIR : K_OCI;
		} else
			*kind = K_DOCKER_ARCHIVE;	/* refined after indexing */
		return;
	}
	free(p);
	if (arg[0] == '/' || arg[0] == '.')
		fatal(1, "%s: no such image file or directory", arg);
	/* NAME[:TAG] in the local store, named "NAME:TAG" in its index. */
	*kind = K_OCI;
	if (asprintf(path, "%s/images", skiff_root()) < 0)
		fatal(1, "out of memory");
	c = strrchr(arg, ':');
	if (c != NULL && strchr(c, '/') == NULL)
		p = strdup(arg);
	else if (asprintf(&p, "%s:latest", arg) < 0)
		p = NULL;
	if (p == NULL)
		fatal(1, "out of memory");
	*tag = p;
}

static void
open_image(const char *arg, struct imgsrc *src, struct image *img)
{
	enum srckind kind;
	char *path, *tag, err[512];
	int rc;

	parse_ref(arg, &kind, &path, &tag);
	if (kind == K_OCI && tag != NULL && strncmp(arg, "oci:", 4) != 0 &&
	    access(path, F_OK) < 0 && errno == ENOENT) {
		errno = 0;
		fatal(1, "%s: not in the local store (%s)", arg, path);
	}
	if (kind == K_OCI || kind == K_DOCKER_DIR)
		rc = src_open_dir(src, path, err, sizeof(err));
	else
		rc = src_open_archive(src, path, err, sizeof(err));
	if (rc < 0)
		fatal(1, "%s", err);
	if (kind == K_DOCKER_ARCHIVE && !src_has(src, "manifest.json") &&
	    src_has(src, "index.json"))
		kind = K_OCI_ARCHIVE;
	if (kind == K_DOCKER_ARCHIVE || kind == K_DOCKER_DIR)
		rc = image_load_docker(src, tag, img, err, sizeof(err));
	else
		rc = image_load_oci(src, tag, img, err, sizeof(err));
	if (rc < 0)
		fatal(1, "%s: %s", arg, err);
	free(path);
}

/* One shell word: single quotes, a ' inside written as '\''. */
static void
shquote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* KEY='...' with the list as quoted words inside, for eval "set -- $KEY". */
static void
print_list(const char *key, struct json *j, int keys, int kv)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct json *c;
	int first = 1;

	if (m == NULL)
		fatal(1, "out of memory");
	for (c = j != NULL ? j->child : NULL; c != NULL; c = c->next) {
		const char *s = keys ? c->key : c->str;
		char *pair = NULL;

		if (!keys && c->type != JSON_STRING)
			continue;
		if (kv) {
			if (c->type != JSON_STRING || asprintf(&pair, "%s=%s", c->key, c->str) < 0)
				continue;
			s = pair;
		}
		if (!first)
			fputc(' ', m);
		first = 0;
		shquote(m, s);
		free(pair);
	}
	if (fclose(m) != 0)
		fatal(1, "out of memory");
	printf("%s=", key);
	shquote(stdout, buf);
	putchar('\n');
	free(buf);
}

static void
print_str(const char *key, const char *val)
{
	printf("%s=", key);
	shquote(stdout, val != NULL ? val : "");
	putchar('\n');
}

static void
print_config(struct image *img)
{
	struct json *c = json_get(img->config_json, "config");

	print_list("Entrypoint", json_get(c, "Entrypoint"), 0, 0);
	print_list("Cmd", json_get(c, "Cmd"), 0, 0);
	print_list("Env", json_get(c, "Env"), 0, 0);
	print_str("WorkingDir", json_getstr(c, "WorkingDir"));
	print_str("User", json_getstr(c, "User"));
	print_list("ExposedPorts", json_get(c, "ExposedPorts"), 1, 0);
	print_list("Volumes", json_get(c, "Volumes"), 1, 0);
	print_list("Labels", json_get(c, "Labels"), 0, 1);
	print_str("StopSignal", json_getstr(c, "StopSignal"));
	print_str("Architecture", json_getstr(img->config_json, "architecture"));
	print_str("Os", json_getstr(img->config_json, "os"));
	print_str("ImageId", img->config.digest);
}

static void
print_inspect(struct image *img)
{
	size_t i;

	printf("format=%s\n", img->kind);
	if (img->manifest.digest != NULL) {
		printf("manifest=%s\n", img->manifest.digest);
		printf("manifest_media_type=%s\n", img->manifest.mediatype);
		printf("manifest_size=%llu\n", (unsigned long long)img->manifest.size);
	}
	printf("config=%s\n", img->config.digest);
	printf("config_size=%llu\n", (unsigned long long)img->config.size);
	printf("layers=%zu\n", img->nlayers);
	for (i = 0; i < img->nlayers; i++) {
		struct desc *l = &img->layers[i];

		printf("layer=%s %llu %s %s\n", l->digest ? l->digest : "-",
		    (unsigned long long)l->size, l->mediatype, img->diffids[i]);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
warn_cb(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

/* Progress on a terminal: the layer, bytes so far and the rate, redrawn
 * at most every quarter second. */
struct progress {
	void *async;
	uint64_t bytes;		/* of the tar stream, read so far */
	size_t i, n;
	double t0, last;
};

static ssize_t
progress_read(void *ctx, void *buf, size_t len)
{
	struct progress *p = ctx;
	ssize_t r = blob_async_read(p->async, buf, len);
	double t = now();

	if (r > 0)
		p->bytes += (uint64_t)r;
	if (t - p->last >= 0.25) {
		double mb = (double)p->bytes / 1e6;

		p->last = t;
		fprintf(stderr, "\rimg-unpack: layer %zu/%zu: %.1f MB, %.0f MB/s   ",
		    p->i + 1, p->n, mb, t > p->t0 ? mb / (t - p->t0) : 0.0);
	}
	return r;
}

/* Stream layer i of img into rootfd, verifying size, digest and diff-id;
 * dies with a one-line reason naming the layer. */
static void
unpack_one(struct imgsrc *src, struct image *img, size_t i, struct unpack *u)
{
	struct desc *l = &img->layers[i];
	const char *name = l->digest ? l->digest : img->diffids[i];
	const char *hex = NULL;
	char err[512], inhex[65], outhex[65];
	struct blob_async *async;
	struct progress prog;
	int tty = isatty(STDERR_FILENO);
	struct blob b;
	struct tar t;
	uint64_t len, max;
	int rc;
	double t0 = now();
	off_t off;
	int fd;

	if (l->digest != NULL && !digest_valid(l->digest, &hex))
		fatal(1, "layer %s: bad digest", l->digest);
	if (src_file(src, l->path, &fd, &off, &len, err, sizeof(err)) < 0)
		fatal(1, "layer %s: %s", name, err);
	if (l->digest != NULL && len != l->size)
		fatal(1, "layer %s: size %llu, expected %llu", name,
		    (unsigned long long)len, (unsigned long long)l->size);
	/* A bomb guard by default: 1 GiB or 256 times the blob, whichever is
	 * more; --max-size sets it outright. */
	max = conf.maxsize ? conf.maxsize :
	    (len > (UINT64_MAX >> 9) ? UINT64_MAX : (len * 256 > (1ULL << 30) ? len * 256 : 1ULL << 30));
	if (blob_open(&b, fd, off, len, 1, max) < 0)
		fatal(1, "layer %s: %s", name, b.err[0] ? b.err : strerror(errno));
	if ((async = blob_async_start(&b)) == NULL)
		fatal(1, "layer %s: start a thread:", name);
	if (tty) {
		prog.async = async;
		prog.bytes = 0;
		prog.i = i;
		prog.n = img->nlayers;
		prog.t0 = prog.last = t0;
		tar_init(&t, progress_read, &prog);
	} else {
		tar_init(&t, blob_async_read, async);
		t.lend = blob_async_lend;
	}
	rc = unpack_layer(u, &t, err, sizeof(err));
	blob_async_stop(async);
	if (rc < 0) {
		if (b.err[0] != '\0')
			fatal(1, "layer %s: %s", name, b.err);
		fatal(1, "layer %s: %s", name, err);
	}
	tar_free(&t);
	if (blob_finish(&b, inhex, outhex) < 0)
		fatal(1, "layer %s: %s", name, b.err);
	if (hex != NULL && strcmp(inhex, hex) != 0)
		fatal(1, "layer %s: digest mismatch (content is sha256:%s)", name, inhex);
	if (strcmp(outhex, img->diffids[i] + 7) != 0)
		fatal(1, "layer %s: diff_id mismatch: config says %s, content is sha256:%s",
		    name, img->diffids[i], outhex);
	blob_close(&b);
	close(fd);
	if (tty) {
		double dt = now() - t0;

		fprintf(stderr, "\rimg-unpack: layer %zu/%zu: %.1f MB in %.2f s (%.0f MB/s)   \n",
		    i + 1, img->nlayers, (double)b.nout / 1e6, dt,
		    dt > 0 ? (double)b.nout / 1e6 / dt : 0.0);
	}
}

/* mkdir -p for our own state directories. */
static void
mkdirs(const char *path, mode_t mode)
{
	if (mkdir_p(path, mode) < 0)
		fatal(1, "mkdir %s:", path);
}

/* A fresh temp dir named prefix-XXXXXX in parent; its fd. */
static int
make_tmp(int parent, const char *prefix)
{
	static const char a[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	struct timespec ts;
	int tries, fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	srandom((unsigned)(ts.tv_nsec ^ getpid()));
	for (tries = 0; tries < 100; tries++) {
		char sfx[7];
		int k;

		for (k = 0; k < 6; k++)
			sfx[k] = a[random() % 36];
		sfx[6] = '\0';
		snprintf(tmp_name, sizeof(tmp_name), "%s-%s", prefix, sfx);
		if (mkdirat(parent, tmp_name, 0700) == 0)
			break;
		if (errno != EEXIST)
			fatal(1, "mkdir %s:", tmp_name);
	}
	tmp_parent = parent;
	fd = openat(parent, tmp_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fatal(1, "%s:", tmp_name);
	/* Root of a layer or rootfs: 0755 unless the image says otherwise. */
	if (fchmodat(parent, tmp_name, 0755, 0) < 0)
		fatal(1, "chmod %s:", tmp_name);
	return fd;
}

static void
do_output(struct imgsrc *src, struct image *img)
{
	char *dir = strdup(conf.out), *base, *slash;
	struct unpack u;
	struct stat st;
	int parent, rootfd;
	size_t i;

	if (dir == NULL)
		fatal(1, "out of memory");
	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	slash = strrchr(dir, '/');
	base = slash ? slash + 1 : dir;
	if (slash == dir)
		parent = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (slash) {
		*slash = '\0';
		parent = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	} else
		parent = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0 || base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		fatal(1, "-o %s: %s", conf.out, parent < 0 ? strerror(errno) : "not a usable name");
	/* Refused before anything is written: an existing DIR must be an
	 * empty directory (rename replaces only those). */
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		int fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd < 0 ? NULL : fdopendir(fd);
		struct dirent *de;
		int entries = 0;

		if (d == NULL)
			fatal(1, "-o %s: exists and is not an empty directory", conf.out);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				entries++;
		closedir(d);
		if (entries > 0)
			fatal(1, "-o %s: exists and is not an empty directory", conf.out);
	}
	if (strlen(base) > 200)
		fatal(1, "-o %s: name too long", conf.out);
	{
		char prefix[256];

		snprintf(prefix, sizeof(prefix), ".%s.unpack", base);
		rootfd = make_tmp(parent, prefix);
	}
	unpack_init(&u, rootfd, 0);
	u.warn = warn_cb;
	for (i = 0; i < img->nlayers; i++)
		unpack_one(src, img, i, &u);
	if (renameat(parent, tmp_name, parent, base) < 0)
		fatal(1, "-o %s: %s", conf.out, errno == ENOTEMPTY || errno == EEXIST ?
		    "exists and is not an empty directory" : strerror(errno));
	tmp_name[0] = '\0';
	close(rootfd);
	close(parent);
	free(dir);
}

static void
do_store(struct imgsrc *src, struct image *img)
{
	char *dir;
	int layers, lock, *fds;
	size_t i;

	if (asprintf(&dir, "%s/layers/sha256", skiff_root()) < 0)
		fatal(1, "out of memory");
	mkdirs(dir, 0755);
	layers = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (layers < 0)
		fatal(1, "%s:", dir);
	if ((fds = calloc(img->nlayers + 1, sizeof(int))) == NULL)
		fatal(1, "out of memory");
	for (i = 0; i < img->nlayers; i++) {
		const char *hex = img->diffids[i] + 7;
		struct unpack u;
		char prefix[128];
		int fd;

		fds[i] = openat(layers, hex, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] >= 0)
			continue;	/* already unpacked: costs nothing */
		if (errno != ENOENT)
			fatal(1, "%s/%s:", dir, hex);
		/* One unpacker a layer: others starting the same image at the
		 * same time (a deployment's replicas) wait for it, then find
		 * the layer there, instead of each unpacking it again. */
		snprintf(lock_name, sizeof(lock_name), ".lock-%s", hex);
		lock = openat(layers, lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lock < 0 || flock(lock, LOCK_EX) < 0)
			fatal(1, "%s/%s:", dir, lock_name);
		lock_parent = layers;
		fds[i] = openat(layers, hex, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] >= 0) {
			/* Unpacked while we waited. The name is ours to
			 * remove only if it is still the file we locked. */
			struct stat a, b;

			if (fstat(lock, &a) == 0 &&
			    fstatat(layers, lock_name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev)
				unlinkat(layers, lock_name, 0);
			lock_name[0] = '\0';
			close(lock);
			continue;
		}
		snprintf(prefix, sizeof(prefix), ".tmp-%.16s", hex);
		fd = make_tmp(layers, prefix);
		unpack_init(&u, fd, 1);
		u.warn = warn_cb;
		u.lowerfds = fds;
		u.nlower = i;
		unpack_one(src, img, i, &u);
		if (renameat(layers, tmp_name, layers, hex) < 0) {
			if (errno != EEXIST && errno != ENOTEMPTY)
				fatal(1, "rename %s/%s:", dir, tmp_name);
			/* Someone unpacked it meanwhile: theirs is as good. */
			cleanup();
		}
		tmp_name[0] = '\0';
		close(fd);
		fds[i] = openat(layers, hex, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[i] < 0)
			fatal(1, "%s/%s:", dir, hex);
		/* The lock file goes before it is released. One who opened
		 * it meanwhile locks an unlinked file and finds the layer;
		 * one who comes later makes a new one and finds the layer too.
		 * (Removed after a failure as well: then two may unpack at
		 * once, which the rename above keeps correct.) */
		unlinkat(layers, lock_name, 0);
		lock_name[0] = '\0';
		close(lock);
	}
	/* The overlay lower dirs, top layer first: one a line, or after the
	 * config as Lower='DIR:DIR' (what skiff run needs, in one call). */
	if (conf.withconfig) {
		char *lower = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&lower, &len);

		if (m == NULL)
			fatal(1, "out of memory");
		for (i = img->nlayers; i-- > 0;)
			fprintf(m, "%s%s/%s", i + 1 < img->nlayers ? ":" : "", dir, img->diffids[i] + 7);
		if (fclose(m) != 0)
			fatal(1, "out of memory");
		print_config(img);
		print_str("Lower", lower);
		free(lower);
	} else {
		for (i = img->nlayers; i-- > 0;)
			printf("%s/%s\n", dir, img->diffids[i] + 7);
	}
	for (i = 0; i < img->nlayers; i++)
		close(fds[i]);
	free(fds);
	close(layers);
	free(dir);
}

/*
 * Copy len bytes at off in fd into blobs/sha256 of the store (dirfd),
 * through a temp file renamed to its digest; the digest must equal want
 * when given. Returns the digest's hex in hex; sets *magic to the first
 * bytes' compression.
 */
static void
store_blob(int dirfd, int fd, off_t off, uint64_t len, const char *want,
    char hex[65], int *comp)
{
	char tmp[64], in[65], out[65], buf[65536];
	struct blob b;
	int t;
	ssize_t n;
	int first = 1;

	snprintf(tmp, sizeof(tmp), ".tmp-%d", (int)getpid());
	t = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (t < 0)
		fatal(1, "load: %s:", tmp);
	snprintf(tmp_name, sizeof(tmp_name), "%s", tmp);
	tmp_parent = dirfd;
	if (blob_open(&b, fd, off, len, 0, 0) < 0)
		fatal(1, "load: out of memory");
	while ((n = blob_read(&b, buf, sizeof(buf))) > 0) {
		if (first && comp != NULL) {
			*comp = n >= 2 && (unsigned char)buf[0] == 0x1f &&
			    (unsigned char)buf[1] == 0x8b ? BLOB_GZIP :
			    n >= 4 && memcmp(buf, "\x28\xb5\x2f\xfd", 4) == 0 ?
			    BLOB_ZSTD : BLOB_PLAIN;
			first = 0;
		}
		if (write(t, buf, (size_t)n) != n)
			fatal(1, "load: write blob:");
	}
	if (n < 0 || blob_finish(&b, in, out) < 0)
		fatal(1, "load: %s", b.err);
	blob_close(&b);
	if (fsync(t) < 0 || close(t) < 0)
		fatal(1, "load: write blob:");
	if (want != NULL && strcmp(want, in) != 0)
		fatal(1, "load: blob sha256:%s: digest mismatch (content is sha256:%s)", want, in);
	if (renameat(dirfd, tmp, dirfd, in) < 0)
		fatal(1, "load: rename blob:");
	tmp_name[0] = '\0';
	memcpy(hex, in, 65);
}

static void
store_bytes(int dirfd, const char *data, size_t len, char hex[65])
{
	char tmp[64];
	int fd;

	sha256_hex(data, len, hex);
	snprintf(tmp, sizeof(tmp), ".tmp-%d", (int)getpid());
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0 || close(fd) < 0)
		fatal(1, "load: write blob:");
	if (renameat(dirfd, tmp, dirfd, hex) < 0)
		fatal(1, "load: rename blob:");
}

/* Add (or replace) the index entry named name. */
static void
store_index(int imgfd, const char *name, const char *mediatype,
    const char *digest, uint64_t size)
{
	struct json *idx = NULL, *list = NULL, *m;
	char *raw = NULL, why[200];
	size_t rawlen = 0;
	FILE *f;
	int lock, fd, first = 1;
	ssize_t n;

	lock = openat(imgfd, "index.json.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		fatal(1, "load: lock index.json:");
	fd = openat(imgfd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if ((raw = malloc(IMG_MAX_JSON + 1)) == NULL)
			fatal(1, "out of memory");
		while ((n = read(fd, raw + rawlen, IMG_MAX_JSON - rawlen)) > 0)
			rawlen += (size_t)n;
		close(fd);
		idx = json_parse(raw, rawlen, why, sizeof(why));
		if (idx == NULL)
			fatal(1, "load: index.json: %s", why);
		list = json_get(idx, "manifests");
		free(raw);
	} else if (errno != ENOENT)
		fatal(1, "load: index.json:");
	fd = openat(imgfd, "index.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		fatal(1, "load: index.json.tmp:");
	fputs("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[", f);
	for (m = list != NULL && list->type == JSON_ARRAY ? list->child : NULL; m != NULL; m = m->next) {
		const char *ref = json_getstr(json_get(m, "annotations"),
		    "org.opencontainers.image.ref.name");

		if (ref != NULL && strcmp(ref, name) == 0)
			continue;
		if (!first)
			fputc(',', f);
		first = 0;
		json_write(f, m);
	}
	if (!first)
		fputc(',', f);
	fputs("{\"mediaType\":", f);
	json_write_str(f, mediatype);
	fprintf(f, ",\"digest\":\"%s\",\"size\":%llu,\"annotations\":{\"org.opencontainers.image.ref.name\":",
	    digest, (unsigned long long)size);
	json_write_str(f, name);
	fputs("}}]}\n", f);
	if (fflush(f) != 0 || fsync(fd) < 0 || fclose(f) != 0)
		fatal(1, "load: write index.json:");
	if (renameat(imgfd, "index.json.tmp", imgfd, "index.json") < 0)
		fatal(1, "load: rename index.json:");
	json_free(idx);
	close(lock);
}

static int
load_main(int argc, char *argv[])
{
	static const char *const lmt[] = {
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.v1.tar+zstd",
	};
	struct imgsrc src;
	struct image img;
	char *dir, *name, hex[65], cfghex[65], *man = NULL;
	size_t i, manlen = 0;
	int imgfd, blobs;
	FILE *m;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: img-unpack load FILE [NAME[:TAG]]\n");
		exit(0);
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-')
		usage();
	umask(022);
	open_image(argv[1], &src, &img);
	name = argc == 3 ? argv[2] : img.name;
	if (name == NULL || name[0] == '\0')
		fatal(1, "load: %s: the image carries no name; give NAME:TAG", argv[1]);
	if (strchr(name, ':') == NULL || strchr(strrchr(name, ':'), '/') != NULL) {
		if (asprintf(&name, "%s:latest", name) < 0)
			fatal(1, "out of memory");
	} else if ((name = strdup(name)) == NULL)
		fatal(1, "out of memory");
	for (i = 0; name[i]; i++)
		if ((unsigned char)name[i] <= ' ' || name[i] == '"' || name[i] == '\\')
			fatal(1, "load: %s: not a valid image name", name);
	if (asprintf(&dir, "%s/images/blobs/sha256", skiff_root()) < 0)
		fatal(1, "out of memory");
	mkdirs(dir, 0755);
	dir[strlen(dir) - strlen("/blobs/sha256")] = '\0';
	if ((imgfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (blobs = openat(imgfd, "blobs/sha256", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		fatal(1, "load: %s:", dir);
	if (faccessat(imgfd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}\n";
		int fd = openat(imgfd, "oci-layout", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd < 0 || write(fd, layout, sizeof(layout) - 1) != sizeof(layout) - 1 ||
		    close(fd) < 0)
			fatal(1, "load: %s/oci-layout:", dir);
	}
	if ((m = open_memstream(&man, &manlen)) == NULL)
		fatal(1, "out of memory");
	fputs("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",", m);
	store_bytes(blobs, img.config_raw, img.config_len, cfghex);
	fprintf(m, "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[", cfghex, img.config_len);
	for (i = 0; i < img.nlayers; i++) {
		struct desc *l = &img.layers[i];
		const char *want = NULL;
		char err[512];
		uint64_t len;
		off_t off;
		int fd, comp = BLOB_PLAIN;

		if (l->digest != NULL && !digest_valid(l->digest, &want))
			fatal(1, "load: layer %s: bad digest", l->digest);
		if (src_file(&src, l->path, &fd, &off, &len, err, sizeof(err)) < 0)
			fatal(1, "load: %s", err);
		if (l->digest != NULL && len != l->size)
			fatal(1, "load: layer %s: size %llu, expected %llu", l->digest,
			    (unsigned long long)len, (unsigned long long)l->size);
		store_blob(blobs, fd, off, len, want, hex, &comp);
		close(fd);
		fprintf(m, "%s{\"mediaType\":\"%s\",\"digest\":\"sha256:%s\",\"size\":%llu}",
		    i ? "," : "", lmt[comp], hex, (unsigned long long)len);
	}
	fputs("]}", m);
	if (fclose(m) != 0)
		fatal(1, "out of memory");
	/* The manifest is rewritten in OCI form (docker archives have none);
	 * layers keep their bytes, so their digests and diff-ids hold. */
	store_bytes(blobs, man, manlen, hex);
	{
		char digest[80];

		snprintf(digest, sizeof(digest), "sha256:%s", hex);
		store_index(imgfd, name, "application/vnd.oci.image.manifest.v1+json",
		    digest, manlen);
	}
	printf("%s\n", name);
	free(man);
	free(name);
	free(dir);
	close(blobs);
	close(imgfd);
	image_free(&img);
	src_close(&src);
	if (fflush(stdout) != 0)
		fatal(1, "stdout:");
	return 0;
}

static void
parse_args(int argc, char *argv[])
{
	char *help;
	int c;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case 'o': conf.out = optarg; break;
		case O_CONFIG: conf.config = 1; break;
		case O_WITHCONFIG: conf.withconfig = 1; break;
		case O_INSPECT: conf.inspect = 1; break;
		case O_MAXSIZE:
			if (parse_size(optarg, &conf.maxsize) < 0 || conf.maxsize == 0)
				fatal(EXIT_USAGE, "--max-size %s: expected a size like 512M", optarg);
			break;
		case OPT_HELP:
			help = optspec_help(usage_line, options);
			fputs(help ? help : usage_line, stdout);
			exit(0);
		case OPT_VERSION:
			printf("img-unpack %s\n", SKIFF_VERSION);
			exit(0);
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	if (conf.config + conf.withconfig + conf.inspect + (conf.out != NULL) > 1)
		fatal(EXIT_USAGE, "--config, --with-config, --inspect and -o exclude each other");
}

int
main(int argc, char *argv[])
{
	struct imgsrc src;
	struct image img;

	setprogname(argv[0]);
	if (argc > 1 && strcmp(argv[1], "load") == 0)
		return load_main(argc - 1, argv + 1);
	parse_args(argc, argv);
	umask(022);
	open_image(argv[optind], &src, &img);
	if (conf.config)
		print_config(&img);
	else if (conf.inspect)
		print_inspect(&img);
	else if (conf.out != NULL)
		do_output(&src, &img);
	else
		do_store(&src, &img);
	image_free(&img);
	src_close(&src);
	if (fflush(stdout) != 0)
		fatal(1, "stdout:");
	return 0;
}
