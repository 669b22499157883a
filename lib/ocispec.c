/* SPDX-License-Identifier: ISC */
/* ocispec.c: decode an OCI runtime config.json (runtime-spec 1.x) into a
 * struct oci_config. Unknown members are ignored; a member of the wrong
 * type or with a value we cannot honour is refused with its JSON path. */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonr.h"
#include "ocispec.h"
#include "util.h"

#define OCI_MAXFILE (4 << 20)

/* Every allocation of a config hangs off one chain, freed at once. */
struct oci_blk {
	struct oci_blk *next;
	max_align_t data[];
};

struct oci_full {
	struct oci_config c;
	struct oci_blk *blocks;
};

struct ctx {
	struct oci_full *f;
	char *err;
	size_t errlen;
	const char *file;
};

static void *
amalloc(struct ctx *x, size_t n)
{
	struct oci_blk *b = calloc(1, sizeof(*b) + n);

	if (b == NULL)
		return NULL;
	b->next = x->f->blocks;
	x->f->blocks = b;
	return b->data;
}

static int
bad(struct ctx *x, const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s: %s: %s", x->file, path, why);
	errno = EINVAL;
	return -1;
}

static int
nomem(struct ctx *x)
{
	snprintf(x->err, x->errlen, "%s: out of memory", x->file);
	errno = ENOMEM;
	return -1;
}

/* Type checks: a missing member (v == NULL) passes unless required. */
static int
want(struct ctx *x, const struct jr_val *v, enum jr_type t, const char *path)
{
	if (v == NULL || v->type == t)
		return 0;
	return bad(x, path, "expected %s, found %s", jr_typename(t), jr_typename(v->type));
}

static int
sdup(struct ctx *x, const struct jr_val *v, const char *path, char **out)
{
	*out = NULL;
	if (v == NULL || v->type == JR_NULL)
		return 0;
	if (want(x, v, JR_STR, path) < 0)
		return -1;
	if ((*out = amalloc(x, strlen(v->str) + 1)) == NULL)
		return nomem(x);
	strcpy(*out, v->str);
	return 0;
}

static int
num(struct ctx *x, const struct jr_val *v, const char *path, long long min,
    long long max, long long *out)
{
	if (want(x, v, JR_NUM, path) < 0)
		return -1;
	if (strpbrk(v->str, ".eE") != NULL || parse_num(v->str, min, max, out) < 0)
		return bad(x, path, "%s: expected an integer from %lld to %lld", v->str, min, max);
	return 0;
}

static int
u64(struct ctx *x, const struct jr_val *v, const char *path, uint64_t *out)
{
	char *end;

	if (want(x, v, JR_NUM, path) < 0)
		return -1;
	errno = 0;
	*out = strtoull(v->str, &end, 10);
	if (v->str[0] == '-' || *end != '\0' || errno != 0)
		return bad(x, path, "%s: expected an unsigned 64-bit integer", v->str);
	return 0;
}

static int
boolean(struct ctx *x, const struct jr_val *v, const char *path, int *out)
{
	if (v == NULL)
		return 0;
	if (want(x, v, JR_BOOL, path) < 0)
		return -1;
	*out = v->b;
	return 0;
}

/* An array of strings, NULL-terminated; an absent one gives an empty list. */
static int
strv(struct ctx *x, const struct jr_val *v, const char *path, char ***out, size_t *np)
{
	char p[600];
	size_t i;

	if (want(x, v, JR_ARR, path) < 0)
		return -1;
	if ((*out = amalloc(x, ((v ? v->n : 0) + 1) * sizeof(char *))) == NULL)
		return nomem(x);
	for (i = 0; v && i < v->n; i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (v->kids[i].type != JR_STR)
			return want(x, &v->kids[i], JR_STR, p);
		if (sdup(x, &v->kids[i], p, &(*out)[i]) < 0)
			return -1;
	}
	if (np)
		*np = v ? v->n : 0;
	return 0;
}

/* ---- process ----------------------------------------------------- */

static const struct {
	const char *name;
	int res;
} rlimits[] = {
	{ "AS", RLIMIT_AS }, { "CORE", RLIMIT_CORE }, { "CPU", RLIMIT_CPU },
	{ "DATA", RLIMIT_DATA }, { "FSIZE", RLIMIT_FSIZE },
	{ "LOCKS", RLIMIT_LOCKS }, { "MEMLOCK", RLIMIT_MEMLOCK },
	{ "MSGQUEUE", RLIMIT_MSGQUEUE }, { "NICE", RLIMIT_NICE },
	{ "NOFILE", RLIMIT_NOFILE }, { "NPROC", RLIMIT_NPROC },
	{ "RSS", RLIMIT_RSS }, { "RTPRIO", RLIMIT_RTPRIO },
	{ "RTTIME", RLIMIT_RTTIME }, { "SIGPENDING", RLIMIT_SIGPENDING },
	{ "STACK", RLIMIT_STACK },
};

static int
capset_of(struct ctx *x, const struct jr_val *v, const char *path, uint64_t *out)
{
	char p[600];
	size_t i;
	int c;

	*out = 0;
	if (want(x, v, JR_ARR, path) < 0)
		return -1;
	for (i = 0; v && i < v->n; i++) {
		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (want(x, &v->kids[i], JR_STR, p) < 0)
			return -1;
		if (strncmp(v->kids[i].str, "CAP_", 4) != 0 ||
		    (c = cap_from_name(v->kids[i].str)) < 0)
			return bad(x, p, "unknown capability '%s'", v->kids[i].str);
		/* A capability the kernel does not have is left out, as runc does. */
		if (c <= cap_last())
			*out |= 1ULL << c;
	}
	return 0;
}

