#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/img-pack.sh: `img-pack layer` on a ~75 MB tree of small and big
# files, next to GNU tar + gzip with the same determinism flags and
# `umoci insert` (which writes a layer from a directory into an image).
set -eu
command -v hyperfine >/dev/null || { echo "img-pack bench: hyperfine missing" >&2; exit 1; }
command -v umoci >/dev/null || { echo "img-pack bench: umoci missing" >&2; exit 1; }
tree=$BENCH_CACHE/img-pack-tree-2
if [ ! -d "$tree" ]; then
	rm -rf "$tree.tmp" && mkdir -p "$tree.tmp/usr/lib" "$tree.tmp/usr/share"
	cp -a /usr/lib/python3 "$tree.tmp/usr/lib/"
	cp -a /usr/share/perl "$tree.tmp/usr/share/" 2>/dev/null || true
	mv "$tree.tmp" "$tree"
fi
w=$(mktemp -d "${TMPDIR:-/tmp}/skiff-bench.XXXXXX")
trap 'rm -rf "$w"' EXIT
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH
img-pack init "$w/L0" >/dev/null
img-pack commit --tag base "$w/L0" >/dev/null
echo "tree: $(du -sh "$tree" | cut -f1), $(find "$tree" | wc -l) entries; load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --runs 3 --warmup 1 --export-json "$w/h.json" \
    --prepare "rm -rf $w/L; cp -a $w/L0 $w/L" \
    -n img-pack "img-pack layer $w/L $tree" \
    -n img-pack-zstd "img-pack layer --zstd $w/L $tree" \
    -n tar+gzip "tar -C $tree --sort=name --numeric-owner --owner=0 --group=0 --mtime=@$SOURCE_DATE_EPOCH --clamp-mtime --format=pax -cf - . | gzip -6 >$w/t.tgz" \
    -n umoci-insert "umoci insert --image $w/L:base $tree / " \
    2>&1 | grep -v '^ *$'
jq -r '.results as $r | ($r[] | select(.command=="img-pack") | .median) as $m |
    $r[] | "\(.command): median \(.median * 1000 | floor) ms wall, \(.user * 1000 | floor) ms user CPU, img-pack/this = \($m / .median * 100 | floor / 100)"' "$w/h.json"
