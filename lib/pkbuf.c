/* SPDX-License-Identifier: ISC */
/* pkbuf.c: a growable, always NUL-terminated byte buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

static int
grow(struct pk_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (n > SIZE_MAX / 2 - b->len) {
		errno = ENOMEM;
		return -1;
	}
	if (b->len + n + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->s, cap);
	if (p == NULL)
		return -1;
	b->s = p;
	b->cap = cap;
	return 0;
}

int
pk_buf_add(struct pk_buf *b, const void *p, size_t n)
{
	if (grow(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
pk_buf_puts(struct pk_buf *b, const char *s)
{
	return pk_buf_add(b, s, strlen(s));
}

int
pk_buf_printf(struct pk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0 || grow(b, (size_t)k) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)k;
	return 0;
}

/* A JSON string literal: quotes, the two mandatory escapes, control
 * characters as \uXXXX (Go's encoder also escapes <, > and &; we need not). */
int
pk_buf_json_str(struct pk_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	if (pk_buf_add(b, "\"", 1) < 0)
		return -1;
	for (; *p; p++) {
		const char *e = NULL;

		switch (*p) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\t': e = "\\t"; break;
		case '\r': e = "\\r"; break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				e = esc;
			}
		}
		if (e != NULL ? pk_buf_puts(b, e) : pk_buf_add(b, p, 1))
			return -1;
	}
	return pk_buf_add(b, "\"", 1);
}

void
pk_buf_free(struct pk_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}
