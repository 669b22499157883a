/* SPDX-License-Identifier: ISC */
/* lb-proxy: an L4 load balancer: TCP (splice, half-close, backpressure) or
 * UDP flows over weighted backends, with health checks, retry on another
 * backend, and a backends file reloaded without dropping connections. */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lb.h"
#include "util.h"

#define MAXLISTEN 16
#define MAXWORKERS 64
#define MAXTRY 16		/* backends one client is offered before giving up */
#define TICK_MS 250
#define UDP_BUCKETS 4096

enum { ALGO_RR, ALGO_LC, ALGO_SRC, ALGO_CH };
enum { K_LISTEN = 1, K_CLIENT, K_BACKEND, K_CHECK, K_SIG, K_STATS, K_UDPL, K_UDPF };
enum { ST_CONNECTING, ST_OPEN };

/* What epoll hands back: the kind of fd and the object it belongs to. */
struct tag {
	int kind;
	void *p;
};

struct backend {
	struct lb_spec sp;
	char name[64];
	struct tag chk;
	int up, gone, cur;
	int chkfd;
	uint64_t chkdeadline, down_at;
	unsigned active;
	unsigned long long total, fails, bup, bdown;
	struct backend *next;	/* on the list of draining backends */
};

struct conn {
	struct tag tc, tb;
	int cfd, bfd, state, ntried;
	struct backend *be;
	struct backend *tried[MAXTRY];
	struct sockaddr_storage peer, local;
	struct lb_dir up, down;
	uint64_t deadline;
	uint32_t early;		/* client events seen while connecting */
	uint64_t waiting;	/* since when it waits for descriptors */
	unsigned long bbatch;	/* the epoll batch in which bfd was made */
	struct conn *prev, *next;
	int dead;
};

struct clist {
	struct conn *head, *tail;
};

struct flow {
	struct tag t;
	int fd, lfd;
	struct sockaddr_storage client;
	socklen_t clen;
	struct backend *be;
	uint64_t last;
	struct flow *hnext, *prev, *next;
	int dead;
};

static struct {
	const char *listen[MAXLISTEN];
	size_t nlisten;
	struct lb_spec *backends;
	size_t nbackends;
	const char *file;
	int algo, health, udp, nosplice, proxy, readyfd;
	uint64_t interval, ctimeout, itimeout;
	long long maxconns;
	const char *stats;
	int workers;
} conf = {
	.algo = ALGO_RR, .health = 1, .readyfd = -1, .workers = 1,
	.interval = 2000, .ctimeout = 2000, .itimeout = 300000,
};

static int epfd = -1, sigfd = -1, statsfd = -1;
static int lfds[MAXLISTEN];
static int worker;		/* this worker's number, with --workers */
static struct tag ltags[MAXLISTEN], sigtag = { K_SIG, NULL }, statstag = { K_STATS, NULL };
static size_t nl;
static int lpaused;
static uint64_t now, accept_resume, next_check, next_stat;
static struct backend **cur;	/* the current set */
static size_t ncur;
static struct backend *draining;
static struct lb_ring ring;
static unsigned rrstart;
static struct clist connecting, open_conns;
static unsigned long long nconns, totalconns, refused;
static struct stat filest;
static struct flow *flows[UDP_BUCKETS];
static struct flow *fhead, *ftail;
static unsigned long long nflows;
/* Closed in this epoll batch, freed after it: a later event of the same
 * batch may still point at them. */
static struct conn *deadconns, *freeconns;
static size_t nfreeconns;
static struct flow *deadflows;
/* Counts epoll_wait calls: an event in the current batch for a backend
 * socket made during this batch is about the one it replaced. */
static unsigned long batch;

static const char usage_line[] =
    "lb-proxy [--algo roundrobin|leastconn|source|consistent]"
    " [--backend ADDR:PORT[,weight=N]] [--backends FILE]"
    " [--connect-timeout DUR] [--health tcp|none] [--health-interval DUR]"
    " [--idle-timeout DUR] [--max-conns N] [--no-splice]"
    " [--proxy-protocol v1|v2] [--ready-fd FD] [--stats unix:PATH] [--udp]"
    " [--workers N] --listen ADDR:PORT";

enum {
	O_ALGO = 0x100, O_BACKENDS, O_CTIMEOUT, O_HEALTH, O_INTERVAL, O_ITIMEOUT,
	O_MAXCONNS, O_NOSPLICE, O_PROXY, O_READY, O_STATS, O_UDP, O_WORKERS,
};

