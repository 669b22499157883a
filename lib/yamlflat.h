/* SPDX-License-Identifier: ISC */
/* yamlflat.h: YAML documents flattened into path/value pairs. */
#ifndef SKIFF_YAMLFLAT_H
#define SKIFF_YAMLFLAT_H

#include <stddef.h>

/* Called once for every scalar: doc counts from 0; path is the keys and
 * list indexes from the document's root, '/'-joined, with '%', '/' and
 * control characters in keys written as %XX; quoted says the scalar was
 * written in quotes ("3" is a string, 3 is not). Returns 0 to go on. */
typedef int yaml_emit_fn(void *arg, int doc, const char *path, int quoted,
    const char *value);

/* Limits against hostile input: nesting depth, emitted scalars (an alias
 * may expand into a copy of a whole subtree, "billion laughs"). */
#define YAMLFLAT_MAXDEPTH 64
#define YAMLFLAT_MAXSCALARS 100000

/*
 * Parse len bytes of YAML (any number of documents) and emit every scalar.
 * Returns 0, or -1 with "line N: why" in err.
 */
int yaml_flatten(const unsigned char *buf, size_t len, yaml_emit_fn *emit,
    void *arg, char *err, size_t errlen);

#endif
