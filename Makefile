# skiff: tiny static commands that together run containers.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

include config.mk

# One name a line, sorted: several people add commands at once.
CMDS = \
	cg-limit \
	dockerfile-parse \
	img-pack \
	img-unpack \
	lb-proxy \
	net-bridge \
	ns-run \
	ns-runc \
	skiff-probe \
	skiff-state \
	svc-dns \
	vol-mount \
	yaml-flat
BIN = \
	bin/cg-limit \
	bin/dockerfile-parse \
	bin/img-pack \
	bin/img-unpack \
	bin/lb-proxy \
	bin/net-bridge \
	bin/ns-run \
	bin/ns-runc \
	bin/skiff-probe \
	bin/skiff-state \
	bin/svc-dns \
	bin/vol-mount \
	bin/yaml-flat
MAN = \
	man/cg-limit.1 \
	man/dockerfile-parse.1 \
	man/img-pack.1 \
	man/img-unpack.1 \
	man/lb-proxy.8 \
	man/net-bridge.8 \
	man/ns-run.1 \
	man/ns-runc.1 \
	man/skiff-check.1 \
	man/skiff-probe.1 \
	man/skiff-state.1 \
	man/skiff.1 \
	man/svc-dns.8 \
	man/vol-mount.1 \
	man/yaml-flat.1
SCRIPTS = \
	bin/skiff \
	bin/skiff-build \
	bin/skiff-check \
	bin/skiff-kube

LIBOBJ = \
	lib/blob.o \
	lib/caps.o \
	lib/clock.o \
	lib/cgroup.o \
	lib/cgroup_parse.o \
	lib/dnsanswer.o \
	lib/dnscache.o \
	lib/dnsfwd.o \
	lib/dnspkt.o \
	lib/dnszone.o \
	lib/dockerfile.o \
	lib/err.o \
	lib/exec.o \
	lib/fd.o \
	lib/flatten.o \
	lib/image.o \
	lib/ipam.o \
	lib/json.o \
	lib/jsonr.o \
	lib/lbconf.o \
	lib/lbproto.o \
	lib/lbpump.o \
	lib/mountops.o \
	lib/netlink.o \
	lib/nft.o \
	lib/num.o \
	lib/ocicg.o \
	lib/ociproc.o \
	lib/ocispec.o \
	lib/ocistate.o \
	lib/ociw.o \
	lib/opt.o \
	lib/passwd.o \
	lib/path.o \
	lib/pgz.o \
	lib/pkbuf.o \
	lib/pkjson.o \
	lib/rootfs.o \
	lib/rootfs_oci.o \
	lib/seccomp.o \
	lib/sha256.o \
	lib/tar.o \
	lib/tarw.o \
	lib/unpack.o \
	lib/yamlflat.o \
	lib/zstdw.o
LIBHDR = \
	lib/cgroup.h \
	lib/ipam.h \
	lib/jsonr.h \
	lib/lb.h \
	lib/netlink.h \
	lib/nft.h \
	lib/ocicg.h \
	lib/ociproc.h \
	lib/ocispec.h \
	lib/ocistate.h \
	lib/pack.h \
	lib/rootfs.h \
	lib/rootfs_ctx.h \
	lib/util.h \
	lib/yamlflat.h

all: $(BIN) $(SCRIPTS)

# The libraries, rebuilt with musl when missing or when deps.sh changes;
# `make deps` re-checks the Debian source versions and rebuilds what moved.
$(DEPS)/.built: contrib/deps.sh
	contrib/deps.sh $(DEPS)
	touch $@
deps:
	contrib/deps.sh $(DEPS)
	touch $(DEPS)/.built

.c.o:
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(LIBOBJ): $(LIBHDR) $(DEPS)/.built

# Docker's default seccomp filter, compiled once at build time
# (contrib/seccomp-gen.c) so ns-run does not build it on every start.
$(BUILD)/seccomp-gen: contrib/seccomp-gen.c lib/seccomp.c lib/caps.c lib/fd.c lib/num.c $(LIBHDR) $(DEPS)/.built
	$(CC) $(CPPFLAGS) $(CFLAGS) -DSECCOMP_NO_PRECOMPILED -o $@ contrib/seccomp-gen.c \
	    lib/seccomp.c lib/caps.c lib/fd.c lib/num.c $(LDFLAGS) -lseccomp
$(BUILD)/seccomp-default.h: $(BUILD)/seccomp-gen
	$(BUILD)/seccomp-gen >$@.tmp && mv $@.tmp $@
lib/seccomp.o: $(BUILD)/seccomp-default.h

lib/libutil.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/ns-run: cmd/ns-run.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/ns-run.c lib/libutil.a $(LDFLAGS) -lseccomp