static const struct optspec options[] = {
	{ "algo", required_argument, O_ALGO, "ALGO", "roundrobin (weighted, default), leastconn, source, consistent" },
	{ "backend", required_argument, 'b', "ADDR:PORT[,weight=N]", "a backend (repeatable)" },
	{ "backends", required_argument, O_BACKENDS, "FILE", "backends file, re-read on SIGHUP or change" },
	{ "connect-timeout", required_argument, O_CTIMEOUT, "DUR", "give up connecting to a backend (default 2s)" },
	{ "health", required_argument, O_HEALTH, "tcp|none", "active health checks (default tcp; none with --udp)" },
	{ "health-interval", required_argument, O_INTERVAL, "DUR", "time between checks (default 2s)" },
	{ "idle-timeout", required_argument, O_ITIMEOUT, "DUR", "close a connection or flow idle this long (default 5m)" },
	{ "listen", required_argument, 'l', "ADDR:PORT", "where clients connect (repeatable)" },
	{ "max-conns", required_argument, O_MAXCONNS, "N", "at most N connections; more wait in the listen queue" },
	{ "no-splice", no_argument, O_NOSPLICE, NULL, "copy through a buffer instead of splice()" },
	{ "proxy-protocol", required_argument, O_PROXY, "v1|v2", "send a PROXY protocol header to backends" },
	{ "ready-fd", required_argument, O_READY, "FD", "write a newline to FD when listening" },
	{ "stats", required_argument, O_STATS, "unix:PATH", "serve statistics on a unix socket" },
	{ "udp", no_argument, O_UDP, NULL, "balance UDP datagrams, one flow a client" },
	{ "workers", required_argument, O_WORKERS, "N", "N processes, each its own listener (SO_REUSEPORT) and connections (default 1)" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s\n", usage_line);
	exit(EXIT_USAGE);
}

static int
ep_add(int fd, uint32_t ev, struct tag *t)
{
	struct epoll_event e = { .events = ev, .data.ptr = t };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

static void
xep_add(int fd, uint32_t ev, struct tag *t)
{
	if (ep_add(fd, ev, t) < 0)
		die(1, "epoll_ctl:");
}

static int
is_resource_error(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM ||
	    e == EADDRNOTAVAIL || e == EAGAIN;
}

/* ---- lists of connections ordered by deadline ----------------------- */

static void
clist_del(struct clist *l, struct conn *c)
{
	if (c->prev) c->prev->next = c->next; else l->head = c->next;
	if (c->next) c->next->prev = c->prev; else l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void
clist_push(struct clist *l, struct conn *c)
{
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail) l->tail->next = c; else l->head = c;
	l->tail = c;
}

static struct clist *
conn_list(struct conn *c)
{
	return c->state == ST_CONNECTING ? &connecting : &open_conns;
}

/* ---- backends -------------------------------------------------------- */

static void
backend_down(struct backend *b, int err)
{
	b->fails++;
	if (b->up) {
		b->up = 0;
		b->down_at = now;
		warn("backend %s: down: %s", b->name, strerror(err));
	}
}

static void
backend_up(struct backend *b)
{
	if (!b->up && !b->gone) {
		b->up = 1;
		warn("backend %s: up", b->name);
	}
}

static void
backend_maybe_free(struct backend *b)
{
	struct backend **pp;

	if (!b->gone || b->active > 0 || b->chkfd >= 0)
		return;
	for (pp = &draining; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	free(b);
}

static int
tried(const struct conn *c, const struct backend *b)
{
	int i;

	for (i = 0; i < c->ntried; i++)
		if (c->tried[i] == b)
			return 1;
	return 0;
}

/* strict: up backends only; otherwise any not yet tried, because a client
 * is better served by a backend marked down than by none at all. */
static int
eligible(const struct conn *c, const struct backend *b, int strict)
{
	return (!strict || b->up) && (c == NULL || !tried(c, b));
}

static struct backend *
pick_pass(const struct conn *c, const struct sockaddr *peer, int strict)
{
	struct backend *best = NULL, *b;
	size_t i, k;
	int total = 0;

	if (ncur == 0)
		return NULL;
	switch (conf.algo) {
	case ALGO_RR:
		/* Smooth weighted round robin: every pick adds each weight to
		 * its backend's counter and takes the largest. */
		for (i = 0; i < ncur; i++) {
			b = cur[i];
			if (!eligible(c, b, strict))
				continue;
			b->cur += b->sp.weight;
			total += b->sp.weight;
			if (best == NULL || b->cur > best->cur)
				best = b;
		}
		if (best)
			best->cur -= total;
		return best;
	case ALGO_LC:
		rrstart++;
		for (k = 0; k < ncur; k++) {
			b = cur[(rrstart + k) % ncur];
			if (!eligible(c, b, strict))
				continue;
			if (best == NULL || (unsigned long long)b->active * (unsigned)best->sp.weight <
			    (unsigned long long)best->active * (unsigned)b->sp.weight)
				best = b;
		}
		return best;
	case ALGO_SRC: {
		uint64_t h = lb_hash_client(peer);
		long long w;

		for (i = 0; i < ncur; i++)
			total += cur[i]->sp.weight;
		w = (long long)(h % (uint64_t)total);
		for (i = 0; i < ncur; i++) {
			w -= cur[i]->sp.weight;
			if (w < 0)
				break;
		}
		for (k = 0; k < ncur; k++) {
			b = cur[(i + k) % ncur];
			if (eligible(c, b, strict))
				return b;
		}
		return NULL;
	}
	default: {
		size_t pos = lb_ring_lookup(&ring, lb_hash_client(peer));

		for (k = 0; k < ring.n; k++) {
			b = cur[ring.pts[(pos + k) % ring.n].idx];
			if (eligible(c, b, strict))
				return b;
		}
		return NULL;
	}
	}
}

static struct backend *
pick(const struct conn *c, const struct sockaddr *peer)
{
	struct backend *b = pick_pass(c, peer, 1);

	return b ? b : pick_pass(c, peer, 0);
}

/* ---- the backends set and its reload ---------------------------------- */

static void
set_backends(struct lb_spec *specs, size_t n)
{
	struct backend **nv, *b;
	size_t i, j;

	nv = calloc(n ? n : 1, sizeof(*nv));
	if (nv == NULL) {
		warn("backends: out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		b = NULL;
		for (j = 0; j < ncur; j++)
			if (cur[j] && lb_addr_eq((struct sockaddr *)&cur[j]->sp.addr,
			    (struct sockaddr *)&specs[i].addr)) {
				b = cur[j];
				cur[j] = NULL;
				break;
			}
		if (b == NULL) {
			b = calloc(1, sizeof(*b));
			if (b == NULL) {
				warn("backends: out of memory");
				free(nv);
				return;
			}
			b->up = 1;
			b->chkfd = -1;
			b->chk.kind = K_CHECK;
			b->chk.p = b;
			lb_fmt_addr((struct sockaddr *)&specs[i].addr, b->name, sizeof(b->name));
		}
		b->sp = specs[i];
		b->cur = 0;
		nv[i] = b;
	}
	/* What is left of the old set drains: its connections run on, it
	 * gets no new ones, and it is freed when the last one closes. */
	for (j = 0; j < ncur; j++) {
		if ((b = cur[j]) == NULL)
			continue;
		b->gone = 1;
		b->up = 0;
		b->next = draining;
		draining = b;
		backend_maybe_free(b);
	}
	free(cur);
	cur = nv;
	ncur = n;
	lb_ring_free(&ring);
	if (conf.algo == ALGO_CH && lb_ring_build(&ring, specs, n) < 0)
		warn("backends: out of memory");
	next_check = now;
}

/* Returns -1 with err set when the file cannot be used. */
static int
load_file(char *err, size_t errlen)
{
	struct lb_spec *specs;
	size_t n;

	if (lb_read_backends(conf.file, &specs, &n, &filest, err, errlen) < 0)
		return -1;
	set_backends(specs, n);
	free(specs);
	return 0;
}

static void
reload(const char *why)
{
	char err[256];

	if (conf.file == NULL)
		return;
	if (load_file(err, sizeof(err)) < 0)
		warn("reload (%s): %s; keeping %zu backends", why, err, ncur);
	else
		warn("reload (%s): %zu backends", why, ncur);
}

/* Atomic rewrites replace the inode, editors change mtime or size. */
static void
watch_file(void)
{
	struct stat st;

	if (conf.file == NULL || stat(conf.file, &st) < 0)
		return;
	if (st.st_ino != filest.st_ino || st.st_dev != filest.st_dev ||
	    st.st_size != filest.st_size ||
	    st.st_mtim.tv_sec != filest.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != filest.st_mtim.tv_nsec)
		reload("file changed");
}

/* ---- active health checks ---------------------------------------------- */

static void
check_done(struct backend *b, int err)
{
	close(b->chkfd);
	b->chkfd = -1;
	if (err == 0)
		backend_up(b);
	else if (err > 0 && !b->gone)
		backend_down(b, err);
	backend_maybe_free(b);
}

static void
check_start(struct backend *b)
{
	int fd;

	fd = socket(b->sp.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;		/* our shortage, not the backend's failure */
	b->chkfd = fd;
	if (connect(fd, (struct sockaddr *)&b->sp.addr, b->sp.alen) == 0) {
		check_done(b, 0);
		return;
	}
	if (errno != EINPROGRESS || ep_add(fd, EPOLLOUT | EPOLLET, &b->chk) < 0) {
		check_done(b, is_resource_error(errno) ? -1 : errno);
		return;
	}
	b->chkdeadline = now + (conf.ctimeout < conf.interval ? conf.ctimeout : conf.interval);
}

static void
check_event(struct backend *b)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(b->chkfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	check_done(b, err);
}

/* ---- listeners ---------------------------------------------------------- */

static void
listeners_update(void)
{
	int want = (conf.maxconns > 0 && nconns >= (unsigned long long)conf.maxconns) ||
	    now < accept_resume;
	size_t i;

	if (want == lpaused || conf.udp)
		return;
	for (i = 0; i < nl; i++) {
		struct epoll_event e = { .events = want ? 0 : EPOLLIN, .data.ptr = &ltags[i] };

		epoll_ctl(epfd, EPOLL_CTL_MOD, lfds[i], &e);
	}
	lpaused = want;
}

/* Out of descriptors or memory: stop accepting for a moment, so that the
 * kernel queues clients instead of us spinning on the error. */
static void
accept_pause(void)
{
	if (now >= accept_resume)
		warn("accept: out of descriptors or memory; pausing");
	accept_resume = now + 200;
	listeners_update();
}

/* ---- TCP connections ----------------------------------------------------- */

static void
conn_close(struct conn *c)
{
	clist_del(conn_list(c), c);
	if (c->be) {
		c->be->active--;
		backend_maybe_free(c->be);
	}
	close(c->cfd);
	if (c->bfd >= 0)
		close(c->bfd);
	lb_dir_free(&c->up);
	lb_dir_free(&c->down);
	c->dead = 1;
	c->next = deadconns;
	deadconns = c;
	nconns--;
	listeners_update();
}

static void conn_connect(struct conn *c);

/*
 * The backend reset or closed the connection before answering a byte, and
 * (for a close) while the client was still sending: most likely a replica
 * that died with our connection in its accept queue. Offer the client the
 * next backend and send it what the first one got. A backend that closes
 * unanswered after the client's EOF may have meant it: that is passed on.
 */
static void
conn_replay(struct conn *c, int err)
{
	struct backend *b = c->be;

	if (lb_dir_rewind(&c->up) < 0) {
		conn_close(c);
		return;
	}
	c->down.eof = 0;
	clist_del(&open_conns, c);
	c->state = ST_CONNECTING;
	clist_push(&connecting, c);
	backend_down(b, err);
	close(c->bfd);
	c->bfd = -1;
	b->active--;
	c->be = NULL;
	backend_maybe_free(b);
	conn_connect(c);
}

/* which: 1 the client-to-backend direction, 2 the other, 3 both; hup
 * (LB_HUP_*) is about the source of direction which & 1 when side is
 * K_CLIENT, of which & 2 when K_BACKEND. */
static void
conn_pump(struct conn *c, int which, int side, int hup)
{
	ssize_t u = 0, w = 0;
	int errfd = -1;

	/* A backend whose listener closed hands the connections still in its
	 * accept queue a FIN (or a RST when our bytes had arrived): while the
	 * client is still sending and nothing came back, that is a dead
	 * replica, not an answer. */
	c->down.holdfin = c->up.saving && !c->up.eof;
	if (which & 1)
		u = lb_dir_pump(&c->up, c->cfd, c->bfd, side == K_CLIENT ? hup : 0,
		    c->down.shut, !conf.nosplice, &errfd);
	if ((which & 2) && u >= 0)
		w = lb_dir_pump(&c->down, c->bfd, c->cfd, side == K_BACKEND ? hup : 0,
		    c->up.shut, !conf.nosplice, &errfd);
	if (c->up.saving && c->down.got == 0) {
		if ((u < 0 || w < 0) && errfd == c->bfd &&
		    (errno == ECONNRESET || errno == EPIPE)) {
			conn_replay(c, errno);
			return;
		}
		if (u >= 0 && w >= 0 && c->down.eof && !c->down.shut && c->down.holdfin) {
			conn_replay(c, ECONNABORTED);
			return;
		}
	}
	if (c->down.eof && !c->down.shut && c->down.n == 0) {
		/* A held FIN that is an answer after all: pass it on. */
		if (!c->up.shut)
			shutdown(c->cfd, SHUT_WR);
		c->down.shut = 1;
	}
	if (c->up.saving && (c->down.got > 0 || c->down.eof))
		lb_dir_save_stop(&c->up);
	if (u < 0 || w < 0 || (c->up.shut && c->down.shut)) {
		conn_close(c);
		return;
	}
	if (u > 0 || w > 0) {
		c->be->bup += (unsigned long long)u;
		c->be->bdown += (unsigned long long)w;
		c->deadline = now + conf.itimeout;
		if (c != open_conns.tail) {
			clist_del(&open_conns, c);
			clist_push(&open_conns, c);
		}
	}
}

/* An event on one side: its input feeds one direction, its output space
 * drains the other. */
static void
conn_event(struct conn *c, int side, uint32_t ev)
{
	/* A FIN without an error: what a short read leaves is the EOF. */
	int hup = (ev & EPOLLERR) ? LB_HUP_MAYBE : (ev & EPOLLRDHUP) ? LB_HUP_FIN :
	    (ev & EPOLLHUP) ? LB_HUP_MAYBE : LB_HUP_NONE;
	struct lb_dir *out = side == K_CLIENT ? &c->down : &c->up;
	int which = 0;

	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		which |= side == K_CLIENT ? 1 : 2;
	if ((ev & EPOLLOUT) && out->n > 0)
		which |= side == K_CLIENT ? 2 : 1;
	if (which)
		conn_pump(c, which, side, hup);
}

/* bev: the backend's event that told us, or 0 when connect() succeeded
 * at once. */
static void
conn_established(struct conn *c, uint32_t bev)
{
	char hdr[128];
	int n = 0;

	clist_del(&connecting, c);
	c->state = ST_OPEN;
	c->deadline = now + conf.itimeout;
	clist_push(&open_conns, c);
	c->be->total++;
	if (conf.proxy == 1)
		n = lb_proxy_v1(hdr, sizeof(hdr), (struct sockaddr *)&c->peer,
		    (struct sockaddr *)&c->local);
	else if (conf.proxy == 2)
		n = lb_proxy_v2((unsigned char *)hdr, sizeof(hdr),
		    (struct sockaddr *)&c->peer, (struct sockaddr *)&c->local);
	if (n > 0 && send(c->bfd, hdr, (size_t)n, MSG_NOSIGNAL) != n) {
		conn_close(c);
		return;
	}
	c->up.saving = 1;
	/* What the client sent meanwhile: its edge has passed, so handle
	 * it as if it came now; after a replay, send what is held. */
	if (c->up.n > 0 || (c->up.eof && !c->up.shut))
		c->early |= EPOLLIN;
	conn_event(c, K_CLIENT, c->early);
	if (!c->dead && bev)
		conn_event(c, K_BACKEND, bev);
}

/* Undo a connect attempt; untry: it was our failure, not the backend's,
 * so the backend may be offered again. */
static void
conn_unbind(struct conn *c, int untry)
{
	struct backend *b = c->be;

	close(c->bfd);
	c->bfd = -1;
	b->active--;
	c->be = NULL;
	if (untry)
		c->ntried--;
	backend_maybe_free(b);
}

/* Out of descriptors (or ports) for the backend side: the client waits a
 * moment and tries again, for at most the connect timeout. */
static void
conn_wait(struct conn *c)
{
	accept_pause();
	if (c->waiting == 0)
		c->waiting = now ? now : 1;
	else if (now - c->waiting >= conf.ctimeout) {
		conn_close(c);
		return;
	}
	c->deadline = now + 100;
	clist_del(&connecting, c);
	clist_push(&connecting, c);
}

/* Connect the client to a backend it has not been offered yet; a backend
 * that refuses is marked down and the next one tried. */
static void
conn_connect(struct conn *c)
{
	struct backend *b;
	int fd, rc, one = 1;

	for (;;) {
		if (c->ntried == MAXTRY || (b = pick(c, (struct sockaddr *)&c->peer)) == NULL) {
			refused++;
			conn_close(c);
			return;
		}
		fd = socket(b->sp.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			conn_wait(c);
			return;
		}
		c->tried[c->ntried++] = b;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->be = b;
		b->active++;
		c->bfd = fd;
		c->bbatch = batch;
		rc = connect(fd, (struct sockaddr *)&b->sp.addr, b->sp.alen);
		if (rc == 0 || errno == EINPROGRESS) {
			if (ep_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->tb) < 0) {
				conn_unbind(c, 1);
				conn_wait(c);
				return;
			}
			if (rc == 0) {
				conn_established(c, 0);
				return;
			}
			/* Retries go to the back of the line of deadlines. */
			c->deadline = now + conf.ctimeout;
			clist_del(&connecting, c);
			clist_push(&connecting, c);
			return;
		}
		if (is_resource_error(errno)) {
			conn_unbind(c, 1);
			conn_wait(c);
			return;
		}
		backend_down(b, errno);
		conn_unbind(c, 0);
	}
}

static void
conn_retry(struct conn *c, int err)
{
	backend_down(c->be, err);
	conn_unbind(c, 0);
	conn_connect(c);
}

static void
backend_event(struct conn *c, uint32_t ev)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (c->state == ST_OPEN) {
		conn_event(c, K_BACKEND, ev);
		return;
	}
	/* Writable without an error or hangup: connected; else ask why. */
	if ((ev & (EPOLLERR | EPOLLHUP)) &&
	    getsockopt(c->bfd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err != 0)
		conn_retry(c, err);
	else if (ev & EPOLLOUT)
		conn_established(c, ev);
}

static void
tcp_accept(int lfd)
{
	struct conn *c;
	struct sockaddr_storage peer;
	socklen_t plen;
	int fd, i;

	for (i = 0; i < 64 && !lpaused; i++) {
		plen = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				return;
			if (is_resource_error(errno))
				accept_pause();
			else
				warn("accept:");
			return;
		}
		if ((c = freeconns) != NULL) {
			freeconns = c->next;
			nfreeconns--;
			memset(c, 0, sizeof(*c));
		} else
			c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			accept_pause();
			return;
		}
		c->cfd = fd;
		c->bfd = -1;
		lb_dir_init(&c->up);
		lb_dir_init(&c->down);
		c->peer = peer;
		c->tc = (struct tag){ K_CLIENT, c };
		c->tb = (struct tag){ K_BACKEND, c };
		c->state = ST_CONNECTING;
		c->deadline = now + conf.ctimeout;
		clist_push(&connecting, c);
		nconns++;
		totalconns++;
		if (conf.proxy) {
			plen = sizeof(c->local);
			getsockname(fd, (struct sockaddr *)&c->local, &plen);
		}
		if (ep_add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &c->tc) < 0) {
			conn_close(c);
			accept_pause();
			return;
		}
		listeners_update();
		conn_connect(c);
	}
}

/* ---- UDP flows -------------------------------------------------------------- */

static unsigned
flow_bucket(const struct sockaddr_storage *ss, socklen_t len)
{
	return (unsigned)(lb_hash(ss, len, 1) % UDP_BUCKETS);
}

static void
flow_close(struct flow *f)
{
	struct flow **pp;

	for (pp = &flows[flow_bucket(&f->client, f->clen)]; *pp; pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	if (f->prev) f->prev->next = f->next; else fhead = f->next;
	if (f->next) f->next->prev = f->prev; else ftail = f->prev;
	f->be->active--;
	backend_maybe_free(f->be);
	close(f->fd);
	f->dead = 1;
	f->hnext = deadflows;
	deadflows = f;
	nflows--;
}

static void
flow_touch(struct flow *f)
{
	f->last = now;
	if (f == ftail)
		return;
	if (f->prev) f->prev->next = f->next; else fhead = f->next;
	if (f->next) f->next->prev = f->prev;
	f->prev = ftail;
	f->next = NULL;
	if (ftail) ftail->next = f; else fhead = f;
	ftail = f;
}

static struct flow *
flow_new(int lfd, struct sockaddr_storage *cl, socklen_t clen)
{
	struct backend *b = pick(NULL, (struct sockaddr *)cl);
	struct flow *f;
	int fd;

	if (b == NULL) {
		refused++;
		return NULL;
	}
	fd = socket(b->sp.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (struct sockaddr *)&b->sp.addr, b->sp.alen) < 0 ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		close(fd);
		return NULL;
	}
	f->t = (struct tag){ K_UDPF, f };
	f->fd = fd;
	f->lfd = lfd;
	f->client = *cl;
	f->clen = clen;
	f->be = b;
	b->active++;
	b->total++;
	f->hnext = flows[flow_bucket(cl, clen)];
	flows[flow_bucket(cl, clen)] = f;
	f->prev = ftail;
	if (ftail) ftail->next = f; else fhead = f;
	ftail = f;
	nflows++;
	totalconns++;
	if (ep_add(fd, EPOLLIN, &f->t) < 0) {
		flow_close(f);
		return NULL;
	}
	return f;
}

static void
udp_listen_event(int lfd)
{
	char buf[65536];
	struct sockaddr_storage cl;
	socklen_t clen;
	struct flow *f;
	ssize_t r;
	int i;

	for (i = 0; i < 64; i++) {
		clen = sizeof(cl);
		r = recvfrom(lfd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&cl, &clen);
		if (r < 0)
			return;
		memset((char *)&cl + clen, 0, sizeof(cl) - clen);
		for (f = flows[flow_bucket(&cl, clen)]; f; f = f->hnext)
			if (f->lfd == lfd && f->clen == clen && memcmp(&f->client, &cl, clen) == 0)
				break;
		if (f == NULL && (f = flow_new(lfd, &cl, clen)) == NULL)
			continue;
		if (f->dead)
			continue;
		flow_touch(f);
		if (send(f->fd, buf, (size_t)r, MSG_DONTWAIT) == r)
			f->be->bup += (unsigned long long)r;
		else if (errno == ECONNREFUSED) {
			backend_down(f->be, errno);
			flow_close(f);
		}
	}
}

static void
udp_flow_event(struct flow *f)
{
	char buf[65536];
	ssize_t r;
	int i;

	for (i = 0; i < 64; i++) {
		r = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0) {
			/* An ICMP port unreachable: the backend is not there;
			 * the client's next datagram starts a flow elsewhere. */
			if (errno == ECONNREFUSED) {
				backend_down(f->be, errno);
				flow_close(f);
			}
			return;
		}
		flow_touch(f);
		f->be->bdown += (unsigned long long)r;
		sendto(f->lfd, buf, (size_t)r, MSG_DONTWAIT, (struct sockaddr *)&f->client, f->clen);
	}
}

