/* SPDX-License-Identifier: ISC */
/* json.c: a strict JSON (RFC 8259) reader building a small tree. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAXDEPTH 64

struct parser {
	const char *start, *p, *end;
	char *err;
	size_t errlen;
	int failed;
};

static void
fail(struct parser *ps, const char *why)
{
	if (!ps->failed && ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "%s at byte %zu", why,
		    (size_t)(ps->p - ps->start));
	ps->failed = 1;
}

static void
skipws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Valid UTF-8 sequence at s (no overlongs, no surrogates); its length. */
static int
utf8len(const unsigned char *s, const unsigned char *end)
{
	unsigned c = s[0], cp;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return -1;
	if (end - s < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return -1;
	return n;
}

static size_t
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string starting at the opening quote; returns a malloc'd copy. */
static char *
parse_string(struct parser *ps)
{
	const char *s = ps->p + 1, *q;
	char *out, *o;

	/* The decoded string is never longer than the encoded one. */
	for (q = s; q < ps->end && *q != '"'; q++)
		if (*q == '\\')
			q++;
	if (q >= ps->end) {
		fail(ps, "unterminated string");
		return NULL;
	}
	if ((out = malloc((size_t)(q - s) + 1)) == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	o = out;
	while (s < q) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20) {
			ps->p = s;
			fail(ps, "control character in string");
			goto bad;
		}
		if (c != '\\') {
			int n = utf8len((const unsigned char *)s, (const unsigned char *)q);

			if (n < 0) {
				ps->p = s;
				fail(ps, "invalid UTF-8 in string");
				goto bad;
			}
			memcpy(o, s, (size_t)n);
			o += n;
			s += n;
			continue;
		}
		s++;
		switch (*s) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (q - s < 5 || hex4(s + 1, &cp) < 0) {
				ps->p = s;
				fail(ps, "bad \\u escape");
				goto bad;
			}
			s += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (q - s < 7 || s[1] != '\\' || s[2] != 'u' ||
				    hex4(s + 3, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
					ps->p = s;
					fail(ps, "unpaired surrogate");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			} else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
				ps->p = s;
				fail(ps, cp == 0 ? "\\u0000 in string" : "unpaired surrogate");
				goto bad;
			}
			o += put_utf8(o, cp);
			break;
		}
		default:
			ps->p = s;
			fail(ps, "bad escape");
			goto bad;
		}
		s++;
	}
	*o = '\0';
	ps->p = q + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static int
parse_number(struct parser *ps)
{
	const char *s = ps->p;

	if (s < ps->end && *s == '-')
		s++;
	if (s >= ps->end)
		return -1;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	else
		return -1;
	if (s < ps->end && *s == '.') {
		s++;
		if (s >= ps->end || *s < '0' || *s > '9')
			return -1;
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < ps->end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < ps->end && (*s == '+' || *s == '-'))
			s++;
		if (s >= ps->end || *s < '0' || *s > '9')
			return -1;
		while (s < ps->end && *s >= '0' && *s <= '9')
			s++;
	}
	return (int)(s - ps->p);
}

static int
keycmp(const void *a, const void *b)
{
	return strcmp((*(struct json *const *)a)->key, (*(struct json *const *)b)->key);
}

/* Duplicate keys are refused: readers that disagree on which one wins are
 * how manifests get a different meaning for different tools. */
static int
has_dup_keys(struct json *obj)
{
	struct json **v, *m;
	size_t i = 0;
	int dup = 0;

	if (obj->n < 2)
		return 0;
	if ((v = malloc(obj->n * sizeof(*v))) == NULL)
		return 1;
	for (m = obj->child; m != NULL; m = m->next)
		v[i++] = m;
	qsort(v, obj->n, sizeof(*v), keycmp);
	for (i = 1; i < obj->n && !dup; i++)
		dup = strcmp(v[i - 1]->key, v[i]->key) == 0;
	free(v);
	return dup;
}

