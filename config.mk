# skiff build configuration: edit here, or override on make's command line.
VERSION = 0.1.0

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

# Static musl builds; the libraries are rebuilt from Debian's sources with
# musl-gcc into DEPS by contrib/deps.sh (Debian's own .a files are glibc's).
BUILD = build
DEPS = $(BUILD)/deps
CC = musl-gcc
AR = ar
CPPFLAGS = -D_GNU_SOURCE -Ilib -I$(BUILD) -I$(DEPS)/include
CFLAGS = -std=c11 -Os -Wall -Wextra -fstack-protector-strong \
	-ffunction-sections -fdata-sections
LDFLAGS = -static -s -Wl,--gc-sections -L$(DEPS)/lib
