/* SPDX-License-Identifier: ISC */
/* nft.c: NAT, published ports and network isolation through nft(8).
 *
 * Everything lives in the table "ip skiff". Per-network and per-port state is
 * kept as set and map elements, not as rules, so that removing a network or a
 * port is deleting an element by its key: no rule handles to look up.
 *   bridges   every skiff bridge (ifname)
 *   nets      subnets that get outbound masquerade (not --internal)
 *   allnets   every skiff subnet
 *   fwd_out   iifname -> jump fwd-NAME: isolation of a network's traffic
 *   fwd_in    oifname -> jump fin-NAME: an --internal network's ingress
 *   tcp_any, udp_any    HOSTPORT -> IP . PORT  (published on all addresses)
 *   tcp_ip, udp_ip      HOSTIP . HOSTPORT -> IP . PORT
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "nft.h"

static int
parse_port(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 5 || (s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

int
pubport_parse(const char *s, struct pubport *p, char *err, size_t errlen)
{
	char buf[64], *proto, *c1, *c2;

	memset(p, 0, sizeof(*p));
	if (strlen(s) >= sizeof(buf)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	strcpy(buf, s);
	if ((proto = strchr(buf, '/')) != NULL) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			p->udp = 1;
		else if (strcmp(proto, "tcp") != 0) {
			snprintf(err, errlen, "protocol must be tcp or udp");
			return -1;
		}
	}
	if ((c2 = strrchr(buf, ':')) == NULL) {
		snprintf(err, errlen, "expected [HOSTIP:]HOSTPORT:PORT[/tcp|/udp]");
		return -1;
	}
	*c2++ = '\0';
	if ((c1 = strrchr(buf, ':')) != NULL) {
		*c1++ = '\0';
		if (ip_parse(buf, &p->hostip) < 0) {
			snprintf(err, errlen, "bad host address '%s'", buf);
			return -1;
		}
	} else
		c1 = buf;
	if (parse_port(c1, strlen(c1), &p->hostport) < 0 ||
	    parse_port(c2, strlen(c2), &p->port) < 0) {
		snprintf(err, errlen, "ports must be 1 to 65535");
		return -1;
	}
	return 0;
}

int
pubport_from_file(const char *name, struct pubport *p)
{
	char buf[64], *dash;
	long long v;

	memset(p, 0, sizeof(*p));
	if (strlen(name) >= sizeof(buf))
		return -1;
	strcpy(buf, name);
	if (strncmp(buf, "udp-", 4) == 0)
		p->udp = 1;
	else if (strncmp(buf, "tcp-", 4) != 0)
		return -1;
	if ((dash = strchr(buf + 4, '-')) != NULL) {
		*dash++ = '\0';
		if (ip_parse(dash, &p->hostip) < 0)
			return -1;
	}
	if (parse_num(buf + 4, 1, 65535, &v) < 0)
		return -1;
	p->hostport = (unsigned)v;
	return 0;
}

void
pubport_file(const struct pubport *p, char *buf, size_t len)
{
	char h[16];

	if (p->hostip) {
		ip_format(p->hostip, h);
		snprintf(buf, len, "%s-%u-%s", p->udp ? "udp" : "tcp", p->hostport, h);
	} else
		snprintf(buf, len, "%s-%u", p->udp ? "udp" : "tcp", p->hostport);
}

int
pubport_claim(int portsdir, const struct pubport *p, const struct owner *o,
    struct owner *holder)
{
	char file[48], other[48];
	struct pubport any = *p;
	struct dirent *e;
	size_t n;
	DIR *d;
	int fd, busy = 0;

	memset(holder, 0, sizeof(*holder));
	pubport_file(p, file, sizeof(file));
	if (p->hostip) {
		any.hostip = 0;
		pubport_file(&any, other, sizeof(other));
		busy = owner_read(portsdir, other, holder) == 1;
	} else {
		snprintf(other, sizeof(other), "%s-%u-", p->udp ? "udp" : "tcp", p->hostport);
		n = strlen(other);
		if ((fd = openat(portsdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return -1;
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			return -1;
		}
		while (!busy && (e = readdir(d)) != NULL)
			busy = strncmp(e->d_name, other, n) == 0 &&
			    owner_read(portsdir, e->d_name, holder) == 1;
		closedir(d);
	}
	if (!busy && owner_claim(portsdir, file, o) == 0)
		return 0;
	if (!busy) {
		if (errno != EEXIST)
			return -1;
		owner_read(portsdir, file, holder);
	}
	errno = EADDRINUSE;
	return -1;
}

const char *
find_program(const char *name)
{
	static char buf[PATH_MAX];
	const char *p = getenv("PATH"), *e;
	size_t n;

	for (p = p ? p : ""; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || n + strlen(name) + 2 > sizeof(buf))
			continue;
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

const char *
nft_path(void)
{
	static const char *const fallback[] = { "/usr/sbin/nft", "/sbin/nft" };
	const char *force = getenv("SKIFF_NFT"), *p;
	size_t i;

	/* SKIFF_NFT=none (or empty) does without nft; a path names it. */
	if (force != NULL) {
		if (*force == '\0' || strcmp(force, "none") == 0)
			return NULL;
		return access(force, X_OK) == 0 ? force : NULL;
	}
	if ((p = find_program("nft")) != NULL)
		return p;
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++)
		if (access(fallback[i], X_OK) == 0)
			return fallback[i];
	return NULL;
}

