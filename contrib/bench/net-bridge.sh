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

# clock: the monotonic time in ns in $T. /proc/timer_list says it without a
# process; date(1) costs a fork and an exec (1-3 ms on a loaded VM), which
# would be counted in every timed round. Either way the cost of a reading
# is measured below (tick) and taken off each round timed alone.
if [ -r /proc/timer_list ] && { read _a; read _a; read _a _a _n _a; } </proc/timer_list &&
    [ "$_n" -gt 0 ] 2>/dev/null; then
	CLOCK=/proc/timer_list
	clock() { { read _a; read _a; read _a _a T _a; } </proc/timer_list; }
else
	CLOCK=date
	clock() { T=$(date +%s%N); }
fi
# per ROUNDS START END: milliseconds a round, two decimals.
per() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", (b - a) / n / 1e6 }'; }
# settle: let the kernel finish tearing down the namespaces of a run, so
# one contestant does not pay for the other's cleanup.
settle() { sleep 2; }

net-bridge create skiff0 --subnet 10.88.0.0/16 >/dev/null || exit 1
ip link add br0 type bridge && ip addr add 10.66.0.1/16 dev br0 && ip link set br0 up || exit 1

nb_round() { net-bridge -- "$TRUE"; }
# The peer's rounds spend no process of the benchmark's own: names without
# $(printf), batches from here-documents rather than a printf pipeline
# (dash forks for both).
# iproute2, one command a step (the peer moved into the namespace).
sep_round() {
	ip netns add "s$1" &&
	ip link add "vs$1" type veth peer name "p$1" &&
	ip link set "p$1" netns "s$1" &&
	ip link set "vs$1" master br0 &&
	ip link set "vs$1" up &&
	ip -n "s$1" link set "p$1" name eth0 &&
	ip -n "s$1" addr add "10.66.$(($1 / 250 + 1)).$(($1 % 250 + 2))/16" dev eth0 &&
	ip -n "s$1" link set eth0 up &&
	ip -n "s$1" link set lo up &&
	ip -n "s$1" route add default via 10.66.0.1 &&
	ip netns exec "s$1" "$TRUE" &&
	ip netns del "s$1"
}
# iproute2 with -batch, the peer created directly in the namespace:
# ip_round PREFIX SUBNET_BASE VETH_OPTS N.
ip_round() {
	ip netns add "$1$4" &&
	ip -batch - <<-EOF &&
	link add v$1$4 master br0 up $3 type veth peer name eth0 netns $1$4 $3
	EOF
	ip -n "$1$4" -batch - <<-EOF &&
	link set lo up
	addr add 10.66.$(($4 / 250 + $2)).$(($4 % 250 + 2))/16 dev eth0
	link set eth0 up
	route add default via 10.66.0.1
	EOF
	ip netns exec "$1$4" "$TRUE" &&
	ip netns del "$1$4"
}
batch_round() { ip_round b 101 "" "$1"; }
# The same with the veth options net-bridge gives (one queue each way on
# both ends; the kernel otherwise makes one a CPU and cuts them down to one,
# waiting for RCU grace periods): what is left is the tools' own cost.
batchq_round() { ip_round q 151 "numtxqueues 1 numrxqueues 1" "$1"; }

# back_to_back ROUND: ms a round over N rounds in a row, wall and CPU
# (user + system of the processes of the rounds and of the shell running
# them, from times(1): a subshell starts at zero; 10 ms ticks). The CPU
# the kernel spends tearing namespaces down is in neither process.
back_to_back() {
	clock; t0=$T
	i=0
	while [ $i -lt "$N" ]; do
		$1 $i || { echo "net-bridge bench: $1 failed" >&2; exit 1; }
		i=$((i + 1))
	done
	clock
	times >"$W/times"
	awk -v n="$N" -v a="$t0" -v b="$T" '
	    { for (i = 1; i <= NF; i++) { split($i, p, "m"); c += p[1] * 60 + p[2] } }
	    END { printf "%.2f %.2f", (b - a) / n / 1e6, c * 1000 / n }' "$W/times"
}
# alone ROUND: the median and the best ms of 15 rounds, each after the
# kernel settled, less the cost of reading the clock ($TICK ns).
alone() {
	i=0
	while [ $i -lt 15 ]; do
		sleep 0.3
		clock; t0=$T
		$1 $((i + 1000)) || { echo "net-bridge bench: $1 failed" >&2; exit 1; }
		clock
		echo $((T - t0 - TICK))
		i=$((i + 1))
	done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[int((NR + 1) / 2)] / 1e6, v[1] / 1e6 }'
}
# The cost of a clock reading: the median of 15 back-to-back pairs.
TICK=$(i=0; while [ $i -lt 15 ]; do
	sleep 0.05; clock; t0=$T; clock; echo $((T - t0)); i=$((i + 1))
done | sort -n | sed -n 8p)

# Warm up both paths (page cache, module state).
for i in 1 2 3 4 5; do nb_round || exit 1; done
settle
nb_a=$(alone nb_round)
sep_a=$(alone sep_round)
batch_a=$(alone batch_round)
batchq_a=$(alone batchq_round)
settle
nb=$(back_to_back nb_round)
settle
sep=$(back_to_back sep_round)
settle
batch=$(back_to_back batch_round)
settle
batchq=$(back_to_back batchq_round)

# The cost of starting `true` alone, which every contestant pays once.
clock; t0=$T
i=0
while [ $i -lt "$N" ]; do "$TRUE"; i=$((i + 1)); done
clock
base=$(per "$N" "$t0" "$T")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
# row NAME "MEDIAN BEST" "IN-A-ROW CPU" [net-bridge's "MEDIAN BEST" "IN-A-ROW CPU"]
row() {
	_m=${2% *} _b=${2#* } _r=${3% *} _c=${3#* }
	if [ $# -eq 3 ]; then
		printf '  %-34s %7s %6s %7s %6s %8s %6s %6s %6s\n' "$1" "$_m" "" "$_b" "" "$_r" "" "$_c" ""
	else
		printf '  %-34s %7s %6s %7s %6s %8s %6s %6s %6s\n' "$1" "$_m" "$(ratio "$_m" "${4% *}")" \
		    "$_b" "$(ratio "$_b" "${4#* }")" "$_r" "$(ratio "$_r" "${5% *}")" \
		    "$_c" "$(ratio "$_c" "${5#* }")"
	fi
}
echo "attach a container, ms a round: median and best of 15 rounds alone (after the"
echo "kernel settled), mean of $N back to back and its CPU (user+sys); exec of"
echo "true alone: $base ms; clock: $CLOCK, $(awk -v t="$TICK" 'BEGIN { printf "%.3f", t / 1e6 }') ms a reading, taken off each round alone"
printf '  %-34s %7s %6s %7s %6s %8s %6s %6s %6s\n' "" median ratio best ratio "in a row" ratio cpu ratio
row "net-bridge -- true" "$nb_a" "$nb"
row "ip, one command a step" "$sep_a" "$sep" "$nb_a" "$nb"
row "ip -batch, peer made in the netns" "$batch_a" "$batch" "$nb_a" "$nb"
row "  the same, one queue a veth end" "$batchq_a" "$batchq" "$nb_a" "$nb"
net-bridge gc >/dev/null
net-bridge rm skiff0
