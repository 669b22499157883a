/* SPDX-License-Identifier: ISC */
/* cg-limit: put a program in a cgroup with docker's resource limits, on
 * cgroup v2, v1 and hybrid hosts; and stat, kill, freeze, update, rm it. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define DEFAULT_PARENT "skiff"

static const char usage_chain[] =
    "cg-limit [--cpu-shares N] [--cpu-weight N] [--cpus N.N]"
    " [--cpuset-cpus LIST] [--cpuset-mems LIST] [--device-read-bps DEV:RATE]"
    " [--device-write-bps DEV:RATE] [--io-weight N] [--memory SIZE]"
    " [--memory-reservation SIZE] [--memory-swap SIZE] [--oom-score-adj N]"
    " [--parent PATH] [--pids N] NAME -- PROGRAM [ARG...]";
static const char usage_verbs[] =
    "cg-limit [--parent PATH] ls | stat [--json] NAME | kill NAME [SIGNAL] |"
    " freeze NAME | thaw NAME | update NAME [limits] | rm NAME";

enum {
	O_SHARES = 0x100, O_WEIGHT, O_CPUS, O_CPUSET_CPUS, O_CPUSET_MEMS,
	O_DEV_READ, O_DEV_WRITE, O_IO_WEIGHT, O_MEMORY, O_RESERVATION, O_SWAP,
	O_OOM, O_PARENT, O_PIDS, O_JSON,
};

static const struct optspec options[] = {
	{ "cpu-shares", required_argument, 'c', "N", "relative CPU weight, v1 units (2-262144, default 1024)" },
	{ "cpu-weight", required_argument, O_WEIGHT, "N", "relative CPU weight, v2 units (1-10000, default 100)" },
	{ "cpus", required_argument, O_CPUS, "N.N", "at most this many CPUs' time (0.01 to the CPUs online)" },
	{ "cpuset-cpus", required_argument, O_CPUSET_CPUS, "LIST", "run only on these CPUs (0-3,5)" },
	{ "cpuset-mems", required_argument, O_CPUSET_MEMS, "LIST", "allocate only on these memory nodes" },
	{ "device-read-bps", required_argument, O_DEV_READ, "DEV:RATE", "limit reads from a block device (bytes/s, 0: none)" },
	{ "device-write-bps", required_argument, O_DEV_WRITE, "DEV:RATE", "limit writes to a block device" },
	{ "io-weight", required_argument, O_IO_WEIGHT, "N", "relative block I/O weight (10-1000)" },
	{ "json", no_argument, O_JSON, NULL, "stat: one JSON object instead of key=value lines" },
	{ "memory", required_argument, 'm', "SIZE", "memory limit (k, m, g; at least 6m; 0: none)" },
	{ "memory-reservation", required_argument, O_RESERVATION, "SIZE", "soft limit kept under memory pressure" },
	{ "memory-swap", required_argument, O_SWAP, "SIZE", "memory plus swap (-1: unlimited; default twice --memory)" },
	{ "oom-score-adj", required_argument, O_OOM, "N", "the program's OOM score adjustment (-1000 to 1000)" },
	{ "parent", required_argument, O_PARENT, "PATH", "the group's parent (default: skiff)" },
	{ "pids", required_argument, O_PIDS, "N", "at most N processes and threads (0: none)" },
	{ NULL, 0, 0, NULL, NULL },
};

static struct cg_limits limits;
static const char *parent = DEFAULT_PARENT;
static int json, oom_adj_set;
static long long oom_adj;
static int fail_code = EXIT_SETUP;	/* 125 for the chain-loader, 2 for verbs */

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", fail_code == EXIT_SETUP ? usage_chain :
	    usage_verbs);
	exit(fail_code);
}

static uint64_t
size_arg(const char *opt, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v) < 0 || v > INT64_MAX / 4)
		die(fail_code, "--%s %s: %s", opt, arg,
		    arg[0] == '-' ? "must not be negative" :
		    errno == ERANGE || v > INT64_MAX / 4 ? "too large" :
		    "not a size (use k, m or g)");
	return v;
}

static long long
num_arg(const char *opt, const char *arg, long long min, long long max)
{
	long long v;

	if (parse_num(arg, min, max, &v) < 0) {
		if (errno == ERANGE)
			die(fail_code, "--%s %s: out of range %lld to %lld", opt,
			    arg, min, max);
		die(fail_code, "--%s %s: not a number", opt, arg);
	}
	return v;
}