/* ---- statistics --------------------------------------------------------- */

static void
stats_line(FILE *f, const struct backend *b)
{
	fprintf(f, "backend=%s state=%s weight=%d active=%u total=%llu failures=%llu"
	    " bytes_up=%llu bytes_down=%llu\n", b->name,
	    b->gone ? "draining" : b->up ? "up" : "down", b->sp.weight, b->active,
	    b->total, b->fails, b->bup, b->bdown);
}

static void
stats_write(int fd)
{
	char *text = NULL;
	size_t len = 0, off = 0;
	const struct backend *b;
	FILE *f;
	size_t i;
	ssize_t w;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	if (conf.workers > 1)
		fprintf(f, "worker=%d ", worker);
	fprintf(f, "active=%llu total=%llu refused=%llu backends=%zu\n",
	    conf.udp ? nflows : nconns, totalconns, refused, ncur);
	for (i = 0; i < ncur; i++)
		stats_line(f, cur[i]);
	for (b = draining; b; b = b->next)
		stats_line(f, b);
	if (fclose(f) != 0) {
		free(text);
		return;
	}
	while (off < len && (w = write(fd, text + off, len - off)) > 0)
		off += (size_t)w;
	free(text);
}

static void
stats_accept(void)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd, fl;

	while ((fd = accept4(statsfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* A blocking write of a few lines a backend, bounded in time
		 * so that a reader who does not read cannot stall us. */
		fl = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		stats_write(fd);
		close(fd);
	}
}

/* ---- setup --------------------------------------------------------------- */

/* how: 0 a listener; LISTEN_SHARED one of several workers' listeners on
 * the same address (SO_REUSEPORT); LISTEN_PROBE bound only, to learn that
 * the address is free (SO_REUSEPORT alone would share it with another
 * program that set it too). */
enum { LISTEN_SHARED = 1, LISTEN_PROBE };
static int
open_listener(const char *spec, int type, int how)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (lb_parse_addr(spec, &ss, &len) < 0)
		die(EXIT_USAGE, "--listen %s: expected ADDR:PORT or [ADDR6]:PORT", spec);
	fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "listen %s: socket:", spec);
	if (how != LISTEN_PROBE || type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (how == LISTEN_SHARED && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		die(1, "listen %s: SO_REUSEPORT:", spec);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die(1, "listen %s:", spec);
	if (how == LISTEN_PROBE)
		return fd;
	/* Accepted sockets inherit TCP_NODELAY: one call less a client. */
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (type == SOCK_STREAM && listen(fd, 4096) < 0)
		die(1, "listen %s:", spec);
	return fd;
}

static void
open_stats(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *path = conf.stats + 5;
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path) || *path == '\0')
		die(EXIT_USAGE, "--stats %s: path empty or too long", conf.stats);
	strcpy(sun.sun_path, path);
	/* A socket left by an earlier run is replaced; anything else is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	statsfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (statsfd < 0 || bind(statsfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(statsfd, 16) < 0)
		die(1, "stats %s:", path);
}

static void
parse_args(int argc, char *argv[])
{
	struct lb_spec sp;
	long long v;
	char *help;
	int c;

	while ((c = optspec_getopt(argc, argv, options)) != -1) {
		switch (c) {
		case O_ALGO:
			if (strcmp(optarg, "roundrobin") == 0) conf.algo = ALGO_RR;
			else if (strcmp(optarg, "leastconn") == 0) conf.algo = ALGO_LC;
			else if (strcmp(optarg, "source") == 0) conf.algo = ALGO_SRC;
			else if (strcmp(optarg, "consistent") == 0) conf.algo = ALGO_CH;
			else
				die(EXIT_USAGE, "--algo %s: expected roundrobin, leastconn, source or consistent", optarg);
			break;
		case 'b':
			if (lb_parse_backend_arg(optarg, &sp) < 0)
				die(EXIT_USAGE, "--backend %s: expected ADDR:PORT[,weight=1..%d]",
				    optarg, LB_MAX_WEIGHT);
			conf.backends = reallocarray(conf.backends, conf.nbackends + 1, sizeof(sp));
			if (conf.backends == NULL)
				die(1, "--backend:");
			conf.backends[conf.nbackends++] = sp;
			break;
		case O_BACKENDS: conf.file = optarg; break;
		case O_CTIMEOUT:
		case O_INTERVAL:
		case O_ITIMEOUT: {
			uint64_t ms;

			if (parse_duration_ms(optarg, &ms) < 0 || ms == 0)
				die(EXIT_USAGE, "%s %s: expected a duration like 500ms, 2s, 5m",
				    argv[optind - 2], optarg);
			if (c == O_CTIMEOUT) conf.ctimeout = ms;
			else if (c == O_INTERVAL) conf.interval = ms;
			else conf.itimeout = ms;
			break;
		}
		case O_HEALTH:
			if (strcmp(optarg, "tcp") == 0) conf.health = 2;
			else if (strcmp(optarg, "none") == 0) conf.health = 0;
			else
				die(EXIT_USAGE, "--health %s: expected tcp or none", optarg);
			break;
		case 'l':
			if (conf.nlisten == MAXLISTEN)
				die(EXIT_USAGE, "--listen %s: at most %d listeners", optarg, MAXLISTEN);
			conf.listen[conf.nlisten++] = optarg;
			break;
		case O_MAXCONNS:
			if (parse_num(optarg, 1, INT_MAX, &v) < 0)
				die(EXIT_USAGE, "--max-conns %s: expected a number from 1", optarg);
			conf.maxconns = v;
			break;
		case O_NOSPLICE: conf.nosplice = 1; break;
		case O_PROXY:
			if (strcmp(optarg, "v1") == 0) conf.proxy = 1;
			else if (strcmp(optarg, "v2") == 0) conf.proxy = 2;
			else
				die(EXIT_USAGE, "--proxy-protocol %s: expected v1 or v2", optarg);
			break;
		case O_READY:
			if (parse_num(optarg, 0, INT_MAX, &v) < 0 || fcntl((int)v, F_GETFD) < 0)
				die(EXIT_USAGE, "--ready-fd %s: not an open descriptor", optarg);
			conf.readyfd = (int)v;
			break;
		case O_STATS:
			if (strncmp(optarg, "unix:", 5) != 0)
				die(EXIT_USAGE, "--stats %s: expected unix:PATH", optarg);
			conf.stats = optarg;
			break;
		case O_UDP: conf.udp = 1; break;
		case O_WORKERS:
			if (parse_num(optarg, 1, MAXWORKERS, &v) < 0)
				die(EXIT_USAGE, "--workers %s: expected a number from 1 to %d", optarg, MAXWORKERS);
			conf.workers = (int)v;
			break;
		case OPT_HELP:
			help = optspec_help(usage_line, options);
			if (help != NULL) {
				fputs(help, stdout);
				exit(0);
			}
			die(1, "--help:");
		case OPT_VERSION:
			printf("lb-proxy %s\n", SKIFF_VERSION);
			exit(0);
		default:
			die_badopt(EXIT_USAGE, c, argv);
		}
	}
	if (optind < argc)
		die(EXIT_USAGE, "%s: unexpected operand", argv[optind]);
	if (argc == 1)
		usage();
	if (conf.nlisten == 0)
		die(EXIT_USAGE, "no --listen address");
	if (conf.nbackends == 0 && conf.file == NULL)
		die(EXIT_USAGE, "no backends: give --backend or --backends");
	if (conf.nbackends > 0 && conf.file != NULL)
		die(EXIT_USAGE, "--backend and --backends: give one or the other");
	if (conf.udp && conf.proxy)
		die(EXIT_USAGE, "--proxy-protocol: not with --udp");
	if (conf.stats && conf.workers > 1)
		die(EXIT_USAGE, "--stats: not with --workers above 1 (each worker counts its own; SIGUSR1 prints them all)");
	/* Each worker takes its share of the limit. */
	if (conf.maxconns > 0 && conf.workers > 1)
		conf.maxconns = (conf.maxconns + conf.workers - 1) / conf.workers;
	/* UDP services rarely answer TCP: no checks unless asked for. */
	if (conf.health == 1)
		conf.health = !conf.udp;
}

