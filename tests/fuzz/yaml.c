/* SPDX-License-Identifier: ISC */
/* Fuzz target: the YAML flattener (untrusted Kubernetes manifests). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "yamlflat.h"

static int
sink(void *arg, int doc, const char *path, int quoted, const char *value)
{
	size_t *n = arg;

	*n += strlen(path) + strlen(value) + (size_t)doc + (size_t)quoted;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t n = 0;

	yaml_flatten(data, size, sink, &n, err, sizeof(err));
	return 0;
}