static int
process(struct ctx *x, const struct jr_val *v, const char *path, struct oci_process *p)
{
	const struct jr_val *u, *caps, *cs, *rl, *e;
	char q[512];
	long long n;
	size_t i, j;

	if (v == NULL)
		return bad(x, path, "missing");
	if (want(x, v, JR_OBJ, path) < 0)
		return -1;
	snprintf(q, sizeof(q), "%s.terminal", path);
	if (boolean(x, jr_get(v, "terminal"), q, &p->terminal) < 0)
		return -1;
	if ((cs = jr_get(v, "consoleSize")) != NULL) {
		snprintf(q, sizeof(q), "%s.consoleSize", path);
		if (want(x, cs, JR_OBJ, q) < 0)
			return -1;
		snprintf(q, sizeof(q), "%s.consoleSize.height", path);
		if (jr_get(cs, "height") && num(x, jr_get(cs, "height"), q, 0, 65535, &n) < 0)
			return -1;
		p->rows = jr_get(cs, "height") ? (unsigned short)n : 0;
		snprintf(q, sizeof(q), "%s.consoleSize.width", path);
		if (jr_get(cs, "width") && num(x, jr_get(cs, "width"), q, 0, 65535, &n) < 0)
			return -1;
		p->cols = jr_get(cs, "width") ? (unsigned short)n : 0;
	}
	snprintf(q, sizeof(q), "%s.user", path);
	if ((u = jr_get(v, "user")) == NULL)
		return bad(x, q, "missing");
	if (want(x, u, JR_OBJ, q) < 0)
		return -1;
	snprintf(q, sizeof(q), "%s.user.uid", path);
	if (jr_get(u, "uid") == NULL)
		return bad(x, q, "missing");
	if (num(x, jr_get(u, "uid"), q, 0, UINT32_MAX - 1, &n) < 0)
		return -1;
	p->uid = (uid_t)n;
	snprintf(q, sizeof(q), "%s.user.gid", path);
	if (jr_get(u, "gid") == NULL)
		return bad(x, q, "missing");
	if (num(x, jr_get(u, "gid"), q, 0, UINT32_MAX - 1, &n) < 0)
		return -1;
	p->gid = (gid_t)n;
	if ((e = jr_get(u, "umask")) != NULL) {
		snprintf(q, sizeof(q), "%s.user.umask", path);
		if (num(x, e, q, 0, 0777, &n) < 0)
			return -1;
		p->has_umask = 1;
		p->umask = (mode_t)n;
	}
	if ((e = jr_get(u, "additionalGids")) != NULL) {
		snprintf(q, sizeof(q), "%s.user.additionalGids", path);
		if (want(x, e, JR_ARR, q) < 0)
			return -1;
		if ((p->gids = amalloc(x, (e->n + 1) * sizeof(gid_t))) == NULL)
			return nomem(x);
		for (i = 0; i < e->n; i++) {
			snprintf(q, sizeof(q), "%s.user.additionalGids[%zu]", path, i);
			if (num(x, &e->kids[i], q, 0, UINT32_MAX - 1, &n) < 0)
				return -1;
			p->gids[i] = (gid_t)n;
		}
		p->ngids = e->n;
	}
	snprintf(q, sizeof(q), "%s.args", path);
	if (jr_get(v, "args") == NULL)
		return bad(x, q, "missing");
	if (strv(x, jr_get(v, "args"), q, &p->args, &i) < 0)
		return -1;
	if (i == 0)
		return bad(x, q, "empty: no program to run");
	snprintf(q, sizeof(q), "%s.env", path);
	if (strv(x, jr_get(v, "env"), q, &p->env, &j) < 0)
		return -1;
	for (i = 0; i < j; i++)
		if (strchr(p->env[i], '=') == NULL || p->env[i][0] == '=')
			return bad(x, q, "'%s': expected KEY=VALUE", p->env[i]);
	snprintf(q, sizeof(q), "%s.cwd", path);
	if (jr_get(v, "cwd") == NULL)
		return bad(x, q, "missing");
	if (sdup(x, jr_get(v, "cwd"), q, &p->cwd) < 0)
		return -1;
	if (p->cwd == NULL || p->cwd[0] != '/')
		return bad(x, q, "must be an absolute path");
	if ((caps = jr_get(v, "capabilities")) != NULL) {
		snprintf(q, sizeof(q), "%s.capabilities", path);
		if (want(x, caps, JR_OBJ, q) < 0)
			return -1;
		p->has_caps = 1;
#define CAPSET(name, field) \
		snprintf(q, sizeof(q), "%s.capabilities." name, path); \
		if (capset_of(x, jr_get(caps, name), q, &p->field) < 0) \
			return -1;
		CAPSET("bounding", bounding)
		CAPSET("effective", effective)
		CAPSET("inheritable", inheritable)
		CAPSET("permitted", permitted)
		CAPSET("ambient", ambient)
#undef CAPSET
	}
	if ((rl = jr_get(v, "rlimits")) != NULL) {
		snprintf(q, sizeof(q), "%s.rlimits", path);
		if (want(x, rl, JR_ARR, q) < 0)
			return -1;
		if ((p->rlimits = amalloc(x, (rl->n + 1) * sizeof(*p->rlimits))) == NULL)
			return nomem(x);
		for (i = 0; i < rl->n; i++) {
			const struct jr_val *r = &rl->kids[i], *t;
			struct oci_rlimit *o = &p->rlimits[i];

			snprintf(q, sizeof(q), "%s.rlimits[%zu]", path, i);
			if (want(x, r, JR_OBJ, q) < 0)
				return -1;
			t = jr_get(r, "type");
			snprintf(q, sizeof(q), "%s.rlimits[%zu].type", path, i);
			if (t == NULL)
				return bad(x, q, "missing");
			if (want(x, t, JR_STR, q) < 0)
				return -1;
			for (j = 0; j < LEN(rlimits); j++)
				if (strncmp(t->str, "RLIMIT_", 7) == 0 &&
				    strcmp(t->str + 7, rlimits[j].name) == 0)
					break;
			if (j == LEN(rlimits))
				return bad(x, q, "unknown resource '%s'", t->str);
			o->res = rlimits[j].res;
			snprintf(q, sizeof(q), "%s.rlimits[%zu].soft", path, i);
			if (jr_get(r, "soft") == NULL)
				return bad(x, q, "missing");
			if (u64(x, jr_get(r, "soft"), q, &o->soft) < 0)
				return -1;
			snprintf(q, sizeof(q), "%s.rlimits[%zu].hard", path, i);
			if (jr_get(r, "hard") == NULL)
				return bad(x, q, "missing");
			if (u64(x, jr_get(r, "hard"), q, &o->hard) < 0)
				return -1;
			if (o->soft > o->hard)
				return bad(x, q, "below the soft limit");
		}
		p->nrlimits = rl->n;
	}
	snprintf(q, sizeof(q), "%s.noNewPrivileges", path);
	if (boolean(x, jr_get(v, "noNewPrivileges"), q, &p->nnp) < 0)
		return -1;
	if ((e = jr_get(v, "oomScoreAdj")) != NULL) {
		snprintf(q, sizeof(q), "%s.oomScoreAdj", path);
		if (num(x, e, q, -1000, 1000, &n) < 0)
			return -1;
		p->has_oom = 1;
		p->oom = (int)n;
	}
	return 0;
}

