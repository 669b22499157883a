/* SPDX-License-Identifier: ISC */
/* Fuzz net-bridge's parsers: addresses, subnets, lease owners (read back from
 * files anyone with access to the state directory could write) and
 * --publish specifications; and check that what parses formats back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipam.h"
#include "nft.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), buf[512], err[128], ip[16];
	struct ipnet net, other = { 0x0a580000, 16 };
	struct owner o, o2;
	struct pubport p;
	uint32_t a;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ip_parse(s, &a) == 0) {
		ip_format(a, ip);
		if (strcmp(ip, s) != 0)
			abort();
	}
	if (ipnet_parse(s, &net) == 0) {
		if (net.prefix < 1 || net.prefix > 30 || ipnet_first(&net) > ipnet_last(&net) ||
		    !ipnet_contains(&net, ipnet_last(&net)))
			abort();
		(void)ipnet_overlap(&net, &other);
	}
	if (owner_parse(s, &o) == 0) {
		if (owner_format(&o, buf, sizeof(buf)) < 0 || owner_parse(buf, &o2) != 0 ||
		    o.pid != o2.pid || o.start != o2.start || strcmp(o.netns, o2.netns) != 0)
			abort();
	}
	if (pubport_parse(s, &p, err, sizeof(err)) == 0) {
		if (p.hostport < 1 || p.hostport > 65535 || p.port < 1 || p.port > 65535)
			abort();
	}
	free(s);
	return 0;
}
