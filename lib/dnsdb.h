/* SPDX-License-Identifier: ISC */
/* dnsdb.h: the record table shared by the zone reader (dnszone.c) and the
 * answers (dnsanswer.c); private to them. */
#ifndef SKIFF_DNSDB_H
#define SKIFF_DNSDB_H

#include <stdint.h>

#include "dns.h"

/* One record; its rdata (names uncompressed) at data + rd. */
struct rr {
	uint32_t ttl, rd;
	uint16_t type, rdlen;
};

/* A name: its records are rrs[first .. first + nrr), sorted by type;
 * none for an empty non-terminal. apex: the --domain. */
struct node {
	struct node *next;
	const uint8_t *lname, *name;
	uint32_t first, nrr;
	uint8_t len, apex;
};

struct dns_db {
	uint8_t *data;
	struct rr *rrs;
	size_t nrrs;
	struct node *nodes;
	size_t nnodes;
	struct node **tab;
	size_t mask;
	uint32_t ttl, serial;
};

struct node *dns_db_lookup(const struct dns_db *db, const uint8_t *lname,
    size_t len);

#endif
