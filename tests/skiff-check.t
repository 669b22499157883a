#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-check.t: the host check, on this host and on doctored /proc and /sys.
. "$(dirname "$0")/lib.sh"

out=$TMP/out
skiff-check >"$out" 2>&1
rc=$?
ok "every line is ok, warn or missing" sh -c '! grep -Ev "^(ok|warn|missing)  " "$1"' sh "$out"
layout=$(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo v2;
	elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then echo hybrid; else echo v1; fi)
ok "reports this host's cgroup layout ($layout)" grep -q "^ok  *cgroups: $layout" "$out"
ok "this host has what skiff needs (exit 0)" test "$rc" = 0 -o -n "$(grep '^missing  toolkit' "$out")"
ok "namespaces found" grep -q "^ok  *namespaces: mnt pid uts ipc net cgroup user" "$out"

# A /proc without overlay and a /sys without cgroups: both reported missing.
P=$TMP/proc S=$TMP/sys
mkdir -p "$P/self/ns" "$P/sys/kernel/seccomp" "$P/sys/user" "$S/fs/cgroup" "$S/module/veth" "$S/module/bridge"
for ns in mnt pid uts ipc net cgroup user; do : >"$P/self/ns/$ns"; done
printf 'nodev\ttmpfs\nnodev\tproc\nnodev\tsysfs\nnodev\tdevpts\nnodev\tmqueue\n' >"$P/filesystems"
printf 'Seccomp:\t0\n' >"$P/self/status"
echo "errno allow kill_process" >"$P/sys/kernel/seccomp/actions_avail"
echo 6.1.0 >"$P/sys/kernel/osrelease"
echo 0 >"$P/sys/user/max_user_namespaces"
SKIFF_CHECK_PROC=$P SKIFF_CHECK_SYS=$S skiff-check -q >"$out" 2>&1
rc=$?
ok "a hidden feature gives a non-zero exit" test "$rc" = 1
ok "overlayfs reported missing, with its fix" grep -q "^missing  overlayfs: .*fix: modprobe overlay" "$out"
ok "no cgroups reported missing" grep -q "^missing  cgroups: nothing mounted" "$out"
ok "user namespaces off: a warning, not a failure" grep -q "^warn     unprivileged user namespaces" "$out"
ok "-q prints no ok lines" sh -c '! grep -q "^ok" "$1"' sh "$out"

testcmd "--version" 0 "skiff-check 0.1.0" skiff-check --version
testerr "unknown option: exit 2" 2 "^skiff-check: --bogus: unknown option" skiff-check --bogus

# make install into a DESTDIR works from anywhere, without the source tree.
D=$TMP/dest
make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
ok "make install DESTDIR puts binaries and pages in place" \
    test -x "$D/usr/bin/ns-run" -a -x "$D/usr/bin/skiff-check" -a -f "$D/usr/share/man/man1/ns-run.1"
testcmd "the installed ns-run runs from another directory" 0 "ns-run 0.1.0" \
    sh -c 'cd / && env PATH="$1/usr/bin" ns-run --version' sh "$D"
make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
ok "make uninstall removes them" test ! -e "$D/usr/bin/ns-run" -a ! -e "$D/usr/bin/skiff-check"
done_testing
