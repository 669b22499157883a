/* SPDX-License-Identifier: ISC */
/* lbproto.c: hashing, the consistent-hash ring and PROXY protocol headers
 * for lb-proxy. */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

uint64_t
lb_hash(const void *p, size_t len, uint64_t seed)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV alone spreads short, similar keys poorly over the ring: finish
	 * with a 64-bit avalanche (the one splitmix64 uses). */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

uint64_t
lb_hash_client(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return lb_hash(&((const struct sockaddr_in *)sa)->sin_addr, 4, 0);
	if (sa->sa_family == AF_INET6)
		return lb_hash(&((const struct sockaddr_in6 *)sa)->sin6_addr, 16, 0);
	return 0;
}

static int
point_cmp(const void *a, const void *b)
{
	const struct lb_ring_point *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Points are hashed from the backend's address, not its position in the
 * file, so a backend keeps its arcs when others come and go. */
int
lb_ring_build(struct lb_ring *r, const struct lb_spec *specs, size_t n)
{
	size_t i, total = 0, k = 0;
	int j;
	char key[80];

	for (i = 0; i < n; i++)
		total += (size_t)specs[i].weight * LB_RING_POINTS;
	r->pts = NULL;
	r->n = 0;
	if (total == 0)
		return 0;
	r->pts = calloc(total, sizeof(*r->pts));
	if (r->pts == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		lb_fmt_addr((const struct sockaddr *)&specs[i].addr, key, 64);
		for (j = 0; j < specs[i].weight * LB_RING_POINTS; j++) {
			r->pts[k].h = lb_hash(key, strlen(key), (uint64_t)j * 0x9e3779b97f4a7c15ULL);
			r->pts[k].idx = (uint32_t)i;
			k++;
		}
	}
	qsort(r->pts, total, sizeof(*r->pts), point_cmp);
	r->n = total;
	return 0;
}

size_t
lb_ring_lookup(const struct lb_ring *r, uint64_t h)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->pts[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return r->n ? lo % r->n : 0;
}

void
lb_ring_free(struct lb_ring *r)
{
	free(r->pts);
	r->pts = NULL;
	r->n = 0;
}

int
lb_proxy_v1(char *buf, size_t len, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int k;

	if (src->sa_family == AF_INET && dst->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src, *b = (const void *)dst;

		inet_ntop(AF_INET, &a->sin_addr, s, sizeof(s));
		inet_ntop(AF_INET, &b->sin_addr, d, sizeof(d));
		k = snprintf(buf, len, "PROXY TCP4 %s %s %u %u\r\n", s, d,
		    ntohs(a->sin_port), ntohs(b->sin_port));
	} else if (src->sa_family == AF_INET6 && dst->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src, *b = (const void *)dst;

		inet_ntop(AF_INET6, &a->sin6_addr, s, sizeof(s));
		inet_ntop(AF_INET6, &b->sin6_addr, d, sizeof(d));
		k = snprintf(buf, len, "PROXY TCP6 %s %s %u %u\r\n", s, d,
		    ntohs(a->sin6_port), ntohs(b->sin6_port));
	} else
		k = snprintf(buf, len, "PROXY UNKNOWN\r\n");
	if (k < 0 || (size_t)k >= len) {
		errno = ENOSPC;
		return -1;
	}
	return k;
}

static const unsigned char v2sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

int
lb_proxy_v2(unsigned char *buf, size_t len, const struct sockaddr *src,
    const struct sockaddr *dst)
{
	size_t alen;

	if (len < 16 + 36) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, v2sig, 12);
	buf[12] = 0x21;		/* version 2, PROXY command */
	if (src->sa_family == AF_INET && dst->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src, *b = (const void *)dst;

		buf[13] = 0x11;	/* TCP over IPv4 */
		alen = 12;
		memcpy(buf + 16, &a->sin_addr, 4);
		memcpy(buf + 20, &b->sin_addr, 4);
		memcpy(buf + 24, &a->sin_port, 2);
		memcpy(buf + 26, &b->sin_port, 2);
	} else if (src->sa_family == AF_INET6 && dst->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src, *b = (const void *)dst;

		buf[13] = 0x21;	/* TCP over IPv6 */
		alen = 36;
		memcpy(buf + 16, &a->sin6_addr, 16);
		memcpy(buf + 32, &b->sin6_addr, 16);
		memcpy(buf + 48, &a->sin6_port, 2);
		memcpy(buf + 50, &b->sin6_port, 2);
	} else {
		buf[13] = 0x00;	/* UNSPEC */
		alen = 0;
	}
	buf[14] = (unsigned char)(alen >> 8);
	buf[15] = (unsigned char)alen;
	return (int)(16 + alen);
}
