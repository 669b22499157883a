/* SPDX-License-Identifier: ISC */
/* seccomp.c: Docker's default syscall filter, and filters read from a file. */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#if defined(AF_VSOCK) && defined(AF_ALG) && AF_VSOCK != AF_ALG + 2
#error "socket families moved: fix the socket rule"
#endif

/*
 * What Docker's default profile leaves denied on x86_64 with its default
 * capabilities (runtime-facts.md). Every other syscall libseccomp knows is
 * allowed; syscalls it does not know (newer than it) are denied, as with
 * Docker's allow-list.
 */
static const char *const denied[] = {
	"_sysctl", "acct", "add_key", "afs_syscall", "bpf", "clock_settime",
	"clone3", "create_module", "delete_module", "fanotify_init",
	"finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
	"get_kernel_syms", "get_mempolicy", "getpmsg", "init_module",
	"io_uring_enter", "io_uring_register", "io_uring_setup", "ioperm",
	"iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl",
	"lookup_dcookie", "mbind", "migrate_pages", "mount", "mount_setattr",
	"move_mount", "move_pages", "nfsservctl", "open_by_handle_at",
	"open_tree", "perf_event_open", "pidfd_getfd", "pivot_root",
	"process_madvise", "putpmsg", "query_module", "quotactl",
	"quotactl_fd", "reboot", "request_key", "security", "set_mempolicy",
	"set_mempolicy_home_node", "setdomainname", "setns", "settimeofday",
	"swapoff", "swapon", "sysfs", "syslog", "tuxcall", "umount2",
	"unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vserver",
};

/* Adding a capability gives back the syscalls it gates, as Docker does. */
static const struct {
	int cap;
	const char *names;
} gates[] = {
	{ CAP_SYS_ADMIN, " bpf clone3 fanotify_init fsconfig fsmount fsopen fspick"
	    " lookup_dcookie mount mount_setattr move_mount open_tree"
	    " perf_event_open quotactl quotactl_fd setdomainname setns syslog"
	    " umount2 unshare pivot_root name_to_handle_at open_by_handle_at " },
	{ CAP_SYS_BOOT, " reboot " },
	{ CAP_SYS_MODULE, " create_module delete_module finit_module init_module " },
	{ CAP_SYS_PACCT, " acct " },
	{ CAP_SYS_PTRACE, " kcmp pidfd_getfd process_madvise process_vm_readv"
	    " process_vm_writev ptrace " },
	{ CAP_SYS_RAWIO, " iopl ioperm " },
	{ CAP_SYS_TIME, " settimeofday stime clock_settime adjtimex clock_adjtime " },
	{ CAP_SYS_TTY_CONFIG, " vhangup " },
	{ CAP_SYS_NICE, " get_mempolicy mbind set_mempolicy set_mempolicy_home_node"
	    " migrate_pages move_pages " },
	{ CAP_SYSLOG, " syslog " },
	{ CAP_BPF, " bpf " },
	{ CAP_PERFMON, " perf_event_open " },
	{ CAP_DAC_READ_SEARCH, " open_by_handle_at name_to_handle_at " },
};

static int
is_denied(const char *name, uint64_t caps)
{
	char word[64];
	size_t i;

	snprintf(word, sizeof(word), " %s ", name);
	for (i = 0; i < LEN(gates); i++)
		if ((caps & (1ULL << gates[i].cap)) && strstr(gates[i].names, word))
			return 0;
	for (i = 0; i < LEN(denied); i++)
		if (strcmp(name, denied[i]) == 0)
			return 1;
	return 0;
}

/* SCMP_A0() leaves datum_b unset, which -Wextra rightly flags. */
static struct scmp_arg_cmp
arg0(enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = 0, .op = op, .datum_a = a, .datum_b = b };

	return c;
}

