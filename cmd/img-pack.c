/* SPDX-License-Identifier: ISC */
/* img-pack: directories and overlay upper dirs into OCI layers, and layers
 * plus a config into an image tagged in an OCI image layout. */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pack.h"
#include "util.h"

#define MAXMETA (4 << 20)

static const char usage_init[] = "img-pack init LAYOUT";
static const char usage_tag[] = "img-pack tag LAYOUT REF NAME...";
static const char usage_untag[] = "img-pack untag LAYOUT NAME...";
static const char usage_ls[] = "img-pack ls LAYOUT";
static const char usage_copy[] = "img-pack copy SRC-LAYOUT REF DST-LAYOUT [NAME]";
static const char usage_layer[] =
    "img-pack layer [--level N] [--overlay-upper] [--zstd] LAYOUT DIR";
static const char usage_commit[] =
    "img-pack commit [--arch ARCH] [--cmd JSON] [--created-by TEXT]"
    " [--entrypoint JSON] [--env K=V] [--expose PORT[/PROTO]] [--from LAYOUT]"
    " [--from-ref REF] [--history TEXT] [--label K=V]"
    " [--layer DIGEST[,DIFF_ID]] [--os OS] [--stop-signal SIG] [--tag NAME]"
    " [--user USER] [--volume PATH] [--workdir DIR] LAYOUT";

static const struct optspec no_options[] = {
	{ NULL, 0, 0, NULL, NULL },
};

enum { O_LEVEL = 0x100, O_OVERLAY, O_ZSTD };
static const struct optspec layer_options[] = {
	{ "level", required_argument, O_LEVEL, "N", "gzip level 1 (fast) to 9 (small), default 6; zstd 1 to 19, default 3" },
	{ "overlay-upper", no_argument, O_OVERLAY, NULL, "DIR is an overlay upper dir: whiteouts become .wh. entries" },
	{ "zstd", no_argument, O_ZSTD, NULL, "compress with zstd instead of gzip (tar+zstd media type)" },
	{ NULL, 0, 0, NULL, NULL },
};

enum {
	C_ARCH = 0x100, C_CMD, C_CREATEDBY, C_ENTRYPOINT, C_ENV, C_EXPOSE, C_FROM,
	C_FROMREF, C_HISTORY, C_LABEL, C_LAYER, C_OS, C_STOPSIG, C_TAG, C_USER,
	C_VOLUME, C_WORKDIR,
};
static const struct optspec commit_options[] = {
	{ "arch", required_argument, C_ARCH, "ARCH", "the image's architecture (default: the base's, or this machine's)" },
	{ "cmd", required_argument, C_CMD, "JSON", "Cmd as a JSON array of strings, or null to clear it" },
	{ "created-by", required_argument, C_CREATEDBY, "TEXT", "history text for the next --layer" },
	{ "entrypoint", required_argument, C_ENTRYPOINT, "JSON", "Entrypoint as a JSON array of strings, or null" },
	{ "env", required_argument, C_ENV, "K=V", "set an environment variable (replaces K)" },
	{ "expose", required_argument, C_EXPOSE, "PORT[/PROTO]", "add an exposed port (or range), tcp by default" },
	{ "from", required_argument, C_FROM, "LAYOUT", "the base image's layout (default: none, scratch)" },
	{ "from-ref", required_argument, C_FROMREF, "REF", "the base image's ref name or manifest digest in --from" },
	{ "history", required_argument, C_HISTORY, "TEXT", "a history entry for a step with no layer" },
	{ "label", required_argument, C_LABEL, "K=V", "set a label" },
	{ "layer", required_argument, C_LAYER, "DIGEST[,DIFF_ID]", "append a layer blob already in LAYOUT" },
	{ "os", required_argument, C_OS, "OS", "the image's OS (default: the base's, or linux)" },
	{ "stop-signal", required_argument, C_STOPSIG, "SIG", "the signal that stops the container" },
	{ "tag", required_argument, C_TAG, "NAME", "add NAME to index.json as org.opencontainers.image.ref.name" },
	{ "user", required_argument, C_USER, "USER", "the user the container runs as" },
	{ "volume", required_argument, C_VOLUME, "PATH", "add a volume" },
	{ "workdir", required_argument, C_WORKDIR, "DIR", "the working directory" },
	{ NULL, 0, 0, NULL, NULL },
};

