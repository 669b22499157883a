/* SPDX-License-Identifier: ISC */
/* net-bridge: container networks: a bridge per network, a network namespace
 * and veth pair per container, address leases, NAT and published ports. */
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "ipam.h"
#include "netlink.h"
#include "nft.h"

#define DEFAULT_NET "skiff0"
#define NETNS_DIR "/run/netns"
#define MAXPORTS 32

static int exitfail = 1;	/* 125 in the chain-loader */

/* lib's die() exits at once; the chain-loader must first take back what it
 * has set up, so every die() here goes through undo(). */
static void undo(void);

static void die_undo(int code, const char *fmt, ...) __attribute__((__noreturn__));

static void
die_undo(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	undo();
	_exit(code);
}
#define die die_undo

static const char usage_line[] =
    "net-bridge [--ip ADDR|auto] [--ip-file FILE] [--mac ADDR]"
    " [--netns NAME] [--network NAME]"
    " [--publish [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]] -- PROGRAM [ARG...]\n"
    "       net-bridge create NAME [--gateway IP] [--internal] [--mtu N] [--subnet CIDR]\n"
    "       net-bridge inspect NAME\n"
    "       net-bridge ls\n"
    "       net-bridge rm NAME\n"
    "       net-bridge gc";

enum { O_IP = 0x100, O_IPFILE, O_NETNS, O_GATEWAY, O_INTERNAL, O_MTU, O_SUBNET };

