/* SPDX-License-Identifier: ISC */
/* ociproc.h: the last steps of an OCI container's process, run inside it. */
#ifndef SKIFF_OCIPROC_H
#define SKIFF_OCIPROC_H

#include <stddef.h>

struct oci_process;
struct sock_fprog;

/* args[0] found as runc finds it (PATH from env); 0, or 127 / 126 with
 * err in runc's words ("executable file not found in $PATH"). */
int oci_find_exe(const char *arg0, char *const *env, char *out, size_t len,
    char *err, size_t errlen);
/* rlimits, oomScoreAdj, umask; -1 with err. */
int oci_proc_limits(const struct oci_process *p, char *err, size_t errlen);
/* Identity, capabilities, no_new_privs and seccomp (sc from
 * oci_seccomp_compile, or NULL; installed before setuid when
 * no_new_privs is off, as the kernel then requires), fds above 2+preserve
 * close on exec, then exec exe. Returns only on failure: the exit status
 * to report, with err. */
int oci_become(const struct oci_process *p, const struct sock_fprog *sc, const char *exe,
    int preserve, int in_userns, char *err, size_t errlen);
/* A new session with slave as its controlling terminal and stdio. */
int oci_take_tty(int slave);

#endif