static noreturn void
usage(const char *line)
{
	fprintf(stderr, "usage: %s\n", line ? line : usage_layer);
	if (line == NULL)
		fprintf(stderr, "       %s\n       %s\n       %s\n       %s\n       %s\n       %s\n",
		    usage_commit, usage_init, usage_tag, usage_untag, usage_ls, usage_copy);
	exit(EXIT_USAGE);
}

static void
help(const char *line, const struct optspec *spec)
{
	char *h = optspec_help(line, spec);

	if (h == NULL)
		die(1, "help:");
	else
		fputs(h, stdout);
	free(h);
	exit(0);
}

static void
parse_opts(int argc, char *argv[], const char *line, const struct optspec *spec,
    void (*fn)(int, const char *))
{
	int c;

	while ((c = optspec_getopt(argc, argv, spec)) != -1) {
		switch (c) {
		case OPT_HELP:
			help(line, spec);
			break;
		case OPT_VERSION:
			printf("img-pack %s\n", SKIFF_VERSION);
			exit(0);
		case ':':
			warn("option %s needs an argument", argv[optind - 1]);
			usage(line);
		case '?':
			if (optopt)
				warn("unknown option -%c", optopt);
			else
				warn("unknown option %s", argv[optind - 1]);
			usage(line);
		default:
			fn(c, optarg);
		}
	}
}

static long long
source_date_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	if (parse_num(s, 0, 253402300799LL, &v) < 0)
		die(EXIT_USAGE, "SOURCE_DATE_EPOCH=%s: not a time in seconds since 1970", s);
	return v;
}

/* --- init ---------------------------------------------------------------- */

static void
init_opt(int c, const char *arg)
{
	(void)c;
	(void)arg;
}

static int
cmd_init(int argc, char *argv[])
{
	char err[512];

	parse_opts(argc, argv, usage_init, no_options, init_opt);
	if (argc - optind != 1)
		usage(usage_init);
	if (pk_layout_init(argv[optind], err, sizeof(err)) < 0)
		die(1, "%s", err);
	return 0;
}

/* --- layer --------------------------------------------------------------- */

static struct pk_layer_opts lopts = { .epoch = -1 };

static void
layer_opt(int c, const char *arg)
{
	long long v;

	switch (c) {
	case O_LEVEL:
		if (parse_num(arg, 1, 19, &v) < 0) {
			warn("--level %s: expected 1 to 9 (19 with --zstd)", arg);
			usage(usage_layer);
		}
		lopts.level = (int)v;
		break;
	case O_OVERLAY:
		lopts.overlay = 1;
		break;
	case O_ZSTD:
		lopts.zstd = 1;
		break;
	}
}

static int
cmd_layer(int argc, char *argv[])
{
	struct pk_layer out;
	char err[512], tmp[128];
	const char *layout, *dir;
	int lfd, dfd, bfd;

	parse_opts(argc, argv, usage_layer, layer_options, layer_opt);
	if (argc - optind != 2)
		usage(usage_layer);
	layout = argv[optind];
	dir = argv[optind + 1];
	lopts.epoch = source_date_epoch();
	if (lopts.zstd && !pk_zstd_available())
		die(1, "--zstd: this build has no zstd support");
	if (!lopts.zstd && lopts.level > 9) {
		warn("--level %d: expected 1 to 9 (19 with --zstd)", lopts.level);
		usage(usage_layer);
	}
	if ((lfd = pk_layout_open(layout, err, sizeof(err))) < 0)
		die(1, "%s", err);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(1, "%s:", dir);
	if ((bfd = pk_blob_tmp(lfd, tmp, sizeof(tmp))) < 0)
		die(1, "%s: blob:", layout);
	if (pk_write_layer(dfd, bfd, &lopts, &out, err, sizeof(err)) < 0) {
		unlinkat(lfd, tmp, 0);
		die(1, "%s: %s", dir, err);
	}
	if (close(bfd) < 0) {
		unlinkat(lfd, tmp, 0);
		die(1, "%s: write blob:", layout);
	}
	if (pk_blob_commit(lfd, tmp, out.digest) < 0)
		die(1, "%s: blob %s:", layout, out.digest);
	printf("digest=%s\ndiff_id=%s\nsize=%llu\nmedia_type=%s\n", out.digest,
	    out.diff_id, (unsigned long long)out.size, out.media_type);
	if (fflush(stdout) == EOF)
		die(1, "stdout:");
	return 0;
}

