/* SPDX-License-Identifier: ISC */
/* util.h: the small library every skiff command links against. */
#ifndef SKIFF_UTIL_H
#define SKIFF_UTIL_H

#include <sys/types.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#define SKIFF_VERSION "0.1.0"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes of a chain-loader (DESIGN.md): its own failure, exec failure,
 * program not found. One-shot commands and servers use 0, 1 and 2. */
enum {
	EXIT_SETUP = 125,
	EXIT_NOEXEC = 126,
	EXIT_NOTFOUND = 127,
	EXIT_USAGE = 2,
};

/*
 * err.c: the one place that writes diagnostics and exits. Only cmd/ calls
 * these; everything else in lib/ returns -1 with errno set.
 * A format ending in ':' gets ": strerror(errno)" appended.
 */
extern const char *progname;
void setprogname(const char *argv0);
void die(int code, const char *fmt, ...)
    __attribute__((__noreturn__, __format__(printf, 2, 3)));
void warn(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
void vwarn(const char *fmt, va_list ap);
size_t verrfmt(char *buf, size_t len, const char *fmt, va_list ap);
noreturn void xexecvp(char *const argv[]);
void die_badopt(int code, int c, char *const argv[]) __attribute__((__noreturn__));

/* exec.c: the exit status a chain-loader reports for a failed exec. */
int exec_status(int err);

/*
 * opt.c: one option table per command; getopt_long's tables and --help text
 * are generated from it. Parsing stops at the first operand ("+").
 */
struct optspec {
	const char *name;	/* long name, without "--" */
	int has_arg;		/* no_argument, required_argument, optional_argument */
	int val;		/* the short letter, or a code above 255 */
	const char *argname;	/* "DIR", shown in --help */
	const char *help;
};
enum { OPT_HELP = 0x1000, OPT_VERSION };
int optspec_getopt(int argc, char *const argv[], const struct optspec *spec);
char *optspec_help(const char *usage, const struct optspec *spec);

/* num.c: numbers with ranges, sizes in docker's units, durations. */
int parse_num(const char *s, long long min, long long max, long long *out);
int parse_size(const char *s, uint64_t *out);
int parse_duration_ms(const char *s, uint64_t *out);

/*
 * path.c: paths from an image or a user, resolved beneath a root directory
 * fd without ever leaving it. Symlinks are followed as if the root were "/".
 * openat2(RESOLVE_IN_ROOT) where the kernel has it, a careful walk otherwise.
 */
int open_beneath(int rootfd, const char *path, int flags, mode_t mode);
int mkdir_beneath(int rootfd, const char *path, mode_t mode);
int mkfile_beneath(int rootfd, const char *path, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int fdpath(int fd, char *buf, size_t len);

/* clock.c: milliseconds of the monotonic clock, for timeouts. */
uint64_t mono_ms(void);

/* fd.c: descriptor hygiene before exec. */
int close_fds_except(const int *keep, size_t nkeep);
int write_file_at(int dirfd, const char *path, const char *data);
ssize_t read_file_at(int dirfd, const char *path, char *buf, size_t len);

/* caps.c: capability names, Docker's default set, applying a set. */
int cap_from_name(const char *name);
const char *cap_name(int cap);
int cap_last(void);
uint64_t cap_docker_default(void);
uint64_t cap_all(void);
int cap_parse(const char *s, uint64_t *mask);
int cap_drop_bounding(uint64_t keep);
int cap_set(uint64_t keep);

/* seccomp.c: Docker's default filter (for a process holding caps), and
 * filters read from a file (see ns-run(1)); err gets "line N: why". */
int seccomp_load_default(uint64_t caps);
int seccomp_export_default(int fd);
struct seccomp_rules;
struct seccomp_rules *seccomp_parse_file(const char *path, char *err, size_t errlen);
int seccomp_load_rules(const struct seccomp_rules *sr);

#endif
