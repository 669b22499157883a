/* SPDX-License-Identifier: ISC */
/* dockerfile.c: a Dockerfile (untrusted text) as a plan of shell-quoted
 * lines: continuations joined, comments and directives read, ARG/ENV
 * substituted where Docker substitutes, exec forms decoded. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pack.h"
#include "util.h"

#define MAXVARS 4096
#define MAXDEPTH 16

struct var {
	char *name, *value;	/* value NULL: declared, unset */
};

struct vars {
	struct var *v;
	size_t n;
};

struct stage {
	char *name;
	struct vars env;
};

struct words {
	char **w;
	size_t n;
};

struct df {
	const struct df_opts *o;
	char esc;
	unsigned line;
	struct vars meta;	/* ARGs before the first FROM */
	struct vars args;	/* ARGs of the current stage */
	struct vars *env;	/* ENV of the current stage */
	struct stage *st;
	size_t nst;
	char *shell;		/* the SHELL as a JSON array */
	int in_stage, target_done, target_found;
	struct pk_buf *plan;
	char *err;
	size_t errlen;
};

static int
dferr(struct df *d, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (d->errlen > 0 && d->err[0] == '\0') {
		k = snprintf(d->err, d->errlen, "%u: ", d->line);
		if (k > 0 && (size_t)k < d->errlen) {
			va_start(ap, fmt);
			vsnprintf(d->err + k, d->errlen - (size_t)k, fmt, ap);
			va_end(ap);
		}
	}
	errno = EINVAL;
	return -1;
}

static int
nomem(struct df *d)
{
	return dferr(d, "out of memory");
}

/* --- variables ---------------------------------------------------------- */

static void
vars_free(struct vars *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}

static struct var *
vars_find(const struct vars *vs, const char *name)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	return NULL;
}

static int
vars_set(struct df *d, struct vars *vs, const char *name, const char *value)
{
	struct var *v = vars_find(vs, name), *p;
	char *val = NULL;

	if (value != NULL && (val = strdup(value)) == NULL)
		return nomem(d);
	if (v != NULL) {
		free(v->value);
		v->value = val;
		return 0;
	}
	if (vs->n >= MAXVARS) {
		free(val);
		return dferr(d, "too many variables");
	}
	if ((p = realloc(vs->v, (vs->n + 1) * sizeof(*p))) == NULL) {
		free(val);
		return nomem(d);
	}
	vs->v = p;
	if ((p[vs->n].name = strdup(name)) == NULL) {
		free(val);
		return nomem(d);
	}
	p[vs->n++].value = val;
	return 0;
}

static int
vars_copy(struct df *d, struct vars *to, const struct vars *from)
{
	size_t i;

	for (i = 0; i < from->n; i++)
		if (vars_set(d, to, from->v[i].name, from->v[i].value) < 0)
			return -1;
	return 0;
}

/* ENV wins over ARG (Docker's rule); before FROM only meta ARGs exist. */
static const char *
lookup(const struct df *d, const char *name)
{
	struct var *v;

	if (!d->in_stage) {
		v = vars_find(&d->meta, name);
		return v ? v->value : NULL;
	}
	if ((v = vars_find(d->env, name)) != NULL && v->value != NULL)
		return v->value;
	v = vars_find(&d->args, name);
	return v ? v->value : NULL;
}

static const char *
build_arg(const struct df *d, const char *name)
{
	size_t i, l = strlen(name);

	for (i = d->o->nargs; i-- > 0;)
		if (strncmp(d->o->args[i], name, l) == 0 && d->o->args[i][l] == '=')
			return d->o->args[i] + l + 1;
	return NULL;
}

/* --- words -------------------------------------------------------------- */

static void
words_free(struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		free(w->w[i]);
	free(w->w);
	w->w = NULL;
	w->n = 0;
}

static int
words_add(struct df *d, struct words *w, const char *s)
{
	char **p;

	if (w->n >= 100000)
		return dferr(d, "too many words");
	if ((p = realloc(w->w, (w->n + 1) * sizeof(*p))) == NULL)
		return nomem(d);
	w->w = p;
	if ((p[w->n] = strdup(s)) == NULL)
		return nomem(d);
	w->n++;
	return 0;
}