/* --- commit -------------------------------------------------------------- */

struct op {
	int kind;
	const char *arg;
};

static struct {
	const char *from, *fromref, *arch, *os;
	struct op *ops;
	size_t nops;
	char **tags;
	size_t ntags;
} cc;

static void
commit_opt(int c, const char *arg)
{
	struct op *p = realloc(cc.ops, (cc.nops + 1) * sizeof(*p));

	if (p == NULL)
		die(1, "options:");
	cc.ops = p;
	switch (c) {
	case C_FROM: cc.from = arg; return;
	case C_FROMREF: cc.fromref = arg; return;
	case C_ARCH: cc.arch = arg; return;
	case C_OS: cc.os = arg; return;
	case C_TAG: {
		char **t = realloc(cc.tags, (cc.ntags + 1) * sizeof(*t));

		if (t == NULL)
			die(1, "options:");
		cc.tags = t;
		if (*arg == '\0') {
			warn("--tag: empty name");
			usage(usage_commit);
		}
		cc.tags[cc.ntags++] = (char *)arg;
		return;
	}
	}
	/* Everything else is applied in command-line order. */
	cc.ops[cc.nops].kind = c;
	cc.ops[cc.nops++].arg = arg;
}

static struct pj *
xnn(struct pj *v)
{
	if (v == NULL)
		die(1, "config:");
	return v;
}

static struct pj *
xstr(const char *s)
{
	return xnn(pj_new(PJ_STR, s));
}

static const char *
opt_name(int kind)
{
	size_t i;

	for (i = 0; commit_options[i].name; i++)
		if (commit_options[i].val == kind)
			return commit_options[i].name;
	return "?";
}

/* Parses a JSON argument of an option; must be a string array or null. */
static struct pj *
json_arg(int kind, const char *arg)
{
	char why[128];
	struct pj *v = pj_parse(arg, strlen(arg), why, sizeof(why));

	if (v == NULL)
		die(EXIT_USAGE, "--%s %s: %s", opt_name(kind), arg, why);
	else if (v->type != PJ_NULL && !pj_is_str_array(v))
		die(EXIT_USAGE, "--%s %s: expected a JSON array of strings or null",
		    opt_name(kind), arg);
	return v;
}

static void
check_kv(int kind, const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg)
		die(EXIT_USAGE, "--%s %s: expected KEY=VALUE", opt_name(kind), arg);
}

static void
set_env(struct pj *conf, const char *kv)
{
	struct pj *env = xnn(pj_arr_at(conf, "Env"));
	size_t klen = (size_t)(strchr(kv, '=') - kv) + 1, i;

	for (i = 0; i < env->n; i++)
		if (env->kid[i]->type == PJ_STR && strncmp(env->kid[i]->str, kv, klen) == 0) {
			free(env->kid[i]->str);
			if ((env->kid[i]->str = strdup(kv)) == NULL)
				die(1, "config:");
			return;
		}
	xnn(pj_push(env, xstr(kv)));
}

static void
add_ports(struct pj *conf, const char *arg)
{
	char port[64], *proto, *dash, key[80];
	long long lo, hi, p;
	struct pj *ports;

	if (strlen(arg) >= sizeof(port))
		die(EXIT_USAGE, "--expose %s: too long", arg);
	snprintf(port, sizeof(port), "%s", arg);
	proto = strchr(port, '/');
	if (proto != NULL)
		*proto++ = '\0';
	else
		proto = "tcp";
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		die(EXIT_USAGE, "--expose %s: protocol must be tcp, udp or sctp", arg);
	dash = strchr(port, '-');
	if (dash != NULL)
		*dash++ = '\0';
	if (parse_num(port, 1, 65535, &lo) < 0 ||
	    parse_num(dash ? dash : port, lo, 65535, &hi) < 0)
		die(EXIT_USAGE, "--expose %s: expected a port 1-65535 or a range", arg);
	ports = xnn(pj_obj_at(conf, "ExposedPorts"));
	for (p = lo; p <= hi; p++) {
		snprintf(key, sizeof(key), "%lld/%s", p, proto);
		xnn(pj_set(ports, key, pj_new(PJ_OBJ, NULL)));
	}
}

