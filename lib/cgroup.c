/* SPDX-License-Identifier: ISC */
/* cgroup.c: one cgroup across the v1 hierarchies or in the v2 tree: make it,
 * limit it, join it, read its figures, freeze, kill and remove it. */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

/* Names as v1 mount options and v2's cgroup.controllers spell them. */
static const char *const v1names[CG_NCTRL] = {
	"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer",
};
/* Controllers v2 enables in subtree_control along the path. */
static const char *const v2enable[] = { "cpu", "cpuset", "io", "memory", "pids" };

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* "mnt/rel/file" into buf; ENAMETOOLONG when it does not fit. */
static int
mkpath(char *buf, size_t len, const char *mnt, const char *rel,
    const char *file)
{
	int n = snprintf(buf, len, "%s%s%s%s%s", mnt, *rel ? "/" : "", rel,
	    file ? "/" : "", file ? file : "");

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static struct cg_hier *
hier_of(struct cgroup *cg, int ctrl)
{
	size_t i;

	for (i = 0; i < cg->nhier; i++)
		if (cg->hier[i].ctrls & (1U << ctrl))
			return &cg->hier[i];
	return NULL;
}

static int
hwrite(const struct cg_hier *h, const char *rel, const char *file,
    const char *val)
{
	char p[PATH_MAX];

	if (mkpath(p, sizeof(p), h->mnt, rel, file) < 0)
		return -1;
	return write_file_at(AT_FDCWD, p, val);
}

static ssize_t
hread(const struct cg_hier *h, const char *rel, const char *file, char *buf,
    size_t len)
{
	char p[PATH_MAX];

	if (mkpath(p, sizeof(p), h->mnt, rel, file) < 0)
		return -1;
	return read_file_at(AT_FDCWD, p, buf, len);
}

/* Mount options of a v1 cgroup mount name its controllers. */
static unsigned
v1ctrls(const char *opts)
{
	char buf[512], *tok, *save = NULL;
	unsigned mask = 0;
	int i;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (i = 0; i < CG_NCTRL; i++)
			if (strcmp(tok, v1names[i]) == 0)
				mask |= 1U << i;
	return mask;
}

int
cg_detect(struct cgroup *cg, const char *root, char *err, size_t errlen)
{
	char line[4096], v2mnt[PATH_MAX] = "";
	FILE *f;
	size_t i;

	memset(cg, 0, sizeof(*cg));
	if (root != NULL && *root != '\0') {
		cg->version = 2;
		cg->nhier = 1;
		snprintf(cg->hier[0].mnt, sizeof(cg->hier[0].mnt), "%s", root);
		cg->hier[0].ctrls = (1U << CG_NCTRL) - 1;
		return 0;
	}
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		seterr(err, errlen, "/proc/self/mountinfo: %s", strerror(errno));
		return -1;
	}
	/* id parent maj:min root mountpoint opts [tags] - fstype source superopts */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sep = strstr(line, " - "), *mnt, *fstype, *super, *save = NULL;
		unsigned mask;
		int k;

		if (sep == NULL)
			continue;
		*sep = '\0';
		mnt = strtok_r(line, " ", &save);
		for (k = 0; k < 4 && mnt != NULL; k++)
			mnt = strtok_r(NULL, " ", &save);
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save);
		super = strtok_r(NULL, " \n", &save);
		if (mnt == NULL || fstype == NULL || strlen(mnt) >= PATH_MAX)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			/* The conventional place wins over any other mount. */
			if (v2mnt[0] == '\0' || strcmp(mnt, "/sys/fs/cgroup") == 0)
				snprintf(v2mnt, sizeof(v2mnt), "%s", mnt);
			continue;
		}
		if (strcmp(fstype, "cgroup") != 0 || super == NULL)
			continue;
		if ((mask = v1ctrls(super)) == 0)
			continue;
		for (i = 0; i < cg->nhier; i++)
			if (cg->hier[i].ctrls == mask)
				break;
		if (i < cg->nhier || cg->nhier == CG_MAXHIER)
			continue;
		snprintf(cg->hier[i].mnt, sizeof(cg->hier[i].mnt), "%s", mnt);
		cg->hier[i].ctrls = mask;
		cg->nhier++;
	}
	fclose(f);
	if (cg->nhier > 0) {
		cg->version = 1;
		cg->hybrid = v2mnt[0] != '\0';
		return 0;
	}
	if (v2mnt[0] == '\0') {
		seterr(err, errlen, "no cgroup file system is mounted");
		return -1;
	}
	cg->version = 2;
	cg->nhier = 1;
	snprintf(cg->hier[0].mnt, sizeof(cg->hier[0].mnt), "%s", v2mnt);
	cg->hier[0].ctrls = (1U << CG_NCTRL) - 1;
	return 0;
}

