/* SPDX-License-Identifier: ISC */
/* dnsfwd.c: queries forwarded to upstream servers: random ids and source
 * ports, answers matched to their questions, the next upstream on silence
 * or failure, TCP after a truncated answer, the cache filled. */
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "util.h"

#define MAXPEND 1024		/* forwarded queries in flight */
#define TRY_MS 1500		/* per upstream, before the next is tried */
#define MAXCACHETTL 3600

struct pending {
	int fd;			/* -1: free */
	uint16_t upid;
	size_t up, tries;
	uint64_t deadline;
	struct dns_query q;
	struct dns_client cl;
	uint8_t *pkt;
	size_t len;
	int tcp;		/* after a truncated answer to a TCP client */
	int added_opt;		/* the OPT on the query is ours, not the client's */
	size_t sent, rlen;
	uint8_t *rbuf;		/* the TCP answer, length-prefixed */
};

struct dns_fwd {
	int ep;
	uint64_t tag;
	const struct dns_upstream *up;
	size_t nup;
	struct dns_cache *cache;
	dns_deliver_fn *deliver;
	void *arg;
	struct pending pend[MAXPEND];
	size_t npend;
	uint8_t rnd[256];
	size_t rndoff;
	uint8_t big[DNS_MAXMSG + 64];
};

static int
watch(struct dns_fwd *w, struct pending *p, uint32_t events)
{
	struct epoll_event ev = { .events = events,
		.data.u64 = w->tag | (uint32_t)(p - w->pend) };

	return epoll_ctl(w->ep, EPOLL_CTL_ADD, p->fd, &ev);
}

static uint16_t
random16(struct dns_fwd *w)
{
	uint16_t v;

	if (w->rndoff + 2 > sizeof(w->rnd)) {
		if (getrandom(w->rnd, sizeof(w->rnd), 0) != (ssize_t)sizeof(w->rnd)) {
			/* Not expected after boot; never answer with a
			 * predictable id, so fall back to the clock mixed in. */
			uint64_t t = mono_ms() * 6364136223846793005ULL;
			size_t i;

			for (i = 0; i < sizeof(w->rnd); i++)
				w->rnd[i] ^= (uint8_t)(t >> (i % 8 * 8));
		}
		w->rndoff = 0;
	}
	memcpy(&v, w->rnd + w->rndoff, 2);
	w->rndoff += 2;
	return v;
}

/* ---- answering ------------------------------------------------------- */

static void
pend_free(struct dns_fwd *w, struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->pkt);
	free(p->rbuf);
	p->pkt = p->rbuf = NULL;
	w->npend--;
}

/* Sends p's query to its current upstream from a fresh socket: a random
 * source port (the kernel's choice) and a random id per try. Over TCP the
 * query goes out once the connection is up (upstream_tcp). */
