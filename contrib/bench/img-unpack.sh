#!/bin/sh
# SPDX-License-Identifier: ISC
# bench img-unpack: a debootstrap minbase rootfs as one gzip layer (and the
# same as zstd), unpacked on tmpfs by img-unpack -o, umoci unpack, tar -xzf,
# with gzip -dc >/dev/null as the inflate floor. Medians of 3 runs.
# The image is built once into $BENCH_CACHE (debootstrap needs Debian's
# mirror; without it a synthetic tree of the same shape is used, and said).
set -u
: "${BENCH_CACHE:?run me through contrib/bench/run}"
C=$BENCH_CACHE/img-unpack
mkdir -p "$C"
for t in umoci skopeo tar gzip zstd; do
	command -v $t >/dev/null || { echo "img-unpack bench: $t missing (contrib/packages.d/img-unpack.txt)"; exit 1; }
done

if [ ! -f "$C/layer.tar.gz" ]; then
	rm -rf "$C/rootfs" "$C/img"
	if command -v debootstrap >/dev/null &&
	    debootstrap --variant=minbase bookworm "$C/rootfs" http://deb.debian.org/debian \
	    >"$C/debootstrap.log" 2>&1; then
		echo "debootstrap" >"$C/kind"
	else
		echo "img-unpack bench: debootstrap failed (log: $C/debootstrap.log); using a synthetic tree" >&2
		rm -rf "$C/rootfs"; mkdir -p "$C/rootfs"
		# ~7000 entries, ~190 MB, compressible like binaries and text.
		i=0
		while [ $i -lt 300 ]; do
			d=$C/rootfs/usr/d$i; mkdir -p "$d"
			j=0
			while [ $j -lt 20 ]; do
				head -c $(( (i * 37 + j * 101) % 60000 + 2000 )) /bin/bash >"$d/f$j"
				ln -s "f$j" "$d/l$j"
				j=$((j + 1))
			done
			i=$((i + 1))
		done
		echo "synthetic" >"$C/kind"
	fi
	tar --numeric-owner --xattrs -C "$C/rootfs" -cf "$C/layer.tar" . &&
	gzip -6 -c "$C/layer.tar" >"$C/layer.tar.gz" &&
	rm -rf "$C/rootfs" || exit 1
	umoci init --layout "$C/img" >/dev/null 2>&1 && umoci new --image "$C/img:b" >/dev/null 2>&1 &&
	umoci raw add-layer --image "$C/img:b" "$C/layer.tar" >/dev/null 2>&1 || exit 1
	skopeo copy -q --dest-compress --dest-compress-format zstd "oci:$C/img:b" "oci:$C/zimg:b" || exit 1
	rm -f "$C/layer.tar"
fi

T=$(mktemp -d /dev/shm/skiff-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cp -a "$C/img" "$C/zimg" "$C/layer.tar.gz" "$T/"

# run3 NAME CMD: median wall time of 3 runs, each into a fresh $T/out.
run3() {
	_name=$1; shift
	for _i in 1 2 3; do
		rm -rf "$T/out"
		_s=$(date +%s.%N)
		sh -c "$*" >/dev/null 2>&1 || { echo "$_name: failed: $*" >&2; echo 0; return; }
		_e=$(date +%s.%N)
		echo "$_e - $_s" | bc
	done | sort -n | sed -n 2p
}
cd "$T" || exit 1
gz=$(run3 gzip "gzip -dc layer.tar.gz >/dev/null")
tx=$(run3 tar "mkdir out && tar -xzf layer.tar.gz -C out")
um=$(run3 umoci "umoci unpack --image img:b out")
iu=$(run3 img-unpack "img-unpack -o out img:b")
iz=$(run3 img-unpack-zstd "img-unpack -o out zimg:b")
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "input: $(cat "$C/kind") rootfs, $(du -m "$C/layer.tar.gz" | cut -f1) MB gzip layer, on tmpfs, medians of 3; load average $(cut -d" " -f1-3 /proc/loadavg)"
printf '%-28s %6.2f s\n' "gzip -dc >/dev/null" "$gz" "tar -xzf" "$tx" "umoci unpack" "$um" \
    "img-unpack -o (gzip)" "$iu" "img-unpack -o (zstd)" "$iz"
echo "img-unpack / tar -xzf:      $(ratio "$iu" "$tx")x  (target <= 1.0)"
echo "umoci / img-unpack:         $(ratio "$um" "$iu")x  (target >= 2)"
echo "img-unpack gzip / zstd:     $(ratio "$iu" "$iz")x  (target >= 4)"
