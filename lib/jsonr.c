/* SPDX-License-Identifier: ISC */
/* jsonr.c: a small strict JSON reader: UTF-8 checked, depth capped, no
 * trailing garbage, duplicate keys allowed (the last one wins on lookup). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonr.h"

#define JR_MAXDEPTH 64

struct jr_p {
	const char *s, *end, *p;
	char *err;
	size_t errlen;
	int failed;
};

static int
jr_fail(struct jr_p *p, const char *why)
{
	const char *q;
	int line = 1, col = 1;

	if (p->failed)
		return -1;
	for (q = p->s; q < p->p && q < p->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	snprintf(p->err, p->errlen, "line %d column %d: %s", line, col, why);
	p->failed = 1;
	errno = EINVAL;
	return -1;
}

static void
jr_ws(struct jr_p *p)
{
	while (p->p < p->end && (*p->p == ' ' || *p->p == '\t' ||
	    *p->p == '\n' || *p->p == '\r'))
		p->p++;
}

static int
jr_hex4(struct jr_p *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (p->end - p->p < 4)
		return jr_fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		char c = *p->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return jr_fail(p, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static size_t
jr_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static size_t
jr_utf8_valid(const unsigned char *s, const unsigned char *end)
{
	unsigned cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static char *
jr_string(struct jr_p *p)
{
	char *out, *o;
	unsigned cp, lo;
	size_t n;

	p->p++;	/* the opening quote */
	/* Decoded text is never longer than the source. */
	if ((out = malloc((size_t)(p->end - p->p) + 1)) == NULL) {
		jr_fail(p, "out of memory");
		return NULL;
	}
	o = out;
	for (;;) {
		if (p->p >= p->end) {
			jr_fail(p, "unterminated string");
			goto bad;
		}
		unsigned char c = (unsigned char)*p->p;

		if (c == '"') {
			p->p++;
			break;
		}
		if (c < 0x20) {
			jr_fail(p, "control character in string");
			goto bad;
		}
		if (c != '\\') {
			if ((n = jr_utf8_valid((const unsigned char *)p->p,
			    (const unsigned char *)p->end)) == 0) {
				jr_fail(p, "invalid UTF-8 in string");
				goto bad;
			}
			memcpy(o, p->p, n);
			o += n;
			p->p += n;
			continue;
		}
		if (++p->p >= p->end) {
			jr_fail(p, "unterminated string");
			goto bad;
		}
		switch (*p->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (jr_hex4(p, &cp) < 0)
				goto bad;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->end - p->p < 6 || p->p[0] != '\\' || p->p[1] != 'u') {
					jr_fail(p, "lone surrogate in \\u escape");
					goto bad;
				}
				p->p += 2;
				if (jr_hex4(p, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					jr_fail(p, "bad surrogate pair");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				jr_fail(p, "lone surrogate in \\u escape");
				goto bad;
			}
			if (cp == 0) {
				jr_fail(p, "NUL in string");
				goto bad;
			}
			o += jr_utf8(o, cp);
			break;
		default:
			p->p--;
			jr_fail(p, "bad escape in string");
			goto bad;
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int
jr_digits(struct jr_p *p)
{
	const char *s = p->p;

	while (p->p < p->end && *p->p >= '0' && *p->p <= '9')
		p->p++;
	return p->p > s ? 0 : jr_fail(p, "bad number");
}

static int
jr_number(struct jr_p *p, struct jr_val *v)
{
	const char *s = p->p;

	if (p->p < p->end && *p->p == '-')
		p->p++;
	if (p->p < p->end && *p->p == '0')
		p->p++;
	else if (jr_digits(p) < 0)
		return -1;
	if (p->p < p->end && *p->p == '.') {
		p->p++;
		if (jr_digits(p) < 0)
			return -1;
	}
	if (p->p < p->end && (*p->p == 'e' || *p->p == 'E')) {
		p->p++;
		if (p->p < p->end && (*p->p == '+' || *p->p == '-'))
			p->p++;
		if (jr_digits(p) < 0)
			return -1;
	}
	v->type = JR_NUM;
	if ((v->str = strndup(s, (size_t)(p->p - s))) == NULL)
		return jr_fail(p, "out of memory");
	return 0;
}

static int jr_value(struct jr_p *p, struct jr_val *v, int depth);

static int
jr_push(struct jr_p *p, struct jr_val *v, size_t *cap, struct jr_val **slot)
{
	struct jr_val *k;

	if (v->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		if ((k = realloc(v->kids, *cap * sizeof(*k))) == NULL)
			return jr_fail(p, "out of memory");
		v->kids = k;
	}
	*slot = &v->kids[v->n];
	memset(*slot, 0, sizeof(**slot));
	v->n++;
	return 0;
}

static int
jr_container(struct jr_p *p, struct jr_val *v, int depth, int obj)
{
	struct jr_val *k = NULL;
	size_t cap = 0;
	char close = obj ? '}' : ']';

	if (depth >= JR_MAXDEPTH)
		return jr_fail(p, "nested too deep");
	v->type = obj ? JR_OBJ : JR_ARR;
	p->p++;
	jr_ws(p);
	if (p->p < p->end && *p->p == close) {
		p->p++;
		return 0;
	}
	for (;;) {
		char *key = NULL;

		jr_ws(p);
		if (obj) {
			if (p->p >= p->end || *p->p != '"')
				return jr_fail(p, "expected a member name");
			if ((key = jr_string(p)) == NULL)
				return -1;
			jr_ws(p);
			if (p->p >= p->end || *p->p != ':') {
				free(key);
				return jr_fail(p, "expected ':'");
			}
			p->p++;
		}
		if (jr_push(p, v, &cap, &k) < 0) {
			free(key);
			return -1;
		}
		k->key = key;
		if (jr_value(p, k, depth + 1) < 0)
			return -1;
		jr_ws(p);
		if (p->p < p->end && *p->p == ',') {
			p->p++;
			continue;
		}
		if (p->p < p->end && *p->p == close) {
			p->p++;
			return 0;
		}
		return jr_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int
jr_word(struct jr_p *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->p) < n || memcmp(p->p, w, n) != 0)
		return jr_fail(p, "unexpected character");
	p->p += n;
	return 0;
}

static int
jr_value(struct jr_p *p, struct jr_val *v, int depth)
{
	jr_ws(p);
	if (p->p >= p->end)
		return jr_fail(p, "unexpected end of input");
	switch (*p->p) {
	case '{': return jr_container(p, v, depth, 1);
	case '[': return jr_container(p, v, depth, 0);
	case '"':
		v->type = JR_STR;
		return (v->str = jr_string(p)) == NULL ? -1 : 0;
	case 't': v->type = JR_BOOL; v->b = 1; return jr_word(p, "true");
	case 'f': v->type = JR_BOOL; return jr_word(p, "false");
	case 'n': v->type = JR_NULL; return jr_word(p, "null");
	default:
		if (*p->p == '-' || (*p->p >= '0' && *p->p <= '9'))
			return jr_number(p, v);
		return jr_fail(p, "unexpected character");
	}
}

static void
jr_clear(struct jr_val *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		jr_clear(&v->kids[i]);
	free(v->kids);
	free(v->key);
	free(v->str);
}

void
jr_free(struct jr_val *v)
{
	if (v == NULL)
		return;
	jr_clear(v);
	free(v);
}

struct jr_val *
jr_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct jr_p p = { buf, buf + len, buf, err, errlen, 0 };
	struct jr_val *v;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (jr_value(&p, v, 0) < 0)
		goto bad;
	jr_ws(&p);
	if (p.p != p.end) {
		jr_fail(&p, "trailing data after the value");
		goto bad;
	}
	return v;
bad:
	jr_free(v);
	errno = EINVAL;
	return NULL;
}

const struct jr_val *
jr_get(const struct jr_val *v, const char *key)
{
	const struct jr_val *found = NULL;
	size_t i;

	if (v == NULL || v->type != JR_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (strcmp(v->kids[i].key, key) == 0)
			found = &v->kids[i];
	return found;
}

const char *
jr_typename(enum jr_type t)
{
	static const char *const names[] = {
		"null", "a boolean", "a number", "a string", "an array", "an object",
	};

	return names[t];
}
