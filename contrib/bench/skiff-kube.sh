#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-kube.sh: from `skiff apply` of a 3-replica Deployment and its
# Service to the service answering; then scaling 3 -> 30 to 30 ready.
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
t0=$(ms)
skiff apply -f "$W/web/deploy.yaml" >/dev/null
cip=$(skiff get services web-service | awk 'NR == 2 { print $3 }')
until wget -qO /dev/null -T 1 "http://$cip/" 2>/dev/null; do sleep 0.01; done
t1=$(ms)
echo "apply of 3 replicas + Service to the service answering: $((t1 - t0)) ms (target <= 300 ms)"
until [ "$(skiff get deployments web-deployment | awk 'NR == 2 { print $2 }')" = 3/3 ]; do sleep 0.05; done
t2=$(ms)
echo "  ... to 3/3 ready: $((t2 - t0)) ms"
t0=$(ms)
skiff scale deployment/web-deployment --replicas=30 >/dev/null
until [ "$(skiff get deployments web-deployment | awk 'NR == 2 { print $2 }')" = 30/30 ]; do sleep 0.05; done
t1=$(ms)
echo "scale 3 -> 30 to 30/30 ready: $((t1 - t0)) ms (target <= 1500 ms)"