/* ---- the loop ------------------------------------------------------------- */

static void
timers(void)
{
	struct conn *c;
	size_t i;

	while ((c = connecting.head) != NULL && c->deadline <= now) {
		if (c->be == NULL)
			conn_connect(c);	/* it was waiting for descriptors */
		else
			conn_retry(c, ETIMEDOUT);
	}
	while ((c = open_conns.head) != NULL && c->deadline <= now)
		conn_close(c);
	while (fhead != NULL && fhead->last + conf.itimeout <= now)
		flow_close(fhead);
	for (i = 0; i < ncur; i++) {
		struct backend *b = cur[i];

		if (b->chkfd >= 0 && b->chkdeadline <= now)
			check_done(b, ETIMEDOUT);
		/* Without checks, a backend marked down by a failed connect
		 * is offered again after an interval. */
		if (!conf.health && !b->up && now - b->down_at >= conf.interval)
			backend_up(b);
	}
	if (conf.health && now >= next_check) {
		for (i = 0; i < ncur; i++)
			if (cur[i]->chkfd < 0)
				check_start(cur[i]);
		next_check = now + conf.interval;
	}
	if (now >= next_stat) {
		watch_file();
		next_stat = now + 1000;
	}
	listeners_update();
}

static void
reap(void)
{
	struct conn *c;
	struct flow *f;

	while ((c = deadconns) != NULL) {
		deadconns = c->next;
		if (nfreeconns < 256) {
			c->next = freeconns;
			freeconns = c;
			nfreeconns++;
		} else
			free(c);
	}
	while ((f = deadflows) != NULL) {
		deadflows = f->hnext;
		free(f);
	}
}

