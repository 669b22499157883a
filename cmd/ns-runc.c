/* SPDX-License-Identifier: ISC */
/* ns-runc.c: ns-run's OCI runtime front door (create, start, state,
 * kill, delete, exec, run, ...) over a bundle's config.json, so podman and
 * other OCI clients can drive it. Linked into ns-run; see ns-run(1). */
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "jsonr.h"
#include "ocicg.h"
#include "ociproc.h"
#include "ocistate.h"
#include "ocispec.h"
#include "rootfs.h"
#include "util.h"

int oci_main(int argc, char *argv[]);

static const char *rootdir = "/run/ns-run";
static const char *logfile;
static int logjson, debug;

/* A container half made by create: what fatal() takes down again. */
static const char *pending_id, *pending_cg;
static pid_t pending_pid;
static void ocicg_remove_quiet(const char *path);
static void rm_state(const char *id);

static const char oci_usage_line[] =
    "ns-runc [--debug] [--log FILE] [--log-format text|json] [--root DIR]"
    " COMMAND [OPTION...] ID";

enum {
	G_DEBUG = 0x100, G_LOG, G_LOGFMT, G_ROOT, G_SYSTEMD, G_CRIU, G_ROOTLESS,
};

static const struct optspec goptions[] = {
	{ "debug", no_argument, G_DEBUG, NULL, "log debug messages" },
	{ "log", required_argument, G_LOG, "FILE", "also write errors to FILE" },
	{ "log-format", required_argument, G_LOGFMT, "FMT", "text (default) or json" },
	{ "root", required_argument, G_ROOT, "DIR", "container state (default /run/ns-run)" },
	{ "systemd-cgroup", no_argument, G_SYSTEMD, NULL, "accepted, ignored (cgroupfs only)" },
	{ "criu", required_argument, G_CRIU, "PATH", "accepted, ignored" },
	{ "rootless", required_argument, G_ROOTLESS, "BOOL", "accepted, ignored" },
	{ NULL, 0, 0, NULL, NULL },
};

/* ---- errors and the log ------------------------------------------ */

static void
logline(const char *level, const char *msg)
{
	char ts[64];
	FILE *f;

	if (logfile == NULL || (f = fopen(logfile, "ae")) == NULL)
		return;
	oci_timestamp(ts, sizeof(ts));
	if (logjson) {
		fputs("{\"level\":", f);
		oci_json_str(f, level);
		fputs(",\"msg\":", f);
		oci_json_str(f, msg);
		fputs(",\"time\":", f);
		oci_json_str(f, ts);
		fputs("}\n", f);
	} else
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
	fclose(f);
}

