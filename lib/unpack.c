/* SPDX-License-Identifier: ISC */
/* unpack.c: apply a layer to a root: every path resolved beneath the root,
 * the last component made fresh (unlink, then O_EXCL|O_NOFOLLOW), whiteouts
 * applied (flattened) or converted to overlay form (store mode). */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unpack.h"
#include "util.h"

#define WH ".wh."
#define OPQ ".wh..wh..opq"
#define COPYBUF (256 * 1024)

struct pathset {
	char **slot;
	size_t cap, n;
};

struct dirtime {
	char *path;
	struct timespec ts;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int
set_add(struct pathset *ps, const char *s)
{
	size_t i;

	if (ps->n * 2 >= ps->cap) {
		struct pathset bigger = { NULL, ps->cap ? ps->cap * 2 : 1024, 0 };

		if ((bigger.slot = calloc(bigger.cap, sizeof(char *))) == NULL)
			return -1;
		for (i = 0; i < ps->cap; i++)
			if (ps->slot[i] != NULL) {
				size_t j = hash(ps->slot[i]) & (bigger.cap - 1);

				while (bigger.slot[j] != NULL)
					j = (j + 1) & (bigger.cap - 1);
				bigger.slot[j] = ps->slot[i];
				bigger.n++;
			}
		free(ps->slot);
		*ps = bigger;
	}
	for (i = hash(s) & (ps->cap - 1); ps->slot[i] != NULL; i = (i + 1) & (ps->cap - 1))
		if (strcmp(ps->slot[i], s) == 0)
			return 0;
	if ((ps->slot[i] = strdup(s)) == NULL)
		return -1;
	ps->n++;
	return 0;
}

static int
set_has(const struct pathset *ps, const char *s)
{
	size_t i;

	if (ps->cap == 0)
		return 0;
	for (i = hash(s) & (ps->cap - 1); ps->slot[i] != NULL; i = (i + 1) & (ps->cap - 1))
		if (strcmp(ps->slot[i], s) == 0)
			return 1;
	return 0;
}

/* A path and its ancestors (a layer's implicit parent directories are
 * its own too, for the opaque rule). */
static int
seen_add(struct pathset *ps, const char *path)
{
	char *p, *slash;
	int rc = 0;

	if (set_has(ps, path))
		return 0;
	if ((p = strdup(path)) == NULL)
		return -1;
	for (;;) {
		if ((rc = set_add(ps, p)) < 0)
			break;
		if ((slash = strrchr(p, '/')) == NULL)
			break;
		*slash = '\0';
		if (set_has(ps, p))
			break;
	}
	free(p);
	return rc;
}

static void
set_clear(struct pathset *ps)
{
	size_t i;

	for (i = 0; i < ps->cap; i++)
		free(ps->slot[i]);
	free(ps->slot);
	memset(ps, 0, sizeof(*ps));
}

void
unpack_init(struct unpack *u, int rootfd, int overlay)
{
	int fd;

	memset(u, 0, sizeof(*u));
	u->rootfd = rootfd;
	u->overlay = overlay;
	u->cdirfd = -1;
	u->root = geteuid() == 0;
	u->euid = geteuid();
	u->egid = getegid();
	u->umask = umask(022);
	umask(u->umask);
	/* A default ACL on the root would decide new entries' modes instead
	 * of the umask: then every mode is set explicitly. */
	u->exact = 0;
	if ((fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		u->exact = fgetxattr(fd, "system.posix_acl_default", NULL, 0) < 0 &&
		    (errno == ENODATA || errno == ENOTSUP);
		close(fd);
	}
}

static void
cache_drop(struct unpack *u)
{
	free(u->cdir);
	u->cdir = NULL;
	if (u->cdirfd >= 0)
		close(u->cdirfd);
	u->cdirfd = -1;
}

void
unpack_free(struct unpack *u)
{
	size_t i;

	cache_drop(u);
	if (u->seen != NULL) {
		set_clear(u->seen);
		free(u->seen);
		u->seen = NULL;
	}
	for (i = 0; i < u->nopaque; i++)
		free(u->opaque[i]);
	free(u->opaque);
	u->opaque = NULL;
	u->nopaque = 0;
	for (i = 0; i < u->ndirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	u->dirs = NULL;
	u->ndirs = 0;
}

int
remove_at(int dirfd, const char *name)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int fd, saved;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (remove_at(fd, d->d_name) < 0) {
			saved = errno;
			closedir(dir);
			errno = saved;
			return -1;
		}
	}
	closedir(dir);
	return unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -1 : 0;
}

/*
 * An entry name made relative to the root: leading "/" and "./" dropped,
 * empty and "." components removed. ".." anywhere is refused: no real
 * image needs it in an entry name, and clamping it silently would write
 * somewhere the image author did not say.
 */
static char *
clean(const char *p)
{
	char *out = malloc(strlen(p) + 1), *o = out;

	if (out == NULL)
		return NULL;
	while (*p) {
		const char *e;
		size_t n;

		while (*p == '/')
			p++;
		for (e = p; *e && *e != '/'; e++)
			;
		n = (size_t)(e - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			errno = EXDEV;
			return NULL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
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

/* The directory holding an entry, created (0755) beneath the root when
 * missing. Symlinks on the way resolve as if the root were "/". */
static int
parent_fd(struct unpack *u, const char *dir)
{
	struct stat st;
	int fd;

	if (u->cdir != NULL && strcmp(u->cdir, dir) == 0)
		return u->cdirfd;
	cache_drop(u);
	if (dir[0] == '\0')
		fd = fcntl(u->rootfd, F_DUPFD_CLOEXEC, 0);
	else
		fd = mkdir_beneath(u->rootfd, dir, 0755);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (u->cdir = strdup(dir)) == NULL) {
		close(fd);
		return -1;
	}
	u->cdirfd = fd;
	u->cdir_gid = st.st_gid;
	u->cdir_sgid = (st.st_mode & S_ISGID) != 0;
	return fd;
}

static int
xattr_allowed(struct unpack *u, const char *name)
{
	/* trusted.overlay.* from an image would steer overlayfs (redirects,
	 * opaque directories of its own making): never taken from a layer. */
	if (strncmp(name, "trusted.overlay.", 16) == 0)
		return 0;
	if (strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0)
		return 1;
	return u->root && strncmp(name, "trusted.", 8) == 0;
}

/* Owner, then mode (chown clears setuid), then xattrs, on an open fd;
 * owner and mode only where asked (a new entry may have them already). */
static int
meta_some(struct unpack *u, int fd, const struct tar_entry *e, int own, int mode)
{
	size_t i;

	if (own && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0)
		return -1;
	if (mode && fchmod(fd, e->mode) < 0)
		return -1;
	for (i = 0; i < e->nxattrs; i++) {
		const struct tar_xattr *x = &e->xattrs[i];

		if (!xattr_allowed(u, x->name))
			continue;
		if (fsetxattr(fd, x->name, x->value, x->len, 0) < 0 &&
		    errno != ENOTSUP && errno != EPERM)
			return -1;
	}
	return 0;
}

static int
meta_fd(struct unpack *u, int fd, const struct tar_entry *e)
{
	return meta_some(u, fd, e, u->root, 1);
}

/*
 * What an entry about to be made in the cached parent still needs after
 * it is made: a chown unless its owner will already be right (ours, and
 * the group ours or the setgid parent's), a chmod unless it is created
 * with its final mode (no setuid/setgid/sticky, nothing the umask takes,
 * no default ACL, no setgid bit a directory would inherit). An entry that
 * needs a chown is made owner-only first, as before: its final mode is
 * for its final owner.
 */
static int
needs_chown(const struct unpack *u, const struct tar_entry *e)
{
	return u->root && (e->uid != u->euid ||
	    e->gid != (u->cdir_sgid ? u->cdir_gid : u->egid));
}

static int
needs_chmod(const struct unpack *u, const struct tar_entry *e, int isdir)
{
	return !u->exact || (e->mode & 07000) || (e->mode & u->umask) ||
	    (isdir && u->cdir_sgid) || needs_chown(u, e);
}

static int
has_xattrs(struct unpack *u, const struct tar_entry *e)
{
	size_t i;

	for (i = 0; i < e->nxattrs; i++)
		if (xattr_allowed(u, e->xattrs[i].name))
			return 1;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
copy_data(struct tar *t, int fd)
{
	static char *buf;
	ssize_t n;

	if (t->lend != NULL) {
		const void *p;

		/* Written straight from the reader's buffer. */
		while ((n = tar_lend(t, &p, SIZE_MAX)) > 0)
			if (write_all(fd, p, (size_t)n) < 0)
				return -1;
		return n < 0 ? -1 : 0;
	}
	if (buf == NULL && (buf = malloc(COPYBUF)) == NULL)
		return -1;
	while ((n = tar_read(t, buf, COPYBUF)) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int
copy_xattrs(struct unpack *u, int in, int out)
{
	char names[4096], val[4096], *p;
	ssize_t n, v;

	if ((n = flistxattr(in, names, sizeof(names))) < 0)
		return errno == ENOTSUP ? 0 : -1;
	for (p = names; p < names + n; p += strlen(p) + 1) {
		if (!xattr_allowed(u, p))
			continue;
		if ((v = fgetxattr(in, p, val, sizeof(val))) < 0)
			return -1;
		if (fsetxattr(out, p, val, (size_t)v, 0) < 0 && errno != ENOTSUP)
			return -1;
	}
	return 0;
}

/* A hardlink whose target lives in an earlier layer (store mode): the
 * layers are separate trees, so the file is copied. */
static int
copy_from_lower(struct unpack *u, const char *target, int pfd, const char *base)
{
	char buf[65536];
	struct stat st;
	size_t i;
	int in = -1, out, rc = -1;
	ssize_t n;

	for (i = u->nlower; i-- > 0 && in < 0;)
		in = open_beneath(u->lowerfds[i], target, O_RDONLY | O_NOFOLLOW, 0);
	if (in < 0)
		return -1;
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(in);
		errno = EINVAL;
		return -1;
	}
	out = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	if (n < 0 || (u->root && fchown(out, st.st_uid, st.st_gid) < 0) ||
	    fchmod(out, st.st_mode & 07777) < 0 || copy_xattrs(u, in, out) < 0 ||
	    futimens(out, (struct timespec[2]){ st.st_atim, st.st_mtim }) < 0)
		goto done;
	rc = 0;
done:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

static int
add_dirtime(struct unpack *u, const char *path, const struct tar_entry *e)
{
	struct dirtime *d;

	if (u->ndirs % 256 == 0) {
		d = reallocarray(u->dirs, u->ndirs + 256, sizeof(*d));
		if (d == NULL)
			return -1;
		u->dirs = d;
	}
	d = &u->dirs[u->ndirs];
	if ((d->path = strdup(path)) == NULL)
		return -1;
	d->ts.tv_sec = e->mtime;
	d->ts.tv_nsec = e->mtime_nsec;
	u->ndirs++;
	return 0;
}

/* Flattened mode: an opaque directory hides everything beneath it that
 * this layer did not put there, wherever the marker stood in the layer. */
static int
apply_opaque(struct unpack *u, int dfd, char *path)
{
	struct dirent *d;
	DIR *dir;
	int fd, rc = 0;
	size_t len = strlen(path);

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (rc == 0 && (d = readdir(dir)) != NULL) {
		char *child;

		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (asprintf(&child, "%s%s%s", path, len ? "/" : "", d->d_name) < 0) {
			rc = -1;
			break;
		}
		if (!set_has(u->seen, child))
			rc = remove_at(fd, d->d_name);
		else if (d->d_type == DT_DIR) {
			int sub = openat(fd, d->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			rc = sub < 0 ? -1 : apply_opaque(u, sub, child);
			if (sub >= 0)
				close(sub);
		}
		free(child);
	}
	closedir(dir);
	return rc;
}

static int
whiteout(struct unpack *u, const char *dir, const char *name, int opaque)
{
	int pfd, fd;

	if (u->overlay) {
		if ((pfd = parent_fd(u, dir)) < 0)
			return -1;
		if (opaque) {
			fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				return -1;
			if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0) {
				close(fd);
				return -1;
			}
			close(fd);
			return 0;
		}
		if (remove_at(pfd, name) < 0)
			return -1;
		cache_drop(u);
		if ((pfd = parent_fd(u, dir)) < 0)
			return -1;
		return mknodat(pfd, name, S_IFCHR | 0, makedev(0, 0));
	}
	if (opaque) {
		char **o = reallocarray(u->opaque, u->nopaque + 1, sizeof(*o));

		if (o == NULL)
			return -1;
		u->opaque = o;
		if ((o[u->nopaque] = strdup(dir)) == NULL)
			return -1;
		u->nopaque++;
		return 0;
	}
	/* Nothing to remove if the directory is not there. */
	pfd = dir[0] ? open_beneath(u->rootfd, dir, O_PATH | O_DIRECTORY, 0) :
	    fcntl(u->rootfd, F_DUPFD_CLOEXEC, 0);
	if (pfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	cache_drop(u);
	fd = remove_at(pfd, name);
	close(pfd);
	return fd;
}

/*
 * base in the parent is taken: keep it when it is a directory and a
 * directory is wanted (1), else remove it, recursively (0). A directory or
 * symlink gone may be on the cached parent's path: resolve it again.
 */
static int
make_room(struct unpack *u, int *pfd, const char *dir, const char *base, int wantdir)
{
	struct stat st;

	if (fstatat(*pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (wantdir && S_ISDIR(st.st_mode))
		return 1;
	if (remove_at(*pfd, base) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		cache_drop(u);
		if ((*pfd = parent_fd(u, dir)) < 0)
			return -1;
	}
	return 0;
}

static int
entry(struct unpack *u, struct tar *t, struct tar_entry *e, const char **why)
{
	char *path, *slash, *dir, *base;
	struct timespec ts[2];
	struct stat st;
	int pfd, fd, rc = -1, exists, tries, own, chm;

	if ((path = clean(e->path)) == NULL) {
		*why = errno == EXDEV ? "path escapes the root" : "out of memory";
		return -1;
	}
	ts[0].tv_sec = ts[1].tv_sec = e->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec;
	if (path[0] == '\0') {
		/* The root itself: its metadata only, never replaced. */
		free(path);
		if (e->type != '5')
			return 0;
		fd = openat(u->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		rc = meta_fd(u, fd, e);
		close(fd);
		/* The root's group and setgid bit may have changed. */
		cache_drop(u);
		return rc < 0 ? -1 : add_dirtime(u, "", e);
	}
	slash = strrchr(path, '/');
	if (slash != NULL) {
		*slash = '\0';
		dir = path;
		base = slash + 1;
	} else {
		dir = (char *)"";
		base = path;
	}
	if (strncmp(base, WH, 4) == 0) {
		const char *name = base + 4;

		if (strcmp(base, OPQ) == 0)
			rc = whiteout(u, dir, NULL, 1);
		else if (strncmp(name, WH, 4) == 0)
			rc = 0;	/* other aufs metadata (.wh..wh.plnk) */
		else if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			*why = "whiteout of '.' or '..' refused";
			rc = -1;
		} else
			rc = whiteout(u, dir, name, 0);
		if (rc < 0 && *why == NULL && u->overlay && errno == EPERM)
			*why = "overlay whiteouts need root (CAP_MKNOD, trusted.* xattrs)";
		free(path);
		return rc;
	}
	if ((pfd = parent_fd(u, dir)) < 0) {
		*why = errno == ENOTDIR ? "a parent is not a directory" : NULL;
		goto out;
	}
	if (u->seen != NULL) {
		if (slash != NULL)
			*slash = '/';
		if (seen_add(u->seen, path) < 0)
			goto out;
		if (slash != NULL)
			*slash = '\0';
	}
	/*
	 * Files, directories and symlinks are made straight away (O_EXCL
	 * and its kin), and only a name that is taken is looked at and
	 * removed: an image mostly makes new names. The rest look first.
	 */
	exists = 0;
	if (e->type != '0' && e->type != '5' && e->type != '2' &&
	    make_room(u, &pfd, dir, base, 0) < 0)
		goto out;
	switch (e->type) {
	case '0':
		for (tries = 0;; tries++) {
			own = needs_chown(u, e);
			chm = needs_chmod(u, e, 0);
			fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, own ? 0600 : e->mode & 0777);
			if (fd >= 0 || errno != EEXIST || tries > 0)
				break;
			if (make_room(u, &pfd, dir, base, 0) < 0)
				goto out;
		}
		if (fd < 0)
			goto out;
		if (copy_data(t, fd) < 0 || meta_some(u, fd, e, own, chm) < 0 ||
		    futimens(fd, ts) < 0) {
			if (errno == EIO)
				*why = "truncated layer";
			close(fd);
			goto out;
		}
		if (close(fd) < 0)
			goto out;
		break;
	case '5':
		for (tries = 0;; tries++) {
			own = needs_chown(u, e);
			chm = needs_chmod(u, e, 1);
			if (mkdirat(pfd, base, own ? 0700 : e->mode & 0777) == 0)
				break;
			if (errno != EEXIST || tries > 0)
				goto out;
			if ((exists = make_room(u, &pfd, dir, base, 1)) < 0)
				goto out;
			if (exists)
				break;
		}
		if (exists)
			own = u->root, chm = 1;
		if (own || chm || has_xattrs(u, e)) {
			fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				goto out;
			if (meta_some(u, fd, e, own, chm) < 0) {
				close(fd);
				goto out;
			}
			close(fd);
		}
		if (slash != NULL)
			*slash = '/';
		if (add_dirtime(u, path, e) < 0)
			goto out;
		break;
	case '2':
		for (tries = 0;; tries++) {
			if (symlinkat(e->link, pfd, base) == 0)
				break;
			if (errno != EEXIST || tries > 0)
				goto out;
			if (make_room(u, &pfd, dir, base, 0) < 0)
				goto out;
		}
		if (needs_chown(u, e) && fchownat(pfd, base, (uid_t)e->uid,
		    (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
			goto out;
		if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			goto out;
		break;
	case '1': {
		char *target = clean(e->link);
		int tfd;

		if (target == NULL || target[0] == '\0') {
			free(target);
			*why = "hardlink target escapes the root";
			goto out;
		}
		/* The target is resolved beneath the root; its last
		 * component is not followed (a link to a symlink links the
		 * symlink), and the link is made from the fd, so no name is
		 * ever looked up outside. */
		tfd = open_beneath(u->rootfd, target, O_PATH | O_NOFOLLOW, 0);
		if (tfd < 0 && errno == ENOENT && u->nlower > 0) {
			rc = copy_from_lower(u, target, pfd, base);
			free(target);
			if (rc < 0) {
				*why = "hardlink target not found";
				goto out;
			}
			break;
		}
		free(target);
		if (tfd < 0) {
			*why = errno == ENOENT ? "hardlink target not found" : NULL;
			goto out;
		}
		if (fstat(tfd, &st) < 0 || S_ISDIR(st.st_mode)) {
			close(tfd);
			*why = "hardlink to a directory";
			goto out;
		}
		if (linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0) {
			char proc[64];

			fdpath(tfd, proc, sizeof(proc));
			if (linkat(AT_FDCWD, proc, pfd, base, AT_SYMLINK_FOLLOW) < 0) {
				close(tfd);
				goto out;
			}
		}
		close(tfd);
		break;
	}
	case '3':
	case '4':
	case '6': {
		mode_t m = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;

		if (mknodat(pfd, base, m | 0600, makedev(e->devmajor, e->devminor)) < 0) {
			if (errno == EPERM) {
				if (!u->warned_dev++ && u->warn != NULL)
					u->warn("%s: device not permitted here, skipped", e->path);
				rc = 0;
			}
			goto out;
		}
		if ((u->root && fchownat(pfd, base, (uid_t)e->uid, (gid_t)e->gid,
		    AT_SYMLINK_NOFOLLOW) < 0) ||
		    fchmodat(pfd, base, e->mode, 0) < 0 ||
		    utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
			goto out;
		break;
	}
	}
	rc = 0;
out:
	free(path);
	return rc;
}

static void
finish_dirs(struct unpack *u)
{
	size_t i;

	/* Directory mtimes last: creating their entries moved them. */
	for (i = u->ndirs; i-- > 0;) {
		struct timespec ts[2] = { u->dirs[i].ts, u->dirs[i].ts };
		int fd = u->dirs[i].path[0] ?
		    open_beneath(u->rootfd, u->dirs[i].path, O_PATH | O_NOFOLLOW, 0) :
		    fcntl(u->rootfd, F_DUPFD_CLOEXEC, 0);

		if (fd >= 0) {
			utimensat(fd, "", ts, AT_EMPTY_PATH);
			close(fd);
		}
		free(u->dirs[i].path);
	}
	u->ndirs = 0;
}

int
unpack_layer(struct unpack *u, struct tar *t, char *err, size_t errlen)
{
	struct tar_entry *e;
	char why[200];
	size_t i;
	int rc;

	if (!u->overlay) {
		if ((u->seen = calloc(1, sizeof(*u->seen))) == NULL)
			return -1;
	}
	while ((rc = tar_next(t, &e, why, sizeof(why))) == 1) {
		const char *reason = NULL;

		if (entry(u, t, e, &reason) < 0) {
			snprintf(err, errlen, "%s: %s", e->path,
			    reason != NULL ? reason : strerror(errno));
			return -1;
		}
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	cache_drop(u);
	for (i = 0; i < u->nopaque; i++) {
		int fd = u->opaque[i][0] ?
		    open_beneath(u->rootfd, u->opaque[i], O_PATH | O_DIRECTORY, 0) :
		    fcntl(u->rootfd, F_DUPFD_CLOEXEC, 0);

		if (fd < 0)
			continue;
		rc = apply_opaque(u, fd, u->opaque[i]);
		close(fd);
		if (rc < 0) {
			snprintf(err, errlen, "%s/.wh..wh..opq: %s", u->opaque[i],
			    strerror(errno));
			return -1;
		}
	}
	finish_dirs(u);
	unpack_free(u);
	return 0;
}
