/* SPDX-License-Identifier: ISC */
/* Fuzz target: the JSON reader; whatever parses must write back and parse
 * again to the same text. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char *
dump(const struct json *j, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	json_write(f, j);
	fclose(f);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json *j, *k;
	char err[128], *a, *b;
	size_t alen, blen;

	j = json_parse((const char *)data, size, err, sizeof(err));
	if (j == NULL)
		return 0;
	json_getstr(j, "mediaType");
	json_get(j, "manifests");
	a = dump(j, &alen);
	k = json_parse(a, alen, err, sizeof(err));
	if (k == NULL)
		__builtin_trap();	/* what we write, we must read */
	b = dump(k, &blen);
	if (alen != blen || memcmp(a, b, alen) != 0)
		__builtin_trap();
	free(a);
	free(b);
	json_free(j);
	json_free(k);
	return 0;
}
