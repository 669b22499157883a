/* SPDX-License-Identifier: ISC */
/* ns-run: run a program as a container: namespaces, a pivoted root, fresh
 * /proc /dev /sys, Docker's capabilities and seccomp filter, a tiny init. */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rootfs.h"
#include "util.h"

extern char **environ;

/* cmd/ns-runc.c: the OCI runtime command line, linked into ns-runc. */
#ifdef NS_RUN_OCI
int oci_main(int argc, char *argv[]);
#define OCI_MAIN oci_main
#else
static int
exec_ns_runc(int argc, char *argv[])
{
	(void)argc;
	argv[0] = (char *)"ns-runc";
	execvp(argv[0], argv);
	die(exec_status(errno), "exec ns-runc (the OCI runtime):");
}
#define OCI_MAIN exec_ns_runc
#endif

enum netmode { NET_NEW, NET_INHERIT, NET_HOST, NET_JOIN };

static struct {
	const char *rootfs;
	const char *hostname;
	const char *workdir;
	const char *user;
	const char *seccomp;	/* "default", "unconfined" or a file */
	const char *netpath;
	enum netmode net;
	uint64_t capadd, capdrop;
	int clearenv, readonly, tty, userns, noinit, privileged;
	pid_t join;
	char **env;
	size_t nenv;
	struct {
		int res;
		struct rlimit rl;
	} rlimits[16];
	size_t nrlimits;
	char **argv;
} conf = { .seccomp = "default", .net = NET_NEW };

/* Descriptors held across the fork: the rootfs, a network namespace, the
 * pty's slave end, and the socket that hands the pty master outside. */
static int netfd = -1, ptyslave = -1;
static char ptyname[64];
static struct seccomp_rules *filter;	/* --seccomp FILE, read before pivot_root */
static int in_userns;

static const char usage_line[] =
    "ns-run [--cap-add CAP] [--cap-drop CAP] [--clear-env] [--env K=V]"
    " [--hostname NAME] [--join PID] [--net new|inherit|host|PATH] [--no-init]"
    " [--privileged] [--read-only] [--rlimit NAME=SOFT[:HARD]]"
    " [--rootfs DIR] [--seccomp default|unconfined|FILE] [--tty]"
    " [--user UID[:GID]] [--userns] [--workdir DIR] -- PROGRAM [ARG...]";

enum {
	O_CAPADD = 0x100, O_CAPDROP, O_CLEARENV, O_JOIN, O_NET, O_NOINIT, O_PRIV,
	O_READONLY, O_RLIMIT, O_SECCOMP, O_USERNS,
};

