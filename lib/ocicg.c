/* SPDX-License-Identifier: ISC */
/* ocicg.c: an OCI container's cgroup, made in every mounted hierarchy
 * (cgroup v1, a hybrid layout, or v2), with memory, pids and cpu limits.
 * The full set of controllers is cg-limit's job; this is what podman and
 * `runc spec` bundles ask for. */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocicg.h"
#include "util.h"

#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define CGROOT "/sys/fs/cgroup"

/* Each hierarchy's mount point, and whether it is cgroup2. */
struct hier {
	char dir[300];
	int v2;
};

static int
hierarchies(struct hier *h, int max)
{
	struct statfs sf;
	struct dirent *e;
	struct stat st;
	char p[300];
	int n = 0;
	DIR *d;

	if (statfs(CGROOT, &sf) < 0)
		return -1;
	if (sf.f_type == CGROUP2_SUPER_MAGIC) {
		snprintf(h[0].dir, sizeof(h[0].dir), "%s", CGROOT);
		h[0].v2 = 1;
		return 1;
	}
	if ((d = opendir(CGROOT)) == NULL)
		return -1;
	while (n < max && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strlen(e->d_name) > 40)
			continue;
		snprintf(p, sizeof(p), "%s/%s", CGROOT, e->d_name);
		/* cpu,cpuacct style links name a hierarchy twice. */
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode) || statfs(p, &sf) < 0)
			continue;
		if (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		snprintf(h[n].dir, sizeof(h[n].dir), "%s", p);
		h[n].v2 = sf.f_type == CGROUP2_SUPER_MAGIC;
		n++;
	}
	closedir(d);
	return n;
}

/* dir/name into out; -1 (ENAMETOOLONG) when it does not fit. */
static int
join(char *out, size_t len, const char *dir, const char *name)
{
	if (snprintf(out, len, "%s/%s", dir, name) >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
put(const char *dir, const char *file, const char *val)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	return write_file_at(AT_FDCWD, p, val);
}

/* A new v1 cpuset group is empty and refuses tasks: copy the parent's. */
static void
cpuset_fill(const char *dir)
{
	char parent[PATH_MAX], file[PATH_MAX + 32], buf[256], *slash;
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	ssize_t n;
	size_t i;

	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) == NULL)
		return;
	*slash = '\0';
	for (i = 0; i < LEN(files); i++) {
		snprintf(file, sizeof(file), "%s/%s", dir, files[i]);
		n = read_file_at(AT_FDCWD, file, buf, sizeof(buf) - 1);
		if (n > 0 && buf[0] != '\n')
			continue;
		snprintf(file, sizeof(file), "%s/%s", parent, files[i]);
		n = read_file_at(AT_FDCWD, file, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		put(dir, files[i], buf);
	}
}

