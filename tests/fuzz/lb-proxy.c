/* SPDX-License-Identifier: ISC */
/* lb-proxy fuzz target: the backends file, --backend arguments, and what is
 * built from their result (the hash ring, PROXY headers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lb.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_spec *specs = NULL, one;
	struct lb_ring ring;
	char err[160], buf[128], *s;
	unsigned char v2[64];
	size_t n = 0, i;

	if (lb_parse_backends((const char *)data, size, &specs, &n, err, sizeof(err)) == 0) {
		if (lb_ring_build(&ring, specs, n < 64 ? n : 64) == 0) {
			if (ring.n > 0 && ring.pts[lb_ring_lookup(&ring, lb_hash(data, size, 0))].idx >= n)
				abort();
			lb_ring_free(&ring);
		}
		for (i = 0; i < n && i < 8; i++) {
			const struct sockaddr *a = (const struct sockaddr *)&specs[i].addr;
			const struct sockaddr *b = (const struct sockaddr *)&specs[n - 1 - i].addr;

			if (specs[i].weight < 1 || specs[i].weight > LB_MAX_WEIGHT)
				abort();
			lb_fmt_addr(a, buf, sizeof(buf));
			/* What lb_fmt_addr writes, lb_parse_addr reads back. */
			if (lb_parse_backend_arg(buf, &one) < 0 || !lb_addr_eq(a, (struct sockaddr *)&one.addr))
				abort();
			if (lb_proxy_v1(buf, sizeof(buf), a, b) < 0 ||
			    lb_proxy_v2(v2, sizeof(v2), a, b) < 0)
				abort();
		}
		free(specs);
	} else if (strnlen(err, sizeof(err)) == sizeof(err))
		abort();
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)lb_parse_backend_arg(s, &one);
	free(s);
	return 0;
}