static const struct optspec options[] = {
	{ "cap-add", required_argument, O_CAPADD, "CAP", "add a capability (or ALL) to Docker's 14" },
	{ "cap-drop", required_argument, O_CAPDROP, "CAP", "drop a capability (or ALL)" },
	{ "clear-env", no_argument, O_CLEARENV, NULL, "start from an empty environment (PATH, HOME, HOSTNAME, TERM set)" },
	{ "env", required_argument, 'e', "K=V", "set a variable in the container's environment" },
	{ "hostname", required_argument, 'h', "NAME", "the container's hostname" },
	{ "join", required_argument, O_JOIN, "PID", "run in the namespaces, root and cgroup of a running container's process" },
	{ "net", required_argument, O_NET, "MODE", "new (default, only lo), inherit, host, or a netns PATH" },
	{ "no-init", no_argument, O_NOINIT, NULL, "run PROGRAM as PID 1 instead of under ns-run's init" },
	{ "privileged", no_argument, O_PRIV, NULL, "all capabilities, no seccomp, no masked paths" },
	{ "read-only", no_argument, O_READONLY, NULL, "mount the root read-only" },
	{ "rlimit", required_argument, O_RLIMIT, "NAME=SOFT[:HARD]", "set a resource limit (nofile, nproc, core, ...)" },
	{ "rootfs", required_argument, 'r', "DIR", "the container's root directory (default: /)" },
	{ "seccomp", required_argument, O_SECCOMP, "PROFILE", "default, unconfined, or a filter FILE" },
	{ "tty", no_argument, 't', NULL, "give the program a pty when stdin is a terminal" },
	{ "user", required_argument, 'u', "UID[:GID]", "run as this user (a number or a name in the rootfs)" },
	{ "userns", no_argument, O_USERNS, NULL, "a user namespace mapping the caller to root" },
	{ "workdir", required_argument, 'w', "DIR", "working directory inside the container" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_SETUP);
}

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
	{ "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};

static int
parse_rlim_value(const char *s, rlim_t *out)
{
	long long v;

	if (strcmp(s, "unlimited") == 0 || strcmp(s, "-1") == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (parse_num(s, 0, LLONG_MAX, &v) < 0)
		return -1;
	*out = (rlim_t)v;
	return 0;
}

/* "nofile=1024:4096", "core=0", also "RLIMIT_NOFILE=..." as OCI spells it. */
static void
add_rlimit(const char *arg)
{
	char name[32], *colon;
	const char *eq = strchr(arg, '=');
	char val[64];
	size_t i, n;
	struct rlimit rl;

	if (eq == NULL || (n = (size_t)(eq - arg)) >= sizeof(name) ||
	    strlen(eq + 1) >= sizeof(val))
		die(EXIT_SETUP, "--rlimit %s: expected NAME=SOFT[:HARD]", arg);
	memcpy(name, arg, n);
	name[n] = '\0';
	for (i = 0; name[i]; i++)
		name[i] = (char)tolower((unsigned char)name[i]);
	if (strncmp(name, "rlimit_", 7) == 0)
		memmove(name, name + 7, strlen(name + 7) + 1);
	for (i = 0; i < LEN(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			break;
	if (i == LEN(rlimit_names))
		die(EXIT_SETUP, "--rlimit %s: unknown resource '%s'", arg, name);
	strcpy(val, eq + 1);
	if ((colon = strchr(val, ':')) != NULL)
		*colon++ = '\0';
	if (parse_rlim_value(val, &rl.rlim_cur) < 0 ||
	    parse_rlim_value(colon ? colon : val, &rl.rlim_max) < 0)
		die(EXIT_SETUP, "--rlimit %s: bad value", arg);
	if (rl.rlim_cur > rl.rlim_max)
		die(EXIT_SETUP, "--rlimit %s: soft limit above hard limit", arg);
	if (conf.nrlimits == LEN(conf.rlimits))
		die(EXIT_SETUP, "--rlimit %s: too many limits", arg);
	conf.rlimits[conf.nrlimits].res = rlimit_names[i].res;
	conf.rlimits[conf.nrlimits].rl = rl;
	conf.nrlimits++;
}

static void
parse_args(int argc, char *argv[])
{
	uint64_t mask;
	long long v;
	char *help;
	int c;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_CAPADD:
		case O_CAPDROP:
			if (cap_parse(optarg, &mask) < 0)
				die(EXIT_SETUP, "--cap-%s %s: unknown capability",
				    c == O_CAPADD ? "add" : "drop", optarg);
			if (c == O_CAPADD)
				conf.capadd |= mask;
			else
				conf.capdrop |= mask;
			break;
		case O_CLEARENV: conf.clearenv = 1; break;
		case 'e':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=')
				die(EXIT_SETUP, "--env %s: expected K=V", optarg);
			conf.env = reallocarray(conf.env, conf.nenv + 1, sizeof(*conf.env));
			if (conf.env == NULL)
				die(EXIT_SETUP, "--env:");
			conf.env[conf.nenv++] = optarg;
			break;
		case 'h':
			if (strlen(optarg) == 0 || strlen(optarg) > 64)
				die(EXIT_SETUP, "--hostname %s: must be 1 to 64 bytes", optarg);
			conf.hostname = optarg;
			break;
		case O_NET:
			if (strcmp(optarg, "new") == 0)
				conf.net = NET_NEW;
			else if (strcmp(optarg, "inherit") == 0)
				conf.net = NET_INHERIT;
			else if (strcmp(optarg, "host") == 0)
				conf.net = NET_HOST;
			else if (optarg[0] == '/' || optarg[0] == '.') {
				conf.net = NET_JOIN;
				conf.netpath = optarg;
			} else
				die(EXIT_SETUP, "--net %s: expected new, inherit, host or a path", optarg);
			break;
		case O_NOINIT: conf.noinit = 1; break;
		case O_PRIV: conf.privileged = 1; break;
		case O_READONLY: conf.readonly = 1; break;
		case O_RLIMIT: add_rlimit(optarg); break;
		case 'r': conf.rootfs = optarg; break;
		case O_SECCOMP: conf.seccomp = optarg; break;
		case 't': conf.tty = 1; break;
		case 'u': conf.user = optarg; break;
		case O_USERNS: conf.userns = 1; break;
		case O_JOIN:
			if (parse_num(optarg, 1, 4194304, &v) < 0)
				die(EXIT_SETUP, "--join %s: expected a process id", optarg);
			conf.join = (pid_t)v;
			break;
		case 'w':
			if (optarg[0] != '/')
				die(EXIT_SETUP, "--workdir %s: must be an absolute path", optarg);
			conf.workdir = optarg;
			break;
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) == NULL)
				die(EXIT_SETUP, "--help:");
			fputs(help, stdout);
			exit(0);
		case OPT_VERSION:
			printf("ns-run %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_SETUP, c, argv);
		}
	}
	if (optind >= argc)
		usage();
	conf.argv = argv + optind;
}

/* ---- the container ----------------------------------------------- */

/*
 * --net new: the process outside makes the network namespace, on another
 * CPU, while PID 1 and the program's process make the others and build
 * the root filesystem; it takes about as long as they do. It then sends
 * the namespace over this socket, once for PID 1 and once for the
 * program's process, which join it before /sys is mounted (sysfs shows
 * the mounter's). Sent, not opened from inside: none of the three is
 * dumpable, and in a user namespace /proc/PID/ns and pidfds of a process
 * that is not dumpable are refused.
 */
static int netsock[2] = { -1, -1 };
static pid_t pid1;
/* The CPUs the caller let us use, read before the fork. */
static cpu_set_t cpus;
/* PID 1 was sent to another CPU than ours (push_pid1). */
static int pushed;

union fdmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

static int
pin(pid_t pid, int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(pid, sizeof(one), &one);
}

/*
 * The scheduler puts a new process on its parent's CPU and leaves it
 * waiting there while the parent runs on: the idle CPU only pulls it over
 * once it is no longer "cache hot", about as long as making the network
 * namespace takes. So the process outside sends PID 1, which has not run
 * yet, to another of the caller's CPUs and makes the namespace on its
 * own. (Moving itself instead, as ns-run once did, stops it for the
 * kernel's stopper thread; this was faster, contrib/notes/issue-2.md.)
 * PID 1 takes the caller's set back once it has the namespace
 * (finish_rootfs), the program's process as soon as it starts.
 */
static void
push_pid1(pid_t child)
{
	int cur, cpu;

	if (CPU_COUNT(&cpus) < 2 || (cur = sched_getcpu()) < 0)
		return;
	for (cpu = (cur + 1) % CPU_SETSIZE; !CPU_ISSET(cpu, &cpus); cpu = (cpu + 1) % CPU_SETSIZE)
		;
	pushed = pin(child, cpu) == 0;
}

/* In the process outside, after the fork. */
static void
make_net(void)
{
	union fdmsg u;
	char b = 0;
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	int fd, i, cpu;

	close(netsock[0]);
	if (unshare(CLONE_NEWNET) < 0)
		die(EXIT_SETUP, "unshare network namespace:");
	/* With an init, PID 1 brings lo up while it finishes the root
	 * filesystem, and this CPU is free sooner. */
	if (conf.noinit && net_lo_up() < 0)
		die(EXIT_SETUP, "bring lo up:");
	if ((fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "open the network namespace:");
	memset(&u, 0, sizeof(u));
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	u.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
	/* This CPU is about to be idle, while PID 1, which the namespace
	 * wakes, shares its own with the program's process: hand it this
	 * one, before the namespace, after which PID 1 takes the caller's
	 * CPUs back. */
	if (pushed && (cpu = sched_getcpu()) >= 0)
		pin(pid1, cpu);
	/* One for PID 1 and one for the program's process, or one for the
	 * program as PID 1. EPIPE: the container is gone, its status says why. */
	for (i = conf.noinit ? 1 : 0; i < 2; i++)
		if (sendmsg(netsock[1], &m, MSG_NOSIGNAL) != 1 && errno != EPIPE)
			die(EXIT_SETUP, "hand the network namespace over:");
	close(fd);
	close(netsock[1]);
}

/* Join the network namespace the process outside sends; also
 * rootfs_opts.before_sys. */
static int
join_net(int rootfd, char *err, size_t errlen)
{
	union fdmsg u;
	char b;
	struct iovec iov = { &b, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *h;
	int fd = -1;

	(void)rootfd;
	if (netsock[0] < 0)
		return 0;
	if (recvmsg(netsock[0], &m, MSG_CMSG_CLOEXEC) == 1 && (h = CMSG_FIRSTHDR(&m)) &&
	    h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
	    h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	close(netsock[0]);
	netsock[0] = -1;
	if (fd < 0) {
		snprintf(err, errlen, "join the new network namespace: not received");
		return -1;
	}
	if (setns(fd, CLONE_NEWNET) < 0) {
		snprintf(err, errlen, "join the new network namespace: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * With an init and --net new, PID 1 and the program's process share the
 * root filesystem's work. PID 1 binds the root before the fork, then
 * makes /dev while the program's process mounts /proc and the masked
 * paths (a masked file waits for /dev/null: PID 1's first word). Once in
 * the network namespace PID 1 mounts /sys and its masks and brings lo up
 * while it waits for the program's process to pivot. The program's
 * process stops after pivot_root; PID 1 (pivot_root moved its root and
 * working directory too) then detaches the old root, which waits for an
 * RCU grace period, makes /proc's read-only paths so, and the root
 * read-only if asked, while the program's process resets its signals,
 * drops its capabilities, joins the network namespace and loads its
 * seccomp filter. Then PID 1 sends its second word, which the program's
 * process waits for before exec. A socket between the two: one byte at a
 * time. (The program's process has the longer way, so the work that
 * either could do is PID 1's.)
 */
static int finishsock[2] = { -1, -1 };

/* In the program's process, before exec. */
static void
wait_finished(void)
{
	char b;

	if (finishsock[1] < 0)
		return;
	if (read(finishsock[1], &b, 1) != 1)
		die(EXIT_SETUP, "PID 1 did not finish the root filesystem");
	close(finishsock[1]);
	finishsock[1] = -1;
}

static void rootfs_options(struct rootfs_opts *ro);

/* rootfs_opts.wait_dev, in the program's process: PID 1's first word. */
static int
wait_dev(char *err, size_t errlen)
{
	char b;

	if (read(finishsock[1], &b, 1) != 1) {
		snprintf(err, errlen, "PID 1 did not make /dev");
		return -1;
	}
	return 0;
}

/* Whether the program's process has pivoted (or is gone). */
static int
pivoted(void)
{
	char b;

	return recv(finishsock[0], &b, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

/* Once the program's process has pivoted: the old root detached (an RCU
 * wait) and /proc's read-only paths. Returns 0 if it is gone instead. */
static int
finish_old_root(const struct rootfs_opts *ro, int root)
{
	char b, err[512];

	if (read(finishsock[0], &b, 1) != 1)
		return 0;
	if (rootfs_finish(ro, err, sizeof(err)) < 0 || rootfs_proc_ro(ro, root, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s", err);
	return 1;
}

/*
 * In PID 1: the network namespace joined, /sys and lo in it, the old root,
 * and the word to go on. The namespace may come before the program's
 * process pivots or after (when making it is slow), and what comes first
 * is acted on first. In a user namespace, which may only mount sysfs
 * while another is visible, /sys comes before the old root is detached.
 */
static void
finish_rootfs(const struct rootfs_opts *ro, int root, const struct rootfs_host *host)
{
	struct pollfd pf[2] = { { netsock[0], POLLIN, 0 }, { finishsock[0], POLLIN, 0 } };
	char err[512];
	int sys = 0, lo = 0, old = 0;

	close(finishsock[1]);
	if (!in_userns) {
		while (poll(pf, 2, -1) < 0 && errno == EINTR)
			;
		if (!(pf[0].revents & POLLIN) && pivoted())
			old = finish_old_root(ro, root);
	}
	if (join_net(-1, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s", err);
	if (in_userns || (!old && !pivoted())) {
		if (rootfs_sys(ro, root, host, err, sizeof(err)) < 0)
			die(EXIT_SETUP, "%s", err);
		sys = 1;
	}
	if (!old && !pivoted()) {
		if (net_lo_up() < 0)
			die(EXIT_SETUP, "bring lo up:");
		lo = 1;
	}
	if (old || (old = finish_old_root(ro, root))) {
		if (!sys && rootfs_sys(ro, root, host, err, sizeof(err)) < 0)
			die(EXIT_SETUP, "%s", err);
		if (!lo && net_lo_up() < 0)
			die(EXIT_SETUP, "bring lo up:");
		if (CPU_COUNT(&cpus) > 1)
			sched_setaffinity(0, sizeof(cpus), &cpus);
		/* EPIPE: the program's process is gone; its status says why. */
		if (send(finishsock[0], "", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
			die(EXIT_SETUP, "finish the root filesystem:");
	}
	close(finishsock[0]);
}

/* The namespaces other than PID's, which the process outside made. */
static void
enter_namespaces(void)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;

	if (netfd >= 0 && setns(netfd, CLONE_NEWNET) < 0)
		die(EXIT_SETUP, "join network namespace %s:",
		    conf.netpath ? conf.netpath : "of PID 1");
	if (netfd >= 0)
		close(netfd);
	if (unshare(flags) < 0)
		die(EXIT_SETUP, "unshare namespaces:");
	if (conf.hostname && sethostname(conf.hostname, strlen(conf.hostname)) < 0)
		die(EXIT_SETUP, "sethostname %s:", conf.hostname);
}

static void
rootfs_options(struct rootfs_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->path = conf.rootfs;
	ro->readonly = conf.readonly;
	ro->privileged = conf.privileged;
	ro->in_userns = in_userns;
	ro->ptyname = ptyslave >= 0 ? ptyname : NULL;
	ro->finish_elsewhere = finishsock[1] >= 0;
	/* Otherwise the network namespace is joined after pivot_root. */
	ro->before_sys = ro->finish_elsewhere ? NULL : join_net;
	/* PID 1 makes /dev meanwhile, too. */
	ro->prepared = ro->dev_elsewhere = ro->finish_elsewhere;
	ro->wait_dev = wait_dev;
}

/* The root filesystem (lib/rootfs.c). */
static void
enter_rootfs(void)
{
	struct rootfs_opts ro;
	char err[512];

	rootfs_options(&ro);
	if (rootfs_enter(&ro, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s", err);
	if (ro.finish_elsewhere) {
		if (send(finishsock[1], "", 1, MSG_NOSIGNAL) != 1)
			die(EXIT_SETUP, "hand the root filesystem to PID 1:");
	}
}

/* ---- the program's process ---------------------------------------- */

static void
resolve_user(uid_t *uid, gid_t *gid, char *home, size_t homelen)
{
	char ubuf[256], *g;
	long long u = 0, gg = -1, tmp;

	snprintf(home, homelen, "/");
	if (conf.user == NULL) {
		passwd_lookup("/etc/passwd", "0", &u, &gg, home, homelen);
		if (strcmp(home, "/") == 0)
			snprintf(home, homelen, "/root");
		*uid = 0;
		*gid = 0;
		return;
	}
	snprintf(ubuf, sizeof(ubuf), "%s", conf.user);
	if ((g = strchr(ubuf, ':')) != NULL)
		*g++ = '\0';
	if (passwd_lookup("/etc/passwd", ubuf, &u, &gg, home, homelen) < 0) {
		if (parse_num(ubuf, 0, UINT32_MAX - 1, &u) < 0)
			die(EXIT_SETUP, "--user %s: no such user in /etc/passwd", conf.user);
		gg = u;
	}
	if (g != NULL) {
		if (passwd_lookup("/etc/group", g, &tmp, NULL, NULL, 0) == 0)
			gg = tmp;
		else if (parse_num(g, 0, UINT32_MAX - 1, &gg) < 0)
			die(EXIT_SETUP, "--user %s: no such group in /etc/group", conf.user);
	}
	*uid = (uid_t)u;
	*gid = (gid_t)(gg < 0 ? u : gg);
}

static int
env_has(char **env, size_t n, const char *kv)
{
	size_t k = strcspn(kv, "="), i;

	for (i = 0; i < n; i++)
		if (strncmp(env[i], kv, k) == 0 && env[i][k] == '=')
			return (int)i;
	return -1;
}

/* The container's environment: the caller's (or, with --clear-env, what
 * Docker sets), then each --env, later ones winning. */
static char **
build_env(const char *home)
{
	static char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	char **env, buf[300], hn[80];
	size_t n = 0, i, cap;
	int k;

	cap = conf.nenv + 8;
	if (!conf.clearenv)
		for (i = 0; environ[i]; i++)
			cap++;
	if ((env = calloc(cap, sizeof(*env))) == NULL)
		die(EXIT_SETUP, "environment:");
	if (!conf.clearenv) {
		for (i = 0; environ[i]; i++)
			env[n++] = environ[i];
	} else {
		env[n++] = path;
		snprintf(buf, sizeof(buf), "HOME=%s", home);
		env[n++] = strdup(buf);
		if (gethostname(hn, sizeof(hn) - 1) == 0) {
			hn[sizeof(hn) - 1] = '\0';
			snprintf(buf, sizeof(buf), "HOSTNAME=%s", hn);
			env[n++] = strdup(buf);
		}
		if (conf.tty)
			env[n++] = "TERM=xterm";
	}
	for (i = 0; i < conf.nenv; i++) {
		if ((k = env_has(env, n, conf.env[i])) >= 0)
			env[k] = conf.env[i];
		else
			env[n++] = conf.env[i];
	}
	env[n] = NULL;
	return env;
}

static void
reset_signals(void)
{
	/* The kernel's struct sigaction: the handler first but on MIPS. */
	struct {
#if defined(__mips__)
		unsigned long flags;
		void *handler;
#else
		void *handler;
		unsigned long flags;
#endif
		unsigned long rest[3];
	} old;
	static const struct { unsigned long a[5]; } dfl;
	sigset_t all;
	int s;

	/* Exec sets caught signals back to the default, but not ignored
	 * ones: those are what the container must not inherit. Asking the
	 * kernel signal by signal is cheaper than reading /proc/self/status
	 * from a /proc just mounted. Through the kernel: musl refuses 32-34,
	 * which it keeps for itself, and a caller may well have ignored them
	 * (CI's does). */
	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP &&
		    syscall(SYS_rt_sigaction, s, NULL, &old, NSIG / 8) == 0 &&
		    old.handler == (void *)SIG_IGN)
			syscall(SYS_rt_sigaction, s, &dfl, NULL, NSIG / 8);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

/* Narrow to what the program may have, then exec it. Runs inside the
 * container, after pivot_root. */
static noreturn void
exec_program(void)
{
	uint64_t caps;
	uid_t uid;
	gid_t gid;
	char home[256], cwd[PATH_MAX], err[256];
	char **env;
	size_t i;

	reset_signals();
	/* A session of its own: no controlling terminal to push input into
	 * (TIOCSTI, CVE-2017-5226), unless it is the pty we made for it. */
	if (setsid() < 0)
		die(EXIT_SETUP, "setsid:");
	if (ptyslave >= 0) {
		if (ioctl(ptyslave, TIOCSCTTY, 0) < 0)
			die(EXIT_SETUP, "make the pty the controlling terminal:");
		for (i = 0; i < 3; i++)
			if (dup2(ptyslave, (int)i) < 0)
				die(EXIT_SETUP, "dup2 pty:");
		if (ptyslave > 2)
			close(ptyslave);
	}
	resolve_user(&uid, &gid, home, sizeof(home));
	env = build_env(home);
	for (i = 0; i < conf.nrlimits; i++)
		if (setrlimit(conf.rlimits[i].res, &conf.rlimits[i].rl) < 0)
			die(EXIT_SETUP, "setrlimit %s:", conf.argv[0]);

	caps = conf.privileged ? cap_all() : cap_docker_default();
	caps = (caps | conf.capadd) & ~conf.capdrop;
	if (cap_drop_bounding(caps) < 0)
		die(EXIT_SETUP, "drop capabilities from the bounding set:");
	if (setgroups(0, NULL) < 0 && !(in_userns && errno == EPERM))
		die(EXIT_SETUP, "setgroups:");
	/* When PID 1 finishes the root filesystem, the network namespace
	 * is still being made while the steps above run; joining it needs
	 * CAP_SYS_ADMIN, which the steps below give up. */
	if (join_net(-1, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s", err);
	if (setresgid(gid, gid, gid) < 0)
		die(EXIT_SETUP, "setgid %u:", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		die(EXIT_SETUP, "setuid %u:", (unsigned)uid);
	/* Leaving uid 0 has cleared permitted and effective; for root, set
	 * them to the container's set. Inheritable and ambient end empty. */
	if (cap_set(uid == 0 ? caps : 0) < 0)
		die(EXIT_SETUP, "set capabilities:");

	if (conf.workdir) {
		if (chdir(conf.workdir) < 0)
			die(EXIT_SETUP, "--workdir %s:", conf.workdir);
	}
	/* A cwd outside the root shows as "(unreachable)" (CVE-2024-21626). */
	if (getcwd(cwd, sizeof(cwd)) == NULL || cwd[0] != '/')
		die(EXIT_SETUP, "working directory is outside the container");

	if (close_fds_except(NULL, 0) < 0)
		die(EXIT_SETUP, "close inherited descriptors:");
	if (!conf.privileged && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_SETUP, "no_new_privs:");
	if (strcmp(conf.seccomp, "unconfined") == 0 || conf.privileged) {
		/* nothing */
	} else if (strcmp(conf.seccomp, "default") == 0) {
		if (seccomp_load_default(caps) < 0)
			die(EXIT_SETUP, "load the seccomp filter:");
	} else {
		/* A filter of the user's might refuse the read below. */
		wait_finished();
		if (seccomp_load_rules(filter) < 0)
			die(EXIT_SETUP, "load seccomp filter %s:", conf.seccomp);
	}

	wait_finished();
	environ = env;
	execvp(conf.argv[0], conf.argv);
	die(exec_status(errno), "exec %s:", conf.argv[0]);
}

/* ---- PID 1 and the process outside -------------------------------- */

static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};

static void
on_signal(int sig)
{
	(void)sig;
}

/* Block the forwarded signals and SIGCHLD, with a handler installed: PID 1
 * of a namespace never sees a signal whose action is the default. */
static void
catch_signals(sigset_t *set)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (i = 0; i < LEN(forwarded); i++)
		sigaddset(set, forwarded[i]);
	sigprocmask(SIG_BLOCK, set, NULL);
	for (i = 0; i < LEN(forwarded); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

static int
status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return EXIT_SETUP;
}

/*
 * Wait for child, forwarding signals to it and reaping every other
 * process that ends up ours. Returns child's status code, or -1 once
 * limit (if not NULL) has passed without a signal. Used both by PID 1 in
 * the container (reaping orphans) and by the process outside.
 */
static int
supervise(pid_t child, const sigset_t *set, int master, const struct timespec *limit)
{
	struct winsize ws;
	siginfo_t si;
	pid_t p;
	int st, code = -1;

	for (;;) {
		if (sigtimedwait(set, &si, limit) < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -1 : EXIT_SETUP;
		}
		if (si.si_signo != SIGCHLD) {
			if (si.si_signo == SIGWINCH && master >= 0 &&
			    ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
			kill(child, si.si_signo);
			continue;
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == child)
				code = status_code(st);
		if (code >= 0)
			return code;
	}
}

#if defined(__x86_64__)
/*
 * The idle PID 1, kept small. After the fork the init needs nothing of
 * ns-run but a loop around four syscalls, so that loop lives on a page of
 * its own, calls the kernel directly, and starts by unmapping the rest of
 * the binary's text and read-only data: an idle container's PID 1 then
 * holds its stack, its data and this one page, not the 170 kB that the
 * kernel's fault-around maps in for the setup code. Nothing here may call
 * into libc or touch read-only data.
 */
#define LEAN __attribute__((section(".text.ns_run_pid1"), aligned(4096), noinline, \
    __noreturn__, optimize("no-stack-protector", "no-tree-loop-distribute-patterns")))

static inline __attribute__((always_inline)) long
sys4(long n, long a, long b, long c, long d)
{
	long r;
	register long r10 __asm__("r10") = d;

	__asm__ volatile ("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c),
	    "r"(r10) : "rcx", "r11", "memory");
	return r;
}

struct span {
	unsigned long start, len;
};

static void LEAN
lean_pid1(pid_t child, const sigset_t *set, const struct span *unmap, int nunmap)
{
	siginfo_t si;
	long sig, p;
	int i, st, code = -1;

	for (i = 0; i < nunmap; i++)
		sys4(SYS_munmap, (long)unmap[i].start, (long)unmap[i].len, 0, 0);
	for (;;) {
		sig = sys4(SYS_rt_sigtimedwait, (long)set, (long)&si, 0, NSIG / 8);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			sys4(SYS_kill, child, sig, 0, 0);
			continue;
		}
		while ((p = sys4(SYS_wait4, -1, (long)&st, WNOHANG, 0)) > 0)
			if (p == child)
				code = (st & 0x7f) == 0 ? (st >> 8) & 0xff : 128 + (st & 0x7f);
		if (code >= 0)
			sys4(SYS_exit_group, code, 0, 0, 0);
	}
}

static int
add_span(struct span *out, int n, unsigned long a, unsigned long b)
{
	if (n > 0 && out[n - 1].start + out[n - 1].len == a) {
		out[n - 1].len += b - a;
		return n;
	}
	out[n] = (struct span){ a, b - a };
	return n + 1;
}

/* The read-only, file-backed mappings of our own binary, minus the page
 * holding lean_pid1: what PID 1 can give back. */
static int
unmappable(struct span *out, int max)
{
	unsigned long keep = (unsigned long)(void *)lean_pid1, a, b, ino;
	char line[512], perms[8];
	int n = 0;
	FILE *f;

	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return 0;
	while (n + 2 <= max && fgets(line, sizeof(line), f)) {
		/* "start-end perms offset dev inode path", parsed by hand:
		 * sscanf would pull scanf's float code into the binary. */
		char *p = line, *w;
		int i;

		a = strtoul(p, &p, 16);
		b = strtoul(*p == '-' ? p + 1 : p, &p, 16);
		while (*p == ' ')
			p++;
		snprintf(perms, sizeof(perms), "%.4s", p);
		for (i = 0; i < 3 && (w = strchr(p, ' ')) != NULL; i++)
			p = w + 1;
		ino = strtoul(p, NULL, 10);
		if (i < 3 || ino == 0 || strchr(perms, 'w') != NULL)
			continue;
		/* Adjacent mappings (headers, text, rodata) are one span:
		 * each munmap is a TLB flush. */
		if (keep >= a && keep < b) {
			if (keep > a)
				n = add_span(out, n, a, keep);
			if (keep + 4096 < b)
				out[n++] = (struct span){ keep + 4096, b - keep - 4096 };
		} else
			n = add_span(out, n, a, b);
	}
	fclose(f);
	return n;
}
#endif

/*
 * PID 1 of the container. It makes the namespaces, then leaves the root
 * filesystem to the program's process: pivot_root moves every process of
 * the mount namespace whose root and cwd are the old root, so PID 1 ends
 * up inside too, without having run (and kept resident) the setup code.
 * That keeps an idle container's PID 1 small.
 */
static noreturn void
container_init(const sigset_t *set)
{
	struct rootfs_opts ro;
	char err[512];
	struct rootfs_host host = { 0, -1 };
	int root = -1;
	pid_t child;

	enter_namespaces();
	if (conf.noinit) {
		enter_rootfs();
		exec_program();
	}
	if (chdir("/") < 0)
		die(EXIT_SETUP, "chdir /:");
	if (netsock[0] >= 0) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, finishsock) < 0)
			die(EXIT_SETUP, "socketpair:");
		rootfs_options(&ro);
		if ((root = rootfs_prepare(&ro, err, sizeof(err))) < 0)
			die(EXIT_SETUP, "%s", err);
	}
	child = fork();
	if (child < 0)
		die(EXIT_SETUP, "fork the program:");
	if (child == 0) {
		if (finishsock[0] >= 0) {
			close(finishsock[0]);
			close(root);
			/* PID 1 was pinned to one CPU (push_pid1, make_net)
			 * and passed the pin on: take the caller's CPUs back. */
			if (CPU_COUNT(&cpus) > 1)
				sched_setaffinity(0, sizeof(cpus), &cpus);
		}
		enter_rootfs();
		exec_program();
	}
	prctl(PR_SET_NAME, "ns-run-init", 0, 0, 0);
	if (finishsock[0] >= 0) {
		/* The host's /sys is in sight until the program's process
		 * pivots, which waits for /dev. */
		rootfs_host_probe(&host);
		if (rootfs_dev(&ro, root, err, sizeof(err)) < 0)
			die(EXIT_SETUP, "%s", err);
		if (send(finishsock[0], "", 1, MSG_NOSIGNAL) != 1 && errno != EPIPE)
			die(EXIT_SETUP, "hand /dev to the program's process:");
	}
	if (ptyslave >= 0)
		close(ptyslave);
	if (finishsock[0] >= 0) {
		finish_rootfs(&ro, root, &host);
		close(root);
		rootfs_host_close(&host);
	} else if (join_net(-1, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s", err);
	/* When PID 1 exits, the kernel kills everything left inside. */
#if defined(__x86_64__)
	{
		/* PID 1 gives the binary's pages back once the program has
		 * run a while: a short one is reaped before that, and a
		 * program starting up has the CPU to itself. */
		static const struct timespec settle = { 0, 20 * 1000 * 1000 };
		struct span spans[16];
		int n, code;

		if ((code = supervise(child, set, -1, &settle)) >= 0)
			_exit(code);
		n = unmappable(spans, LEN(spans));
		lean_pid1(child, set, spans, n);
	}
#endif
	_exit(supervise(child, set, -1, NULL));
}

static void
write_map(const char *file, const char *map)
{
	if (write_file_at(AT_FDCWD, file, map) < 0)
		die(EXIT_SETUP, "write %s:", file);
}

/* The caller becomes root in a user namespace of its own; setgroups is
 * denied first, as the kernel requires of an unprivileged gid_map writer
 * (CVE-2014-8989). */
static void
enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0)
		die(EXIT_SETUP, "unshare user namespace:");
	write_map("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	write_map("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	write_map("/proc/self/gid_map", map);
	in_userns = 1;
}

static struct termios saved_tio;
static int tio_saved;

static void
restore_tty(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
}

static int
open_pty(int *master)
{
	struct winsize ws;
	int m;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, ptyname, sizeof(ptyname)) != 0)
		return -1;
	ptyslave = open(ptyname, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ptyslave < 0)
		return -1;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(m, TIOCSWINSZ, &ws);
	*master = m;
	return 0;
}

/* Copy between our terminal and the pty until the container is gone;
 * signals are turned into events by a self-pipe-free ppoll mask. */
static int
relay_pty(pid_t child, const sigset_t *set, int master)
{
	struct termios raw;
	struct pollfd pfd[2];
	struct winsize ws;
	sigset_t empty;
	char buf[8192];
	ssize_t n;
	int in_open = 1, code = -1, st;
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	pid_t p;

	if (tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio_saved = 1;
		atexit(restore_tty);
		raw = saved_tio;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	sigemptyset(&empty);
	for (;;) {
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = master;
		pfd[1].events = POLLIN;
		n = ppoll(pfd, 2, code >= 0 ? &zero : NULL, &empty);
		while (sigtimedwait(set, &si, &zero) > 0) {
			if (si.si_signo == SIGCHLD) {
				while ((p = waitpid(-1, &st, WNOHANG)) > 0)
					if (p == child)
						code = status_code(st);
			} else if (si.si_signo == SIGWINCH) {
				if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
					ioctl(master, TIOCSWINSZ, &ws);
			} else
				kill(child, si.si_signo);
		}
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0) {
				if (code >= 0)
					break;
				pfd[1].fd = -1;
			} else if (write(STDOUT_FILENO, buf, (size_t)n) < 0)
				break;
			continue;
		}
		if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = 0;
			else if (write(master, buf, (size_t)n) < 0)
				in_open = 0;
			continue;
		}
		if (code >= 0 && n == 0)
			break;
	}
	restore_tty();
	if (code < 0)
		code = supervise(child, set, master, NULL);
	return code;
}

/* ---- joining a running container (skiff exec) --------------------- */

/* Put ourselves into every cgroup the process is in (v1 hierarchies by
 * their controllers' directory, v2 under the unified root). */
static void
join_cgroups(pid_t pid)
{
	char path[64], buf[4096], *line, *save = NULL, file[PATH_MAX], me[24];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_file_at(AT_FDCWD, path, buf, sizeof(buf)) < 0)
		die(EXIT_SETUP, "--join %d: read %s:", (int)pid, path);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *cg, *comma;

		if (ctl == NULL || (cg = strchr(++ctl, ':')) == NULL)
			continue;
		*cg++ = '\0';
		if ((comma = strchr(ctl, ',')) != NULL)
			*comma = '\0';
		if (strncmp(ctl, "name=", 5) == 0)
			ctl += 5;
		if (*ctl == '\0') {
			struct statfs sf;

			/* v2: the unified root, or its hybrid mount. */
			if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == 0x63677270)
				snprintf(file, sizeof(file), "/sys/fs/cgroup%s/cgroup.procs", cg);
			else
				snprintf(file, sizeof(file), "/sys/fs/cgroup/unified%s/cgroup.procs", cg);
		} else
			snprintf(file, sizeof(file), "/sys/fs/cgroup/%s%s/cgroup.procs", ctl, cg);
		if ((fd = open(file, O_WRONLY | O_CLOEXEC)) < 0)
			continue;	/* a hierarchy this host does not mount */
		if (write(fd, me, strlen(me)) < 0 && errno != ENODEV)
			die(EXIT_SETUP, "--join %d: join cgroup %s:", (int)pid, file);
		close(fd);
	}
}

/*
 * Run PROGRAM in the namespaces, root and cgroups of process pid, with
 * the capabilities and seccomp filter ns-run gives (as docker exec): the
 * program's environment starts as the process's own, then --env.
 */
static noreturn void
join_container(void)
{
	static const struct {
		const char *name;
		int flag;
	} order[] = {
		{ "cgroup", CLONE_NEWCGROUP }, { "ipc", CLONE_NEWIPC },
		{ "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET },
		{ "pid", CLONE_NEWPID }, { "mnt", CLONE_NEWNS },
	};
	static char envbuf[128 * 1024];
	static char *envv[1024];
	int fds[LEN(order)], rootfd, master = -1, code;
	char path[64];
	ssize_t n;
	size_t i, k = 0;
	sigset_t set;
	pid_t child;

	/* Everything is opened first: after setns(mnt), /proc is not ours. */
	for (i = 0; i < LEN(order); i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)conf.join, order[i].name);
		if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die(EXIT_SETUP, "--join %d: %s:", (int)conf.join, path);
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)conf.join);
	if ((rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "--join %d: %s:", (int)conf.join, path);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)conf.join);
	if ((n = read_file_at(AT_FDCWD, path, envbuf, sizeof(envbuf))) < 0)
		die(EXIT_SETUP, "--join %d: %s:", (int)conf.join, path);
	for (i = 0; i < (size_t)n && k < LEN(envv) - 1; i += strlen(envbuf + i) + 1)
		if (envbuf[i] != '\0')
			envv[k++] = envbuf + i;
	envv[k] = NULL;
	if (!conf.clearenv)
		environ = envv;
	if (conf.tty && open_pty(&master) < 0)
		die(EXIT_SETUP, "allocate a pty:");
	join_cgroups(conf.join);
	for (i = 0; i < LEN(order); i++) {
		if (setns(fds[i], order[i].flag) < 0)
			die(EXIT_SETUP, "--join %d: enter its %s namespace:", (int)conf.join, order[i].name);
		close(fds[i]);
	}
	if (fchdir(rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		die(EXIT_SETUP, "--join %d: enter its root:", (int)conf.join);
	close(rootfd);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	catch_signals(&set);
	/* The pid namespace applies to children: the program is one. */
	if ((child = fork()) < 0)
		die(EXIT_SETUP, "fork:");
	if (child == 0) {
		if (master >= 0)
			close(master);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		exec_program();
	}
	if (ptyslave >= 0) {
		close(ptyslave);
		ptyslave = -1;
	}
	code = master >= 0 ? relay_pty(child, &set, master) : supervise(child, &set, -1, NULL);
	exit(code);
}

int
main(int argc, char *argv[])
{
	struct stat st;
	sigset_t set;
	char err[256];
	pid_t child;
	int master = -1, code;

	setprogname(argv[0]);
	/* Named ns-runc (or runc, so that podman passes --log-format json),
	 * or `ns-run --oci ...`: the OCI runtime command line. bin/ns-run is
	 * built without it, to stay small, and hands such a call to ns-runc,
	 * the same sources with the OCI front door linked in. */
	if (strcmp(progname, "ns-runc") == 0 || strcmp(progname, "runc") == 0)
		return OCI_MAIN(argc, argv);
	if (argc > 1 && strcmp(argv[1], "--oci") == 0) {
		argv[1] = argv[0];
		return OCI_MAIN(argc - 1, argv + 1);
	}
	parse_args(argc, argv);

	/* Validate everything before any namespace exists. */
	if (conf.rootfs == NULL)
		conf.rootfs = "/";
	if (stat(conf.rootfs, &st) < 0)
		die(EXIT_SETUP, "rootfs %s:", conf.rootfs);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_SETUP, "rootfs %s: not a directory", conf.rootfs);
	/* Absolute from here on: PID 1 leaves the caller's directory. */
	if ((conf.rootfs = realpath(conf.rootfs, NULL)) == NULL)
		die(EXIT_SETUP, "rootfs:");
	if (strcmp(conf.seccomp, "default") != 0 && strcmp(conf.seccomp, "unconfined") != 0 &&
	    (filter = seccomp_parse_file(conf.seccomp, err, sizeof(err))) == NULL)
		die(EXIT_SETUP, "seccomp %s: %s", conf.seccomp, err);
	if (conf.net == NET_JOIN || conf.net == NET_HOST) {
		const char *p = conf.net == NET_HOST ? "/proc/1/ns/net" : conf.netpath;

		netfd = open(p, O_RDONLY | O_CLOEXEC);
		if (netfd < 0)
			die(EXIT_SETUP, "--net %s:", p);
	}
	if (conf.tty && !isatty(STDIN_FILENO))
		conf.tty = 0;
	if (conf.join)
		join_container();

	/* Nothing in this process may be ptraced or dumped by the container
	 * until exec resets it (CVE-2016-9962). Not before the user
	 * namespace's maps are written: a non-dumpable process's /proc/self
	 * belongs to root, and an unprivileged caller could not write them. */
	if (conf.userns)
		enter_userns();
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (conf.tty && open_pty(&master) < 0)
		die(EXIT_SETUP, "allocate a pty:");
	if (unshare(CLONE_NEWPID) < 0)
		die(EXIT_SETUP, "unshare pid namespace:");
	if (conf.net == NET_NEW &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, netsock) < 0)
		die(EXIT_SETUP, "socketpair:");
	catch_signals(&set);
	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0)
		CPU_ZERO(&cpus);
	child = fork();
	pid1 = child;
	if (child < 0)
		die(EXIT_SETUP, "fork:");
	if (child == 0) {
		if (master >= 0)
			close(master);
		if (netsock[1] >= 0)
			close(netsock[1]);
		/* If the process outside dies, so does the container. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		container_init(&set);
	}
	if (netsock[1] >= 0) {
		if (!conf.noinit)
			push_pid1(child);
		make_net();
	}
	if (netfd >= 0)
		close(netfd);
	if (ptyslave >= 0) {
		close(ptyslave);
		ptyslave = -1;
	}
	if (master >= 0)
		code = relay_pty(child, &set, master);
	else
		code = supervise(child, &set, -1, NULL);
	return code;
}
