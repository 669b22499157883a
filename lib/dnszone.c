/* SPDX-License-Identifier: ISC */
/* dnszone.c: zone files (a subset of RFC 1035 master files) into a hash of
 * names, and authoritative answers from it. */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "dnsdb.h"
#include "util.h"

#define MAXFILE (64 << 20)
#define MAXTOK 512
#define T_APEX 0		/* a pseudo record marking a zone's apex */

struct rec {
	uint32_t name, lname, rd, seq;
	uint32_t ttl;
	uint16_t type, rdlen;
	uint8_t namelen;
	uint16_t file;
	uint32_t line;
};

struct builder {
	uint8_t *data;
	size_t dlen, dcap;
	struct rec *recs;
	size_t nrec, crec;
	char **files;
	size_t nfiles;
	uint8_t domain[DNS_MAXNAME + 1];
	uint32_t defttl;
	char *err;
	size_t errlen;
};

static void
seterr(struct builder *b, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = line ? snprintf(b->err, b->errlen, "%s:%u: ", file, line)
	    : snprintf(b->err, b->errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= b->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static long
put_data(struct builder *b, const void *p, size_t n)
{
	size_t off = b->dlen;

	if (b->dlen + n > 0xffffffffu) {
		errno = ENOMEM;
		return -1;
	}
	if (b->dlen + n > b->dcap) {
		size_t cap = b->dcap ? b->dcap * 2 : 4096;
		uint8_t *d;

		while (cap < b->dlen + n)
			cap *= 2;
		if ((d = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = d;
		b->dcap = cap;
	}
	if (n)
		memcpy(b->data + b->dlen, p, n);
	b->dlen += n;
	return (long)off;
}

static int
add_rec(struct builder *b, const uint8_t *name, size_t namelen, uint16_t type,
    uint32_t ttl, const uint8_t *rd, size_t rdlen, uint32_t line)
{
	uint8_t lname[DNS_MAXNAME + 1];
	struct rec *r;
	long no, lo, ro;

	if (b->nrec == b->crec) {
		size_t c = b->crec ? b->crec * 2 : 256;

		if ((r = reallocarray(b->recs, c, sizeof(*r))) == NULL)
			return -1;
		b->recs = r;
		b->crec = c;
	}
	dns_name_lower(lname, name, namelen);
	if ((no = put_data(b, name, namelen)) < 0 ||
	    (lo = put_data(b, lname, namelen)) < 0 ||
	    (ro = put_data(b, rd, rdlen)) < 0)
		return -1;
	r = &b->recs[b->nrec];
	r->name = (uint32_t)no;
	r->lname = (uint32_t)lo;
	r->rd = (uint32_t)ro;
	r->rdlen = (uint16_t)rdlen;
	r->namelen = (uint8_t)namelen;
	r->type = type;
	r->ttl = ttl;
	r->seq = (uint32_t)b->nrec;
	r->file = (uint16_t)(b->nfiles - 1);
	r->line = line;
	b->nrec++;
	return 0;
}

/* ---- the master-file reader ------------------------------------------ */

struct tok {
	char *s;
	int quoted;
};

static const struct {
	const char *name;
	uint16_t type;
} types[] = {
	{ "A", DNS_T_A }, { "AAAA", DNS_T_AAAA }, { "CNAME", DNS_T_CNAME },
	{ "PTR", DNS_T_PTR }, { "SRV", DNS_T_SRV }, { "TXT", DNS_T_TXT },
};

static int
is_number(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
get_u32(const char *s, uint32_t max, uint32_t *out)
{
	long long v;

	if (!is_number(s) || parse_num(s, 0, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A character-string of TXT: escapes resolved, at most 255 bytes. */
static int
txt_string(const char *s, uint8_t *out, size_t *n)
{
	size_t len = 0;

	while (*s) {
		unsigned c = (unsigned char)*s++;

		if (c == '\\') {
			if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2])) {
				c = (unsigned)(s[0] - '0') * 100 +
				    (unsigned)(s[1] - '0') * 10 + (unsigned)(s[2] - '0');
				if (c > 255)
					return -1;
				s += 3;
			} else if (*s)
				c = (unsigned char)*s++;
			else
				return -1;
		}
		if (len == 255)
			return -1;
		out[1 + len++] = (uint8_t)c;
	}
	out[0] = (uint8_t)len;
	*n = len + 1;
	return 0;
}

/* One record's tokens: [$directive | owner] [ttl] [IN] type rdata... */
static int
record(struct builder *b, const char *file, unsigned line, struct tok *t,
    size_t nt, int inherit, uint8_t *origin, uint8_t *owner, size_t *ownerlen,
    uint32_t *ttl)
{
	uint8_t rd[DNS_MAXMSG], name[DNS_MAXNAME + 1];
	size_t i = 0, namelen, rdlen = 0, k, n;
	uint32_t rttl = *ttl, v;
	uint16_t type = 0;
	int have_ttl = 0, have_class = 0;

	if (!inherit && !t[0].quoted && t[0].s[0] == '$') {
		if (strcasecmp(t[0].s, "$ORIGIN") == 0) {
			if (nt != 2 || dns_name_from_text(t[1].s, origin, name, &namelen) < 0) {
				seterr(b, file, line, "$ORIGIN: expected one name");
				return -1;
			}
			/* Not a zone of ours: under in-addr.arpa, say, only
			 * the names we have are ours, the rest is forwarded. */
			memcpy(origin, name, namelen);
			return 0;
		}
		if (strcasecmp(t[0].s, "$TTL") == 0) {
			if (nt != 2 || get_u32(t[1].s, 0x7fffffff, ttl) < 0) {
				seterr(b, file, line, "$TTL: expected a number of seconds");
				return -1;
			}
			return 0;
		}
		seterr(b, file, line, "%s: unsupported directive", t[0].s);
		return -1;
	}
	if (!inherit) {
		if (dns_name_from_text(t[0].s, origin, owner, ownerlen) < 0) {
			seterr(b, file, line, "'%s': bad name", t[0].s);
			return -1;
		}
		i = 1;
	} else if (*ownerlen == 0) {
		seterr(b, file, line, "a record without an owner name");
		return -1;
	}
	for (; i < nt; i++) {
		if (!have_ttl && is_number(t[i].s)) {
			if (get_u32(t[i].s, 0x7fffffff, &rttl) < 0) {
				seterr(b, file, line, "'%s': bad TTL", t[i].s);
				return -1;
			}
			have_ttl = 1;
		} else if (!have_class && strcasecmp(t[i].s, "IN") == 0)
			have_class = 1;
		else
			break;
	}
	if (i == nt) {
		seterr(b, file, line, "no record type");
		return -1;
	}
	for (k = 0; k < LEN(types); k++)
		if (strcasecmp(t[i].s, types[k].name) == 0)
			type = types[k].type;
	if (type == 0) {
		seterr(b, file, line, "'%s': unsupported record type", t[i].s);
		return -1;
	}
	i++;
	n = nt - i;
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (n != 1 || inet_pton(type == DNS_T_A ? AF_INET : AF_INET6,
		    t[i].s, rd) != 1) {
			seterr(b, file, line, "'%s': bad %s address", n ? t[i].s : "",
			    type == DNS_T_A ? "IPv4" : "IPv6");
			return -1;
		}
		rdlen = type == DNS_T_A ? 4 : 16;
		break;
	case DNS_T_CNAME:
	case DNS_T_PTR:
		if (n != 1 || dns_name_from_text(t[i].s, origin, rd, &rdlen) < 0) {
			seterr(b, file, line, "'%s': bad target name", n ? t[i].s : "");
			return -1;
		}
		break;
	case DNS_T_SRV:
		if (n != 4) {
			seterr(b, file, line, "SRV: expected PRIORITY WEIGHT PORT TARGET");
			return -1;
		}
		for (k = 0; k < 3; k++) {
			if (get_u32(t[i + k].s, 65535, &v) < 0) {
				seterr(b, file, line, "'%s': not a number from 0 to 65535",
				    t[i + k].s);
				return -1;
			}
			rd[2 * k] = (uint8_t)(v >> 8);
			rd[2 * k + 1] = (uint8_t)v;
		}
		if (dns_name_from_text(t[i + 3].s, origin, rd + 6, &rdlen) < 0) {
			seterr(b, file, line, "'%s': bad target name", t[i + 3].s);
			return -1;
		}
		rdlen += 6;
		break;
	case DNS_T_TXT:
		if (n == 0) {
			seterr(b, file, line, "TXT: expected one or more strings");
			return -1;
		}
		for (k = 0; k < n; k++) {
			size_t sl;

			if (rdlen + 256 > sizeof(rd) ||
			    txt_string(t[i + k].s, rd + rdlen, &sl) < 0) {
				seterr(b, file, line, "TXT: a string longer than 255 bytes");
				return -1;
			}
			rdlen += sl;
		}
		break;
	}
	if (add_rec(b, owner, *ownerlen, type, rttl, rd, rdlen, line) < 0) {
		seterr(b, file, line, "%s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
parse_text(struct builder *b, const char *file, const char *text, size_t len)
{
	struct tok t[MAXTOK];
	char *buf;
	size_t pos = 0, nt, bl, ownerlen = 0;
	uint8_t origin[DNS_MAXNAME + 1], owner[DNS_MAXNAME + 1];
	uint32_t ttl = b->defttl;
	unsigned line = 1, start;
	int depth, inherit, rc = -1;
	char **f;

	if ((f = reallocarray(b->files, b->nfiles + 1, sizeof(*f))) == NULL ||
	    (b->files = f, f[b->nfiles] = strdup(file)) == NULL ||
	    (buf = malloc(len + MAXTOK + 1)) == NULL) {
		seterr(b, file, 0, "%s", strerror(errno));
		return -1;
	}
	b->nfiles++;
	memcpy(origin, b->domain, dns_name_len(b->domain));
	while (pos < len) {
		nt = 0;
		bl = 0;
		depth = 0;
		start = line;
		inherit = text[pos] == ' ' || text[pos] == '\t';
		for (;;) {
			char c;

			while (pos < len && (text[pos] == ' ' || text[pos] == '\t' ||
			    text[pos] == '\r'))
				pos++;
			if (pos >= len)
				break;
			c = text[pos];
			if (c == ';') {
				while (pos < len && text[pos] != '\n')
					pos++;
				continue;
			}
			if (c == '\n') {
				pos++;
				line++;
				if (depth == 0)
					break;
				continue;
			}
			if (c == '(' || c == ')') {
				if (c == ')' && depth == 0) {
					seterr(b, file, line, "')' without '('");
					goto out;
				}
				depth += c == '(' ? 1 : -1;
				pos++;
				continue;
			}
			if (c == '\0') {
				seterr(b, file, line, "a NUL byte");
				goto out;
			}
			if (nt == MAXTOK) {
				seterr(b, file, start, "too many fields");
				goto out;
			}
			t[nt].s = buf + bl;
			t[nt].quoted = c == '"';
			if (c == '"') {
				pos++;
				while (pos < len && text[pos] != '"') {
					if (text[pos] == '\n' || text[pos] == '\0')
						break;
					if (text[pos] == '\\' && pos + 1 < len &&
					    text[pos + 1] != '\n')
						buf[bl++] = text[pos++];
					buf[bl++] = text[pos++];
				}
				if (pos >= len || text[pos] != '"') {
					seterr(b, file, line, "a string without its closing '\"'");
					goto out;
				}
				pos++;
			} else {
				while (pos < len && !strchr(" \t\r\n;()\"", text[pos]) &&
				    text[pos] != '\0') {
					if (text[pos] == '\\' && pos + 1 < len &&
					    text[pos + 1] != '\n' && text[pos + 1] != '\0')
						buf[bl++] = text[pos++];
					buf[bl++] = text[pos++];
				}
			}
			buf[bl++] = '\0';
			nt++;
		}
		if (depth > 0) {
			seterr(b, file, start, "'(' without ')'");
			goto out;
		}
		if (nt == 0)
			continue;
		if (record(b, file, start, t, nt, inherit, origin, owner,
		    &ownerlen, &ttl) < 0)
			goto out;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

/* ---- the finished table ---------------------------------------------- */

static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

struct node *
dns_db_lookup(const struct dns_db *db, const uint8_t *lname, size_t len)
{
	struct node *n;

	for (n = db->tab[hash(lname, len) & db->mask]; n; n = n->next)
		if (n->len == len && memcmp(n->lname, lname, len) == 0)
			return n;
	return NULL;
}

static void
insert(struct dns_db *db, struct node *n)
{
	struct node **slot = &db->tab[hash(n->lname, n->len) & db->mask];

	n->next = *slot;
	*slot = n;
}

static const uint8_t *sort_data;

static int
rec_cmp(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c;

	if (x->namelen != y->namelen)
		return x->namelen < y->namelen ? -1 : 1;
	c = memcmp(sort_data + x->lname, sort_data + y->lname, x->namelen);
	if (c)
		return c;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
same_name(const struct builder *b, size_t i, size_t j)
{
	return b->recs[i].namelen == b->recs[j].namelen &&
	    memcmp(b->data + b->recs[i].lname, b->data + b->recs[j].lname,
	    b->recs[i].namelen) == 0;
}

/* An RRset holds no record twice (RFC 2181 5): a repeated line is
 * dropped. Names in rdata compare without regard to case. */
static int
duplicate(const struct dns_db *db, size_t first, const struct rec *r)
{
	size_t k, i, name_at;

	/* Where a name starts in the rdata: only there is case folded. */
	switch (r->type) {
	case DNS_T_CNAME: case DNS_T_PTR: name_at = 0; break;
	case DNS_T_SRV: name_at = 6; break;
	default: name_at = SIZE_MAX;
	}
	for (k = first; k < db->nrrs; k++) {
		const struct rr *o = &db->rrs[k];
		const uint8_t *a = db->data + o->rd, *c = db->data + r->rd;

		if (o->type != r->type || o->rdlen != r->rdlen)
			continue;
		for (i = 0; i < r->rdlen; i++)
			if (a[i] != c[i] && !(i >= name_at &&
			    (a[i] | 0x20) == (c[i] | 0x20) &&
			    (a[i] | 0x20) >= 'a' && (a[i] | 0x20) <= 'z'))
				break;
		if (i == r->rdlen)
			return 1;
	}
	return 0;
}

static struct dns_db *
build(struct builder *b)
{
	struct dns_db *db;
	size_t i, j, cap = 0, tabsize = 16, nn;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		goto nomem;
	db->ttl = b->defttl;
	db->serial = (uint32_t)time(NULL);
	if (add_rec(b, b->domain, dns_name_len(b->domain), T_APEX, 0, NULL, 0, 0) < 0)
		goto nomem;
	sort_data = b->data;
	qsort(b->recs, b->nrec, sizeof(*b->recs), rec_cmp);
	for (i = 0; i < b->nrec; i++)
		if (i == 0 || !same_name(b, i, i - 1))
			cap += 1 + b->recs[i].namelen / 2u + 1;
	db->nodes = calloc(cap ? cap : 1, sizeof(*db->nodes));
	db->rrs = calloc(b->nrec ? b->nrec : 1, sizeof(*db->rrs));
	while (tabsize < 2 * cap)
		tabsize *= 2;
	db->tab = calloc(tabsize, sizeof(*db->tab));
	if (db->nodes == NULL || db->rrs == NULL || db->tab == NULL)
		goto nomem;
	db->mask = tabsize - 1;
	db->data = b->data;
	b->data = NULL;
	for (i = 0; i < b->nrec; i = j) {
		struct node *n = &db->nodes[db->nnodes++];
		int cname = 0;

		n->lname = db->data + b->recs[i].lname;
		n->name = db->data + b->recs[i].name;
		n->len = b->recs[i].namelen;
		n->first = (uint32_t)db->nrrs;
		for (j = i; j < b->nrec && b->recs[j].namelen == n->len &&
		    memcmp(db->data + b->recs[j].lname, n->lname, n->len) == 0; j++) {
			const struct rec *r = &b->recs[j];

			if (r->type == T_APEX) {
				n->apex = 1;
				continue;
			}
			if (r->type == DNS_T_CNAME)
				cname = 1;
			if (duplicate(db, n->first, r))
				continue;
			db->rrs[db->nrrs++] = (struct rr){ r->ttl, r->rd, r->type, r->rdlen };
		}
		n->nrr = (uint32_t)(db->nrrs - n->first);
		if (cname && n->nrr > 1) {
			const struct rec *r = &b->recs[i];
			size_t k;
			char txt[1024];

			/* Blame the record that came last in the files. */
			for (k = i; k < j; k++)
				if (b->recs[k].seq > r->seq)
					r = &b->recs[k];

			dns_name_to_text(n->name, txt, sizeof(txt));
			seterr(b, b->files[r->file], r->line,
			    "%s: a CNAME cannot have other records", txt);
			goto fail;
		}
		insert(db, n);
	}
	/* Every ancestor of a name exists (RFC 8020): a query for one is
	 * NODATA, never NXDOMAIN. */
	nn = db->nnodes;
	for (i = 0; i < nn; i++) {
		const struct node *n = &db->nodes[i];
		size_t off = 0;

		while (n->lname[off] != 0) {
			struct node *a;

			off += (size_t)n->lname[off] + 1;
			if (dns_db_lookup(db, n->lname + off, n->len - off) != NULL)
				break;
			a = &db->nodes[db->nnodes++];
			a->lname = n->lname + off;
			a->name = n->name + off;
			a->len = (uint8_t)(n->len - off);
			a->first = 0;
			insert(db, a);
		}
	}
	return db;
nomem:
	seterr(b, "svc-dns", 0, "%s", strerror(errno));
fail:
	dns_db_free(db);
	return NULL;
}

static void
builder_free(struct builder *b)
{
	size_t i;

	for (i = 0; i < b->nfiles; i++)
		free(b->files[i]);
	free(b->files);
	free(b->recs);
	free(b->data);
}

static int
builder_init(struct builder *b, const char *domain, uint32_t defttl, char *err,
    size_t errlen)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	b->defttl = defttl;
	b->err = err;
	b->errlen = errlen;
	if (dns_name_from_text(domain, (const uint8_t *)"", b->domain, &n) < 0) {
		seterr(b, domain, 0, "bad domain name");
		return -1;
	}
	return 0;
}

struct dns_db *
dns_db_parse(const char *fname, const char *text, size_t len,
    const char *domain, uint32_t defttl, char *err, size_t errlen)
{
	struct builder b;
	struct dns_db *db = NULL;

	if (builder_init(&b, domain, defttl, err, errlen) == 0 &&
	    parse_text(&b, fname, text, len) == 0)
		db = build(&b);
	builder_free(&b);
	return db;
}

static int
load_file(struct builder *b, const char *path)
{
	struct stat st;
	char *text;
	ssize_t r;
	size_t got = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		seterr(b, path, 0, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size > MAXFILE) {
		close(fd);
		seterr(b, path, 0, "larger than 64 MiB");
		return -1;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		seterr(b, path, 0, "%s", strerror(errno));
		return -1;
	}
	while (got < (size_t)st.st_size &&
	    (r = read(fd, text + got, (size_t)st.st_size - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			seterr(b, path, 0, "%s", strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	close(fd);
	rc = parse_text(b, path, text, got);
	free(text);
	return rc;
}

static int
skip_name(const char *n)
{
	size_t l = strlen(n);

	return n[0] == '.' || (l > 0 && n[l - 1] == '~') ||
	    (l > 4 && strcmp(n + l - 4, ".tmp") == 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct dns_db *
dns_db_load(char *const *paths, size_t npaths, const char *domain,
    uint32_t defttl, char *err, size_t errlen)
{
	struct builder b;
	struct dns_db *db = NULL;
	size_t i;

	if (builder_init(&b, domain, defttl, err, errlen) < 0)
		goto out;
	for (i = 0; i < npaths; i++) {
		struct stat st;
		struct dirent *de;
		char **names = NULL, path[4096];
		size_t nn = 0, k;
		DIR *d;
		int bad = 0;

		if (stat(paths[i], &st) < 0) {
			seterr(&b, paths[i], 0, "%s", strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (load_file(&b, paths[i]) < 0)
				goto out;
			continue;
		}
		if ((d = opendir(paths[i])) == NULL) {
			seterr(&b, paths[i], 0, "%s", strerror(errno));
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			char **nn2;

			if (skip_name(de->d_name))
				continue;
			snprintf(path, sizeof(path), "%s/%s", paths[i], de->d_name);
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
				continue;
			if ((nn2 = reallocarray(names, nn + 1, sizeof(*names))) == NULL ||
			    (names = nn2, names[nn] = strdup(de->d_name)) == NULL) {
				seterr(&b, paths[i], 0, "%s", strerror(errno));
				bad = 1;
				break;
			}
			nn++;
		}
		closedir(d);
		qsort(names, nn, sizeof(*names), name_cmp);
		for (k = 0; k < nn; k++) {
			snprintf(path, sizeof(path), "%s/%s", paths[i], names[k]);
			if (!bad && load_file(&b, path) < 0)
				bad = 1;
			free(names[k]);
		}
		free(names);
		if (bad)
			goto out;
	}
	db = build(&b);
out:
	builder_free(&b);
	return db;
}

void
dns_db_free(struct dns_db *db)
{
	if (db == NULL)
		return;
	free(db->data);
	free(db->rrs);
	free(db->nodes);
	free(db->tab);
	free(db);
}

size_t
dns_db_count(const struct dns_db *db)
{
	return db->nrrs;
}
