/* SPDX-License-Identifier: ISC */
/* pkjson.c: a small order-keeping JSON tree: parse, change, write. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"

#define MAXDEPTH 64

struct ps {
	const char *s, *end;
	char *err;
	size_t errlen;
};

static int
fail(struct ps *p, const char *why)
{
	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "%s", why);
	errno = EINVAL;
	return -1;
}

static void
ws(struct ps *p, const char **c)
{
	while (*c < p->end && (**c == ' ' || **c == '\t' || **c == '\n' || **c == '\r'))
		(*c)++;
}

struct pj *
pj_new(enum pj_type t, const char *str)
{
	struct pj *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->type = t;
	if (str != NULL && (v->str = strdup(str)) == NULL) {
		free(v);
		return NULL;
	}
	return v;
}

void
pj_free(struct pj *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		pj_free(v->kid[i]);
	free(v->kid);
	free(v->key);
	free(v->str);
	free(v);
}

static int
addkid(struct pj *v, struct pj *k)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4;
		struct pj **p = realloc(v->kid, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		v->kid = p;
		v->cap = cap;
	}
	v->kid[v->n++] = k;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex4(struct ps *p, const char **c, unsigned *out)
{
	int i, h;

	*out = 0;
	if (p->end - *c < 4)
		return fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		if ((h = hexval((unsigned char)(*c)[i])) < 0)
			return fail(p, "bad \\u escape");
		*out = *out << 4 | (unsigned)h;
	}
	*c += 4;
	return 0;
}

/* A string literal at *c (just after the quote) into a new C string. */
static char *
pstring(struct ps *p, const char **c)
{
	struct pk_buf b = { 0 };
	unsigned u, lo;
	char u8[4];
	size_t n;

	for (;;) {
		const char *q = *c;

		while (q < p->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
			q++;
		if (pk_buf_add(&b, *c, (size_t)(q - *c)) < 0)
			goto bad;
		*c = q;
		if (q >= p->end) {
			fail(p, "unterminated string");
			goto bad;
		}
		if (*q == '"') {
			(*c)++;
			if (b.s == NULL && pk_buf_add(&b, "", 0) < 0)
				goto bad;
			return b.s;
		}
		if ((unsigned char)*q < 0x20) {
			fail(p, "control character in string");
			goto bad;
		}
		(*c)++;
		if (*c >= p->end) {
			fail(p, "unterminated string");
			goto bad;
		}
		switch (*(*c)++) {
		case '"': u8[0] = '"'; n = 1; break;
		case '\\': u8[0] = '\\'; n = 1; break;
		case '/': u8[0] = '/'; n = 1; break;
		case 'b': u8[0] = '\b'; n = 1; break;
		case 'f': u8[0] = '\f'; n = 1; break;
		case 'n': u8[0] = '\n'; n = 1; break;
		case 'r': u8[0] = '\r'; n = 1; break;
		case 't': u8[0] = '\t'; n = 1; break;
		case 'u':
			if (hex4(p, c, &u) < 0)
				goto bad;
			if (u >= 0xd800 && u < 0xdc00) {
				if (p->end - *c < 6 || (*c)[0] != '\\' || (*c)[1] != 'u') {
					fail(p, "lone surrogate");
					goto bad;
				}
				*c += 2;
				if (hex4(p, c, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff) {
					fail(p, "bad surrogate pair");
					goto bad;
				}
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				fail(p, "lone surrogate");
				goto bad;
			}
			if (u == 0) {
				fail(p, "NUL in string");
				goto bad;
			}
			if (u < 0x80) {
				u8[0] = (char)u; n = 1;
			} else if (u < 0x800) {
				u8[0] = (char)(0xc0 | u >> 6);
				u8[1] = (char)(0x80 | (u & 0x3f)); n = 2;
			} else if (u < 0x10000) {
				u8[0] = (char)(0xe0 | u >> 12);
				u8[1] = (char)(0x80 | (u >> 6 & 0x3f));
				u8[2] = (char)(0x80 | (u & 0x3f)); n = 3;
			} else {
				u8[0] = (char)(0xf0 | u >> 18);
				u8[1] = (char)(0x80 | (u >> 12 & 0x3f));
				u8[2] = (char)(0x80 | (u >> 6 & 0x3f));
				u8[3] = (char)(0x80 | (u & 0x3f)); n = 4;
			}
			break;
		default:
			fail(p, "bad escape");
			goto bad;
		}
		if (pk_buf_add(&b, u8, n) < 0)
			goto bad;
	}
bad:
	pk_buf_free(&b);
	return NULL;
}

static int
isdig(const char *c, const char *end)
{
	return c < end && *c >= '0' && *c <= '9';
}

static struct pj *
pvalue(struct ps *p, const char **c, int depth)
{
	struct pj *v = NULL, *k;
	const char *q;

	if (depth > MAXDEPTH) {
		fail(p, "nested too deep");
		return NULL;
	}
	ws(p, c);
	if (*c >= p->end) {
		fail(p, "unexpected end");
		return NULL;
	}
	switch (**c) {
	case '{':
	case '[': {
		int obj = **c == '{';
		char close = obj ? '}' : ']';

		(*c)++;
		if ((v = pj_new(obj ? PJ_OBJ : PJ_ARR, NULL)) == NULL)
			return NULL;
		ws(p, c);
		if (*c < p->end && **c == close) {
			(*c)++;
			return v;
		}
		for (;;) {
			char *key = NULL;

			ws(p, c);
			if (obj) {
				if (*c >= p->end || **c != '"') {
					fail(p, "expected a member name");
					goto bad;
				}
				(*c)++;
				if ((key = pstring(p, c)) == NULL)
					goto bad;
				ws(p, c);
				if (*c >= p->end || **c != ':') {
					free(key);
					fail(p, "expected ':'");
					goto bad;
				}
				(*c)++;
			}
			if ((k = pvalue(p, c, depth + 1)) == NULL) {
				free(key);
				goto bad;
			}
			k->key = key;
			if (addkid(v, k) < 0) {
				pj_free(k);
				goto bad;
			}
			ws(p, c);
			if (*c < p->end && **c == ',') {
				(*c)++;
				continue;
			}
			if (*c < p->end && **c == close) {
				(*c)++;
				return v;
			}
			fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			goto bad;
		}
	}
	case '"':
		(*c)++;
		if ((v = pj_new(PJ_STR, NULL)) == NULL)
			return NULL;
		if ((v->str = pstring(p, c)) == NULL)
			goto bad;
		return v;
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };
		size_t i;

		for (i = 0; i < 3; i++) {
			size_t l = strlen(lit[i]);

			if ((size_t)(p->end - *c) >= l && memcmp(*c, lit[i], l) == 0) {
				*c += l;
				return pj_new(i == 2 ? PJ_NULL : PJ_BOOL, i == 2 ? NULL : lit[i]);
			}
		}
		fail(p, "bad literal");
		return NULL;
	}
	default:
		q = *c;
		if (q < p->end && *q == '-')
			q++;
		if (!isdig(q, p->end)) {
			fail(p, "unexpected character");
			return NULL;
		}
		if (*q == '0')
			q++;
		else
			while (isdig(q, p->end))
				q++;
		if (q < p->end && *q == '.') {
			q++;
			if (!isdig(q, p->end)) {
				fail(p, "bad number");
				return NULL;
			}
			while (isdig(q, p->end))
				q++;
		}
		if (q < p->end && (*q == 'e' || *q == 'E')) {
			q++;
			if (q < p->end && (*q == '+' || *q == '-'))
				q++;
			if (!isdig(q, p->end)) {
				fail(p, "bad number");
				return NULL;
			}
			while (isdig(q, p->end))
				q++;
		}
		if ((v = pj_new(PJ_NUM, NULL)) == NULL)
			return NULL;
		if ((v->str = strndup(*c, (size_t)(q - *c))) == NULL)
			goto bad;
		*c = q;
		return v;
	}
bad:
	pj_free(v);
	return NULL;
}

