#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.sh: the main job. Build the web example image from its Dockerfile,
# deploy three replicas behind a Service from Kubernetes YAML, fetch the
# service by name from inside a container six times (every replica
# answers), and clean up. It runs in a network namespace and a state
# directory of its own, so the host is left exactly as it was.
set -eu
if [ -z "${SKIFF_DEMO_NETNS:-}" ]; then
	SKIFF_DEMO_NETNS=1 exec unshare -n "$0" "$@"
fi
cd "$(dirname "$0")/.."
PATH=$(pwd)/bin:$PATH
W=$(mktemp -d /tmp/skiff-demo.XXXXXX)
export SKIFF_ROOT=$W/root SKIFF_RUN=$W/run
finish() {
	echo
	echo '$ skiff delete -f contrib/examples/web/deploy.yaml'
	skiff delete -f contrib/examples/web/deploy.yaml || true
	skiff rm -f $(skiff ps -aq) >/dev/null 2>&1 || true
	skiff gc >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap finish EXIT
ip link set lo up

step() { echo; echo "\$ $*"; "$@"; }

cp -a contrib/examples/web "$W/web"
cp "$(command -v busybox)" "$W/web/busybox"
step skiff build -t web "$W/web"
step skiff apply -f contrib/examples/web/deploy.yaml
i=0
until [ "$(skiff get deployments web-deployment | awk 'NR == 2 { print $2 }')" = 3/3 ]; do
	i=$((i + 1)); [ $i -lt 300 ] || { echo "demo: the replicas did not become ready" >&2; exit 1; }
	sleep 0.1
done
step skiff get deployments
step skiff get pods -o wide
step skiff get services
echo
echo '$ skiff run --rm web sh -c '"'"'for i in 1 2 3 4 5 6; do wget -qO- http://web-service/; done'"'"
skiff run --rm web sh -c 'for i in 1 2 3 4 5 6; do wget -qO- http://web-service/; done'
