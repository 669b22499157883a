/* SPDX-License-Identifier: ISC */
/* err.c: "cmd: what: why" diagnostics and the dying exec, for cmd/ only. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

const char *progname = "skiff";

void
setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p ? p + 1 : argv0;
}

/*
 * A message into buf: fmt with its arguments, and ": strerror(errno)" when
 * fmt ends in ':'. Never prints: lib/ code that returns its errors as text
 * (rootfs.c, the OCI runtime's log) builds them here too. Keeps errno.
 */
size_t
verrfmt(char *buf, size_t len, const char *fmt, va_list ap)
{
	int saved = errno, k;
	size_t n, flen = strlen(fmt);

	if (len == 0)
		return 0;
	k = vsnprintf(buf, len, fmt, ap);
	n = k > 0 ? (size_t)k : 0;
	if (n >= len)
		n = len - 1;
	if (flen > 0 && fmt[flen - 1] == ':') {
		k = snprintf(buf + n, len - n, " %s", strerror(saved));
		if (k > 0)
			n += (size_t)k;
		if (n >= len)
			n = len - 1;
	}
	errno = saved;
	return n;
}

void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	char buf[1024];
	size_t n;
	int k;

	/* Build the line first and write it once, so that lines from the
	 * processes of one container never interleave. */
	k = snprintf(buf, sizeof(buf), "%s: ", progname);
	n = k > 0 ? (size_t)k : 0;
	n += verrfmt(buf + n, sizeof(buf) - n - 1, fmt, ap);
	buf[n++] = '\n';
	(void)!write(STDERR_FILENO, buf, n);
	errno = saved;
}

void
warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	_exit(code);
}

/* The end of every option loop: what getopt refused, as one line. c is
 * getopt's ':' (a missing argument) or '?' (an unknown option). */
void
die_badopt(int code, int c, char *const argv[])
{
	if (c == ':')
		die(code, "%s: needs an argument", argv[optind - 1]);
	if (optopt)
		die(code, "-%c: unknown option", optopt);
	die(code, "%s: unknown option", argv[optind - 1]);
}

void
xexecvp(char *const argv[])
{
	execvp(argv[0], argv);
	die(exec_status(errno), "exec %s:", argv[0]);
}