/* ---- mounts ------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
	{ "ro", MS_RDONLY, 0 }, { "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 }, { "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 }, { "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 }, { "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 }, { "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 }, { "mand", MS_MANDLOCK, 0 },
	{ "nomand", 0, MS_MANDLOCK }, { "atime", 0, MS_NOATIME },
	{ "noatime", MS_NOATIME, 0 }, { "diratime", 0, MS_NODIRATIME },
	{ "nodiratime", MS_NODIRATIME, 0 }, { "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME }, { "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME }, { "defaults", 0, 0 },
};

static const struct {
	const char *name;
	unsigned long flag;
} propagations[] = {
	{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED }, { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE }, { "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Options podman and others pass that concern them, not the kernel. */
static const char *const ignored_opts[] = {
	"tmpcopyup", "notmpcopyup", "copy-symlink", "z", "Z", "U", "idmap",
	"ridmap", "nosymfollow", "symfollow", "rro", "rrw",
};

static int
mount_opts(struct ctx *x, const struct jr_val *v, const char *path, struct oci_mount *m)
{
	char q[600], *d;
	size_t i, j, len = 1;

	if (want(x, v, JR_ARR, path) < 0)
		return -1;
	for (i = 0; v && i < v->n; i++) {
		snprintf(q, sizeof(q), "%s[%zu]", path, i);
		if (want(x, &v->kids[i], JR_STR, q) < 0)
			return -1;
		len += strlen(v->kids[i].str) + 1;
	}
	if ((d = m->data = amalloc(x, len)) == NULL)
		return nomem(x);
	for (i = 0; v && i < v->n; i++) {
		const char *o = v->kids[i].str;

		if (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0) {
			m->bind = 1;
			m->rec |= o[0] == 'r';
			continue;
		}
		for (j = 0; j < LEN(mount_flags); j++)
			if (strcmp(o, mount_flags[j].name) == 0)
				break;
		if (j < LEN(mount_flags)) {
			m->flags = (m->flags & ~mount_flags[j].clear) | mount_flags[j].set;
			continue;
		}
		for (j = 0; j < LEN(propagations); j++)
			if (strcmp(o, propagations[j].name) == 0)
				break;
		if (j < LEN(propagations)) {
			m->propagation = propagations[j].flag;
			continue;
		}
		for (j = 0; j < LEN(ignored_opts); j++)
			if (strcmp(o, ignored_opts[j]) == 0)
				break;
		if (j < LEN(ignored_opts))
			continue;
		if (strchr(o, ',') != NULL) {
			snprintf(q, sizeof(q), "%s[%zu]", path, i);
			return bad(x, q, "'%s': one option per string", o);
		}
		if (d != m->data)
			*d++ = ',';
		d = stpcpy(d, o);
	}
	*d = '\0';
	return 0;
}

