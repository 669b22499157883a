/* SPDX-License-Identifier: ISC */
/* lbconf.c: lb-proxy's addresses, --backend arguments and backends file. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb.h"
#include "util.h"

static int
parse_port(const char *s, unsigned *port)
{
	long long v;

	if (parse_num(s, 1, 65535, &v) < 0 || !isdigit((unsigned char)*s))
		return -1;
	*port = (unsigned)v;
	return 0;
}

int
lb_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *hs;
	size_t hl;
	unsigned port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			goto bad;
		hs = s + 1;
		hl = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hs = s;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || parse_port(colon + 1, &port) < 0)
		goto bad;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (s[0] != '[') {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			goto bad;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

const char *
lb_fmt_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(in6->sin6_port));
	} else
		snprintf(buf, len, "?");
	return buf;
}

int
lb_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

static int
parse_weight(const char *s, int *w)
{
	long long v;

	if (strncmp(s, "weight=", 7) == 0)
		s += 7;
	if (!isdigit((unsigned char)*s) || parse_num(s, 1, LB_MAX_WEIGHT, &v) < 0)
		return -1;
	*w = (int)v;
	return 0;
}

int
lb_parse_backend_arg(const char *s, struct lb_spec *out)
{
	char buf[128];
	char *comma;

	if (strlen(s) >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	strcpy(buf, s);
	out->weight = 1;
	if ((comma = strchr(buf, ',')) != NULL) {
		*comma++ = '\0';
		if (strncmp(comma, "weight=", 7) != 0 ||
		    parse_weight(comma, &out->weight) < 0) {
			errno = EINVAL;
			return -1;
		}
	}
	return lb_parse_addr(buf, &out->addr, &out->alen);
}

int
lb_parse_backends(const char *text, size_t len, struct lb_spec **out,
    size_t *n, char *err, size_t errlen)
{
	struct lb_spec *v = NULL, sp;
	size_t nv = 0, cap = 0, lineno = 0, pos = 0, i;
	char line[256], *f[3], *p, *save;
	int nf;

	while (pos < len) {
		size_t ll = 0;

		lineno++;
		while (pos + ll < len && text[pos + ll] != '\n')
			ll++;
		if (ll >= sizeof(line)) {
			snprintf(err, errlen, "line %zu: too long", lineno);
			goto fail;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		if (memchr(line, '\0', ll) != NULL) {
			snprintf(err, errlen, "line %zu: NUL byte", lineno);
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		nf = 0;
		for (p = strtok_r(line, " \t\r", &save); p != NULL;
		    p = strtok_r(NULL, " \t\r", &save)) {
			if (nf == 2) {
				snprintf(err, errlen, "line %zu: expected ADDR:PORT [WEIGHT]", lineno);
				goto fail;
			}
			f[nf++] = p;
		}
		if (nf == 0)
			continue;
		sp.weight = 1;
		if (lb_parse_addr(f[0], &sp.addr, &sp.alen) < 0) {
			snprintf(err, errlen, "line %zu: %.64s: not a numeric ADDR:PORT",
			    lineno, f[0]);
			goto fail;
		}
		if (nf == 2 && parse_weight(f[1], &sp.weight) < 0) {
			snprintf(err, errlen, "line %zu: %.64s: weight must be 1 to %d",
			    lineno, f[1], LB_MAX_WEIGHT);
			goto fail;
		}
		for (i = 0; i < nv; i++)
			if (lb_addr_eq((struct sockaddr *)&v[i].addr,
			    (struct sockaddr *)&sp.addr)) {
				snprintf(err, errlen, "line %zu: %.64s: duplicate backend",
				    lineno, f[0]);
				goto fail;
			}
		if (nv == LB_MAX_BACKENDS) {
			snprintf(err, errlen, "line %zu: more than %d backends",
			    lineno, LB_MAX_BACKENDS);
			goto fail;
		}
		if (nv == cap) {
			struct lb_spec *nvp;

			cap = cap ? cap * 2 : 8;
			nvp = realloc(v, cap * sizeof(*v));
			if (nvp == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nvp;
		}
		v[nv++] = sp;
	}
	*out = v;
	*n = nv;
	return 0;
fail:
	free(v);
	errno = EINVAL;
	return -1;
}

/* The backends file at path, parsed; its stat in *st for change checks. */
int
lb_read_backends(const char *path, struct lb_spec **out, size_t *n,
    struct stat *st, char *err, size_t errlen)
{
	char *text = NULL, perr[160];
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			char *t;

			if (cap >= (1 << 22)) {
				snprintf(err, errlen, "%s: larger than 4 MiB", path);
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			if ((t = realloc(text, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			text = t;
		}
		r = read(fd, text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (lb_parse_backends(text, len, out, n, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "%s: %s", path, perr);
		free(text);
		errno = EINVAL;
		return -1;
	}
	free(text);
	return 0;
fail:
	close(fd);
	free(text);
	return -1;
}
