/* SPDX-License-Identifier: ISC */
/* lb.h: lb-proxy's library: addresses, the backends file, hashing, the
 * consistent-hash ring and PROXY protocol headers. */
#ifndef SKIFF_LB_H
#define SKIFF_LB_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define LB_MAX_WEIGHT 256
#define LB_MAX_BACKENDS 4096

/* One backend as configured: an address and a weight (1..256). */
struct lb_spec {
	struct sockaddr_storage addr;
	socklen_t alen;
	int weight;
};

/* "1.2.3.4:80", "[::1]:80": a numeric address and a port (1..65535).
 * Returns -1 with errno EINVAL for anything else. */
int lb_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* The address as lb_parse_addr reads it back, into buf (>= 64 bytes). */
const char *lb_fmt_addr(const struct sockaddr *sa, char *buf, size_t len);

/* Same family, address and port. */
int lb_addr_eq(const struct sockaddr *a, const struct sockaddr *b);

/* "ADDR:PORT[,weight=N]" as --backend takes it. */
int lb_parse_backend_arg(const char *s, struct lb_spec *out);

/*
 * A backends file: one "ADDR:PORT [weight]" (or "weight=N") a line; blank
 * lines and '#' comments ignored. On success *out is a malloc'd array of
 * *n specs (possibly zero). On failure returns -1 and err holds
 * "line N: why". Duplicate addresses are refused.
 */
int lb_parse_backends(const char *text, size_t len, struct lb_spec **out,
    size_t *n, char *err, size_t errlen);

/* Read and parse the backends file at path (at most 4 MiB); *st gets its
 * stat for change checks. On failure err holds "PATH: why". */
struct stat;
int lb_read_backends(const char *path, struct lb_spec **out, size_t *n,
    struct stat *st, char *err, size_t errlen);

/* 64-bit hash of bytes (FNV-1a with a final mix). */
uint64_t lb_hash(const void *p, size_t len, uint64_t seed);

/* The hash key of a client: its address without the port. */
uint64_t lb_hash_client(const struct sockaddr *sa);

/*
 * A consistent-hash ring: each backend index owns weight * LB_RING_POINTS
 * points. lb_ring_lookup returns the sorted position of the first point at
 * or after h; walk on with (pos + 1) % n.
 */
#define LB_RING_POINTS 64
struct lb_ring_point {
	uint64_t h;
	uint32_t idx;
};
struct lb_ring {
	struct lb_ring_point *pts;
	size_t n;
};
int lb_ring_build(struct lb_ring *r, const struct lb_spec *specs, size_t n);
size_t lb_ring_lookup(const struct lb_ring *r, uint64_t h);
void lb_ring_free(struct lb_ring *r);

/* PROXY protocol headers for a connection from src to dst (the address the
 * client connected to). Return the header length, or -1 if buf is short. */
int lb_proxy_v1(char *buf, size_t len, const struct sockaddr *src,
    const struct sockaddr *dst);
int lb_proxy_v2(unsigned char *buf, size_t len, const struct sockaddr *src,
    const struct sockaddr *dst);

/*
 * lbpump.c: one direction (src to dst) of a proxied TCP connection. Bytes
 * go through buf (recv/send) until a read fills it, then through a pipe
 * (splice). While saving, what was sent is kept (up to LB_BUFSZ) so that
 * lb_dir_rewind can queue it again for another backend.
 */
#define LB_BUFSZ 16384
struct lb_dir {
	int pr, pw;		/* the pipe, or -1 */
	size_t n;		/* bytes held */
	char *buf;
	size_t off;		/* start of the held bytes in buf */
	int eof, shut, bulk;
	int holdfin;		/* an EOF before any byte is not passed on */
	unsigned long long got;	/* bytes ever read */
	char *save;
	size_t savelen;
	int saving;
};
enum { LB_HUP_NONE, LB_HUP_MAYBE, LB_HUP_FIN };
void lb_dir_init(struct lb_dir *d);
/* Move bytes until one side would block. hup: LB_HUP_MAYBE, the source
 * has a hangup or an error pending (read to EOF or the error); LB_HUP_FIN,
 * its FIN has arrived and no error (a short read is the last). othershut:
 * the other direction is done, so skip the shutdown (the caller closes).
 * Returns bytes moved, or -1 with errno and *errfd the socket that failed. */
ssize_t lb_dir_pump(struct lb_dir *d, int src, int dst, int hup, int othershut,
    int splice_ok, int *errfd);
void lb_dir_save_stop(struct lb_dir *d);
int lb_dir_rewind(struct lb_dir *d);
void lb_dir_free(struct lb_dir *d);

#endif