static int
mounts(struct ctx *x, const struct jr_val *v)
{
	struct oci_config *c = &x->f->c;
	char q[512];
	size_t i;

	if (want(x, v, JR_ARR, "mounts") < 0)
		return -1;
	if (v == NULL)
		return 0;
	if ((c->mounts = amalloc(x, (v->n + 1) * sizeof(*c->mounts))) == NULL)
		return nomem(x);
	for (i = 0; i < v->n; i++) {
		const struct jr_val *m = &v->kids[i];
		struct oci_mount *o = &c->mounts[i];

		snprintf(q, sizeof(q), "mounts[%zu]", i);
		if (want(x, m, JR_OBJ, q) < 0)
			return -1;
		snprintf(q, sizeof(q), "mounts[%zu].destination", i);
		if (jr_get(m, "destination") == NULL)
			return bad(x, q, "missing");
		if (sdup(x, jr_get(m, "destination"), q, &o->dest) < 0)
			return -1;
		if (o->dest == NULL || o->dest[0] != '/')
			return bad(x, q, "must be an absolute path");
		if (strstr(o->dest, "/../") != NULL || strcmp(o->dest + strlen(o->dest) -
		    (strlen(o->dest) >= 3 ? 3 : 0), "/..") == 0)
			return bad(x, q, "'%s': no .. components", o->dest);
		snprintf(q, sizeof(q), "mounts[%zu].type", i);
		if (sdup(x, jr_get(m, "type"), q, &o->type) < 0)
			return -1;
		snprintf(q, sizeof(q), "mounts[%zu].source", i);
		if (sdup(x, jr_get(m, "source"), q, &o->source) < 0)
			return -1;
		snprintf(q, sizeof(q), "mounts[%zu].options", i);
		if (mount_opts(x, jr_get(m, "options"), q, o) < 0)
			return -1;
		if (o->type != NULL && strcmp(o->type, "bind") == 0)
			o->bind = 1;
		if (o->type == NULL && !o->bind)
			return bad(x, q, "no type and no bind option");
		if (o->bind && o->source == NULL) {
			snprintf(q, sizeof(q), "mounts[%zu].source", i);
			return bad(x, q, "a bind mount needs a source");
		}
		if (o->bind && o->source[0] != '/') {
			/* Relative to the bundle, resolved by the caller. */
		}
	}
	c->nmounts = v->n;
	return 0;
}

/* ---- linux --------------------------------------------------------- */