static const struct optspec attach_opts[] = {
	{ "ip", required_argument, O_IP, "ADDR", "the container's address, or auto (default)" },
	{ "ip-file", required_argument, O_IPFILE, "FILE", "also write the address to FILE" },
	{ "mac", required_argument, 'm', "ADDR", "the container's MAC address (default: random)" },
	{ "netns", required_argument, O_NETNS, "NAME", "make /run/netns/NAME instead of running PROGRAM" },
	{ "network", required_argument, 'n', "NAME", "the network to join (default: skiff0)" },
	{ "publish", required_argument, 'p', "[HOSTIP:]HOSTPORT:PORT[/PROTO]", "publish a container port on the host" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct optspec create_opts[] = {
	{ "gateway", required_argument, O_GATEWAY, "IP", "the bridge's address (default: the first one)" },
	{ "internal", no_argument, O_INTERNAL, NULL, "no NAT, no traffic beyond the network" },
	{ "mtu", required_argument, O_MTU, "N", "the bridge's and the veths' MTU" },
	{ "subnet", required_argument, O_SUBNET, "CIDR", "the network's IPv4 subnet (default: 10.88.0.0/16 for skiff0, else the next free /16)" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct optspec no_opts[] = {
	{ NULL, 0, 0, NULL, NULL },
};

/* The one-line usage of the mode in use: the chain-loader's, or a
 * subcommand's (its line of usage_line). */
static const char *mode = "net-bridge [--ip";

static void usage(void) __attribute__((__noreturn__));

static void
usage(void)
{
	const char *p = strstr(usage_line, mode);
	size_t n = p ? strcspn(p, "\n") : strlen(usage_line);

	fprintf(stderr, "usage: %.*s\n", (int)n, p ? p : usage_line);
	_exit(exitfail == 1 ? EXIT_USAGE : EXIT_SETUP);
}

static void
getopt_common(int c, const struct optspec *spec, char *argv[])
{
	char *help;
	int code = exitfail == 1 ? EXIT_USAGE : EXIT_SETUP;

	switch (c) {
	case OPT_HELP:
		if ((help = optspec_help(usage_line, spec)) == NULL)
			die(exitfail, "--help:");
		fputs(help, stdout);
		exit(0);
	case OPT_VERSION:
		printf("net-bridge %s\n", SKIFF_VERSION);
		exit(0);
	default:
		die_badopt(code, c, argv);
	}
}

/* ---- state under $SKIFF_RUN/net ------------------------------------ */

static int
xmkdir_open(int at, const char *name)
{
	int fd;

	if (mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return -1;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd;
}

/* $SKIFF_RUN/net, made when missing. */
static int
netroot(void)
{
	const char *run = getenv("SKIFF_RUN");
	char path[PATH_MAX];
	int fd, nfd;

	if (run == NULL || *run == '\0')
		run = "/run/skiff";
	if (mkdir(run, 0755) < 0 && errno != EEXIST)
		die(exitfail, "state directory %s:", run);
	if ((fd = open(run, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(exitfail, "state directory %s:", run);
	if ((nfd = xmkdir_open(fd, "net")) < 0) {
		snprintf(path, sizeof(path), "%s/net", run);
		die(exitfail, "state directory %s:", path);
	}
	close(fd);
	return nfd;
}

/* Interface names: the network is named after its bridge, and the name is
 * also part of nft chain names, so keep to letters, digits, '_' and '-'. */
static void
check_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ)
		die(exitfail, "network '%s': name must be 1 to %d characters", name, IFNAMSIZ - 1);
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		die(exitfail, "network '%s': name must start with a letter", name);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			die(exitfail, "network '%s': only letters, digits, '_' and '-' allowed", name);
	}
}

static char **
xlist(int root)
{
	char **v = netconf_list(root);

	if (v == NULL)
		die(exitfail, "list networks:");
	return v;
}

static void
load_or_die(int root, const char *name, struct netconf *c)
{
	int r = netconf_load(root, name, c);

	if (r < 0)
		die(exitfail, "network %s: config:", name);
	if (r == 0)
		die(exitfail, "network %s: no such network", name);
}

/* ---- the kernel side ------------------------------------------------ */

/* ---- nft scripts ---------------------------------------------------- */

struct script {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *
script_open(struct script *s)
{
	s->buf = NULL;
	s->len = 0;
	if ((s->f = open_memstream(&s->buf, &s->len)) == NULL)
		die(exitfail, "nft script:");
	return s->f;
}

/* Run the script: 0, or -1 with ERR set (ENOENT: no nft). */
static int
script_run(struct script *s, char *err, size_t errlen)
{
	int r;

	if (fclose(s->f) != 0)
		die(exitfail, "nft script:");
	r = nft_run(s->buf, err, errlen);
	free(s->buf);
	return r;
}

/* ---- create, rm, ls, inspect, gc ------------------------------------- */

static int
next_free_subnet(int root, const char *self, struct ipnet *out)
{
	char **names = xlist(root);
	struct netconf o;
	unsigned x;
	size_t i;
	int clash;

	for (x = 89; x < 255; x++) {
		out->addr = 10u << 24 | x << 16;
		out->prefix = 16;
		clash = 0;
		for (i = 0; names[i] && !clash; i++)
			if (strcmp(names[i], self) != 0 && netconf_load(root, names[i], &o) == 1 &&
			    ipnet_overlap(&o.net, out))
				clash = 1;
		if (!clash)
			return 0;
	}
	return -1;
}

static int
cmd_create(int argc, char *argv[])
{
	struct netconf c, old;
	struct nl nl;
	struct script sc;
	const char *name = NULL, *subnet = NULL, *gateway = NULL;
	char err[512], sub[16], **names;
	long long mtu = 0;
	int c_, internal = 0, mtu_set = 0, root, lk, dirfd, created, r, made_dir = 0;
	size_t i;

	if (exitfail == 1)
		mode = "net-bridge create";

	optind = 1;
	while (optind < argc) {
		if ((c_ = optspec_getopt(argc, argv, create_opts)) == -1) {
			if (optind >= argc)
				break;
			if (name != NULL)
				usage();
			name = argv[optind++];
			continue;
		}
		switch (c_) {
		case O_GATEWAY: gateway = optarg; break;
		case O_INTERNAL: internal = 1; break;
		case O_MTU:
			if (parse_num(optarg, 68, 65535, &mtu) < 0)
				die(exitfail, "--mtu %s: must be a number from 68 to 65535", optarg);
			mtu_set = 1;
			break;
		case O_SUBNET: subnet = optarg; break;
		default: getopt_common(c_, create_opts, argv);
		}
	}
	if (name == NULL)
		usage();
	check_name(name);

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.internal = internal;
	c.mtu = (unsigned)mtu;
	if (subnet != NULL) {
		if (ipnet_parse(subnet, &c.net) < 0)
			die(exitfail, "--subnet %s: %s", subnet, errno == EDOM ?
			    "host bits set (give the network address)" :
			    "expected an IPv4 CIDR such as 10.88.0.0/16 (prefix 1 to 30)");
	}
	if (gateway != NULL && ip_parse(gateway, &c.gw) < 0)
		die(exitfail, "--gateway %s: not an IPv4 address", gateway);

	root = netroot();
	if ((lk = ipam_lock(root, ".lock")) < 0)
		die(exitfail, "lock networks:");
	if ((r = netconf_load(root, name, &old)) < 0)
		die(exitfail, "network %s: config:", name);
	if (r == 1) {
		/* Idempotent: the same network again is fine, another is not. */
		if ((subnet && (c.net.addr != old.net.addr || c.net.prefix != old.net.prefix)) ||
		    (gateway && c.gw != old.gw) || (mtu_set && c.mtu != old.mtu) ||
		    (internal && !old.internal)) {
			ip_format(old.net.addr, sub);
			die(exitfail, "network %s: exists with subnet %s/%d%s", name, sub,
			    old.net.prefix, old.internal ? ", internal" : "");
		}
		c = old;
	} else {
		if (subnet == NULL) {
			if (strcmp(name, DEFAULT_NET) == 0) {
				c.net.addr = 10u << 24 | 88u << 16;
				c.net.prefix = 16;
			} else if (next_free_subnet(root, name, &c.net) < 0)
				die(exitfail, "network %s: no free 10.x.0.0/16 left: give --subnet", name);
		}
		if (gateway == NULL)
			c.gw = ipnet_first(&c.net);
		else if (!ipnet_contains(&c.net, c.gw) || c.gw < ipnet_first(&c.net) ||
		    c.gw > ipnet_last(&c.net))
			die(exitfail, "--gateway %s: not a host address of %s", gateway,
			    subnet ? subnet : "the subnet");
		names = xlist(root);
		for (i = 0; names[i]; i++) {
			if (strcmp(names[i], name) != 0 && netconf_load(root, names[i], &old) == 1 &&
			    ipnet_overlap(&old.net, &c.net)) {
				ip_format(old.net.addr, sub);
				die(exitfail, "network %s: subnet overlaps network %s (%s/%d)",
				    name, names[i], sub, old.net.prefix);
			}
		}
	}

	if (nl_open(&nl) < 0)
		die(exitfail, "netlink:");
	if (nl_bridge_ensure(&nl, &c, 0, &created, err, sizeof(err)) < 0)
		goto fail;
	script_open(&sc);
	nft_base(sc.f);
	nft_net_add(sc.f, name, &c.net, c.internal);
	if (script_run(&sc, err, sizeof(err)) < 0) {
		if (errno != ENOENT) {
			memmove(err + 5, err, sizeof(err) - 5);
			memcpy(err, "nft: ", 5);
			err[sizeof(err) - 1] = '\0';
			goto fail;
		}
		warn("network %s: nft not found: no NAT or isolation; ports go through lb-proxy"
		    " (install nftables)", name);
	}
	if (r != 1) {
		made_dir = mkdirat(root, name, 0755) == 0;
		if ((dirfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
		    netconf_save(dirfd, &c) < 0) {
			snprintf(err, sizeof(err), "network %s: config: %s", name, strerror(errno));
			if (made_dir)
				unlinkat(root, name, AT_REMOVEDIR);
			goto undo_nft;
		}
		close(dirfd);
	}
	puts(name);
	close(lk);
	return 0;
undo_nft:
	script_open(&sc);
	nft_net_del(sc.f, name, &c.net);
	script_run(&sc, NULL, 0);
fail:
	if (created) {
		int idx = nl_link_get(&nl, name, NULL, NULL, NULL, 0);

		if (idx > 0)
			nl_link_del(&nl, idx);
	}
	die(exitfail, "network %s: %s", name, err);
}

/* Call FN for each lease file (named by its address) of the network. */
static void
each_lease(int dirfd, void (*fn)(int dirfd, const char *ip, void *arg), void *arg)
{
	DIR *d;
	struct dirent *e;
	uint32_t a;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		die(exitfail, "leases:");
	while ((e = readdir(d)) != NULL)
		if (ip_parse(e->d_name, &a) == 0)
			fn(dirfd, e->d_name, arg);
	closedir(d);
}

struct usage_count {
	int live, stale;
	char first[300];
};

static void
count_lease(int dirfd, const char *ip, void *arg)
{
	struct usage_count *u = arg;
	struct owner o;

	if (owner_read(dirfd, ip, &o) == 1) {
		if (u->live++ == 0) {
			if (o.netns[0])
				snprintf(u->first, sizeof(u->first), "%s, %s", ip, o.netns);
			else
				snprintf(u->first, sizeof(u->first), "%s, pid %d", ip, (int)o.pid);
		}
	} else
		u->stale++;
}

static void
print_lease(int dirfd, const char *ip, void *arg)
{
	struct owner o;
	int r = owner_read(dirfd, ip, &o);

	(void)arg;
	if (o.netns[0])
		printf("%s=%s netns=%s\n", r == 1 ? "lease" : "stale", ip, o.netns);
	else if (o.pid)
		printf("%s=%s pid=%d\n", r == 1 ? "lease" : "stale", ip, (int)o.pid);
	else
		printf("%s=%s\n", r == 1 ? "lease" : "stale", ip);
}

static void
drop_stale(int dirfd, const char *ip, void *arg)
{
	int *n = arg;

	if (owner_release(dirfd, ip, NULL) == 0)
		(*n)++;
}

/* Remove every file in DIRFD and the directory NAME in ROOT. */
static int
remove_dir(int root, const char *name, int dirfd)
{
	DIR *d;
	struct dirent *e;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || (d = fdopendir(fd)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd, e->d_name, 0);
	closedir(d);
	return unlinkat(root, name, AT_REMOVEDIR);
}

static void
one_operand(int argc, char *argv[], int want, const char *m)
{
	int c;

	mode = m;

	optind = 1;
	while ((c = optspec_getopt(argc, argv, no_opts)) != -1)
		getopt_common(c, no_opts, argv);
	if (argc - optind != want)
		usage();
}

static int
cmd_rm(int argc, char *argv[])
{
	struct netconf c;
	struct usage_count u = { 0, 0, "" };
	struct script sc;
	struct nl nl;
	char err[512], kind[16];
	const char *name;
	int root, lk, dirfd, idx;

	one_operand(argc, argv, 1, "net-bridge rm");
	name = argv[optind];
	check_name(name);
	root = netroot();
	if ((lk = ipam_lock(root, ".lock")) < 0)
		die(exitfail, "lock networks:");
	load_or_die(root, name, &c);
	if ((dirfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(exitfail, "network %s:", name);
	/* Held to the end: no container can lease an address meanwhile. */
	if (ipam_lock(dirfd, "lock") < 0)
		die(exitfail, "network %s: lock:", name);
	each_lease(dirfd, count_lease, &u);
	if (u.live)
		die(exitfail, "network %s: in use by %d container%s (%s)", name, u.live,
		    u.live == 1 ? "" : "s", u.first);
	if (nl_open(&nl) < 0)
		die(exitfail, "netlink:");
	idx = nl_link_get(&nl, name, NULL, NULL, kind, sizeof(kind));
	if (idx > 0 && strcmp(kind, "bridge") == 0 && nl_link_del(&nl, idx) < 0)
		die(exitfail, "network %s: delete bridge:", name);
	script_open(&sc);
	nft_base(sc.f);
	nft_net_del(sc.f, name, &c.net);
	if (script_run(&sc, err, sizeof(err)) < 0 && errno != ENOENT)
		warn("network %s: nft: %s", name, err);
	if (remove_dir(root, name, dirfd) < 0)
		die(exitfail, "network %s: remove state:", name);
	close(lk);
	return 0;
}

static int
cmd_ls(int argc, char *argv[])
{
	struct netconf c;
	char **names, sub[16], gw[16];
	int root, dirfd;
	size_t i;

	one_operand(argc, argv, 0, "net-bridge ls");
	root = netroot();
	names = xlist(root);
	for (i = 0; names[i]; i++) {
		struct usage_count u = { 0, 0, "" };

		if (netconf_load(root, names[i], &c) != 1)
			continue;
		if ((dirfd = openat(root, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		each_lease(dirfd, count_lease, &u);
		close(dirfd);
		ip_format(c.net.addr, sub);
		ip_format(c.gw, gw);
		printf("%s %s/%d %s %s %d\n", names[i], sub, c.net.prefix, gw,
		    c.internal ? "internal" : "nat", u.live);
	}
	return 0;
}

static int
cmd_inspect(int argc, char *argv[])
{
	struct netconf c;
	struct nl nl;
	char sub[16], gw[16];
	const char *name, *state = "missing";
	unsigned flags;
	int root, dirfd;

	one_operand(argc, argv, 1, "net-bridge inspect");
	name = argv[optind];
	check_name(name);
	root = netroot();
	load_or_die(root, name, &c);
	if ((dirfd = openat(root, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(exitfail, "network %s:", name);
	if (nl_open(&nl) == 0) {
		if (nl_link_get(&nl, name, &flags, NULL, NULL, 0) > 0)
			state = (flags & IFF_UP) ? "up" : "down";
		nl_close(&nl);
	}
	ip_format(c.net.addr, sub);
	ip_format(c.gw, gw);
	printf("name=%s\nsubnet=%s/%d\ngateway=%s\nmtu=%u\ninternal=%d\nbridge=%s\n",
	    name, sub, c.net.prefix, gw, c.mtu, c.internal, state);
	each_lease(dirfd, print_lease, NULL);
	return 0;
}

/* Drop stale leases everywhere and the rules of ports whose owner is gone. */
static int
cmd_gc(int argc, char *argv[])
{
	char **names, err[512];
	struct script sc;
	struct pubport p;
	struct owner o;
	struct dirent *e;
	DIR *d;
	int root, dirfd, lk, n = 0, nports = 0;
	size_t i;

	one_operand(argc, argv, 0, "net-bridge gc");
	root = netroot();
	names = xlist(root);
	for (i = 0; names[i]; i++) {
		if ((dirfd = openat(root, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		if ((lk = ipam_lock(dirfd, "lock")) >= 0) {
			each_lease(dirfd, drop_stale, &n);
			close(lk);
		}
		close(dirfd);
	}
	if ((dirfd = openat(root, ".ports", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 &&
	    (lk = ipam_lock(dirfd, "lock")) >= 0) {
		int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0 && (d = fdopendir(fd)) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if (pubport_from_file(e->d_name, &p) < 0 ||
				    owner_read(dirfd, e->d_name, &o) != 0)
					continue;
				/* One script each: a rule already gone fails alone. */
				script_open(&sc);
				nft_port_del(sc.f, &p);
				script_run(&sc, err, sizeof(err));
				unlinkat(dirfd, e->d_name, 0);
				nports++;
			}
			closedir(d);
		}
		close(lk);
	}
	printf("leases=%d ports=%d\n", n, nports);
	return 0;
}

/* ---- the chain-loader ----------------------------------------------- */

static struct {
	const char *network, *ipfile, *netns;
	uint32_t want;
	unsigned char mac[6];
	int has_mac;
	struct pubport ports[MAXPORTS];
	size_t nports;
	char **argv;
} opt = { .network = DEFAULT_NET };

/* What attach has done so far; undo() takes it back at exit unless the
 * chain was committed (exec'd, or the named namespace made). */
static struct {
	int committed;
	int netdir, portsdir;
	char lease[16];
	struct owner owner;
	size_t nclaimed;
	int rules;
	int proxy;		/* lb-proxy publishes the ports, not nft */
	struct nl host;
	char veth[IFNAMSIZ];
	int veth_made;
	char nspath[256];
	int ns_file, ns_mounted;
} st = { .netdir = -1, .portsdir = -1, .host = { -1, 0 } };

static int
nft_ports(int add, size_t i)
{
	struct script sc;
	char err[512];

	script_open(&sc);
	if (add)
		nft_port_add(sc.f, &opt.ports[i]);
	else
		nft_port_del(sc.f, &opt.ports[i]);
	return script_run(&sc, err, sizeof(err));
}

/* Give back the ports claimed (and their rules, when they were added),
 * skipping any that someone else has claimed since. */
static void
release_ports(void)
{
	char file[48];
	struct owner cur;
	size_t i;
	int lk;

	if (st.nclaimed == 0)
		return;
	lk = ipam_lock(st.portsdir, "lock");
	for (i = 0; i < st.nclaimed; i++) {
		pubport_file(&opt.ports[i], file, sizeof(file));
		if (owner_read(st.portsdir, file, &cur) == 1 && cur.pid != st.owner.pid)
			continue;
		if (st.rules)
			nft_ports(0, i);
		owner_release(st.portsdir, file, &st.owner);
	}
	st.nclaimed = 0;
	if (lk >= 0)
		close(lk);
}

static void
release_lease(void)
{
	int lk;

	if (st.lease[0] == '\0')
		return;
	lk = ipam_lock(st.netdir, "lock");
	owner_release(st.netdir, st.lease, &st.owner);
	st.lease[0] = '\0';
	if (lk >= 0)
		close(lk);
}

static void
undo(void)
{
	int idx;

	if (st.committed)
		return;
	if (st.veth_made && (idx = nl_link_get(&st.host, st.veth, NULL, NULL, NULL, 0)) > 0)
		nl_link_del(&st.host, idx);
	if (st.ns_mounted)
		umount2(st.nspath, MNT_DETACH);
	if (st.ns_file)
		unlink(st.nspath);
	release_ports();
	release_lease();
}

/* Close every descriptor above 2 but the ones in KEEP (sorted). */
static void
close_all_but(const int *keep, size_t n)
{
	unsigned lo = 3;
	size_t i;

	for (i = 0; i < n; i++) {
		if (keep[i] < 3)
			continue;
		if ((unsigned)keep[i] > lo)
			syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	syscall(SYS_close_range, lo, ~0U, 0);
}

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static pid_t proxies[MAXPORTS];

/*
 * Published ports are nft rules in the host's namespace, which the kernel
 * does not tie to the container's life (or lb-proxy processes, without
 * nft). A small detached process, forked here before the namespace changes,
 * waits on a pidfd for this process (the container, once exec'd) to end,
 * then removes the rules (or stops the proxies), the port claims and the
 * lease. Were it killed too, `net-bridge gc` does the same for rules.
 */
static void
spawn_watcher(const char *lbproxy)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0), keep[4], devnull, sp[2];
	struct pollfd pfd;
	char ok = 0;
	pid_t pid;

	if (pidfd < 0) {
		if (st.proxy)
			die(EXIT_SETUP, "--publish: pidfd_open:");
		warn("pidfd_open: published ports stay until net-bridge gc:");
		return;
	}
	if (pipe2(sp, O_CLOEXEC) < 0 || (pid = fork()) < 0)
		die(EXIT_SETUP, "fork:");
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		keep[0] = pidfd;
		keep[1] = st.netdir;
		keep[2] = st.portsdir;
		keep[3] = sp[1];
		qsort(keep, 4, sizeof(int), cmp_int);
		close_all_but(keep, 4);
		prctl(PR_SET_NAME, "net-bridge-wait");
		ok = 1;
		if (st.proxy && pubport_proxy_start(lbproxy, opt.ports, opt.nports, proxies) < 0)
			ok = 0;
		(void)!write(sp[1], &ok, 1);
		close(sp[1]);
		if (!ok)
			_exit(1);
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
			;
		if (st.proxy)
			pubport_proxy_stop(proxies, opt.nports);
		release_ports();
		release_lease();
		_exit(0);
	}
	close(sp[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(pidfd);
	while (read(sp[0], &ok, 1) < 0 && errno == EINTR)
		;
	close(sp[0]);
	if (!ok)
		die(EXIT_SETUP, "--publish: lb-proxy did not start (is a host port in use?)");
}

static int
parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	char end;
	int i;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1],
	    &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

static void
claim_ports(int root, uint32_t ip)
{
	char err[512], h[16];
	struct script sc;
	struct owner o;
	struct pubport *p;
	size_t i;
	int lk;

	if ((st.portsdir = xmkdir_open(root, ".ports")) < 0)
		die(EXIT_SETUP, "ports state:");
	if ((lk = ipam_lock(st.portsdir, "lock")) < 0)
		die(EXIT_SETUP, "lock ports:");
	for (i = 0; i < opt.nports; i++) {
		p = &opt.ports[i];
		p->ip = ip;
		if (pubport_claim(st.portsdir, p, &st.owner, &o) == 0) {
			st.nclaimed++;
			continue;
		}
		if (errno != EADDRINUSE)
			die(EXIT_SETUP, "claim port %u:", p->hostport);
		ip_format(p->hostip, h);
		die(EXIT_SETUP, "--publish %s%s%u: host port %u/%s is already published%s%.0d%s",
		    p->hostip ? h : "", p->hostip ? ":" : "", p->hostport, p->hostport,
		    p->udp ? "udp" : "tcp", o.pid ? " (pid " : "", (int)o.pid, o.pid ? ")" : "");
	}
	if (st.proxy) {
		close(lk);
		return;
	}
	/* A rule left by an owner that died (and whose watcher did not clean
	 * up) makes the add fail: take such rules out and try once more. */
	script_open(&sc);
	for (i = 0; i < opt.nports; i++)
		nft_port_add(sc.f, &opt.ports[i]);
	if (script_run(&sc, err, sizeof(err)) < 0) {
		for (i = 0; i < opt.nports; i++)
			nft_ports(0, i);
		script_open(&sc);
		for (i = 0; i < opt.nports; i++)
			nft_port_add(sc.f, &opt.ports[i]);
		if (script_run(&sc, err, sizeof(err)) < 0)
			die(EXIT_SETUP, "--publish: nft: %s", err);
	}
	st.rules = 1;
	close(lk);
}

static void
write_ipfile(const char *path, const char *ip)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die(EXIT_SETUP, "--ip-file %s: path too long", path);
	if ((f = fopen(tmp, "we")) == NULL)
		die(EXIT_SETUP, "--ip-file %s:", path);
	if (fprintf(f, "%s\n", ip) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		die(EXIT_SETUP, "--ip-file %s:", path);
	}
}

static void
make_netns(void)
{
	int fd;

	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		die(EXIT_SETUP, "%s:", NETNS_DIR);
	fd = open(st.nspath, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		die(EXIT_SETUP, "--netns %s:", st.nspath);
	close(fd);
	st.ns_file = 1;
	if (mount("/proc/self/ns/net", st.nspath, NULL, MS_BIND, NULL) < 0)
		die(EXIT_SETUP, "--netns: bind the namespace on %s:", st.nspath);
	st.ns_mounted = 1;
}

static int
cmd_attach(int argc, char *argv[])
{
	struct netconf c;
	struct nl local;
	char err[512], ip[16], gw[16], sub[16], prefix[4];
	const char *lbproxy = NULL, *what;
	uint32_t addr;
	int c_, root, r, bridge, created, vidx;

	exitfail = EXIT_SETUP;
	optind = 1;
	while ((c_ = optspec_getopt(argc, argv, attach_opts)) != -1) {
		switch (c_) {
		case O_IP:
			if (strcmp(optarg, "auto") == 0)
				opt.want = 0;
			else if (ip_parse(optarg, &opt.want) < 0)
				die(EXIT_SETUP, "--ip %s: not an IPv4 address", optarg);
			break;
		case O_IPFILE: opt.ipfile = optarg; break;
		case 'm':
			if (parse_mac(optarg, opt.mac) < 0)
				die(EXIT_SETUP, "--mac %s: expected six hex bytes such as 02:42:0a:58:00:02", optarg);
			if (opt.mac[0] & 1)
				die(EXIT_SETUP, "--mac %s: a multicast address", optarg);
			opt.has_mac = 1;
			break;
		case O_NETNS:
			if (optarg[0] == '\0' || strchr(optarg, '/') ||
			    strcmp(optarg, ".") == 0 || strcmp(optarg, "..") == 0 ||
			    strlen(optarg) > 200)
				die(EXIT_SETUP, "--netns %s: not a namespace name", optarg);
			opt.netns = optarg;
			break;
		case 'n': opt.network = optarg; break;
		case 'p':
			if (opt.nports == MAXPORTS)
				die(EXIT_SETUP, "--publish %s: at most %d ports", optarg, MAXPORTS);
			if (pubport_parse(optarg, &opt.ports[opt.nports], err, sizeof(err)) < 0)
				die(EXIT_SETUP, "--publish %s: %s", optarg, err);
			opt.nports++;
			break;
		default: getopt_common(c_, attach_opts, argv);
		}
	}
	if (opt.netns) {
		if (optind < argc)
			die(EXIT_SETUP, "--netns: makes a namespace and exits; no PROGRAM");
		if (opt.nports)
			die(EXIT_SETUP, "--netns: --publish needs a container to follow (use a chain)");
		snprintf(st.nspath, sizeof(st.nspath), "%s/%s", NETNS_DIR, opt.netns);
		if (access(st.nspath, F_OK) == 0)
			die(EXIT_SETUP, "--netns %s: %s exists", opt.netns, st.nspath);
	} else if (optind >= argc)
		usage();
	opt.argv = argv + optind;
	check_name(opt.network);
	if (opt.nports && nft_path() == NULL) {
		/* find_program's buffer is reused by nft_path: keep a copy. */
		if ((lbproxy = find_program("lb-proxy")) == NULL ||
		    (lbproxy = strdup(lbproxy)) == NULL)
			die(EXIT_SETUP, "--publish: neither nft (nftables) nor lb-proxy found");
		st.proxy = 1;
	}

	root = netroot();
	if ((r = netconf_load(root, opt.network, &c)) < 0)
		die(EXIT_SETUP, "network %s: config:", opt.network);
	if (r == 0) {
		char *cargv[] = { "create", DEFAULT_NET, NULL };
		int saved = dup(1), devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (strcmp(opt.network, DEFAULT_NET) != 0)
			die(EXIT_SETUP, "network %s: no such network (net-bridge create %s)",
			    opt.network, opt.network);
		/* The default network is made on first use, quietly. */
		fflush(stdout);
		dup2(devnull, 1);
		cmd_create(2, cargv);
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
		close(devnull);
		load_or_die(root, opt.network, &c);
	}
	ip_format(c.net.addr, sub);
	if (opt.want) {
		ip_format(opt.want, ip);
		if (!ipnet_contains(&c.net, opt.want))
			die(EXIT_SETUP, "--ip %s: outside network %s (%s/%d)", ip, c.name, sub, c.net.prefix);
		if (opt.want == c.gw)
			die(EXIT_SETUP, "--ip %s: the gateway of network %s", ip, c.name);
		if (opt.want < ipnet_first(&c.net) || opt.want > ipnet_last(&c.net))
			die(EXIT_SETUP, "--ip %s: not a host address of %s/%d", ip, sub, c.net.prefix);
	}
	if ((st.netdir = openat(root, opt.network, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(EXIT_SETUP, "network %s:", opt.network);
	if (nl_open(&st.host) < 0)
		die(EXIT_SETUP, "netlink:");
	if ((bridge = nl_bridge_ensure(&st.host, &c, 1, &created, err, sizeof(err))) < 0)
		die(EXIT_SETUP, "network %s: %s", c.name, err);
	if (created) {
		/* The bridge had gone (the namespace of the state was left): its
		 * rules may have gone with it. */
		struct script sc;

		script_open(&sc);
		nft_base(sc.f);
		nft_net_add(sc.f, c.name, &c.net, c.internal);
		if (script_run(&sc, err, sizeof(err)) < 0 && errno != ENOENT)
			die(EXIT_SETUP, "network %s: nft: %s", c.name, err);
	}
	if (owner_self(&st.owner, getpid()) < 0)
		die(EXIT_SETUP, "/proc/self/stat:");

	if (ipam_allocate(st.netdir, &c.net, c.gw, opt.want, &st.owner, &addr) < 0) {
		if (errno == EADDRINUSE)
			die(EXIT_SETUP, "--ip %s: already leased on network %s", ip, c.name);
		if (errno == ENOSPC)
			die(EXIT_SETUP, "network %s: no free address in %s/%d", c.name, sub, c.net.prefix);
		die(EXIT_SETUP, "network %s: lease:", c.name);
	}
	ip_format(addr, st.lease);
	memcpy(ip, st.lease, sizeof(ip));
	if (opt.nports) {
		claim_ports(root, addr);
		spawn_watcher(lbproxy);
	}

	if (unshare(CLONE_NEWNET) < 0)
		die(EXIT_SETUP, "unshare network namespace:");
	if (opt.netns)
		make_netns();

	/* The container's end is made inside its namespace: moving it there
	 * afterwards costs a namespace change of the link, and the name eth0
	 * could clash in the host. The host end is named after the address. */
	snprintf(st.veth, sizeof(st.veth), "vb%08x", addr);
	for (r = 0; ; r++) {
		if (nl_veth_add(&st.host, st.veth, bridge, "eth0", getpid(),
		    opt.has_mac ? opt.mac : NULL, c.mtu) == 0)
			break;
		/* A dead container's namespace is torn down asynchronously:
		 * its veth can outlive its lease for a moment. */
		if (errno != EEXIST || r > 0 ||
		    (vidx = nl_link_get(&st.host, st.veth, NULL, NULL, NULL, 0)) < 0 ||
		    nl_link_del(&st.host, vidx) < 0)
			die(EXIT_SETUP, "veth %s: %s", st.veth, strerror(errno));
	}
	st.veth_made = 1;

	if (nl_open(&local) < 0)
		die(EXIT_SETUP, "netlink in the new namespace:");
	if (nl_ifup_addr_route(&local, "eth0", htonl(addr), c.net.prefix,
	    htonl(c.gw), &what) < 0) {
		if (strcmp(what, "lo up") == 0)
			die(EXIT_SETUP, "lo up:");
		if (strcmp(what, "address") == 0)
			die(EXIT_SETUP, "eth0: address %s/%d:", ip, c.net.prefix);
		die(EXIT_SETUP, "eth0%s%s:", *what ? " " : "", what);
	}
	nl_close(&local);
	if (nl_port_up(&st.host, st.veth, 1) < 0)
		die(EXIT_SETUP, "veth %s: up, hairpin:", st.veth);

	if (opt.ipfile)
		write_ipfile(opt.ipfile, ip);
	ip_format(c.gw, gw);
	if (opt.netns) {
		struct owner o;

		memset(&o, 0, sizeof(o));
		snprintf(o.netns, sizeof(o.netns), "%s", st.nspath);
		if (owner_replace(st.netdir, st.lease, &o) < 0)
			die(EXIT_SETUP, "lease %s:", ip);
		printf("%s\n", ip);
		if (fflush(stdout) != 0)
			die(EXIT_SETUP, "stdout:");
		st.committed = 1;
		return 0;
	}
	snprintf(prefix, sizeof(prefix), "%d", c.net.prefix);
	if (setenv("SKIFF_IP", ip, 1) < 0 || setenv("SKIFF_GATEWAY", gw, 1) < 0 ||
	    setenv("SKIFF_PREFIX", prefix, 1) < 0 || setenv("SKIFF_NETWORK", c.name, 1) < 0)
		die(EXIT_SETUP, "setenv:");
	execvp(opt.argv[0], opt.argv);
	die(exec_status(errno), "exec %s:", opt.argv[0]);
}

int
main(int argc, char *argv[])
{
	setprogname(argv[0]);
	if (argc > 1) {
		if (strcmp(argv[1], "create") == 0)
			return cmd_create(argc - 1, argv + 1);
		if (strcmp(argv[1], "rm") == 0)
			return cmd_rm(argc - 1, argv + 1);
		if (strcmp(argv[1], "ls") == 0)
			return cmd_ls(argc - 1, argv + 1);
		if (strcmp(argv[1], "inspect") == 0)
			return cmd_inspect(argc - 1, argv + 1);
		if (strcmp(argv[1], "gc") == 0)
			return cmd_gc(argc - 1, argv + 1);
	}
	return cmd_attach(argc, argv);
}
