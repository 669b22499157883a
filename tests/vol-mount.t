#!/bin/sh
# SPDX-License-Identifier: ISC
# vol-mount.t: binds, tmpfs, named volumes and the overlay root, seen from
# inside a container (ns-run is the next link), hostile images, bad specs,
# and that nothing stays mounted on the host.
. "$(dirname "$0")/lib.sh"
need_root
command -v busybox >/dev/null || skip_all "busybox-static is not installed"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null

SKIFF_ROOT=$TMP/state
export SKIFF_ROOT
# What vol-mount could leak on the host: mounts beneath the test's
# directory (every root, source and target here) or on the host's /etc
# (where the hostile images aim). Other mounts are other people's.
mounts() {
	awk -v t="$TMP" 'index($5, t) == 1 || $5 ~ "^/etc(/|$)" { print $5 }' \
	    /proc/self/mountinfo | sort
}
before=$(mounts)
nothing_mounted() {
	ok "$1: nothing left mounted on the host" [ "$(mounts)" = "$before" ]
}

mkrootfs "$TMP/base" || skip_all "cannot build a rootfs"
R=$TMP/r
mkrootfs "$R"
mkdir -p "$TMP/src" "$TMP/empty"
echo hello >"$TMP/src/greeting"
run() { vol-mount "$@"; }

# ---- bind volumes ------------------------------------------------------
testcmd "bind: a host dir seen inside" 0 hello \
    run --root "$R" --bind "$TMP/src:/data" -- ns-run --rootfs "$R" -- /bin/cat /data/greeting
testcmd "bind: a write inside lands on the host" 0 "" \
    run --root "$R" --bind "$TMP/src:/data:rw" -- ns-run --rootfs "$R" -- /bin/sh -c 'echo written >/data/out'
ok "bind: the host reads what the container wrote" grep -qx written "$TMP/src/out"
echo file >"$TMP/onefile"
testcmd "bind: a single file" 0 file \
    run --root "$R" --bind "$TMP/onefile:/etc/one" -- ns-run --rootfs "$R" -- /bin/cat /etc/one
testerr "bind ro: writes refused" 1 'Read-only file system' \
    run --root "$R" --bind "$TMP/src:/data:ro" -- ns-run --rootfs "$R" -- /bin/sh -c 'echo x >/data/x'
testerr "bind ro: a remount from inside is refused, writes still EROFS" 1 'Read-only file system' \
    run --root "$R" --bind "$TMP/src:/data:ro" -- ns-run --rootfs "$R" -- \
    /bin/sh -c 'mount -o remount,rw /data 2>/dev/null && echo remounted; echo x >/data/x'
testerr "bind ro: locked even for CAP_SYS_ADMIN in a user namespace" 1 'Read-only file system' \
    run --root "$R" --bind "$TMP/src:/data:ro" -- ns-run --userns --cap-add SYS_ADMIN --rootfs "$R" -- \
    /bin/sh -c 'mount -o remount,bind,rw /data 2>/dev/null && echo remounted; echo x >/data/x'
ok "bind ro: nothing written on the host" [ ! -e "$TMP/src/x" ]
# rbind,ro: the submount is read-only too; a plain ro bind does not carry it.
# The submount lives in a namespace of its own, so the host never sees it.
mkdir -p "$TMP/src/sub"
testerr "rbind,ro: submounts read-only as well" 1 'Read-only file system' \
    unshare -m --propagation private sh -c "mount -t tmpfs sub '$TMP/src/sub' &&
    vol-mount --root '$R' --bind '$TMP/src:/data:ro,rbind' -- ns-run --rootfs '$R' -- /bin/sh -c 'echo x >/data/sub/x'"
testcmd "rbind: submounts come along, writable" 0 "tmpfs" \
    unshare -m --propagation private sh -c "mount -t tmpfs sub '$TMP/src/sub' &&
    vol-mount --root '$R' --bind '$TMP/src:/data:rbind' -- ns-run --rootfs '$R' -- /bin/sh -c 'echo x >/data/sub/x && stat -f -c %T /data/sub'"
# A shared source (made so in a namespace of the test's own): the default
# bind is private, rslave stays a slave of the source's peer group.
cat >"$TMP/prop" <<EOF
#!/bin/sh
awk 'index(\$5, "$R/") == 1 { t = ""
	if (\$0 ~ / shared:/) t = "shared"
	if (\$0 ~ / master:/) t = t (t ? "," : "") "slave"
	print substr(\$5, length("$R") + 1), (t ? t : "private") }' /proc/self/mountinfo