static const struct {
	const char *name;
	int flag;
} nstypes[] = {
	{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET },
	{ "mount", CLONE_NEWNS }, { "ipc", CLONE_NEWIPC },
	{ "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
	{ "cgroup", CLONE_NEWCGROUP },
};

static int
namespaces(struct ctx *x, const struct jr_val *v)
{
	struct oci_config *c = &x->f->c;
	char q[512];
	size_t i, j, k;

	if (want(x, v, JR_ARR, "linux.namespaces") < 0 || v == NULL)
		return v == NULL ? 0 : -1;
	if ((c->ns = amalloc(x, (v->n + 1) * sizeof(*c->ns))) == NULL)
		return nomem(x);
	for (i = 0; i < v->n; i++) {
		const struct jr_val *n = &v->kids[i], *t;

		snprintf(q, sizeof(q), "linux.namespaces[%zu]", i);
		if (want(x, n, JR_OBJ, q) < 0)
			return -1;
		snprintf(q, sizeof(q), "linux.namespaces[%zu].type", i);
		if ((t = jr_get(n, "type")) == NULL)
			return bad(x, q, "missing");
		if (want(x, t, JR_STR, q) < 0)
			return -1;
		for (j = 0; j < LEN(nstypes); j++)
			if (strcmp(t->str, nstypes[j].name) == 0)
				break;
		if (j == LEN(nstypes))
			return bad(x, q, "unknown namespace type '%s'", t->str);
		for (k = 0; k < i; k++)
			if (c->ns[k].flag == nstypes[j].flag)
				return bad(x, q, "namespace '%s' listed twice", t->str);
		c->ns[i].flag = nstypes[j].flag;
		c->ns[i].type = nstypes[j].name;
		snprintf(q, sizeof(q), "linux.namespaces[%zu].path", i);
		if (sdup(x, jr_get(n, "path"), q, &c->ns[i].path) < 0)
			return -1;
		if (c->ns[i].path && c->ns[i].path[0] == '\0')
			c->ns[i].path = NULL;
		if (c->ns[i].path && c->ns[i].path[0] != '/')
			return bad(x, q, "must be an absolute path");
	}
	c->nns = v->n;
	return 0;
}

static int
idmaps(struct ctx *x, const struct jr_val *v, const char *path,
    struct oci_idmap **out, size_t *np)
{
	static const char *const f[] = { "containerID", "hostID", "size" };
	char q[512];
	long long n;
	size_t i, j;

	if (want(x, v, JR_ARR, path) < 0 || v == NULL)
		return v == NULL ? 0 : -1;
	if ((*out = amalloc(x, (v->n + 1) * sizeof(**out))) == NULL)
		return nomem(x);
	for (i = 0; i < v->n; i++) {
		unsigned long *dst[3] = { &(*out)[i].container, &(*out)[i].host, &(*out)[i].size };

		snprintf(q, sizeof(q), "%s[%zu]", path, i);
		if (want(x, &v->kids[i], JR_OBJ, q) < 0)
			return -1;
		for (j = 0; j < 3; j++) {
			snprintf(q, sizeof(q), "%s[%zu].%s", path, i, f[j]);
			if (jr_get(&v->kids[i], f[j]) == NULL)
				return bad(x, q, "missing");
			if (num(x, jr_get(&v->kids[i], f[j]), q, 0, UINT32_MAX, &n) < 0)
				return -1;
			*dst[j] = (unsigned long)n;
		}
	}
	*np = v->n;
	return 0;
}

static int
action(struct ctx *x, const struct jr_val *v, const char *path, uint32_t errnoret,
    uint32_t *out)
{
	static const struct {
		const char *name;
		uint32_t act;
	} acts[] = {
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	};
	size_t i;

	if (v == NULL)
		return bad(x, path, "missing");
	if (want(x, v, JR_STR, path) < 0)
		return -1;
	if (strcmp(v->str, "SCMP_ACT_ERRNO") == 0) {
		*out = SCMP_ACT_ERRNO(errnoret);
		return 0;
	}
	if (strcmp(v->str, "SCMP_ACT_TRACE") == 0) {
		*out = SCMP_ACT_TRACE(errnoret);
		return 0;
	}
	for (i = 0; i < LEN(acts); i++)
		if (strcmp(v->str, acts[i].name) == 0) {
			*out = acts[i].act;
			return 0;
		}
	return bad(x, path, "unknown or unsupported seccomp action '%s'", v->str);
}

static int
errno_ret(struct ctx *x, const struct jr_val *v, const char *path, uint32_t *out)
{
	long long n;

	*out = EPERM;
	if (v == NULL)
		return 0;
	if (num(x, v, path, 0, 4095, &n) < 0)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

static int
seccomp(struct ctx *x, const struct jr_val *v)
{
	static const struct {
		const char *name;
		int op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	struct oci_seccomp *s;
	const struct jr_val *a, *sc;
	uint32_t er;
	char q[512], name[64];
	long long n;
	size_t i, j, k;

	if (v == NULL || v->type == JR_NULL)
		return 0;
	if (want(x, v, JR_OBJ, "linux.seccomp") < 0)
		return -1;
	if ((s = x->f->c.seccomp = amalloc(x, sizeof(*s))) == NULL)
		return nomem(x);
	if (errno_ret(x, jr_get(v, "defaultErrnoRet"), "linux.seccomp.defaultErrnoRet", &er) < 0 ||
	    action(x, jr_get(v, "defaultAction"), "linux.seccomp.defaultAction", er, &s->defact) < 0)
		return -1;
	if ((a = jr_get(v, "architectures")) != NULL) {
		if (want(x, a, JR_ARR, "linux.seccomp.architectures") < 0)
			return -1;
		if ((s->arches = amalloc(x, (a->n + 1) * sizeof(*s->arches))) == NULL)
			return nomem(x);
		for (i = 0; i < a->n; i++) {
			snprintf(q, sizeof(q), "linux.seccomp.architectures[%zu]", i);
			if (want(x, &a->kids[i], JR_STR, q) < 0)
				return -1;
			if (strncmp(a->kids[i].str, "SCMP_ARCH_", 10) != 0 ||
			    strlen(a->kids[i].str) >= sizeof(name) + 10)
				return bad(x, q, "unknown architecture '%s'", a->kids[i].str);
			for (j = 0; a->kids[i].str[10 + j]; j++)
				name[j] = (char)tolower((unsigned char)a->kids[i].str[10 + j]);
			name[j] = '\0';
			if ((s->arches[i] = seccomp_arch_resolve_name(name)) == 0)
				return bad(x, q, "unknown architecture '%s'", a->kids[i].str);
		}
		s->narches = a->n;
	}
	if ((sc = jr_get(v, "syscalls")) == NULL)
		return 0;
	if (want(x, sc, JR_ARR, "linux.seccomp.syscalls") < 0)
		return -1;
	if ((s->sys = amalloc(x, (sc->n + 1) * sizeof(*s->sys))) == NULL)
		return nomem(x);
	for (i = 0; i < sc->n; i++) {
		const struct jr_val *r = &sc->kids[i];
		struct oci_syscall *o = &s->sys[i];

		snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu]", i);
		if (want(x, r, JR_OBJ, q) < 0)
			return -1;
		snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].names", i);
		if (jr_get(r, "names") == NULL)
			return bad(x, q, "missing");
		if (strv(x, jr_get(r, "names"), q, &o->names, &o->nnames) < 0)
			return -1;
		snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].errnoRet", i);
		if (errno_ret(x, jr_get(r, "errnoRet"), q, &er) < 0)
			return -1;
		snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].action", i);
		if (action(x, jr_get(r, "action"), q, er, &o->action) < 0)
			return -1;
		if ((a = jr_get(r, "args")) == NULL)
			continue;
		snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args", i);
		if (want(x, a, JR_ARR, q) < 0)
			return -1;
		if ((o->args = amalloc(x, (a->n + 1) * sizeof(*o->args))) == NULL)
			return nomem(x);
		for (j = 0; j < a->n; j++) {
			const struct jr_val *g = &a->kids[j], *op;

			snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args[%zu]", i, j);
			if (want(x, g, JR_OBJ, q) < 0)
				return -1;
			snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args[%zu].index", i, j);
			if (jr_get(g, "index") == NULL)
				return bad(x, q, "missing");
			if (num(x, jr_get(g, "index"), q, 0, 5, &n) < 0)
				return -1;
			o->args[j].index = (unsigned)n;
			snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args[%zu].value", i, j);
			if (jr_get(g, "value") == NULL)
				return bad(x, q, "missing");
			if (u64(x, jr_get(g, "value"), q, &o->args[j].value) < 0)
				return -1;
			snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args[%zu].valueTwo", i, j);
			if (jr_get(g, "valueTwo") && u64(x, jr_get(g, "valueTwo"), q, &o->args[j].value2) < 0)
				return -1;
			snprintf(q, sizeof(q), "linux.seccomp.syscalls[%zu].args[%zu].op", i, j);
			if ((op = jr_get(g, "op")) == NULL)
				return bad(x, q, "missing");
			if (want(x, op, JR_STR, q) < 0)
				return -1;
			for (k = 0; k < LEN(ops); k++)
				if (strcmp(op->str, ops[k].name) == 0)
					break;
			if (k == LEN(ops))
				return bad(x, q, "unknown operator '%s'", op->str);
			o->args[j].op = ops[k].op;
		}
		o->nargs = a->n;
	}
	s->nsys = sc->n;
	return 0;
}

