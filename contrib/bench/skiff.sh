#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff.sh: the wrapper's own cost. `skiff run --rm IMAGE true` next to the
# same chain scripted by hand, ns-run alone and podman, in one run.
set -eu
RUNS=${RUNS:-50}
# The store on disk, as /var/lib/skiff; runtime state on a tmpfs, as
# /run/skiff is on every systemd host (here /run is not a tmpfs).
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
WR=$(mktemp -d /dev/shm/skiff-bench.XXXXXX)
export SKIFF_ROOT=$W/root SKIFF_RUN=$WR
cleanup() {
	skiff rm -f $(skiff ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	cg-limit rm bench-chain >/dev/null 2>&1 || true
	rm -rf "$W" "$WR"
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

# The chain as a user would script it: a cgroup made and removed for the
# container, as skiff does; the lower dirs already known.
{
	echo '#!/bin/sh'
	echo "cg-limit bench-chain -- vol-mount --root $W/m --lower $lower --upper $W/u --work $W/w -- ns-run --rootfs $W/m --net new -- /bin/true"
	echo 'rc=$?'
	echo 'cg-limit rm bench-chain'
	echo 'exit $rc'
} >"$W/chain"
chmod +x "$W/chain"

# podman, where it runs here: runc (crun refuses hybrid cgroups), the
# cgroupfs manager, rlimits that root here may set (../shared/notes), and
# the rootfs given directly: no image store, the cheaper path for podman.
podman="podman --cgroup-manager cgroupfs --runtime runc run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --rootfs $R /bin/true"
$podman >/dev/null 2>&1 || podman=""

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/h.json" \
    "ns-run --rootfs $R -- /bin/true" \
    "$W/chain" \
    "skiff run --rm --network none bench true" \
    ${podman:+"$podman"} >/dev/null 2>&1
python3 - "$W/h.json" "$(uptime)" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
med = [statistics.median(x["times"]) * 1000 for x in r]
lo = [min(x["times"]) * 1000 for x in r]
print("skiff run --rm IMAGE true, %d runs each (ms)     median     min" % len(r[0]["times"]))
print("  ns-run alone                                %7.2f %7.2f" % (med[0], lo[0]))
print("  the chain, scripted by hand                 %7.2f %7.2f" % (med[1], lo[1]))
print("  skiff run --rm                              %7.2f %7.2f" % (med[2], lo[2]))
if len(r) > 3:
    print("  podman run --rm (runc, --rootfs)            %7.2f %7.2f   %.1fx skiff's time" % (med[3], lo[3], med[3] / med[2]))
print("  wrapper overhead                            %7.2f %7.2f   (target <= 10 ms)" % (med[2] - med[1], lo[2] - lo[1]))
print("  load:" + sys.argv[2].split("load average:")[-1])
PY
