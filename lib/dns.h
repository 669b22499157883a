/* SPDX-License-Identifier: ISC */
/* dns.h: DNS messages (parse, build, compress), zone files and the
 * answers made from them, and the cache of forwarded answers. */
#ifndef SKIFF_DNS_H
#define SKIFF_DNS_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAXNAME 255		/* a name in wire form, with its root byte */
#define DNS_MAXMSG 65535
#define DNS_UDPSIZE 1232	/* what we advertise and send at most (EDNS0) */
#define DNS_MAXCHAIN 8		/* CNAMEs followed within our own data */

enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6,
	DNS_T_PTR = 12, DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28,
	DNS_T_SRV = 33, DNS_T_OPT = 41, DNS_T_IXFR = 251, DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};
enum { DNS_C_IN = 1, DNS_C_ANY = 255 };
enum {
	DNS_R_NOERROR = 0, DNS_R_FORMERR = 1, DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3, DNS_R_NOTIMP = 4, DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16,
};
/* Header flag bits (the 16-bit word after the id). */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_CD 0x0010

/* A query as we understood it. Names are uncompressed wire form. */
struct dns_query {
	uint16_t id, flags, qtype, qclass;
	uint8_t qname[DNS_MAXNAME + 1];	/* as the client spelled it */
	uint8_t lname[DNS_MAXNAME + 1];	/* lower case: the lookup key */
	size_t qnamelen;
	size_t qend;		/* offset just past the question */
	int has_q;		/* the question could be read */
	int edns;		/* an OPT record came with it */
	int do_bit;
	uint16_t udpsize;	/* the client's payload size, at least 512 */
	size_t optoff;		/* where its OPT record starts, or 0 */
	int rcode;		/* DNS_R_NOERROR, or the error to answer */
};

/* dnspkt.c: reading and writing messages. */
int dns_get_name(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
    size_t *outlen);
int dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q);
void dns_name_lower(uint8_t *dst, const uint8_t *src, size_t len);
size_t dns_name_len(const uint8_t *name);
int dns_name_to_text(const uint8_t *name, char *buf, size_t len);
int dns_name_from_text(const char *s, const uint8_t *origin, uint8_t *out,
    size_t *outlen);

/* A message under construction, with a table for name compression. */
struct dns_msg {
	uint8_t *buf;
	size_t cap, len;
	int overflow;		/* something did not fit: the result is unusable */
	uint16_t counts[4];	/* qd an ns ar */
	uint16_t ptrs[64];	/* offsets of labels written, for compression */
	unsigned nptrs;
};
void dns_msg_init(struct dns_msg *m, uint8_t *buf, size_t cap);
void dns_msg_header(struct dns_msg *m, uint16_t id, uint16_t flags);
void dns_msg_set_rcode(struct dns_msg *m, int rcode);
void dns_msg_put_name(struct dns_msg *m, const uint8_t *name, int compress);
void dns_msg_question(struct dns_msg *m, const uint8_t *name, uint16_t type,
    uint16_t class);
/* An RR; section 1 answer, 2 authority, 3 additional. rdata names are
 * written by the caller between rr_begin and rr_end. */
size_t dns_msg_rr_begin(struct dns_msg *m, int section, const uint8_t *name,
    uint16_t type, uint16_t class, uint32_t ttl);
void dns_msg_rr_end(struct dns_msg *m, size_t mark);
void dns_msg_put(struct dns_msg *m, const void *p, size_t n);
void dns_msg_u16(struct dns_msg *m, uint16_t v);
void dns_msg_u32(struct dns_msg *m, uint32_t v);
void dns_msg_opt(struct dns_msg *m, const struct dns_query *q);
size_t dns_msg_finish(struct dns_msg *m);

/* An error answer (FORMERR, REFUSED, SERVFAIL...) to a query, with its
 * question when it could be read. Returns the length, 0 if none fits. */
size_t dns_error_reply(const struct dns_query *q, int rcode, uint8_t *out,
    size_t cap);
/* A reply cut to fit limit: the question and OPT only, TC set. */
size_t dns_truncate_reply(const struct dns_query *q, const uint8_t *reply,
    size_t len, uint8_t *out, size_t cap);

size_t dns_reply_fixup(const struct dns_query *q, uint8_t *msg, size_t len,
    size_t optoff, size_t cap);