EOF
chmod +x "$TMP/prop"
testcmd "bind: propagation private by default, rslave and rshared when asked" 0 "/p private
/s slave
/h shared,slave" \
    unshare -m --propagation private sh -c "mount --bind '$TMP/src' '$TMP/src' &&
    mount --make-shared '$TMP/src' &&
    vol-mount --root '$R' --bind '$TMP/src:/p' --bind '$TMP/src:/s:rslave' \
        --bind '$TMP/src:/h:rshared' -- '$TMP/prop'"
nothing_mounted "binds"

# ---- tmpfs -------------------------------------------------------------
testcmd "tmpfs: mounted with its options" 0 "tmpfs 1777" \
    run --root "$R" --tmpfs /scratch:size=1m,mode=1777 -- ns-run --rootfs "$R" -- \
    /bin/sh -c 'echo data >/scratch/f && stat -f -c %T /scratch | tr "\n" " " && stat -c %a /scratch'
ok "tmpfs: content gone after exit" [ ! -e "$R/scratch/f" ]
testerr "tmpfs: the size limit holds (ENOSPC)" 1 'No space left on device' \
    run --root "$R" --tmpfs /scratch:size=1m -- ns-run --rootfs "$R" -- \
    /bin/sh -c 'dd if=/dev/zero of=/scratch/big bs=64k count=32 2>&1 >/dev/null | grep -v records >&2; exit 1'
testerr "tmpfs: noexec by default" 126 'Permission denied' \
    run --root "$R" --tmpfs /scratch -- ns-run --rootfs "$R" -- \
    /bin/sh -c 'cp /bin/busybox /scratch/busybox && exec /scratch/busybox true'
testcmd "tmpfs: exec when asked" 0 "" \
    run --root "$R" --tmpfs /scratch:exec -- ns-run --rootfs "$R" -- \
    /bin/sh -c 'cp /bin/busybox /scratch/busybox && exec /scratch/busybox true'
nothing_mounted "tmpfs"

# ---- named volumes ------------------------------------------------------
testcmd "volume: made on first use, written from inside" 0 "" \
    run --root "$R" --volume db:/var/db -- ns-run --rootfs "$R" -- /bin/sh -c 'echo v1 >/var/db/f'
ok "volume: stored under \$SKIFF_ROOT/volumes/db/" grep -qx v1 "$SKIFF_ROOT/volumes/db/data/f"
testcmd "volume: survives the container" 0 v1 \
    run --root "$R" --volume db:/var/db:ro -- ns-run --rootfs "$R" -- /bin/cat /var/db/f
testerr "volume: ro refuses writes" 1 'Read-only file system' \
    run --root "$R" --volume db:/var/db:ro -- ns-run --rootfs "$R" -- /bin/sh -c 'echo x >/var/db/g'
# Two containers at once, each on its own overlay over the same lower: A
# writes, B reads and answers, A reads the answer.
for c in a b; do mkdir -p "$TMP/$c/up" "$TMP/$c/work" "$TMP/$c/root"; done
vol-mount --root "$TMP/a/root" --lower "$TMP/base" --upper "$TMP/a/up" --work "$TMP/a/work" \
    --volume shared:/v -- ns-run --rootfs "$TMP/a/root" -- /bin/timeout 20 /bin/sh -c \
    'echo from-a >/v/a.new; mv /v/a.new /v/a; while [ ! -e /v/b ]; do sleep 0.1; done; cat /v/b' >"$TMP/a.out" 2>&1 &
apid=$!
vol-mount --root "$TMP/b/root" --lower "$TMP/base" --upper "$TMP/b/up" --work "$TMP/b/work" \
    --volume shared:/v -- ns-run --rootfs "$TMP/b/root" -- /bin/timeout 20 /bin/sh -c \
    'while [ ! -e /v/a ]; do sleep 0.1; done; cat /v/a; while [ ! -e /v/go ]; do sleep 0.1; done; echo from-b >/v/b.new; mv /v/b.new /v/b' >"$TMP/b.out" 2>&1 &
bpid=$!
i=0
users=
while [ $i -lt 100 ]; do
	users=$(vol-mount volume inspect shared 2>/dev/null | sed -n 's/^users=//p')
	case $users in *,*) break ;; esac
	sleep 0.1; i=$((i + 1))