/*
 * The shell-like lexer Docker applies to instruction arguments: quotes,
 * the escape character, and (when subst) $VAR, ${VAR}, ${VAR:-x},
 * ${VAR:+x}, ${VAR-x}, ${VAR+x}, ${VAR:?x}, ${VAR?x}. With split, unquoted
 * blanks of the text (never those of an expanded value) separate words;
 * else the result is one word. term '}' stops at an unquoted, unescaped '}'.
 */
struct lx {
	struct df *d;
	int subst, split, depth;
	struct words *out;
	struct pk_buf cur;
	int inword;
};

static int lex(struct lx *L, const char **pp, const char *end, int term);

static int
lx_char(struct lx *L, char c, int quoted)
{
	if (L->split && !quoted && (c == ' ' || c == '\t' || c == '\n')) {
		if (L->inword) {
			if (words_add(L->d, L->out, L->cur.s ? L->cur.s : "") < 0)
				return -1;
			L->cur.len = 0;
			if (L->cur.s)
				L->cur.s[0] = '\0';
			L->inword = 0;
		}
		return 0;
	}
	L->inword = 1;
	return pk_buf_add(&L->cur, &c, 1) < 0 ? nomem(L->d) : 0;
}

static int
isname(int c)
{
	return isalnum(c) || c == '_';
}

static int
dollar(struct lx *L, const char **pp, const char *end, int quoted)
{
	const char *p = *pp + 1, *val, *nstart;
	char name[256], op[3] = { 0 };
	struct pk_buf word = { 0 };
	size_t nl;
	int rc = -1;

	if (p < end && *p == '{') {
		p++;
		nstart = p;
		while (p < end && isname((unsigned char)*p))
			p++;
		nl = (size_t)(p - nstart);
		if (nl == 0 || nl >= sizeof(name))
			return dferr(L->d, "bad substitution");
		memcpy(name, nstart, nl);
		name[nl] = '\0';
		if (p < end && *p == '}') {
			*pp = p + 1;
			val = lookup(L->d, name);
			goto emit;
		}
		if (p < end && *p == ':' && p + 1 < end && strchr("-+?", p[1])) {
			op[0] = ':';
			op[1] = p[1];
			p += 2;
		} else if (p < end && strchr("-+?", *p)) {
			op[0] = *p++;
		} else {
			return dferr(L->d, "unsupported substitution in ${%s...}", name);
		}
		{
			struct lx sub = { L->d, L->subst, 0, L->depth + 1, NULL, { 0 }, 0 };
			struct words w = { 0 };

			if (sub.depth > MAXDEPTH)
				return dferr(L->d, "substitutions nested too deep");
			sub.out = &w;
			if (lex(&sub, &p, end, '}') < 0) {
				pk_buf_free(&sub.cur);
				return -1;
			}
			if (p >= end || *p != '}') {
				pk_buf_free(&sub.cur);
				return dferr(L->d, "missing '}' in ${%s", name);
			}
			word = sub.cur;
			*pp = p + 1;
		}
		val = lookup(L->d, name);
		{
			const char *w = word.s ? word.s : "";
			int set = val != NULL, nonempty = val != NULL && *val != '\0';
			int cond = op[0] == ':' ? nonempty : set;
			char o = op[0] == ':' ? op[1] : op[0];

			if (o == '-')
				val = cond ? val : w;
			else if (o == '+')
				val = cond ? w : "";
			else if (!cond) {
				dferr(L->d, "%s: %s", name, *w ? w : "is not set");
				goto out;
			}
		}
	} else {
		nstart = p;
		while (p < end && isname((unsigned char)*p))
			p++;
		nl = (size_t)(p - nstart);
		if (nl == 0) {
			*pp = p;
			return lx_char(L, '$', 1);
		}
		if (nl >= sizeof(name))
			return dferr(L->d, "variable name too long");
		memcpy(name, nstart, nl);
		name[nl] = '\0';
		*pp = p;
		val = lookup(L->d, name);
	}
emit:
	/* Docker expands each word on its own (ProcessWord): a value with
	 * blanks stays one word. An empty unquoted expansion makes no word. */
	if (quoted)
		L->inword = 1;
	for (; val != NULL && *val; val++)
		if (lx_char(L, *val, 1) < 0)
			goto out;
	rc = 0;
out:
	pk_buf_free(&word);
	return rc;
}

