/* SPDX-License-Identifier: ISC */
/* ocispec.c: fuzz the config.json reader (lib/jsonr.c and lib/ocispec.c). */
#include <stddef.h>
#include <stdint.h>

#include "ocispec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_config *c;
	char err[512];

	c = oci_parse((const char *)data, size, "/bundle", err, sizeof(err));
	oci_free(c);
	return 0;
}
