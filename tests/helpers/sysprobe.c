/* SPDX-License-Identifier: ISC */
/* sysprobe: call syscalls with harmless arguments and print the errno each
 * returns ("ok" on success), so tests can see what a seccomp filter
 * denies; "fds" lists the open descriptors. Usage: sysprobe NAME...
 * "sysprobe ignore SIG... -- CMD..." runs CMD with those signals ignored,
 * set through the kernel (libc may refuse its own, 32-34). */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	int err;
	const char *name;
} errs[] = {
	{ EPERM, "EPERM" }, { ENOSYS, "ENOSYS" }, { EINVAL, "EINVAL" },
	{ EFAULT, "EFAULT" }, { ENOENT, "ENOENT" }, { EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EBADF, "EBADF" }, { EACCES, "EACCES" }, { ENOTDIR, "ENOTDIR" },
	{ EBUSY, "EBUSY" }, { ENOKEY, "ENOKEY" }, { E2BIG, "E2BIG" },
};

static long
call(const char *n)
{
	if (!strcmp(n, "keyctl"))	/* KEYCTL_GET_KEYRING_ID of the session keyring */
		return syscall(SYS_keyctl, 0, -3, 0);
	if (!strcmp(n, "io_uring_setup"))
		return syscall(SYS_io_uring_setup, 0, NULL);
	if (!strcmp(n, "perf_event_open"))
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	if (!strcmp(n, "clone3"))
		return syscall(SYS_clone3, NULL, 0);
	if (!strcmp(n, "unshare"))
		return syscall(SYS_unshare, 0);
	if (!strcmp(n, "mount"))
		return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
	if (!strcmp(n, "umount2"))
		return syscall(SYS_umount2, "/nonexistent", 0);
	if (!strcmp(n, "swapon"))
		return syscall(SYS_swapon, "/nonexistent", 0);
	if (!strcmp(n, "reboot"))	/* bad magic: EINVAL if it got through */
		return syscall(SYS_reboot, 0, 0, 0, NULL);
	if (!strcmp(n, "setns"))
		return syscall(SYS_setns, -1, 0);
	if (!strcmp(n, "socket-alg")) {
		long fd = socket(AF_ALG, SOCK_SEQPACKET, 0);
		if (fd >= 0)
			close((int)fd);
		return fd;
	}
	if (!strcmp(n, "socket-inet")) {
		long fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd >= 0)
			close((int)fd);
		return fd;
	}
	if (!strcmp(n, "getpid"))
		return syscall(SYS_getpid);
	errno = ENOTSUP;
	return -2;
}

int
main(int argc, char *argv[])
{
	int i;
	size_t k;

	if (argc > 1 && !strcmp(argv[1], "ignore")) {
		struct { unsigned long handler, flags, restorer, mask; } ign = { 1, 0, 0, 0 };

		for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
			if (syscall(SYS_rt_sigaction, atoi(argv[i]), &ign, NULL, 8) < 0) {
				perror("sysprobe: ignore");
				return 1;
			}
		if (i + 1 >= argc)
			return 1;
		execvp(argv[i + 1], argv + i + 1);
		perror("sysprobe: exec");
		return 127;
	}
	for (i = 1; i < argc; i++) {
		long r;

		if (!strcmp(argv[i], "fds")) {	/* the open descriptors, as exec left them */
			int fd, first = 1;

			for (fd = 0; fd < 4096; fd++)
				if (fcntl(fd, F_GETFD) >= 0) {
					printf(first ? "%d" : " %d", fd);
					first = 0;
				}
			printf("\n");
			continue;
		}
		r = call(argv[i]);

		if (r == -2 && errno == ENOTSUP) {
			printf("%s unknown\n", argv[i]);
			continue;
		}
		if (r >= 0) {
			printf("%s ok\n", argv[i]);
			continue;
		}
		for (k = 0; k < sizeof(errs) / sizeof(errs[0]); k++)
			if (errs[k].err == errno)
				break;
		if (k < sizeof(errs) / sizeof(errs[0]))
			printf("%s %s\n", argv[i], errs[k].name);
		else
			printf("%s errno%d\n", argv[i], errno);
	}
	return 0;
}
