/* SPDX-License-Identifier: ISC */
/* dnsanswer.c: authoritative answers from the record table: NXDOMAIN
 * versus NODATA with the zone's SOA, CNAME chains, minimal ANY, SRV
 * targets' addresses. */
#include <stdint.h>
#include <string.h>

#include "dns.h"
#include "dnsdb.h"

/* The zone apex at or above lname, or NULL. */
static const struct node *
find_zone(const struct dns_db *db, const uint8_t *lname, size_t len)
{
	size_t off = 0;

	for (;;) {
		const struct node *n = dns_db_lookup(db, lname + off, len - off);

		if (n != NULL && n->apex)
			return n;
		if (lname[off] == 0)
			return NULL;
		off += (size_t)lname[off] + 1;
	}
}

/* The zone's SOA, made up like CoreDNS's: ns.dns.ZONE hostmaster.ZONE. */
static void
put_soa(struct dns_msg *m, const struct dns_db *db, const struct node *zone,
    int section)
{
	uint8_t name[DNS_MAXNAME + 12];
	size_t mark;

	mark = dns_msg_rr_begin(m, section, zone->name, DNS_T_SOA, DNS_C_IN, db->ttl);
	if (zone->len + 7 <= DNS_MAXNAME) {
		memcpy(name, "\002ns\003dns", 7);
		memcpy(name + 7, zone->name, zone->len);
		dns_msg_put_name(m, name, 1);
	} else
		dns_msg_put_name(m, zone->name, 1);
	if (zone->len + 11 <= DNS_MAXNAME) {
		memcpy(name, "\012hostmaster", 11);
		memcpy(name + 11, zone->name, zone->len);
		dns_msg_put_name(m, name, 1);
	} else
		dns_msg_put_name(m, zone->name, 1);
	dns_msg_u32(m, db->serial);
	dns_msg_u32(m, 7200);
	dns_msg_u32(m, 1800);
	dns_msg_u32(m, 86400);
	dns_msg_u32(m, db->ttl);
	dns_msg_rr_end(m, mark);
}

static void
put_rr(struct dns_msg *m, const struct dns_db *db, const struct rr *r,
    const uint8_t *owner, int section)
{
	const uint8_t *rd = db->data + r->rd;
	size_t mark = dns_msg_rr_begin(m, section, owner, r->type, DNS_C_IN, r->ttl);

	switch (r->type) {
	case DNS_T_CNAME:
	case DNS_T_PTR:
		dns_msg_put_name(m, rd, 1);
		break;
	case DNS_T_SRV:
		/* RFC 2782: the target is not compressed. */
		dns_msg_put(m, rd, 6);
		dns_msg_put_name(m, rd + 6, 0);
		break;
	default:
		dns_msg_put(m, rd, r->rdlen);
	}
	dns_msg_rr_end(m, mark);
}

/* The first of n's records of this type, or NULL; *cnt gets how many. */
static const struct rr *
rrset(const struct dns_db *db, const struct node *n, uint16_t type, size_t *cnt)
{
	size_t i, k;

	for (i = 0; i < n->nrr; i++) {
		const struct rr *r = &db->rrs[n->first + i];

		if (r->type != type && type != DNS_T_ANY)
			continue;
		for (k = i + 1; k < n->nrr && db->rrs[n->first + k].type == r->type; k++)
			;
		*cnt = k - i;
		return r;
	}
	return NULL;
}

/* Addresses of SRV targets that are ours, in the additional section. */
static void
srv_additional(struct dns_msg *m, const struct dns_db *db, const struct rr *r,
    size_t cnt)
{
	size_t i, k, c;
	static const uint16_t at[2] = { DNS_T_A, DNS_T_AAAA };

	for (i = 0; i < cnt && i < 32; i++) {
		uint8_t l[DNS_MAXNAME + 1];
		const uint8_t *t = db->data + r[i].rd + 6;
		size_t tl = dns_name_len(t), j;
		const struct node *n;
		const struct rr *a;

		dns_name_lower(l, t, tl);
		if ((n = dns_db_lookup(db, l, tl)) == NULL)
			continue;
		for (k = 0; k < 2; k++)
			if ((a = rrset(db, n, at[k], &c)) != NULL)
				for (j = 0; j < c; j++)
					put_rr(m, db, &a[j], t, 3);
	}
}

int
dns_db_answer(const struct dns_db *db, const struct dns_query *q,
    uint8_t *out, size_t cap, size_t *len)
{
	struct dns_msg m;
	const struct node *n, *zone;
	const struct rr *r;
	const uint8_t *owner = q->qname;
	uint8_t lbuf[DNS_MAXNAME + 1];
	size_t cnt, i, hop;
	int rcode = DNS_R_NOERROR;

	*len = 0;
	if (q->rcode != DNS_R_NOERROR || !q->has_q) {
		*len = dns_error_reply(q, q->rcode, out, cap);
		return 0;
	}
	n = dns_db_lookup(db, q->lname, q->qnamelen);
	zone = NULL;
	if (n == NULL || n->nrr == 0) {
		if ((zone = find_zone(db, q->lname, q->qnamelen)) == NULL)
			return -1;
	}
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY) {
		*len = dns_error_reply(q, DNS_R_REFUSED, out, cap);
		return 0;
	}
	if (q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR) {
		*len = dns_error_reply(q, DNS_R_NOTIMP, out, cap);
		return 0;
	}
	dns_msg_init(&m, out, cap);
	dns_msg_header(&m, q->id, (uint16_t)(DNS_F_QR | DNS_F_AA |
	    (q->flags & (DNS_F_RD | DNS_F_CD))));
	dns_msg_question(&m, q->qname, q->qtype, q->qclass);
	for (hop = 0;; hop++) {
		size_t olen = dns_name_len(owner);

		if (n == NULL) {
			/* Only the first name, or a CNAME target inside one of
			 * our zones, is ours to deny. */
			dns_name_lower(lbuf, owner, olen);
			if ((zone = find_zone(db, lbuf, olen)) != NULL) {
				rcode = DNS_R_NXDOMAIN;
				put_soa(&m, db, zone, 2);
			}
			break;
		}
		if (q->qtype == DNS_T_SOA && n->apex) {
			put_soa(&m, db, n, 1);
			break;
		}
		if ((r = rrset(db, n, q->qtype, &cnt)) != NULL) {
			/* RFC 8482: ANY gets one set, the first. */
			for (i = 0; i < cnt; i++)
				put_rr(&m, db, &r[i], owner, 1);
			if (r->type == DNS_T_SRV)
				srv_additional(&m, db, r, cnt);
			break;
		}
		if (q->qtype != DNS_T_CNAME &&
		    (r = rrset(db, n, DNS_T_CNAME, &cnt)) != NULL) {
			if (hop == DNS_MAXCHAIN) {
				rcode = DNS_R_SERVFAIL;	/* a loop, or nearly */
				break;
			}
			put_rr(&m, db, r, owner, 1);
			owner = db->data + r->rd;
			olen = dns_name_len(owner);
			dns_name_lower(lbuf, owner, olen);
			n = dns_db_lookup(db, lbuf, olen);
			continue;
		}
		/* The name is there, the type is not: NODATA. */
		dns_name_lower(lbuf, owner, olen);
		if ((zone = find_zone(db, lbuf, olen)) != NULL)
			put_soa(&m, db, zone, 2);
		break;
	}
	dns_msg_set_rcode(&m, rcode);
	dns_msg_opt(&m, q);
	*len = dns_msg_finish(&m);
	return 0;
}