static int
lex(struct lx *L, const char **pp, const char *end, int term)
{
	const char *p = *pp;
	char esc = L->d->esc;

	while (p < end) {
		char c = *p;

		if (term && c == term)
			break;
		if (c == esc) {
			p++;
			if (p >= end) {
				if (lx_char(L, esc, 1) < 0)
					return -1;
				break;
			}
			if (lx_char(L, *p++, 1) < 0)
				return -1;
		} else if (c == '\'') {
			L->inword = 1;
			for (p++; p < end && *p != '\''; p++)
				if (lx_char(L, *p, 1) < 0)
					return -1;
			if (p >= end)
				return dferr(L->d, "unterminated single quote");
			p++;
		} else if (c == '"') {
			L->inword = 1;
			for (p++; p < end && *p != '"';) {
				if (*p == esc && p + 1 < end && (p[1] == '"' || p[1] == '$' || p[1] == esc)) {
					if (lx_char(L, p[1], 1) < 0)
						return -1;
					p += 2;
				} else if (*p == '$' && L->subst) {
					if (dollar(L, &p, end, 1) < 0)
						return -1;
				} else if (lx_char(L, *p++, 1) < 0) {
					return -1;
				}
			}
			if (p >= end)
				return dferr(L->d, "unterminated double quote");
			p++;
		} else if (c == '$' && L->subst) {
			if (dollar(L, &p, end, 0) < 0)
				return -1;
		} else {
			if (lx_char(L, c, 0) < 0)
				return -1;
			p++;
		}
	}
	*pp = p;
	return 0;
}

/* Words of s (split) or s as one word, processed as Docker does. */
static int
lex_words(struct df *d, const char *s, int subst, int split, struct words *out)
{
	struct lx L = { d, subst, split, 0, out, { 0 }, 0 };
	const char *p = s;
	int rc;

	rc = lex(&L, &p, s + strlen(s), 0);
	if (rc == 0 && (L.inword || !split))
		rc = words_add(d, out, L.cur.s ? L.cur.s : "");
	pk_buf_free(&L.cur);
	return rc;
}

/* --- output ------------------------------------------------------------- */

static int
put_word(struct df *d, const char *w)
{
	const unsigned char *p;

	for (p = (const unsigned char *)w; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return dferr(d, "control character in an argument");
	if (pk_buf_add(d->plan, " '", 2) < 0)
		return nomem(d);
	for (; *w; w++)
		if (*w == '\'' ? pk_buf_puts(d->plan, "'\\''") < 0 : pk_buf_add(d->plan, w, 1) < 0)
			return nomem(d);
	return pk_buf_add(d->plan, "'", 1) < 0 ? nomem(d) : 0;
}

/* One plan line: LINE INSTR [FLAG...] -- [ARG...]. */
static int
put_line(struct df *d, const char *instr, const struct words *flags,
    const struct words *args)
{
	size_t i;

	if (d->target_done)
		return 0;
	if (pk_buf_printf(d->plan, "%u %s", d->line, instr) < 0)
		return nomem(d);
	for (i = 0; flags && i < flags->n; i++)
		if (put_word(d, flags->w[i]) < 0)
			return -1;
	if (pk_buf_puts(d->plan, " --") < 0)
		return nomem(d);
	for (i = 0; args && i < args->n; i++)
		if (put_word(d, args->w[i]) < 0)
			return -1;
	return pk_buf_add(d->plan, "\n", 1) < 0 ? nomem(d) : 0;
}

/* --- instructions ------------------------------------------------------- */

/* A JSON array of strings, or 0 when s is not one (then it's shell form). */
static int
json_words(struct df *d, const char *s, struct words *out, int *is_json)
{
	struct pj *v;
	size_t i;

	*is_json = 0;
	if (*s != '[')
		return 0;
	v = pj_parse(s, strlen(s), NULL, 0);
	if (!pj_is_str_array(v)) {
		pj_free(v);
		return 0;
	}
	*is_json = 1;
	for (i = 0; i < v->n; i++)
		if (words_add(d, out, v->kid[i]->str) < 0) {
			pj_free(v);
			return -1;
		}
	pj_free(v);
	return 0;
}

static int
to_json(struct df *d, const struct words *w, char **out)
{
	struct pk_buf b = { 0 };
	size_t i;

	if (pk_buf_add(&b, "[", 1) < 0)
		goto bad;
	for (i = 0; i < w->n; i++)
		if ((i && pk_buf_add(&b, ",", 1) < 0) || pk_buf_json_str(&b, w->w[i]) < 0)
			goto bad;
	if (pk_buf_add(&b, "]", 1) < 0)
		goto bad;
	*out = b.s;
	return 0;
bad:
	pk_buf_free(&b);
	return nomem(d);
}

/* Leading --name[=value] flags; the ones allowed are listed in ok. */
static int
get_flags(struct df *d, char **rest, const char *const *ok, struct words *flags,
    const char *instr)
{
	char *p = *rest;
	size_t i;

	while (p[0] == '-' && p[1] == '-') {
		char *e = p;
		struct words w = { 0 };
		size_t nl;

		while (*e && *e != ' ' && *e != '\t')
			e++;
		nl = strcspn(p + 2, "= \t");
		for (i = 0; ok[i]; i++)
			if (strlen(ok[i]) == nl && strncmp(p + 2, ok[i], nl) == 0)
				break;
		if (ok[i] == NULL)
			return dferr(d, "%s: unknown flag %.*s", instr, (int)(nl + 2), p);
		{
			char save = *e;

			/* Flag values are substituted like the arguments. */
			*e = '\0';
			if (lex_words(d, p, 1, 0, &w) < 0) {
				*e = save;
				words_free(&w);
				return -1;
			}
			*e = save;
		}
		if (words_add(d, flags, w.w[0]) < 0) {
			words_free(&w);
			return -1;
		}
		words_free(&w);
		while (*e == ' ' || *e == '\t')
			e++;
		p = e;
	}
	*rest = p;
	return 0;
}

static int
valid_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (s++; *s; s++)
		if (!isname((unsigned char)*s))
			return 0;
	return 1;
}