int
cg_set_path(struct cgroup *cg, const char *parent, const char *name)
{
	int n;

	if (!cg_valid_name(parent, 1) || !cg_valid_name(name, 0)) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(cg->rel, sizeof(cg->rel), "%s/%s", parent, name);
	if (n < 0 || (size_t)n >= sizeof(cg->rel)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(cg->parent, sizeof(cg->parent), "%s", parent);
	return 0;
}

int
cg_exists(const struct cgroup *cg)
{
	char p[PATH_MAX];
	struct stat st;

	if (cg->nhier == 0 || mkpath(p, sizeof(p), cg->hier[0].mnt, cg->rel, NULL) < 0)
		return 0;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A v1 cpuset group starts with no CPUs and no memory nodes, and refuses
 * tasks until it has them: give it its parent's. */
static int
cpuset_inherit(const struct cg_hier *h, const char *rel)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char up[PATH_MAX], buf[1024], *slash;
	size_t i;

	snprintf(up, sizeof(up), "%s", rel);
	slash = strrchr(up, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		up[0] = '\0';
	for (i = 0; i < LEN(files); i++) {
		if (hread(h, rel, files[i], buf, sizeof(buf)) < 0)
			return -1;
		if (buf[0] != '\n' && buf[0] != '\0')
			continue;
		if (hread(h, up, files[i], buf, sizeof(buf)) < 0 ||
		    hwrite(h, rel, files[i], buf) < 0)
			return -1;
	}
	return 0;
}

/* On v2 a group's controllers are those its parent enabled for it. */
static int
enable_controllers(const struct cg_hier *h, const char *rel, char *err,
    size_t errlen)
{
	char have[512], on[512], word[16];
	size_t i;

	if (hread(h, rel, "cgroup.controllers", have, sizeof(have)) < 0)
		return errno == ENOENT ? 0 : -1;
	if (hread(h, rel, "cgroup.subtree_control", on, sizeof(on)) < 0)
		on[0] = '\0';
	for (i = 0; i < LEN(v2enable); i++) {
		char *p;
		size_t n = strlen(v2enable[i]);
		int avail = 0, enabled = 0;

		for (p = have; (p = strstr(p, v2enable[i])) != NULL; p += n)
			if ((p == have || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
				avail = 1;
		for (p = on; (p = strstr(p, v2enable[i])) != NULL; p += n)
			if ((p == on || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
				enabled = 1;
		if (!avail || enabled)
			continue;
		snprintf(word, sizeof(word), "+%s", v2enable[i]);
		if (hwrite(h, rel, "cgroup.subtree_control", word) < 0) {
			seterr(err, errlen, "%s/%s/cgroup.subtree_control: enable %s: %s",
			    h->mnt, rel, word, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Directories made by cg_create, removed again if it fails. */
static char made[CG_MAXHIER * 16][PATH_MAX];
static size_t nmade;

static int
create_in(struct cgroup *cg, struct cg_hier *h, char *err, size_t errlen)
{
	char sub[PATH_MAX], p[PATH_MAX];
	const char *s = cg->rel;
	size_t n = 0;

	for (;;) {
		const char *slash = strchr(s, '/');

		/* Everything above this component must hand it controllers. */
		sub[n] = '\0';
		if (cg->version == 2 && enable_controllers(h, sub, err, errlen) < 0)
			return -1;
		if (n > 0)
			sub[n++] = '/';
		if (slash == NULL) {
			snprintf(sub + n, sizeof(sub) - n, "%s", s);
			n += strlen(s);
		} else {
			memcpy(sub + n, s, (size_t)(slash - s));
			n += (size_t)(slash - s);
			sub[n] = '\0';
		}
		if (mkpath(p, sizeof(p), h->mnt, sub, NULL) < 0)
			goto fail;
		if (mkdir(p, 0755) == 0) {
			if (nmade < LEN(made))
				snprintf(made[nmade++], PATH_MAX, "%s", p);
			if ((h->ctrls & (1U << CG_CPUSET)) && cg->version == 1 &&
			    cpuset_inherit(h, sub) < 0)
				goto fail;
		} else if (errno != EEXIST)
			goto fail;
		if (slash == NULL)
			return 0;
		s = slash + 1;
	}
fail:
	seterr(err, errlen, "%s: %s", p, strerror(errno));
	return -1;
}

int
cg_create(struct cgroup *cg, char *err, size_t errlen)
{
	size_t i;
	int tries;

	nmade = 0;
	for (i = 0; i < cg->nhier; i++) {
		/* A concurrent `rm` may take away an empty parent between our
		 * mkdirs: start that hierarchy again. */
		for (tries = 0; tries < 5; tries++) {
			if (create_in(cg, &cg->hier[i], err, errlen) == 0)
				break;
			if (errno != ENOENT)
				goto undo;
		}
		if (tries == 5)
			goto undo;
	}
	return 0;
undo:
	{
		int saved = errno;

		while (nmade > 0)
			rmdir(made[--nmade]);
		errno = saved;
	}
	return -1;
}

/* Write a limit into the hierarchy that holds ctrl. */
static int
setv(struct cgroup *cg, int ctrl, const char *file, char *err, size_t errlen,
    const char *fmt, ...)
{
	char val[512];
	struct cg_hier *h = hier_of(cg, ctrl);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (h == NULL) {
		seterr(err, errlen, "%s: the %s controller is not mounted", file,
		    v1names[ctrl]);
		errno = ENOTSUP;
		return -1;
	}
	if (hwrite(h, cg->rel, file, val) < 0) {
		int saved = errno;

		seterr(err, errlen, "%s %s: %s", file, val,
		    errno == ENOENT ? "not supported by this kernel" : strerror(errno));
		errno = saved;
		return -1;
	}
	return 0;
}

/* 0 is "no limit": v2 says "max", v1 "-1". */
static void
lim(char *buf, size_t len, int v2, int64_t v)
{
	if (v <= 0)
		snprintf(buf, len, "%s", v2 ? "max" : "-1");
	else
		snprintf(buf, len, "%lld", (long long)v);
}

static int
apply_memory(struct cgroup *cg, const struct cg_limits *l, char *err,
    size_t errlen)
{
	int v2 = cg->version == 2;
	char m[32], s[32];
	int64_t swap = -2;	/* -2: leave alone */

	if (l->set & L_SWAP)
		swap = l->memory_swap;
	else if ((l->set & L_MEMORY) && l->memory > 0)
		swap = 2 * l->memory;	/* docker: as much swap as memory */
	if (l->set & L_MEMORY) {
		lim(m, sizeof(m), v2, l->memory);
		if (v2) {
			if (setv(cg, CG_MEMORY, "memory.max", err, errlen, "%s", m) < 0)
				return -1;
		} else if (setv(cg, CG_MEMORY, "memory.limit_in_bytes", err, errlen, "%s", m) < 0) {
			/* v1 keeps limit <= memsw: raise memsw first. */
			lim(s, sizeof(s), 0, swap == -2 ? -1 : swap);
			if (setv(cg, CG_MEMORY, "memory.memsw.limit_in_bytes", err, errlen, "%s", s) < 0 ||
			    setv(cg, CG_MEMORY, "memory.limit_in_bytes", err, errlen, "%s", m) < 0)
				return -1;
		}
	}
	if (swap != -2) {
		int r;

		if (v2) {
			if (swap < 0 || l->memory <= 0)
				snprintf(s, sizeof(s), "max");
			else
				snprintf(s, sizeof(s), "%lld", (long long)(swap - l->memory));
			r = setv(cg, CG_MEMORY, "memory.swap.max", err, errlen, "%s", s);
		} else {
			lim(s, sizeof(s), 0, swap);
			r = setv(cg, CG_MEMORY, "memory.memsw.limit_in_bytes", err, errlen, "%s", s);
		}
		/* Without swap accounting only an explicit request is an error. */
		if (r < 0 && ((l->set & L_SWAP) || (errno != ENOENT && errno != ENOTSUP)))
			return -1;
	}
	if (l->set & L_RESERVATION) {
		if (v2) {
			if (setv(cg, CG_MEMORY, "memory.low", err, errlen, "%lld",
			    (long long)l->memory_reservation) < 0)
				return -1;
		} else {
			lim(s, sizeof(s), 0, l->memory_reservation);
			if (setv(cg, CG_MEMORY, "memory.soft_limit_in_bytes", err, errlen, "%s", s) < 0)
				return -1;
		}
	}
	return 0;
}

static int
apply_cpu(struct cgroup *cg, const struct cg_limits *l, char *err,
    size_t errlen)
{
	int v2 = cg->version == 2;
	long long w;

	if (l->set & L_CPUS) {
		if (v2) {
			if (setv(cg, CG_CPU, "cpu.max", err, errlen, "%llu %llu",
			    (unsigned long long)l->cpu_quota,
			    (unsigned long long)l->cpu_period) < 0)
				return -1;
		} else if (setv(cg, CG_CPU, "cpu.cfs_period_us", err, errlen, "%llu",
		    (unsigned long long)l->cpu_period) < 0 ||
		    setv(cg, CG_CPU, "cpu.cfs_quota_us", err, errlen, "%llu",
		    (unsigned long long)l->cpu_quota) < 0)
			return -1;
	}
	if (l->set & (L_SHARES | L_WEIGHT)) {
		/* The same conversion runc and crun use between the two scales. */
		if (v2) {
			w = (l->set & L_WEIGHT) ? l->cpu_weight :
			    1 + ((l->cpu_shares - 2) * 9999) / 262142;
			if (setv(cg, CG_CPU, "cpu.weight", err, errlen, "%lld", w) < 0)
				return -1;
		} else {
			w = (l->set & L_SHARES) ? l->cpu_shares :
			    2 + ((l->cpu_weight - 1) * 262142) / 9999;
			if (setv(cg, CG_CPU, "cpu.shares", err, errlen, "%lld", w) < 0)
				return -1;
		}
	}
	if ((l->set & L_CPUSET_CPUS) &&
	    setv(cg, CG_CPUSET, "cpuset.cpus", err, errlen, "%s", l->cpuset_cpus) < 0)
		return -1;
	if ((l->set & L_CPUSET_MEMS) &&
	    setv(cg, CG_CPUSET, "cpuset.mems", err, errlen, "%s", l->cpuset_mems) < 0)
		return -1;
	return 0;
}

static int
apply_io(struct cgroup *cg, const struct cg_limits *l, char *err,
    size_t errlen)
{
	size_t i;

	if (l->set & L_IO_WEIGHT) {
		if (cg->version == 2) {
			/* io.weight comes with blk-iocost; BFQ has its own file,
			 * on docker's scale. */
			if (setv(cg, CG_IO, "io.weight", err, errlen, "default %lld",
			    1 + ((l->io_weight - 10) * 9999) / 990) < 0 &&
			    setv(cg, CG_IO, "io.bfq.weight", err, errlen, "%lld",
			    l->io_weight) < 0)
				return -1;
		} else if (setv(cg, CG_IO, "blkio.bfq.weight", err, errlen, "%lld",
		    l->io_weight) < 0 &&
		    setv(cg, CG_IO, "blkio.weight", err, errlen, "%lld", l->io_weight) < 0)
			return -1;
	}
	for (i = 0; i < l->ndev; i++) {
		const struct cg_dev *d = &l->dev[i];

		if (cg->version == 2) {
			char r[32];

			lim(r, sizeof(r), 1, (int64_t)d->rate);
			if (setv(cg, CG_IO, "io.max", err, errlen, "%u:%u %s=%s",
			    d->major, d->minor, d->write ? "wbps" : "rbps", r) < 0)
				return -1;
		} else if (setv(cg, CG_IO, d->write ? "blkio.throttle.write_bps_device" :
		    "blkio.throttle.read_bps_device", err, errlen, "%u:%u %llu",
		    d->major, d->minor, (unsigned long long)d->rate) < 0)
			return -1;
	}
	return 0;
}

int
cg_apply(struct cgroup *cg, const struct cg_limits *l, char *err,
    size_t errlen)
{
	if (apply_memory(cg, l, err, errlen) < 0 || apply_cpu(cg, l, err, errlen) < 0)
		return -1;
	if (l->set & L_PIDS) {
		char v[32];

		lim(v, sizeof(v), 1, l->pids);
		if (setv(cg, CG_PIDS, "pids.max", err, errlen, "%s", v) < 0)
			return -1;
	}
	return apply_io(cg, l, err, errlen);
}

int
cg_enter(struct cgroup *cg, char *err, size_t errlen)
{
	char pid[24];
	size_t i;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	for (i = 0; i < cg->nhier; i++) {
		/*
		 * Moving a whole process takes the kernel's global threadgroup
		 * lock, which waits for an RCU grace period (most of our run
		 * time). v1 can move just the calling thread ("0" to tasks)
		 * without that lock; the caller is single-threaded, so that
		 * moves the process.
		 */
		if (cg->version == 1 &&
		    hwrite(&cg->hier[i], cg->rel, "tasks", "0") == 0)
			continue;
		if (hwrite(&cg->hier[i], cg->rel, "cgroup.procs", pid) < 0) {
			seterr(err, errlen, "%s/%s/cgroup.procs: %s", cg->hier[i].mnt,
			    cg->rel, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A whole file as a number; "max" (or v1's near-2^63) is INT64_MAX. */
static int64_t
rnum(struct cgroup *cg, int ctrl, const char *file)
{
	struct cg_hier *h = hier_of(cg, ctrl);
	char buf[64], *end;
	long long v;

	if (h == NULL || hread(h, cg->rel, file, buf, sizeof(buf)) <= 0)
		return -1;
	if (strncmp(buf, "max", 3) == 0)
		return INT64_MAX;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || end == buf)
		return errno == ERANGE ? INT64_MAX : -1;
	if (v >= (1LL << 62))
		return INT64_MAX;
	return v;
}

/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events). */
static int64_t
rkey(struct cgroup *cg, int ctrl, const char *file, const char *key)
{
	struct cg_hier *h = hier_of(cg, ctrl);
	char buf[4096], *p;
	size_t n = strlen(key);

	if (h == NULL || hread(h, cg->rel, file, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

static int64_t
div1000(int64_t v)
{
	return v < 0 ? v : v / 1000;
}

int
cg_stat(struct cgroup *cg, struct cg_stat *st)
{
	char buf[64];
	struct cg_hier *h;

	if (!cg_exists(cg)) {
		errno = ENOENT;
		return -1;
	}
	st->pids_current = rnum(cg, CG_PIDS, "pids.current");
	st->pids_max = rnum(cg, CG_PIDS, "pids.max");
	st->pids_refused = rkey(cg, CG_PIDS, "pids.events", "max");
	st->cpu_nr_periods = rkey(cg, CG_CPU, "cpu.stat", "nr_periods");
	st->cpu_nr_throttled = rkey(cg, CG_CPU, "cpu.stat", "nr_throttled");
	st->frozen = 0;
	if (cg->version == 2) {
		st->memory_current = rnum(cg, CG_MEMORY, "memory.current");
		st->memory_peak = rnum(cg, CG_MEMORY, "memory.peak");
		st->memory_max = rnum(cg, CG_MEMORY, "memory.max");
		st->oom_kills = rkey(cg, CG_MEMORY, "memory.events", "oom_kill");
		st->cpu_usage_usec = rkey(cg, CG_CPU, "cpu.stat", "usage_usec");
		st->cpu_throttled_usec = rkey(cg, CG_CPU, "cpu.stat", "throttled_usec");
		st->frozen = rkey(cg, CG_FREEZER, "cgroup.events", "frozen") == 1;
	} else {
		st->memory_current = rnum(cg, CG_MEMORY, "memory.usage_in_bytes");
		st->memory_peak = rnum(cg, CG_MEMORY, "memory.max_usage_in_bytes");
		st->memory_max = rnum(cg, CG_MEMORY, "memory.limit_in_bytes");
		st->oom_kills = rkey(cg, CG_MEMORY, "memory.oom_control", "oom_kill");
		st->cpu_usage_usec = div1000(rnum(cg, CG_CPUACCT, "cpuacct.usage"));
		st->cpu_throttled_usec = div1000(rkey(cg, CG_CPU, "cpu.stat", "throttled_time"));
		h = hier_of(cg, CG_FREEZER);
		st->frozen = h != NULL && hread(h, cg->rel, "freezer.state", buf,
		    sizeof(buf)) > 0 && strncmp(buf, "FROZEN", 6) == 0;
	}
	return 0;
}

int
cg_freeze(struct cgroup *cg, int on)
{
	struct cg_hier *h = hier_of(cg, CG_FREEZER);
	char buf[64];
	int i;

	if (h == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	if (cg->version == 2) {
		if (hwrite(h, cg->rel, "cgroup.freeze", on ? "1" : "0") < 0)
			return -1;
		/* Freezing completes asynchronously; cgroup.events says when. */
		for (i = 0; i < 500; i++) {
			int64_t f = rkey(cg, CG_FREEZER, "cgroup.events", "frozen");

			if (f < 0 || f == on)
				return 0;
			nap_ms(2);
		}
		errno = EBUSY;
		return -1;
	}
	if (hwrite(h, cg->rel, "freezer.state", on ? "FROZEN" : "THAWED") < 0)
		return -1;
	for (i = 0; i < 500; i++) {
		if (hread(h, cg->rel, "freezer.state", buf, sizeof(buf)) < 0)
			return -1;
		if (strncmp(buf, on ? "FROZEN" : "THAWED", 6) == 0)
			return 0;
		nap_ms(2);
	}
	errno = EBUSY;
	return -1;
}

/* Signal every pid in the first hierarchy that lists any; count them. */
static int
signal_procs(struct cgroup *cg, int sig)
{
	char p[PATH_MAX], line[32];
	size_t i;
	int n = 0;

	for (i = 0; i < cg->nhier; i++) {
		FILE *f;

		if (mkpath(p, sizeof(p), cg->hier[i].mnt, cg->rel, "cgroup.procs") < 0 ||
		    (f = fopen(p, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL) {
			long pid = strtol(line, NULL, 10);

			if (pid > 0 && kill((pid_t)pid, sig) == 0)
				n++;
		}
		fclose(f);
	}
	return n;
}

int
cg_kill(struct cgroup *cg, int sig)
{
	struct cg_hier *h = hier_of(cg, CG_FREEZER);
	int n, frozen = 0;

	if (!cg_exists(cg)) {
		errno = ENOENT;
		return -1;
	}
	if (sig == SIGKILL && cg->version == 2 &&
	    hwrite(&cg->hier[0], cg->rel, "cgroup.kill", "1") == 0)
		return 0;
	/* v1: freeze first so nothing forks past the list; a frozen task
	 * dies of SIGKILL as soon as it is thawed. */
	if (sig == SIGKILL && cg->version == 1 && h != NULL)
		frozen = cg_freeze(cg, 1) == 0;
	n = signal_procs(cg, sig);
	if (frozen)
		cg_freeze(cg, 0);
	return n;
}

int
cg_nprocs(struct cgroup *cg)
{
	char p[PATH_MAX], line[32];
	size_t i;
	int most = 0;

	for (i = 0; i < cg->nhier; i++) {
		FILE *f;
		int n = 0;

		if (mkpath(p, sizeof(p), cg->hier[i].mnt, cg->rel, "cgroup.procs") < 0 ||
		    (f = fopen(p, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL)
			n++;
		fclose(f);
		if (n > most)
			most = n;
	}
	return most;
}

int
cg_remove(struct cgroup *cg, int rmparent)
{
	char p[PATH_MAX], up[PATH_MAX], *slash;
	size_t i;
	int rc = 0, saved = 0;

	for (i = 0; i < cg->nhier; i++) {
		if (mkpath(p, sizeof(p), cg->hier[i].mnt, cg->rel, NULL) < 0 ||
		    (rmdir(p) < 0 && errno != ENOENT)) {
			saved = errno;
			rc = -1;
			continue;
		}
		if (!rmparent)
			continue;
		/* Empty parents go too; one still in use stays. */
		snprintf(up, sizeof(up), "%s", cg->parent);
		for (;;) {
			if (mkpath(p, sizeof(p), cg->hier[i].mnt, up, NULL) < 0 ||
			    rmdir(p) < 0)
				break;
			if ((slash = strrchr(up, '/')) == NULL)
				break;
			*slash = '\0';
		}
	}
	if (rc < 0)
		errno = saved;
	return rc;
}

int
cg_list(struct cgroup *cg, void (*fn)(const char *name, void *arg), void *arg)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (cg->nhier == 0 || mkpath(p, sizeof(p), cg->hier[0].mnt, cg->parent, NULL) < 0)
		return -1;
	if ((d = opendir(p)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			fn(e->d_name, arg);
	closedir(d);
	return 0;
}
