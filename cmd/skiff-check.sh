#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-check: can this kernel and host run skiff? One line a check:
# "ok", "warn" or "missing", what breaks without it and how to fix it.
# Exit 0 when everything skiff needs is there, 1 otherwise, 2 on usage.
#
# SKIFF_CHECK_PROC and SKIFF_CHECK_SYS (default /proc and /sys) point the
# checks at another tree, so a missing feature can be shown without a
# different kernel.
set -u

PROC=${SKIFF_CHECK_PROC:-/proc}
SYS=${SKIFF_CHECK_SYS:-/sys}
VERSION=0.1.0
TOOLS="ns-run img-unpack img-pack vol-mount cg-limit net-bridge svc-dns lb-proxy"
quiet=0
failed=0

usage() {
	echo "usage: skiff-check [-q] [--help] [--version]"
}

case ${1:-} in
--help|-h)
	usage
	cat <<'EOF'

Checks the running kernel and host for what skiff uses: namespaces,
cgroups, overlayfs, veth and bridge, netfilter, seccomp, pivot_root,
openat2, tmpfs, the kernel config where it can be read, and the toolkit's
own binaries. -q prints only what is not ok.
EOF
	exit 0 ;;
--version) echo "skiff-check $VERSION"; exit 0 ;;
-q) quiet=1 ;;
"") ;;
*) echo "skiff-check: $1: unknown option (see --help)" >&2; exit 2 ;;
esac

ok() { [ $quiet = 1 ] || printf 'ok       %s\n' "$1"; }
warn() { printf 'warn     %s\n' "$1"; }
missing() { printf 'missing  %s\n' "$1"; failed=1; }

# kernel_at_least MAJOR MINOR: the running kernel is at least that.
kernel_at_least() {
	r=$(cat "$PROC/sys/kernel/osrelease" 2>/dev/null || uname -r)
	maj=${r%%.*}; rest=${r#*.}; min=${rest%%[!0-9]*}
	[ "$maj" -gt "$1" ] 2>/dev/null || { [ "$maj" -eq "$1" ] && [ "$min" -ge "$2" ]; } 2>/dev/null
}

has_fs() { grep -qw "$1" "$PROC/filesystems" 2>/dev/null; }

# --- namespaces ---------------------------------------------------------
have="" lack=""
for ns in mnt pid uts ipc net cgroup user; do
	if [ -e "$PROC/self/ns/$ns" ]; then have="$have $ns"; else lack="$lack $ns"; fi
done
if [ -z "$lack" ]; then
	ok "namespaces:$have"
else
	missing "namespaces:$lack: containers cannot be isolated; fix: a kernel with CONFIG_NAMESPACES and the${lack} namespace options"
fi

users=$(cat "$PROC/sys/user/max_user_namespaces" 2>/dev/null || echo 0)
clone=$(cat "$PROC/sys/kernel/unprivileged_userns_clone" 2>/dev/null || echo 1)
aa=$(cat "$PROC/sys/kernel/apparmor_restrict_unprivileged_userns" 2>/dev/null || echo 0)
if [ "$users" -gt 0 ] && [ "$clone" = 1 ] && [ "$aa" = 0 ]; then
	ok "unprivileged user namespaces: allowed (ns-run --userns works for any user)"
else
	warn "unprivileged user namespaces: not allowed; ns-run --userns works only as root; fix: sysctl user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1 kernel.apparmor_restrict_unprivileged_userns=0 (whichever exist)"
fi

# --- cgroups ------------------------------------------------------------
cg=$SYS/fs/cgroup
layout=none
if [ -f "$cg/cgroup.controllers" ]; then
	layout=v2
elif [ -d "$cg/memory" ] || [ -d "$cg/cpu" ] || [ -d "$cg/pids" ]; then
	layout=v1
	[ -f "$cg/unified/cgroup.controllers" ] && layout=hybrid
fi
case $layout in
v2)
	ctl=$(cat "$cg/cgroup.controllers" 2>/dev/null)
	ok "cgroups: v2 (controllers: $ctl)"
	for c in memory pids cpu; do
		case " $ctl " in
		*" $c "*) ;;
		*) missing "cgroup v2 controller $c: cg-limit cannot set $c limits; fix: enable it in the parent's cgroup.subtree_control (systemd: Delegate=yes)" ;;
		esac
	done ;;
v1|hybrid)
	ctl=""
	for c in cpu cpuacct cpuset memory pids blkio freezer devices; do
		[ -d "$cg/$c" ] && ctl="$ctl $c"
	done
	if [ $layout = hybrid ]; then
		ok "cgroups: hybrid (v1 controllers:$ctl; a v2 mount at $cg/unified holding $(cat "$cg/unified/cgroup.controllers" 2>/dev/null | tr -s ' ' || true))"
	else
		ok "cgroups: v1 (controllers:$ctl)"
	fi
	for c in memory pids cpu; do
		[ -d "$cg/$c" ] || missing "cgroup v1 controller $c: cg-limit cannot set $c limits; fix: mount it (mount -t cgroup -o $c cgroup $cg/$c)"
	done ;;
*)
	missing "cgroups: nothing mounted at $cg: no resource limits; fix: mount -t cgroup2 none $cg" ;;
esac

