/* SPDX-License-Identifier: ISC */
/* lbpump.c: one direction of a proxied TCP connection: recv/send through a
 * buffer for short exchanges, splice() through a pipe for bulk, half-close,
 * and what a replay on another backend needs. */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb.h"

#define LB_PIPESZ 65536		/* what a pipe holds (the kernel's default) */
#define LB_POOLMAX 64		/* empty pipes kept for reuse */
#define LB_BUFPOOLMAX 512	/* buffers kept: malloc would hand them back to
				 * the kernel (madvise) and fault them in again */

static int pool[LB_POOLMAX][2];
static size_t npool;

void
lb_dir_init(struct lb_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->pr = d->pw = -1;
}

static char *bufpool[LB_BUFPOOLMAX];
static size_t nbufpool;

static char *
buf_get(void)
{
	return nbufpool > 0 ? bufpool[--nbufpool] : malloc(LB_BUFSZ);
}

static void
buf_put(char *b)
{
	if (b != NULL && nbufpool < LB_BUFPOOLMAX)
		bufpool[nbufpool++] = b;
	else
		free(b);
}

void
lb_dir_save_stop(struct lb_dir *d)
{
	d->saving = 0;
	buf_put(d->save);
	d->save = NULL;
	d->savelen = 0;
}

static int
pipe_get(struct lb_dir *d)
{
	int p[2];

	if (npool > 0) {
		npool--;
		d->pr = pool[npool][0];
		d->pw = pool[npool][1];
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	d->pr = p[0];
	d->pw = p[1];
	return 0;
}

void
lb_dir_free(struct lb_dir *d)
{
	if (d->pr >= 0) {
		if (d->n == 0 && npool < LB_POOLMAX) {
			pool[npool][0] = d->pr;
			pool[npool][1] = d->pw;
			npool++;
		} else {
			close(d->pr);
			close(d->pw);
		}
	}
	d->pr = d->pw = -1;
	lb_dir_save_stop(d);
	buf_put(d->buf);
	d->buf = NULL;
}

/*
 * Move bytes from src to dst until one side would block. Short exchanges
 * go through a buffer with recv/send; a direction that fills the buffer is
 * a bulk transfer and moves to a pipe and splice(), which copies nothing.
 * A short recv means the socket is drained (epoll's edge fires again for
 * anything arriving later), unless a hangup or error is pending (hup
 * LB_HUP_MAYBE: read on to learn which); when it is the peer's FIN and no
 * error (LB_HUP_FIN), the next recv would return 0, so it is not made.
 * Returns the bytes moved, or -1 when the connection is broken.
 */
ssize_t
lb_dir_pump(struct lb_dir *d, int src, int dst, int hup, int othershut,
    int splice_ok, int *errfd)
{
	ssize_t r, moved = 0;
	size_t want;
	int did, rblocked = 0, wblocked = 0;

	do {
		did = 0;
		if (d->n > 0 && !wblocked) {
			if (d->pr >= 0)
				r = splice(d->pr, NULL, dst, NULL, d->n,
				    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			else
				r = send(dst, d->buf + d->off, d->n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0 && d->saving) {
				if (d->save == NULL)
					d->save = buf_get();
				if (d->save == NULL || d->savelen + (size_t)r > LB_BUFSZ)
					lb_dir_save_stop(d);
				else {
					memcpy(d->save + d->savelen, d->buf + d->off, (size_t)r);
					d->savelen += (size_t)r;
				}
			}
			if (r > 0) {
				if (d->pr < 0 && (size_t)r < d->n)
					wblocked = 1;
				d->n -= (size_t)r;
				d->off = d->n ? d->off + (size_t)r : 0;
				moved += r;
				did = 1;
			} else if (r < 0 && errno == EAGAIN)
				wblocked = 1;
			else if (r < 0 && errno != EINTR) {
				*errfd = dst;
				return -1;
			}
		}
		if (d->pr < 0 && d->bulk && d->n == 0 && pipe_get(d) == 0) {
			lb_dir_save_stop(d);
			buf_put(d->buf);
			d->buf = NULL;
		}
		if (d->eof || rblocked)
			continue;
		if (d->pr >= 0) {
			if (d->n >= LB_PIPESZ)
				continue;
			r = splice(src, NULL, d->pw, NULL, LB_PIPESZ - d->n,
			    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			want = 0;
		} else {
			if (d->off > 0 || d->n >= LB_BUFSZ)
				continue;
			if (d->buf == NULL) {
				d->buf = buf_get();
				if (d->buf == NULL)
					return -1;
			}
			want = LB_BUFSZ - d->n;
			r = recv(src, d->buf + d->n, want, MSG_DONTWAIT);
		}
		if (r > 0) {
			d->n += (size_t)r;
			d->got += (unsigned long long)r;
			did = 1;
			if (want && (size_t)r == want)
				d->bulk = splice_ok;
			else if (want && hup == LB_HUP_FIN)
				d->eof = 1;	/* all that precedes the FIN is read */
			else if (want && !hup)
				rblocked = 1;
		} else if (r == 0) {
			d->eof = 1;
			did = 1;
		} else if (errno == EAGAIN)
			rblocked = 1;
		else if (errno != EINTR) {
			*errfd = src;
			return -1;
		}
	} while (did);
	if (d->eof && d->n == 0 && !d->shut && !(d->holdfin && d->got == 0)) {
		/* Half-close: pass the FIN on and keep the other way open.
		 * When the other way is closed already, close() does it. */
		if (!othershut)
			shutdown(dst, SHUT_WR);
		d->shut = 1;
	}
	return moved;
}

/* After a reset by a backend that answered nothing: put what it was sent
 * back in front of what is still to send, to send it all to the next one. */
int
lb_dir_rewind(struct lb_dir *d)
{
	char *nb;

	if (d->pr >= 0 || !d->saving) {
		errno = EINVAL;
		return -1;
	}
	if ((nb = malloc(2 * LB_BUFSZ)) == NULL)
		return -1;
	if (d->savelen > 0)
		memcpy(nb, d->save, d->savelen);
	if (d->n > 0)
		memcpy(nb + d->savelen, d->buf + d->off, d->n);
	/* Up to twice LB_BUFSZ now; reads into it stay within LB_BUFSZ. */
	d->n += d->savelen;
	d->off = 0;
	buf_put(d->buf);
	d->buf = nb;
	d->shut = 0;
	lb_dir_save_stop(d);
	return 0;
}