/* Parses a whole JSON text; err gets why not. */
struct pj *
pj_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct ps p = { s, s + len, err, errlen };
	const char *c = s;
	struct pj *v;

	if ((v = pvalue(&p, &c, 0)) == NULL)
		return NULL;
	ws(&p, &c);
	if (c != s + len) {
		fail(&p, "trailing data");
		pj_free(v);
		return NULL;
	}
	return v;
}

struct pj *
pj_get(const struct pj *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != PJ_OBJ)
		return NULL;
	/* The last of duplicate members wins, as in Go's decoder. */
	for (i = obj->n; i-- > 0;)
		if (strcmp(obj->kid[i]->key, key) == 0)
			return obj->kid[i];
	return NULL;
}

struct pj *
pj_get_type(const struct pj *obj, const char *key, enum pj_type t)
{
	struct pj *v = pj_get(obj, key);

	return v != NULL && v->type == t ? v : NULL;
}

void
pj_del(struct pj *obj, const char *key)
{
	size_t i, j;

	for (i = j = 0; i < obj->n; i++) {
		if (strcmp(obj->kid[i]->key, key) == 0)
			pj_free(obj->kid[i]);
		else
			obj->kid[j++] = obj->kid[i];
	}
	obj->n = j;
}

/* Sets obj[key] = val, in place of an existing member or at the end.
 * Takes val (freed on failure); returns it, or NULL. */