#define NSFLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* One syscall of the default profile: allowed, maybe on conditions. */
static int
add_default(scmp_filter_ctx ctx, int nr, const char *name, uint64_t caps)
{
	static const scmp_datum_t persona[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
	int admin = (caps & (1ULL << CAP_SYS_ADMIN)) != 0;
	size_t i;
	int r;

	if (!admin && strcmp(name, "clone") == 0)
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    arg0(SCMP_CMP_MASKED_EQ, NSFLAGS, 0));
	if (!admin && strcmp(name, "clone3") == 0)
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	if (strcmp(name, "personality") == 0) {
		for (i = 0; i < LEN(persona); i++)
			if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    arg0(SCMP_CMP_EQ, persona[i], 0))) < 0)
				return r;
		return 0;
	}
	if (strcmp(name, "socket") == 0) {
		/* Every family but AF_ALG (38) and AF_VSOCK (40); libseccomp
		 * takes one comparison per argument and rule, so as ranges. */
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    arg0(SCMP_CMP_LT, AF_ALG, 0))) < 0 ||
		    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    arg0(SCMP_CMP_EQ, AF_ALG + 1, 0))) < 0)
			return r;
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
		    arg0(SCMP_CMP_GT, AF_VSOCK, 0));
	}
	if (is_denied(name, caps))
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int
load(scmp_filter_ctx ctx)
{
	int r = seccomp_load(ctx);

	seccomp_release(ctx);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* Docker's default filter for a process holding caps, as a libseccomp
 * context; NULL with errno set on failure. */
static scmp_filter_ctx
build_default(uint64_t caps)
{
	scmp_filter_ctx ctx;
	char *name;
	int nr, r;

	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* A binary tree of syscall numbers: the filter runs on every
	 * syscall of the container, so its depth matters more than its
	 * build time. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (nr = 0; nr < 1024; nr++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (name == NULL)
			continue;
		r = add_default(ctx, nr, name, caps);
		free(name);
		if (r < 0) {
			seccomp_release(ctx);
			errno = -r;
			return NULL;
		}
	}
	return ctx;
}

/* Write the default filter for Docker's capabilities as raw BPF: the build
 * compiles it into ns-run (see contrib/seccomp-gen.c). */
int
seccomp_export_default(int fd)
{
	scmp_filter_ctx ctx = build_default(cap_docker_default());
	int r;

	if (ctx == NULL)
		return -1;
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

#ifndef SECCOMP_NO_PRECOMPILED
/* The default filter for Docker's capabilities, made at build time:
 * building it with libseccomp costs milliseconds on every start. */
#include "seccomp-default.h"

static int
load_precompiled(void)
{
	struct sock_fprog prog = {
		.len = (unsigned short)LEN(seccomp_default_filter),
		.filter = (struct sock_filter *)seccomp_default_filter,
	};

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}
#endif

/* Build and load Docker's default filter for a process holding caps.
 * Needs no_new_privs or CAP_SYS_ADMIN. */
int
seccomp_load_default(uint64_t caps)
{
	scmp_filter_ctx ctx;

#ifndef SECCOMP_NO_PRECOMPILED
	uint64_t gated = 0;
	size_t i;

	/* The filter depends on the capabilities only through the gates:
	 * any set that holds the same gate capabilities as Docker's (none)
	 * gets the same filter, --cap-drop ALL included. */
	for (i = 0; i < LEN(gates); i++)
		gated |= 1ULL << gates[i].cap;
	if ((caps & gated) == (cap_docker_default() & gated))
		return load_precompiled();
#endif
	if ((ctx = build_default(caps)) == NULL)
		return -1;
	return load(ctx);
}

static const struct {
	const char *name;
	int num;
} errnames[] = {
	{ "EPERM", EPERM }, { "ENOSYS", ENOSYS }, { "EACCES", EACCES },
	{ "EINVAL", EINVAL }, { "ENOENT", ENOENT }, { "EOPNOTSUPP", EOPNOTSUPP },
};

static int
parse_action(char **tok, uint32_t *act)
{
	long long v;
	size_t i;

	if (strcmp(tok[0], "allow") == 0)
		*act = SCMP_ACT_ALLOW;
	else if (strcmp(tok[0], "kill") == 0)
		*act = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(tok[0], "trap") == 0)
		*act = SCMP_ACT_TRAP;
	else if (strcmp(tok[0], "log") == 0)
		*act = SCMP_ACT_LOG;
	else if (strcmp(tok[0], "errno") == 0) {
		if (tok[1] == NULL)
			return -1;
		for (i = 0; i < LEN(errnames); i++)
			if (strcmp(tok[1], errnames[i].name) == 0)
				break;
		if (i < LEN(errnames))
			v = errnames[i].num;
		else if (parse_num(tok[1], 1, 4095, &v) < 0)
			return -1;
		*act = SCMP_ACT_ERRNO((uint32_t)v);
		return 2;
	} else
		return -1;
	return 1;
}

struct seccomp_rules {
	uint32_t defact;
	size_t n;
	struct {
		uint32_t act;
		int nr;
	} r[];
};

/*
 * A filter file: one rule a line, '#' starts a comment.
 *   default ACTION             what unlisted syscalls get (default: allow)
 *   ACTION SYSCALL...          what these syscalls get
 * ACTION is allow, kill, trap, log or "errno E" (a name like EPERM or a
 * number). Read it early (before pivot_root hides the host's files) with
 * seccomp_parse_file, load it later with seccomp_load_rules. On error, err
 * holds "line N: why".
 */
struct seccomp_rules *
seccomp_parse_file(const char *path, char *err, size_t errlen)
{
	char line[4096], *tok[256];
	struct seccomp_rules *sr = NULL;
	uint32_t act;
	int lineno = 0, r, nr;
	size_t ntok, i, cap = 0;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if ((sr = calloc(1, sizeof(*sr))) == NULL)
		goto nomem;
	sr->defact = SCMP_ACT_ALLOW;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *hash;

		lineno++;
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		ntok = 0;
		while (ntok < LEN(tok) - 1 && (tok[ntok] = strtok(p, " \t\r\n")) != NULL) {
			p = NULL;
			ntok++;
		}
		tok[ntok] = NULL;
		if (ntok == 0)
			continue;
		if (strcmp(tok[0], "default") == 0) {
			if (ntok < 2 || (r = parse_action(tok + 1, &sr->defact)) < 0 ||
			    (size_t)r + 1 != ntok) {
				snprintf(err, errlen, "line %d: bad default action", lineno);
				goto fail;
			}
			continue;
		}
		if ((r = parse_action(tok, &act)) < 0) {
			snprintf(err, errlen, "line %d: unknown action '%s'", lineno, tok[0]);
			goto fail;
		}
		if ((size_t)r == ntok) {
			snprintf(err, errlen, "line %d: no syscall named", lineno);
			goto fail;
		}
		for (i = (size_t)r; i < ntok; i++) {
			nr = seccomp_syscall_resolve_name(tok[i]);
			if (nr == __NR_SCMP_ERROR) {
				snprintf(err, errlen, "line %d: unknown syscall '%s'", lineno, tok[i]);
				goto fail;
			}
			if (sr->n == cap) {
				struct seccomp_rules *n;

				cap = cap ? cap * 2 : 64;
				n = realloc(sr, sizeof(*sr) + cap * sizeof(sr->r[0]));
				if (n == NULL)
					goto nomem;
				sr = n;
			}
			sr->r[sr->n].act = act;
			sr->r[sr->n].nr = nr;
			sr->n++;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	fclose(f);
	return sr;
nomem:
	snprintf(err, errlen, "%s", strerror(ENOMEM));
fail:
	fclose(f);
	free(sr);
	errno = EINVAL;
	return NULL;
}

int
seccomp_load_rules(const struct seccomp_rules *sr)
{
	scmp_filter_ctx ctx;
	size_t i;
	int r;

	if ((ctx = seccomp_init(sr->defact)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < sr->n; i++) {
		if (sr->r[i].act == sr->defact)
			continue;
		if ((r = seccomp_rule_add(ctx, sr->r[i].act, sr->r[i].nr, 0)) < 0) {
			seccomp_release(ctx);
			errno = -r;
			return -1;
		}
	}
	return load(ctx);
}
