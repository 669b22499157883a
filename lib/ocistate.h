/* SPDX-License-Identifier: ISC */
/* ocistate.h: an OCI runtime's bookkeeping: the state directory of each
 * container, its status, hooks, signals by name, a pty sent to a socket. */
#ifndef SKIFF_OCISTATE_H
#define SKIFF_OCISTATE_H

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

struct oci_hook;

/* ROOT/ID/state.json: what create learned, for the later commands. */
struct oci_state {
	char id[256];
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char cgroup[PATH_MAX];
	char created[64];
	pid_t pid;
	unsigned long long start;	/* the pid's start time, against reuse */
	int tty;
};

/* root/id[/file] into buf; -1 (ENAMETOOLONG) when it does not fit. */
int oci_state_path(char *buf, size_t len, const char *root, const char *id, const char *file);
int oci_state_write(const char *root, const struct oci_state *s);
/* -1 with ENOENT when there is no such container, EINVAL when unreadable. */
int oci_state_read(const char *root, const char *id, struct oci_state *s);
void oci_state_remove(const char *root, const char *id);
/* Field 22 of /proc/PID/stat; 0 when the process is gone or a zombie. */
unsigned long long oci_proc_start(pid_t pid);
int oci_state_alive(const struct oci_state *s);
/* created (the fifo is still there), running, paused or stopped. */
const char *oci_state_status(const char *root, const struct oci_state *s);
/* The OCI state JSON (runtime-spec "state"). */
void oci_state_print(FILE *f, const char *root, const struct oci_state *s);

void oci_json_str(FILE *f, const char *s);
/* RFC 3339 with nanoseconds, UTC. */
void oci_timestamp(char *buf, size_t len);
/* "TERM", "SIGTERM" or "15"; -1 when unknown. */
int oci_signum(const char *s);
/* Send fd over the Unix socket at path with SCM_RIGHTS (--console-socket). */
int oci_send_fd(const char *path, int fd);
/* Run hooks one after the other, state on stdin; the first failure stops
 * them, with err "hook PATH: why". */
int oci_hooks_run(const struct oci_hook *h, size_t n, const char *state, char *err, size_t errlen);

#endif
