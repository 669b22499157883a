/* SPDX-License-Identifier: ISC */
/*
 * seccomp-gen: print Docker's default seccomp filter for Docker's default
 * capabilities as a C array of BPF instructions, for ns-run to load
 * without building it at every start. Run at build time, on the machine
 * (architecture) the binaries are for.
 *
 * libseccomp decides what the filter does; this program only lays it out
 * shorter. libseccomp's filter tests one syscall number at a time (about
 * 400 instructions); the kernel's cost of loading a filter (checking,
 * translating and compiling it) grows with its length, and ns-run pays
 * it on every start. The numbers form about 70 runs of equal outcome, so
 * a binary search over the runs does the same in about 100 instructions
 * (the comparisons jump straight to a shared "return"), with the argument
 * checks (clone, personality, socket) copied from libseccomp's filter as
 * they are. The result is checked against
 * libseccomp's filter by running both, here, on every number that matters
 * and on the argument values each check compares with; if anything
 * differs, libseccomp's filter is printed instead.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAXINS 4096
#define OFF_NR 0
#define OFF_ARCH 4
#define OFF_ARGS 16		/* args[6], 64 bits each */
#define NDATA 16		/* 32-bit words of struct seccomp_data */

struct prog {
	struct sock_filter f[MAXINS];
	size_t n;
};

static struct prog ref, out;

/* Run p on the words of a struct seccomp_data. Returns 0 and the return
 * value, and in *argpc the first instruction that read an argument (or
 * -1); -1 on anything this emulator does not know. */
static int
run(const struct prog *p, const uint32_t *data, uint32_t *ret, long *argpc)
{
	uint32_t a = 0, t;
	size_t pc = 0, steps = 0;

	*argpc = -1;
	while (pc < p->n && steps++ < MAXINS) {
		const struct sock_filter *i = &p->f[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 != 0 || i->k / 4 >= NDATA)
				return -1;
			if (i->k >= OFF_ARGS && *argpc < 0)
				*argpc = (long)pc;
			a = data[i->k / 4];
			pc++;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			pc++;
			break;
		case BPF_JMP | BPF_JA:
			pc += 1 + i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
		case BPF_JMP | BPF_JGT | BPF_K:
		case BPF_JMP | BPF_JGE | BPF_K:
		case BPF_JMP | BPF_JSET | BPF_K:
			switch (BPF_OP(i->code)) {
			case BPF_JEQ: t = a == i->k; break;
			case BPF_JGT: t = a > i->k; break;
			case BPF_JGE: t = a >= i->k; break;
			default: t = (a & i->k) != 0; break;
			}
			pc += 1 + (t ? i->jt : i->jf);
			break;
		case BPF_RET | BPF_K:
			*ret = i->k;
			return 0;
		default:
			return -1;
		}
	}
	return -1;
}

static int
run_nr(const struct prog *p, uint32_t arch, uint32_t nr, const uint32_t *args,
    uint32_t *ret, long *argpc)
{
	uint32_t data[NDATA] = { 0 };

	data[OFF_NR / 4] = nr;
	data[OFF_ARCH / 4] = arch;
	if (args)
		memcpy(data + OFF_ARGS / 4, args, 12 * sizeof(uint32_t));
	return run(p, data, ret, argpc);
}

static int
emit(struct sock_filter ins)
{
	if (out.n == MAXINS)
		return -1;
	out.f[out.n++] = ins;
	return 0;
}

/* ---- the runs of syscall numbers ----------------------------------- */

struct run {
	uint32_t start;		/* first number of the run */
	uint32_t ret;		/* what every number in it gets, or */
	long argpc;		/* where libseccomp's argument check starts */
	size_t sublen;		/* that check's length, copied */
};

static struct run runs[1024];
static size_t nruns;

/* Every number where libseccomp's filter may change its mind: a run ends
 * before each of these. */
static uint32_t cuts[MAXINS * 2 + 1];
static size_t ncuts;

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
add_cut(uint64_t v)
{
	if (v <= UINT32_MAX && ncuts < LEN(cuts))
		cuts[ncuts++] = (uint32_t)v;
}

/* The instructions reachable from pc: an argument check, which must not
 * look at the number or the architecture again. Marks them in keep[]. */