static int
i64(struct ctx *x, const struct jr_val *v, const char *path, int64_t *out)
{
	long long n;

	if (v == NULL || v->type == JR_NULL)
		return 0;
	if (num(x, v, path, -1, LLONG_MAX, &n) < 0)
		return -1;
	*out = n;
	return 0;
}

static int
resources(struct ctx *x, const struct jr_val *v)
{
	struct oci_config *c = &x->f->c;
	const struct jr_val *m, *p, *cpu;

	if (v == NULL)
		return 0;
	if (want(x, v, JR_OBJ, "linux.resources") < 0)
		return -1;
	if ((m = jr_get(v, "memory")) != NULL) {
		if (want(x, m, JR_OBJ, "linux.resources.memory") < 0 ||
		    i64(x, jr_get(m, "limit"), "linux.resources.memory.limit", &c->mem_limit) < 0 ||
		    i64(x, jr_get(m, "swap"), "linux.resources.memory.swap", &c->mem_swap) < 0)
			return -1;
	}
	if ((p = jr_get(v, "pids")) != NULL) {
		if (want(x, p, JR_OBJ, "linux.resources.pids") < 0 ||
		    i64(x, jr_get(p, "limit"), "linux.resources.pids.limit", &c->pids_limit) < 0)
			return -1;
	}
	if ((cpu = jr_get(v, "cpu")) != NULL) {
		if (want(x, cpu, JR_OBJ, "linux.resources.cpu") < 0 ||
		    (jr_get(cpu, "shares") && u64(x, jr_get(cpu, "shares"),
		    "linux.resources.cpu.shares", &c->cpu_shares) < 0) ||
		    i64(x, jr_get(cpu, "quota"), "linux.resources.cpu.quota", &c->cpu_quota) < 0 ||
		    (jr_get(cpu, "period") && u64(x, jr_get(cpu, "period"),
		    "linux.resources.cpu.period", &c->cpu_period) < 0))
			return -1;
	}
	/* devices, blockIO, hugepageLimits...: accepted, not applied (see ns-run(1)). */
	return 0;
}

static int
sysctls(struct ctx *x, const struct jr_val *v)
{
	struct oci_config *c = &x->f->c;
	char q[512];
	size_t i, n = v ? v->n : 0;

	if (want(x, v, JR_OBJ, "linux.sysctl") < 0)
		return -1;
	if ((c->sysctl = amalloc(x, (n + 1) * sizeof(char *))) == NULL)
		return nomem(x);
	for (i = 0; i < n; i++) {
		const struct jr_val *k = &v->kids[i];

		snprintf(q, sizeof(q), "linux.sysctl.%s", k->key);
		if (want(x, k, JR_STR, q) < 0)
			return -1;
		if (k->key[0] == '\0' || strstr(k->key, "..") || strchr(k->key, '/') ||
		    strchr(k->key, '='))
			return bad(x, q, "not a sysctl name");
		if ((c->sysctl[i] = amalloc(x, strlen(k->key) + strlen(k->str) + 2)) == NULL)
			return nomem(x);
		sprintf(c->sysctl[i], "%s=%s", k->key, k->str);
	}
	return 0;
}

static int
hooks(struct ctx *x, const struct jr_val *v)
{
	static const char *const names[HOOK_N] = {
		"prestart", "createRuntime", "poststart", "poststop",
	};
	struct oci_config *c = &x->f->c;
	char q[512];
	long long n;
	size_t h, i;

	if (v == NULL)
		return 0;
	if (want(x, v, JR_OBJ, "hooks") < 0)
		return -1;
	for (h = 0; h < HOOK_N; h++) {
		const struct jr_val *l = jr_get(v, names[h]);

		snprintf(q, sizeof(q), "hooks.%s", names[h]);
		if (l == NULL)
			continue;
		if (want(x, l, JR_ARR, q) < 0)
			return -1;
		if ((c->hooks[h] = amalloc(x, (l->n + 1) * sizeof(**c->hooks))) == NULL)
			return nomem(x);
		for (i = 0; i < l->n; i++) {
			struct oci_hook *o = &c->hooks[h][i];

			snprintf(q, sizeof(q), "hooks.%s[%zu]", names[h], i);
			if (want(x, &l->kids[i], JR_OBJ, q) < 0)
				return -1;
			snprintf(q, sizeof(q), "hooks.%s[%zu].path", names[h], i);
			if (sdup(x, jr_get(&l->kids[i], "path"), q, &o->path) < 0)
				return -1;
			if (o->path == NULL || o->path[0] != '/')
				return bad(x, q, "must be an absolute path");
			snprintf(q, sizeof(q), "hooks.%s[%zu].args", names[h], i);
			if (strv(x, jr_get(&l->kids[i], "args"), q, &o->args, NULL) < 0)
				return -1;
			snprintf(q, sizeof(q), "hooks.%s[%zu].env", names[h], i);
			if (strv(x, jr_get(&l->kids[i], "env"), q, &o->env, NULL) < 0)
				return -1;
			snprintf(q, sizeof(q), "hooks.%s[%zu].timeout", names[h], i);
			if (jr_get(&l->kids[i], "timeout")) {
				if (num(x, jr_get(&l->kids[i], "timeout"), q, 1, 86400, &n) < 0)
					return -1;
				o->timeout = (int)n;
			}
		}
		c->nhooks[h] = l->n;
	}
	return 0;
}

