/* SPDX-License-Identifier: ISC */
/* Fuzz target: the JSON tree (lib/pkjson.c) that reads base images'
 * configs, manifests and index.json; what it writes must parse again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_buf a = { 0 }, b = { 0 };
	struct pj *v, *w;
	char err[128];

	v = pj_parse((const char *)data, size, err, sizeof(err));
	if (v == NULL)
		return 0;
	if (pj_write(&a, v) == 0) {
		w = pj_parse(a.s, a.len, err, sizeof(err));
		if (w == NULL)
			__builtin_trap();
		/* Writing is a fixed point after one round. */
		if (pj_write(&b, w) != 0 || a.len != b.len || memcmp(a.s, b.s, a.len) != 0)
			__builtin_trap();
		pj_free(w);
	}
	if (v->type == PJ_OBJ) {
		pj_set(v, "config", pj_new(PJ_OBJ, NULL));
		pj_del(v, "history");
	}
	pk_buf_free(&a);
	pk_buf_free(&b);
	pj_free(v);
	return 0;
}
