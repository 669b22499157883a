/* SPDX-License-Identifier: ISC */
/* dnspkt.c: DNS messages: names (compressed and not), queries, replies. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "util.h"

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Reads the (possibly compressed) name at *off into out, uncompressed, and
 * moves *off past it. A pointer must point before every position jumped
 * from so far: the targets strictly decrease, so a loop cannot be built,
 * and a packet full of pointers costs at most its own length in steps.
 */
int
dns_get_name(const uint8_t *msg, size_t len, size_t *off, uint8_t *out,
    size_t *outlen)
{
	size_t p = *off, n = 0, limit = *off, end = 0;
	int jumped = 0;

	for (;;) {
		uint8_t c;

		if (p >= len)
			goto bad;
		c = msg[p];
		if ((c & 0xc0) == 0xc0) {
			size_t t;

			if (p + 1 >= len)
				goto bad;
			t = (size_t)(c & 0x3f) << 8 | msg[p + 1];
			if (!jumped)
				end = p + 2;
			if (t >= limit)
				goto bad;
			limit = t;
			p = t;
			jumped = 1;
			continue;
		}
		if (c & 0xc0)		/* 0x40 and 0x80: extended labels */
			goto bad;
		if (c == 0) {
			if (n + 1 > DNS_MAXNAME)
				goto bad;
			out[n++] = 0;
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + c > len || n + 1 + c + 1 > DNS_MAXNAME)
			goto bad;
		memcpy(out + n, msg + p, (size_t)c + 1);
		n += (size_t)c + 1;
		p += (size_t)c + 1;
	}
	*off = end;
	*outlen = n;
	return 0;
bad:
	errno = EBADMSG;
	return -1;
}

void
dns_name_lower(uint8_t *dst, const uint8_t *src, size_t len)
{
	size_t i;

	/* Length bytes are below 64, so lowering them changes nothing. */
	for (i = 0; i < len; i++)
		dst[i] = (uint8_t)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
}

size_t
dns_name_len(const uint8_t *name)
{
	size_t n = 0;

	while (name[n] != 0)
		n += (size_t)name[n] + 1;
	return n + 1;
}

/* "web.default.svc.cluster.local." with \. and \DDD where needed. */
int
dns_name_to_text(const uint8_t *name, char *buf, size_t len)
{
	size_t o = 0, i;
	int k;

	if (len < 2)
		return -1;
	if (name[0] == 0) {
		strcpy(buf, ".");
		return 0;
	}
	while (*name) {
		for (i = 1; i <= name[0]; i++) {
			uint8_t c = name[i];

			if (c == '.' || c == '\\' || c == '"' || c == ';')
				k = snprintf(buf + o, len - o, "\\%c", c);
			else if (c <= ' ' || c >= 127)
				k = snprintf(buf + o, len - o, "\\%03u", c);
			else
				k = snprintf(buf + o, len - o, "%c", c);
			if (k < 0 || (size_t)k >= len - o)
				return -1;
			o += (size_t)k;
		}
		if (o + 2 > len)
			return -1;
		buf[o++] = '.';
		buf[o] = '\0';
		name += name[0] + 1;
	}
	return 0;
}

/*
 * A name in master-file text to wire form: absolute when it ends in '.',
 * "@" is the origin, otherwise the origin is appended. \X and \DDD escape.
 */
int
dns_name_from_text(const char *s, const uint8_t *origin, uint8_t *out,
    size_t *outlen)
{
	size_t n = 0, lab = 0, olen;
	int absolute = 0;

	if (strcmp(s, "@") == 0) {
		if (origin == NULL)
			goto bad;
		olen = dns_name_len(origin);
		memcpy(out, origin, olen);
		*outlen = olen;
		return 0;
	}
	if (strcmp(s, ".") == 0) {
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	if (*s == '\0' || *s == '.')
		goto bad;
	out[0] = 0;
	n = 1;			/* out[lab] is the current label's length */
	while (*s) {
		unsigned c = (unsigned char)*s++;

		if (c == '.') {
			if (out[lab] == 0)
				goto bad;	/* empty label */
			if (*s == '\0') {
				absolute = 1;
				break;
			}
			lab = n;
			if (n >= DNS_MAXNAME)
				goto bad;
			out[n++] = 0;
			continue;
		}
		if (c == '\\') {
			if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2])) {
				c = (unsigned)(s[0] - '0') * 100 + (unsigned)(s[1] - '0') * 10 +
				    (unsigned)(s[2] - '0');
				if (c > 255)
					goto bad;
				s += 3;
			} else if (*s != '\0')
				c = (unsigned char)*s++;
			else
				goto bad;
		}
		if (out[lab] == 63 || n + 1 >= DNS_MAXNAME)
			goto bad;
		out[lab]++;
		out[n++] = (uint8_t)c;
	}
	if (out[lab] == 0)
		goto bad;
	if (absolute) {
		out[n++] = 0;
	} else {
		if (origin == NULL)
			goto bad;
		olen = dns_name_len(origin);
		if (n + olen > DNS_MAXNAME)
			goto bad;
		memcpy(out + n, origin, olen);
		n += olen;
	}
	*outlen = n;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* Skips one resource record at *off; its fields in the out parameters. */
