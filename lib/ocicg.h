/* SPDX-License-Identifier: ISC */
/* ocicg.h: the cgroup of an OCI container, minimal: v1 hierarchies and v2. */
#ifndef SKIFF_OCICG_H
#define SKIFF_OCICG_H

#include <stdint.h>
#include <sys/types.h>

struct ocicg_limits {
	int64_t mem, pids;		/* -1: unset */
	uint64_t cpu_shares, cpu_period;	/* 0: unset */
	int64_t cpu_quota;		/* -1: unset */
};

/* Make PATH (relative to each hierarchy's root) in every mounted hierarchy
 * and write the limits; err gets "what: why". */
int ocicg_create(const char *path, const struct ocicg_limits *l, char *err, size_t errlen);
/* Move pid into PATH in every hierarchy. */
int ocicg_join(const char *path, pid_t pid);
/* Remove PATH where it is empty; -1 (EBUSY) while a process remains. */
int ocicg_remove(const char *path);
/* Freeze (1) or thaw (0) PATH; ocicg_frozen says 1 when frozen. */
int ocicg_freeze(const char *path, int frozen);
int ocicg_frozen(const char *path);
/* The pids in PATH (its pids or freezer hierarchy, or v2), at most max. */
ssize_t ocicg_pids(const char *path, pid_t *out, size_t max);

#endif
