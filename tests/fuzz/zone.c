/* SPDX-License-Identifier: ISC */
/* fuzz/zone.c: the zone-file reader on hostile text; what it accepts must
 * answer queries for the names in it without tripping anything. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = { "cluster.local.", "a.cluster.local.",
		"x.y.cluster.local.", "web.default.svc.cluster.local.",
		"10.0.96.10.in-addr.arpa.", "in-addr.arpa.", "." };
	static const uint16_t types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_SRV,
		DNS_T_TXT, DNS_T_PTR, DNS_T_CNAME, DNS_T_ANY, DNS_T_SOA };
	static uint8_t out[DNS_MAXMSG];
	struct dns_db *db;
	struct dns_query q;
	char err[512];
	size_t i, k, n;

	db = dns_db_parse("fuzz", (const char *)data, size, "cluster.local", 5,
	    err, sizeof(err));
	if (db == NULL) {
		if (strncmp(err, "fuzz:", 5) != 0)
			abort();	/* every error names the file */
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
			memset(&q, 0, sizeof(q));
			if (dns_name_from_text(names[i], NULL, q.qname, &q.qnamelen) < 0)
				abort();
			dns_name_lower(q.lname, q.qname, q.qnamelen);
			q.id = 1;
			q.qtype = types[k];
			q.qclass = DNS_C_IN;
			q.has_q = 1;
			q.udpsize = 512;
			dns_db_answer(db, &q, out, sizeof(out), &n);
			dns_db_answer(db, &q, out, 100, &n);
		}
	dns_db_free(db);
	return 0;
}
