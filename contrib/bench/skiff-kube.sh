#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-kube.sh: from `skiff apply` of a 3-replica Deployment and its
# Service to the service answering; then scaling 3 -> 30 to 30 ready;
# ROUNDS times (default 3), each from nothing deployed, medians.
# Targets: 300 ms and 1.5 s. Runs in a network namespace of its own.
set -eu
if [ -z "${SKIFF_BENCH_NETNS:-}" ]; then
	SKIFF_BENCH_NETNS=1 exec unshare -n "$0" "$@"
fi
ip link set lo up
W=$(mktemp -d /tmp/skiff-bench.XXXXXX)
export SKIFF_ROOT=$W/root SKIFF_RUN=$W/run
finish() {
	skiff delete -f "$W/web/deploy.yaml" >/dev/null 2>&1 || true
	skiff rm -f $(skiff ps -aq) >/dev/null 2>&1 || true
	skiff gc >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap finish EXIT
cp -a contrib/examples/web "$W/web"
cp "$(command -v busybox)" "$W/web/busybox"
skiff build -q -t web "$W/web" >/dev/null
ms() { date +%s%3N; }
ROUNDS=${ROUNDS:-3}
ready() { [ "$(skiff get deployments web-deployment | awk 'NR == 2 { print $2 }')" = "$1" ]; }
r=0 ans="" rdy="" scl=""
while [ $r -lt "$ROUNDS" ]; do
	t0=$(ms)
	skiff apply -f "$W/web/deploy.yaml" >/dev/null
	cip=$(skiff get services web-service | awk 'NR == 2 { print $3 }')
	until wget -qO /dev/null -t 1 -T 1 "http://$cip/" 2>/dev/null; do sleep 0.01; done
	t1=$(ms)
	until ready 3/3; do sleep 0.05; done
	t2=$(ms)
	skiff scale deployment/web-deployment --replicas=30 >/dev/null
	until ready 30/30; do sleep 0.05; done
	t3=$(ms)
	echo "round $((r + 1)): apply to answering $((t1 - t0)) ms, to 3/3 ready $((t2 - t0)) ms; scale 3 -> 30 ready $((t3 - t2)) ms"
	ans="$ans $((t1 - t0))" rdy="$rdy $((t2 - t0))" scl="$scl $((t3 - t2))"
	skiff delete -f "$W/web/deploy.yaml" >/dev/null
	r=$((r + 1))
done
med() { printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "apply of 3 replicas + Service to the service answering: median $(med "$ans") ms of$ans (target <= 300 ms)"
echo "  ... to 3/3 ready: median $(med "$rdy") ms"
echo "scale 3 -> 30 to 30/30 ready: median $(med "$scl") ms of$scl (target <= 1500 ms)"
echo "  load:$(uptime | sed 's/.*load average://')"