static int
reach(size_t pc, char *keep)
{
	const struct sock_filter *i;

	for (; pc < ref.n; ) {
		if (keep[pc])
			return 0;
		keep[pc] = 1;
		i = &ref.f[pc];
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (i->code != (BPF_LD | BPF_W | BPF_ABS) || i->k < OFF_ARGS)
				return -1;
			pc++;
			break;
		case BPF_ALU:
			if (i->code != (BPF_ALU | BPF_AND | BPF_K))
				return -1;
			pc++;
			break;
		case BPF_RET:
			return 0;
		case BPF_JMP:
			if (BPF_OP(i->code) == BPF_JA) {
				pc += 1 + i->k;
				break;
			}
			if (reach(pc + 1 + i->jt, keep) < 0)
				return -1;
			pc += 1 + i->jf;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* Copy libseccomp's argument check starting at pc, jumps moved. */
static int
copy_check(size_t pc, size_t *len)
{
	static char keep[MAXINS];
	static size_t at[MAXINS];
	size_t i, base = out.n, n = 0;

	memset(keep, 0, sizeof(keep));
	if (reach(pc, keep) < 0)
		return -1;
	for (i = pc; i < ref.n; i++)
		if (keep[i])
			at[i] = base + n++;
	for (i = pc; i < ref.n; i++) {
		struct sock_filter ins;

		if (!keep[i])
			continue;
		ins = ref.f[i];
		if (BPF_CLASS(ins.code) == BPF_JMP) {
			if (BPF_OP(ins.code) == BPF_JA) {
				ins.k = (uint32_t)(at[i + 1 + ref.f[i].k] - at[i] - 1);
			} else {
				size_t t = at[i + 1 + ins.jt] - at[i] - 1;
				size_t f = at[i + 1 + ins.jf] - at[i] - 1;

				if (t > 255 || f > 255)
					return -1;
				ins.jt = (uint8_t)t;
				ins.jf = (uint8_t)f;
			}
		}
		if (emit(ins) < 0)
			return -1;
	}
	*len = n;
	return 0;
}

/* The length of the search over runs[lo, hi). */
static size_t
tree_len(size_t lo, size_t hi)
{
	size_t mid, left;

	if (hi - lo == 1)
		return runs[lo].argpc >= 0 ? runs[lo].sublen : 1;
	mid = lo + (hi - lo) / 2;
	left = tree_len(lo, mid);
	return 1 + (left > 255 ? 1 : 0) + left + tree_len(mid, hi);
}

/* Binary search: "number >= start of the right half" jumps over the
 * left half; a leaf returns its run's outcome or does its check. */
static int
tree(size_t lo, size_t hi)
{
	size_t mid, left, len;

	if (hi - lo == 1) {
		if (runs[lo].argpc >= 0)
			return copy_check((size_t)runs[lo].argpc, &len);
		return emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, runs[lo].ret));
	}
	mid = lo + (hi - lo) / 2;
	left = tree_len(lo, mid);
	if (left > 255) {
		if (emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
		    runs[mid].start, 0, 1)) < 0 ||
		    emit((struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)left)) < 0)
			return -1;
	} else if (emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    runs[mid].start, (uint8_t)left, 0)) < 0)
		return -1;
	if (tree(lo, mid) < 0)
		return -1;
	return tree(mid, hi);
}

/*
 * The same search with the outcomes shared: a run that only returns a
 * value gets no instruction of its own; the comparison above it jumps to
 * one "return" per distinct value at the end (about 70 instructions
 * fewer). Conditional jumps reach 255 instructions ahead at most, so this
 * fails (and tree() is used) when the filter is longer than that.
 */
static uint32_t shared[8];	/* the distinct values returned */
static size_t nshared;
static int jt_ret[MAXINS], jf_ret[MAXINS];	/* a jump to shared[i], or -1 */

static int
leaf_value(size_t i)
{
	size_t k;

	if (runs[i].argpc >= 0)
		return -1;
	for (k = 0; k < nshared; k++)
		if (shared[k] == runs[i].ret)
			return (int)k;
	if (nshared == LEN(shared))
		return -2;
	shared[nshared] = runs[i].ret;
	return (int)nshared++;
}

static int
tree_shared(size_t lo, size_t hi)
{
	size_t mid, at, len;
	int l, r;

	if (hi - lo == 1) {
		if (runs[lo].argpc >= 0)
			return copy_check((size_t)runs[lo].argpc, &len);
		return emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, runs[lo].ret));
	}
	mid = lo + (hi - lo) / 2;
	l = mid - lo == 1 ? leaf_value(lo) : -1;
	r = hi - mid == 1 ? leaf_value(mid) : -1;
	if (l == -2 || r == -2)
		return -1;
	at = out.n;
	jt_ret[at] = r;
	jf_ret[at] = l;
	if (emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
	    runs[mid].start, 0, 0)) < 0)
		return -1;
	if (l < 0 && tree_shared(lo, mid) < 0)
		return -1;
	if (r < 0) {
		if (out.n - at - 1 > 255)
			return -1;
		out.f[at].jt = (uint8_t)(out.n - at - 1);
		return tree_shared(mid, hi);
	}
	return 0;
}