/*
 * A whole response from an upstream server, checked: header, question equal
 * to q's (case-insensitively), every record readable. ttloff gets the
 * offsets of the TTL fields (not OPT's), *minttl the smallest of them (for
 * a negative answer, the SOA's minimum bounds it). *optoff is the offset of
 * an OPT record that ends the message, or 0.
 */
int dns_check_response(const uint8_t *msg, size_t len,
    const struct dns_query *q, uint16_t *ttloff, size_t maxttl, size_t *nttl,
    uint32_t *minttl, size_t *optoff);

/* dnszone.c: the records, read from zone files. */
struct dns_db;
/* Reads every file (a directory: every regular file in it, except names
 * starting with '.' or ending in '~' or ".tmp"). On error returns NULL,
 * with "file:line: why" in err. */
struct dns_db *dns_db_load(char *const *paths, size_t npaths,
    const char *domain, uint32_t defttl, char *err, size_t errlen);
/* The same from one buffer (for the fuzzer and the tests). */
struct dns_db *dns_db_parse(const char *fname, const char *text, size_t len,
    const char *domain, uint32_t defttl, char *err, size_t errlen);
void dns_db_free(struct dns_db *db);
size_t dns_db_count(const struct dns_db *db);
/* The answer to q from db into out: returns -1 when the name is none of
 * ours (forward it, or REFUSED), else 0 with its length in *len, which is 0
 * when it did not fit in cap (out then holds the header: truncate). */
int dns_db_answer(const struct dns_db *db, const struct dns_query *q,
    uint8_t *out, size_t cap, size_t *len);

/* dnscache.c: forwarded answers, keyed on (name, type, class), bounded in
 * entries, TTLs counted down on the way out. */
struct dns_cache;
struct dns_cache *dns_cache_new(size_t max);
void dns_cache_free(struct dns_cache *c);
void dns_cache_put(struct dns_cache *c, const struct dns_query *q,
    const uint8_t *msg, size_t len, const uint16_t *ttloff, size_t nttl,
    uint32_t ttl, uint64_t now_ms);
/* The cached answer with q's id and spelling, TTLs aged; 0 on a miss. */
size_t dns_cache_get(struct dns_cache *c, const struct dns_query *q,
    uint8_t *out, size_t cap, uint64_t now_ms);
size_t dns_cache_count(const struct dns_cache *c);

/*
 * dnsfwd.c: forwarding. Each query in flight has its own socket, watched
 * on the caller's epoll fd with data.u64 = tag | slot; the caller hands
 * those events to dns_fwd_event and calls dns_fwd_sweep now and then
 * (every 100 ms will do) while dns_fwd_pending is non-zero. Answers, and
 * SERVFAIL when every upstream failed, go back through deliver.
 */
struct dns_client {	/* who gets the answer: opaque to dnsfwd.c */
	struct sockaddr_storage sa;
	socklen_t salen;
	int lidx;		/* the UDP socket it came in on */
	int tofamily;		/* on a wildcard socket: AF_INET or AF_INET6, */
	int toif;		/* ... the interface and the address the query */
	uint8_t to[16];		/* ... was sent to, to answer from; else 0 */
	int conn;		/* a TCP connection's slot, -1 for UDP */
	uint32_t gen;		/* ... and its generation */
};
struct dns_upstream {
	struct sockaddr_storage sa;
	socklen_t len;
};
typedef void dns_deliver_fn(void *arg, const struct dns_client *cl,
    const struct dns_query *q, uint8_t *msg, size_t len);
struct dns_fwd;
struct dns_fwd *dns_fwd_new(int ep, uint64_t tag, const struct dns_upstream *up,
    size_t nup, struct dns_cache *cache, dns_deliver_fn *deliver, void *arg);
void dns_fwd_free(struct dns_fwd *f);
/* Forwards the query q read from pkt; -1 when no slot is free. */
int dns_fwd_query(struct dns_fwd *f, const struct dns_query *q,
    const struct dns_client *cl, const uint8_t *pkt, size_t len);
void dns_fwd_event(struct dns_fwd *f, uint32_t slot, uint32_t events);
void dns_fwd_sweep(struct dns_fwd *f);
size_t dns_fwd_pending(const struct dns_fwd *f);

#endif
