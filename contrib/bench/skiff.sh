#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff.sh: the wrapper's own cost. `skiff run --rm IMAGE true` next to the
# same chain typed by hand and next to ns-run alone, in one run (medians).
set -eu
RUNS=${RUNS:-50}
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
export SKIFF_ROOT=$W/root SKIFF_RUN=$W/run
cleanup() {
	skiff rm -f $(skiff ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
R=$W/rootfs
mkdir -p "$R/bin" "$R/etc"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in true sh; do ln -s busybox "$R/bin/$a"; done
(cd "$W" && umoci init --layout L && umoci new --image L:latest &&
    umoci unpack --image L:latest B && cp -a rootfs/. B/rootfs/ &&
    umoci repack --image L:latest B) >/dev/null 2>&1
img-unpack load "oci:$W/L:latest" bench:latest >/dev/null
lower=$(img-unpack bench:latest | paste -sd: -)
mkdir -p "$W/u" "$W/w" "$W/m"
chain="cg-limit bench-chain -- vol-mount --root $W/m --lower $lower --upper $W/u --work $W/w -- ns-run --rootfs $W/m --net new -- /bin/true"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/h.json" \
    "ns-run --rootfs $R -- /bin/true" \
    "$chain" \
    "skiff run --rm --network none bench true" >/dev/null 2>&1
cg-limit rm bench-chain >/dev/null 2>&1 || true
python3 - "$W/h.json" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
m = [statistics.median(x["times"]) * 1000 for x in r]
print("skiff run --rm IMAGE true, medians of %d runs (ms):" % len(r[0]["times"]))
print("  ns-run alone               %7.2f" % m[0])
print("  the chain by hand          %7.2f" % m[1])
print("  skiff run --rm             %7.2f" % m[2])
print("  wrapper overhead           %7.2f ms (target <= 10 ms)" % (m[2] - m[1]))
PY