/* die() that also writes the message to --log, where podman reads it. */
static noreturn void __attribute__((format(printf, 2, 3)))
fatal(int code, const char *fmt, ...)
{
	char msg[1024];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	verrfmt(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logline("error", msg);
	if (pending_pid > 0) {
		kill(pending_pid, SIGKILL);
		if (waitpid(pending_pid, NULL, 0) < 0)
			for (n = 0; n < 100 && kill(pending_pid, 0) == 0; n++)
				usleep(10000);
	}
	if (pending_cg)
		ocicg_remove_quiet(pending_cg);
	if (pending_id)
		rm_state(pending_id);
	die(code, "%s", msg);
}

static void __attribute__((format(printf, 1, 2)))
debugf(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logline("debug", msg);
}

/* ---- the state directory ------------------------------------------- */

/* The state directory's files (lib/ocistate.c); dying on failure. */
static void
state_path(char *buf, size_t len, const char *id, const char *file)
{
	if (oci_state_path(buf, len, rootdir, id, file) < 0)
		fatal(1, "%s/%s: path too long", rootdir, id);
}

static void
write_state(const struct oci_state *s)
{
	if (oci_state_write(rootdir, s) < 0)
		fatal(1, "write %s/%s/state.json:", rootdir, s->id);
}

static int
read_state(const char *id, struct oci_state *s)
{
	return oci_state_read(rootdir, id, s);
}

static int
alive(const struct oci_state *s)
{
	return oci_state_alive(s);
}

static const char *
status_of(const struct oci_state *s)
{
	return oci_state_status(rootdir, s);
}

static void
print_state(FILE *f, const struct oci_state *s)
{
	oci_state_print(f, rootdir, s);
}

static void
rm_state(const char *id)
{
	oci_state_remove(rootdir, id);
}

/* Run the hooks of one stage with the state on their stdin. */
static int
run_hooks(const struct oci_config *c, int which, const struct oci_state *s)
{
	char err[512], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (c->nhooks[which] == 0)
		return 0;
	if ((f = open_memstream(&buf, &len)) == NULL)
		return -1;
	print_state(f, s);
	fclose(f);
	r = oci_hooks_run(c->hooks[which], c->nhooks[which], buf, err, sizeof(err));
	free(buf);
	if (r < 0)
		warn("%s", err);
	return r;
}

static int
signum(const char *s)
{
	int sig = oci_signum(s);

	if (sig < 0)
		fatal(1, "signal %s: unknown", s);
	return sig;
}

static void
send_console(const char *sock, int master)
{
	if (oci_send_fd(sock, master) < 0)
		fatal(1, "--console-socket %s:", sock);
}

static void
check_id(const char *id)
{
	const char *p;

	if (id[0] == '\0' || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 200)
		fatal(1, "container id '%s': invalid", id);
	for (p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.' && *p != '+')
			fatal(1, "container id '%s': invalid character '%c'", id, *p);
}

static void
load_state(const char *id, struct oci_state *s)
{
	check_id(id);
	if (read_state(id, s) < 0) {
		if (errno == ENOENT)
			fatal(1, "container %s does not exist", id);
		fatal(1, "container %s: read state:", id);
	}
}

static void
ocicg_remove_quiet(const char *path)
{
	int saved = errno;

	ocicg_remove(path);
	errno = saved;
}

/* ---- the process inside ----------------------------------------------- */

/* Messages on the sync socket: one byte of kind, then text. */
static void
sendmsg_str(int fd, char kind, int code, const char *msg)
{
	char buf[1100];
	int n;

	n = snprintf(buf, sizeof(buf), "%c%03d%s", kind, code, msg ? msg : "");
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	(void)!write(fd, buf, (size_t)n);
}

static int syncfd = -1;
static struct sock_fprog filter;	/* linux.seccomp, compiled before start */

/* An error inside the container before it runs: to the waiting parent. */
static noreturn void __attribute__((format(printf, 2, 3)))
child_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	verrfmt(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (syncfd >= 0)
		sendmsg_str(syncfd, 'E', code, msg);
	else
		warn("%s", msg);
	_exit(code);
}

/* The last steps (lib/ociproc.c), failing through the sync socket. */
static void
find_exe(const char *arg0, char **env, char *out, size_t len)
{
	char err[1024];
	int code = oci_find_exe(arg0, env, out, len, err, sizeof(err));

	if (code != 0)
		child_fail(code, "%s", err);
}

static void
apply_rlimits(const struct oci_process *p)
{
	char err[1024];

	if (oci_proc_limits(p, err, sizeof(err)) < 0)
		child_fail(1, "%s", err);
}

static noreturn void
become(const struct oci_process *p, const struct sock_fprog *sc, const char *exe,
    int preserve, int in_userns)
{
	char err[1024];
	int code = oci_become(p, sc, exe, preserve, in_userns, err, sizeof(err));

	child_fail(code, "%s", err);
}

static void
open_pty(int *master, int *slave, char *name, size_t len, const struct oci_process *p)
{
	struct winsize ws;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0 ||
	    ptsname_r(*master, name, len) != 0)
		fatal(1, "allocate a pty:");
	if ((*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		fatal(1, "open %s:", name);
	if (p->rows && p->cols) {
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = p->rows;
		ws.ws_col = p->cols;
		ioctl(*master, TIOCSWINSZ, &ws);
	}
}

static void
take_tty(int slave)
{
	if (oci_take_tty(slave) < 0)
		child_fail(1, "make the pty the controlling terminal:");
}

/* Read one message from the sync socket; 0 on EOF. */
static ssize_t
recv_sync(int fd, char *buf, size_t len)
{
	ssize_t n;

	while ((n = read(fd, buf, len - 1)) < 0 && errno == EINTR)
		;
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

struct create_opts {
	const char *bundle, *pidfile, *console, *id;
	int preserve;
	int run;	/* run: a terminal without a socket is stdio */
};

static void
write_pidfile(const char *file, pid_t pid)
{
	char tmp[PATH_MAX], v[32];
	int fd;

	if (file == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", file, (int)getpid());
	snprintf(v, sizeof(v), "%d", (int)pid);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 ||
	    write(fd, v, strlen(v)) != (ssize_t)strlen(v) || close(fd) < 0 ||
	    rename(tmp, file) < 0)
		fatal(1, "--pid-file %s:", file);
}

static void
write_idmap(pid_t pid, const char *file, const struct oci_idmap *m, size_t n)
{
	char path[64], buf[1024];
	size_t i, off = 0;

	for (i = 0; i < n && off < sizeof(buf) - 40; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%lu %lu %lu\n",
		    m[i].container, m[i].host, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (n > 0 && write_file_at(AT_FDCWD, path, buf) < 0)
		fatal(1, "write %s:", path);
}

static int
has_ns(const struct oci_config *c, int flag, const char **path)
{
	size_t i;

	for (i = 0; i < c->nns; i++)
		if (c->ns[i].flag == flag) {
			if (path)
				*path = c->ns[i].path;
			return 1;
		}
	return 0;
}

/* The container's first process, in its new PID namespace: namespaces,
 * the root, then waiting on the fifo for start. */
static noreturn void
container(const struct oci_config *c, const struct create_opts *o, int nsfds[],
    int slave, const char *ptyname)
{
	struct rootfs_opts ro = { 0 };
	char err[1024], path[PATH_MAX], exe[PATH_MAX], buf[64], fifo[64];
	int fifofd, userns = 0, unshare_flags = 0, fd;
	const char *up = NULL, *pp = NULL;
	sigset_t none;
	pid_t grandchild;
	size_t i;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A new user namespace first, mapped by the parent. */
	if (has_ns(c, CLONE_NEWUSER, &up)) {
		for (i = 0; i < c->nns; i++)
			if (c->ns[i].flag == CLONE_NEWUSER && nsfds[i] >= 0 &&
			    setns(nsfds[i], CLONE_NEWUSER) < 0)
				child_fail(1, "join user namespace %s:", c->ns[i].path);
		if (up == NULL && unshare(CLONE_NEWUSER) < 0)
			child_fail(1, "unshare user namespace:");
		userns = 1;
	}
	sendmsg_str(syncfd, 'U', 0, NULL);
	if (recv_sync(syncfd, buf, sizeof(buf)) <= 0 || buf[0] != 'G')
		_exit(1);
	if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		child_fail(1, "become root in the user namespace:");
	if (userns && has_ns(c, CLONE_NEWPID, &pp)) {
		/* The pid namespace must belong to the user namespace, or
		 * the container may not mount its /proc: make it now, and
		 * fork the container's first process into it (runc's
		 * double fork). The parent learns its pid from us. */
		for (i = 0; i < c->nns; i++)
			if (c->ns[i].flag == CLONE_NEWPID && nsfds[i] >= 0 &&
			    setns(nsfds[i], CLONE_NEWPID) < 0)
				child_fail(1, "join pid namespace %s:", pp);
		if (pp == NULL && unshare(CLONE_NEWPID) < 0)
			child_fail(1, "unshare pid namespace:");
		if ((grandchild = fork()) < 0)
			child_fail(1, "fork:");
		if (grandchild > 0) {
			snprintf(buf, sizeof(buf), "%d", (int)grandchild);
			sendmsg_str(syncfd, 'P', 0, buf);
			_exit(0);
		}
	}

	for (i = 0; i < c->nns; i++) {
		if (c->ns[i].flag == CLONE_NEWUSER || c->ns[i].flag == CLONE_NEWPID)
			continue;
		if (nsfds[i] >= 0) {
			if (setns(nsfds[i], c->ns[i].flag) < 0)
				child_fail(1, "join %s namespace %s:", c->ns[i].type, c->ns[i].path);
			close(nsfds[i]);
		} else
			unshare_flags |= c->ns[i].flag;
	}
	if (!(unshare_flags & CLONE_NEWNS))
		child_fail(1, "linux.namespaces: ns-run needs a new mount namespace");
	if (unshare(unshare_flags) < 0)
		child_fail(1, "unshare namespaces:");
	if ((unshare_flags & CLONE_NEWNET) && net_lo_up() < 0)
		child_fail(1, "bring lo up:");
	/* A joined uts namespace keeps its name. */
	if (c->hostname && c->hostname[0] && !(unshare_flags & CLONE_NEWUTS)) {
		if (!has_ns(c, CLONE_NEWUTS, NULL))
			child_fail(1, "hostname: needs a uts namespace");
	} else if (c->hostname && c->hostname[0]) {
		if (sethostname(c->hostname, strlen(c->hostname)) < 0)
			child_fail(1, "sethostname %s:", c->hostname);
	}
	for (i = 0; c->sysctl[i]; i++) {
		char *eq = strchr(c->sysctl[i], '='), *q;

		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - c->sysctl[i]), c->sysctl[i]);
		for (q = path + 10; *q; q++)
			if (*q == '.')
				*q = '/';
		if (write_file_at(AT_FDCWD, path, eq + 1) < 0)
			child_fail(1, "linux.sysctl.%.*s:", (int)(eq - c->sysctl[i]), c->sysctl[i]);
	}
	state_path(path, sizeof(path), o->id, "exec.fifo");
	if ((fifofd = open(path, O_PATH | O_CLOEXEC)) < 0)
		child_fail(1, "open %s:", path);

	ro.path = c->root;
	ro.readonly = c->root_ro;
	ro.in_userns = userns;
	ro.ptyname = slave >= 0 ? ptyname : NULL;
	ro.masked = (const char *const *)c->masked;
	ro.readonly_paths = (const char *const *)c->readonly;
	ro.mounts = c->mounts;
	ro.nmounts = c->nmounts;
	ro.oci = 1;
	if (rootfs_enter(&ro, err, sizeof(err)) < 0)
		child_fail(1, "%s", err);
	if ((fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		int d = mkdir_beneath(fd, c->proc.cwd, 0755);

		if (d >= 0)
			close(d);
		close(fd);
	}
	if (chdir(c->proc.cwd) < 0)
		child_fail(1, "process.cwd %s:", c->proc.cwd);
	find_exe(c->proc.args[0], c->proc.env, exe, sizeof(exe));
	if (c->seccomp && oci_seccomp_compile(c->seccomp, &filter) < 0)
		child_fail(1, "linux.seccomp: compile the filter:");
	apply_rlimits(&c->proc);
	if (slave >= 0)
		take_tty(slave);
	else if (setsid() < 0)
		child_fail(1, "setsid:");
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	sendmsg_str(syncfd, 'R', 0, NULL);
	close(syncfd);
	syncfd = -1;

	/* Wait for start: opening the fifo for writing blocks until a reader
	 * comes (runc's exec.fifo, opened through the fd held across
	 * pivot_root). */
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", fifofd);
	if ((fd = open(fifo, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, "0", 1) != 1)
		child_fail(1, "wait for start:");
	close(fd);
	close(fifofd);
	become(&c->proc, c->seccomp ? &filter : NULL, exe, o->preserve, userns);
}

static void
cgroup_path(const struct oci_config *c, const char *id, char *out, size_t len)
{
	const char *p = c->cgpath;
	char a[256], b[256], d[256];

	if (p == NULL || p[0] == '\0') {
		snprintf(out, len, "/ns-run-%s", id);
		return;
	}
	/* systemd's "slice:prefix:name": what podman --cgroup-manager systemd
	 * passes; laid out the way systemd would, but made by hand. */
	if (p[0] != '/' && sscanf(p, "%255[^:]:%255[^:]:%255s", a, b, d) == 3) {
		snprintf(out, len, "/%s/%s-%s.scope", a, b, d);
		return;
	}
	snprintf(out, len, "%s%s", p[0] == '/' ? "" : "/", p);
}

/* create, and for run: returns the container's pid. */
static pid_t
do_create(const struct create_opts *o, struct oci_config **cfgp, struct oci_state *s)
{
	struct ocicg_limits lim;
	struct oci_config *c;
	char err[1024], bundle[PATH_MAX], path[PATH_MAX], ptyname[64], msg[1200];
	int sp[2], nsfds[16], master = -1, slave = -1, code, selfpid;
	const char *pidns = NULL;
	pid_t child;
	size_t i;
	ssize_t n;

	check_id(o->id);
	if (realpath(o->bundle, bundle) == NULL)
		fatal(1, "--bundle %s:", o->bundle);
	if ((c = oci_load(bundle, err, sizeof(err))) == NULL)
		fatal(1, "%s", err);
	*cfgp = c;
	if (access(c->root, F_OK) < 0)
		fatal(1, "config.json: root.path: %s:", c->root);
	if (c->proc.terminal && o->console == NULL && !o->run)
		fatal(1, "config.json: process.terminal: true needs --console-socket");
	if (c->nns > LEN(nsfds))
		fatal(1, "config.json: linux.namespaces: too many");
	if (mkdir(rootdir, 0711) < 0 && errno != EEXIST)
		fatal(1, "--root %s:", rootdir);
	state_path(path, sizeof(path), o->id, NULL);
	if (mkdir(path, 0711) < 0) {
		if (errno == EEXIST)
			fatal(1, "container with id %s already exists", o->id);
		fatal(1, "mkdir %s:", path);
	}
	pending_id = o->id;
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", o->id);
	snprintf(s->bundle, sizeof(s->bundle), "%s", bundle);
	snprintf(s->rootfs, sizeof(s->rootfs), "%s", c->root);
	cgroup_path(c, o->id, s->cgroup, sizeof(s->cgroup));
	oci_timestamp(s->created, sizeof(s->created));
	state_path(path, sizeof(path), o->id, "exec.fifo");
	if (mkfifo(path, 0622) < 0)
		fatal(1, "mkfifo %s:", path);
	chmod(path, 0622);

	lim.mem = c->mem_limit;
	lim.pids = c->pids_limit;
	lim.cpu_shares = c->cpu_shares;
	lim.cpu_quota = c->cpu_quota;
	lim.cpu_period = c->cpu_period;
	pending_cg = s->cgroup;
	if (ocicg_create(s->cgroup, &lim, err, sizeof(err)) < 0)
		fatal(1, "%s", err);
	for (i = 0; i < c->nns; i++) {
		nsfds[i] = -1;
		if (c->ns[i].path == NULL)
			continue;
		if ((nsfds[i] = open(c->ns[i].path, O_RDONLY | O_CLOEXEC)) < 0)
			fatal(1, "config.json: linux.namespaces[%zu].path: %s:", i, c->ns[i].path);
	}
	if (c->proc.terminal && o->console) {
		open_pty(&master, &slave, ptyname, sizeof(ptyname), &c->proc);
		send_console(o->console, master);
		close(master);
		s->tty = 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal(1, "socketpair:");
	/* The pid namespace applies to our next child only: the hooks we
	 * fork later must stay in ours. */
	if ((selfpid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0)
		fatal(1, "open /proc/self/ns/pid:");
	if (has_ns(c, CLONE_NEWPID, &pidns) && !has_ns(c, CLONE_NEWUSER, NULL)) {
		for (i = 0; i < c->nns; i++)
			if (c->ns[i].flag == CLONE_NEWPID && nsfds[i] >= 0 &&
			    setns(nsfds[i], CLONE_NEWPID) < 0)
				fatal(1, "join pid namespace %s:", pidns);
		if (pidns == NULL && unshare(CLONE_NEWPID) < 0)
			fatal(1, "unshare pid namespace:");
	}
	if ((child = fork()) < 0)
		fatal(1, "fork:");
	if (child == 0) {
		close(sp[0]);
		syncfd = sp[1];
		container(c, o, nsfds, slave, ptyname);
	}
	pending_pid = child;
	close(sp[1]);
	if (setns(selfpid, CLONE_NEWPID) < 0)
		debugf("back to our pid namespace: %s", strerror(errno));
	close(selfpid);
	if (slave >= 0)
		close(slave);
	for (i = 0; i < c->nns; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);

	code = 1;
	msg[0] = '\0';
	if ((n = recv_sync(sp[0], msg, sizeof(msg))) <= 0 || msg[0] != 'U')
		goto failed;
	if (has_ns(c, CLONE_NEWUSER, NULL)) {
		write_idmap(child, "uid_map", c->uidmap, c->nuidmap);
		write_idmap(child, "gid_map", c->gidmap, c->ngidmap);
	}
	if (ocicg_join(s->cgroup, child) < 0) {
		snprintf(msg, sizeof(msg), "E001join cgroup %.900s: %s", s->cgroup, strerror(errno));
		goto failed;
	}
	if (write(sp[0], "G", 1) != 1)
		goto failed;
	if ((n = recv_sync(sp[0], msg, sizeof(msg))) > 0 && msg[0] == 'P') {
		/* With a user namespace, the first process is our grandchild. */
		waitpid(child, NULL, 0);
		child = pending_pid = (pid_t)atoi(msg + 4);
		n = recv_sync(sp[0], msg, sizeof(msg));
	}
	if (n <= 0 || msg[0] != 'R')
		goto failed;
	close(sp[0]);
	s->pid = child;
	s->start = oci_proc_start(child);
	write_state(s);
	if (run_hooks(c, HOOK_CREATERUNTIME, s) < 0 ||
	    run_hooks(c, HOOK_PRESTART, s) < 0) {
		snprintf(msg, sizeof(msg), "E001a hook failed");
		goto failed;
	}
	write_pidfile(o->pidfile, child);
	pending_id = pending_cg = NULL;
	pending_pid = 0;
	debugf("created %s, pid %d", o->id, (int)child);
	return child;
failed:
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (msg[0] == 'E' && strlen(msg) >= 4) {
		code = atoi((char[4]){ msg[1], msg[2], msg[3], 0 });
		fatal(code ? code : 1, "%s", msg + 4);
	}
	fatal(1, "container %s: the container process died during setup", o->id);
}

/* start: open the fifo for reading, which lets the container go on. */
static void
do_start(const char *id, struct oci_state *s)
{
	struct pollfd pfd;
	char path[PATH_MAX], b;
	int fd;

	state_path(path, sizeof(path), id, "exec.fifo");
	if (!alive(s))
		fatal(1, "container %s is not running (stopped)", id);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			fatal(1, "container %s: already started", id);
		fatal(1, "open %s:", path);
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int r = poll(&pfd, 1, 200);

		if (r > 0 && read(fd, &b, 1) == 1)
			break;
		if (r > 0 && (pfd.revents & POLLHUP)) {
			close(fd);
			fatal(1, "container %s: the process died before start", id);
		}
		if (!alive(s)) {
			close(fd);
			fatal(1, "container %s: the process died before start", id);
		}
	}
	close(fd);
	unlink(path);
}

/* ---- subcommands --------------------------------------------------- */

static int
wait_gone(const struct oci_state *s, int tenths)
{
	while (alive(s) && tenths-- > 0)
		usleep(100000);
	return alive(s) ? -1 : 0;
}

static void
destroy(struct oci_state *s, int force)
{
	struct oci_config *c;
	char err[256];
	int i;

	if (alive(s)) {
		const char *st = status_of(s);

		if (!force && strcmp(st, "created") != 0)
			fatal(1, "cannot delete container %s that is not stopped: %s", s->id, st);
		if (strcmp(st, "paused") == 0)
			ocicg_freeze(s->cgroup, 0);
		kill(s->pid, SIGKILL);
		if (wait_gone(s, 100) < 0)
			fatal(1, "container %s: pid %d did not die", s->id, (int)s->pid);
	}
	if (s->cgroup[0]) {
		pid_t pids[256];
		ssize_t n, k;

		for (i = 0; i < 50 && ocicg_remove(s->cgroup) < 0; i++) {
			/* Left-over processes of the container: kill them. */
			if ((n = ocicg_pids(s->cgroup, pids, LEN(pids))) > 0)
				for (k = 0; k < n; k++)
					kill(pids[k], SIGKILL);
			usleep(20000);
		}
	}
	if ((c = oci_load(s->bundle, err, sizeof(err))) != NULL) {
		run_hooks(c, HOOK_POSTSTOP, s);
		oci_free(c);
	}
	rm_state(s->id);
}

static const char create_usage[] =
    "create [--bundle DIR] [--console-socket SOCK] [--no-pivot] [--pid-file F] [--preserve-fds N] ID";

static void
parse_create(int argc, char *argv[], struct create_opts *o, int *detach)
{
	static const struct optspec spec[] = {
		{ "bundle", required_argument, 'b', "DIR", "the bundle (default .)" },
		{ "console-socket", required_argument, 'c', "SOCK", "send the pty master here" },
		{ "detach", no_argument, 'd', NULL, "run: do not wait for the container" },
		{ "no-pivot", no_argument, 'P', NULL, "accepted, ignored (pivot_root always)" },
		{ "no-new-keyring", no_argument, 'K', NULL, "accepted, ignored" },
		{ "pid-file", required_argument, 'p', "FILE", "write the container's pid here" },
		{ "preserve-fds", required_argument, 'f', "N", "pass fds 3..3+N-1 on" },
		{ NULL, 0, 0, NULL, NULL },
	};
	long long v;
	int ch;

	memset(o, 0, sizeof(*o));
	o->bundle = ".";
	optind = 1;
	while ((ch = optspec_getopt(argc, argv, spec)) != -1) {
		switch (ch) {
		case 'b': o->bundle = optarg; break;
		case 'c': o->console = optarg; break;
		case 'd': if (detach) *detach = 1; break;
		case 'p': o->pidfile = optarg; break;
		case 'f':
			if (parse_num(optarg, 0, 60, &v) < 0)
				fatal(2, "--preserve-fds %s: expected 0 to 60", optarg);
			o->preserve = (int)v;
			break;
		case 'P': case 'K': break;
		case OPT_HELP:
			printf("usage: ns-runc %s\n%s", create_usage, optspec_help("", spec));
			exit(0);
		default:
			fatal(2, "usage: ns-runc %s", create_usage);
		}
	}
	if (optind != argc - 1)
		fatal(2, "usage: ns-runc %s", create_usage);
	o->id = argv[optind];
}

static int
cmd_create(int argc, char *argv[])
{
	struct create_opts o;
	struct oci_config *c;
	struct oci_state s;

	parse_create(argc, argv, &o, NULL);
	do_create(&o, &c, &s);
	return 0;
}

static int
cmd_run(int argc, char *argv[])
{
	struct create_opts o;
	struct oci_config *c;
	struct oci_state s;
	sigset_t set;
	siginfo_t si;
	pid_t pid;
	int detach = 0, st = 0, code = 1;

	parse_create(argc, argv, &o, &detach);
	o.run = 1;
	/* With a user namespace the container is our grandchild: be the one
	 * it is reparented to, to wait for it. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* Signals to forward are held from before the fork, so that none is
	 * lost; the container's process unblocks them. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = do_create(&o, &c, &s);
	do_start(o.id, &s);
	if (detach)
		return 0;
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (sigwaitinfo(&set, &si) > 0 && si.si_signo != SIGCHLD)
			kill(pid, si.si_signo);
	}
	code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	destroy(&s, 1);
	return code;
}

static const char *
one_id(int argc, char *argv[], int min, int max, const char *usage)
{
	int ch;
	static const struct optspec none[] = { { NULL, 0, 0, NULL, NULL } };

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, none)) != -1) {
		if (ch == OPT_HELP) {
			printf("usage: ns-runc %s\n", usage);
			exit(0);
		}
		fatal(2, "usage: ns-runc %s", usage);
	}
	if (argc - optind < min || argc - optind > max)
		fatal(2, "usage: ns-runc %s", usage);
	return argv[optind];
}

static int
cmd_start(int argc, char *argv[])
{
	const char *id = one_id(argc, argv, 1, 1, "start ID");
	struct oci_config *c;
	struct oci_state s;
	char err[256];

	load_state(id, &s);
	do_start(id, &s);
	if ((c = oci_load(s.bundle, err, sizeof(err))) != NULL) {
		if (run_hooks(c, HOOK_POSTSTART, &s) < 0)
			fatal(1, "container %s: poststart hook failed", id);
		oci_free(c);
	}
	return 0;
}

static int
cmd_state(int argc, char *argv[])
{
	const char *id = one_id(argc, argv, 1, 1, "state ID");
	struct oci_state s;

	load_state(id, &s);
	print_state(stdout, &s);
	return 0;
}

static int
cmd_kill(int argc, char *argv[])
{
	static const struct optspec spec[] = {
		{ "all", no_argument, 'a', NULL, "signal every process of the container" },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct oci_state s;
	pid_t pids[1024];
	ssize_t n, i;
	int all = 0, sig = SIGTERM, ch;

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, spec)) != -1) {
		if (ch == 'a')
			all = 1;
		else
			fatal(2, "usage: ns-runc kill [--all] ID [SIGNAL]");
	}
	if (argc - optind < 1 || argc - optind > 2)
		fatal(2, "usage: ns-runc kill [--all] ID [SIGNAL]");
	if (argc - optind == 2)
		sig = signum(argv[optind + 1]);
	load_state(argv[optind], &s);
	if (!alive(&s))
		fatal(1, "container %s is not running", s.id);
	if (all && (n = ocicg_pids(s.cgroup, pids, LEN(pids))) > 0) {
		for (i = 0; i < n; i++)
			kill(pids[i], sig);
		return 0;
	}
	if (kill(s.pid, sig) < 0)
		fatal(1, "kill %d:", (int)s.pid);
	return 0;
}

static int
cmd_delete(int argc, char *argv[])
{
	static const struct optspec spec[] = {
		{ "force", no_argument, 'f', NULL, "kill a running container first" },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct oci_state s;
	int force = 0, ch;

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, spec)) != -1) {
		if (ch == 'f')
			force = 1;
		else
			fatal(2, "usage: ns-runc delete [--force] ID");
	}
	if (argc - optind != 1)
		fatal(2, "usage: ns-runc delete [--force] ID");
	check_id(argv[optind]);
	if (read_state(argv[optind], &s) < 0) {
		if (force)
			return 0;
		fatal(1, "container %s does not exist", argv[optind]);
	}
	destroy(&s, force);
	return 0;
}

static int
cmd_freeze(int argc, char *argv[], int frozen)
{
	const char *id = one_id(argc, argv, 1, 1, frozen ? "pause ID" : "resume ID");
	struct oci_state s;

	load_state(id, &s);
	if (!alive(&s))
		fatal(1, "container %s is not running", id);
	if (ocicg_freeze(s.cgroup, frozen) < 0)
		fatal(1, "%s %s:", frozen ? "pause" : "resume", id);
	return 0;
}

static int
cmd_list(int argc, char *argv[])
{
	static const struct optspec spec[] = {
		{ "format", required_argument, 'f', "FMT", "table or json" },
		{ "quiet", no_argument, 'q', NULL, "ids only" },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct dirent *e;
	struct oci_state s;
	int json = 0, quiet = 0, ch, first = 1;
	DIR *d;

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, spec)) != -1) {
		if (ch == 'f')
			json = strcmp(optarg, "json") == 0;
		else if (ch == 'q')
			quiet = 1;
		else
			fatal(2, "usage: ns-runc list [--format table|json] [--quiet]");
	}
	if (!json && !quiet)
		printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	if (json)
		putchar('[');
	if ((d = opendir(rootdir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || read_state(e->d_name, &s) < 0)
				continue;
			if (quiet)
				printf("%s\n", s.id);
			else if (json) {
				if (!first)
					putchar(',');
				print_state(stdout, &s);
			} else
				printf("%-20s %-8d %-10s %-40s %s\n", s.id,
				    alive(&s) ? (int)s.pid : 0, status_of(&s), s.bundle, s.created);
			first = 0;
		}
		closedir(d);
	}
	if (json)
		puts("]");
	return 0;
}

static int
cmd_features(void)
{
	puts("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.1.0\","
	    "\n  \"hooks\": [\"prestart\", \"createRuntime\", \"poststart\", \"poststop\"],"
	    "\n  \"mountOptions\": [\"ro\", \"rw\", \"nosuid\", \"suid\", \"nodev\", \"dev\","
	    " \"noexec\", \"exec\", \"bind\", \"rbind\", \"private\", \"rprivate\", \"shared\","
	    " \"rshared\", \"slave\", \"rslave\", \"relatime\", \"noatime\", \"strictatime\"],"
	    "\n  \"linux\": {\n    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\","
	    " \"pid\", \"user\", \"uts\"],\n    \"seccomp\": {\"enabled\": true, \"actions\":"
	    " [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\","
	    " \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"]},"
	    "\n    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false}\n  }\n}");
	return 0;
}

/* exec: a new process in a running container's namespaces and cgroup. */
static int
cmd_exec(int argc, char *argv[])
{
	static const struct optspec spec[] = {
		{ "console-socket", required_argument, 'c', "SOCK", "send the pty master here" },
		{ "cwd", required_argument, 'w', "DIR", "working directory" },
		{ "detach", no_argument, 'd', NULL, "do not wait for the process" },
		{ "env", required_argument, 'e', "K=V", "add to the environment" },
		{ "pid-file", required_argument, 'p', "FILE", "write the process's pid here" },
		{ "preserve-fds", required_argument, 'f', "N", "pass fds 3..3+N-1 on" },
		{ "process", required_argument, 'P', "FILE", "the process, as process.json" },
		{ "tty", no_argument, 't', NULL, "a pty (with --console-socket)" },
		{ "user", required_argument, 'u', "UID[:GID]", "run as this user" },
		{ NULL, 0, 0, NULL, NULL },
	};
	static const struct {
		const char *name;
		int flag;
	} nsorder[] = {
		{ "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
		{ "net", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP }, { "mnt", CLONE_NEWNS },
	};
	const char *procfile = NULL, *console = NULL, *pidfile = NULL, *cwd = NULL, *user = NULL;
	char **envadd = NULL, err[1024], path[64], exe[PATH_MAX], msg[1200], ptyname[64];
	struct oci_process proc;
	struct oci_config *c;
	struct stat a, b;
	struct oci_state s;
	size_t nenv = 0, i, k;
	int ch, detach = 0, tty = 0, preserve = 0, sp[2], nsfd[LEN(nsorder)], pidfd;
	int master = -1, slave = -1, st, code;
	long long v;
	pid_t child;
	ssize_t n;

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, spec)) != -1) {
		switch (ch) {
		case 'c': console = optarg; break;
		case 'w': cwd = optarg; break;
		case 'd': detach = 1; break;
		case 'e':
			envadd = reallocarray(envadd, nenv + 1, sizeof(*envadd));
			if (envadd == NULL)
				fatal(1, "--env:");
			envadd[nenv++] = optarg;
			break;
		case 'p': pidfile = optarg; break;
		case 'f':
			if (parse_num(optarg, 0, 60, &v) < 0)
				fatal(2, "--preserve-fds %s: expected 0 to 60", optarg);
			preserve = (int)v;
			break;
		case 'P': procfile = optarg; break;
		case 't': tty = 1; break;
		case 'u': user = optarg; break;
		default:
			fatal(2, "usage: ns-runc exec [--process FILE] [--pid-file F] [--detach]"
			    " [--tty --console-socket SOCK] ID [PROGRAM ARG...]");
		}
	}
	if (optind >= argc || (procfile == NULL && optind + 1 >= argc))
		fatal(2, "usage: ns-runc exec [--process FILE] [--pid-file F] [--detach]"
		    " [--tty --console-socket SOCK] ID [PROGRAM ARG...]");
	load_state(argv[optind], &s);
	if (strcmp(status_of(&s), "running") != 0)
		fatal(1, "container %s is not running (%s)", s.id, status_of(&s));
	if ((c = oci_load(s.bundle, err, sizeof(err))) == NULL)
		fatal(1, "%s", err);
	if (procfile) {
		if (oci_load_process(procfile, &proc, err, sizeof(err)) < 0)
			fatal(1, "--process %s", err);
	} else {
		proc = c->proc;
		proc.args = argv + optind + 1;
		proc.terminal = tty;
		if (cwd)
			proc.cwd = (char *)cwd;
		if (user) {
			long long u, g;
			char ub[64], *colon;

			snprintf(ub, sizeof(ub), "%s", user);
			if ((colon = strchr(ub, ':')) != NULL)
				*colon++ = '\0';
			if (parse_num(ub, 0, UINT32_MAX - 1, &u) < 0 ||
			    (colon && parse_num(colon, 0, UINT32_MAX - 1, &g) < 0))
				fatal(2, "--user %s: expected UID[:GID]", user);
			proc.uid = (uid_t)u;
			proc.gid = colon ? (gid_t)g : 0;
		}
		if (nenv) {
			size_t m = 0;
			char **e;

			while (proc.env[m])
				m++;
			if ((e = calloc(m + nenv + 1, sizeof(*e))) == NULL)
				fatal(1, "--env:");
			memcpy(e, proc.env, m * sizeof(*e));
			memcpy(e + m, envadd, nenv * sizeof(*e));
			proc.env = e;
		}
	}
	/* The namespaces of the container that differ from ours. */
	for (i = 0; i < LEN(nsorder); i++) {
		nsfd[i] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)s.pid, nsorder[i].name);
		snprintf(err, sizeof(err), "/proc/self/ns/%s", nsorder[i].name);
		if (stat(path, &a) < 0 || stat(err, &b) < 0 || a.st_ino == b.st_ino)
			continue;
		if ((nsfd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			fatal(1, "open %s:", path);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)s.pid);
	if ((pidfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		fatal(1, "open %s:", path);
	if (proc.terminal && console) {
		open_pty(&master, &slave, ptyname, sizeof(ptyname), &proc);
		send_console(console, master);
		close(master);
	}
	if (setns(pidfd, CLONE_NEWPID) < 0)
		fatal(1, "join the pid namespace of %d:", (int)s.pid);
	close(pidfd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal(1, "socketpair:");
	if ((child = fork()) < 0)
		fatal(1, "fork:");
	if (child == 0) {
		int userns = nsfd[0] >= 0;

		close(sp[0]);
		syncfd = sp[1];
		signal(SIGPIPE, SIG_DFL);
		if (recv_sync(syncfd, msg, sizeof(msg)) <= 0 || msg[0] != 'G')
			_exit(1);
		for (k = 0; k < LEN(nsorder); k++)
			if (nsfd[k] >= 0 && setns(nsfd[k], nsorder[k].flag) < 0)
				child_fail(1, "join %s namespace of %d:", nsorder[k].name, (int)s.pid);
		if (chdir(proc.cwd) < 0)
			child_fail(1, "cwd %s:", proc.cwd);
		find_exe(proc.args[0], proc.env, exe, sizeof(exe));
		apply_rlimits(&proc);
		if (slave >= 0)
			take_tty(slave);
		else
			setsid();
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		/* From here the socket closes on exec: EOF means it ran. */
		if (c->seccomp && oci_seccomp_compile(c->seccomp, &filter) < 0)
			child_fail(1, "linux.seccomp: compile the filter:");
		become(&proc, c->seccomp ? &filter : NULL, exe, preserve, userns);
	}
	close(sp[1]);
	if (slave >= 0)
		close(slave);
	if (ocicg_join(s.cgroup, child) < 0)
		debugf("exec: join cgroup %s: %s", s.cgroup, strerror(errno));
	if (write(sp[0], "G", 1) != 1)
		fatal(1, "exec: the process died");
	n = recv_sync(sp[0], msg, sizeof(msg));
	close(sp[0]);
	if (n > 0 && msg[0] == 'E') {
		waitpid(child, NULL, 0);
		code = atoi((char[4]){ msg[1], msg[2], msg[3], 0 });
		fatal(code ? code : 1, "%s", msg + 4);
	}
	write_pidfile(pidfile, child);
	if (detach)
		return 0;
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static noreturn void
oci_usage(void)
{
	fprintf(stderr, "usage: %s\n", oci_usage_line);
	exit(2);
}

/*
 * The OCI front door: argv[0] named ns-runc (or runc), or `ns-run --oci`.
 */
int
oci_main(int argc, char *argv[])
{
	const char *cmd;
	char *help;
	int ch;

	optind = 1;
	while ((ch = optspec_getopt(argc, argv, goptions)) != -1) {
		switch (ch) {
		case G_DEBUG: debug = 1; break;
		case G_LOG: logfile = optarg; break;
		case G_LOGFMT:
			if (strcmp(optarg, "json") == 0)
				logjson = 1;
			else if (strcmp(optarg, "text") == 0)
				logjson = 0;
			else
				fatal(2, "--log-format %s: expected text or json", optarg);
			break;
		case G_ROOT: rootdir = optarg; break;
		case G_SYSTEMD: case G_CRIU: case G_ROOTLESS: break;
		case OPT_HELP:
			if ((help = optspec_help(oci_usage_line, goptions)) == NULL)
				fatal(1, "--help:");
			fputs(help, stdout);
			puts("commands: create start state kill delete exec run list features pause resume");
			exit(0);
		case OPT_VERSION:
			printf("ns-run version %s\nspec: 1.0.2\n", SKIFF_VERSION);
			exit(0);
		default:
			oci_usage();
		}
	}
	if (optind >= argc)
		oci_usage();
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	debugf("%s", cmd);
	if (strcmp(cmd, "create") == 0)
		return cmd_create(argc, argv);
	if (strcmp(cmd, "start") == 0)
		return cmd_start(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "state") == 0)
		return cmd_state(argc, argv);
	if (strcmp(cmd, "kill") == 0)
		return cmd_kill(argc, argv);
	if (strcmp(cmd, "delete") == 0)
		return cmd_delete(argc, argv);
	if (strcmp(cmd, "exec") == 0)
		return cmd_exec(argc, argv);
	if (strcmp(cmd, "pause") == 0)
		return cmd_freeze(argc, argv, 1);
	if (strcmp(cmd, "resume") == 0)
		return cmd_freeze(argc, argv, 0);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(argc, argv);
	if (strcmp(cmd, "features") == 0)
		return cmd_features();
	fatal(2, "%s: unknown command", cmd);
}
