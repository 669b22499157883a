#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-build.sh: the web example built cold and cached by skiff build,
# next to `buildah bud --isolation chroot` on the same Dockerfile, in one
# run. Targets: cold <= 0.5x buildah; cached rebuild <= 100 ms.
set -eu
command -v buildah >/dev/null || { echo "skiff-build bench: buildah not installed" >&2; exit 1; }
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
trap 'rm -rf "$W" 2>/dev/null; buildah --root "$W/bs" --runroot "$W/br" rmi -a >/dev/null 2>&1 || true' EXIT
cp -a contrib/examples/web "$W/web"
cp "$(command -v busybox)" "$W/web/busybox"
ms() { date +%s%3N; }
med() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$W/cold"; : >"$W/cached"; : >"$W/buildah"
for i in 1 2 3; do
	rm -rf "$W/root"
	t=$(ms); SKIFF_ROOT=$W/root skiff build -q -t web "$W/web" >/dev/null; echo $(( $(ms) - t )) >>"$W/cold"
	t=$(ms); SKIFF_ROOT=$W/root skiff build -q -t web "$W/web" >/dev/null; echo $(( $(ms) - t )) >>"$W/cached"
	rm -rf "$W/bs" "$W/br"
	t=$(ms)
	buildah --root "$W/bs" --runroot "$W/br" --storage-driver vfs bud --isolation chroot -q -t web "$W/web" >/dev/null 2>&1
	echo $(( $(ms) - t )) >>"$W/buildah"
done
c=$(med <"$W/cold") k=$(med <"$W/cached") b=$(med <"$W/buildah")
echo "skiff build of contrib/examples/web, medians of 3 (ms):"
echo "  skiff build, cold       $c   ($(awk -v a="$c" -v b="$b" 'BEGIN { printf "%.2f", a / b }')x buildah; target <= 0.50)"
echo "  skiff build, cached     $k   (target <= 100 ms)"
echo "  buildah bud (chroot)    $b"
