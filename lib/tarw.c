/* SPDX-License-Identifier: ISC */
/* tarw.c: a directory tree as a deterministic, compressed tar layer:
 * entries sorted, numeric ids only, mtimes clamped, PAX where ustar can't
 * say it, and overlay whiteouts turned into OCI ones on request. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sha2.h>
#include <zlib.h>

#include "pack.h"
#include "util.h"

#define BLK 512
#define MAXDEPTH 400

struct hl {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tw {
	const struct pk_layer_opts *o;
	int outfd;
	struct pgz *gz;
	struct zw *zw;
	SHA2_CTX raw;
	struct hl *hl;
	size_t nhl, caphl;
	struct pk_buf path;
	char *err;
	size_t errlen;
	unsigned char io[1 << 16];
};

static int
twfail(struct tw *t, int err, const char *fmt, ...)
{
	va_list ap;

	if (t->errlen > 0 && t->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(t->err, t->errlen, fmt, ap);
		va_end(ap);
	}
	errno = err;
	return -1;
}

static int
emit(struct tw *t, const void *p, size_t n)
{
	SHA256Update(&t->raw, p, n);
	if (t->zw != NULL ? zw_write(t->zw, p, n) < 0 : pgz_write(t->gz, p, n) < 0) {
		int e = t->zw != NULL ? zw_error(t->zw) : pgz_error(t->gz);

		return twfail(t, e, "write layer: %s", strerror(e));
	}
	return 0;
}

static int
pad(struct tw *t, uint64_t size)
{
	static const char zero[BLK];
	size_t r = (size_t)(size % BLK);

	return r ? emit(t, zero, BLK - r) : 0;
}

/* An octal field of width w (w-1 digits and a NUL); 0 if it doesn't fit. */
static int
octal(char *f, size_t w, uint64_t v)
{
	size_t i = w - 1;

	f[i] = '\0';
	while (i-- > 0) {
		f[i] = (char)('0' + (v & 7));
		v >>= 3;
	}
	return v == 0;
}

static int
paxrec(struct pk_buf *b, const char *key, const char *val, size_t vlen)
{
	size_t base = strlen(key) + vlen + 3, len = base, digits;
	char num[24];

	/* The length counts its own digits. */
	for (;;) {
		digits = (size_t)snprintf(num, sizeof(num), "%zu", len);
		if (base + digits == len)
			break;
		len = base + digits;
	}
	return pk_buf_printf(b, "%s %s=", num, key) < 0 ||
	    pk_buf_add(b, val, vlen) < 0 || pk_buf_add(b, "\n", 1) < 0 ? -1 : 0;
}

struct ent {
	const char *name;	/* path inside the layer */
	const char *link;	/* symlink or hardlink target */
	char type;
	mode_t mode;
	uint64_t uid, gid, size;
	long long mtime;
	unsigned major, minor;
	struct pk_buf *xattrs;	/* PAX records of SCHILY.xattr.* */
};

static void
header(char *h, const struct ent *e, const char *name, const char *link, char type,
    uint64_t size, int *need)
{
	size_t nl = strlen(name), i;

	memset(h, 0, BLK);
	if (nl <= 100) {
		memcpy(h, name, nl);
	} else {
		/* ustar splits at a '/' into prefix (155) and name (100). */
		const char *s = NULL;

		for (i = nl - 1; i > 0; i--)
			if (i <= 155 && name[i] == '/' && nl - i - 1 <= 100 && nl - i - 1 > 0) {
				s = name + i;
				break;
			}
		if (s != NULL) {
			memcpy(h + 345, name, (size_t)(s - name));
			memcpy(h, s + 1, nl - (size_t)(s - name) - 1);
		} else {
			memcpy(h, name, 100);
			need[0] = 1;
		}
	}
	octal(h + 100, 8, e->mode & 07777);
	if (!octal(h + 108, 8, e->uid))
		need[1] = 1, octal(h + 108, 8, 0);
	if (!octal(h + 116, 8, e->gid))
		need[2] = 1, octal(h + 116, 8, 0);
	if (!octal(h + 124, 12, size))
		need[3] = 1, octal(h + 124, 12, 0);
	if (e->mtime < 0 || !octal(h + 136, 12, (uint64_t)e->mtime))
		need[4] = 1, octal(h + 136, 12, 0);
	h[156] = type;
	if (link != NULL) {
		size_t ll = strlen(link);

		if (ll > 100)
			need[5] = 1, ll = 100;
		memcpy(h + 157, link, ll);
	}
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (type == '3' || type == '4') {
		octal(h + 329, 8, e->major);
		octal(h + 337, 8, e->minor);
	}
}