static int
skip_rr(const uint8_t *msg, size_t len, size_t *off, uint8_t *name,
    size_t *namelen, uint16_t *type, uint16_t *class, uint32_t *ttl,
    size_t *rdoff, uint16_t *rdlen)
{
	if (dns_get_name(msg, len, off, name, namelen) < 0)
		return -1;
	if (*off + 10 > len)
		return -1;
	*type = get16(msg + *off);
	*class = get16(msg + *off + 2);
	*ttl = get32(msg + *off + 4);
	*rdlen = get16(msg + *off + 8);
	*rdoff = *off + 10;
	if (*rdoff + *rdlen > len)
		return -1;
	*off = *rdoff + *rdlen;
	return 0;
}

/*
 * A query. Returns -1 for what is dropped without an answer (too short to
 * carry an id, or itself a response); otherwise 0 with q->rcode saying
 * whether it was understood (FORMERR, NOTIMP, BADVERS otherwise).
 */
int
dns_parse_query(const uint8_t *msg, size_t len, struct dns_query *q)
{
	uint16_t qd, an, ns, ar, i;
	size_t off = 12;
	int opts = 0;

	memset(q, 0, offsetof(struct dns_query, qname));
	q->qnamelen = 0;
	q->qend = 0;
	q->has_q = 0;
	q->edns = 0;
	q->do_bit = 0;
	q->udpsize = 512;
	q->optoff = 0;
	q->rcode = DNS_R_NOERROR;
	if (len < 12)
		return -1;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	if (q->flags & DNS_F_QR)
		return -1;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	if (qd != 1) {
		q->rcode = DNS_R_FORMERR;
		return 0;
	}
	if (dns_get_name(msg, len, &off, q->qname, &q->qnamelen) < 0 ||
	    off + 4 > len) {
		q->rcode = DNS_R_FORMERR;
		return 0;
	}
	dns_name_lower(q->lname, q->qname, q->qnamelen);
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	off += 4;
	q->qend = off;
	q->has_q = 1;
	if ((q->flags >> 11 & 0xf) != 0) {
		q->rcode = DNS_R_NOTIMP;
		return 0;
	}
	for (i = 0; i < (uint32_t)an + ns + ar; i++) {
		uint8_t name[DNS_MAXNAME + 1];
		size_t namelen, rdoff, start = off;
		uint16_t type, class, rdlen;
		uint32_t ttl;

		if (skip_rr(msg, len, &off, name, &namelen, &type, &class,
		    &ttl, &rdoff, &rdlen) < 0) {
			q->rcode = DNS_R_FORMERR;
			return 0;
		}
		if (type != DNS_T_OPT)
			continue;
		/* RFC 6891: one OPT, in the additional section, owned by
		 * the root; anything else is a format error. */
		if (i < (uint32_t)an + ns || namelen != 1 || ++opts > 1) {
			q->rcode = DNS_R_FORMERR;
			q->edns = 0;
			return 0;
		}
		q->edns = 1;
		q->optoff = start;
		q->udpsize = class < 512 ? 512 : class;
		q->do_bit = (ttl & 0x8000) != 0;
		if ((ttl >> 16 & 0xff) != 0)
			q->rcode = DNS_R_BADVERS;
	}
	if (q->qtype == DNS_T_OPT)
		q->rcode = DNS_R_FORMERR;
	return 0;
}

/* ---- building messages ----------------------------------------------- */

void
dns_msg_init(struct dns_msg *m, uint8_t *buf, size_t cap)
{
	m->buf = buf;
	m->cap = cap > DNS_MAXMSG ? DNS_MAXMSG : cap;
	m->len = 0;
	m->overflow = 0;
	memset(m->counts, 0, sizeof(m->counts));
	m->nptrs = 0;
}