# The OCI runtime: ns-run's sources with the OCI front door linked in.
bin/ns-runc: cmd/ns-run.c cmd/ns-runc.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -DNS_RUN_OCI -o $@ cmd/ns-run.c cmd/ns-runc.c lib/libutil.a $(LDFLAGS) -lseccomp

lib/blob.o lib/image.o lib/json.o lib/sha256.o lib/tar.o lib/unpack.o: lib/blob.h lib/image.h lib/json.h lib/sha256.h lib/tar.h lib/unpack.h

bin/img-unpack: cmd/img-unpack.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/img-unpack.c lib/libutil.a $(LDFLAGS) -lzstd -lz

lib/mountops.o lib/flatten.o: lib/mountops.h
bin/vol-mount: cmd/vol-mount.c lib/libutil.a $(LIBHDR) lib/mountops.h $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/vol-mount.c lib/libutil.a $(LDFLAGS)

bin/cg-limit: cmd/cg-limit.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/cg-limit.c lib/libutil.a $(LDFLAGS)

# Small static programs the tests put into container root filesystems.
TESTBIN = tests/out/sysprobe
tests/out/sysprobe: tests/helpers/sysprobe.c $(DEPS)/.built
	@mkdir -p tests/out
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/helpers/sysprobe.c $(LDFLAGS)

# The shell parts of the toolkit: checked for syntax, copied as they are.
bin/skiff: cmd/skiff.sh
	@mkdir -p bin
	sh -n cmd/skiff.sh
	cp cmd/skiff.sh $@ && chmod 755 $@

bin/skiff-build: cmd/skiff-build.sh
	@mkdir -p bin
	sh -n cmd/skiff-build.sh
	cp cmd/skiff-build.sh $@ && chmod 755 $@

bin/skiff-kube: cmd/skiff-kube.sh
	@mkdir -p bin
	sh -n cmd/skiff-kube.sh
	cp cmd/skiff-kube.sh $@ && chmod 755 $@

bin/skiff-check: cmd/skiff-check.sh
	@mkdir -p bin
	sh -n cmd/skiff-check.sh
	cp cmd/skiff-check.sh $@ && chmod 755 $@

bin/skiff-probe: cmd/skiff-probe.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/skiff-probe.c lib/libutil.a $(LDFLAGS)

bin/skiff-state: cmd/skiff-state.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/skiff-state.c lib/libutil.a $(LDFLAGS)

bin/yaml-flat: cmd/yaml-flat.c lib/libutil.a lib/yamlflat.h $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/yaml-flat.c lib/libutil.a $(LDFLAGS) -lyaml

lib/dnsanswer.o lib/dnscache.o lib/dnsfwd.o lib/dnspkt.o lib/dnszone.o: lib/dns.h lib/dnsdb.h

bin/svc-dns: cmd/svc-dns.c lib/libutil.a $(LIBHDR) lib/dns.h $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/svc-dns.c lib/libutil.a $(LDFLAGS)


bin/img-pack: cmd/img-pack.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/img-pack.c lib/libutil.a $(LDFLAGS) -lmd -lz -lzstd -lpthread

bin/dockerfile-parse: cmd/dockerfile-parse.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/dockerfile-parse.c lib/libutil.a $(LDFLAGS)

bin/net-bridge: cmd/net-bridge.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/net-bridge.c lib/libutil.a $(LDFLAGS)

bin/lb-proxy: cmd/lb-proxy.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/lb-proxy.c lib/libutil.a $(LDFLAGS)

test check: all $(TESTBIN)
	tests/run

bench: all
	contrib/setup-debian --bench
	contrib/bench/run

demo: all
	contrib/demo.sh

fuzz:
	tests/fuzz/run 30

lint:
	mandoc -Tlint -W warning $(MAN)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	    --inline-suppr --suppress=missingIncludeSystem \
	    -D__linux__ -D_GNU_SOURCE -Ilib cmd lib

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	for b in $(BIN) $(SCRIPTS); do cp -f $$b $(DESTDIR)$(BINDIR)/ || exit 1; done
	for m in $(MAN); do cp -f $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/ || exit 1; done
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	cp -f contrib/completion/skiff.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/skiff

uninstall:
	for c in $(CMDS) skiff skiff-build skiff-check skiff-kube; do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1 $(DESTDIR)$(MANDIR)/man8/$$c.8; done
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/skiff
	rm -f $(DESTDIR)$(BINDIR)/ns-runc $(DESTDIR)$(MANDIR)/man1/ns-runc.1

clean:
	rm -rf bin lib/*.o lib/libutil.a

distclean: clean
	rm -rf $(BUILD)

.PHONY: all deps test check bench demo fuzz lint install uninstall clean distclean
