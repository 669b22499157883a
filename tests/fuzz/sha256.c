/* SPDX-License-Identifier: ISC */
/* Fuzz target: our SHA-256 (SHA-NI or portable) against libmd's, fed in
 * pieces whose sizes come from the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sha2.h>

#include "sha256.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sha256 c;
	SHA2_CTX r;
	unsigned char a[32], b[32];
	size_t off = 0;

	sha256_init(&c);
	SHA256Init(&r);
	SHA256Update(&r, data, size);
	SHA256Final(b, &r);
	while (off < size) {
		size_t k = 1 + data[off] % 131;

		if (k > size - off)
			k = size - off;
		sha256_update(&c, data + off, k);
		off += k;
	}
	sha256_final(&c, a);
	if (memcmp(a, b, 32) != 0)
		__builtin_trap();
	return 0;
}