static struct pj *
history(const char *created, const char *by, int empty)
{
	struct pj *h = xnn(pj_new(PJ_OBJ, NULL));

	xnn(pj_set(h, "created", xstr(created)));
	if (by != NULL)
		xnn(pj_set(h, "created_by", xstr(by)));
	if (empty)
		xnn(pj_set(h, "empty_layer", pj_new(PJ_BOOL, "true")));
	return h;
}

static struct pj *
read_json(int lfd, const char *digest, const char *what)
{
	struct pk_buf b = { 0 };
	char err[512];
	struct pj *v;

	if (pk_blob_read(lfd, digest, MAXMETA, &b, err, sizeof(err)) < 0)
		die(1, "%s: %s", what, err);
	v = pj_parse(b.s, b.len, err, sizeof(err));
	if (v == NULL || v->type != PJ_OBJ)
		die(1, "%s %s: %s", what, digest, v ? "not a JSON object" : err);
	pk_buf_free(&b);
	return v;
}

/* Docker's media types for the same bytes, in OCI's words. */
static const char *
oci_layer_type(const char *mt)
{
	if (strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0)
		return PK_MT_TAR_GZIP;
	if (strcmp(mt, PK_MT_TAR_GZIP) == 0 || strcmp(mt, PK_MT_TAR_ZSTD) == 0 ||
	    strcmp(mt, PK_MT_TAR) == 0)
		return mt;
	return NULL;
}

static struct pj *
layer_desc(const char *mt, const char *digest, uint64_t size)
{
	struct pj *d = xnn(pj_new(PJ_OBJ, NULL));
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	xnn(pj_set(d, "mediaType", xstr(mt)));
	xnn(pj_set(d, "digest", xstr(digest)));
	xnn(pj_set(d, "size", pj_new(PJ_NUM, num)));
	return d;
}

/* A layer named on the command line: its descriptor, and its diff-id
 * (given, or computed by reading the blob). */
static struct pj *
new_layer(int lfd, const char *layout, const char *arg, char diff_id[PK_DIGEST_LEN])
{
	char digest[PK_DIGEST_LEN], err[256];
	unsigned char magic[4] = { 0 };
	const char *comma = strchr(arg, ','), *mt;
	uint64_t size;
	int fd;

	if ((comma ? (size_t)(comma - arg) : strlen(arg)) != PK_DIGEST_LEN - 1)
		die(EXIT_USAGE, "--layer %s: expected DIGEST[,DIFF_ID]", arg);
	memcpy(digest, arg, PK_DIGEST_LEN - 1);
	digest[PK_DIGEST_LEN - 1] = '\0';
	if (!pk_digest_valid(digest) || (comma && !pk_digest_valid(comma + 1)))
		die(EXIT_USAGE, "--layer %s: expected sha256:HEX digests", arg);
	if (!pk_blob_exists(lfd, digest, &size))
		die(1, "--layer %s: no such blob in %s", digest, layout);
	if ((fd = pk_blob_open(lfd, digest)) < 0)
		die(1, "--layer %s:", digest);
	if (read(fd, magic, sizeof(magic)) < 0)
		die(1, "--layer %s:", digest);
	if (magic[0] == 0x1f && magic[1] == 0x8b)
		mt = PK_MT_TAR_GZIP;
	else if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
		mt = PK_MT_TAR_ZSTD;
	else
		mt = PK_MT_TAR;
	if (comma) {
		snprintf(diff_id, PK_DIGEST_LEN, "%s", comma + 1);
	} else {
		lseek(fd, 0, SEEK_SET);
		if (pk_diff_id(fd, diff_id, err, sizeof(err)) < 0)
			die(1, "--layer %s: %s", digest, err);
	}
	close(fd);
	return layer_desc(mt, digest, size);
}

static const char *
host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#else
	return "unknown";
#endif
}

