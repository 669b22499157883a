/* SPDX-License-Identifier: ISC */
/* caps.c: capability names, Docker's default set, and applying a set. */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

static const char *const capnames[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
	"NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	"SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	"AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	"MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
	"PERFMON", "BPF", "CHECKPOINT_RESTORE",
};

/* "NET_ADMIN", "net_admin" or "CAP_NET_ADMIN"; -1 with EINVAL otherwise. */
int
cap_from_name(const char *name)
{
	size_t i;

	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (i = 0; i < LEN(capnames); i++)
		if (strcasecmp(name, capnames[i]) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *
cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= LEN(capnames))
		return "?";
	return capnames[cap];
}

/* The highest capability the running kernel knows. */
int
cap_last(void)
{
	static int last = -1;
	char buf[16];
	long long v;

	if (last >= 0)
		return last;
	last = CAP_LAST_CAP;
	if (read_file_at(-100, "/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) > 0) {
		buf[strcspn(buf, "\n")] = '\0';
		if (parse_num(buf, 0, 63, &v) == 0)
			last = (int)v;
	}
	return last;
}

/* The 14 capabilities Docker leaves a container: 0x00000000a80425fb. */
uint64_t
cap_docker_default(void)
{
	static const int def[] = {
		CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
		CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
		CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
	};
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < LEN(def); i++)
		m |= 1ULL << def[i];
	return m;
}

/* All capabilities the kernel knows. */
uint64_t
cap_all(void)
{
	int last = cap_last();

	return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

/*
 * Drop every capability outside keep from the bounding set. Must run while
 * CAP_SETPCAP is still effective, i.e. before the uid changes.
 */
int
cap_drop_bounding(uint64_t keep)
{
	int c;

	/* Up to the first the kernel does not know (EINVAL): no need to
	 * read cap_last_cap from /proc. */
	for (c = 0; c < 64; c++) {
		if (keep & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			return -1;
		}
	}
	return 0;
}

/* Set permitted and effective to keep (as far as we hold them),
 * inheritable and ambient to nothing (CVE-2022-29162). */
int
cap_set(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	keep &= (uint64_t)data[0].permitted | (uint64_t)data[1].permitted << 32;
	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -1;
	return 0;
}

/* Parse a --cap-add/--cap-drop value into a mask: a name or "ALL". */
int
cap_parse(const char *s, uint64_t *mask)
{
	int c;

	if (strcasecmp(s, "ALL") == 0) {
		*mask = cap_all();
		return 0;
	}
	if ((c = cap_from_name(s)) < 0 || c > cap_last())
		return -1;
	*mask = 1ULL << c;
	return 0;
}
