#!/bin/sh
# SPDX-License-Identifier: ISC
# ns-run.sh: start-to-exit of /bin/true with full default isolation, next
# to bwrap, runc, crun and plain chroot, in one run (medians of RUNS runs);
# the RSS of an idle container's PID 1; the size of ns-run.
#
# crun refuses this host's hybrid cgroup layout, so everything runs in a
# private mount namespace with an empty tmpfs over /sys/fs/cgroup/unified,
# where crun sees plain v1 (shared/notes/runtime-facts.md).
set -eu
RUNS=${RUNS:-200}
command -v hyperfine >/dev/null || { echo "ns-run bench: hyperfine not installed" >&2; exit 1; }
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
R=$W/bundle/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/etc"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in true sh sleep; do ln -s busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"

cmds="ns-run --rootfs $R -- /bin/true"
names="ns-run"
if command -v bwrap >/dev/null; then
	cmds="$cmds|bwrap --unshare-all --bind $R / --proc /proc --dev /dev /bin/true"
	names="$names bwrap"
fi
for rt in runc crun; do
	command -v $rt >/dev/null || continue
	mkdir -p "$W/$rt"
	(cd "$W/$rt" && $rt spec)
	python3 - "$W/$rt/config.json" "$R" <<'PY'
import json, sys
p, root = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["root"] = {"path": root, "readonly": False}
json.dump(c, open(p, "w"))
PY
	cmds="$cmds|cd $W/$rt && $rt --root $W/$rt-state run bench-\$\$"
	names="$names $rt"
done
cmds="$cmds|chroot $R /bin/true"
names="$names chroot"

# One private mount namespace for all of them, so they are measured alike.
unshare -m --propagation private sh -c '
	mountpoint -q /sys/fs/cgroup/unified && mount -t tmpfs none /sys/fs/cgroup/unified
	IFS="|"; set -- $1
	hyperfine -N --warmup 10 --runs '"$RUNS"' --export-json '"$W"'/h.json "$@" >/dev/null 2>&1 ||
	hyperfine --warmup 10 --runs '"$RUNS"' --export-json '"$W"'/h.json "$@" >/dev/null
' sh "$cmds"

python3 - "$W/h.json" $names <<'PY'
import json, sys, statistics
res = json.load(open(sys.argv[1]))["results"]
names = sys.argv[2:]
med = {n: statistics.median(r["times"]) * 1000 for n, r in zip(names, res)}
base = med["ns-run"]
print("start-to-exit of /bin/true, median of %d runs (ms):" % len(res[0]["times"]))
for n in names:
    print("  %-8s %7.2f ms   ns-run/%s = %.2f" % (n, med[n], n, base / med[n]))
print("targets: ns-run/bwrap <= 0.50, ns-run/chroot <= 2.50")
PY

# Idle PID 1: the RSS of ns-run's init while the program sleeps.
ns-run --rootfs "$R" -- /bin/sleep 30 &
outer=$!
sleep 0.5
init=$(cat /proc/$outer/task/$outer/children 2>/dev/null | awk '{print $1}')
rss=$(awk '/^VmRSS/ {print $2}' /proc/"$init"/status 2>/dev/null || echo "?")
outer_rss=$(awk '/^VmRSS/ {print $2}' /proc/"$outer"/status 2>/dev/null || echo "?")
kill -TERM $outer 2>/dev/null; wait $outer 2>/dev/null || true
echo "idle container: PID 1 (init) RSS ${rss} kB, the ns-run outside ${outer_rss} kB (target: PID 1 <= 150 kB)"
size=$(stat -c %s "$(command -v ns-run)")
echo "ns-run binary: $size bytes stripped (target <= 204800)"
