/* SPDX-License-Identifier: ISC */
/* jsonr.h: a small strict JSON reader (RFC 8259) into a tree of values. */
#ifndef SKIFF_JSONR_H
#define SKIFF_JSONR_H

#include <stddef.h>

enum jr_type { JR_NULL, JR_BOOL, JR_NUM, JR_STR, JR_ARR, JR_OBJ };

struct jr_val {
	enum jr_type type;
	char *key;		/* the member's name, in an object */
	char *str;		/* a string's decoded bytes, or a number's text */
	int b;			/* a boolean */
	size_t n;		/* an array's or object's members */
	struct jr_val *kids;
};

/* Parse len bytes; NULL with err "line L column C: why" on bad input. */
struct jr_val *jr_parse(const char *buf, size_t len, char *err, size_t errlen);
void jr_free(struct jr_val *v);
/* An object's member named key, or NULL (also when v is not an object). */
const struct jr_val *jr_get(const struct jr_val *v, const char *key);
const char *jr_typename(enum jr_type t);

#endif
