#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/net-bridge: attaching a container to a bridge network (network
# namespace + veth with its peer made in the namespace + bridge port +
# address + lo and eth0 up + default route, then exec `true`), net-bridge
# against iproute2: separate `ip` commands, and `ip -batch` with the peer
# created directly in the namespace. All of it inside a network and mount
# namespace of the benchmark's own: the host's interfaces are not touched.
# A round is a container's whole network life: net-bridge's namespace goes
# when `true` exits, iproute2's with `ip netns del`; the kernel finishes both
# teardowns asynchronously, within the rounds that follow.
# Usage: contrib/bench/net-bridge.sh [ROUNDS]   (default 100)
set -u
if [ -z "${NB_BENCH_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "net-bridge bench: needs root" >&2; exit 1; }
	NB_BENCH_INNER=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
N=${1:-100}
command -v ip >/dev/null || { echo "net-bridge bench: needs iproute2" >&2; exit 1; }
command -v net-bridge >/dev/null || { echo "net-bridge bench: build first" >&2; exit 1; }
TRUE=/bin/true
[ -x "$TRUE" ] || TRUE=/usr/bin/true

# State and named namespaces on tmpfs, as /run is on a real system.
W=$(mktemp -d "${TMPDIR:-/tmp}/nb-bench.XXXXXX")
mount -t tmpfs nb-bench "$W" || exit 1
mkdir -p /run/netns && mount -t tmpfs nb-bench-netns /run/netns || exit 1
trap 'umount /run/netns 2>/dev/null; umount -l "$W"; rm -rf "$W"' EXIT
SKIFF_RUN=$W/run
export SKIFF_RUN
ip link set lo up

now() { date +%s%N; }
# per ROUNDS START END: milliseconds a round, two decimals.
per() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }'; }
# settle: let the kernel finish tearing down the namespaces of a run, so
# one contestant does not pay for the other's cleanup.
settle() { sleep 2; }

net-bridge create skiff0 --subnet 10.88.0.0/16 >/dev/null || exit 1
ip link add br0 type bridge && ip addr add 10.66.0.1/16 dev br0 && ip link set br0 up || exit 1

nb_round() { net-bridge -- "$TRUE"; }
# iproute2, one command a step (the peer moved into the namespace).
sep_round() {
	h=$(printf 'vs%04x' $1)
	ip netns add "s$1" &&
	ip link add "$h" type veth peer name "p$1" &&
	ip link set "p$1" netns "s$1" &&
	ip link set "$h" master br0 &&
	ip link set "$h" up &&
	ip -n "s$1" link set "p$1" name eth0 &&
	ip -n "s$1" addr add "10.66.$(($1 / 250 + 1)).$(($1 % 250 + 2))/16" dev eth0 &&
	ip -n "s$1" link set eth0 up &&
	ip -n "s$1" link set lo up &&
	ip -n "s$1" route add default via 10.66.0.1 &&
	ip netns exec "s$1" "$TRUE" &&
	ip netns del "s$1"
}
# iproute2 with -batch, the peer created directly in the namespace.
batch_round() {
	h=$(printf 'vb%04x' $1)
	ip netns add "b$1" &&
	printf 'link add %s master br0 up type veth peer name eth0 netns b%d\n' "$h" $1 | ip -batch - &&
	printf 'link set lo up\naddr add 10.66.%d.%d/16 dev eth0\nlink set eth0 up\nroute add default via 10.66.0.1\n' \
	    $(($1 / 250 + 101)) $(($1 % 250 + 2)) | ip -n "b$1" -batch - &&
	ip netns exec "b$1" "$TRUE" &&
	ip netns del "b$1"
}

# back_to_back ROUND: ms a round over N rounds in a row.
back_to_back() {
	t0=$(now)
	i=0
	while [ $i -lt "$N" ]; do
		$1 $i || { echo "net-bridge bench: $1 failed" >&2; exit 1; }
		i=$((i + 1))
	done
	t1=$(now)
	per "$N" "$t0" "$t1"
}
# alone ROUND: the median and the best ms of 15 rounds, each after the
# kernel settled.
alone() {
	i=0
	while [ $i -lt 15 ]; do
		sleep 0.3
		t0=$(now)
		$1 $((i + 1000)) || { echo "net-bridge bench: $1 failed" >&2; exit 1; }
		t1=$(now)
		echo $((t1 - t0))
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[int((NR + 1) / 2)] / 1e6, v[1] / 1e6 }'
}

# Warm up both paths (page cache, module state).
for i in 1 2 3 4 5; do nb_round || exit 1; done
settle
nb_a=$(alone nb_round)
sep_a=$(alone sep_round)
batch_a=$(alone batch_round)
settle
nb=$(back_to_back nb_round)
settle
sep=$(back_to_back sep_round)
settle
batch=$(back_to_back batch_round)

# The cost of starting `true` alone, which every contestant pays once.
t0=$(now)
i=0
while [ $i -lt "$N" ]; do "$TRUE"; i=$((i + 1)); done
t1=$(now)
base=$(per "$N" "$t0" "$t1")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
# row NAME "MEDIAN BEST" IN-A-ROW [net-bridge's "MEDIAN BEST" IN-A-ROW]
row() {
	_m=${2% *} _b=${2#* } _r=$3
	if [ $# -eq 3 ]; then
		printf '  %-34s %7s %6s %7s %6s %8s %6s\n' "$1" "$_m" "" "$_b" "" "$_r" ""
	else
		printf '  %-34s %7s %6s %7s %6s %8s %6s\n' "$1" "$_m" "$(ratio "$_m" "${4% *}")" \
		    "$_b" "$(ratio "$_b" "${4#* }")" "$_r" "$(ratio "$_r" "$5")"
	fi
}
echo "attach a container, ms a round: median and best of 15 rounds alone (after the"
echo "kernel settled), mean of $N back to back; exec of true alone: $base ms"
printf '  %-34s %7s %6s %7s %6s %8s %6s\n' "" median ratio best ratio "in a row" ratio
row "net-bridge -- true" "$nb_a" "$nb"
row "ip, one command a step" "$sep_a" "$sep" "$nb_a" "$nb"
row "ip -batch, peer made in the netns" "$batch_a" "$batch" "$nb_a" "$nb"
net-bridge gc >/dev/null
net-bridge rm skiff0
