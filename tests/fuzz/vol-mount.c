/* SPDX-License-Identifier: ISC */
/* vol-mount.c: fuzz the --bind/--tmpfs/--volume spec parsers; whatever
 * they accept must name a clean absolute target with no "..". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "mountops.h"

static void
check(const struct mount_op *op)
{
	const char *d = op->dst;

	if (d == NULL || d[0] != '/' || d[1] == '\0' || strstr(d, "//") ||
	    strstr(d, "/../") || strstr(d, "/./") ||
	    (strlen(d) >= 3 && strcmp(d + strlen(d) - 3, "/..") == 0) ||
	    (strlen(d) >= 2 && strcmp(d + strlen(d) - 2, "/.") == 0) ||
	    d[strlen(d) - 1] == '/')
		abort();
	if (op->kind == MOP_VOLUME && !vol_name_ok(op->src))
		abort();
	if (op->kind == MOP_BIND && (op->src == NULL || op->src[0] == '\0'))
		abort();
	if (strlen(op->data) >= sizeof(op->data))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mount_op op;
	char err[160], *s;
	int r;

	if (size < 1)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	err[0] = '\0';
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: r = mop_parse_bind(s, &op, err, sizeof(err)); break;
	case 1: r = mop_parse_tmpfs(s, &op, err, sizeof(err)); break;
	default: r = mop_parse_volume(s, &op, err, sizeof(err)); break;
	}
	if (r == 0) {
		check(&op);
		mop_free(&op);
	} else if (err[0] == '\0')
		abort();
	free(s);
	return 0;
}