static int
pend_send(struct dns_fwd *w, struct pending *p)
{
	const struct dns_upstream *u = &w->up[p->up];
	int fd;

	p->tries++;
	if (p->fd >= 0) {
		close(p->fd);	/* epoll forgets a closed fd */
		p->fd = -1;
	}
	p->upid = random16(w);
	p->pkt[0] = (uint8_t)(p->upid >> 8);
	p->pkt[1] = (uint8_t)p->upid;
	p->deadline = mono_ms() + TRY_MS;
	fd = socket(u->sa.ss_family, (p->tcp ? SOCK_STREAM : SOCK_DGRAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&u->sa, u->len) < 0 &&
	    !(p->tcp && errno == EINPROGRESS)) {
		close(fd);
		return -1;
	}
	p->fd = fd;
	if (p->tcp) {
		p->sent = p->rlen = 0;
		if (p->rbuf == NULL && (p->rbuf = malloc(DNS_MAXMSG + 2 + 16)) == NULL)
			return -1;
		return watch(w, p, EPOLLIN | EPOLLOUT);
	}
	if (watch(w, p, EPOLLIN) < 0)
		return -1;
	if (send(fd, p->pkt, p->len, MSG_DONTWAIT) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

static void
pend_fail(struct dns_fwd *w, struct pending *p)
{
	size_t n = dns_error_reply(&p->q, DNS_R_SERVFAIL, w->big, sizeof(w->big));

	if (n > 0) {
		w->big[3] |= DNS_F_RA;
		w->deliver(w->arg, &p->cl, &p->q, w->big, n);
	}
	pend_free(w, p);
}

/* The next upstream, or SERVFAIL once each has had its try. */
static void
pend_retry(struct dns_fwd *w, struct pending *p)
{
	while (p->tries < w->nup) {
		p->up = (p->up + 1) % w->nup;
		if (pend_send(w, p) == 0)
			return;
	}
	pend_fail(w, p);
}

int
dns_fwd_query(struct dns_fwd *w, const struct dns_query *q, const struct dns_client *cl,
    const uint8_t *pkt, size_t len)
{
	struct pending *p = NULL;
	size_t i;

	if (w->npend == MAXPEND)
		return -1;
	for (i = 0; i < MAXPEND; i++)
		if (w->pend[i].fd < 0 && w->pend[i].pkt == NULL) {
			p = &w->pend[i];
			break;
		}
	if (p == NULL || (p->pkt = malloc(len + 11)) == NULL)
		return -1;
	memcpy(p->pkt, pkt, len);
	p->len = len;
	/* Ask upstream for as much as we take (EDNS0), whatever the client
	 * said: the answer is cut to the client's size on the way back, and
	 * a TCP client gets all of it. */
	if (q->optoff) {
		p->pkt[q->optoff + 3] = DNS_UDPSIZE >> 8;
		p->pkt[q->optoff + 4] = DNS_UDPSIZE & 0xff;
	} else if (len == q->qend && pkt[10] == 0 && pkt[11] == 0) {
		static const uint8_t opt[11] = { 0, 0, DNS_T_OPT,
			DNS_UDPSIZE >> 8, DNS_UDPSIZE & 0xff };

		memcpy(p->pkt + len, opt, sizeof(opt));
		p->pkt[11] = 1;
		p->len += sizeof(opt);
		p->added_opt = 1;
	} else
		p->added_opt = 0;
	p->q = *q;
	p->cl = *cl;
	p->tries = 0;
	p->tcp = 0;
	p->up = random16(w) % w->nup;
	w->npend++;
	if (pend_send(w, p) < 0)
		pend_retry(w, p);
	return 0;
}

/* An upstream's message for p: -1 when it is not the answer to p's
 * question, else it is passed on (and cached) and p is done. */
static int
got_reply(struct dns_fwd *w, struct pending *p, uint8_t *msg, size_t len,
    size_t cap)
{
	uint16_t ttloff[128];
	size_t nttl, optoff;
	uint32_t minttl;
	int rcode;

	if (len < 12 || (msg[0] << 8 | msg[1]) != p->upid ||
	    dns_check_response(msg, len, &p->q, ttloff, LEN(ttloff), &nttl,
	    &minttl, &optoff) < 0)
		return -1;
	rcode = msg[3] & 0xf;
	if (rcode == DNS_R_FORMERR && p->added_opt) {
		/* An upstream without EDNS0: ask it again as the client did. */
		p->added_opt = 0;
		p->len -= 11;
		p->pkt[11] = 0;
		p->tries--;
		if (pend_send(w, p) < 0)
			pend_retry(w, p);
		return 0;
	}
	if ((rcode == DNS_R_SERVFAIL || rcode == DNS_R_REFUSED) &&
	    p->tries < w->nup) {
		pend_retry(w, p);
		return 0;
	}
	if ((msg[2] & (DNS_F_TC >> 8)) && p->cl.conn >= 0 && !p->tcp) {
		/* Cut short, and the client came by TCP: ask again the
		 * same way, from the same upstream. */
		p->tcp = 1;
		p->tries = 0;
		if (pend_send(w, p) < 0)
			pend_retry(w, p);
		return 0;
	}
	msg[3] |= DNS_F_RA;	/* what we say, whatever upstream said */
	if (optoff) {
		len = optoff;
		msg[11]--;	/* OPT was counted in ARCOUNT, which is > 0 */
		if (msg[11] == 0xff)
			msg[10]--;
	}
	if (w->cache && !(msg[2] & (DNS_F_TC >> 8)) &&
	    (rcode == DNS_R_NOERROR || rcode == DNS_R_NXDOMAIN) &&
	    nttl <= LEN(ttloff))
		dns_cache_put(w->cache, &p->q, msg, len, ttloff, nttl,
		    minttl > MAXCACHETTL ? MAXCACHETTL : minttl, mono_ms());
	len = dns_reply_fixup(&p->q, msg, len, 0, cap);
	if (len > 0)
		w->deliver(w->arg, &p->cl, &p->q, msg, len);
	pend_free(w, p);
	return 0;
}

static void
upstream_udp(struct dns_fwd *w, struct pending *p)
{
	ssize_t n;

	for (;;) {
		n = recv(p->fd, w->big, sizeof(w->big) - 16, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ICMP unreachable: this upstream is not there. */
			pend_retry(w, p);
			return;
		}
		/* Anything but the answer to our question is ignored. */
		if (got_reply(w, p, w->big, (size_t)n, sizeof(w->big)) == 0)
			return;
	}
}

static void
upstream_tcp(struct dns_fwd *w, struct pending *p, uint32_t events)
{
	struct epoll_event ev = { .events = EPOLLIN,
		.data.u64 = w->tag | (uint32_t)(p - w->pend) };
	size_t mlen;
	ssize_t n;

	if (p->sent < p->len + 2 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		uint8_t pre[2] = { (uint8_t)(p->len >> 8), (uint8_t)p->len };
		struct iovec iov[2] = { { pre, 2 }, { p->pkt, p->len } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

		n = sendmsg(p->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			return;
		/* A fresh connection takes a query of this size whole; a
		 * partial write means trouble: the next upstream. */
		if (n < (ssize_t)(p->len + 2)) {
			pend_retry(w, p);
			return;
		}
		p->sent = (size_t)n;
		epoll_ctl(w->ep, EPOLL_CTL_MOD, p->fd, &ev);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	n = recv(p->fd, p->rbuf + p->rlen, DNS_MAXMSG + 2 - p->rlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		pend_retry(w, p);
		return;
	}
	p->rlen += (size_t)n;
	if (p->rlen < 2)
		return;
	mlen = (size_t)p->rbuf[0] << 8 | p->rbuf[1];
	if (p->rlen < mlen + 2)
		return;
	if (got_reply(w, p, p->rbuf + 2, mlen, DNS_MAXMSG + 16) < 0)
		pend_retry(w, p);
}

struct dns_fwd *
dns_fwd_new(int ep, uint64_t tag, const struct dns_upstream *up, size_t nup,
    struct dns_cache *cache, dns_deliver_fn *deliver, void *arg)
{
	struct dns_fwd *w = calloc(1, sizeof(*w));
	size_t i;

	if (w == NULL)
		return NULL;
	w->ep = ep;
	w->tag = tag;
	w->up = up;
	w->nup = nup;
	w->cache = cache;
	w->deliver = deliver;
	w->arg = arg;
	w->rndoff = sizeof(w->rnd);
	for (i = 0; i < MAXPEND; i++)
		w->pend[i].fd = -1;
	return w;
}

void
dns_fwd_free(struct dns_fwd *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < MAXPEND; i++)
		if (w->pend[i].pkt != NULL)
			pend_free(w, &w->pend[i]);
	free(w);
}

void
dns_fwd_event(struct dns_fwd *w, uint32_t idx, uint32_t events)
{
	struct pending *p;

	if (idx >= MAXPEND || (p = &w->pend[idx])->fd < 0)
		return;
	if (p->tcp)
		upstream_tcp(w, p, events);
	else
		upstream_udp(w, p);
}

/* Queries whose upstream has been silent too long go to the next one. */
void
dns_fwd_sweep(struct dns_fwd *w)
{
	uint64_t now = mono_ms();
	size_t i;

	for (i = 0; i < MAXPEND && w->npend; i++)
		if (w->pend[i].pkt != NULL && now >= w->pend[i].deadline)
			pend_retry(w, &w->pend[i]);
}

size_t
dns_fwd_pending(const struct dns_fwd *w)
{
	return w->npend;
}