/* ENV and LABEL: KEY=VALUE pairs, or the old "KEY VALUE" form. */
static int
name_values(struct df *d, const char *instr, const char *rest, struct words *out)
{
	struct words w = { 0 };
	size_t i, k;
	int rc = -1;

	k = strcspn(rest, " \t=");
	if (rest[k] != '=') {
		/* Old form: the name, then everything else is the value. */
		struct pk_buf kv = { 0 };
		const char *v = rest + k;

		while (*v == ' ' || *v == '\t')
			v++;
		if (k == 0 || *v == '\0')
			return dferr(d, "%s needs a value", instr);
		if (pk_buf_add(&kv, rest, k) < 0 || pk_buf_add(&kv, "=", 1) < 0 ||
		    pk_buf_puts(&kv, v) < 0) {
			pk_buf_free(&kv);
			return nomem(d);
		}
		/* The name is taken literally; only the value is processed. */
		if (lex_words(d, kv.s + k + 1, 1, 0, &w) == 0) {
			kv.len = k + 1;
			kv.s[kv.len] = '\0';
			rc = pk_buf_puts(&kv, w.w[0]) < 0 ? nomem(d) : words_add(d, out, kv.s);
		}
		pk_buf_free(&kv);
		words_free(&w);
		return rc;
	}
	if (lex_words(d, rest, 1, 1, &w) < 0)
		goto out;
	for (i = 0; i < w.n; i++) {
		char *eq = strchr(w.w[i], '=');

		if (eq == NULL || eq == w.w[i]) {
			dferr(d, "%s: %s: expected KEY=VALUE", instr, w.w[i]);
			goto out;
		}
		if (words_add(d, out, w.w[i]) < 0)
			goto out;
	}
	rc = 0;
out:
	words_free(&w);
	return rc;
}

static const char *const from_flags[] = { "platform", NULL };
static const char *const run_flags[] = { "mount", "network", "security", NULL };
static const char *const copy_flags[] = { "from", "chown", "chmod", "link", "parents", "exclude", NULL };
static const char *const add_flags[] = { "chown", "chmod", "link", "checksum", "keep-git-dir", "exclude", NULL };

