#!/bin/sh
# SPDX-License-Identifier: ISC
# ns-run-oci.sh: ns-run as an OCI runtime. `run` of one `runc spec` bundle
# (/bin/true) by ns-runc, runc and crun; then `podman run --rm IMAGE true`
# with ns-run and with runc as podman's runtime. Medians, in one run.
#
# crun refuses this host's hybrid cgroup layout, so the bare runtimes run
# in a private mount namespace with an empty tmpfs over
# /sys/fs/cgroup/unified, where crun sees plain v1 (as ns-run.sh does).
set -eu
RUNS=${RUNS:-100}
PRUNS=${PRUNS:-15}
for c in hyperfine jq runc; do
	command -v $c >/dev/null || { echo "ns-run-oci bench: $c not installed" >&2; exit 1; }
done
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
# podman gives no --root: the runtimes' state goes to /run/ns-run and
# /run/runc, podman's network state to /run/containers; each is removed
# if it was not here.
had=""
[ -d /run/ns-run ] && had="$had ns-run"
[ -d /run/runc ] && had="$had runc"
[ -d /run/containers ] && had="$had containers"
ls /run/ns-run 2>/dev/null >/tmp/.skiff-bench-nsrun.$$ || true
trap 'rm -rf "$W"
	# State podman left in the runtime root by this run goes too.
	for s in $(ls /run/ns-run 2>/dev/null); do
		grep -qxF "$s" /tmp/.skiff-bench-nsrun.$$ || rm -rf "/run/ns-run/$s"
	done
	rm -f /tmp/.skiff-bench-nsrun.$$
	case $had in *ns-run*) ;; *) rmdir /run/ns-run 2>/dev/null ;; esac
	case $had in *runc*) ;; *) rmdir /run/runc 2>/dev/null ;; esac
	case $had in *containers*) ;; *) rmdir /run/containers/networks /run/containers 2>/dev/null ;; esac
	true' EXIT
R=$W/bundle/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/sys" "$R/tmp" "$R/etc"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in true sh sleep; do ln -s busybox "$R/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
(cd "$W/bundle" && runc spec)
jq '.process.terminal=false | .process.args=["/bin/true"]' "$W/bundle/config.json" >"$W/c.json"
mv "$W/c.json" "$W/bundle/config.json"
ln -s "$(command -v ns-runc)" "$W/ns-runc"

cmds="$W/ns-runc --root $W/s1 run -b $W/bundle b\$\$"
names="ns-run"
cmds="$cmds|runc --root $W/s2 run -b $W/bundle b\$\$"
names="$names runc"
if command -v crun >/dev/null; then
	cmds="$cmds|crun --root $W/s3 run -b $W/bundle b\$\$"
	names="$names crun"
fi
unshare -m --propagation private sh -c '
	mountpoint -q /sys/fs/cgroup/unified && mount -t tmpfs none /sys/fs/cgroup/unified
	IFS="|"; set -- $1
	hyperfine --warmup 5 --runs '"$RUNS"' --export-json '"$W"'/h.json "$@" >/dev/null
' sh "$cmds"

median() { jq -r "[.results[$1].times[]] | sort | .[length/2|floor] * 1000" "$2"; }
echo "bare runtime: run of a runc spec bundle (/bin/true), median of $RUNS runs (ms):"
i=0
base=$(median 0 "$W/h.json")
for n in $names; do
	m=$(median $i "$W/h.json")
	awk -v n="$n" -v m="$m" -v b="$base" 'BEGIN { printf "  %-8s %8.2f ms   ns-run/%s = %.2f\n", n, m, n, b / m }'
	i=$((i + 1))
done
echo "target: ns-run/runc <= 0.50"

command -v podman >/dev/null || { echo "podman not installed: podman figures skipped"; exit 0; }
# podman, on a busybox image loaded from a docker-archive.
I=$W/img
mkdir "$I"
tar -C "$R" -cf "$I/layer.tar" .
d=$(sha256sum "$I/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$d" >"$I/config.json"
printf '[{"Config":"config.json","RepoTags":["localhost/bench-bb:latest"],"Layers":["layer.tar"]}]' >"$I/manifest.json"
tar -C "$I" -cf "$W/img.tar" manifest.json config.json layer.tar
mkdir "$W/rt" && ln -s "$(command -v ns-run)" "$W/rt/runc"
# Wrappers that time each runtime call podman makes (create, start,
# delete): the runtime's own share of a podman run.
for rt in ns-run runc; do
	mkdir "$W/t-$rt"
	real=$W/rt/runc
	[ $rt = runc ] && real=$(command -v runc)
	{
		echo '#!/bin/sh'
		echo 's=$(date +%s%N)'
		echo "\"$real\" \"\$@\"; rc=\$?"
		echo "echo \$(( (\$(date +%s%N) - s) / 1000 )) >>\"$W/t-$rt.calls\""
		echo 'exit $rc'
	} >"$W/t-$rt/runc"
	chmod +x "$W/t-$rt/runc"
done
P="podman --root $W/p/root --runroot $W/p/run --tmpdir $W/p/tmp --network-config-dir $W/p/net \
    --storage-driver vfs --events-backend none --cgroup-manager cgroupfs"
$P load -q -i "$W/img.tar" >/dev/null
U="--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"
# Alternate the two, so that the machine's noise hits both alike.
i=0
while [ $i -lt "$PRUNS" ]; do
	for rt in ns-run runc; do
		: >"$W/t-$rt.calls"
		s=$(date +%s%N)
		$P --runtime "$W/t-$rt/runc" run --rm $U localhost/bench-bb /bin/true
		echo $(( ($(date +%s%N) - s) / 1000 )) >>"$W/$rt.total"
		awk '{ t += $1 } END { print t }' "$W/t-$rt.calls" >>"$W/$rt.rt"
	done
	i=$((i + 1))
done
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'; }
echo "podman run --rm IMAGE /bin/true, median of $PRUNS runs each, alternating (ms):"
awk -v a="$(med "$W/ns-run.total")" -v b="$(med "$W/runc.total")" \
    -v c="$(med "$W/ns-run.rt")" -v d="$(med "$W/runc.rt")" 'BEGIN {
	printf "  whole podman run:             ns-run %7.1f  runc %7.1f   ns-run/runc = %.2f\n", a, b, a / b
	printf "  its 3 runtime calls (summed): ns-run %7.1f  runc %7.1f   ns-run/runc = %.2f\n", c, d, c / d }'
echo "target: measurably below runc"
$P rm -af >/dev/null 2>&1 || true
find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null || true
