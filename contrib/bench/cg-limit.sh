#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/cg-limit.sh: create a group, limit it (memory, pids), run `true` in
# it, remove it: cg-limit against cgroup-tools' cgcreate/cgset/cgexec/cgdelete
# (Debian's cgroup-tools), in one run, with hyperfine.
set -u
command -v hyperfine >/dev/null || { echo "cg-limit bench: hyperfine is not installed" >&2; exit 1; }
command -v cgcreate >/dev/null || { echo "cg-limit bench: cgroup-tools is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "cg-limit bench: needs root" >&2; exit 1; }
runs=${BENCH_RUNS:-100}
out=$(mktemp -d "${TMPDIR:-/tmp}/skiff-bench.XXXXXX")
G=skiffbench-$$
trap 'cg-limit rm $G >/dev/null 2>&1; for c in $ctrls; do cgdelete $c:/$G >/dev/null 2>&1; done; rm -rf "$out"' EXIT

# The same hierarchies for both: every one cg-limit joins.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	ctrls="memory pids cpu cpuset io"
	set_peer="-r memory.max=64m -r pids.max=100"
else
	ctrls="memory pids cpu cpuacct cpuset blkio freezer"
	set_peer="-r memory.limit_in_bytes=64m -r pids.max=100 -r cpuset.cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus) -r cpuset.mems=$(cat /sys/fs/cgroup/cpuset/cpuset.mems)"
fi
list=$(echo $ctrls | tr ' ' ,)
dirs=""
for c in $ctrls; do
	d=/sys/fs/cgroup/$c/$G
	[ -f /sys/fs/cgroup/cgroup.controllers ] && d=/sys/fs/cgroup/$G
	dirs="$dirs $d"
done
[ -f /sys/fs/cgroup/cgroup.controllers ] && dirs=/sys/fs/cgroup/$G
# cgdelete (2.0.2) removes only the first hierarchy when given several on
# v1, so the faithful peer deletes one hierarchy per call; the second peer
# does that step with one rmdir instead, to be fair to cgroup-tools.
del=""
for c in $ctrls; do del="$del cgdelete $c:/$G &&"; done

hyperfine -N --version >/dev/null 2>&1
hyperfine --warmup 5 --runs "$runs" --export-json "$out/r.json" --style basic \
    -n cg-limit "cg-limit --memory 64m --pids 100 $G -- true && cg-limit rm $G" \
    -n cgroup-tools "cgcreate -g $list:/$G && cgset $set_peer $G && cgexec -g $list:$G true && $del true" \
    -n cgroup-tools+rmdir "cgcreate -g $list:/$G && cgset $set_peer $G && cgexec -g $list:$G true && rmdir $dirs" \
    >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
grep -E 'Time|±' "$out/log" | sed 's/^/  /' >/dev/null
# Medians in ms from the JSON, then the ratios.
awk -F'[:,]' '
	/"command"/ { gsub(/[" ]/, "", $2); name = $2 }
	/"median"/ { med[name] = $2 * 1000; order[++n] = name }
	END {
		for (i = 1; i <= n; i++)
			printf "%-22s median %7.2f ms\n", order[i], med[order[i]]
		printf "ratio cg-limit / cgroup-tools:        %.3f\n", med["cg-limit"] / med["cgroup-tools"]
		printf "ratio cg-limit / cgroup-tools+rmdir:  %.3f (target <= 0.2)\n", med["cg-limit"] / med["cgroup-tools+rmdir"]
	}' "$out/r.json"
