/* SPDX-License-Identifier: ISC */
/* fuzz/dns.c: svc-dns's packet code on hostile bytes: a query parsed and
 * answered from a small zone (as UDP and as TCP), the input read as an
 * upstream's response, cached, and served back from the cache. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

static const char zone[] =
    "$TTL 5\n"
    "web.default.svc A 10.96.0.10\n"
    "web.default.svc AAAA fd00::10\n"
    "_http._tcp.web.default.svc SRV 0 100 80 web.default.svc\n"
    "a.default.svc CNAME b.default.svc\n"
    "b.default.svc CNAME web.default.svc\n"
    "loop1.default.svc CNAME loop2.default.svc\n"
    "loop2.default.svc CNAME loop1.default.svc\n"
    "gone.default.svc CNAME nothere.default.svc\n"
    "t.default.svc TXT \"x\" \"yy\"\n"
    "$ORIGIN in-addr.arpa.\n"
    "10.0.96.10 PTR web.default.svc.cluster.local.\n";

static struct dns_db *db;
static struct dns_cache *cache;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MAXMSG + 64], small[512], msg[DNS_MAXMSG + 64];
	struct dns_query q;
	uint16_t ttloff[128];
	size_t n, nttl, optoff;
	uint32_t minttl;
	char err[256];

	if (db == NULL) {
		db = dns_db_parse("fuzz", zone, sizeof(zone) - 1, "cluster.local",
		    5, err, sizeof(err));
		if (db == NULL)
			abort();
		cache = dns_cache_new(64);
	}
	if (dns_parse_query(data, size, &q) < 0)
		return 0;
	if (dns_db_answer(db, &q, out, sizeof(out) - 64, &n) == 0 && n > 0) {
		/* Our own answer must read back as a valid response. */
		if (q.has_q && q.rcode == 0 &&
		    dns_check_response(out, n, &q, ttloff, 128, &nttl, &minttl,
		    &optoff) < 0)
			abort();
	}
	if (dns_db_answer(db, &q, small, sizeof(small), &n) == 0 && n == 0)
		dns_truncate_reply(&q, small, 12, small, sizeof(small));
	dns_error_reply(&q, DNS_R_SERVFAIL, small, sizeof(small));
	/* The same bytes as an upstream's response to that question. */
	if (size <= DNS_MAXMSG && size >= 2) {
		memcpy(msg, data, size);
		msg[2] |= 0x80;
		if (dns_check_response(msg, size, &q, ttloff, 128, &nttl, &minttl,
		    &optoff) == 0 && nttl <= 128) {
			dns_cache_put(cache, &q, msg, optoff ? optoff : size, ttloff,
			    nttl, 10, 1000);
			n = dns_cache_get(cache, &q, out, sizeof(out), 2000);
			dns_reply_fixup(&q, msg, size, optoff, sizeof(msg));
		}
	}
	return 0;
}