static void
cpuset_arg(const char *opt, const char *arg, unsigned max, char *dst)
{
	if (cg_parse_cpuset(arg, max) < 0) {
		if (errno == ERANGE)
			die(fail_code, "--%s %s: no such %s (this host has %u)", opt,
			    arg, max ? "CPU" : "node", max);
		die(fail_code, "--%s %s: expected a list like 0-3,5", opt, arg);
	}
	snprintf(dst, 256, "%s", arg);
}

/* One option of the table into limits; 0 when c is not a limit. */
static int
limit_opt(int c, const char *arg)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char err[256];

	switch (c) {
	case 'm':
		limits.memory = (int64_t)size_arg("memory", arg);
		if (limits.memory > 0 && limits.memory < 6 * 1024 * 1024)
			die(fail_code, "--memory %s: below the minimum of 6m", arg);
		limits.set |= L_MEMORY;
		break;
	case O_SWAP:
		limits.memory_swap = strcmp(arg, "-1") == 0 ? -1 :
		    (int64_t)size_arg("memory-swap", arg);
		if (limits.memory_swap == 0)
			limits.memory_swap = -1;
		limits.set |= L_SWAP;
		break;
	case O_RESERVATION:
		limits.memory_reservation = (int64_t)size_arg("memory-reservation", arg);
		limits.set |= L_RESERVATION;
		break;
	case O_CPUS:
		if (cg_parse_cpus(arg, &limits.cpu_quota, &limits.cpu_period) < 0 ||
		    limits.cpu_quota > (uint64_t)(ncpu > 0 ? ncpu : 1) * 100000) {
			if (errno == EINVAL)
				die(fail_code, "--cpus %s: not a number of CPUs", arg);
			die(fail_code, "--cpus %s: out of range 0.01 to %ld", arg, ncpu);
		}
		limits.set |= L_CPUS;
		break;
	case 'c':
		limits.cpu_shares = num_arg("cpu-shares", arg, 0, 262144);
		if (limits.cpu_shares == 0)
			limits.cpu_shares = 1024;
		if (limits.cpu_shares < 2)
			die(fail_code, "--cpu-shares %s: out of range 2 to 262144", arg);
		limits.set |= L_SHARES;
		break;
	case O_WEIGHT:
		limits.cpu_weight = num_arg("cpu-weight", arg, 0, 10000);
		if (limits.cpu_weight == 0)
			limits.cpu_weight = 100;
		limits.set |= L_WEIGHT;
		break;
	case O_CPUSET_CPUS:
		cpuset_arg("cpuset-cpus", arg, (unsigned)sysconf(_SC_NPROCESSORS_CONF),
		    limits.cpuset_cpus);
		limits.set |= L_CPUSET_CPUS;
		break;
	case O_CPUSET_MEMS:
		cpuset_arg("cpuset-mems", arg, 0, limits.cpuset_mems);
		limits.set |= L_CPUSET_MEMS;
		break;
	case O_PIDS:
		limits.pids = num_arg("pids", arg, 0, 4194304);
		limits.set |= L_PIDS;
		break;
	case O_IO_WEIGHT:
		limits.io_weight = num_arg("io-weight", arg, 0, 1000);
		if (limits.io_weight == 0)
			break;
		if (limits.io_weight < 10)
			die(fail_code, "--io-weight %s: out of range 10 to 1000", arg);
		limits.set |= L_IO_WEIGHT;
		break;
	case O_DEV_READ:
	case O_DEV_WRITE:
		if (limits.ndev == CG_MAXDEV)
			die(fail_code, "--device-%s-bps: at most %d devices",
			    c == O_DEV_READ ? "read" : "write", CG_MAXDEV);
		if (cg_parse_devrate(arg, &limits.dev[limits.ndev], err, sizeof(err)) < 0)
			die(fail_code, "--device-%s-bps %s: %s",
			    c == O_DEV_READ ? "read" : "write", arg, err);
		limits.dev[limits.ndev++].write = c == O_DEV_WRITE;
		limits.set |= L_DEV;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Options until the next operand; returns how many limits were given. */
static int
parse_opts(int argc, char *argv[])
{
	char *help;
	int c, n = 0;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		if (limit_opt(c, optarg)) {
			n++;
			continue;
		}
		switch (c) {
		case O_OOM:
			oom_adj = num_arg("oom-score-adj", optarg, -1000, 1000);
			oom_adj_set = 1;
			n++;
			break;
		case O_PARENT:
			if (!cg_valid_name(optarg, 1))
				die(fail_code, "--parent %s: not a plain relative path", optarg);
			parent = optarg;
			break;
		case O_JSON:
			json = 1;
			break;
		case OPT_HELP:
			if ((help = optspec_help(usage_chain, options)) != NULL)
				fputs(help, stdout);
			else
				die(fail_code, "--help:");
			printf("\nverbs:\n  %s\n", usage_verbs);
			exit(0);
		case OPT_VERSION:
			printf("cg-limit %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(fail_code, c, argv);
		}
	}
	return n;
}

/* Limits that only make sense together, checked before anything exists. */
static void
check_limits(void)
{
	if ((limits.set & L_SHARES) && (limits.set & L_WEIGHT))
		die(fail_code, "--cpu-shares and --cpu-weight: give one of them");
	if ((limits.set & L_SWAP) && !(limits.set & L_MEMORY))
		die(fail_code, "--memory-swap: needs --memory as well");
	if ((limits.set & L_SWAP) && limits.memory_swap > 0 &&
	    limits.memory_swap < limits.memory)
		die(fail_code, "--memory-swap: must be at least --memory");
	if ((limits.set & L_RESERVATION) && (limits.set & L_MEMORY) &&
	    limits.memory > 0 && limits.memory_reservation > limits.memory)
		die(fail_code, "--memory-reservation: must be at most --memory");
}

static void
open_group(struct cgroup *cg, const char *name)
{
	char err[PATH_MAX + 128];

	if (!cg_valid_name(name, 0))
		die(fail_code, "%s: not a valid group name (letters, digits, '_', '-', '.')", name);
	if (cg_detect(cg, getenv("SKIFF_CGROUP_ROOT"), err, sizeof(err)) < 0)
		die(fail_code, "cgroups: %s", err);
	if (cg_set_path(cg, parent, name) < 0)
		die(fail_code, "%s/%s:", parent, name);
}

static void
need_group(struct cgroup *cg, const char *name)
{
	open_group(cg, name);
	if (!cg_exists(cg))
		die(1, "%s: no such group", name);
}

static void
put(const char *key, int64_t v, int *first)
{
	if (v < 0)
		return;
	if (json) {
		printf("%s\"%s\":", *first ? "{" : ",", key);
		if (v == INT64_MAX)
			printf("\"max\"");
		else
			printf("%lld", (long long)v);
	} else if (v == INT64_MAX)
		printf("%s=max\n", key);
	else
		printf("%s=%lld\n", key, (long long)v);
	*first = 0;
}

static int
do_stat(struct cgroup *cg, const char *name)
{
	struct cg_stat st;
	int first = 1;

	if (cg_stat(cg, &st) < 0)
		die(1, "%s:", name);
	put("cgroup_version", cg->version, &first);
	put("memory_current", st.memory_current, &first);
	put("memory_peak", st.memory_peak, &first);
	put("memory_max", st.memory_max, &first);
	put("oom_kills", st.oom_kills, &first);
	put("cpu_usage_usec", st.cpu_usage_usec, &first);
	put("cpu_nr_periods", st.cpu_nr_periods, &first);
	put("cpu_nr_throttled", st.cpu_nr_throttled, &first);
	put("cpu_throttled_usec", st.cpu_throttled_usec, &first);
	put("pids_current", st.pids_current, &first);
	put("pids_max", st.pids_max, &first);
	put("pids_refused", st.pids_refused, &first);
	put("frozen", st.frozen, &first);
	if (json)
		printf("}\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

static void
print_name(const char *name, void *arg)
{
	(void)arg;
	puts(name);
}

static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	{ "TERM", SIGTERM }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "ALRM", SIGALRM }, { "WINCH", SIGWINCH },
};

static int
parse_signal(const char *s)
{
	long long n;
	size_t i;

	if (parse_num(s, 1, 64, &n) == 0)
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < LEN(signames); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].sig;
	return -1;
}