static int
do_from(struct df *d, char *rest)
{
	struct words flags = { 0 }, w = { 0 }, out = { 0 };
	struct stage *s;
	size_t i;
	int rc = -1;

	if (d->in_stage && d->o->target && d->nst > 0 &&
	    strcasecmp(d->st[d->nst - 1].name, d->o->target) == 0)
		d->target_done = 1;
	d->in_stage = 0;	/* FROM sees only the meta ARGs */
	if (get_flags(d, &rest, from_flags, &flags, "FROM") < 0 ||
	    lex_words(d, rest, 1, 1, &w) < 0)
		goto out;
	if (!(w.n == 1 || (w.n == 3 && strcasecmp(w.w[1], "AS") == 0)) || *w.w[0] == '\0') {
		dferr(d, "FROM: expected IMAGE [AS NAME]");
		goto out;
	}
	if ((s = realloc(d->st, (d->nst + 1) * sizeof(*s))) == NULL) {
		nomem(d);
		goto out;
	}
	d->st = s;
	s = &d->st[d->nst];
	memset(s, 0, sizeof(*s));
	if (asprintf(&s->name, "%s", w.n == 3 ? w.w[2] : "") < 0) {
		s->name = NULL;
		nomem(d);
		goto out;
	}
	d->nst++;
	for (i = 0; s->name[i]; i++) {
		s->name[i] = (char)tolower((unsigned char)s->name[i]);
		if (!isalnum((unsigned char)s->name[i]) && !strchr("_.-", s->name[i])) {
			dferr(d, "FROM: bad stage name %s", w.w[2]);
			goto out;
		}
	}
	for (i = 0; i + 1 < d->nst; i++)
		if (*s->name && strcmp(d->st[i].name, s->name) == 0) {
			dferr(d, "FROM: stage name %s used twice", s->name);
			goto out;
		}
	/* A stage built on an earlier stage starts with its ENV; one built on
	 * an image, with the image's ENV when the caller knows it. */
	for (i = 0; i + 1 < d->nst; i++)
		if (*d->st[i].name && strcasecmp(d->st[i].name, w.w[0]) == 0)
			break;
	if (i + 1 < d->nst) {
		if (vars_copy(d, &s->env, &d->st[i].env) < 0)
			goto out;
	} else {
		size_t il = strlen(w.w[0]);

		for (i = 0; i < d->o->nimage_env; i++) {
			const char *e = d->o->image_env[i], *eq;
			char *k;

			if (strncmp(e, w.w[0], il) != 0 || e[il] != '=' ||
			    (eq = strchr(e + il + 1, '=')) == NULL)
				continue;
			if ((k = strndup(e + il + 1, (size_t)(eq - e - il - 1))) == NULL) {
				nomem(d);
				goto out;
			}
			rc = vars_set(d, &s->env, k, eq + 1);
			free(k);
			if (rc < 0)
				goto out;
			rc = -1;
		}
	}
	if (d->o->target && *s->name && strcmp(s->name, d->o->target) == 0)
		d->target_found = 1;
	d->env = &s->env;
	vars_free(&d->args);
	d->in_stage = 1;
	if (words_add(d, &out, w.w[0]) < 0 || (*s->name && words_add(d, &out, s->name) < 0))
		goto out;
	free(d->shell);
	if ((d->shell = strdup("[\"/bin/sh\",\"-c\"]")) == NULL) {
		nomem(d);
		goto out;
	}
	rc = put_line(d, "FROM", &flags, &out);
out:
	words_free(&flags);
	words_free(&w);
	words_free(&out);
	return rc;
}