# --- filesystems --------------------------------------------------------
if has_fs overlay; then
	if kernel_at_least 5 11; then
		ok "overlayfs (also inside user namespaces)"
	else
		ok "overlayfs"
		warn "overlayfs in user namespaces needs Linux 5.11; rootless containers copy the image instead"
	fi
else
	missing "overlayfs: containers cannot share image layers (vol-mount --lower); fix: modprobe overlay (CONFIG_OVERLAY_FS)"
fi
if has_fs tmpfs; then ok "tmpfs"; else missing "tmpfs: no /dev, /dev/shm or --tmpfs in containers; fix: CONFIG_TMPFS"; fi
if has_fs proc && has_fs sysfs && has_fs devpts && has_fs mqueue; then
	ok "proc, sysfs, devpts, mqueue"
else
	missing "proc/sysfs/devpts/mqueue: ns-run cannot build the container's /proc /sys /dev; fix: CONFIG_PROC_FS CONFIG_SYSFS CONFIG_UNIX98_PTYS CONFIG_POSIX_MQUEUE"
fi
if kernel_at_least 5 6; then
	ok "openat2 (paths resolved beneath a root by the kernel)"
else
	warn "openat2 needs Linux 5.6: skiff falls back to a component-by-component walk"
fi
ok "pivot_root"

# --- network ------------------------------------------------------------
# probe_link TYPE: make a link of that type in a scratch network namespace.
probe_link() {
	[ "$(id -u)" = 0 ] && [ "$PROC" = /proc ] && command -v unshare >/dev/null &&
	    command -v ip >/dev/null || return 1
	case $1 in
	veth) unshare -n ip link add c0 type veth peer name c1 2>/dev/null ;;
	*) unshare -n ip link add c0 type "$1" 2>/dev/null ;;
	esac
}
for m in veth bridge; do
	if [ -d "$SYS/module/$m" ] || grep -qw "$m" "$PROC/modules" 2>/dev/null || probe_link $m; then
		ok "$m"
	else
		missing "$m: net-bridge cannot connect containers; fix: modprobe $m (CONFIG_$(echo $m | tr a-z A-Z))"
	fi
done
if [ -d "$SYS/module/nf_tables" ] || grep -qw nf_tables "$PROC/modules" 2>/dev/null ||
    [ -e "$PROC/net/netfilter" ] || [ -d "$SYS/module/x_tables" ]; then
	ok "netfilter (NAT for published ports and outbound traffic)"
else
	warn "netfilter not found: no NAT, no published ports; containers still reach each other; fix: modprobe nf_tables (CONFIG_NF_TABLES, CONFIG_NF_NAT)"
fi

# --- seccomp ------------------------------------------------------------
if grep -q '^Seccomp:' "$PROC/self/status" 2>/dev/null; then
	acts=$(cat "$PROC/sys/kernel/seccomp/actions_avail" 2>/dev/null || echo "?")
	case " $acts " in
	*" errno "*) ok "seccomp filter mode (actions: $acts)" ;;
	*) warn "seccomp: actions_avail lacks errno ($acts)" ;;
	esac
else
	missing "seccomp: containers run without a syscall filter; fix: CONFIG_SECCOMP_FILTER"
fi

# --- kernel config, where it can be read ---------------------------------
conf=""
rel=$(cat "$PROC/sys/kernel/osrelease" 2>/dev/null || uname -r)
if [ -r "$PROC/config.gz" ]; then conf="gzip -dc $PROC/config.gz"
elif [ -r "/boot/config-$rel" ]; then conf="cat /boot/config-$rel"
fi
if [ -n "$conf" ]; then
	lack=""
	for o in NAMESPACES UTS_NS IPC_NS PID_NS NET_NS USER_NS CGROUPS MEMCG \
	    CGROUP_PIDS OVERLAY_FS VETH BRIDGE SECCOMP_FILTER; do
		$conf 2>/dev/null | grep -Eq "^CONFIG_$o=(y|m)" || lack="$lack $o"
	done
	if [ -z "$lack" ]; then ok "kernel config: every option skiff uses is set"
	else warn "kernel config lacks:$lack"
	fi
else
	[ $quiet = 1 ] || printf 'ok       %s\n' "kernel config: not readable here (no /proc/config.gz or /boot/config-$rel); the checks above stand"
fi

# --- the toolkit itself ---------------------------------------------------
lack="" dyn="" vers=""
for t in $TOOLS; do
	p=$(command -v "$t" 2>/dev/null) || { lack="$lack $t"; continue; }
	# A static ELF has no PT_INTERP: no ".interp" path string in it.
	if head -c 4096 "$p" | grep -q 'ld-linux\|ld-musl'; then dyn="$dyn $t"; fi
	v=$("$p" --version 2>/dev/null | awk '{ print $NF; exit }')
	[ "$v" = "$VERSION" ] || vers="$vers $t=$v"
done
if [ -n "$lack" ]; then
	missing "toolkit:$lack not on PATH; fix: make install, or PATH=\$PWD/bin:\$PATH"
else
	ok "toolkit: $TOOLS on PATH"
fi
[ -z "$dyn" ] || warn "toolkit:$dyn not statically linked"
[ -z "$vers" ] || warn "toolkit versions disagree with $VERSION:$vers"

exit $failed