static int
linux_(struct ctx *x, const struct jr_val *v)
{
	struct oci_config *c = &x->f->c;

	if (v == NULL)
		return bad(x, "linux", "missing");
	if (want(x, v, JR_OBJ, "linux") < 0 ||
	    namespaces(x, jr_get(v, "namespaces")) < 0 ||
	    idmaps(x, jr_get(v, "uidMappings"), "linux.uidMappings", &c->uidmap, &c->nuidmap) < 0 ||
	    idmaps(x, jr_get(v, "gidMappings"), "linux.gidMappings", &c->gidmap, &c->ngidmap) < 0 ||
	    strv(x, jr_get(v, "maskedPaths"), "linux.maskedPaths", &c->masked, NULL) < 0 ||
	    strv(x, jr_get(v, "readonlyPaths"), "linux.readonlyPaths", &c->readonly, NULL) < 0 ||
	    sysctls(x, jr_get(v, "sysctl")) < 0 ||
	    resources(x, jr_get(v, "resources")) < 0 ||
	    sdup(x, jr_get(v, "cgroupsPath"), "linux.cgroupsPath", &c->cgpath) < 0 ||
	    seccomp(x, jr_get(v, "seccomp")) < 0 ||
	    want(x, jr_get(v, "devices"), JR_ARR, "linux.devices") < 0)
		return -1;
	if (c->cgpath && strstr(c->cgpath, ".."))
		return bad(x, "linux.cgroupsPath", "'%s': no .. components", c->cgpath);
	return 0;
}

/* ---- the whole file ------------------------------------------------ */

static int
config(struct ctx *x, const struct jr_val *v, const char *bundle)
{
	struct oci_config *c = &x->f->c;
	const struct jr_val *r, *ver;
	char *rp;
	size_t i;

	if (want(x, v, JR_OBJ, "(top)") < 0)
		return -1;
	if ((ver = jr_get(v, "ociVersion")) == NULL)
		return bad(x, "ociVersion", "missing");
	if (want(x, ver, JR_STR, "ociVersion") < 0)
		return -1;
	if (strncmp(ver->str, "1.", 2) != 0)
		return bad(x, "ociVersion", "'%s': only 1.x is supported", ver->str);
	if ((r = jr_get(v, "root")) == NULL)
		return bad(x, "root", "missing");
	if (want(x, r, JR_OBJ, "root") < 0 ||
	    sdup(x, jr_get(r, "path"), "root.path", &rp) < 0 ||
	    boolean(x, jr_get(r, "readonly"), "root.readonly", &c->root_ro) < 0)
		return -1;
	if (rp == NULL || rp[0] == '\0')
		return bad(x, "root.path", "missing");
	if (rp[0] == '/' || bundle == NULL)
		c->root = rp;
	else {
		if ((c->root = amalloc(x, strlen(bundle) + strlen(rp) + 2)) == NULL)
			return nomem(x);
		sprintf(c->root, "%s/%s", bundle, rp);
	}
	if (process(x, jr_get(v, "process"), "process", &c->proc) < 0 ||
	    sdup(x, jr_get(v, "hostname"), "hostname", &c->hostname) < 0 ||
	    mounts(x, jr_get(v, "mounts")) < 0 ||
	    hooks(x, jr_get(v, "hooks")) < 0 ||
	    linux_(x, jr_get(v, "linux")) < 0)
		return -1;
	if (c->hostname && strlen(c->hostname) > 64)
		return bad(x, "hostname", "longer than 64 bytes");
	for (i = 0; i < c->nmounts; i++) {
		struct oci_mount *m = &c->mounts[i];
		char *s;

		if (m->bind && m->source[0] != '/' && bundle != NULL) {
			if ((s = amalloc(x, strlen(bundle) + strlen(m->source) + 2)) == NULL)
				return nomem(x);
			sprintf(s, "%s/%s", bundle, m->source);
			m->source = s;
		}
	}
	return 0;
}

static struct oci_full *
full_new(void)
{
	struct oci_full *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->c.mem_limit = f->c.mem_swap = f->c.pids_limit = f->c.cpu_quota = -1;
	return f;
}

struct oci_config *
oci_parse(const char *buf, size_t len, const char *bundle, char *err, size_t errlen)
{
	struct ctx x = { NULL, err, errlen, "config.json" };
	struct jr_val *v;
	char jerr[200];

	if ((v = jr_parse(buf, len, jerr, sizeof(jerr))) == NULL) {
		snprintf(err, errlen, "config.json: %s", jerr);
		return NULL;
	}
	if ((x.f = full_new()) == NULL) {
		jr_free(v);
		snprintf(err, errlen, "config.json: out of memory");
		return NULL;
	}
	if (config(&x, v, bundle) < 0 || (x.f->c.masked == NULL &&
	    strv(&x, NULL, "linux.maskedPaths", &x.f->c.masked, NULL) < 0) ||
	    (x.f->c.readonly == NULL &&
	    strv(&x, NULL, "linux.readonlyPaths", &x.f->c.readonly, NULL) < 0) ||
	    (x.f->c.sysctl == NULL && sysctls(&x, NULL) < 0)) {
		jr_free(v);
		oci_free(&x.f->c);
		errno = EINVAL;
		return NULL;
	}
	jr_free(v);
	return &x.f->c;
}