/* mkdir -p of path beneath root; cpuset gets its values on the way. */
static int
mkpath(const char *root, const char *path, int cpuset)
{
	char p[PATH_MAX];
	size_t base = strlen(root), i;

	if (snprintf(p, sizeof(p), "%s/%s", root, path) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = base + 1; ; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			char c = p[i];

			p[i] = '\0';
			if (i > base + 1 && p[i - 1] != '/') {
				if (mkdir(p, 0755) < 0 && errno != EEXIST)
					return -1;
				if (cpuset)
					cpuset_fill(p);
			}
			p[i] = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static void
enable_v2(const char *root, const char *path)
{
	char p[PATH_MAX];
	size_t i, base = strlen(root);

	if (join(p, sizeof(p), root, path) < 0)
		return;
	/* Every ancestor hands memory, pids and cpu down. */
	for (i = base; p[i]; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		put(p, "cgroup.subtree_control", "+memory +pids +cpu");
		p[i] = '/';
	}
}

int
ocicg_create(const char *path, const struct ocicg_limits *l, char *err, size_t errlen)
{
	struct hier h[24];
	char dir[PATH_MAX], v[64];
	int n, i;

	if ((n = hierarchies(h, LEN(h))) < 0) {
		snprintf(err, errlen, "cgroup %s: %s", path, strerror(errno));
		return -1;
	}
	while (*path == '/')
		path++;
	for (i = 0; i < n; i++) {
		const char *name = strrchr(h[i].dir, '/') + 1;

		if (h[i].v2 && n == 1)
			enable_v2(h[i].dir, path);
		if (mkpath(h[i].dir, path, strcmp(name, "cpuset") == 0) < 0) {
			snprintf(err, errlen, "cgroup %s/%s: %s", h[i].dir, path, strerror(errno));
			return -1;
		}
		if (join(dir, sizeof(dir), h[i].dir, path) < 0) {
			snprintf(err, errlen, "cgroup %s: %s", path, strerror(errno));
			return -1;
		}
#define LIMIT(cond, file, fmt, val) do { \
		if ((cond)) { \
			snprintf(v, sizeof(v), fmt, val); \
			if (put(dir, file, v) < 0) { \
				snprintf(err, errlen, "cgroup %s/%s = %s: %s", dir, file, v, strerror(errno)); \
				return -1; \
			} \
		} } while (0)
		if (h[i].v2 && n == 1) {
			LIMIT(l->mem > 0, "memory.max", "%lld", (long long)l->mem);
			LIMIT(l->pids > 0, "pids.max", "%lld", (long long)l->pids);
			LIMIT(l->cpu_shares > 0, "cpu.weight", "%llu",
			    (unsigned long long)(1 + ((l->cpu_shares - 2) * 9999) / 262142));
			if (l->cpu_quota > 0) {
				snprintf(v, sizeof(v), "%lld %llu", (long long)l->cpu_quota,
				    (unsigned long long)(l->cpu_period ? l->cpu_period : 100000));
				if (put(dir, "cpu.max", v) < 0) {
					snprintf(err, errlen, "cgroup %s/cpu.max: %s", dir, strerror(errno));
					return -1;
				}
			}
		} else if (strcmp(name, "memory") == 0) {
			LIMIT(l->mem > 0, "memory.limit_in_bytes", "%lld", (long long)l->mem);
		} else if (strcmp(name, "pids") == 0) {
			LIMIT(l->pids > 0, "pids.max", "%lld", (long long)l->pids);
		} else if (strcmp(name, "cpu") == 0 || strcmp(name, "cpu,cpuacct") == 0) {
			LIMIT(l->cpu_shares > 0, "cpu.shares", "%llu", (unsigned long long)l->cpu_shares);
			LIMIT(l->cpu_period > 0, "cpu.cfs_period_us", "%llu", (unsigned long long)l->cpu_period);
			LIMIT(l->cpu_quota > 0, "cpu.cfs_quota_us", "%lld", (long long)l->cpu_quota);
		}
#undef LIMIT
	}
	return 0;
}

int
ocicg_join(const char *path, pid_t pid)
{
	struct hier h[24];
	char dir[PATH_MAX], v[32];
	int n, i;

	if ((n = hierarchies(h, LEN(h))) < 0)
		return -1;
	while (*path == '/')
		path++;
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (i = 0; i < n; i++) {
		if (join(dir, sizeof(dir), h[i].dir, path) < 0 ||
		    put(dir, "cgroup.procs", v) < 0)
			return -1;
	}
	return 0;
}

int
ocicg_remove(const char *path)
{
	struct hier h[24];
	char dir[PATH_MAX];
	int n, i, r = 0;

	if ((n = hierarchies(h, LEN(h))) < 0)
		return -1;
	while (*path == '/')
		path++;
	if (*path == '\0')
		return 0;
	for (i = 0; i < n; i++) {
		if (join(dir, sizeof(dir), h[i].dir, path) < 0 ||
		    (rmdir(dir) < 0 && errno != ENOENT))
			r = -1;
	}
	return r;
}

/* The hierarchy holding file (freezer.state, pids' cgroup.procs), or v2. */
static int
find(const char *path, const char *v1name, char *dir, size_t len)
{
	struct hier h[24];
	int n, i;

	if ((n = hierarchies(h, LEN(h))) < 0)
		return -1;
	while (*path == '/')
		path++;
	for (i = 0; i < n; i++)
		if ((h[i].v2 && n == 1) || strcmp(strrchr(h[i].dir, '/') + 1, v1name) == 0) {
			if (join(dir, len, h[i].dir, path) < 0)
				return -1;
			return h[i].v2 && n == 1;
		}
	errno = ENOENT;
	return -1;
}

int
ocicg_freeze(const char *path, int frozen)
{
	char dir[PATH_MAX];
	int v2;

	if ((v2 = find(path, "freezer", dir, sizeof(dir))) < 0)
		return -1;
	if (v2)
		return put(dir, "cgroup.freeze", frozen ? "1" : "0");
	return put(dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

int
ocicg_frozen(const char *path)
{
	char dir[PATH_MAX], buf[64];
	ssize_t n;
	int v2;

	if ((v2 = find(path, "freezer", dir, sizeof(dir))) < 0)
		return 0;
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s",
	    v2 ? "cgroup.freeze" : "freezer.state");
	if ((n = read_file_at(AT_FDCWD, dir, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	return v2 ? buf[0] == '1' : strncmp(buf, "FROZEN", 6) == 0;
}

ssize_t
ocicg_pids(const char *path, pid_t *out, size_t max)
{
	char dir[PATH_MAX];
	long long v;
	size_t n = 0;
	FILE *f;

	if (find(path, "pids", dir, sizeof(dir)) < 0 &&
	    find(path, "freezer", dir, sizeof(dir)) < 0)
		return -1;
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/cgroup.procs");
	if ((f = fopen(dir, "re")) == NULL)
		return -1;
	while (n < max && fscanf(f, "%lld", &v) == 1)
		out[n++] = (pid_t)v;
	fclose(f);
	return (ssize_t)n;
}
