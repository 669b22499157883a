/* SPDX-License-Identifier: ISC */
/* svc-dns: cluster DNS: answers from zone files, forwards the rest to
 * upstream servers through a cache; UDP and TCP, epoll, reloads in place. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "util.h"

#define MAXLISTEN 16
#define MAXUP 8
#define MAXZONES 64
#define MAXTHREADS 64
#define MAXCONN 256		/* TCP connections, per worker */
#define BATCH 32		/* UDP datagrams per recvmmsg/sendmmsg */
#define TCP_IDLE_MS 10000
#define MAXTCPOUT (1 << 20)
#define RELOAD_DELAY_MS 50	/* let a burst of file events settle */

struct addr {
	struct sockaddr_storage sa;
	socklen_t len;
	char text[96];
};

static struct {
	struct addr listen[MAXLISTEN];
	size_t nlisten;
	struct addr up[MAXUP];
	struct dns_upstream ups[MAXUP];
	size_t nup;
	char *zones[MAXZONES];
	size_t nzones;
	const char *domain, *resolv;
	long long ttl, cache, threads, readyfd;
	int explicit_up;
} conf = { .domain = "cluster.local", .resolv = "/etc/resolv.conf",
	.ttl = 5, .cache = 10000, .threads = 1, .readyfd = -1 };

/* The records, shared by the workers; the last one to let go frees them. */
struct dbref {
	struct dns_db *db;
	atomic_int refs;
};

static pthread_mutex_t dblock = PTHREAD_MUTEX_INITIALIZER;
static struct dbref *curdb;
static atomic_int stopping;

struct conn {
	int fd;			/* -1: free */
	uint32_t gen;
	uint64_t active;
	size_t inlen, outlen, outoff;
	uint8_t *in, *out;
	size_t outcap;
	int closing;
};

enum { K_UDP, K_TCP, K_CONN, K_PEND, K_SIG, K_INOTIFY, K_WAKE };

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
union ctl {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct worker {
	int ep, wake;
	int udp[MAXLISTEN], tcp[MAXLISTEN];
	int wild[MAXLISTEN];	/* bound to 0.0.0.0 or ::, so replies need a source */
	union ctl inctl[BATCH], outctl[BATCH];
	struct dbref *db;
	struct dns_cache *cache;
	struct dns_fwd *fwd;
	struct conn conns[MAXCONN];
	size_t nconn;
	pthread_t thread;
	uint8_t big[DNS_MAXMSG + 2];
	uint8_t inbuf[BATCH][4096];
	uint8_t outbuf[BATCH][DNS_UDPSIZE];
};

static struct worker *workers;
static int sigfd = -1, inofd = -1;
static uint64_t reload_at;

static const char usage_line[] =
    "svc-dns [--cache-size N] [--domain NAME] [--listen ADDR[:PORT]]..."
    " [--ready-fd FD] [--resolv-conf FILE] [--threads N] [--ttl SECONDS]"
    " [--upstream ADDR[:PORT]]... --zone FILE|DIR...";

enum {
	O_CACHE = 0x100, O_DOMAIN, O_LISTEN, O_READY, O_RESOLV, O_THREADS, O_TTL,
	O_UP, O_ZONE,
};

static const struct optspec options[] = {
	{ "cache-size", required_argument, O_CACHE, "N", "forwarded answers kept (default 10000, 0: none)" },
	{ "domain", required_argument, O_DOMAIN, "NAME", "the cluster domain, a zone of ours (default cluster.local)" },
	{ "listen", required_argument, O_LISTEN, "ADDR[:PORT]", "UDP and TCP address to serve (default 0.0.0.0:53)" },
	{ "ready-fd", required_argument, O_READY, "FD", "write a newline to FD once serving" },
	{ "resolv-conf", required_argument, O_RESOLV, "FILE", "upstreams from FILE's nameserver lines (default /etc/resolv.conf)" },
	{ "threads", required_argument, O_THREADS, "N", "N workers on SO_REUSEPORT sockets (default 1)" },
	{ "ttl", required_argument, O_TTL, "SECONDS", "TTL of records that give none (default 5)" },
	{ "upstream", required_argument, O_UP, "ADDR[:PORT]", "forward other names there (instead of resolv.conf)" },
	{ "zone", required_argument, O_ZONE, "FILE|DIR", "records from a zone file, or every file in DIR" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

/* "127.0.0.1:53", "[::1]:5353", "10.0.0.1", "::1". */
static int
parse_addr(const char *s, int defport, struct addr *a)
{
	char host[64];
	const char *port = NULL, *colon = strrchr(s, ':');
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;
	long long p = defport;
	size_t n;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *e = strchr(s, ']');

		if (e == NULL || (e[1] != '\0' && e[1] != ':'))
			return -1;
		n = (size_t)(e - s - 1);
		if (e[1] == ':')
			port = e + 2;
		s++;
	} else if (colon != NULL && strchr(s, ':') == colon) {
		n = (size_t)(colon - s);
		port = colon + 1;
	} else
		n = strlen(s);
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (port != NULL && parse_num(port, 1, 65535, &p) < 0)
		return -1;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		a->len = sizeof(*in4);
		snprintf(a->text, sizeof(a->text), "%s:%lld", host, p);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		a->len = sizeof(*in6);
		snprintf(a->text, sizeof(a->text), "[%s]:%lld", host, p);
	} else
		return -1;
	return 0;
}

static int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->len == b->len && memcmp(&a->sa, &b->sa, a->len) == 0;
}