static int
cmd_commit(int argc, char *argv[])
{
	struct pj *conf = NULL, *c, *layers, *diffs, *hist, *rootfs, *man, *v;
	struct pk_buf b = { 0 };
	char err[512], digest[PK_DIGEST_LEN], cdigest[PK_DIGEST_LEN], mdigest[PK_DIGEST_LEN];
	char created[32], diff_id[PK_DIGEST_LEN], num[24];
	const char *layout, *createdby = NULL;
	long long epoch;
	time_t now;
	struct tm tm;
	size_t i;
	int lfd, bfd = -1;

	parse_opts(argc, argv, usage_commit, commit_options, commit_opt);
	if (argc - optind != 1)
		usage(usage_commit);
	layout = argv[optind];
	if (cc.fromref != NULL && cc.from == NULL)
		die(EXIT_USAGE, "--from-ref needs --from LAYOUT");
	/* Validate what can be validated before anything is read or written. */
	for (i = 0; i < cc.nops; i++) {
		switch (cc.ops[i].kind) {
		case C_ENV:
		case C_LABEL:
			check_kv(cc.ops[i].kind, cc.ops[i].arg);
			break;
		case C_CMD:
		case C_ENTRYPOINT:
			pj_free(json_arg(cc.ops[i].kind, cc.ops[i].arg));
			break;
		case C_VOLUME:
		case C_WORKDIR:
			if (*cc.ops[i].arg == '\0')
				die(EXIT_USAGE, "--%s: empty path", opt_name(cc.ops[i].kind));
			break;
		}
	}
	epoch = source_date_epoch();
	now = epoch >= 0 ? (time_t)epoch : time(NULL);
	if (gmtime_r(&now, &tm) == NULL)
		die(1, "time:");
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);

	if ((lfd = pk_layout_open(layout, err, sizeof(err))) < 0)
		die(1, "%s", err);
	layers = xnn(pj_new(PJ_ARR, NULL));
	if (cc.from != NULL) {
		struct pj *bl;

		if ((bfd = pk_layout_open(cc.from, err, sizeof(err))) < 0)
			die(1, "--from %s", err);
		if (pk_resolve(bfd, cc.fromref, digest, &man, err, sizeof(err)) < 0)
			die(1, "--from %s: %s", cc.from, err);
		conf = read_json(bfd, pj_get(pj_get(man, "config"), "digest")->str, "base config");
		bl = pj_get_type(man, "layers", PJ_ARR);
		for (i = 0; i < bl->n; i++) {
			struct pj *d = pj_get_type(bl->kid[i], "digest", PJ_STR);
			struct pj *mt = pj_get_type(bl->kid[i], "mediaType", PJ_STR);
			struct pj *sz = pj_get_type(bl->kid[i], "size", PJ_NUM);
			const char *omt = mt ? oci_layer_type(mt->str) : NULL;
			long long size;

			if (d == NULL || !pk_digest_valid(d->str) || sz == NULL ||
			    parse_num(sz->str, 0, LLONG_MAX, &size) < 0)
				die(1, "base manifest %s: bad layer descriptor", digest);
			if (omt == NULL)
				die(1, "base layer %s: media type %s is not supported", d->str,
				    mt ? mt->str : "(none)");
			if (pk_blob_copy(bfd, lfd, d->str, err, sizeof(err)) < 0)
				die(1, "--from %s: %s", cc.from, err);
			xnn(pj_push(layers, layer_desc(omt, d->str, (uint64_t)size)));
		}
		diffs = pj_get_type(pj_get_type(conf, "rootfs", PJ_OBJ), "diff_ids", PJ_ARR);
		if ((diffs ? diffs->n : 0) != bl->n)
			die(1, "base image %s: %zu layers but %zu diff_ids", digest, bl->n,
			    diffs ? diffs->n : 0);
		pj_free(man);
		close(bfd);
	} else {
		conf = xnn(pj_new(PJ_OBJ, NULL));
	}

	xnn(pj_set(conf, "created", xstr(created)));
	if (cc.arch || !pj_get_type(conf, "architecture", PJ_STR))
		xnn(pj_set(conf, "architecture", xstr(cc.arch ? cc.arch : host_arch())));
	if (cc.os || !pj_get_type(conf, "os", PJ_STR))
		xnn(pj_set(conf, "os", xstr(cc.os ? cc.os : "linux")));
	c = xnn(pj_obj_at(conf, "config"));
	rootfs = xnn(pj_obj_at(conf, "rootfs"));
	xnn(pj_set(rootfs, "type", xstr("layers")));
	diffs = xnn(pj_arr_at(rootfs, "diff_ids"));
	hist = xnn(pj_arr_at(conf, "history"));

	for (i = 0; i < cc.nops; i++) {
		const char *a = cc.ops[i].arg;

		switch (cc.ops[i].kind) {
		case C_ENV:
			set_env(c, a);
			break;
		case C_LABEL: {
			char *k = strndup(a, (size_t)(strchr(a, '=') - a));

			if (k == NULL)
				die(1, "config:");
			xnn(pj_set(xnn(pj_obj_at(c, "Labels")), k, xstr(strchr(a, '=') + 1)));
			free(k);
			break;
		}
		case C_CMD:
		case C_ENTRYPOINT: {
			const char *key = cc.ops[i].kind == C_CMD ? "Cmd" : "Entrypoint";

			v = json_arg(cc.ops[i].kind, a);
			if (v->type == PJ_NULL) {
				pj_free(v);
				pj_del(c, key);
			} else {
				xnn(pj_set(c, key, v));
			}
			break;
		}
		case C_WORKDIR:
			xnn(pj_set(c, "WorkingDir", xstr(a)));
			break;
		case C_USER:
			xnn(pj_set(c, "User", xstr(a)));
			break;
		case C_STOPSIG:
			xnn(pj_set(c, "StopSignal", xstr(a)));
			break;
		case C_EXPOSE:
			add_ports(c, a);
			break;
		case C_VOLUME:
			xnn(pj_set(xnn(pj_obj_at(c, "Volumes")), a, pj_new(PJ_OBJ, NULL)));
			break;
		case C_CREATEDBY:
			createdby = a;
			break;
		case C_HISTORY:
			xnn(pj_push(hist, history(created, a, 1)));
			break;
		case C_LAYER:
			xnn(pj_push(layers, new_layer(lfd, layout, a, diff_id)));
			xnn(pj_push(diffs, xstr(diff_id)));
			xnn(pj_push(hist, history(created, createdby, 0)));
			createdby = NULL;
			break;
		}
	}
	if (createdby != NULL)
		die(EXIT_USAGE, "--created-by %s: no --layer follows it", createdby);

	if (pj_write(&b, conf) < 0 || pk_blob_put(lfd, b.s, b.len, cdigest) < 0)
		die(1, "%s: config:", layout);
	man = xnn(pj_new(PJ_OBJ, NULL));
	xnn(pj_set(man, "schemaVersion", pj_new(PJ_NUM, "2")));
	xnn(pj_set(man, "mediaType", xstr(PK_MT_MANIFEST)));
	v = xnn(pj_set(man, "config", layer_desc(PK_MT_CONFIG, cdigest, b.len)));
	xnn(pj_set(man, "layers", layers));
	b.len = 0;
	if (pj_write(&b, man) < 0 || pk_blob_put(lfd, b.s, b.len, mdigest) < 0)
		die(1, "%s: manifest:", layout);
	if (cc.ntags > 0 && pk_index_tag(lfd, mdigest, b.len, cc.tags, cc.ntags, err, sizeof(err)) < 0)
		die(1, "%s: %s", layout, err);
	snprintf(num, sizeof(num), "%zu", b.len);
	printf("manifest=%s\nconfig=%s\nsize=%s\n", mdigest, cdigest, num);
	if (fflush(stdout) == EOF)
		die(1, "stdout:");
	pj_free(man);
	pj_free(conf);
	pk_buf_free(&b);
	free(cc.ops);
	free(cc.tags);
	close(lfd);
	return 0;
}

