# skiff: tiny static commands that together run containers.
.POSIX:
.SUFFIXES:
.SUFFIXES: .c .o

include config.mk

CMDS = ns-run lb-proxy
BIN = bin/ns-run bin/lb-proxy
MAN = man/ns-run.1 man/lb-proxy.1
SCRIPTS =

LIBOBJ = lib/caps.o lib/err.o lib/exec.o lib/fd.o lib/num.o lib/opt.o lib/path.o \
	lib/seccomp.o lib/lbconf.o lib/lbproto.o lib/lbpump.o
LIBHDR = lib/util.h lib/lb.h

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

lib/libutil.a: $(LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

bin/ns-run: cmd/ns-run.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/ns-run.c lib/libutil.a $(LDFLAGS) -lseccomp

bin/lb-proxy: cmd/lb-proxy.c lib/libutil.a $(LIBHDR) $(DEPS)/.built
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ cmd/lb-proxy.c lib/libutil.a $(LDFLAGS)

test check: all
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
	for m in $(MAN); do cp -f $$m $(DESTDIR)$(MANDIR)/man1/ || exit 1; done

uninstall:
	for c in $(CMDS); do rm -f $(DESTDIR)$(BINDIR)/$$c $(DESTDIR)$(MANDIR)/man1/$$c.1; done

clean:
	rm -rf bin lib/*.o lib/libutil.a

distclean: clean
	rm -rf $(BUILD)

.PHONY: all deps test check bench demo fuzz lint install uninstall clean distclean