done
ok "volume inspect: both containers listed as users" \
    sh -c "echo '$users' | grep -q '$apid' && echo '$users' | grep -q '$bpid'"
testerr "volume rm: refused while in use, naming the users" 1 \
    "volume shared: in use by pid ($apid|$bpid) .*, ($apid|$bpid) " vol-mount volume rm shared
touch "$SKIFF_ROOT/volumes/shared/data/go"
wait $apid; arc=$?
wait $bpid; brc=$?
ok "volume: container A saw B's answer" sh -c "[ $arc = 0 ] && grep -qx from-b '$TMP/a.out'"
ok "volume: container B saw A's write" sh -c "[ $brc = 0 ] && grep -qx from-a '$TMP/b.out'"
ok "volume: both writes survive both containers" \
    sh -c "[ -f '$SKIFF_ROOT/volumes/shared/data/a' ] && [ -f '$SKIFF_ROOT/volumes/shared/data/b' ]"
ok "volume: the lower stayed untouched" [ ! -e "$TMP/base/v" ]

testcmd "mounts go parents first, whatever the order given" 0 "hello
tmpfs" \
    run --root "$R" --bind "$TMP/src:/var/db/in/src:ro" --tmpfs /var/db/in --volume db:/var/db -- \
    ns-run --rootfs "$R" -- /bin/sh -c 'cat /var/db/in/src/greeting; stat -f -c %T /var/db/in'