static int
signal_event(void)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP: reload("SIGHUP"); break;
		case SIGUSR1: stats_write(STDERR_FILENO); break;
		default: return 1;
		}
	}
	return 0;
}

/* The event loop of one worker; returns when told to stop. */
static void
serve(const int *mylfds, sigset_t *ss)
{
	struct epoll_event evs[256];
	struct conn *c;
	int n, k;

	if ((sigfd = signalfd(-1, ss, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		die(1, "signalfd:");
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die(1, "epoll_create1:");
	for (nl = 0; nl < conf.nlisten; nl++) {
		lfds[nl] = mylfds[nl];
		ltags[nl] = (struct tag){ conf.udp ? K_UDPL : K_LISTEN, &lfds[nl] };
		xep_add(lfds[nl], EPOLLIN, &ltags[nl]);
	}
	if (statsfd >= 0)
		xep_add(statsfd, EPOLLIN, &statstag);
	xep_add(sigfd, EPOLLIN, &sigtag);
	if (conf.readyfd >= 0) {
		(void)!write(conf.readyfd, "\n", 1);
		close(conf.readyfd);
	}

	for (;;) {
		int timeout = TICK_MS;

		if (connecting.head && connecting.head->deadline < now + TICK_MS)
			timeout = connecting.head->deadline > now ?
			    (int)(connecting.head->deadline - now) : 0;
		n = epoll_wait(epfd, evs, LEN(evs), timeout);
		batch++;
		if (n < 0 && errno != EINTR)
			die(1, "epoll_wait:");
		now = mono_ms();
		for (k = 0; k < n; k++) {
			struct tag *t = evs[k].data.ptr;

			switch (t->kind) {
			case K_LISTEN: tcp_accept(*(int *)t->p); break;
			case K_CLIENT:
				c = t->p;
				if (c->dead)
					break;
				if (c->state == ST_OPEN)
					conn_event(c, K_CLIENT, evs[k].events);
				else
					c->early |= evs[k].events;
				break;
			case K_BACKEND:
				c = t->p;
				if (!c->dead && c->bbatch != batch)
					backend_event(c, evs[k].events);
				break;
			case K_CHECK:
				if (((struct backend *)t->p)->chkfd >= 0)
					check_event(t->p);
				break;
			case K_UDPL: udp_listen_event(*(int *)t->p); break;
			case K_UDPF:
				if (!((struct flow *)t->p)->dead)
					udp_flow_event(t->p);
				break;
			case K_STATS: stats_accept(); break;
			case K_SIG:
				if (signal_event())
					return;
				break;
			}
		}
		timers();
		reap();
	}
}

/*
 * With --workers: the first process passes HUP and USR1 on to the workers,
 * stops them on TERM or INT, and stops them all if one dies. Workers are
 * told to stop (SIGTERM) if it dies.
 */
static noreturn void
supervise(pid_t *pids, int n, sigset_t *ss)
{
	siginfo_t si;
	pid_t p;
	int i, st, left = n, rc = 0, stopping = 0;

	if (conf.readyfd >= 0) {
		(void)!write(conf.readyfd, "\n", 1);
		close(conf.readyfd);
	}
	while (left > 0) {
		if (sigwaitinfo(ss, &si) < 0)
			continue;
		switch (si.si_signo) {
		case SIGHUP:
		case SIGUSR1:
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], si.si_signo);
			break;
		case SIGCHLD:
			while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
				left--;
				for (i = 0; i < n && pids[i] != p; i++)
					;
				if (i < n)
					pids[i] = -1;	/* reaped: its pid may be reused */
				if (stopping)
					continue;
				if (WIFEXITED(st))
					warn("worker %d: exit status %d; stopping the others", i, WEXITSTATUS(st));
				else
					warn("worker %d: killed by signal %d; stopping the others", i, WTERMSIG(st));
				rc = 1;
				stopping = 1;
				for (i = 0; i < n; i++)
					if (pids[i] > 0)
						kill(pids[i], SIGTERM);
			}
			break;
		default:	/* TERM, INT */
			stopping = 1;
			for (i = 0; i < n; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			break;
		}
	}
	exit(rc);
}

int
main(int argc, char *argv[])
{
	struct rlimit rl;
	sigset_t ss;
	char err[256];
	size_t i;
	int w, *allfds;
	pid_t pids[MAXWORKERS], parent;

	setprogname(argv[0]);
	parse_args(argc, argv);

	/* Every connection costs descriptors: take all the kernel allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&ss);
	sigaddset(&ss, SIGHUP);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	now = mono_ms();

	if (conf.file != NULL) {
		if (load_file(err, sizeof(err)) < 0)
			die(1, "%s", err);
		if (ncur == 0)
			warn("%s: no backends yet; clients are refused until there are", conf.file);
	} else {
		for (i = 0; i < conf.nbackends; i++)
			for (size_t j = 0; j < i; j++)
				if (lb_addr_eq((struct sockaddr *)&conf.backends[i].addr,
				    (struct sockaddr *)&conf.backends[j].addr))
					die(EXIT_USAGE, "--backend: %s given twice",
					    lb_fmt_addr((struct sockaddr *)&conf.backends[i].addr, err, 64));
		set_backends(conf.backends, conf.nbackends);
	}
	/* Every worker's listeners, opened here so that a port in use is
	 * one error before any worker starts. */
	allfds = calloc((size_t)conf.workers * conf.nlisten, sizeof(*allfds));
	if (allfds == NULL)
		die(1, "listen:");
	for (i = 0; conf.workers > 1 && i < conf.nlisten; i++)
		close(open_listener(conf.listen[i], conf.udp ? SOCK_DGRAM : SOCK_STREAM,
		    LISTEN_PROBE));
	for (w = 0; w < conf.workers; w++)
		for (i = 0; i < conf.nlisten; i++)
			allfds[(size_t)w * conf.nlisten + i] = open_listener(conf.listen[i],
			    conf.udp ? SOCK_DGRAM : SOCK_STREAM, conf.workers > 1 ? LISTEN_SHARED : 0);
	if (conf.stats)
		open_stats();
	if (conf.workers == 1) {
		serve(allfds, &ss);
		if (conf.stats)
			unlink(conf.stats + 5);
		return 0;
	}

	sigaddset(&ss, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	parent = getpid();
	for (w = 0; w < conf.workers; w++) {
		pids[w] = fork();
		if (pids[w] < 0) {
			warn("fork:");
			while (--w >= 0)
				kill(pids[w], SIGTERM);
			exit(1);
		}
		if (pids[w] == 0) {
			worker = w;
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				exit(0);
			for (i = 0; i < (size_t)conf.workers * conf.nlisten; i++)
				if (i / conf.nlisten != (size_t)w)
					close(allfds[i]);
			if (conf.readyfd >= 0)
				close(conf.readyfd);
			conf.readyfd = -1;
			sigdelset(&ss, SIGCHLD);
			serve(allfds + (size_t)w * conf.nlisten, &ss);
			exit(0);
		}
	}
	for (i = 0; i < (size_t)conf.workers * conf.nlisten; i++)
		close(allfds[i]);
	supervise(pids, conf.workers, &ss);
}