int
pubport_proxy_start(const char *lbproxy, const struct pubport *ports, size_t n,
    pid_t *pids)
{
	char listen[40], backend[40], h[16], c[16];
	const struct pubport *p;
	size_t i;
	int rp[2];
	ssize_t r;

	for (i = 0; i < n; i++)
		pids[i] = 0;
	for (i = 0; i < n; i++) {
		p = &ports[i];
		ip_format(p->hostip, h);
		ip_format(p->ip, c);
		snprintf(listen, sizeof(listen), "%s:%u", h, p->hostport);
		snprintf(backend, sizeof(backend), "%s:%u", c, p->port);
		if (pipe2(rp, O_CLOEXEC) < 0)
			goto fail;
		if ((pids[i] = fork()) < 0) {
			pids[i] = 0;
			close(rp[0]);
			close(rp[1]);
			goto fail;
		}
		if (pids[i] == 0) {
			if (dup2(rp[1], 3) < 0)
				_exit(126);
			execl(lbproxy, "lb-proxy", "--listen", listen, "--backend", backend,
			    "--health", "none", "--ready-fd", "3",
			    p->udp ? "--udp" : (char *)NULL, (char *)NULL);
			_exit(127);
		}
		close(rp[1]);
		/* A newline once it listens; EOF when it died first. */
		while ((r = read(rp[0], c, 1)) < 0 && errno == EINTR)
			;
		close(rp[0]);
		if (r != 1)
			goto fail;
	}
	return 0;
fail:
	pubport_proxy_stop(pids, n);
	errno = EADDRINUSE;
	return -1;
}

void
pubport_proxy_stop(pid_t *pids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
}

void
nft_base(FILE *f)
{
	static const char *const maps[][2] = {
		{ "tcp_any", "inet_service" }, { "udp_any", "inet_service" },
		{ "tcp_ip", "ipv4_addr . inet_service" },
		{ "udp_ip", "ipv4_addr . inet_service" },
	};
	size_t i;

	fputs("add table ip skiff\n"
	    "add set ip skiff bridges { type ifname; }\n"
	    "add set ip skiff nets { type ipv4_addr; flags interval; }\n"
	    "add set ip skiff allnets { type ipv4_addr; flags interval; }\n"
	    "add map ip skiff fwd_out { type ifname : verdict; }\n"
	    "add map ip skiff fwd_in { type ifname : verdict; }\n", f);
	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(f, "add map ip skiff %s { type %s : ipv4_addr . inet_service; }\n",
		    maps[i][0], maps[i][1]);
	fputs("add chain ip skiff prerouting { type nat hook prerouting priority dstnat; policy accept; }\n"
	    "add chain ip skiff output { type nat hook output priority -100; policy accept; }\n"
	    "add chain ip skiff postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
	    "add chain ip skiff forward { type filter hook forward priority filter; policy accept; }\n"
	    "add chain ip skiff ports\n"
	    "flush chain ip skiff prerouting\n"
	    "flush chain ip skiff output\n"
	    "flush chain ip skiff postrouting\n"
	    "flush chain ip skiff forward\n"
	    "flush chain ip skiff ports\n"
	    "add rule ip skiff prerouting fib daddr type local jump ports\n"
	    "add rule ip skiff output fib daddr type local jump ports\n"
	    "add rule ip skiff ports dnat ip to ip daddr . tcp dport map @tcp_ip\n"
	    "add rule ip skiff ports dnat ip to tcp dport map @tcp_any\n"
	    "add rule ip skiff ports dnat ip to ip daddr . udp dport map @udp_ip\n"
	    "add rule ip skiff ports dnat ip to udp dport map @udp_any\n"
	    /* Outbound: masquerade a network's traffic leaving the skiff nets. */
	    "add rule ip skiff postrouting ip saddr @nets ip daddr != @allnets masquerade\n"
	    /* Published ports reached from 127.0.0.1 (route_localnet) and from
	     * containers, hairpin included: the answer must come back through
	     * the host, so the source becomes the bridge's address. */
	    "add rule ip skiff postrouting ct status dnat ip saddr 127.0.0.0/8 masquerade\n"
	    "add rule ip skiff postrouting ct status dnat ip saddr @allnets oifname @bridges masquerade\n"
	    "add rule ip skiff forward iifname vmap @fwd_out\n"
	    "add rule ip skiff forward oifname vmap @fwd_in\n", f);
}

