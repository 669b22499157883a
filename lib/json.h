/* SPDX-License-Identifier: ISC */
/* json.h: a small strict JSON reader for image manifests and configs. */
#ifndef SKIFF_JSON_H
#define SKIFF_JSON_H

#include <stddef.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT };

/*
 * A parsed value. Strings are decoded to UTF-8 and NUL-terminated (a \u0000
 * escape is refused, so C strings are exact); numbers keep their text.
 * Arrays and objects hold their members as a list through child/next;
 * object members carry their key.
 */
struct json {
	enum json_type type;
	char *key;		/* member name, in an object */
	char *str;		/* string value, or a number's text */
	size_t n;		/* members of an array or object */
	struct json *child, *next;
};

/* Parse len bytes; NULL with a reason in err on failure. Nesting is
 * limited to 64 levels and the document to len bytes of memory use. */
struct json *json_parse(const char *buf, size_t len, char *err, size_t errlen);
void json_free(struct json *j);
/* The member named key of an object (NULL if j is not an object). */
struct json *json_get(const struct json *j, const char *key);
/* The string member key, or NULL when it is missing or not a string. */
const char *json_getstr(const struct json *j, const char *key);
/* A number member as an unsigned integer; -1 when missing or not one. */
int json_getu64(const struct json *j, const char *key, unsigned long long *out);
/* Write j as compact JSON (object members in their order). */
void json_write(FILE *f, const struct json *j);
/* Write s as a JSON string. */
void json_write_str(FILE *f, const char *s);

#endif
