#!/bin/sh
# SPDX-License-Identifier: ISC
# vol-mount.sh: an overlay root over two layers + 2 binds + a tmpfs + a
# named volume, then exec true; next to the same done by unshare -m and
# mount(8) commands in a shell, in one hyperfine run (medians of RUNS).
set -eu
RUNS=${RUNS:-300}
command -v hyperfine >/dev/null || { echo "vol-mount bench: hyperfine not installed" >&2; exit 1; }
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/l1/etc" "$W/l2/bin" "$W/l2/etc" "$W/root" "$W/s1" "$W/s2" \
    "$W/up" "$W/work" "$W/up2" "$W/work2" "$W/state/volumes/v/data"
cp "$(command -v busybox)" "$W/l2/bin/busybox"
echo top >"$W/l1/etc/motd"
export SKIFF_ROOT="$W/state"
vol-mount volume create bench >/dev/null

ours="vol-mount --root $W/root --lower $W/l1:$W/l2 --upper $W/up --work $W/work \
--bind $W/s1:/d1 --bind $W/s2:/d2:ro --tmpfs /tmp:size=16m --volume bench:/vol -- true"
V=$W/state/volumes/bench/data
R=$W/root
peer="unshare -m --propagation private sh -c 'mount -t overlay overlay \
-o lowerdir=$W/l1:$W/l2,upperdir=$W/up2,workdir=$W/work2 $R && \
mkdir -p $R/d1 $R/d2 $R/tmp $R/vol && \
mount --bind $W/s1 $R/d1 && mount --bind $W/s2 $R/d2 && mount -o remount,bind,ro $R/d2 && \
mount -t tmpfs -o size=16m,nosuid,nodev,noexec tmpfs $R/tmp && \
mount --bind $V $R/vol && exec true'"

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$W/h.json" "$ours" "$peer" >/dev/null 2>&1 ||
hyperfine --warmup 20 --runs "$RUNS" --export-json "$W/h.json" "$ours" "$peer" >/dev/null

python3 - "$W/h.json" <<'PY'
import json, sys, statistics
res = json.load(open(sys.argv[1]))["results"]
m = [statistics.median(r["times"]) * 1000 for r in res]
c = [(r.get("user", 0) + r.get("system", 0)) * 1000 for r in res]
print("overlay root + 2 binds + tmpfs + named volume, then true; median of %d runs:" % len(res[0]["times"]))
print("  vol-mount                     %7.3f ms  (cpu %.3f ms)" % (m[0], c[0]))
print("  unshare -m + sh + mount(8)    %7.3f ms  (cpu %.3f ms)" % (m[1], c[1]))
print("  ratio vol-mount/peer = %.3f wall (target <= 0.20), %.3f cpu" % (m[0] / m[1], c[0] / c[1]))
PY
size=$(stat -c %s "$(command -v vol-mount)")
echo "vol-mount binary: $size bytes stripped"
