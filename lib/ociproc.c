/* SPDX-License-Identifier: ISC */
/* ociproc.c: the last steps of an OCI container's process, inside it:
 * finding the program as runc does, resource limits, identity,
 * capabilities (all five sets), no_new_privs, seccomp, then exec. */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec.h"
#include "ociproc.h"
#include "util.h"

/* err gets "what" (a format ending in ':' gets strerror); returns code. */
static int
efail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	int saved = errno;
	size_t n, flen = strlen(fmt);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (flen > 0 && fmt[flen - 1] == ':' && n < errlen)
		snprintf(err + n, errlen - n, " %s", strerror(saved));
	errno = saved;
	return code;
}

static const char *
env_get(char *const *env, const char *key)
{
	size_t k = strlen(key);

	for (; env && *env; env++)
		if (strncmp(*env, key, k) == 0 && (*env)[k] == '=')
			return *env + k + 1;
	return NULL;
}

int
oci_find_exe(const char *arg0, char *const *env, char *out, size_t len, char *err, size_t errlen)
{
	const char *path, *p, *e;
	struct stat st;
	int sawperm = 0;

	if (strchr(arg0, '/') != NULL) {
		if (stat(arg0, &st) < 0)
			return efail(err, errlen, 127, "exec: \"%s\": stat %s: no such file or directory", arg0, arg0);
		if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
			return efail(err, errlen, 126, "exec: \"%s\": permission denied", arg0);
		snprintf(out, len, "%s", arg0);
		return 0;
	}
	if ((path = env_get(env, "PATH")) == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path; ; p = e + 1) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(out, len, "%.*s%s%s", (int)(e - p), p, e > p ? "/" : "", arg0);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			sawperm = 1;
		}
		if (*e == '\0')
			break;
	}
	if (sawperm)
		return efail(err, errlen, 126, "exec: \"%s\": permission denied", arg0);
	return efail(err, errlen, 127, "exec: \"%s\": executable file not found in $PATH", arg0);
}

static int
set_caps(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &hdr, d);
}

int
oci_proc_limits(const struct oci_process *p, char *err, size_t errlen)
{
	struct rlimit rl;
	size_t i;

	for (i = 0; i < p->nrlimits; i++) {
		rl.rlim_cur = p->rlimits[i].soft;
		rl.rlim_max = p->rlimits[i].hard;
		if (setrlimit(p->rlimits[i].res, &rl) < 0)
			return efail(err, errlen, -1, "setrlimit %d to %llu:%llu:", p->rlimits[i].res,
			    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	}
	if (p->has_oom) {
		char v[16];

		snprintf(v, sizeof(v), "%d", p->oom);
		if (write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", v) < 0)
			return efail(err, errlen, -1, "oomScoreAdj %d:", p->oom);
	}
	if (p->has_umask)
		umask(p->umask);
	return 0;
}

/* Identity, capabilities, seccomp, then exec: the last steps, shared by
 * the container's first process and by exec. */
int
oci_become(const struct oci_process *p, const struct sock_fprog *sc, const char *exe,
    int preserve, int in_userns, char *err, size_t errlen)
{
	int keep[64], nkeep = 0, c, last = cap_last();

	if (p->has_caps && cap_drop_bounding(p->bounding) < 0)
		return efail(err, errlen, 1, "drop capabilities from the bounding set:");
	if (setgroups(p->ngids, p->gids) < 0 && !(in_userns && errno == EPERM && p->ngids == 0))
		return efail(err, errlen, 1, "setgroups:");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return efail(err, errlen, 1, "setgid %u:", (unsigned)p->gid);
	if (sc != NULL && !p->nnp && oci_seccomp_install(sc) < 0)
		return efail(err, errlen, 1, "load the seccomp filter:");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresuid(p->uid, p->uid, p->uid) < 0)
		return efail(err, errlen, 1, "setuid %u:", (unsigned)p->uid);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (set_caps(p->has_caps ? p->effective : 0, p->has_caps ? p->permitted : 0,
	    p->has_caps ? p->inheritable : 0) < 0)
		return efail(err, errlen, 1, "set capabilities:");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return efail(err, errlen, 1, "clear ambient capabilities:");
	/* The kernel takes an ambient capability only when it is permitted
	 * and inheritable; like runc, skip the others. */
	for (c = 0; p->has_caps && c <= last; c++)
		if ((p->ambient & p->permitted & p->inheritable & (1ULL << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return efail(err, errlen, 1, "raise ambient capability %s:", cap_name(c));
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return efail(err, errlen, 1, "no_new_privs:");
	if (sc != NULL && p->nnp && oci_seccomp_install(sc) < 0)
		return efail(err, errlen, 1, "load the seccomp filter:");
	for (c = 0; c < preserve && nkeep < (int)LEN(keep); c++)
		keep[nkeep++] = 3 + c;
	close_fds_except(keep, (size_t)nkeep);
	execve(exe, p->args, p->env);
	return efail(err, errlen, exec_status(errno), "exec: \"%s\": %s", p->args[0],
	    errno == ENOENT ? "no such file or directory" : strerror(errno));
}

int
oci_take_tty(int slave)
{
	int i;

	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return -1;
	if (slave > 2)
		close(slave);
	return 0;
}