static int
do_arg(struct df *d, const char *rest)
{
	struct words w = { 0 }, out = { 0 };
	size_t i;
	int rc = -1;

	if (lex_words(d, rest, 0, 1, &w) < 0)
		goto out;
	if (w.n == 0) {
		dferr(d, "ARG needs a name");
		goto out;
	}
	for (i = 0; i < w.n; i++) {
		char *eq = strchr(w.w[i], '='), *name;
		const char *val = NULL;
		struct words dv = { 0 };

		if (eq)
			*eq = '\0';
		name = w.w[i];
		if (!valid_name(name)) {
			dferr(d, "ARG: bad name %s", name);
			goto out;
		}
		if (eq) {
			/* The default is substituted with what is known so far. */
			if (lex_words(d, eq + 1, 1, 0, &dv) < 0)
				goto out;
			val = dv.w[0];
		}
		if (build_arg(d, name))
			val = build_arg(d, name);
		else if (!eq && d->in_stage && vars_find(&d->meta, name))
			val = vars_find(&d->meta, name)->value;
		rc = vars_set(d, d->in_stage ? &d->args : &d->meta, name, val);
		if (rc == 0 && d->in_stage) {
			out.n = 0;
			rc = words_add(d, &out, name);
			if (rc == 0 && val)
				rc = words_add(d, &out, val);
			if (rc == 0)
				rc = put_line(d, "ARG", NULL, &out);
			words_free(&out);
		}
		words_free(&dv);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	words_free(&w);
	words_free(&out);
	return rc;
}

static int
do_env(struct df *d, const char *instr, const char *rest)
{
	struct words w = { 0 };
	size_t i;
	int rc = -1;

	if (name_values(d, instr, rest, &w) < 0)
		goto out;
	if (strcmp(instr, "ENV") == 0)
		for (i = 0; i < w.n; i++) {
			char *eq = strchr(w.w[i], '=');

			*eq = '\0';
			rc = vars_set(d, d->env, w.w[i], eq + 1);
			*eq = '=';
			if (rc < 0)
				goto out;
		}
	rc = put_line(d, instr, NULL, &w);
out:
	words_free(&w);
	return rc;
}

/* RUN, CMD, ENTRYPOINT: exec form as is, shell form through SHELL. */
static int
do_exec(struct df *d, const char *instr, char *rest)
{
	struct words flags = { 0 }, w = { 0 };
	char *json = NULL;
	int is_json, rc = -1;

	if (strcmp(instr, "RUN") == 0 && get_flags(d, &rest, run_flags, &flags, instr) < 0)
		goto out;
	if (json_words(d, rest, &w, &is_json) < 0)
		goto out;
	if (!is_json) {
		if (*rest == '\0') {
			dferr(d, "%s needs a command", instr);
			goto out;
		}
		if (strncmp(rest, "<<", 2) == 0) {
			dferr(d, "%s: here-documents are not supported", instr);
			goto out;
		}
		if (json_words(d, d->shell, &w, &is_json) < 0 || words_add(d, &w, rest) < 0)
			goto out;
	} else if (strcmp(instr, "RUN") == 0 && w.n == 0) {
		dferr(d, "RUN needs a command");
		goto out;
	}
	if (strcmp(instr, "RUN") == 0) {
		rc = put_line(d, instr, &flags, &w);
	} else {
		struct words one = { &json, 1 };

		if (to_json(d, &w, &json) < 0)
			goto out;
		rc = put_line(d, instr, NULL, &one);
	}
out:
	free(json);
	words_free(&flags);
	words_free(&w);
	return rc;
}

static int
do_copy(struct df *d, const char *instr, char *rest)
{
	struct words flags = { 0 }, w = { 0 }, raw = { 0 };
	size_t i;
	int is_json, rc = -1;

	if (get_flags(d, &rest, strcmp(instr, "COPY") == 0 ? copy_flags : add_flags,
	    &flags, instr) < 0)
		goto out;
	if (strncmp(rest, "<<", 2) == 0) {
		dferr(d, "%s: here-documents are not supported", instr);
		goto out;
	}
	if (json_words(d, rest, &raw, &is_json) < 0)
		goto out;
	if (is_json) {
		for (i = 0; i < raw.n; i++)
			if (lex_words(d, raw.w[i], 1, 0, &w) < 0)
				goto out;
	} else if (lex_words(d, rest, 1, 1, &w) < 0) {
		goto out;
	}
	if (w.n < 2) {
		dferr(d, "%s needs a source and a destination", instr);
		goto out;
	}
	rc = put_line(d, instr, &flags, &w);
out:
	words_free(&flags);
	words_free(&w);
	words_free(&raw);
	return rc;
}

/* WORKDIR, USER, STOPSIGNAL: the whole rest is one word. EXPOSE, VOLUME:
 * words (VOLUME also as JSON). */
static int
do_words(struct df *d, const char *instr, const char *rest, int split, int json)
{
	struct words w = { 0 }, raw = { 0 };
	size_t i;
	int is_json = 0, rc = -1;

	if (json && json_words(d, rest, &raw, &is_json) < 0)
		goto out;
	if (is_json) {
		for (i = 0; i < raw.n; i++)
			if (lex_words(d, raw.w[i], 1, 0, &w) < 0)
				goto out;
	} else if (*rest && lex_words(d, rest, 1, split, &w) < 0) {
		goto out;
	}
	if (w.n == 0 || (!split && *w.w[0] == '\0')) {
		dferr(d, "%s needs an argument", instr);
		goto out;
	}
	rc = put_line(d, instr, NULL, &w);
out:
	words_free(&w);
	words_free(&raw);
	return rc;
}

static int
do_shell(struct df *d, const char *rest)
{
	struct words w = { 0 };
	char *json = NULL;
	int is_json, rc = -1;

	if (json_words(d, rest, &w, &is_json) < 0)
		goto out;
	if (!is_json || w.n == 0) {
		dferr(d, "SHELL needs a JSON array of strings");
		goto out;
	}
	if (to_json(d, &w, &json) < 0)
		goto out;
	free(d->shell);
	d->shell = json;
	json = NULL;
	{
		struct words one = { &d->shell, 1 };

		rc = put_line(d, "SHELL", NULL, &one);
	}
out:
	free(json);
	words_free(&w);
	return rc;
}

static int
do_raw(struct df *d, const char *instr, const char *rest)
{
	struct words one = { (char **)&rest, 1 };

	if (*rest == '\0')
		return dferr(d, "%s needs an argument", instr);
	return put_line(d, instr, NULL, &one);
}

static const char *const known[] = {
	"RUN", "CMD", "ENTRYPOINT", "ENV", "LABEL", "COPY", "ADD", "WORKDIR",
	"USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "SHELL", "MAINTAINER",
	"HEALTHCHECK", NULL,
};

static int
instruction(struct df *d, char *s)
{
	char instr[16], *rest;
	size_t n = strcspn(s, " \t"), i;

	if (n >= sizeof(instr))
		return dferr(d, "unknown instruction: %.20s", s);
	for (i = 0; i < n; i++)
		instr[i] = (char)toupper((unsigned char)s[i]);
	instr[n] = '\0';
	rest = s + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	n = strlen(rest);
	while (n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
		rest[--n] = '\0';
	if (strcmp(instr, "FROM") == 0)
		return do_from(d, rest);
	if (strcmp(instr, "ARG") == 0)
		return do_arg(d, rest);
	if (strcmp(instr, "ONBUILD") == 0)
		return dferr(d, "ONBUILD is not supported");
	for (i = 0; known[i]; i++)
		if (strcmp(instr, known[i]) == 0)
			break;
	if (known[i] == NULL)
		return dferr(d, "unknown instruction: %s", instr);
	if (!d->in_stage)
		return dferr(d, "%s before the first FROM", instr);
	if (strcmp(instr, "RUN") == 0 || strcmp(instr, "CMD") == 0 ||
	    strcmp(instr, "ENTRYPOINT") == 0)
		return do_exec(d, instr, rest);
	if (strcmp(instr, "ENV") == 0 || strcmp(instr, "LABEL") == 0)
		return do_env(d, instr, rest);
	if (strcmp(instr, "COPY") == 0 || strcmp(instr, "ADD") == 0)
		return do_copy(d, instr, rest);
	if (strcmp(instr, "WORKDIR") == 0 || strcmp(instr, "USER") == 0 ||
	    strcmp(instr, "STOPSIGNAL") == 0)
		return do_words(d, instr, rest, 0, 0);
	if (strcmp(instr, "EXPOSE") == 0)
		return do_words(d, instr, rest, 1, 0);
	if (strcmp(instr, "VOLUME") == 0)
		return do_words(d, instr, rest, 1, 1);
	if (strcmp(instr, "SHELL") == 0)
		return do_shell(d, rest);
	return do_raw(d, instr, rest);
}

/* --- lines -------------------------------------------------------------- */

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

static const char *
skipws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* "# key=value" at the top of the file; returns 1 if it was one. */
static int
directive(struct df *d, const char *s, size_t n)
{
	const char *e = s + n, *k, *ke, *v;

	s = skipws(s, e);
	if (s >= e || *s != '#')
		return 0;
	k = skipws(s + 1, e);
	for (ke = k; ke < e && (isalnum((unsigned char)*ke) || *ke == '_'); ke++)
		;
	v = skipws(ke, e);
	if (ke == k || v >= e || *v != '=')
		return 0;
	v = skipws(v + 1, e);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if ((size_t)(ke - k) == 6 && strncasecmp(k, "escape", 6) == 0) {
		if (e - v != 1 || (*v != '\\' && *v != '`'))
			return dferr(d, "escape directive: expected \\ or `");
		d->esc = *v;
	}
	return 1;
}

int
df_parse(const char *text, size_t len, const struct df_opts *o,
    struct pk_buf *plan, char *err, size_t errlen)
{
	struct df d = { o, '\\', 0, { 0 }, { 0 }, NULL, NULL, 0, NULL, 0, 0, 0, plan, err, errlen };
	struct pk_buf cur = { 0 };
	const char *p = text, *end = text + len;
	unsigned start = 0;
	int directives = 1, rc = -1;
	size_t i;

	if (errlen > 0)
		err[0] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		d.line = (unsigned)(1 + (size_t)0);
		for (i = 0; text[i] != '\0'; i++)
			if (text[i] == '\n')
				d.line++;
		return dferr(&d, "NUL byte in the Dockerfile");
	}
	{
		static const char *const plat[][2] = {
			{ "TARGETOS", "linux" }, { "BUILDOS", "linux" },
#if defined(__aarch64__)
			{ "TARGETARCH", "arm64" }, { "BUILDARCH", "arm64" },
			{ "TARGETPLATFORM", "linux/arm64" }, { "BUILDPLATFORM", "linux/arm64" },
#else
			{ "TARGETARCH", "amd64" }, { "BUILDARCH", "amd64" },
			{ "TARGETPLATFORM", "linux/amd64" }, { "BUILDPLATFORM", "linux/amd64" },
#endif
			{ "TARGETVARIANT", "" }, { "BUILDVARIANT", "" },
		};

		for (i = 0; i < LEN(plat); i++)
			if (vars_set(&d, &d.meta, plat[i][0], plat[i][1]) < 0)
				goto out;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *t;
		size_t n;

		d.line++;
		if (le > p && le[-1] == '\r')
			le--;
		n = (size_t)(le - p);
		if (directives) {
			int r;

			if (d.line == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
				p += 3;
				n -= 3;
			}
			if ((r = directive(&d, p, n)) < 0)
				goto out;
			if (r) {
				p = nl ? nl + 1 : end;
				continue;
			}
			directives = 0;
		}
		t = skipws(p, le);
		if (t < le && *t == '#') {
			/* A comment, also inside a continued instruction. */
		} else if (blank(p, n)) {
			/* Empty lines end nothing, even inside a continuation. */
		} else {
			const char *ce = le;

			if (cur.len == 0)
				start = d.line;
			while (ce > p && (ce[-1] == ' ' || ce[-1] == '\t'))
				ce--;
			if (ce > p && ce[-1] == d.esc) {
				if (pk_buf_add(&cur, p, (size_t)(ce - 1 - p)) < 0) {
					nomem(&d);
					goto out;
				}
			} else {
				unsigned here = d.line;

				if (pk_buf_add(&cur, p, n) < 0) {
					nomem(&d);
					goto out;
				}
				d.line = start;
				if (instruction(&d, (char *)(uintptr_t)skipws(cur.s, cur.s + cur.len)) < 0)
					goto out;
				d.line = here;
				cur.len = 0;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (cur.len > 0) {
		d.line = start;
		if (!blank(cur.s, cur.len) &&
		    instruction(&d, (char *)(uintptr_t)skipws(cur.s, cur.s + cur.len)) < 0)
			goto out;
	}
	d.line = 0;
	if (d.nst == 0) {
		dferr(&d, "no FROM instruction");
		goto out;
	}
	if (o->target && !d.target_found) {
		dferr(&d, "no stage named %s", o->target);
		goto out;
	}
	rc = 0;
out:
	pk_buf_free(&cur);
	for (i = 0; i < d.nst; i++) {
		free(d.st[i].name);
		vars_free(&d.st[i].env);
	}
	free(d.st);
	vars_free(&d.meta);
	vars_free(&d.args);
	free(d.shell);
	return rc;
}