/* --- tag, untag, ls, copy: the local store's image verbs -------------- */

static int
open_layout(const char *path)
{
	char err[512];
	int lfd = pk_layout_open(path, err, sizeof(err));

	if (lfd < 0)
		die(1, "%s", err);
	return lfd;
}

/* The manifest REF names (a name or a digest), and its size. */
static void
resolve_manifest(int lfd, const char *ref, char digest[PK_DIGEST_LEN], uint64_t *size)
{
	struct pj *man = NULL;
	char err[512];

	if (pk_resolve(lfd, ref, digest, &man, err, sizeof(err)) < 0)
		die(1, "%s", err);
	pj_free(man);
	if (pk_blob_exists(lfd, digest, size) <= 0)
		die(1, "%s: manifest blob %s is missing", ref, digest);
}

static int
cmd_tag(int argc, char *argv[])
{
	char digest[PK_DIGEST_LEN], err[512];
	uint64_t size;
	int lfd;

	parse_opts(argc, argv, usage_tag, no_options, init_opt);
	if (argc - optind < 3)
		usage(usage_tag);
	lfd = open_layout(argv[optind]);
	resolve_manifest(lfd, argv[optind + 1], digest, &size);
	if (pk_index_tag(lfd, digest, size, argv + optind + 2, (size_t)(argc - optind - 2),
	    err, sizeof(err)) < 0)
		die(1, "%s", err);
	return 0;
}