/* tree_shared(0, nruns) from out.n = start, then the shared returns. */
static int
search_shared(size_t start)
{
	size_t i, k, end;

	nshared = 0;
	for (i = 0; i < MAXINS; i++)
		jt_ret[i] = jf_ret[i] = -1;
	if (tree_shared(0, nruns) < 0)
		return -1;
	end = out.n;
	for (k = 0; k < nshared; k++)
		if (emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, shared[k])) < 0)
			return -1;
	for (i = start; i < end; i++) {
		if (jt_ret[i] >= 0) {
			if (end + (size_t)jt_ret[i] - i - 1 > 255)
				return -1;
			out.f[i].jt = (uint8_t)(end + (size_t)jt_ret[i] - i - 1);
		}
		if (jf_ret[i] >= 0) {
			if (end + (size_t)jf_ret[i] - i - 1 > 255)
				return -1;
			out.f[i].jf = (uint8_t)(end + (size_t)jf_ret[i] - i - 1);
		}
	}
	return 0;
}

/* ---- building and checking ----------------------------------------- */

static const uint32_t other_arches[] = {
	0, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM,
	AUDIT_ARCH_X86_64 ^ 1, UINT32_MAX,
};

static int
shorten(void)
{
	uint32_t r, badarch = 0, nr;
	long argpc;
	size_t i, k, len;
	char keep[MAXINS];

#if !defined(__x86_64__)
	return -1;	/* laid out for x86_64's single native architecture */
#endif
	/* Any other architecture gets one outcome, whatever the number. */
	for (i = 0; i < LEN(other_arches); i++)
		for (nr = 0; nr < 4; nr++) {
			if (run_nr(&ref, other_arches[i], nr, NULL, &r, &argpc) < 0 ||
			    argpc >= 0 || (i > 0 && r != badarch))
				return -1;
			badarch = r;
		}
	add_cut(0);
	for (i = 0; i < ref.n; i++) {
		const struct sock_filter *f = &ref.f[i];

		switch (f->code) {
		case BPF_JMP | BPF_JEQ | BPF_K:
			add_cut(f->k);
			add_cut((uint64_t)f->k + 1);
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			add_cut((uint64_t)f->k + 1);
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			add_cut(f->k);
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			/* a bit test on the number would break the runs; it
			 * is fine in an argument check (checked below) */
			break;
		}
	}
	qsort(cuts, ncuts, sizeof(cuts[0]), cmp_u32);
	for (i = 0; i < ncuts; i++) {
		if (i > 0 && cuts[i] == cuts[i - 1])
			continue;
		if (run_nr(&ref, AUDIT_ARCH_X86_64, cuts[i], NULL, &r, &argpc) < 0)
			return -1;
		if (nruns > 0 && argpc < 0 && runs[nruns - 1].argpc < 0 &&
		    runs[nruns - 1].ret == r)
			continue;
		if (nruns == LEN(runs))
			return -1;
		runs[nruns].start = cuts[i];
		runs[nruns].ret = r;
		runs[nruns].argpc = argpc;
		runs[nruns].sublen = 0;
		if (argpc >= 0) {
			memset(keep, 0, sizeof(keep));
			if (reach((size_t)argpc, keep) < 0)
				return -1;
			for (k = 0; k < ref.n; k++)
				runs[nruns].sublen += keep[k] != 0;
		}
		nruns++;
	}
	/* arch; number; the search */
	if (emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_ARCH)) < 0 ||
	    emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	    AUDIT_ARCH_X86_64, 1, 0)) < 0 ||
	    emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, badarch)) < 0 ||
	    emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, OFF_NR)) < 0)
		return -1;
	len = out.n;
	if (search_shared(len) == 0 && out.n <= BPF_MAXINSNS)
		return 0;
	out.n = len;
	if (tree(0, nruns) < 0 || out.n - len != tree_len(0, nruns) || out.n > BPF_MAXINSNS)
		return -1;
	return 0;
}

/* Values an argument check may tell apart: each constant it compares
 * with, and its neighbours. */
static uint32_t vals[256];
static size_t nvals;

static void
add_val(uint64_t v)
{
	size_t i;

	if (v > UINT32_MAX || nvals == LEN(vals))
		return;
	for (i = 0; i < nvals; i++)
		if (vals[i] == v)
			return;
	vals[nvals++] = (uint32_t)v;
}

/* Both filters agree on every architecture, on the first and last
 * number of every run and its neighbours, on every number below 2048,
 * and, where the arguments matter, on every combination of the values
 * above in the argument words the check reads. */
