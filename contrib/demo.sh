#!/bin/sh
# SPDX-License-Identifier: ISC
# demo.sh: the main job on an embedded default image. Until the wrapper
# exists: a container in a busybox-static rootfs with ns-run.
set -eu
cd "$(dirname "$0")/.."
PATH=$(pwd)/bin:$PATH
root=$(mktemp -d /tmp/skiff-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
bb=$(command -v busybox)
mkdir -p "$root/bin" "$root/etc" "$root/tmp"
cp "$bb" "$root/bin/busybox"
for a in sh echo hostname id ps cat grep ls head; do ln -s busybox "$root/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo "skiff demo: a container in $root"
ns-run --rootfs "$root" --hostname demo --clear-env -- /bin/sh -c '
	echo "hostname: $(hostname)"
	echo "whoami:   $(id)"
	echo "processes:"; ps
	grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
	echo "/dev:"; ls /dev'