static char *
slurp(const char *file, size_t *len, char *err, size_t errlen)
{
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(OCI_MAXFILE + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: %s", file, strerror(ENOMEM));
		return NULL;
	}
	*len = 0;
	while ((n = read(fd, buf + *len, OCI_MAXFILE + 1 - *len)) > 0)
		*len += (size_t)n;
	close(fd);
	if (n < 0 || *len > OCI_MAXFILE) {
		snprintf(err, errlen, "%s: %s", file, n < 0 ? strerror(errno) : "larger than 4 MiB");
		free(buf);
		return NULL;
	}
	return buf;
}

struct oci_config *
oci_load(const char *bundle, char *err, size_t errlen)
{
	struct oci_config *c;
	char file[PATH_MAX], *buf;
	size_t len;

	snprintf(file, sizeof(file), "%s/config.json", bundle);
	if ((buf = slurp(file, &len, err, errlen)) == NULL)
		return NULL;
	c = oci_parse(buf, len, bundle, err, errlen);
	free(buf);
	return c;
}

/* The process of an exec: kept in the config's allocation chain. */
int
oci_load_process(const char *file, struct oci_process *p, char *err, size_t errlen)
{
	struct ctx x = { NULL, err, errlen, file };
	struct jr_val *v;
	char jerr[200], *buf;
	size_t len;
	int r;

	if ((buf = slurp(file, &len, err, errlen)) == NULL)
		return -1;
	v = jr_parse(buf, len, jerr, sizeof(jerr));
	free(buf);
	if (v == NULL) {
		snprintf(err, errlen, "%s: %s", file, jerr);
		return -1;
	}
	/* Deliberately never freed: the process lives until exec. */
	if ((x.f = full_new()) == NULL) {
		jr_free(v);
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	memset(p, 0, sizeof(*p));
	r = process(&x, v, "(top)", p);
	jr_free(v);
	return r;
}

void
oci_free(struct oci_config *c)
{
	struct oci_full *f = (struct oci_full *)c;
	struct oci_blk *b, *n;

	if (f == NULL)
		return;
	for (b = f->blocks; b; b = n) {
		n = b->next;
		free(b);
	}
	free(f);
}

/*
 * Build and load a config's seccomp filter with libseccomp. Syscalls
 * libseccomp does not know are skipped, as runc does; several conditions
 * on one argument become one rule each (libseccomp ANDs a rule's
 * conditions and refuses two on one argument). no_new_privs is left to
 * the caller (process.noNewPrivileges).
 */
static scmp_filter_ctx
seccomp_build(const struct oci_seccomp *s)
{
	struct scmp_arg_cmp cmp[6];
	scmp_filter_ctx ctx;
	size_t i, j, k;
	int nr, r = 0, dup;

	if ((ctx = seccomp_init(s->defact)) == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		goto fail;
	for (i = 0; i < s->narches; i++)
		if ((r = seccomp_arch_add(ctx, s->arches[i])) < 0 && r != -EEXIST)
			goto fail;
	r = 0;
	for (i = 0; i < s->nsys; i++) {
		const struct oci_syscall *sc = &s->sys[i];

		if (sc->action == s->defact)
			continue;
		dup = 0;
		for (j = 0; j < sc->nargs && j < 6; j++) {
			cmp[j].arg = sc->args[j].index;
			cmp[j].op = (enum scmp_compare)sc->args[j].op;
			cmp[j].datum_a = sc->args[j].value;
			cmp[j].datum_b = sc->args[j].value2;
			for (k = 0; k < j; k++)
				dup |= cmp[k].arg == cmp[j].arg;
		}
		for (j = 0; j < sc->nnames; j++) {
			nr = seccomp_syscall_resolve_name(sc->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue;
			if (!dup)
				r = seccomp_rule_add_array(ctx, sc->action, nr,
				    (unsigned)(sc->nargs < 6 ? sc->nargs : 6), cmp);
			else
				for (k = 0; r >= 0 && k < sc->nargs && k < 6; k++)
					r = seccomp_rule_add_array(ctx, sc->action, nr, 1, &cmp[k]);
			if (r < 0)
				goto fail;
		}
	}
	return ctx;
fail:
	seccomp_release(ctx);
	errno = r < 0 ? -r : EINVAL;
	return NULL;
}

/*
 * Compile the filter to BPF (libseccomp's work, the slow part) while the
 * container is being set up, so that only the prctl is left for the
 * moment between start and exec.
 */
int
oci_seccomp_compile(const struct oci_seccomp *s, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx;
	struct sock_filter *f;
	off_t size;
	int fd, r, saved;

	if ((ctx = seccomp_build(s)) == NULL)
		return -1;
	if ((fd = memfd_create("seccomp", MFD_CLOEXEC)) < 0) {
		saved = errno;
		seccomp_release(ctx);
		errno = saved;
		return -1;
	}
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size % (off_t)sizeof(*f) != 0 || size / (off_t)sizeof(*f) > 65535 ||
	    (f = malloc((size_t)size)) == NULL) {
		close(fd);
		errno = r < 0 ? -r : EINVAL;
		return -1;
	}
	if (pread(fd, f, (size_t)size, 0) != (ssize_t)size) {
		free(f);
		close(fd);
		errno = EIO;
		return -1;
	}
	close(fd);
	prog->len = (unsigned short)(size / (off_t)sizeof(*f));
	prog->filter = f;
	return 0;
}

/* Needs no_new_privs or CAP_SYS_ADMIN, as the kernel says. */
int
oci_seccomp_install(const struct sock_fprog *prog)
{
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog);
}
