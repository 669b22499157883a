#!/bin/sh
# SPDX-License-Identifier: ISC
# deps.sh: build zlib, libmd, libbsd, libseccomp, libzstd (and later libs) from
# Debian's own source packages with musl-gcc into a private prefix.
#
# Debian ships these libraries only as glibc builds with fortify, whose
# archives reference glibc-only symbols, so they cannot be linked with musl.
# Each library is rebuilt from `apt-get source` and cached on its Debian
# source version: a security update changes the version and rebuilds.
#
# usage: contrib/deps.sh PREFIX [LIB...]
set -eu

P=${1:?usage: deps.sh PREFIX [LIB...]}
shift
[ $# -gt 0 ] || set -- zlib libmd libbsd libseccomp libzstd
mkdir -p "$P"
P=$(cd "$P" && pwd)
SRC=$P/src
mkdir -p "$SRC" "$P/include" "$P/lib" "$P/stamp"

# musl-gcc leaves out /usr/include, but netlink, seccomp and friends need
# the kernel UAPI headers: expose just those.
for d in /usr/include/linux /usr/include/asm-generic \
    /usr/include/x86_64-linux-gnu/asm; do
	[ -e "$P/include/$(basename "$d")" ] || ln -s "$d" "$P/include/"
done

export CC=musl-gcc
export CFLAGS="-Os -fPIC -ffunction-sections -fdata-sections"
export CPPFLAGS="-I$P/include"
export LDFLAGS="-L$P/lib"
export PKG_CONFIG_LIBDIR="$P/lib/pkgconfig"
export PKG_CONFIG_PATH=
jobs=$(nproc 2>/dev/null || echo 2)

# srcversion PKG: the Debian source version apt would fetch now.
srcversion() {
	apt-cache showsrc "$1" 2>/dev/null |
	    awk '/^Version:/ { print $2; exit }'
}

fetch() {
	pkg=$1
	rm -rf "$SRC/$pkg" && mkdir -p "$SRC/$pkg"
	(cd "$SRC/$pkg" && apt-get source -qq --download-only "$pkg" >/dev/null &&
	    dpkg-source -x --no-check ./*.dsc build >/dev/null)
	echo "$SRC/$pkg/build"
}

build_one() {
	pkg=$1
	ver=$(srcversion "$pkg")
	if [ -z "$ver" ]; then
		echo "deps.sh: $pkg: no source package known to apt (deb-src missing? apt-get update?)" >&2
		exit 1
	fi
	stamp=$P/stamp/$pkg
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver" ]; then
		return 0
	fi
	echo "deps.sh: building $pkg $ver with musl-gcc" >&2
	dir=$(fetch "$pkg")
	cd "$dir"
	case $pkg in
	zlib)
		./configure --prefix="$P" --static >/dev/null
		make -s -j"$jobs" libz.a >/dev/null
		make -s install >/dev/null
		;;
	libmd|libbsd)
		./configure -q --prefix="$P" --disable-shared --enable-static >/dev/null
		make -s -j"$jobs" >/dev/null
		make -s install >/dev/null
		;;
	libseccomp)
		./configure -q --prefix="$P" --disable-shared --enable-static \
		    --disable-python >/dev/null
		make -s -j"$jobs" >/dev/null
		make -s install >/dev/null
		;;
	libzstd)
		make -s -C lib -j"$jobs" libzstd.a ZSTD_LIB_DICTBUILDER=0 \
		    ZSTD_LIB_DEPRECATED=0 >/dev/null
		cp lib/libzstd.a "$P/lib/"
		cp lib/zstd.h lib/zstd_errors.h "$P/include/"
		;;
	yaml)
		for f in src/*.c; do
			$CC $CFLAGS -DHAVE_CONFIG_H=0 -DYAML_VERSION_MAJOR=0 \
			    -DYAML_VERSION_MINOR=2 -DYAML_VERSION_PATCH=5 \
			    -DYAML_VERSION_STRING='"0.2.5"' -Iinclude -c "$f" \
			    -o "${f%.c}.o"
		done
		ar rcs "$P/lib/libyaml.a" src/*.o
		cp include/yaml.h "$P/include/"
		;;
	*)
		echo "deps.sh: $pkg: unknown library" >&2
		exit 1
		;;
	esac
	cd "$P"
	# A libbsd.so linker script is installed even with --disable-shared
	# and points at a shared object that was never built.
	rm -f "$P/lib/libbsd.so" "$P"/lib/*.la
	rm -rf "$SRC/$pkg"
	echo "$ver" >"$stamp"
}

for lib in "$@"; do
	build_one "$lib"
done
