#!/bin/sh
# SPDX-License-Identifier: ISC
# ns-run.sh: start-to-exit of /bin/true with full default isolation, next
# to bwrap, runc, crun and plain chroot, in one run; the RSS of an idle
# container's PID 1; the size of ns-run.
#
# The commands take turns: each round runs every one of them once, in the
# same order, RUNS rounds after WARMUP (so a change in the machine's load
# falls on all of them alike). Each run is timed from just before
# posix_spawn to the return of wait4, as hyperfine -N does; the CPU time
# (user + sys of the process and the children it waited for) comes from
# wait4 too. Printed: medians, and ns-run's ratio to each.
#
# crun refuses this host's hybrid cgroup layout, so everything runs in a
# private mount namespace with an empty tmpfs over /sys/fs/cgroup/unified,
# where crun sees plain v1 (shared/notes/runtime-facts.md).
set -eu
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-10}
command -v python3 >/dev/null || { echo "ns-run bench: python3 not installed" >&2; exit 1; }
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
R=$W/bundle/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/etc"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in true sh sleep; do ln -s busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"

# One command a line: NAME<TAB>ARGV (words split on spaces; {i} is the
# run's number, for container names that must differ).
cmds=$W/cmds
printf 'ns-run\t%s --rootfs %s -- /bin/true\n' "$(command -v ns-run)" "$R" >"$cmds"
if command -v bwrap >/dev/null; then
	printf 'bwrap\tbwrap --unshare-all --bind %s / --proc /proc --dev /dev /bin/true\n' "$R" >>"$cmds"
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
	printf '%s\t%s --root %s run --bundle %s bench-%s-{i}\n' "$rt" "$rt" "$W/$rt-state" "$W/$rt" "$$" >>"$cmds"
done
printf 'chroot\tchroot %s /bin/true\n' "$R" >>"$cmds"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# One private mount namespace for all of them, so they are measured alike.
unshare -m --propagation private sh -c '
	mountpoint -q /sys/fs/cgroup/unified && mount -t tmpfs none /sys/fs/cgroup/unified
	exec python3 - "$@"' sh "$cmds" "$RUNS" "$WARMUP" <<'PY'
import os, sys, time, statistics
cmds = []
for line in open(sys.argv[1]):
    name, argv = line.rstrip("\n").split("\t")
    cmds.append((name, argv.split(" ")))
runs, warmup = int(sys.argv[2]), int(sys.argv[3])
wall = {n: [] for n, _ in cmds}
cpu = {n: [] for n, _ in cmds}
null = os.open("/dev/null", os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1)]
for i in range(warmup + runs):
    for name, argv in cmds:
        argv = [a.replace("{i}", str(i)) for a in argv]
        t = time.perf_counter_ns()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=acts)
        _, st, ru = os.wait4(pid, 0)
        t = time.perf_counter_ns() - t
        if st != 0:
            sys.exit("ns-run bench: %s: exit status %d" % (argv[0], os.waitstatus_to_exitcode(st)))
        if i >= warmup:
            wall[name].append(t / 1e6)
            cpu[name].append((ru.ru_utime + ru.ru_stime) * 1e3)
med = {n: statistics.median(wall[n]) for n in wall}
cmed = {n: statistics.median(cpu[n]) for n in cpu}
print("start-to-exit of /bin/true, %d interleaved runs each, medians:" % runs)
print("  %-8s %9s %9s   %s" % ("", "wall ms", "cpu ms", "ns-run/it (wall, cpu)"))
for n in wall:
    print("  %-8s %9.2f %9.2f   %.2f, %.2f" % (n, med[n], cmed[n], med["ns-run"] / med[n],
        cmed["ns-run"] / cmed[n]))
for peer, target in (("bwrap", 0.5), ("chroot", 2.5)):
    if peer in med:
        r = med["ns-run"] / med[peer]
        print("target ns-run/%s <= %.2f: %.2f (%s)" % (peer, target, r, "met" if r <= target else "NOT met"))
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

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