static int
same(void)
{
	uint32_t r1, r2, nr, args[12], w[12];
	long p1, p2;
	size_t i, a, b, c, d;
	int used[12] = { 0 };
	static char keep[MAXINS];

	for (i = 0; i < LEN(other_arches); i++)
		for (nr = 0; nr < 2048; nr += 7)
			if (run_nr(&ref, other_arches[i], nr, NULL, &r1, &p1) < 0 ||
			    run_nr(&out, other_arches[i], nr, NULL, &r2, &p2) < 0 || r1 != r2)
				return -1;
	memset(keep, 0, sizeof(keep));
	for (i = 0; i < nruns; i++)
		if (runs[i].argpc >= 0 && reach((size_t)runs[i].argpc, keep) < 0)
			return -1;
	for (i = 0; i < ref.n; i++) {
		const struct sock_filter *f = &ref.f[i];

		if (!keep[i])
			continue;
		if (BPF_CLASS(f->code) == BPF_JMP && BPF_OP(f->code) != BPF_JA) {
			add_val(f->k);
			add_val((uint64_t)f->k + 1);
			if (f->k > 0)
				add_val(f->k - 1);
		}
		if (f->code == (BPF_LD | BPF_W | BPF_ABS) && f->k >= OFF_ARGS &&
		    f->k < OFF_ARGS + 48)
			used[(f->k - OFF_ARGS) / 4] = 1;
	}
	if (nvals + 3 > LEN(vals))
		return -1;
	add_val(0);
	add_val(UINT32_MAX);
	add_val(0x80000000);
	for (i = 0; i < 2048 + 3 * nruns; i++) {
		if (i < 2048)
			nr = (uint32_t)i;
		else {
			const struct run *rn = &runs[(i - 2048) / 3];

			nr = rn->start + (uint32_t)((i - 2048) % 3) - 1;
		}
		memset(args, 0, sizeof(args));
		if (run_nr(&ref, AUDIT_ARCH_X86_64, nr, args, &r1, &p1) < 0 ||
		    run_nr(&out, AUDIT_ARCH_X86_64, nr, args, &r2, &p2) < 0 || r1 != r2)
			return -1;
		if (p1 < 0)
			continue;
		/* Up to three argument words read: every combination. */
		for (a = 0, c = 0; a < 12; a++)
			if (used[a] && c < 3)
				w[c++] = (uint32_t)a;
		if (c == 0)
			return -1;
		for (a = 0; a < nvals; a++)
			for (b = 0; b < (c > 1 ? nvals : 1); b++)
				for (d = 0; d < (c > 2 ? nvals : 1); d++) {
					memset(args, 0, sizeof(args));
					args[w[0]] = vals[a];
					if (c > 1)
						args[w[1]] = vals[b];
					if (c > 2)
						args[w[2]] = vals[d];
					if (run_nr(&ref, AUDIT_ARCH_X86_64, nr, args, &r1, &p1) < 0 ||
					    run_nr(&out, AUDIT_ARCH_X86_64, nr, args, &r2, &p2) < 0 ||
					    r1 != r2)
						return -1;
				}
	}
	return 0;
}

int
main(void)
{
	char path[] = "/tmp/seccomp-gen.XXXXXX";
	const struct prog *p = &ref;
	FILE *f;
	size_t i;
	int fd;

	if ((fd = mkstemp(path)) < 0 || unlink(path) < 0) {
		perror("seccomp-gen: temporary file");
		return 1;
	}
	if (seccomp_export_default(fd) < 0) {
		perror("seccomp-gen: export the default filter");
		return 1;
	}
	lseek(fd, 0, SEEK_SET);
	if ((f = fdopen(fd, "r")) == NULL)
		return 1;
	while (ref.n < MAXINS && fread(&ref.f[ref.n], sizeof(ref.f[0]), 1, f) == 1)
		ref.n++;
	if (ferror(f) || ref.n == 0 || ref.n == MAXINS) {
		fprintf(stderr, "seccomp-gen: read the exported filter\n");
		return 1;
	}
	fclose(f);
	if (shorten() == 0 && same() == 0)
		p = &out;
	else
		fprintf(stderr, "seccomp-gen: warning: could not shorten libseccomp's "
		    "filter; using it as it is (%zu instructions)\n", ref.n);
	printf("/* Generated by contrib/seccomp-gen.c at build time: do not edit.\n"
	    " * %zu instructions (libseccomp's own: %zu). */\n", p->n, ref.n);
	printf("static const struct sock_filter seccomp_default_filter[] = {\n");
	for (i = 0; i < p->n; i++)
		printf("\t{ 0x%04x, %u, %u, 0x%08x },\n", p->f[i].code, p->f[i].jt,
		    p->f[i].jf, p->f[i].k);
	printf("};\n");
	return ferror(stdout) ? 1 : 0;
}