/* nameserver lines of resolv.conf; our own listening address is skipped,
 * so svc-dns never forwards to itself. */
static void
read_resolv(void)
{
	FILE *f = fopen(conf.resolv, "re");
	char line[512], ns[128];
	size_t i;

	if (f == NULL) {
		if (errno != ENOENT)
			die(1, "%s:", conf.resolv);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL && conf.nup < MAXUP) {
		struct addr a;
		int self = 0;
		char *pct;

		if (sscanf(line, " nameserver %127s", ns) != 1)
			continue;
		if ((pct = strchr(ns, '%')) != NULL)
			*pct = '\0';	/* a zone index: not for us */
		if (parse_addr(ns, 53, &a) < 0)
			continue;
		for (i = 0; i < conf.nlisten; i++)
			self |= same_addr(&a, &conf.listen[i]);
		if (!self)
			conf.up[conf.nup++] = a;
	}
	fclose(f);
}

/* ---- the records ----------------------------------------------------- */

static struct dbref *
dbref_get(void)
{
	struct dbref *r;

	pthread_mutex_lock(&dblock);
	r = curdb;
	atomic_fetch_add(&r->refs, 1);
	pthread_mutex_unlock(&dblock);
	return r;
}

static void
dbref_put(struct dbref *r)
{
	if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
		dns_db_free(r->db);
		free(r);
	}
}

/* Reads every zone into a new table, and only when all of it is good puts
 * it in place of the old one: a bad edit leaves the served data alone. */
static int
load(int first)
{
	char err[512];
	struct dns_db *db;
	struct dbref *r, *old;
	long long i;

	db = dns_db_load(conf.zones, conf.nzones, conf.domain,
	    (uint32_t)conf.ttl, err, sizeof(err));
	if (db == NULL) {
		if (first)
			die(1, "%s", err);
		warn("%s (keeping the records loaded before)", err);
		return -1;
	}
	if ((r = malloc(sizeof(*r))) == NULL) {
		dns_db_free(db);
		if (first)
			die(1, "reload:");
		warn("reload:");
		return -1;
	}
	r->db = db;
	atomic_init(&r->refs, 1);
	pthread_mutex_lock(&dblock);
	old = curdb;
	curdb = r;
	pthread_mutex_unlock(&dblock);
	dbref_put(old);
	warn("loaded %zu records", dns_db_count(db));
	if (!first)
		for (i = 0; i < conf.threads; i++) {
			uint64_t one = 1;

			(void)!write(workers[i].wake, &one, sizeof(one));
		}
	return 0;
}