static void
cidr(const struct ipnet *net, char buf[20])
{
	ip_format(net->addr, buf);
	snprintf(buf + strlen(buf), 4, "/%d", net->prefix);
}

void
nft_net_add(FILE *f, const char *name, const struct ipnet *net, int internal)
{
	char c[20];

	cidr(net, c);
	fprintf(f, "add chain ip skiff fwd-%s\n"
	    "flush chain ip skiff fwd-%s\n"
	    "add rule ip skiff fwd-%s oifname \"%s\" accept\n"
	    "add rule ip skiff fwd-%s oifname @bridges drop\n",
	    name, name, name, name, name);
	fprintf(f, "add element ip skiff bridges { \"%s\" }\n"
	    "add element ip skiff allnets { %s }\n"
	    "add element ip skiff fwd_out { \"%s\" : jump fwd-%s }\n",
	    name, c, name, name);
	if (internal) {
		fprintf(f, "add rule ip skiff fwd-%s drop\n"
		    "add chain ip skiff fin-%s\n"
		    "flush chain ip skiff fin-%s\n"
		    "add rule ip skiff fin-%s iifname != \"%s\" drop\n"
		    "add element ip skiff fwd_in { \"%s\" : jump fin-%s }\n",
		    name, name, name, name, name, name, name);
	} else
		fprintf(f, "add element ip skiff nets { %s }\n", c);
}

void
nft_net_del(FILE *f, const char *name, const struct ipnet *net)
{
	char c[20];

	cidr(net, c);
	/* Adding first makes each delete succeed whatever was there. */
	fprintf(f, "add chain ip skiff fwd-%s\n"
	    "add chain ip skiff fin-%s\n"
	    "add element ip skiff bridges { \"%s\" }\n"
	    "add element ip skiff allnets { %s }\n"
	    "add element ip skiff nets { %s }\n"
	    "add element ip skiff fwd_out { \"%s\" : jump fwd-%s }\n"
	    "add element ip skiff fwd_in { \"%s\" : jump fin-%s }\n"
	    "delete element ip skiff fwd_out { \"%s\" }\n"
	    "delete element ip skiff fwd_in { \"%s\" }\n"
	    "delete element ip skiff bridges { \"%s\" }\n"
	    "delete element ip skiff allnets { %s }\n"
	    "delete element ip skiff nets { %s }\n"
	    "flush chain ip skiff fwd-%s\n"
	    "flush chain ip skiff fin-%s\n"
	    "delete chain ip skiff fwd-%s\n"
	    "delete chain ip skiff fin-%s\n",
	    name, name, name, c, c, name, name, name, name, name, name, name,
	    c, c, name, name, name, name);
}

static void
port_key(const struct pubport *p, char *map, size_t maplen, char *key, size_t keylen)
{
	char h[16];

	if (p->hostip) {
		ip_format(p->hostip, h);
		snprintf(map, maplen, "%s_ip", p->udp ? "udp" : "tcp");
		snprintf(key, keylen, "%s . %u", h, p->hostport);
	} else {
		snprintf(map, maplen, "%s_any", p->udp ? "udp" : "tcp");
		snprintf(key, keylen, "%u", p->hostport);
	}
}

void
nft_port_add(FILE *f, const struct pubport *p)
{
	char map[16], key[32], ip[16];

	port_key(p, map, sizeof(map), key, sizeof(key));
	ip_format(p->ip, ip);
	fprintf(f, "add element ip skiff %s { %s : %s . %u }\n", map, key, ip, p->port);
}

void
nft_port_del(FILE *f, const struct pubport *p)
{
	char map[16], key[32];

	port_key(p, map, sizeof(map), key, sizeof(key));
	fprintf(f, "delete element ip skiff %s { %s }\n", map, key);
}

int
nft_run(const char *script, char *err, size_t errlen)
{
	const char *nft = nft_path();
	int in[2], out[2], status;
	size_t len = strlen(script), off = 0;
	ssize_t n;
	pid_t pid;

	if (errlen)
		err[0] = '\0';
	if (nft == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (dup2(in[0], 0) < 0 || dup2(out[1], 2) < 0 ||
		    (devnull >= 0 && dup2(devnull, 1) < 0))
			_exit(126);
		execl(nft, "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	while (off < len) {
		n = write(in[1], script + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(in[1]);
	/* nft's first line of complaint, the rest drained. */
	{
		char buf[512];
		size_t got = 0;

		while ((n = read(out[0], buf + got, sizeof(buf) - 1 - got)) > 0 ||
		    (n < 0 && errno == EINTR)) {
			if (n > 0)
				got += (size_t)n;
			if (got == sizeof(buf) - 1) {
				char sink[512];

				while (read(out[0], sink, sizeof(sink)) > 0)
					;
				break;
			}
		}
		buf[got] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (errlen)
			snprintf(err, errlen, "%s", buf);
	}
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (errlen && err[0] == '\0')
		snprintf(err, errlen, "nft failed");
	errno = EIO;
	return -1;
}