/* Kill everything, wait until the kernel has let go of it, remove it. */
static int
do_rm(struct cgroup *cg, const char *name)
{
	struct timespec ts = { 0, 5000000 };
	int i;

	for (i = 0; i < 1000; i++) {
		if (cg_nprocs(cg) == 0)
			break;
		if (i % 20 == 0 && cg_kill(cg, SIGKILL) < 0)
			die(1, "%s: kill:", name);
		nanosleep(&ts, NULL);
	}
	if (cg_nprocs(cg) != 0)
		die(1, "%s: processes still running after 5 s", name);
	/* A dying task may keep the group busy for a moment. */
	for (i = 0; cg_remove(cg, strcmp(parent, DEFAULT_PARENT) == 0) < 0; i++) {
		if (errno != EBUSY || i == 200)
			die(1, "%s: remove:", name);
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Options may come before the verb (--parent), after it, and after NAME. */
static int
verb(int argc, char *argv[], int nlim)
{
	const char *v = argv[optind++], *name;
	char err[PATH_MAX + 128];
	struct cgroup cg;
	int sig = SIGKILL;

	fail_code = EXIT_USAGE;
	nlim += parse_opts(argc, argv);
	if (strcmp(v, "ls") == 0) {
		if (optind != argc)
			usage();
		open_group(&cg, "x");
		if (cg_list(&cg, print_name, NULL) < 0)
			die(1, "ls %s:", parent);
		return 0;
	}
	if (optind >= argc)
		usage();
	name = argv[optind++];
	nlim += parse_opts(argc, argv);
	if (strcmp(v, "kill") == 0 && optind < argc &&
	    (sig = parse_signal(argv[optind++])) < 0)
		die(EXIT_USAGE, "kill %s: unknown signal", argv[optind - 1]);
	if (optind != argc)
		usage();
	if (nlim > 0 && strcmp(v, "update") != 0)
		die(EXIT_USAGE, "%s: takes no limits", v);
	if (strcmp(v, "update") == 0) {
		if (oom_adj_set)
			die(EXIT_USAGE, "update: --oom-score-adj belongs to a process, not a group");
		check_limits();
		need_group(&cg, name);
		if (cg_apply(&cg, &limits, err, sizeof(err)) < 0)
			die(1, "%s: %s", name, err);
		return 0;
	}
	need_group(&cg, name);
	if (strcmp(v, "stat") == 0)
		return do_stat(&cg, name);
	if (strcmp(v, "kill") == 0) {
		if (cg_kill(&cg, sig) < 0)
			die(1, "%s: kill:", name);
		return 0;
	}
	if (strcmp(v, "freeze") == 0 || strcmp(v, "thaw") == 0) {
		if (cg_freeze(&cg, v[0] == 'f') < 0)
			die(1, "%s: %s:", name, v);
		return 0;
	}
	return do_rm(&cg, name);
}

static int
is_verb(const char *s)
{
	static const char *const verbs[] = {
		"ls", "stat", "kill", "freeze", "thaw", "update", "rm",
	};
	size_t i;

	for (i = 0; i < LEN(verbs); i++)
		if (strcmp(s, verbs[i]) == 0)
			return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	char err[PATH_MAX + 128], val[16];
	struct cgroup cg;
	const char *name;
	int existed, nlim;

	setprogname(argv[0]);
	/* 1. Options, NAME, "--", PROGRAM; all of it checked before 5. Or a
	 * verb: "cg-limit stat -- prog" is a group named stat, not a verb. */
	nlim = parse_opts(argc, argv);
	if (optind >= argc)
		usage();
	if (is_verb(argv[optind]) && (optind + 1 == argc || strcmp(argv[optind + 1], "--") != 0))
		return verb(argc, argv, nlim);
	name = argv[optind++];
	if (optind >= argc || strcmp(argv[optind], "--") != 0)
		die(EXIT_SETUP, "%s: expected -- PROGRAM after the group name", name);
	if (++optind >= argc)
		die(EXIT_SETUP, "missing PROGRAM after --");
	check_limits();
	open_group(&cg, name);

	/* 5. Make the group, limit it, step in; undo it all on failure. */
	existed = cg_exists(&cg);
	if (cg_create(&cg, err, sizeof(err)) < 0)
		die(EXIT_SETUP, "%s: create: %s", name, err);
	if (cg_apply(&cg, &limits, err, sizeof(err)) < 0 ||
	    cg_enter(&cg, err, sizeof(err)) < 0) {
		if (!existed)
			cg_remove(&cg, strcmp(parent, DEFAULT_PARENT) == 0);
		die(EXIT_SETUP, "%s: %s", name, err);
	}
	if (oom_adj_set) {
		snprintf(val, sizeof(val), "%lld", oom_adj);
		if (write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", val) < 0)
			die(EXIT_SETUP, "oom_score_adj %s:", val);
	}
	if (setenv("SKIFF_CGROUP", cg.rel, 1) < 0)
		die(EXIT_SETUP, "setenv:");

	/* 6. Become the program. */
	xexecvp(argv + optind);
}