/* ---- sockets --------------------------------------------------------- */

static void
ep_add(struct worker *w, int fd, uint32_t events, int kind, uint32_t idx)
{
	struct epoll_event ev = { .events = events,
		.data.u64 = (uint64_t)kind << 32 | idx };

	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die(1, "epoll_ctl:");
}

static int
wildcard(const struct addr *a)
{
	if (a->sa.ss_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)&a->sa)->sin6_addr);
	return ((const struct sockaddr_in *)&a->sa)->sin_addr.s_addr == htonl(INADDR_ANY);
}

static int
listen_socket(const struct addr *a, int type, int shared)
{
	int fd, one = 1;

	fd = socket(a->sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "listen %s: socket:", a->text);
	/* For UDP, SO_REUSEADDR would let a second server share the port
	 * without a word; TCP needs it to rebind over TIME_WAIT. */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (shared)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (a->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* A socket on every address must answer from the address it was
	 * asked on, which the kernel tells with each datagram. */
	if (type == SOCK_DGRAM && wildcard(a)) {
		if (a->sa.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
		die(1, "listen %s/%s:", a->text, type == SOCK_DGRAM ? "udp" : "tcp");
	if (type == SOCK_STREAM && listen(fd, 128) < 0)
		die(1, "listen %s/tcp:", a->text);
	return fd;
}


static size_t
udp_limit(const struct dns_query *q)
{
	if (!q->edns)
		return 512;
	return q->udpsize < DNS_UDPSIZE ? q->udpsize : DNS_UDPSIZE;
}

static void conn_reply(struct worker *w, int ci, const uint8_t *msg, size_t len);

/* Takes the query's destination from the control data recvmmsg filled in
 * (only wildcard sockets ask for it). */
static void
get_dest(struct msghdr *m, struct dns_client *cl)
{
	struct cmsghdr *c;

	cl->tofamily = 0;
	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			/* the local address, also for a broadcast query */
			memcpy(cl->to, &pi.ipi_spec_dst, 4);
			cl->toif = pi.ipi_ifindex;
			cl->tofamily = AF_INET;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(cl->to, &pi.ipi6_addr, 16);
			cl->toif = (int)pi.ipi6_ifindex;
			cl->tofamily = AF_INET6;
		}
	}
}

/* Makes the reply m leave from the address its query came to, for a
 * wildcard socket; else m goes without control data. The buffer is zeroed
 * whole, so musl's pad fields are 0 as the kernel's size_t lengths need
 * (see send_batch). */
static void
set_source(struct msghdr *m, union ctl *ctl, const struct dns_client *cl)
{
	struct cmsghdr *c;

	if (cl->tofamily == 0)
		return;
	memset(ctl, 0, sizeof(*ctl));
	m->msg_control = ctl->buf;
	c = (struct cmsghdr *)ctl->buf;
	if (cl->tofamily == AF_INET) {
		struct in_pktinfo pi = { .ipi_ifindex = 0 };

		memcpy(&pi.ipi_spec_dst, cl->to, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_ifindex = (unsigned)cl->toif };

		memcpy(&pi.ipi6_addr, cl->to, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		m->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}

/* Sends a finished reply to its client; UDP replies above the client's
 * size go out as header and question with TC set. */
static void
deliver(void *arg, const struct dns_client *cl, const struct dns_query *q,
    uint8_t *msg, size_t len)
{
	struct worker *w = arg;
	uint8_t small[512];

	if (cl->conn >= 0) {
		if (w->conns[cl->conn].fd >= 0 && w->conns[cl->conn].gen == cl->gen)
			conn_reply(w, cl->conn, msg, len);
		return;
	}
	if (len > udp_limit(q)) {
		len = dns_truncate_reply(q, msg, len, small, sizeof(small));
		msg = small;
	}
	if (len > 0) {
		struct iovec iov = { msg, len };
		union ctl ctl;
		struct msghdr m = { .msg_name = (void *)&cl->sa,
			.msg_namelen = cl->salen, .msg_iov = &iov, .msg_iovlen = 1 };

		set_source(&m, &ctl, cl);
		sendmsg(w->udp[cl->lidx], &m, MSG_DONTWAIT);
	}
}

/*
 * One query to its answer in out (cap bytes), returning the length; 0 when
 * it is dropped or forwarded (its answer comes later). UDP answers that do
 * not fit cap come back truncated.
 */
static size_t
answer(struct worker *w, const uint8_t *pkt, size_t len,
    const struct dns_client *cl, uint8_t *out, size_t cap)
{
	struct dns_query q;
	size_t n;

	if (dns_parse_query(pkt, len, &q) < 0)
		return 0;
	if (cl->conn < 0 && cap > udp_limit(&q))
		cap = udp_limit(&q);
	if (dns_db_answer(w->db->db, &q, out, cap, &n) < 0) {
		if (conf.nup == 0) {
			n = dns_error_reply(&q, DNS_R_REFUSED, out, cap);
		} else if (w->cache && (n = dns_cache_get(w->cache, &q, w->big,
		    sizeof(w->big), mono_ms())) > 0) {
			if (n > cap)
				return dns_truncate_reply(&q, w->big, n, out, cap);
			memmove(out, w->big, n);
			return n;
		} else if (dns_fwd_query(w->fwd, &q, cl, pkt, len) == 0)
			return 0;
		else
			n = dns_error_reply(&q, DNS_R_SERVFAIL, out, cap);
	} else if (n == 0)
		n = dns_truncate_reply(&q, out, 12, out, cap);
	if (n > 0 && conf.nup > 0)
		out[3] |= DNS_F_RA;
	return n;
}

/*
 * musl's sendmmsg() is a loop of sendmsg() on 64-bit targets, because the
 * kernel's msghdr and cmsghdr have size_t lengths where musl has an int
 * and a pad. Our headers come from compound literals and set_source zeroes
 * its control data, so every pad is zero: the kernel reads them as they
 * are, and the batch costs one system call (and one chance to be
 * preempted) instead of one per datagram.
 */
static int
send_batch(int fd, struct mmsghdr *m, unsigned n)
{
	return (int)syscall(SYS_sendmmsg, fd, m, n, MSG_DONTWAIT);
}

static void
udp_read(struct worker *w, int li)
{
	struct mmsghdr in[BATCH], outm[BATCH];
	struct iovec iov[BATCH], oiov[BATCH];
	struct sockaddr_storage sa[BATCH];
	struct dns_client cl = { .conn = -1, .lidx = li };
	int i, n, no, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ w->inbuf[i], sizeof(w->inbuf[i]) };
			in[i].msg_hdr = (struct msghdr){ .msg_name = &sa[i],
				.msg_namelen = sizeof(sa[i]), .msg_iov = &iov[i],
				.msg_iovlen = 1 };
			if (w->wild[li]) {
				in[i].msg_hdr.msg_control = w->inctl[i].buf;
				in[i].msg_hdr.msg_controllen = sizeof(w->inctl[i].buf);
			}
		}
		n = recvmmsg(w->udp[li], in, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (i = no = 0; i < n; i++) {
			size_t len;

			if (in[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			memcpy(&cl.sa, &sa[i], sizeof(sa[i]));
			cl.salen = in[i].msg_hdr.msg_namelen;
			if (w->wild[li])
				get_dest(&in[i].msg_hdr, &cl);
			len = answer(w, w->inbuf[i], in[i].msg_len, &cl,
			    w->outbuf[no], sizeof(w->outbuf[no]));
			if (len == 0)
				continue;
			oiov[no] = (struct iovec){ w->outbuf[no], len };
			outm[no].msg_hdr = (struct msghdr){ .msg_name = &sa[i],
				.msg_namelen = in[i].msg_hdr.msg_namelen,
				.msg_iov = &oiov[no], .msg_iovlen = 1 };
			set_source(&outm[no].msg_hdr, &w->outctl[no], &cl);
			no++;
		}
		for (i = 0; i < no;) {
			int s = send_batch(w->udp[li], outm + i, (unsigned)(no - i));

			if (s > 0)
				i += s;
			else if (s < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;	/* a full socket buffer: the clients retry */
			else
				i++;	/* this client's address failed, not the others' */
		}
		if (n < BATCH)
			return;
	}
}

/* ---- TCP ------------------------------------------------------------- */

static void
conn_close(struct worker *w, int ci)
{
	struct conn *c = &w->conns[ci];

	close(c->fd);
	c->fd = -1;
	c->gen++;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->outcap = 0;
	w->nconn--;
}

static void
conn_flush(struct worker *w, int ci)
{
	struct conn *c = &w->conns[ci];
	struct epoll_event ev = { .data.u64 = (uint64_t)K_CONN << 32 | (uint32_t)ci };

	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			conn_close(w, ci);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing) {
			conn_close(w, ci);
			return;
		}
	}
	ev.events = (c->closing ? 0 : EPOLLIN) | (c->outlen ? EPOLLOUT : 0);
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
conn_reply(struct worker *w, int ci, const uint8_t *msg, size_t len)
{
	struct conn *c = &w->conns[ci];

	if (c->outlen + len + 2 > MAXTCPOUT) {
		conn_close(w, ci);	/* a client that never reads */
		return;
	}
	if (c->outlen + len + 2 > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		uint8_t *o;

		while (cap < c->outlen + len + 2)
			cap *= 2;
		if ((o = realloc(c->out, cap)) == NULL) {
			conn_close(w, ci);
			return;
		}
		c->out = o;
		c->outcap = cap;
	}
	c->out[c->outlen] = (uint8_t)(len >> 8);
	c->out[c->outlen + 1] = (uint8_t)len;
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += len + 2;
	c->active = mono_ms();
	conn_flush(w, ci);
}

static void
conn_read(struct worker *w, int ci)
{
	struct conn *c = &w->conns[ci];
	struct dns_client cl = { .conn = ci, .gen = c->gen, .lidx = -1 };
	size_t off = 0;
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, DNS_MAXMSG + 2 - c->inlen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (c->outlen > c->outoff && n == 0) {
			c->closing = 1;	/* half-closed: answer, then close */
			conn_flush(w, ci);
			return;
		}
		conn_close(w, ci);
		return;
	}
	if (n < 0)
		return;
	c->inlen += (size_t)n;
	c->active = mono_ms();
	while (c->inlen - off >= 2) {
		size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1], len;

		if (c->inlen - off - 2 < mlen)
			break;
		len = answer(w, c->in + off + 2, mlen, &cl, w->big + 2,
		    sizeof(w->big) - 2);
		/* A forward that failed at once has answered already, and
		 * any reply may have closed the connection. */
		if (c->fd < 0 || c->gen != cl.gen)
			return;
		if (len > 0) {
			conn_reply(w, ci, w->big + 2, len);
			if (c->fd < 0 || c->gen != cl.gen)
				return;
		} else if (mlen < 12) {
			conn_close(w, ci);	/* no id to answer to */
			return;
		}
		off += 2 + mlen;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

static void
tcp_accept(struct worker *w, int li)
{
	for (;;) {
		int fd = accept4(w->tcp[li], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int ci;

		if (fd < 0)
			return;
		for (ci = 0; ci < MAXCONN && w->conns[ci].fd >= 0; ci++)
			;
		if (ci == MAXCONN || (w->conns[ci].in = malloc(DNS_MAXMSG + 2)) == NULL) {
			close(fd);	/* full: the oldest are reaped by idleness */
			continue;
		}
		w->conns[ci].fd = fd;
		w->conns[ci].inlen = w->conns[ci].outlen = w->conns[ci].outoff = 0;
		w->conns[ci].closing = 0;
		w->conns[ci].active = mono_ms();
		w->nconn++;
		ep_add(w, fd, EPOLLIN, K_CONN, (uint32_t)ci);
	}
}

/* ---- the loop -------------------------------------------------------- */

static size_t
pending(const struct worker *w)
{
	return w->fwd ? dns_fwd_pending(w->fwd) : 0;
}

static void
sweep(struct worker *w, uint64_t now)
{
	size_t i;

	if (w->fwd && dns_fwd_pending(w->fwd))
		dns_fwd_sweep(w->fwd);
	for (i = 0; i < MAXCONN && w->nconn; i++)
		if (w->conns[i].fd >= 0 && now >= w->conns[i].active + TCP_IDLE_MS)
			conn_close(w, (int)i);
}

/* What changed under a watched directory decides whether to reload: the
 * zone file itself, or any file of a zone directory but editors' and
 * atomic writers' temporaries. */
static struct {
	int wd;
	const char *base;	/* NULL: the whole directory */
} watches[MAXZONES];

static int
relevant(const struct inotify_event *ev)
{
	size_t i, l = ev->len ? strlen(ev->name) : 0;

	for (i = 0; i < conf.nzones; i++) {
		if (watches[i].wd != ev->wd)
			continue;
		/* A Kubernetes ConfigMap volume changes all its files at
		 * once by renaming a new ..data symlink into place. */
		if ((ev->mask & IN_MOVED_TO) && l > 2 && strncmp(ev->name, "..", 2) == 0)
			return 1;
		if (watches[i].base == NULL) {
			if (l == 0 || (ev->name[0] != '.' && ev->name[l - 1] != '~' &&
			    !(l > 4 && strcmp(ev->name + l - 4, ".tmp") == 0)))
				return 1;
		} else if (l && strcmp(ev->name, watches[i].base) == 0)
			return 1;
	}
	return 0;
}

static void
inotify_read(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	char *p;

	while ((n = read(inofd, buf, sizeof(buf))) > 0)
		for (p = buf; p < buf + n;
		    p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len)
			if (relevant((struct inotify_event *)p) ||
			    (((struct inotify_event *)p)->mask & IN_Q_OVERFLOW))
				reload_at = mono_ms() + RELOAD_DELAY_MS;
}

static void
signal_read(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			load(0);
		else
			atomic_store(&stopping, 1);
	}
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[64];
	int main_thread = w == &workers[0];

	while (!atomic_load(&stopping)) {
		int i, n, timeout = -1;
		uint64_t now;

		if (pending(w) || w->nconn)
			timeout = 100;
		if (main_thread && reload_at)
			timeout = RELOAD_DELAY_MS;
		n = epoll_wait(w->ep, ev, LEN(ev), timeout);
		if (n < 0 && errno != EINTR)
			die(1, "epoll_wait:");
		for (i = 0; i < n; i++) {
			uint32_t idx = (uint32_t)ev[i].data.u64;

			switch ((int)(ev[i].data.u64 >> 32)) {
			case K_UDP: udp_read(w, (int)idx); break;
			case K_TCP: tcp_accept(w, (int)idx); break;
			case K_CONN:
				if (w->conns[idx].fd < 0)
					break;
				if (ev[i].events & EPOLLOUT)
					conn_flush(w, (int)idx);
				if (w->conns[idx].fd >= 0 &&
				    (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
					conn_read(w, (int)idx);
				break;
			case K_PEND:
				dns_fwd_event(w->fwd, idx, ev[i].events);
				break;
			case K_SIG: signal_read(); break;
			case K_INOTIFY: inotify_read(); break;
			case K_WAKE: {
				uint64_t v;
				struct dbref *old = w->db;

				(void)!read(w->wake, &v, sizeof(v));
				w->db = dbref_get();
				dbref_put(old);
				break;
			}
			}
		}
		now = mono_ms();
		if (main_thread && reload_at && now >= reload_at) {
			reload_at = 0;
			load(0);
		}
		if (pending(w) || w->nconn)
			sweep(w, now);
	}
	if (main_thread)
		for (int i = 1; i < conf.threads; i++) {
			uint64_t one = 1;

			(void)!write(workers[i].wake, &one, sizeof(one));
		}
	return NULL;
}

static void
worker_init(struct worker *w)
{
	size_t i;

	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die(1, "epoll_create1:");
	if ((w->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		die(1, "eventfd:");
	ep_add(w, w->wake, EPOLLIN, K_WAKE, 0);
	for (i = 0; i < conf.nlisten; i++) {
		w->udp[i] = listen_socket(&conf.listen[i], SOCK_DGRAM, conf.threads > 1);
		w->wild[i] = wildcard(&conf.listen[i]);
		w->tcp[i] = listen_socket(&conf.listen[i], SOCK_STREAM, conf.threads > 1);
		ep_add(w, w->udp[i], EPOLLIN, K_UDP, (uint32_t)i);
		ep_add(w, w->tcp[i], EPOLLIN, K_TCP, (uint32_t)i);
	}
	for (i = 0; i < MAXCONN; i++)
		w->conns[i].fd = -1;
	if (conf.cache > 0 && conf.nup > 0 &&
	    (w->cache = dns_cache_new((size_t)conf.cache)) == NULL)
		die(1, "cache:");
	if (conf.nup > 0 && (w->fwd = dns_fwd_new(w->ep, (uint64_t)K_PEND << 32,
	    conf.ups, conf.nup, w->cache, deliver, w)) == NULL)
		die(1, "forwarder:");
}

static void
worker_free(struct worker *w)
{
	size_t i;

	dns_fwd_free(w->fwd);
	for (i = 0; i < MAXCONN; i++)
		if (w->conns[i].fd >= 0)
			conn_close(w, (int)i);
	for (i = 0; i < conf.nlisten; i++) {
		close(w->udp[i]);
		close(w->tcp[i]);
	}
	close(w->wake);
	close(w->ep);
	dns_cache_free(w->cache);
	dbref_put(w->db);
}

static void
watch_zones(struct worker *w)
{
	size_t i;

	if ((inofd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		warn("inotify:");	/* SIGHUP still reloads */
		return;
	}
	for (i = 0; i < conf.nzones; i++) {
		char dir[PATH_MAX], base[PATH_MAX];
		struct stat st;
		const char *d = conf.zones[i];

		watches[i].wd = -1;
		if (stat(conf.zones[i], &st) == 0 && !S_ISDIR(st.st_mode)) {
			snprintf(dir, sizeof(dir), "%s", conf.zones[i]);
			snprintf(base, sizeof(base), "%s", conf.zones[i]);
			d = dirname(dir);
			watches[i].base = strdup(basename(base));
		}
		watches[i].wd = inotify_add_watch(inofd, d, IN_CLOSE_WRITE |
		    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB);
		if (watches[i].wd < 0)
			warn("watch %s:", d);
	}
	ep_add(w, inofd, EPOLLIN, K_INOTIFY, 0);
}

static void
parse_args(int argc, char *argv[])
{
	char *help;
	int c;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_CACHE:
			if (parse_num(optarg, 0, 10000000, &conf.cache) < 0)
				die(EXIT_USAGE, "--cache-size %s: expected 0 to 10000000", optarg);
			break;
		case O_DOMAIN: conf.domain = optarg; break;
		case O_LISTEN:
			if (conf.nlisten == MAXLISTEN)
				die(EXIT_USAGE, "--listen %s: at most %d addresses", optarg, MAXLISTEN);
			if (parse_addr(optarg, 53, &conf.listen[conf.nlisten]) < 0)
				die(EXIT_USAGE, "--listen %s: expected ADDR[:PORT]", optarg);
			conf.nlisten++;
			break;
		case O_READY:
			if (parse_num(optarg, 0, INT_MAX, &conf.readyfd) < 0)
				die(EXIT_USAGE, "--ready-fd %s: not a descriptor number", optarg);
			break;
		case O_RESOLV: conf.resolv = optarg; break;
		case O_THREADS:
			if (parse_num(optarg, 1, MAXTHREADS, &conf.threads) < 0)
				die(EXIT_USAGE, "--threads %s: expected 1 to %d", optarg, MAXTHREADS);
			break;
		case O_TTL:
			if (parse_num(optarg, 0, 0x7fffffff, &conf.ttl) < 0)
				die(EXIT_USAGE, "--ttl %s: expected seconds", optarg);
			break;
		case O_UP:
			if (conf.nup == MAXUP)
				die(EXIT_USAGE, "--upstream %s: at most %d servers", optarg, MAXUP);
			if (parse_addr(optarg, 53, &conf.up[conf.nup]) < 0)
				die(EXIT_USAGE, "--upstream %s: expected ADDR[:PORT]", optarg);
			conf.nup++;
			conf.explicit_up = 1;
			break;
		case O_ZONE:
			if (conf.nzones == MAXZONES)
				die(EXIT_USAGE, "--zone %s: at most %d", optarg, MAXZONES);
			conf.zones[conf.nzones++] = optarg;
			break;
		case OPT_HELP:
			if ((help = optspec_help(usage_line, options)) != NULL) {
				fputs(help, stdout);
				exit(0);
			}
			die(1, "--help:");
		case OPT_VERSION:
			printf("svc-dns %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_USAGE, c, argv);
		}
	}
	if (optind < argc)
		usage();
	if (conf.nzones == 0)
		die(EXIT_USAGE, "no --zone given");
	if (strlen(conf.domain) > 253 || conf.domain[0] == '\0')
		die(EXIT_USAGE, "--domain %s: not a domain name", conf.domain);
	if (conf.nlisten == 0)
		parse_addr("0.0.0.0:53", 53, &conf.listen[conf.nlisten++]);
}

int
main(int argc, char *argv[])
{
	sigset_t set;
	long long i;

	setprogname(argv[0]);
	parse_args(argc, argv);
	if (!conf.explicit_up)
		read_resolv();
	for (i = 0; i < (long long)conf.nup; i++) {
		conf.ups[i].sa = conf.up[i].sa;
		conf.ups[i].len = conf.up[i].len;
	}
	if (conf.readyfd >= 0 && fcntl((int)conf.readyfd, F_GETFD) < 0)
		die(EXIT_USAGE, "--ready-fd %lld:", conf.readyfd);

	/* Signals arrive as reads on a descriptor of the first worker's
	 * loop; every thread inherits the blocked mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		die(1, "signalfd:");

	load(1);
	/* SO_REUSEPORT would let the workers share a port with another
	 * server's: a plain bind first makes sure the port is free. */
	for (i = 0; conf.threads > 1 && i < (long long)conf.nlisten; i++) {
		close(listen_socket(&conf.listen[i], SOCK_DGRAM, 0));
		close(listen_socket(&conf.listen[i], SOCK_STREAM, 0));
	}
	if ((workers = calloc((size_t)conf.threads, sizeof(*workers))) == NULL)
		die(1, "workers:");
	for (i = 0; i < conf.threads; i++) {
		worker_init(&workers[i]);
		workers[i].db = dbref_get();
	}
	ep_add(&workers[0], sigfd, EPOLLIN, K_SIG, 0);
	watch_zones(&workers[0]);
	for (i = 1; i < conf.threads; i++)
		if ((errno = pthread_create(&workers[i].thread, NULL, run,
		    &workers[i])) != 0)
			die(1, "pthread_create:");
	if (conf.readyfd >= 0) {
		(void)!write((int)conf.readyfd, "\n", 1);
		close((int)conf.readyfd);
	}
	run(&workers[0]);
	for (i = 1; i < conf.threads; i++)
		pthread_join(workers[i].thread, NULL);
	for (i = 0; i < conf.threads; i++)
		worker_free(&workers[i]);
	free(workers);
	dbref_put(curdb);
	return 0;
}
