/* SPDX-License-Identifier: ISC */
/* tar.c: read ustar, GNU (long names, base-256) and PAX tar streams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tar.h"

#define BLOCK 512

void
tar_init(struct tar *t, tar_readfn read, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->read = read;
	t->ctx = ctx;
}

static void
entry_clear(struct tar_entry *e)
{
	size_t i;

	free(e->path);
	free(e->link);
	for (i = 0; i < e->nxattrs; i++) {
		free(e->xattrs[i].name);
		free(e->xattrs[i].value);
	}
	memset(e, 0, sizeof(*e));
}

void
tar_free(struct tar *t)
{
	entry_clear(&t->e);
	free(t->globalpax);
	t->globalpax = NULL;
	free(t->paxbuf);
	t->paxbuf = NULL;
	t->paxcap = 0;
}

/* Exactly len bytes, or the count got before the end of input. */
static ssize_t
read_full(struct tar *t, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = t->read(t->ctx, (char *)buf + got, len - got);

		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static int
skip(struct tar *t, uint64_t n)
{
	char buf[16384];

	while (n > 0) {
		size_t want = n < sizeof(buf) ? (size_t)n : sizeof(buf);
		ssize_t got = read_full(t, buf, want);

		if (got < 0)
			return -1;
		if ((size_t)got != want) {
			errno = EIO;
			return -1;
		}
		n -= want;
	}
	return 0;
}

/* An octal field (NUL or space terminated, leading spaces) or GNU's
 * base-256 form (high bit of the first byte set). */
static int
number(const char *f, size_t len, uint64_t *out, int *neg)
{
	const unsigned char *u = (const unsigned char *)f;
	uint64_t v = 0;
	size_t i = 0;

	*neg = 0;
	if (u[0] & 0x80) {
		if (u[0] == 0xff) {
			/* Negative (pre-1970 mtimes): two's complement. */
			*neg = 1;
			for (i = 1; i < len; i++) {
				if (i < len - 8 && u[i] != 0xff)
					return -1;
				v = (v << 8) | (uint8_t)~u[i];
			}
			*out = v + 1;
			return 0;
		}
		if (u[0] != 0x80)
			return -1;
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = (v << 8) | u[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	if (i < len && f[i] != '\0' && f[i] != ' ')
		return -1;
	*out = v;
	return 0;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long us = 0;
	long s = 0;
	int i, neg;

	if (number((const char *)h + 148, 8, &want, &neg) < 0)
		return 0;
	for (i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		us += c;
		s += (signed char)c;
	}
	return want == us || (long long)want == s;
}

static char *
field_dup(const char *f, size_t len)
{
	return strndup(f, strnlen(f, len));
}

/* Parse pax records into the entry; errors name the reason. */
static int
apply_pax(struct tar_entry *e, char *buf, size_t len, const char **why)
{
	size_t off = 0;

	while (off < len) {
		char *rec = buf + off, *sp, *eq, *key, *val, *end;
		size_t rlen = 0, vlen;

		for (sp = rec; sp < buf + len && *sp >= '0' && *sp <= '9'; sp++) {
			rlen = rlen * 10 + (size_t)(*sp - '0');
			if (rlen > len)
				break;
		}
		if (sp == rec || sp >= buf + len || *sp != ' ' || rlen > len - off ||
		    rlen < (size_t)(sp - rec) + 3 || rec[rlen - 1] != '\n') {
			*why = "malformed pax record";
			return -1;
		}
		end = rec + rlen - 1;
		key = sp + 1;
		if ((eq = memchr(key, '=', (size_t)(end - key))) == NULL) {
			*why = "malformed pax record";
			return -1;
		}
		*eq = '\0';
		val = eq + 1;
		vlen = (size_t)(end - val);
		off += rlen;
		if (strcmp(key, "path") == 0 || strcmp(key, "linkpath") == 0) {
			char **dst = key[0] == 'p' ? &e->path : &e->link;

			if (memchr(val, '\0', vlen) != NULL) {
				*why = "NUL in pax path";
				return -1;
			}
			free(*dst);
			if ((*dst = strndup(val, vlen)) == NULL)
				return -1;
		} else if (strcmp(key, "uid") == 0 || strcmp(key, "gid") == 0 ||
		    strcmp(key, "size") == 0) {
			uint64_t v = 0;
			size_t i;

			if (vlen == 0 || vlen > 19) {
				*why = "bad pax number";
				return -1;
			}
			for (i = 0; i < vlen; i++) {
				if (val[i] < '0' || val[i] > '9') {
					*why = "bad pax number";
					return -1;
				}
				v = v * 10 + (uint64_t)(val[i] - '0');
			}
			if (key[0] == 'u')
				e->uid = v;
			else if (key[0] == 'g')
				e->gid = v;
			else
				e->size = v;
		} else if (strcmp(key, "mtime") == 0) {
			int64_t s = 0;
			long ns = 0;
			size_t i = 0;
			int neg = 0, digits = 0;

			if (i < vlen && val[i] == '-')
				neg = 1, i++;
			for (; i < vlen && val[i] >= '0' && val[i] <= '9'; i++, digits++)
				if (digits < 18)
					s = s * 10 + (val[i] - '0');
			if (i < vlen && val[i] == '.')
				for (i++, digits = 0; i < vlen && val[i] >= '0' && val[i] <= '9'; i++, digits++)
					if (digits < 9)
						ns = ns * 10 + (val[i] - '0');
			while (digits++ < 9)
				ns *= 10;
			e->mtime = neg ? -s : s;
			e->mtime_nsec = neg ? 0 : ns;
		} else if (strncmp(key, "SCHILY.xattr.", 13) == 0) {
			struct tar_xattr *x;

			if (e->nxattrs >= TAR_MAX_XATTRS) {
				*why = "too many xattrs";
				return -1;
			}
			if (key[13] == '\0') {
				*why = "empty xattr name";
				return -1;
			}
			x = &e->xattrs[e->nxattrs];
			if ((x->name = strdup(key + 13)) == NULL)
				return -1;
			if ((x->value = malloc(vlen + 1)) == NULL) {
				free(x->name);
				return -1;
			}
			memcpy(x->value, val, vlen);
			x->value[vlen] = '\0';
			x->len = vlen;
			e->nxattrs++;
		} else if (strncmp(key, "GNU.sparse.", 11) == 0) {
			*why = "sparse files are not supported";
			return -1;
		}
		/* Others (atime, ctime, uname, gname, comment, charset...)
		 * carry nothing an unpacker needs. */
	}
	return 0;
}

/* Read a metadata record's data (GNU long name, pax header) into a new
 * buffer, or into *reuse (grown as needed, kept) when it is given. */
static char *
read_meta_in(struct tar *t, uint64_t size, char **reuse, size_t *cap, const char **why)
{
	uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
	char *buf;
	ssize_t n;

	if (size > TAR_MAX_META) {
		*why = "metadata record too large";
		return NULL;
	}
	if (reuse != NULL && *cap >= padded + 1)
		buf = *reuse;
	else if ((buf = malloc((size_t)padded + 1)) == NULL)
		return NULL;
	else if (reuse != NULL) {
		free(*reuse);
		*reuse = buf;
		*cap = (size_t)padded + 1;
	}
	n = read_full(t, buf, (size_t)padded);
	if (n < 0 || (uint64_t)n != padded) {
		if (reuse == NULL)
			free(buf);
		*why = "truncated archive";
		return NULL;
	}
	buf[size] = '\0';
	return buf;
}

static char *
read_meta(struct tar *t, uint64_t size, const char **why)
{
	return read_meta_in(t, size, NULL, NULL, why);
}

int
tar_next(struct tar *t, struct tar_entry **ep, char *err, size_t errlen)
{
	struct tar_entry *e = &t->e;
	unsigned char h[BLOCK];
	char *longname = NULL, *longlink = NULL;
	char *pax = NULL;	/* in t->paxbuf */
	size_t paxlen = 0;
	const char *why = NULL;
	int nmeta = 0;

	if (skip(t, t->left + t->pad) < 0) {
		snprintf(err, errlen, "truncated archive");
		return -1;
	}
	t->left = t->pad = 0;
	entry_clear(e);
	for (;;) {
		uint64_t size, v;
		ssize_t n;
		int neg, i;

		n = read_full(t, h, BLOCK);
		if (n < 0) {
			why = "read error";
			goto bad;
		}
		if (n == 0 && nmeta == 0)
			return 0;	/* no end marker: tolerated */
		if (n != BLOCK) {
			why = "truncated archive";
			goto bad;
		}
		for (i = 0; i < BLOCK && h[i] == 0; i++)
			;
		if (i == BLOCK) {
			if (nmeta > 0) {
				why = "metadata record without an entry";
				goto bad;
			}
			return 0;
		}
		if (!checksum_ok(h)) {
			why = "bad header checksum";
			goto bad;
		}
		if (number((char *)h + 124, 12, &size, &neg) < 0 || neg) {
			why = "bad size field";
			goto bad;
		}
		if (++t->nentries > 50000000) {
			why = "too many entries";
			goto bad;
		}
		switch (h[156]) {
		case 'L':
		case 'K': {
			char **dst = h[156] == 'L' ? &longname : &longlink;

			if (++nmeta > 8) {
				why = "too many metadata records";
				goto bad;
			}
			free(*dst);
			if ((*dst = read_meta(t, size, &why)) == NULL)
				goto bad;
			continue;
		}
		case 'x':
			if (++nmeta > 8) {
				why = "too many metadata records";
				goto bad;
			}
			/* Every entry may have one (GNU tar --xattrs
			 * does): one buffer serves them all. */
			pax = read_meta_in(t, size, &t->paxbuf, &t->paxcap, &why);
			if (pax == NULL)
				goto bad;
			paxlen = (size_t)size;
			continue;
		case 'g':
			/* Global pax headers set defaults nobody relies on in
			 * images (git archive writes a comment); skip them. */
			free(t->globalpax);
			if ((t->globalpax = read_meta(t, size, &why)) == NULL)
				goto bad;
			continue;
		}
		/* A real entry. */
		e->type = h[156] == '\0' || h[156] == '7' ? '0' : (char)h[156];
		if (strchr("0123456", e->type) == NULL || e->type == '\0') {
			why = "unsupported entry type";
			goto bad;
		}
		if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345] != '\0') {
			char *pre = field_dup((char *)h + 345, 155);
			char *nm = field_dup((char *)h, 100);

			if (pre == NULL || nm == NULL ||
			    asprintf(&e->path, "%s/%s", pre, nm) < 0)
				e->path = NULL;
			free(pre);
			free(nm);
		} else
			e->path = field_dup((char *)h, 100);
		e->link = field_dup((char *)h + 157, 100);
		if (e->path == NULL || e->link == NULL) {
			why = "out of memory";
			goto bad;
		}
		if (number((char *)h + 100, 8, &v, &neg) < 0 || neg) {
			why = "bad mode field";
			goto bad;
		}
		e->mode = (unsigned)(v & 07777);
		if (number((char *)h + 108, 8, &e->uid, &neg) < 0 || neg ||
		    number((char *)h + 116, 8, &e->gid, &neg) < 0 || neg) {
			why = "bad owner field";
			goto bad;
		}
		if (number((char *)h + 136, 12, &v, &neg) < 0) {
			why = "bad mtime field";
			goto bad;
		}
		e->mtime = neg ? -(int64_t)v : (int64_t)v;
		if (e->type == '3' || e->type == '4') {
			uint64_t ma, mi;

			if (number((char *)h + 329, 8, &ma, &neg) < 0 || neg ||
			    number((char *)h + 337, 8, &mi, &neg) < 0 || neg ||
			    ma > 0xfff || mi > 0xfffff) {
				why = "bad device number";
				goto bad;
			}
			e->devmajor = (unsigned)ma;
			e->devminor = (unsigned)mi;
		}
		e->size = size;
		if (longname != NULL) {
			free(e->path);
			e->path = longname;
			longname = NULL;
		}
		if (longlink != NULL) {
			free(e->link);
			e->link = longlink;
			longlink = NULL;
		}
		if (pax != NULL && apply_pax(e, pax, paxlen, &why) < 0) {
			if (why == NULL)
				why = "out of memory";
			goto bad;
		}
		pax = NULL;
		/* Only regular files carry data; a hardlink's size field is
		 * ignored by GNU tar when it is nonzero, so is ours. */
		if (e->type == '0') {
			t->left = e->size;
			t->pad = (BLOCK - e->size % BLOCK) % BLOCK;
		} else if (e->type == '1' || e->type == '2' || e->type == '5' ||
		    e->type == '3' || e->type == '4' || e->type == '6') {
			/* Data after them, if any, is skipped. */
			t->left = 0;
			if (size > 0 && e->type != '1') {
				t->left = size;
				t->pad = (BLOCK - size % BLOCK) % BLOCK;
			}
			e->size = 0;
		}
		if (e->path[0] == '\0') {
			why = "empty entry name";
			goto bad;
		}
		*ep = e;
		if (e->type != '0') {
			/* Skip a non-file's data now so tar_read sees none. */
			if (skip(t, t->left + t->pad) < 0) {
				why = "truncated archive";
				goto bad;
			}
			t->left = t->pad = 0;
		}
		return 1;
	}
bad:
	free(longname);
	free(longlink);
	snprintf(err, errlen, "%s%s%s", why != NULL ? why : strerror(errno),
	    e->path != NULL ? " at " : "", e->path != NULL ? e->path : "");
	return -1;
}

ssize_t
tar_read(struct tar *t, void *buf, size_t len)
{
	ssize_t n;

	if (t->left == 0)
		return 0;
	if (len > t->left)
		len = (size_t)t->left;
	n = t->read(t->ctx, buf, len);
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = EIO;
		return -1;
	}
	t->left -= (uint64_t)n;
	return n;
}

ssize_t
tar_lend(struct tar *t, const void **p, size_t len)
{
	ssize_t n;

	if (t->left == 0)
		return 0;
	if (len > t->left)
		len = (size_t)t->left;
	n = t->lend(t->ctx, p, len);
	if (n < 0)
		return -1;
	if (n == 0 || (size_t)n > len) {
		errno = EIO;
		return -1;
	}
	t->left -= (uint64_t)n;
	return n;
}