void
dns_msg_put(struct dns_msg *m, const void *p, size_t n)
{
	if (m->overflow || m->len + n > m->cap) {
		m->overflow = 1;
		return;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void
dns_msg_u16(struct dns_msg *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	dns_msg_put(m, b, 2);
}

void
dns_msg_u32(struct dns_msg *m, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	dns_msg_put(m, b, 4);
}

void
dns_msg_header(struct dns_msg *m, uint16_t id, uint16_t flags)
{
	uint8_t h[12] = { 0 };

	m->len = 0;
	put16(h, id);
	put16(h + 2, flags);
	dns_msg_put(m, h, sizeof(h));
}

void
dns_msg_set_rcode(struct dns_msg *m, int rcode)
{
	if (m->len >= 4)
		m->buf[3] = (uint8_t)((m->buf[3] & 0xf0) | (rcode & 0xf));
}

static int
lower_eq(uint8_t a, uint8_t b)
{
	if (a >= 'A' && a <= 'Z')
		a += 32;
	if (b >= 'A' && b <= 'Z')
		b += 32;
	return a == b;
}

/* Does the name written at buf[p] (pointers followed) equal s? Only our
 * own, already checked output is read here. */
static int
written_eq(const uint8_t *buf, size_t p, const uint8_t *s)
{
	unsigned hops = 0;

	for (;;) {
		uint8_t i;

		while ((buf[p] & 0xc0) == 0xc0) {
			p = (size_t)(buf[p] & 0x3f) << 8 | buf[p + 1];
			if (++hops > 128)
				return 0;
		}
		if (buf[p] != s[0])
			return 0;
		if (s[0] == 0)
			return 1;
		for (i = 1; i <= s[0]; i++)
			if (!lower_eq(buf[p + i], s[i]))
				return 0;
		p += (size_t)s[0] + 1;
		s += s[0] + 1;
	}
}

/* Writes an uncompressed wire name, pointing at an earlier copy of its
 * longest known suffix when compress is set. */
void
dns_msg_put_name(struct dns_msg *m, const uint8_t *name, int compress)
{
	size_t labs[128], nl = 0, i, off = 0, start = m->len;
	unsigned k;

	while (name[off] != 0 && nl < LEN(labs)) {
		labs[nl++] = off;
		off += (size_t)name[off] + 1;
	}
	for (i = 0; compress && i < nl; i++) {
		for (k = 0; k < m->nptrs; k++) {
			if (!written_eq(m->buf, m->ptrs[k], name + labs[i]))
				continue;
			dns_msg_put(m, name, labs[i]);
			dns_msg_u16(m, (uint16_t)(0xc000 | m->ptrs[k]));
			goto remember;
		}
	}
	i = nl;
	dns_msg_put(m, name, off + 1);
remember:
	if (m->overflow)
		return;
	for (k = 0; k < i && m->nptrs < LEN(m->ptrs); k++)
		if (start + labs[k] < 0x4000)
			m->ptrs[m->nptrs++] = (uint16_t)(start + labs[k]);
}

void
dns_msg_question(struct dns_msg *m, const uint8_t *name, uint16_t type,
    uint16_t class)
{
	dns_msg_put_name(m, name, 1);
	dns_msg_u16(m, type);
	dns_msg_u16(m, class);
	m->counts[0]++;
}

size_t
dns_msg_rr_begin(struct dns_msg *m, int section, const uint8_t *name,
    uint16_t type, uint16_t class, uint32_t ttl)
{
	size_t mark;

	dns_msg_put_name(m, name, 1);
	dns_msg_u16(m, type);
	dns_msg_u16(m, class);
	dns_msg_u32(m, ttl);
	mark = m->len;
	dns_msg_u16(m, 0);
	if (section >= 1 && section <= 3)
		m->counts[section]++;
	return mark;
}

void
dns_msg_rr_end(struct dns_msg *m, size_t mark)
{
	if (!m->overflow)
		put16(m->buf + mark, (uint16_t)(m->len - mark - 2));
}

/* Our OPT record, when the query had one: our payload size, the extended
 * rcode for BADVERS, the DO bit echoed (RFC 3225). */
void
dns_msg_opt(struct dns_msg *m, const struct dns_query *q)
{
	static const uint8_t root[1] = { 0 };
	size_t mark;
	uint32_t ttl = 0;

	if (!q->edns)
		return;
	if (q->rcode == DNS_R_BADVERS)
		ttl |= (uint32_t)(DNS_R_BADVERS >> 4) << 24;
	if (q->do_bit)
		ttl |= 0x8000;
	mark = dns_msg_rr_begin(m, 3, root, DNS_T_OPT, DNS_UDPSIZE, ttl);
	dns_msg_rr_end(m, mark);
}

size_t
dns_msg_finish(struct dns_msg *m)
{
	int i;

	if (m->overflow || m->len < 12)
		return 0;
	for (i = 0; i < 4; i++)
		put16(m->buf + 4 + 2 * i, m->counts[i]);
	return m->len;
}

static uint16_t
reply_flags(const struct dns_query *q)
{
	return (uint16_t)(DNS_F_QR | (q->flags & (0x7800 | DNS_F_RD | DNS_F_CD)));
}

size_t
dns_error_reply(const struct dns_query *q, int rcode, uint8_t *out, size_t cap)
{
	struct dns_msg m;

	dns_msg_init(&m, out, cap);
	dns_msg_header(&m, q->id, reply_flags(q));
	dns_msg_set_rcode(&m, rcode);
	if (q->has_q)
		dns_msg_question(&m, q->qname, q->qtype, q->qclass);
	/* A FORMERR may come from the OPT itself: then none goes back. */
	if (rcode != DNS_R_FORMERR)
		dns_msg_opt(&m, q);
	return dns_msg_finish(&m);
}

size_t
dns_truncate_reply(const struct dns_query *q, const uint8_t *reply,
    size_t len, uint8_t *out, size_t cap)
{
	struct dns_msg m;

	if (len < 12)
		return 0;
	dns_msg_init(&m, out, cap);
	dns_msg_header(&m, get16(reply), (uint16_t)(get16(reply + 2) | DNS_F_TC));
	if (q->has_q)
		dns_msg_question(&m, q->qname, q->qtype, q->qclass);
	dns_msg_opt(&m, q);
	return dns_msg_finish(&m);
}

int
dns_check_response(const uint8_t *msg, size_t len,
    const struct dns_query *q, uint16_t *ttloff, size_t maxttl, size_t *nttl,
    uint32_t *minttl, size_t *optoff)
{
	uint8_t name[DNS_MAXNAME + 1], lname[DNS_MAXNAME + 1];
	size_t off = 12, namelen, rdoff;
	uint16_t type, class, rdlen, an, ns, ar;
	uint32_t ttl, i, total;
	int have = 0;

	*nttl = 0;
	*minttl = 0;
	*optoff = 0;
	if (len < 12 || !(get16(msg + 2) & DNS_F_QR) || get16(msg + 4) != 1)
		return -1;
	an = get16(msg + 6);
	ns = get16(msg + 8);
	ar = get16(msg + 10);
	if (dns_get_name(msg, len, &off, name, &namelen) < 0 || off + 4 > len)
		return -1;
	dns_name_lower(lname, name, namelen);
	if (namelen != q->qnamelen || memcmp(lname, q->lname, namelen) != 0 ||
	    get16(msg + off) != q->qtype || get16(msg + off + 2) != q->qclass)
		return -1;
	off += 4;
	total = (uint32_t)an + ns + ar;
	for (i = 0; i < total; i++) {
		size_t start = off;

		if (skip_rr(msg, len, &off, name, &namelen, &type, &class,
		    &ttl, &rdoff, &rdlen) < 0)
			return -1;
		if (type == DNS_T_OPT) {
			if (i + 1 == total && off == len)
				*optoff = start;
			continue;
		}
		if (ttl > 0x7fffffff)	/* RFC 2181: read as zero */
			ttl = 0;
		if (*nttl < maxttl)
			ttloff[*nttl] = (uint16_t)(rdoff - 6);
		(*nttl)++;
		if (!have || ttl < *minttl)
			*minttl = ttl;
		have = 1;
		if (type == DNS_T_SOA && i >= an && i < (uint32_t)an + ns &&
		    rdlen >= 22) {
			uint32_t min = get32(msg + rdoff + rdlen - 4);

			if (min < *minttl)
				*minttl = min;
		}
	}
	if (off != len)
		return -1;
	return 0;
}

/*
 * A forwarded reply made ours: the client's id and spelling of the
 * question, the upstream's OPT (at optoff, the last record, or 0) replaced
 * by ours when the client sent one. Returns the new length, 0 if no room.
 */
size_t
dns_reply_fixup(const struct dns_query *q, uint8_t *msg, size_t len,
    size_t optoff, size_t cap)
{
	static const uint8_t opt[11] = { 0, 0, DNS_T_OPT, DNS_UDPSIZE >> 8,
		DNS_UDPSIZE & 0xff, 0, 0, 0, 0, 0, 0 };

	if (len < 12 + q->qnamelen + 4)
		return 0;
	put16(msg, q->id);
	memcpy(msg + 12, q->qname, q->qnamelen);
	if (optoff >= 12 + q->qnamelen + 4 && optoff < len) {
		len = optoff;
		put16(msg + 10, (uint16_t)(get16(msg + 10) - 1));
	}
	if (q->edns) {
		if (len + sizeof(opt) > cap)
			return 0;
		memcpy(msg + len, opt, sizeof(opt));
		if (q->do_bit)
			msg[len + 7] = 0x80;
		len += sizeof(opt);
		put16(msg + 10, (uint16_t)(get16(msg + 10) + 1));
	}
	return len;
}