testcmd "volume ls" 0 "db
shared" vol-mount volume ls
testcmd "volume create: new and existing" 0 "new
db" vol-mount volume create new db
testcmd "volume inspect: key=value" 0 "name=new
path=$SKIFF_ROOT/volumes/new/data
users=" sh -c 'vol-mount volume inspect new | grep -v ^created='
testerr "volume inspect: a missing volume" 1 "volume nope: no such volume" vol-mount volume inspect nope
testerr "volume rm: a missing volume" 1 "volume nope: no such volume" vol-mount volume rm nope
testerr "volume create: a name with /" 2 "volume a/b: bad name" vol-mount volume create a/b
testerr "volume: an unknown option" 2 "vol-mount: volume rm: --frob: unknown option" vol-mount volume rm --frob x
ok "volume --help" sh -c 'vol-mount volume --help | grep -q "^usage: vol-mount volume create|inspect|ls|rm"'
testerr "volume: an unknown verb" 2 "volume frob: unknown verb" vol-mount volume frob x
testcmd "volume rm: unused volumes go" 0 "shared
new" vol-mount volume rm shared new
ok "volume rm: the directory is gone" [ ! -e "$SKIFF_ROOT/volumes/shared" ]
vol-mount --volume db:/mnt -- sleep 30 &
hold=$!
i=0
while [ -z "$(vol-mount volume inspect db | sed -n 's/^users=//p')" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "volume rm --force: removes a volume in use" 0 db vol-mount volume rm --force db
kill $hold; wait $hold 2>/dev/null
testcmd "volume ls: empty" 0 "" vol-mount volume ls
nothing_mounted "volumes"

# ---- the overlay root ----------------------------------------------------
L1=$TMP/l1 L2=$TMP/l2 U=$TMP/up W=$TMP/work O=$TMP/oroot
mkdir -p "$L1/etc" "$U" "$W" "$O"
cp -a "$TMP/base/." "$L2/" 2>/dev/null || mkrootfs "$L2"
echo lower2 >"$L2/etc/motd"; echo gone >"$L2/etc/old"
echo lower1 >"$L1/etc/motd"
# A whiteout in the top layer hides the lower's file, as img-unpack leaves it.
mknod "$L1/etc/hidden" c 0 0; echo hidden >"$L2/etc/hidden"
# An opaque directory in the top layer hides the lower's whole directory.
mkdir -p "$L1/opq" "$L2/opq"; echo below >"$L2/opq/below"; echo above >"$L1/opq/above"
setfattr -n trusted.overlay.opaque -v y "$L1/opq"
ovl() { vol-mount --root "$O" --lower "$L1:$L2" --upper "$U" --work "$W" "$@"; }
view='cat /etc/motd; [ -e /etc/hidden ] || echo no hidden; ls /opq'
testcmd "overlay: the top layer wins, whiteouts hide" 0 "lower1
no hidden
above" \
    ovl -- ns-run --rootfs "$O" -- /bin/sh -c "$view"
testcmd "overlay: writes and deletes" 0 "" \
    ovl -- ns-run --rootfs "$O" -- /bin/sh -c 'echo new >/etc/new && rm /etc/old && echo changed >/etc/motd'
ok "overlay: the write landed in the upper dir" grep -qx new "$U/etc/new"
ok "overlay: a deleted lower file is a whiteout (0/0) in upper" \
    sh -c "[ \"\$(stat -c '%F %t %T' '$U/etc/old')\" = 'character special file 0 0' ]"
ok "overlay: the lowers untouched" \
    sh -c "grep -qx gone '$L2/etc/old' && grep -qx lower1 '$L1/etc/motd' && [ ! -e '$L1/etc/new' ] && [ ! -e '$L2/etc/new' ]"
ok "overlay: the root dir itself untouched" [ -z "$(ls -A "$O")" ]
testcmd "overlay: changes seen by the next run" 0 "changed" \
    ovl -- ns-run --rootfs "$O" -- /bin/sh -c 'cat /etc/motd; [ ! -e /etc/old ] || echo old'
vol-mount --root "$O" --lower "$L1:$L2" --upper "$U" --work "$W" -- \
    ns-run --rootfs "$O" -- /bin/sleep 30 &
busy=$!
i=0
while ! grep -q "^[0-9]*: FLOCK .* $busy " /proc/locks && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testerr "overlay: an upper in use by another container is refused" 125 \
    "vol-mount: --upper $U: in use by another container \(pid $busy \(ns-run\)\)" \
    ovl -- true
kill $busy; wait $busy 2>/dev/null
testerr "overlay without --upper: read-only" 1 'Read-only file system' \
    vol-mount --root "$O" --lower "$L1:$L2" -- ns-run --rootfs "$O" -- /bin/sh -c 'echo x >/x'
testcmd "overlay without --upper: mountpoints missing from the image are made" 0 "hello
tmpfs
ro" \
    vol-mount --root "$O" --lower "$L1:$L2" --bind "$TMP/src:/new/data" --tmpfs /new/tmp \
    --bind "$TMP/onefile:/new/file" -- ns-run --rootfs "$O" -- \
    /bin/sh -c 'cat /new/data/greeting; stat -f -c %T /new/tmp; echo x >/new/x 2>/dev/null || echo ro'
ok "overlay without --upper: the binds stay writable" sh -c "
    vol-mount --root '$O' --lower '$L1:$L2' --bind '$TMP/src:/new/data' -- ns-run --rootfs '$O' -- \
    /bin/sh -c 'echo w >/new/data/w' && [ -f '$TMP/src/w' ]"
ok "overlay without --upper: nothing made in the layers" sh -c "[ ! -e '$L1/new' ] && [ ! -e '$L2/new' ]"
testcmd "fallback in a tmpfs: mountpoints made, then read-only" 0 "hello
ro" \
    vol-mount --root "$O" --lower "$L1:$L2" --no-overlay --bind "$TMP/src:/new/data" -- \
    ns-run --rootfs "$O" -- /bin/sh -c 'cat /new/data/greeting; echo x >/new/x 2>/dev/null || echo ro'
testcmd "overlay: binds, tmpfs and volumes go on top" 0 "hello tmpfs" \
    ovl --bind "$TMP/src:/data:ro" --tmpfs /run -- ns-run --rootfs "$O" -- \
    /bin/sh -c 'echo $(cat /data/greeting) $(stat -f -c %T /run)'
ok "overlay: mountpoints made inside the overlay, not the lowers" \
    sh -c "[ -d '$U/data' ] && [ ! -e '$L1/data' ] && [ ! -e '$L2/data' ]"
testerr "overlay: --upper without --work" 125 'vol-mount: --upper and --work go together' \
    vol-mount --root "$O" --lower "$L1" --upper "$U" -- true
testerr "overlay: --lower without --root" 125 'vol-mount: --lower needs --root' \
    vol-mount --lower "$L1" -- true
testerr "overlay: a missing layer" 125 "vol-mount: --lower $TMP/nope: No such file" \
    vol-mount --root "$O" --lower "$L1:$TMP/nope" -- true

# The fallback, forced with --no-overlay.
testcmd "fallback: one layer is a read-only bind" 0 "lower2
ro" \
    vol-mount --root "$O" --lower "$L2" --no-overlay -- ns-run --rootfs "$O" -- \
    /bin/sh -c 'cat /etc/motd; echo x >/x 2>/dev/null || echo ro'
testcmd "fallback: layers copied into a tmpfs, whiteouts and opaque dirs applied" 0 "lower1
no hidden
above
tmpfs ro" \
    vol-mount --root "$O" --lower "$L1:$L2" --no-overlay -- ns-run --rootfs "$O" -- \
    /bin/sh -c "$view; echo \$(stat -f -c %T /) \$(echo x 2>/dev/null >/x || echo ro)"
FU=$TMP/fup FW=$TMP/fwork
mkdir -p "$FU" "$FW"
fovl() { vol-mount --root "$O" --lower "$L1:$L2" --upper "$FU" --work "$FW" "$@"; }
testcmd "fallback with --upper: the layers, writable" 0 "lower1
no hidden
above" \
    fovl --no-overlay -- ns-run --rootfs "$O" -- /bin/sh -c "$view; echo new >/etc/new; rm /etc/old"
ok "fallback with --upper: the copy and the writes are in the upper dir" \
    sh -c "grep -qx new '$FU/etc/new' && [ ! -e '$FU/etc/old' ] && [ -x '$FU/bin/busybox' ] && [ -e '$FW/skiff-flat' ]"
ok "fallback with --upper: the lowers untouched" \
    sh -c "grep -qx gone '$L2/etc/old' && [ ! -e '$L1/etc/new' ] && [ ! -e '$L2/etc/new' ]"
testcmd "fallback with --upper: an upper made so stays flat, even with overlay" 0 "new" \
    fovl -- ns-run --rootfs "$O" -- /bin/sh -c 'cat /etc/new; [ ! -e /etc/old ] || echo old'
# An upper on overlayfs, which overlayfs refuses: the fallback is taken by
# itself, with a warning. The outer overlay lives in a namespace of the
# test's own.
N=$TMP/nest
mkdir -p "$N/lo" "$N/up" "$N/wk" "$N/m"
testerr "fallback: taken when overlayfs refuses the upper, with a warning" 0 \
    "vol-mount: overlay on $O: Invalid argument; using the copy fallback" \
    unshare -m --propagation private sh -c "
    mount -t overlay o -o lowerdir=$N/lo,upperdir=$N/up,workdir=$N/wk $N/m &&
    mkdir $N/m/u $N/m/w &&
    vol-mount --root $O --lower $L1:$L2 --upper $N/m/u --work $N/m/w -- \
        ns-run --rootfs $O -- /bin/sh -c 'echo fallback >/etc/motd'"
ok "fallback: the copy and the write landed in that upper" grep -qx fallback "$N/up/u/etc/motd"
testerr "fallback: an upper used by overlayfs is refused" 125 \
    "vol-mount: --upper $U: not empty, and not made by the fallback" \
    vol-mount --root "$O" --lower "$L1:$L2" --upper "$U" --work "$W" --no-overlay -- true
nothing_mounted "overlay"

# ---- hostile images: targets never leave the root -------------------------
H=$TMP/hostile
mkrootfs "$H"
ln -s /etc "$H/abs"
ln -s ../../../../../../etc "$H/dotdot"
ln -s /proc/self/root/etc "$H/viaproc"
touch "$H/afile"
# What is mounted on the host's /etc or beneath the root, as the namespace
# vol-mount made sees it.
cat >"$TMP/where" <<EOF
#!/bin/sh
awk -v r="$H" '\$5 ~ "^/etc(/|\$)" || (index(\$5, r "/") == 1) { print \$5 }' /proc/self/mountinfo
EOF
chmod +x "$TMP/where"
testcmd "hostile: absolute symlink /abs -> /etc lands on ROOT/etc" 0 "$H/etc" \
    vol-mount --root "$H" --bind "$TMP/src:/abs" -- "$TMP/where"
testcmd "hostile: ../ symlink stays in the root" 0 "$H/etc" \
    vol-mount --root "$H" --bind "$TMP/src:/dotdot" -- "$TMP/where"
testcmd "hostile: tmpfs through a symlink stays in the root" 0 "$H/etc/x" \
    vol-mount --root "$H" --tmpfs /abs/x -- "$TMP/where"
testcmd "hostile: a symlink into /proc stays in the root" 0 "$H/proc/self/root/etc" \
    vol-mount --root "$H" --bind "$TMP/src:/viaproc" -- "$TMP/where"
testerr "hostile: a file where a directory is needed" 125 "vol-mount: target /afile in $H: Not a directory" \
    vol-mount --root "$H" --bind "$TMP/src:/afile" -- true
testerr "hostile: a directory under a file" 125 "vol-mount: target /afile/x in $H: Not a directory" \
    vol-mount --root "$H" --tmpfs /afile/x -- true
testerr "a failure after some mounts: 125, and they are gone with the namespace" 125 \
    "vol-mount: target /afile/x in $H: Not a directory" \
    vol-mount --root "$H" --tmpfs /ok --bind "$TMP/src:/abs" --volume hv:/vol --tmpfs /afile/x -- true
ok "hostile: the host's /etc has nothing new" sh -c '[ ! -e /etc/greeting ] && [ ! -e /etc/x ]'
ok "hostile: the container sees the bind at /abs" \
    sh -c "vol-mount --root '$H' --bind '$TMP/src:/abs' -- ns-run --rootfs '$H' -- /bin/cat /abs/greeting | grep -qx hello"
nothing_mounted "hostile images"

# ---- bad specs and exit codes ----------------------------------------------
testerr "bad: missing source" 125 "vol-mount: --bind $TMP/nope:/x: source $TMP/nope: No such file" \
    vol-mount --root "$R" --bind "$TMP/nope:/x" -- true
testerr "bad: empty source" 125 "vol-mount: --bind :/x: missing source" \
    vol-mount --root "$R" --bind ":/x" -- true
testerr "bad: no target" 125 "vol-mount: --bind $TMP/src: expected SRC:DST" \
    vol-mount --root "$R" --bind "$TMP/src" -- true
testerr "bad: .. in a target" 125 "vol-mount: --bind $TMP/src:/a/../../etc: '..' in the target" \
    vol-mount --root "$R" --bind "$TMP/src:/a/../../etc" -- true
testerr "bad: relative target" 125 "target must be an absolute path" \
    vol-mount --root "$R" --tmpfs "tmp" -- true
testerr "bad: unknown bind option" 125 "vol-mount: --bind $TMP/src:/x:rw,frob: unknown option 'frob'" \
    vol-mount --root "$R" --bind "$TMP/src:/x:rw,frob" -- true
testerr "bad: unknown tmpfs option" 125 "vol-mount: --tmpfs /t:size=1m,frob=1: unknown option 'frob'" \
    vol-mount --root "$R" --tmpfs "/t:size=1m,frob=1" -- true
testerr "bad: tmpfs size" 125 "size=lots: expected a size" \
    vol-mount --root "$R" --tmpfs "/t:size=lots" -- true
testerr "bad: tmpfs mode" 125 "mode=999: expected octal" \
    vol-mount --root "$R" --tmpfs "/t:mode=999" -- true
testerr "bad: a volume name with /" 125 "vol-mount: --volume ../x:/x: bad volume name" \
    vol-mount --root "$R" --volume "../x:/x" -- true
testerr "bad: two mounts on one target" 125 "vol-mount: /x: more than one mount on this target" \
    vol-mount --root "$R" --tmpfs /x --bind "$TMP/src:/x/" -- true
testerr "bad: unknown option" 125 "vol-mount: --frob: unknown option" \
    vol-mount --frob -- true
testerr "bad: no program" 125 "^usage: vol-mount" vol-mount --root "$R"
ok "bad input created nothing (no volume, no mountpoint)" \
    sh -c "[ ! -e '$R/x' ] && [ ! -e '$R/t' ] && [ ! -e '$SKIFF_ROOT/volumes/x' ]"
testerr "exec: not found is 127" 127 "vol-mount: exec $TMP/nope: No such file" \
    vol-mount --root "$R" --tmpfs /t -- "$TMP/nope"
testerr "exec: not executable is 126" 126 "vol-mount: exec $TMP/src/greeting: Permission denied" \
    vol-mount --tmpfs "$TMP/empty" -- "$TMP/src/greeting"
testcmd "exit status is the program's" 3 "" vol-mount --tmpfs "$TMP/empty" -- sh -c 'exit 3'
testcmd "--version" 0 "vol-mount $(sed -n 's/^VERSION = //p' "$TOP/config.mk")" vol-mount --version
ok "--help lists the options" sh -c 'vol-mount --help | grep -q -- "--bind SRC:DST"'
rmdir "$R/t" 2>/dev/null
nothing_mounted "bad input and exec failures"

done_testing