struct pj *
pj_set(struct pj *obj, const char *key, struct pj *val)
{
	size_t i;

	if (val == NULL)
		return NULL;
	free(val->key);
	if ((val->key = strdup(key)) == NULL) {
		pj_free(val);
		return NULL;
	}
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->kid[i]->key, key) == 0) {
			pj_free(obj->kid[i]);
			obj->kid[i] = val;
			/* Drop later duplicates so the one set is the one read. */
			for (i++; i < obj->n; i++)
				if (strcmp(obj->kid[i]->key, key) == 0) {
					pj_free(obj->kid[i]);
					memmove(obj->kid + i, obj->kid + i + 1,
					    (obj->n - i - 1) * sizeof(*obj->kid));
					obj->n--;
					i--;
				}
			return val;
		}
	if (addkid(obj, val) < 0) {
		pj_free(val);
		return NULL;
	}
	return val;
}

struct pj *
pj_push(struct pj *arr, struct pj *val)
{
	if (val == NULL)
		return NULL;
	if (addkid(arr, val) < 0) {
		pj_free(val);
		return NULL;
	}
	return val;
}

/* obj[key] as an object or array, made (replacing anything else) if needed. */
struct pj *
pj_obj_at(struct pj *obj, const char *key)
{
	struct pj *v = pj_get_type(obj, key, PJ_OBJ);

	return v ? v : pj_set(obj, key, pj_new(PJ_OBJ, NULL));
}

struct pj *
pj_arr_at(struct pj *obj, const char *key)
{
	struct pj *v = pj_get_type(obj, key, PJ_ARR);

	return v ? v : pj_set(obj, key, pj_new(PJ_ARR, NULL));
}

int
pj_is_str_array(const struct pj *v)
{
	size_t i;

	if (v == NULL || v->type != PJ_ARR)
		return 0;
	for (i = 0; i < v->n; i++)
		if (v->kid[i]->type != PJ_STR)
			return 0;
	return 1;
}

/* Compact JSON, members in their order. */
int
pj_write(struct pk_buf *b, const struct pj *v)
{
	size_t i;

	switch (v->type) {
	case PJ_NULL:
		return pk_buf_puts(b, "null");
	case PJ_BOOL:
	case PJ_NUM:
		return pk_buf_puts(b, v->str);
	case PJ_STR:
		return pk_buf_json_str(b, v->str);
	case PJ_ARR:
	case PJ_OBJ:
		if (pk_buf_add(b, v->type == PJ_OBJ ? "{" : "[", 1) < 0)
			return -1;
		for (i = 0; i < v->n; i++) {
			if (i > 0 && pk_buf_add(b, ",", 1) < 0)
				return -1;
			if (v->type == PJ_OBJ &&
			    (pk_buf_json_str(b, v->kid[i]->key) < 0 || pk_buf_add(b, ":", 1) < 0))
				return -1;
			if (pj_write(b, v->kid[i]) < 0)
				return -1;
		}
		return pk_buf_add(b, v->type == PJ_OBJ ? "}" : "]", 1);
	}
	return -1;
}
