/* SPDX-License-Identifier: ISC */
/* ocistate.c: the OCI runtime's bookkeeping between its commands: one
 * directory per container under the state root, its status read from
 * /proc, the fifo and the cgroup; hooks; signal names; a pty handed over. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "jsonr.h"
#include "ocicg.h"
#include "ocispec.h"
#include "ocistate.h"
#include "util.h"

void
oci_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void
oci_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char t[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", t, ts.tv_nsec);
}

int
oci_state_path(char *buf, size_t len, const char *root, const char *id, const char *file)
{
	if (snprintf(buf, len, "%s/%s%s%s", root, id, file ? "/" : "", file ? file : "") >= (int)len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

unsigned long long
oci_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((n = read_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: fields start after the
	 * last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (i = 3; i < 22 && p; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p)
		v = strtoull(p, NULL, 10);
	return v;
}

/* Written to a temporary file and renamed: a reader never sees half. */
int
oci_state_write(const char *root, const struct oci_state *s)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	if (oci_state_path(path, sizeof(path), root, s->id, "state.json") < 0 ||
	    oci_state_path(tmp, sizeof(tmp), root, s->id, "state.json.tmp") < 0 ||
	    (f = fopen(tmp, "we")) == NULL)
		return -1;
	fprintf(f, "{\"id\":");
	oci_json_str(f, s->id);
	fprintf(f, ",\"pid\":%d,\"start\":%llu,\"tty\":%d,\"bundle\":", (int)s->pid, s->start, s->tty);
	oci_json_str(f, s->bundle);
	fputs(",\"rootfs\":", f);
	oci_json_str(f, s->rootfs);
	fputs(",\"cgroup\":", f);
	oci_json_str(f, s->cgroup);
	fputs(",\"created\":", f);
	oci_json_str(f, s->created);
	fputs("}\n", f);
	if (fflush(f) != 0) {
		fclose(f);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return -1;
	return 0;
}

int
oci_state_read(const char *root, const char *id, struct oci_state *s)
{
	char path[PATH_MAX], buf[16384], err[128];
	const struct jr_val *v;
	struct jr_val *j;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	if (oci_state_path(path, sizeof(path), root, id, "state.json") < 0)
		return -1;
	if ((n = read_file_at(AT_FDCWD, path, buf, sizeof(buf))) < 0)
		return -1;
	if ((j = jr_parse(buf, (size_t)n, err, sizeof(err))) == NULL) {
		errno = EINVAL;
		return -1;
	}
#define STR(name, field) \
	if ((v = jr_get(j, name)) != NULL && v->type == JR_STR) \
		snprintf(s->field, sizeof(s->field), "%s", v->str);
	STR("id", id)
	STR("bundle", bundle)
	STR("rootfs", rootfs)
	STR("cgroup", cgroup)
	STR("created", created)
#undef STR
	if ((v = jr_get(j, "pid")) != NULL && v->type == JR_NUM)
		s->pid = (pid_t)atoi(v->str);
	if ((v = jr_get(j, "start")) != NULL && v->type == JR_NUM)
		s->start = strtoull(v->str, NULL, 10);
	if ((v = jr_get(j, "tty")) != NULL && v->type == JR_NUM)
		s->tty = atoi(v->str);
	jr_free(j);
	return 0;
}

/* Alive means the same process: its start time guards against pid reuse. */
int
oci_state_alive(const struct oci_state *s)
{
	return s->pid > 0 && oci_proc_start(s->pid) == s->start;
}

const char *
oci_state_status(const char *root, const struct oci_state *s)
{
	char fifo[PATH_MAX];

	if (!oci_state_alive(s))
		return "stopped";
	if (oci_state_path(fifo, sizeof(fifo), root, s->id, "exec.fifo") == 0 &&
	    access(fifo, F_OK) == 0)
		return "created";
	if (s->cgroup[0] && ocicg_frozen(s->cgroup))
		return "paused";
	return "running";
}

void
oci_state_print(FILE *f, const char *root, const struct oci_state *s)
{
	const char *st = oci_state_status(root, s);

	fputs("{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": ", f);
	oci_json_str(f, s->id);
	fprintf(f, ",\n  \"pid\": %d,\n  \"status\": \"%s\",\n  \"bundle\": ",
	    strcmp(st, "stopped") == 0 ? 0 : (int)s->pid, st);
	oci_json_str(f, s->bundle);
	fputs(",\n  \"rootfs\": ", f);
	oci_json_str(f, s->rootfs);
	fputs(",\n  \"created\": ", f);
	oci_json_str(f, s->created);
	fputs(",\n  \"owner\": \"\"\n}\n", f);
}

void
oci_state_remove(const char *root, const char *id)
{
	static const char *const files[] = { "exec.fifo", "state.json", "state.json.tmp" };
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < LEN(files); i++)
		if (oci_state_path(path, sizeof(path), root, id, files[i]) == 0)
			unlink(path);
	if (oci_state_path(path, sizeof(path), root, id, NULL) == 0)
		rmdir(path);
}

int
oci_hooks_run(const struct oci_hook *hooks, size_t n, const char *state, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct oci_hook *h = &hooks[i];
		char *argv0[] = { h->path, NULL };
		int p[2], st, waited = 0;
		size_t len = strlen(state);
		void (*old)(int);
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
			snprintf(err, errlen, "hook %s: %s", h->path, strerror(errno));
			return -1;
		}
		if (pid == 0) {
			dup2(p[0], 0);
			execve(h->path, h->args[0] ? h->args : argv0, h->env);
			_exit(127);
		}
		close(p[0]);
		/* A hook that does not read its stdin must not kill us. */
		old = signal(SIGPIPE, SIG_IGN);
		(void)!write(p[1], state, len);
		close(p[1]);
		signal(SIGPIPE, old);
		while (waitpid(pid, &st, h->timeout ? WNOHANG : 0) == 0) {
			if (++waited > h->timeout * 100) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				snprintf(err, errlen, "hook %s: timed out after %d s", h->path, h->timeout);
				errno = ETIMEDOUT;
				return -1;
			}
			usleep(10000);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			snprintf(err, errlen, "hook %s: failed (%s %d)", h->path,
			    WIFEXITED(st) ? "exit" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

int
oci_signum(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
		{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
		{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
		{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
		{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
		{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
		{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
		{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
	};
	long long v;
	size_t i;

	if (parse_num(s, 1, NSIG - 1, &v) == 0)
		return (int)v;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < LEN(sigs); i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	errno = EINVAL;
	return -1;
}

int
oci_send_fd(const char *path, int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))], name[] = "/dev/ptmx";
	struct iovec iov = { name, sizeof(name) - 1 };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int s, saved;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(s, &mh, 0) < 0)
		goto fail;
	close(s);
	return 0;
fail:
	saved = errno;
	close(s);
	errno = saved;
	return -1;
}
