/* SPDX-License-Identifier: ISC */
/* dnscache.c: forwarded answers by (name, type, class), least recently used
 * out first, each kept no longer than its smallest TTL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

#define MAXTTLS 128

struct entry {
	struct entry *hnext, *prev, *next;	/* hash chain, LRU list */
	uint64_t stored, expires;
	uint16_t qtype, qclass, len, nttl;
	uint8_t keylen;
	uint8_t key[DNS_MAXNAME + 1];
	uint16_t *ttloff;
	uint8_t *msg;
};

struct dns_cache {
	struct entry **tab;
	size_t mask, n, max;
	struct entry head;	/* LRU: head.next is the most recent */
};

static uint32_t
hash(const uint8_t *p, size_t n, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

struct dns_cache *
dns_cache_new(size_t max)
{
	struct dns_cache *c = calloc(1, sizeof(*c));
	size_t size = 64;

	if (c == NULL)
		return NULL;
	while (size < max && size < (1u << 24))
		size *= 2;
	if ((c->tab = calloc(size, sizeof(*c->tab))) == NULL) {
		free(c);
		return NULL;
	}
	c->mask = size - 1;
	c->max = max;
	c->head.next = c->head.prev = &c->head;
	return c;
}

static void
unlink_lru(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void
push_lru(struct dns_cache *c, struct entry *e)
{
	e->next = c->head.next;
	e->prev = &c->head;
	c->head.next->prev = e;
	c->head.next = e;
}

static struct entry **
find(struct dns_cache *c, const uint8_t *key, size_t keylen, uint16_t qtype,
    uint16_t qclass)
{
	struct entry **p = &c->tab[hash(key, keylen, qtype) & c->mask];

	for (; *p; p = &(*p)->hnext)
		if ((*p)->keylen == keylen && (*p)->qtype == qtype &&
		    (*p)->qclass == qclass && memcmp((*p)->key, key, keylen) == 0)
			break;
	return p;
}

static void
drop(struct dns_cache *c, struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->hnext;
	unlink_lru(e);
	free(e->msg);
	free(e->ttloff);
	free(e);
	c->n--;
}

void
dns_cache_free(struct dns_cache *c)
{
	struct entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->head.next; e != &c->head; e = next) {
		next = e->next;
		free(e->msg);
		free(e->ttloff);
		free(e);
	}
	free(c->tab);
	free(c);
}

void
dns_cache_put(struct dns_cache *c, const struct dns_query *q,
    const uint8_t *msg, size_t len, const uint16_t *ttloff, size_t nttl,
    uint32_t ttl, uint64_t now_ms)
{
	struct entry **slot, *e;

	if (c->max == 0 || ttl == 0 || nttl > MAXTTLS || len > DNS_MAXMSG)
		return;
	slot = find(c, q->lname, q->qnamelen, q->qtype, q->qclass);
	if (*slot)
		drop(c, slot);
	if (c->n >= c->max) {
		struct entry *old = c->head.prev;

		drop(c, find(c, old->key, old->keylen, old->qtype, old->qclass));
		slot = find(c, q->lname, q->qnamelen, q->qtype, q->qclass);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return;
	e->msg = malloc(len);
	e->ttloff = malloc((nttl ? nttl : 1) * sizeof(*e->ttloff));
	if (e->msg == NULL || e->ttloff == NULL) {
		free(e->msg);
		free(e->ttloff);
		free(e);
		return;
	}
	memcpy(e->msg, msg, len);
	memcpy(e->ttloff, ttloff, nttl * sizeof(*ttloff));
	e->len = (uint16_t)len;
	e->nttl = (uint16_t)nttl;
	e->stored = now_ms;
	e->expires = now_ms + (uint64_t)ttl * 1000;
	e->qtype = q->qtype;
	e->qclass = q->qclass;
	e->keylen = (uint8_t)q->qnamelen;
	memcpy(e->key, q->lname, q->qnamelen);
	e->hnext = *slot;
	*slot = e;
	push_lru(c, e);
	c->n++;
}

size_t
dns_cache_get(struct dns_cache *c, const struct dns_query *q, uint8_t *out,
    size_t cap, uint64_t now_ms)
{
	struct entry **slot = find(c, q->lname, q->qnamelen, q->qtype, q->qclass);
	struct entry *e = *slot;
	uint32_t age;
	size_t i;

	if (e == NULL)
		return 0;
	if (now_ms >= e->expires) {
		drop(c, slot);
		return 0;
	}
	if (e->len > cap)
		return 0;
	unlink_lru(e);
	push_lru(c, e);
	memcpy(out, e->msg, e->len);
	age = (uint32_t)((now_ms - e->stored) / 1000);
	for (i = 0; i < e->nttl; i++) {
		uint8_t *p = out + e->ttloff[i];
		uint32_t t = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];

		t = t > age ? t - age : 0;
		p[0] = (uint8_t)(t >> 24);
		p[1] = (uint8_t)(t >> 16);
		p[2] = (uint8_t)(t >> 8);
		p[3] = (uint8_t)t;
	}
	return dns_reply_fixup(q, out, e->len, 0, cap);
}

size_t
dns_cache_count(const struct dns_cache *c)
{
	return c->n;
}
