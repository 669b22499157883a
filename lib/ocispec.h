/* SPDX-License-Identifier: ISC */
/* ocispec.h: an OCI runtime bundle's config.json, checked and decoded. */
#ifndef SKIFF_OCISPEC_H
#define SKIFF_OCISPEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_rlimit {
	int res;
	uint64_t soft, hard;
};

struct oci_process {
	int terminal;
	unsigned short rows, cols;	/* consoleSize, 0 when absent */
	uid_t uid;
	gid_t gid;
	gid_t *gids;			/* user.additionalGids */
	size_t ngids;
	int has_umask;
	mode_t umask;
	char **args, **env;		/* NULL-terminated */
	char *cwd;
	int has_caps;
	uint64_t bounding, effective, inheritable, permitted, ambient;
	struct oci_rlimit *rlimits;
	size_t nrlimits;
	int nnp;			/* noNewPrivileges */
	int has_oom;
	int oom;			/* oomScoreAdj */
};

struct oci_mount {
	char *dest, *type, *source;
	unsigned long flags;		/* MS_* for the mount itself */
	unsigned long propagation;	/* MS_SHARED etc., applied after */
	int bind, rec;
	char *data;			/* options the kernel takes as text */
};

struct oci_ns {
	int flag;			/* CLONE_NEW* */
	const char *type;
	char *path;			/* join this one, or NULL for a new one */
};

struct oci_idmap {
	unsigned long container, host, size;
};

struct oci_syscall_arg {
	unsigned index;
	uint64_t value, value2;
	int op;				/* enum scmp_compare */
};

struct oci_syscall {
	char **names;
	size_t nnames;
	uint32_t action;		/* SCMP_ACT_* */
	struct oci_syscall_arg *args;
	size_t nargs;
};

struct oci_seccomp {
	uint32_t defact;
	uint32_t *arches;		/* SCMP_ARCH_* */
	size_t narches;
	struct oci_syscall *sys;
	size_t nsys;
};

struct oci_hook {
	char *path;
	char **args, **env;
	int timeout;
};

enum { HOOK_PRESTART, HOOK_CREATERUNTIME, HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_N };

struct oci_config {
	struct oci_process proc;
	char *root;			/* absolute */
	int root_ro;
	char *hostname;
	struct oci_mount *mounts;
	size_t nmounts;
	struct oci_ns *ns;
	size_t nns;
	struct oci_idmap *uidmap, *gidmap;
	size_t nuidmap, ngidmap;
	char **masked, **readonly;	/* NULL-terminated, never NULL */
	char **sysctl;			/* "key=value", NULL-terminated */
	char *cgpath;
	int64_t mem_limit, mem_swap, pids_limit;	/* -1: unset */
	uint64_t cpu_shares;
	int64_t cpu_quota;
	uint64_t cpu_period;
	struct oci_seccomp *seccomp;	/* NULL: none */
	struct oci_hook *hooks[HOOK_N];
	size_t nhooks[HOOK_N];
};

/*
 * Read bundle/config.json; the root path is made absolute against bundle.
 * On error err holds "config.json: JSON.PATH: why" and NULL is returned.
 */
struct oci_config *oci_load(const char *bundle, char *err, size_t errlen);
/* A process.json as given to exec --process. */
int oci_load_process(const char *file, struct oci_process *p, char *err, size_t errlen);
/* Parse a config held in memory (the fuzz target's entry). */
struct oci_config *oci_parse(const char *buf, size_t len, const char *bundle,
    char *err, size_t errlen);
void oci_free(struct oci_config *c);
/* The filter as BPF (no_new_privs is left to the caller); install it
 * later, with a prctl only. */
struct sock_fprog;
int oci_seccomp_compile(const struct oci_seccomp *s, struct sock_fprog *prog);
int oci_seccomp_install(const struct sock_fprog *prog);

#endif
