/* SPDX-License-Identifier: ISC */
/* sha256.h: SHA-256, with the x86 SHA extensions when the CPU has them. */
#ifndef SKIFF_SHA256_H
#define SKIFF_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t nbuf;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
void sha256_final(struct sha256 *c, unsigned char out[32]);

#endif
