/* SPDX-License-Identifier: ISC */
/* Fuzz target: the tar reader over arbitrary bytes, every entry's data read
 * (copied, or lent for every other entry). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "tar.h"

struct mem {
	const uint8_t *p;
	size_t len, off;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;

	/* Short reads of a few bytes test the reader's refill loops. */
	if (len > 700)
		len = 700;
	if (len > m->len - m->off)
		len = m->len - m->off;
	memcpy(buf, m->p + m->off, len);
	m->off += len;
	return (ssize_t)len;
}

static ssize_t
mem_lend(void *ctx, const void **p, size_t len)
{
	struct mem *m = ctx;

	if (len > 900)
		len = 900;
	if (len > m->len - m->off)
		len = m->len - m->off;
	*p = m->p + m->off;
	m->off += len;
	return (ssize_t)len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, size, 0 };
	struct tar t;
	struct tar_entry *e;
	char err[256], buf[1024];
	int n = 0;

	tar_init(&t, mem_read, &m);
	t.lend = mem_lend;
	while (n++ < 10000 && tar_next(&t, &e, err, sizeof(err)) == 1) {
		size_t i;

		if (e->path == NULL || e->link == NULL)
			__builtin_trap();
		for (i = 0; i < e->nxattrs; i++)
			if (strlen(e->xattrs[i].name) == 0)
				__builtin_trap();
		if (n % 2) {
			const void *p;
			ssize_t k;

			while ((k = tar_lend(&t, &p, sizeof(buf))) > 0)
				memcpy(buf, p, (size_t)k);
		} else
			while (tar_read(&t, buf, sizeof(buf)) > 0)
				;
	}
	tar_free(&t);
	return 0;
}