static int
put_header(struct tw *t, char *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < BLK; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	return emit(t, h, BLK);
}

static int
put_entry(struct tw *t, const struct ent *e)
{
	char h[BLK], num[32];
	int need[6] = { 0 };
	struct pk_buf pax = { 0 };
	int rc = -1;

	header(h, e, e->name, e->link, e->type, e->size, need);
	if (need[0] && paxrec(&pax, "path", e->name, strlen(e->name)) < 0)
		goto out;
	if (need[1] && (snprintf(num, sizeof(num), "%llu", (unsigned long long)e->uid),
	    paxrec(&pax, "uid", num, strlen(num)) < 0))
		goto out;
	if (need[2] && (snprintf(num, sizeof(num), "%llu", (unsigned long long)e->gid),
	    paxrec(&pax, "gid", num, strlen(num)) < 0))
		goto out;
	if (need[3] && (snprintf(num, sizeof(num), "%llu", (unsigned long long)e->size),
	    paxrec(&pax, "size", num, strlen(num)) < 0))
		goto out;
	if (need[4] && (snprintf(num, sizeof(num), "%lld", e->mtime),
	    paxrec(&pax, "mtime", num, strlen(num)) < 0))
		goto out;
	if (need[5] && paxrec(&pax, "linkpath", e->link, strlen(e->link)) < 0)
		goto out;
	if (e->xattrs != NULL && e->xattrs->len > 0 &&
	    pk_buf_add(&pax, e->xattrs->s, e->xattrs->len) < 0)
		goto out;
	if (pax.len > 0) {
		char ph[BLK], pname[101];
		struct ent pe = { .mode = 0644, .mtime = e->mtime < 0 ? 0 : e->mtime };
		const char *base = strrchr(e->name, '/');
		int pneed[6] = { 0 };

		/* The extended header's own name is informative only. */
		base = base && base[1] ? base + 1 : e->name;
		snprintf(pname, sizeof(pname), "PaxHeaders.0/%.87s", base);
		header(ph, &pe, pname, NULL, 'x', pax.len, pneed);
		if (put_header(t, ph) < 0 || emit(t, pax.s, pax.len) < 0 ||
		    pad(t, pax.len) < 0)
			goto out;
	}
	rc = put_header(t, h);
out:
	if (rc < 0 && t->err[0] == '\0')
		twfail(t, errno ? errno : ENOMEM, "%s: %s", e->name, strerror(errno ? errno : ENOMEM));
	pk_buf_free(&pax);
	return rc;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
xattr_wanted(const char *name)
{
	if (strncmp(name, "trusted.overlay.", 16) == 0 ||
	    strncmp(name, "user.overlay.", 13) == 0 ||
	    strcmp(name, "security.selinux") == 0)
		return 0;
	return strncmp(name, "user.", 5) == 0 || strncmp(name, "trusted.", 8) == 0 ||
	    strncmp(name, "security.", 9) == 0;
}

/* The xattrs of an open file as sorted PAX records. */
static int
get_xattrs(int fd, struct pk_buf *out)
{
	char list[4096], val[4096], *names[256], key[300];
	ssize_t n, v;
	size_t cnt = 0, i;
	char *p;

	n = flistxattr(fd, list, sizeof(list));
	if (n < 0)
		return errno == ENOTSUP || errno == ENOSYS ? 0 : -1;
	for (p = list; p < list + n && cnt < LEN(names); p += strlen(p) + 1)
		if (xattr_wanted(p))
			names[cnt++] = p;
	qsort(names, cnt, sizeof(*names), cmpstr);
	for (i = 0; i < cnt; i++) {
		v = fgetxattr(fd, names[i], val, sizeof(val));
		if (v < 0)
			continue;
		snprintf(key, sizeof(key), "SCHILY.xattr.%s", names[i]);
		if (paxrec(out, key, val, (size_t)v) < 0)
			return -1;
	}
	return 0;
}

/* An overlay xattr's value, in either namespace; 0 when absent. */
static int
ovl_xattr(int fd, const char *what, char *val, size_t len)
{
	char name[64];
	ssize_t n;

	snprintf(name, sizeof(name), "trusted.overlay.%s", what);
	n = fgetxattr(fd, name, val, len - 1);
	if (n < 0) {
		snprintf(name, sizeof(name), "user.overlay.%s", what);
		n = fgetxattr(fd, name, val, len - 1);
	}
	val[n < 0 ? 0 : n] = '\0';
	return n >= 0;
}

static long long
clamp(const struct tw *t, long long m)
{
	return t->o->epoch >= 0 && m > t->o->epoch ? t->o->epoch : m;
}

static int
whiteout(struct tw *t, const char *dir, const char *name, long long mtime)
{
	struct pk_buf p = { 0 };
	struct ent e = { .type = '0', .mode = 0, .mtime = mtime };
	int rc;

	if (pk_buf_printf(&p, "%s%s.wh.%s", dir, *dir ? "/" : "", name) < 0)
		return twfail(t, errno, "%s: %s", name, strerror(errno));
	e.name = p.s;
	rc = put_entry(t, &e);
	pk_buf_free(&p);
	return rc;
}

/* Runtime-made mountpoints an overlay upper dir holds but a layer must not. */
static int
runtime_placeholder(int dfd, const char *path, const struct stat *st)
{
	static const char *const files[] = { "etc/hostname", "etc/hosts", "etc/resolv.conf" };
	static const char *const dirs[] = { "proc", "sys", "dev", "run" };
	size_t i;

	for (i = 0; i < LEN(files); i++)
		if (strcmp(path, files[i]) == 0 && S_ISREG(st->st_mode))
			return 1;
	for (i = 0; i < LEN(dirs); i++)
		if (strcmp(path, dirs[i]) == 0 && S_ISDIR(st->st_mode)) {
			int fd = openat(dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *d = fd < 0 ? NULL : fdopendir(fd);
			struct dirent *de;
			int empty = 1;

			if (d == NULL) {
				if (fd >= 0)
					close(fd);
				return 0;
			}
			while ((de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
					empty = 0;
			closedir(d);
			return empty;
		}
	return 0;
}

static int walk(struct tw *t, int dfd, int depth);

static int
copy_data(struct tw *t, int fd, uint64_t size, const char *name)
{
	uint64_t left = size;

	while (left > 0) {
		size_t want = left < sizeof(t->io) ? (size_t)left : sizeof(t->io);
		ssize_t n = read(fd, t->io, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return twfail(t, errno, "%s: %s", name, strerror(errno));
		if (n == 0)
			return twfail(t, EIO, "%s: file shrank while being read", name);
		if (emit(t, t->io, (size_t)n) < 0)
			return -1;
		left -= (uint64_t)n;
	}
	return pad(t, size);
}

static int
one(struct tw *t, int dfd, const char *name, int depth)
{
	struct stat st;
	struct ent e = { 0 };
	struct pk_buf xa = { 0 };
	char *dir = NULL, val[8];
	size_t plen = t->path.len;
	int fd = -1, rc = -1;
	size_t i;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return twfail(t, errno, "%s%s%s: %s", t->path.s ? t->path.s : "",
		    plen ? "/" : "", name, strerror(errno));
	if ((dir = strdup(t->path.s ? t->path.s : "")) == NULL ||
	    (plen > 0 && pk_buf_add(&t->path, "/", 1) < 0) || pk_buf_puts(&t->path, name) < 0) {
		twfail(t, errno, "%s: %s", name, strerror(errno));
		goto out;
	}
	e.name = t->path.s;
	e.mode = st.st_mode;
	e.uid = st.st_uid;
	e.gid = st.st_gid;
	e.mtime = clamp(t, (long long)st.st_mtime);
	if (t->o->overlay) {
		if (runtime_placeholder(dfd, e.name, &st)) {
			rc = 0;
			goto out;
		}
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			rc = whiteout(t, dir, name, e.mtime);
			goto out;
		}
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFREG:
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			twfail(t, errno, "%s: %s", e.name, strerror(errno));
			goto out;
		}
		if (t->o->overlay) {
			/* Kernel 6.7's "xwhiteouts": an empty file marked so. */
			if (st.st_size == 0 && ovl_xattr(fd, "whiteout", val, sizeof(val))) {
				rc = whiteout(t, dir, name, e.mtime);
				goto out;
			}
			/* A metacopy file holds no data: the layer would lie. */
			if (ovl_xattr(fd, "metacopy", val, sizeof(val))) {
				twfail(t, ENOTSUP, "%s: a metacopy file (mount the overlay with metacopy=off)", e.name);
				goto out;
			}
		}
		if (st.st_nlink > 1) {
			for (i = 0; i < t->nhl; i++)
				if (t->hl[i].dev == st.st_dev && t->hl[i].ino == st.st_ino)
					break;
			if (i < t->nhl) {
				e.type = '1';
				e.link = t->hl[i].path;
				rc = put_entry(t, &e);
				goto out;
			}
			if (t->nhl == t->caphl) {
				size_t cap = t->caphl ? t->caphl * 2 : 16;
				struct hl *p = realloc(t->hl, cap * sizeof(*p));

				if (p == NULL) {
					twfail(t, errno, "%s: %s", e.name, strerror(errno));
					goto out;
				}
				t->hl = p;
				t->caphl = cap;
			}
			if ((t->hl[t->nhl].path = strdup(e.name)) == NULL) {
				twfail(t, errno, "%s: %s", e.name, strerror(errno));
				goto out;
			}
			t->hl[t->nhl].dev = st.st_dev;
			t->hl[t->nhl++].ino = st.st_ino;
		}
		if (get_xattrs(fd, &xa) < 0) {
			twfail(t, errno, "%s: xattrs: %s", e.name, strerror(errno));
			goto out;
		}
		e.type = '0';
		e.size = (uint64_t)st.st_size;
		e.xattrs = &xa;
		if (put_entry(t, &e) < 0 || copy_data(t, fd, e.size, e.name) < 0)
			goto out;
		rc = 0;
		break;
	case S_IFDIR:
		if (depth >= MAXDEPTH) {
			twfail(t, ELOOP, "%s: directories nested too deep", e.name);
			goto out;
		}
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			twfail(t, errno, "%s: %s", e.name, strerror(errno));
			goto out;
		}
		if (get_xattrs(fd, &xa) < 0) {
			twfail(t, errno, "%s: xattrs: %s", e.name, strerror(errno));
			goto out;
		}
		e.type = '5';
		e.xattrs = &xa;
		if (pk_buf_add(&t->path, "/", 1) < 0) {
			twfail(t, errno, "%s: %s", name, strerror(errno));
			goto out;
		}
		e.name = t->path.s;
		if (put_entry(t, &e) < 0)
			goto out;
		t->path.s[--t->path.len] = '\0';
		if (t->o->overlay) {
			if (ovl_xattr(fd, "redirect", val, sizeof(val))) {
				twfail(t, ENOTSUP, "%s: a renamed directory (mount the overlay with redirect_dir=off)", e.name);
				goto out;
			}
			ovl_xattr(fd, "opaque", val, sizeof(val));
			if (strcmp(val, "y") == 0 && whiteout(t, e.name, ".wh..opq", e.mtime) < 0)
				goto out;
		}
		rc = walk(t, fd, depth + 1);
		break;
	case S_IFLNK: {
		char target[4096];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

		if (n < 0 || n == (ssize_t)sizeof(target) - 1) {
			twfail(t, n < 0 ? errno : ENAMETOOLONG, "%s: %s", e.name,
			    strerror(n < 0 ? errno : ENAMETOOLONG));
			goto out;
		}
		target[n] = '\0';
		e.type = '2';
		e.link = target;
		rc = put_entry(t, &e);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		e.type = S_ISCHR(st.st_mode) ? '3' : '4';
		e.major = major(st.st_rdev);
		e.minor = minor(st.st_rdev);
		rc = put_entry(t, &e);
		break;
	case S_IFIFO:
		e.type = '6';
		rc = put_entry(t, &e);
		break;
	default:
		/* Sockets have no place in an image. */
		rc = 0;
	}
out:
	if (fd >= 0)
		close(fd);
	pk_buf_free(&xa);
	free(dir);
	t->path.len = plen;
	if (t->path.s != NULL)
		t->path.s[plen] = '\0';
	return rc;
}

static int
walk(struct tw *t, int dfd, int depth)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int fd, rc = -1;

	if ((fd = dup(dfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return twfail(t, errno, "%s: %s", t->path.len ? t->path.s : ".", strerror(errno));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **p;

			cap = cap ? cap * 2 : 32;
			if ((p = realloc(names, cap * sizeof(*p))) == NULL)
				goto nomem;
			names = p;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
	}
	if (errno != 0) {
		twfail(t, errno, "%s: %s", t->path.len ? t->path.s : ".", strerror(errno));
		goto out;
	}
	closedir(d);
	d = NULL;
	if (n > 0)
		qsort(names, n, sizeof(*names), cmpstr);
	for (i = 0; i < n; i++)
		if (one(t, dfd, names[i], depth) < 0)
			goto out;
	rc = 0;
	goto out;
nomem:
	twfail(t, errno, "%s: %s", t->path.len ? t->path.s : ".", strerror(errno));
out:
	if (d != NULL)
		closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void
hexdigest(SHA2_CTX *c, char out[PK_DIGEST_LEN])
{
	char hex[SHA256_DIGEST_STRING_LENGTH];

	SHA256End(c, hex);
	snprintf(out, PK_DIGEST_LEN, "sha256:%s", hex);
}

/* The tree at srcfd as a layer blob written to outfd. */
int
pk_write_layer(int srcfd, int outfd, const struct pk_layer_opts *o,
    struct pk_layer *out, char *err, size_t errlen)
{
	static const char zero[2 * BLK];
	struct tw *t;
	size_t i;
	int rc = -1;

	if (errlen > 0)
		err[0] = '\0';
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->o = o;
	t->outfd = outfd;
	t->err = err;
	t->errlen = errlen;
	SHA256Init(&t->raw);
	/* The gzip header holds no time and OS "unix", so the same tar
	 * always gives the same bytes. */
	if (o->zstd ? (t->zw = zw_new(outfd, o->level)) == NULL :
	    (t->gz = pgz_new(outfd, o->level)) == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: %s", o->zstd ? "zstd" : "gzip", strerror(errno));
		free(t);
		return -1;
	}
	if (walk(t, srcfd, 0) < 0 || emit(t, zero, sizeof(zero)) < 0)
		goto out;
	if (t->zw != NULL ? zw_finish(t->zw, out->digest, &out->size) < 0 :
	    pgz_finish(t->gz, out->digest, &out->size) < 0) {
		int e = t->zw != NULL ? zw_error(t->zw) : pgz_error(t->gz);

		twfail(t, e, "write layer: %s", strerror(e));
		goto out;
	}
	hexdigest(&t->raw, out->diff_id);
	out->media_type = o->zstd ? PK_MT_TAR_ZSTD : PK_MT_TAR_GZIP;
	rc = 0;
out:
	pgz_free(t->gz);
	zw_free(t->zw);
	for (i = 0; i < t->nhl; i++)
		free(t->hl[i].path);
	free(t->hl);
	pk_buf_free(&t->path);
	free(t);
	return rc;
}

/* The sha256 of a layer blob's uncompressed tar (gzip or plain). */
int
pk_diff_id(int blobfd, char diff_id[PK_DIGEST_LEN], char *err, size_t errlen)
{
	unsigned char in[1 << 16], outb[1 << 16];
	z_stream z = { 0 };
	SHA2_CTX c;
	ssize_t n;
	int rc = Z_OK, gz = -1;

	SHA256Init(&c);
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	while ((n = read(blobfd, in, sizeof(in))) > 0) {
		if (gz < 0) {
			gz = n >= 2 && in[0] == 0x1f && in[1] == 0x8b;
			if (!gz && n >= 4 && in[0] == 0x28 && in[1] == 0xb5 &&
			    in[2] == 0x2f && in[3] == 0xfd) {
				inflateEnd(&z);
				if (lseek(blobfd, 0, SEEK_SET) < 0) {
					snprintf(err, errlen, "seek: %s", strerror(errno));
					return -1;
				}
				return zw_diff_id(blobfd, diff_id, err, errlen);
			}
		}
		if (!gz) {
			SHA256Update(&c, in, (size_t)n);
			continue;
		}
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0) {
			/* Concatenated gzip members are one stream (pigz, gzip -c a b). */
			if (rc == Z_STREAM_END)
				inflateReset(&z);
			z.next_out = outb;
			z.avail_out = sizeof(outb);
			rc = inflate(&z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				inflateEnd(&z);
				snprintf(err, errlen, "gzip: %s", z.msg ? z.msg : "corrupt data");
				errno = EINVAL;
				return -1;
			}
			SHA256Update(&c, outb, sizeof(outb) - z.avail_out);
			if (rc == Z_BUF_ERROR)
				break;
		}
	}
	inflateEnd(&z);
	if (n < 0) {
		snprintf(err, errlen, "read: %s", strerror(errno));
		return -1;
	}
	if (gz > 0 && rc != Z_STREAM_END) {
		snprintf(err, errlen, "gzip: truncated");
		errno = EINVAL;
		return -1;
	}
	hexdigest(&c, diff_id);
	return 0;
}
