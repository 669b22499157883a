/* SPDX-License-Identifier: ISC */
/* cgroup.h: cgroups on v2, v1 and hybrid hosts: find the hierarchies,
 * create and remove a group, apply docker-style limits, read its figures. */
#ifndef SKIFF_CGROUP_H
#define SKIFF_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* The controllers skiff uses. On v1 each lives in a hierarchy of its own
 * (or shares one, like "cpu,cpuacct"); on v2 they share the one tree. */
enum {
	CG_MEMORY, CG_CPU, CG_CPUACCT, CG_CPUSET, CG_PIDS, CG_IO, CG_FREEZER,
	CG_NCTRL
};

#define CG_MAXHIER 8
#define CG_MAXDEV 16

struct cg_hier {
	char mnt[PATH_MAX];	/* where the hierarchy is mounted */
	unsigned ctrls;		/* bit (1 << CG_x) per controller it holds */
};

struct cgroup {
	int version;		/* 2: unified; 1: v1 controllers (maybe hybrid) */
	int hybrid;		/* v1 controllers plus a cgroup2 mount */
	struct cg_hier hier[CG_MAXHIER];
	size_t nhier;
	char rel[PATH_MAX];	/* "skiff/NAME", relative to every hierarchy */
	char parent[PATH_MAX];	/* "skiff" */
};

/* Limits in docker's units. A field is applied only when its set bit is. */
struct cg_limits {
	unsigned set;
	int64_t memory;		/* bytes, 0 = unlimited */
	int64_t memory_swap;	/* memory + swap, bytes; -1 = unlimited */
	int64_t memory_reservation;
	uint64_t cpu_quota, cpu_period;	/* microseconds */
	long long cpu_shares;	/* v1 units, 2..262144 */
	long long cpu_weight;	/* v2 units, 1..10000 */
	char cpuset_cpus[256], cpuset_mems[256];
	long long pids;		/* 0 = unlimited */
	long long io_weight;	/* 10..1000, docker's --blkio-weight */
	struct cg_dev {
		unsigned major, minor;
		uint64_t rate;	/* bytes/s, 0 = unlimited */
		int write;
	} dev[CG_MAXDEV];
	size_t ndev;
};

enum {
	L_MEMORY = 1 << 0, L_SWAP = 1 << 1, L_RESERVATION = 1 << 2,
	L_CPUS = 1 << 3, L_SHARES = 1 << 4, L_WEIGHT = 1 << 5,
	L_CPUSET_CPUS = 1 << 6, L_CPUSET_MEMS = 1 << 7, L_PIDS = 1 << 8,
	L_IO_WEIGHT = 1 << 9, L_DEV = 1 << 10,
};

/* The figures `cg-limit stat` shows; -1 when the kernel does not say,
 * INT64_MAX for "max" (unlimited). */
struct cg_stat {
	int64_t memory_current, memory_peak, memory_max, oom_kills;
	int64_t cpu_usage_usec, cpu_nr_periods, cpu_nr_throttled,
	    cpu_throttled_usec;
	int64_t pids_current, pids_max, pids_refused;
	int frozen;
};

/* Find the hierarchies. root, when not NULL, is used as a cgroup2 root
 * instead of what /proc/self/mountinfo says (tests, unusual mounts). */
int cg_detect(struct cgroup *cg, const char *root, char *err, size_t errlen);
/* "skiff" / "NAME": names of one or more plain components, no "." or "..". */
int cg_valid_name(const char *name, int slashes);
int cg_set_path(struct cgroup *cg, const char *parent, const char *name);
/* 1 when the group exists (in the first hierarchy), 0 when not. */
int cg_exists(const struct cgroup *cg);
/* Create (or join) rel in every hierarchy; on v2 enable the controllers
 * along the path. On failure what was made is removed again. */
int cg_create(struct cgroup *cg, char *err, size_t errlen);
int cg_apply(struct cgroup *cg, const struct cg_limits *l, char *err,
    size_t errlen);
/* Move the calling process, which must be single-threaded, into the group
 * in every hierarchy. */
int cg_enter(struct cgroup *cg, char *err, size_t errlen);
int cg_stat(struct cgroup *cg, struct cg_stat *st);
int cg_freeze(struct cgroup *cg, int on);
/* Send sig to every process; SIGKILL on v2 uses cgroup.kill. Returns how
 * many processes were signalled (or 0 after cgroup.kill), -1 on error. */
int cg_kill(struct cgroup *cg, int sig);
/* Processes still in the group (any hierarchy). */
int cg_nprocs(struct cgroup *cg);
/* Remove the group in every hierarchy; with rmparent, also the parent
 * when it is left empty. The group must be empty. */
int cg_remove(struct cgroup *cg, int rmparent);
/* Names of the groups under the parent, one per call; NULL at the end. */
int cg_list(struct cgroup *cg, void (*fn)(const char *name, void *arg),
    void *arg);

/* Value parsers shared by the command and the fuzzer. */
int cg_parse_cpus(const char *s, uint64_t *quota, uint64_t *period);
int cg_parse_cpuset(const char *s, unsigned max);
int cg_parse_devrate(const char *s, struct cg_dev *d, char *err,
    size_t errlen);

#endif
