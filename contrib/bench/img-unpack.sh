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
for t in umoci skopeo tar gzip zstd bc /usr/bin/time; do
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

# run3 NAME CMD: median wall time and median CPU time (user+sys) of 3
# runs, each into a fresh $T/out. CPU time is the steadier figure on a
# shared machine; wall time is what overlapping work (threads, tar's gzip
# child) buys.
run3() {
	_name=$1; shift
	for _i in 1 2 3; do
		rm -rf "$T/out"
		/usr/bin/time -f '%e %U %S' -o "$T/time" sh -c "$*" >/dev/null 2>&1 ||
		    { echo "$_name: failed: $*" >&2; echo "0 0 0" >"$T/time"; }
		awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$T/time"
	done >"$T/runs"
	echo "$(sort -n "$T/runs" | sed -n 2p | cut -d' ' -f1) $(sort -n -k2 "$T/runs" | sed -n 2p | cut -d' ' -f2)"
}
cd "$T" || exit 1
load0=$(cut -d" " -f1-3 /proc/loadavg)
set -- $(run3 gzip "gzip -dc layer.tar.gz >/dev/null"); gz=$1 gzc=$2
zblob=$(ls -S zimg/blobs/sha256/* | head -1)
set -- $(run3 zstd "zstd -dc $zblob >/dev/null"); zs=$1 zsc=$2
set -- $(run3 tar "mkdir out && tar -xzf layer.tar.gz -C out"); tx=$1 txc=$2
set -- $(run3 umoci "umoci unpack --image img:b out"); um=$1 umc=$2
set -- $(run3 img-unpack "img-unpack -o out img:b"); iu=$1 iuc=$2
set -- $(run3 img-unpack-zstd "img-unpack -o out zimg:b"); iz=$1 izc=$2
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "input: $(cat "$C/kind") rootfs, $(du -m "$C/layer.tar.gz" | cut -f1) MB gzip layer, on tmpfs, medians of 3; load average $load0 before, $(cut -d" " -f1-3 /proc/loadavg) after"
printf '%-26s %8s %8s\n' "" "wall" "cpu"
printf '%-26s %7.2fs %7.2fs\n' "gzip -dc >/dev/null" "$gz" "$gzc" \
    "zstd -dc >/dev/null" "$zs" "$zsc" "tar -xzf" "$tx" "$txc" \
    "umoci unpack" "$um" "$umc" "img-unpack -o (gzip)" "$iu" "$iuc" \
    "img-unpack -o (zstd)" "$iz" "$izc"
echo "img-unpack / tar -xzf:   wall $(ratio "$iu" "$tx")x  cpu $(ratio "$iuc" "$txc")x  (target <= 1.0)"
echo "umoci / img-unpack:      wall $(ratio "$um" "$iu")x  cpu $(ratio "$umc" "$iuc")x  (target >= 2)"
echo "img-unpack gzip / zstd:  wall $(ratio "$iu" "$iz")x  cpu $(ratio "$iuc" "$izc")x  (target >= 4)"