static int
cmd_untag(int argc, char *argv[])
{
	char err[512];
	int lfd;

	parse_opts(argc, argv, usage_untag, no_options, init_opt);
	if (argc - optind < 2)
		usage(usage_untag);
	lfd = open_layout(argv[optind]);
	if (pk_index_untag(lfd, argv + optind + 1, (size_t)(argc - optind - 1), err, sizeof(err)) < 0)
		die(1, "%s", err);
	return 0;
}

static void
print_entry(void *arg, const char *name, const char *digest, const char *size)
{
	(void)arg;
	printf("%s\t%s\t%s\n", name, digest, size);
}

static int
cmd_ls(int argc, char *argv[])
{
	char err[512];
	int lfd;

	parse_opts(argc, argv, usage_ls, no_options, init_opt);
	if (argc - optind != 1)
		usage(usage_ls);
	lfd = open_layout(argv[optind]);
	if (pk_index_list(lfd, print_entry, NULL, err, sizeof(err)) < 0)
		die(1, "%s", err);
	return 0;
}

/* Copies the image REF names, manifest, config and layers, checked, into
 * another layout (creating it), named NAME there (default REF). */
static int
cmd_copy(int argc, char *argv[])
{
	char digest[PK_DIGEST_LEN], err[512];
	struct pj *man = NULL, *ls, *dg;
	const char *name;
	uint64_t size;
	int src, dst;
	size_t i;

	parse_opts(argc, argv, usage_copy, no_options, init_opt);
	if (argc - optind != 3 && argc - optind != 4)
		usage(usage_copy);
	name = argc - optind == 4 ? argv[optind + 3] : argv[optind + 1];
	src = open_layout(argv[optind]);
	if (pk_layout_init(argv[optind + 2], err, sizeof(err)) < 0)
		die(1, "%s", err);
	dst = open_layout(argv[optind + 2]);
	if (pk_resolve(src, argv[optind + 1], digest, &man, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (pk_blob_exists(src, digest, &size) <= 0)
		die(1, "%s: manifest blob %s is missing", argv[optind + 1], digest);
	dg = pj_get_type(pj_get_type(man, "config", PJ_OBJ), "digest", PJ_STR);
	if (pk_blob_copy(src, dst, dg->str, err, sizeof(err)) < 0)
		die(1, "%s", err);
	ls = pj_get_type(man, "layers", PJ_ARR);
	for (i = 0; ls != NULL && i < ls->n; i++) {
		dg = pj_get_type(ls->kid[i], "digest", PJ_STR);
		if (dg == NULL || pk_blob_copy(src, dst, dg->str, err, sizeof(err)) < 0)
			die(1, "%s", dg ? err : "a layer without a digest");
	}
	/* The manifest last: a layout never names an image it lacks. */
	if (pk_blob_copy(src, dst, digest, err, sizeof(err)) < 0)
		die(1, "%s", err);
	if (pk_index_tag(dst, digest, size, (char *const *)&name, 1, err, sizeof(err)) < 0)
		die(1, "%s", err);
	pj_free(man);
	return 0;
}

int
main(int argc, char *argv[])
{
	setprogname(argv[0]);
	if (argc < 2)
		usage(NULL);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: %s\n       %s\n       %s\n       %s\n       %s\n       %s\n       %s\n",
		    usage_layer, usage_commit, usage_init, usage_tag, usage_untag, usage_ls, usage_copy);
		printf("Run img-pack COMMAND --help for a command's options.\n");
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("img-pack %s\n", SKIFF_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "layer") == 0)
		return cmd_layer(argc - 1, argv + 1);
	if (strcmp(argv[1], "commit") == 0)
		return cmd_commit(argc - 1, argv + 1);
	if (strcmp(argv[1], "tag") == 0)
		return cmd_tag(argc - 1, argv + 1);
	if (strcmp(argv[1], "untag") == 0)
		return cmd_untag(argc - 1, argv + 1);
	if (strcmp(argv[1], "ls") == 0)
		return cmd_ls(argc - 1, argv + 1);
	if (strcmp(argv[1], "copy") == 0)
		return cmd_copy(argc - 1, argv + 1);
	warn("unknown command %s", argv[1]);
	usage(NULL);
}