static struct json *
parse_value(struct parser *ps, int depth)
{
	struct json *j, **tail;
	int n;

	skipws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		fail(ps, "out of memory");
		return NULL;
	}
	switch (*ps->p) {
	case '"':
		j->type = JSON_STRING;
		if ((j->str = parse_string(ps)) == NULL)
			goto bad;
		return j;
	case 't': case 'f': case 'n': {
		static const struct { const char *w; enum json_type t; } lit[] = {
			{ "true", JSON_TRUE }, { "false", JSON_FALSE }, { "null", JSON_NULL },
		};
		size_t i;

		for (i = 0; i < 3; i++) {
			size_t l = strlen(lit[i].w);

			if ((size_t)(ps->end - ps->p) >= l && memcmp(ps->p, lit[i].w, l) == 0) {
				j->type = lit[i].t;
				ps->p += l;
				return j;
			}
		}
		fail(ps, "unexpected word");
		goto bad;
	}
	case '[':
	case '{': {
		int obj = *ps->p == '{';

		if (depth >= MAXDEPTH) {
			fail(ps, "nested too deeply");
			goto bad;
		}
		j->type = obj ? JSON_OBJECT : JSON_ARRAY;
		ps->p++;
		tail = &j->child;
		skipws(ps);
		if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
			ps->p++;
			return j;
		}
		for (;;) {
			char *key = NULL;
			struct json *m;

			if (obj) {
				skipws(ps);
				if (ps->p >= ps->end || *ps->p != '"') {
					fail(ps, "expected a member name");
					goto bad;
				}
				if ((key = parse_string(ps)) == NULL)
					goto bad;
				skipws(ps);
				if (ps->p >= ps->end || *ps->p != ':') {
					free(key);
					fail(ps, "expected ':'");
					goto bad;
				}
				ps->p++;
			}
			if ((m = parse_value(ps, depth + 1)) == NULL) {
				free(key);
				goto bad;
			}
			m->key = key;
			*tail = m;
			tail = &m->next;
			j->n++;
			skipws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				ps->p++;
				continue;
			}
			if (ps->p < ps->end && *ps->p == (obj ? '}' : ']')) {
				ps->p++;
				break;
			}
			fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			goto bad;
		}
		if (obj && has_dup_keys(j)) {
			fail(ps, "duplicate member name");
			goto bad;
		}
		return j;
	}
	default:
		if ((n = parse_number(ps)) <= 0) {
			fail(ps, "unexpected character");
			goto bad;
		}
		j->type = JSON_NUMBER;
		if ((j->str = strndup(ps->p, (size_t)n)) == NULL) {
			fail(ps, "out of memory");
			goto bad;
		}
		ps->p += n;
		return j;
	}
bad:
	json_free(j);
	return NULL;
}

struct json *
json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser ps = { buf, buf, buf + len, err, errlen, 0 };
	struct json *j;

	if (errlen > 0)
		err[0] = '\0';
	j = parse_value(&ps, 0);
	if (j != NULL) {
		skipws(&ps);
		if (ps.p != ps.end) {
			json_free(j);
			j = NULL;
			fail(&ps, "trailing data");
		}
	}
	return j;
}

void
json_free(struct json *j)
{
	while (j != NULL) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->key);
		free(j->str);
		free(j);
		j = next;
	}
}

struct json *
json_get(const struct json *j, const char *key)
{
	struct json *m;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (m = j->child; m != NULL; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *
json_getstr(const struct json *j, const char *key)
{
	struct json *m = json_get(j, key);

	return m != NULL && m->type == JSON_STRING ? m->str : NULL;
}

int
json_getu64(const struct json *j, const char *key, unsigned long long *out)
{
	struct json *m = json_get(j, key);
	unsigned long long v = 0;
	const char *s;

	if (m == NULL || m->type != JSON_NUMBER)
		return -1;
	for (s = m->str; *s; s++) {
		if (*s < '0' || *s > '9' || v > (~0ULL - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

void
json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
json_write(FILE *f, const struct json *j)
{
	const struct json *m;

	switch (j->type) {
	case JSON_NULL: fputs("null", f); break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_NUMBER: fputs(j->str, f); break;
	case JSON_STRING: json_write_str(f, j->str); break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		fputc(j->type == JSON_ARRAY ? '[' : '{', f);
		for (m = j->child; m != NULL; m = m->next) {
			if (m != j->child)
				fputc(',', f);
			if (j->type == JSON_OBJECT) {
				json_write_str(f, m->key);
				fputc(':', f);
			}
			json_write(f, m);
		}
		fputc(j->type == JSON_ARRAY ? ']' : '}', f);
		break;
	}
}
