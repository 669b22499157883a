#!/bin/sh
# SPDX-License-Identifier: ISC
# leaks.t: the suite ends here; it fails if any test left something behind.
cd "$(dirname "$0")/../.." || exit 1
echo 1..1
if [ ! -f tests/out/before ]; then
	echo "ok 1 # SKIP no snapshot from tests/run"
	exit 0
fi
# The kernel tears down namespaces and links asynchronously: give it a moment.
i=0
while :; do
	tests/end/snapshot >tests/out/after
	d=$(diff tests/out/before tests/out/after | grep '^>')
	[ -z "$d" ] && break
	i=$((i + 1))
	[ $i -ge 20 ] && break
	sleep 0.1
done
if [ -z "$d" ]; then
	echo "ok 1 - nothing leaked (mounts, netns, links, cgroups, processes)"
else
	echo "not ok 1 - the suite leaked"
	# On stderr too: prove shows a failing test's stderr, not its comments.
	echo "$d" | sed 's/^/#   /' | tee /dev/stderr
	exit 1
fi
