# skiff: tiny static commands that together run containers.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

include config.mk

CMDS = ns-run
BIN = bin/ns-run
MAN = man/ns-run.1 man/ns-runc.1
SCRIPTS =

LIBOBJ = lib/caps.o lib/err.o lib/exec.o lib/fd.o lib/num.o lib/opt.o lib/passwd.o \
	lib/path.o lib/rootfs.o \
	lib/seccomp.o
LIBOBJ_OCI = lib/jsonr.o lib/ocicg.o lib/ocispec.o lib/ociproc.o lib/ocistate.o
LIBOBJ += $(LIBOBJ_OCI)
LIBHDR = lib/util.h lib/rootfs.h lib/jsonr.h lib/ocicg.h lib/ocispec.h lib/ociproc.h lib/ocistate.h

all: $(BIN)

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

bin/ns-run: cmd/ns-run.c cmd/ns-run-oci.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/ns-run.c cmd/ns-run-oci.c lib/libutil.a $(LDFLAGS) -lseccomp

# Small static programs the tests put into container root filesystems.
TESTBIN = tests/out/sysprobe
tests/out/sysprobe: tests/helpers/sysprobe.c $(DEPS)/.built
	@mkdir -p tests/out
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ tests/helpers/sysprobe.c $(LDFLAGS)

test check: all $(TESTBIN)
	tests/run

bench: all
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
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	for b in $(BIN) $(SCRIPTS); do cp -f $$b $(DESTDIR)$(BINDIR)/ || exit 1; done
	ln -sf ns-run $(DESTDIR)$(BINDIR)/ns-runc
	for m in $(MAN); do cp -f $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1; done
	rm -f $(DESTDIR)$(BINDIR)/ns-runc $(DESTDIR)$(MANDIR)/man1/ns-runc.1

clean:
	rm -rf bin lib/*.o lib/libutil.a

distclean: clean
	rm -rf $(BUILD)

.PHONY: all deps test check bench demo fuzz lint install uninstall clean distclean
