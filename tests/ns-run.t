#!/bin/sh
# SPDX-License-Identifier: ISC
# ns-run.t: the container runtime, in a busybox rootfs.
. "$(dirname "$0")/lib.sh"
need_root

R=$TMP/root
mkrootfs "$R" || skip_all "no busybox-static"
cp "$TOP/tests/out/sysprobe" "$R/bin/" 2>/dev/null ||
    skip_all "tests/out/sysprobe not built (make test builds it)"
run() { ns-run --rootfs "$R" "$@"; }

# --- exit status, PID 1 -------------------------------------------------
testcmd "exit 0" 0 "" run -- /bin/true
testcmd "exit 7 passes through" 7 "" run -- /bin/sh -c 'exit 7'
printf 'not a program' >"$R/notexec"; chmod 644 "$R/notexec"
testcmd "not executable: 126" 126 "" run -- /notexec
testcmd "not found: 127" 127 "" run -- /nonexistent
testcmd "killed by SIGKILL: 137" 137 "" run -- /bin/sh -c 'kill -9 $$'
testcmd "--no-init: exit status passes" 5 "" run --no-init -- /bin/sh -c 'exit 5'
testcmd "program is PID 2, child of init" 0 "2 1" run -- /bin/sh -c 'echo $$ $PPID'
testcmd "--no-init: program is PID 1" 0 "1 0" run --no-init -- /bin/sh -c 'echo $$ $PPID'
testcmd "init is named" 0 "ns-run-init" run -- /bin/cat /proc/1/comm
testcmd "/proc shows only the container" 0 "1 2" \
    run -- /bin/sh -c 'cd /proc && echo [0-9]*'
testcmd "hostname" 0 "box1" run --hostname box1 -- /bin/hostname
testcmd "host's hostname untouched" 0 "$(hostname)" hostname

# --- privileges ---------------------------------------------------------
caps() { run "$@" -- /bin/sh -c 'grep -E "^Cap(Eff|Prm|Inh|Bnd|Amb)" /proc/self/status | tr -d "\t" | tr "\n" " "'; }
testcmd "Docker's default capabilities" 0 \
    "CapInh:0000000000000000 CapPrm:00000000a80425fb CapEff:00000000a80425fb CapBnd:00000000a80425fb CapAmb:0000000000000000 " caps
testcmd "--cap-drop ALL" 0 \
    "CapInh:0000000000000000 CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 CapAmb:0000000000000000 " caps --cap-drop ALL
testcmd "--cap-add NET_ADMIN --cap-drop CHOWN" 0 "00000000a80435fa" \
    run --cap-add NET_ADMIN --cap-drop chown -- /bin/sh -c 'sed -n "s/^CapEff:\t//p" /proc/self/status'
testcmd "NoNewPrivs and seccomp filter mode" 0 "NoNewPrivs:1 Seccomp:2" \
    run -- /bin/sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t" | tr "\n" " " | sed "s/ \$//"'
testcmd "--user 65534:65534 has no capabilities" 0 "65534 65534 0000000000000000" \
    run --user 65534:65534 -- /bin/sh -c 'echo $(id -u) $(id -g) $(sed -n "s/^CapEff:\t//p" /proc/self/status)'
testcmd "--user by name, from the rootfs's passwd" 0 "65534" run --user nobody -- /bin/id -u
testcmd "--user clears supplementary groups" 0 "65534" run --user nobody -- /bin/id -G

denied="keyctl io_uring_setup perf_event_open unshare mount umount2 swapon reboot setns socket-alg"
want=$(for s in $denied; do echo "$s EPERM"; done; echo "clone3 ENOSYS"; echo "socket-inet ok"; echo "getpid ok")
testcmd "default seccomp denies Docker's list (EPERM; clone3 ENOSYS)" 0 "$want" \
    run -- sysprobe $denied clone3 socket-inet getpid
testcmd "--seccomp unconfined lets them through" 0 "keyctl ok
clone3 EINVAL
io_uring_setup EFAULT" run --seccomp unconfined -- sysprobe keyctl clone3 io_uring_setup
testcmd "--cap-add SYS_ADMIN gives back unshare and mount" 0 "unshare ok
mount EFAULT
keyctl EPERM" run --cap-add SYS_ADMIN -- sysprobe unshare mount keyctl
cat >"$TMP/filter" <<'EOF'
# deny keyctl with ENOSYS, everything else allowed
default allow
errno ENOSYS keyctl
errno 13 getpid
EOF
testcmd "--seccomp FILE" 0 "keyctl ENOSYS
getpid EACCES
clone3 EINVAL" run --seccomp "$TMP/filter" -- sysprobe keyctl getpid clone3
printf 'default allow\nerrno EPERM read close\n' >"$TMP/noread"
testcmd "--seccomp FILE refusing read: the program still runs" 0 "" \
    run --seccomp "$TMP/noread" -- /bin/true
printf 'default allow\nerrno EPERM no_such_syscall\n' >"$TMP/badfilter"
testerr "--seccomp FILE with an unknown syscall: 125" 125 \
    "^ns-run: seccomp .*/badfilter: line 2: unknown syscall 'no_such_syscall'$" \
    run --seccomp "$TMP/badfilter" -- /bin/true

# --- filesystems --------------------------------------------------------
testcmd "masked /proc files read empty" 0 "0 0" \
    run -- /bin/sh -c 'echo $(cat /proc/keys | wc -c) $(cat /proc/timer_list | wc -c)'
testcmd "masked /sys/firmware is empty" 0 "" run -- /bin/ls -A /sys/firmware
testcmd "/proc/sys is read-only" 1 "" \
    run -- /bin/sh -c 'echo x 2>/dev/null >/proc/sys/kernel/domainname'
testcmd "/sys is read-only" 0 "ro" \
    run -- /bin/sh -c 'grep " /sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1'
testcmd "/dev holds only the listed nodes" 0 \
    "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero" \
    run -- /bin/sh -c 'echo $(ls -A /dev)'
testcmd "/dev nodes are the right devices" 0 "1,3 1,5 1,7 1,8 1,9 5,0" \
    run -- /bin/sh -c 'for d in null zero full random urandom tty; do stat -c "%t,%T" /dev/$d; done | xargs'
mkdir -p "$R/dev/evil"; ln -s /etc/shadow "$R/dev/evil/link"
testcmd "the image's /dev is never used" 0 "gone" run -- /bin/sh -c 'test -e /dev/evil || echo gone'
testcmd "only fds 0 1 2 reach the program" 0 "0 1 2" \
    sh -c 'exec 5</etc/passwd 7>/dev/null; ns-run --rootfs "$1" -- sysprobe fds' sh "$R"
testcmd "--read-only root" 0 "ro rw" \
    run --read-only -- /bin/sh -c '(touch /x 2>/dev/null && echo rw || echo ro; touch /dev/shm/x && echo rw) | xargs'
testcmd "root is writable by default" 0 "rw" run -- /bin/sh -c 'touch /x && echo rw'
rm -f "$R/x"
testcmd "--workdir" 0 "/tmp" run --workdir /tmp -- /bin/pwd
testcmd "--workdir that is missing: 125" 125 "" run --workdir /nope -- /bin/pwd

# A rootfs whose mountpoints are symlinks out of it: everything lands
# inside the rootfs, never on the host.
E=$TMP/escape
mkrootfs "$E"
mkdir -p "$TMP/hostdir"
rm -rf "$E/proc" "$E/sys" "$E/dev"
mkdir -p "$TMP/hostdir/p" "$TMP/hostdir/d"
ln -s "$TMP/hostdir/p" "$E/proc"
ln -s ../../../../../../"$TMP/hostdir/d" "$E/dev"
testcmd "symlinked mountpoints stay inside the rootfs" 0 "1" \
    ns-run --rootfs "$E" -- /bin/sh -c 'cd /proc && echo [1]'
testcmd "... and the host directories are untouched" 0 "0" sh -c 'find "$1" -mindepth 2 | wc -l' sh "$TMP/hostdir"

# --- environment --------------------------------------------------------
testcmd "--env" 0 "bar" run --env FOO=bar -- /bin/sh -c 'echo $FOO'
testcmd "--clear-env sets PATH HOME HOSTNAME only" 0 \
    "HOME=/root HOSTNAME=h1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    env -i X=1 "PATH=$PATH" ns-run --rootfs "$R" --clear-env --hostname h1 -- /bin/sh -c 'env | grep -v "^PWD=\|^SHLVL=" | sort | xargs'
testcmd "--clear-env with --user takes HOME from passwd" 0 "/nonexistent" \
    run --clear-env --user nobody -- /bin/sh -c 'echo $HOME'
testcmd "--rlimit nofile=100:200" 0 "100 200" \
    run --rlimit nofile=100:200 -- /bin/sh -c 'echo $(ulimit -n) $(ulimit -Hn)'
# 32-34 too: libc keeps those for itself and refuses to touch them, but a
# caller may have ignored them (CI's harness does).
testcmd "signals the caller ignored are not ignored inside" 0 "$(printf 'SigIgn:\t0000000000000000')" \
    "$TOP/tests/out/sysprobe" ignore 2 3 13 14 22 32 33 34 -- ns-run --rootfs "$R" -- /bin/grep SigIgn /proc/self/status
# The process outside and PID 1 move between CPUs while the container is
# set up; the container must get the caller's CPUs back, each time.
cpus=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)
testcmd "PID 1 and the program keep the caller's CPUs" 0 "$cpus $cpus" \
    run -- /bin/sh -c 'echo $(sed -n "s/^Cpus_allowed_list:\t//p" /proc/1/status /proc/self/status)'
testcmd "and a caller's narrower set" 0 "0 0" \
    taskset -c 0 ns-run --rootfs "$R" -- /bin/sh -c 'echo $(sed -n "s/^Cpus_allowed_list:\t//p" /proc/1/status /proc/self/status)'
testcmd "--net new has only lo, up" 0 "lo UP" \
    run -- /bin/sh -c 'echo $(ls /sys/class/net) $(ip link show lo | grep -o "UP" | head -1)'
# When making the network namespace is slow, PID 1 detaches the old root
# and makes /proc's read-only paths before it joins the namespace: the
# container must be the same. strace delays the outer's second unshare,
# the one that makes the namespace.
probe='echo $(ls /sys/class/net) $(ip link show lo | grep -o "UP" | head -1) $(grep -c . /proc/self/mountinfo) $(grep " /proc/sys " /proc/self/mountinfo | cut -d" " -f6 | cut -d, -f1) $(grep -c " / / " /proc/self/mountinfo)'
if command -v strace >/dev/null; then
	want=$(run -- /bin/sh -c "$probe")
	testcmd "a slow network namespace: the same container" 0 "$want" \
	    strace -f -qq -o "$TMP/slow-net" -e trace=unshare,umount2,setns \
	    -e inject=unshare:delay_enter=50000:when=2 ns-run --rootfs "$R" -- /bin/sh -c "$probe"
	ok "and the old root was detached first" \
	    awk '/umount2\(/ && !u { u = NR } /setns\(/ && !s { s = NR } END { exit !(u && s && u < s) }' "$TMP/slow-net"
else
	skip "a slow network namespace: strace not installed"
	skip "and the old root was detached first: strace not installed"
fi

# --- init: reaping and signals ------------------------------------------
# An idle container's PID 1 gives the binary's pages back once the program
# has run a while (20 ms): it should hold little more than its stack.
testcmd "an idle PID 1 holds at most 150 kB" 0 "small" \
    run -- /bin/sh -c 'sleep 0.3; r=$(sed -n "s/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p" /proc/1/status); [ "$r" -le 150 ] && echo small || echo "$r kB"'
testcmd "an orphaned grandchild is reaped" 0 "0" \
    run -- /bin/sh -c '/bin/sh -c "/bin/true & exit 0"; sleep 0.3; ps -o stat | grep -c "^Z" || true'
ns-run --rootfs "$R" -- /bin/sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.05; done' \
    >"$TMP/sig.out" 2>&1 &
pid=$!
i=0; while ! grep -qs ready "$TMP/sig.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
testcmd "SIGTERM is forwarded to the program" 0 "3 got TERM" \
    sh -c 'echo $1 $(grep got "$2")' sh $rc "$TMP/sig.out"
ns-run --rootfs "$R" -- /bin/sh -c 'sleep 7731 & sleep 7731 & echo ready; wait' >"$TMP/kill.out" 2>&1 &
pid=$!
i=0; while ! grep -qs ready "$TMP/kill.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid
wait $pid 2>/dev/null
# The kernel kills the namespace's processes asynchronously.
i=0; while ps -eo args | grep -q "^sleep 7731$" && [ $i -lt 50 ]; do sleep 0.05; i=$((i + 1)); done
testcmd "killing ns-run kills the whole container" 0 "0" \
    sh -c 'ps -eo args | grep -c "^sleep 7731$" || true'

# --- --join: a command in a running container ---------------------------
ns-run --rootfs "$R" --hostname joined --env J=1 -- /bin/sh -c 'echo ready; exec sleep 100' >"$TMP/join.out" 2>&1 &
jpid=$!
i=0; while ! grep -qs ready "$TMP/join.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
jinit=$(cat /proc/$jpid/task/$jpid/children | cut -d" " -f1)
jprog=$(cat /proc/$jinit/task/$jinit/children | cut -d" " -f1)
testcmd "--join: the container's hostname, environment and processes" 0 "joined 1 sleep" \
    ns-run --join "$jprog" -- /bin/sh -c 'echo $(hostname) $J $(cat /proc/2/comm)'
testcmd "--join: the container's root, not the host's" 0 "yes" \
    ns-run --join "$jprog" -- /bin/sh -c 'test -x /bin/sysprobe && echo yes'
testcmd "--join: Docker's capabilities and seccomp" 0 "00000000a80425fb 2" \
    ns-run --join "$jprog" -- /bin/sh -c 'echo $(sed -n "s/^CapEff:\t//p;s/^Seccomp:\t//p" /proc/self/status)'
testcmd "--join: the exit status" 4 "" ns-run --join "$jprog" -- /bin/sh -c 'exit 4'
testerr "--join a pid that is not there: 125" 125 "^ns-run: --join 4194000: /proc/4194000/ns/cgroup: No such file" \
    ns-run --join 4194000 -- /bin/true
kill $jpid; wait $jpid 2>/dev/null

# --- user namespace -----------------------------------------------------
U=$TMP/uroot
mkrootfs "$U"
chmod 755 "$TMP"
if command -v setpriv >/dev/null; then
	testcmd "--userns: nobody runs a container as root" 0 "0 00000000a80425fb" \
	    setpriv --reuid 65534 --regid 65534 --clear-groups \
	    "$TOP/bin/ns-run" --userns --rootfs "$U" -- /bin/sh -c 'echo $(id -u) $(sed -n "s/^CapEff:\t//p" /proc/self/status)'
	testcmd "--userns: /dev/null works" 0 "ok" \
	    setpriv --reuid 65534 --regid 65534 --clear-groups \
	    "$TOP/bin/ns-run" --userns --rootfs "$U" -- /bin/sh -c 'echo ok >/dev/null && echo ok'
	testcmd "--userns: /sys shows the container's network namespace" 0 "lo" \
	    setpriv --reuid 65534 --regid 65534 --clear-groups \
	    "$TOP/bin/ns-run" --userns --rootfs "$U" -- /bin/ls /sys/class/net
else
	skip "setpriv not installed"
	skip "setpriv not installed"
	skip "setpriv not installed"
fi

# --- tty ----------------------------------------------------------------
if command -v script >/dev/null; then
	testcmd "--tty gives a pty when stdin is a terminal" 0 "yes" \
	    sh -c 'script -qec "ns-run --rootfs $1 --tty -- /bin/sh -c \"test -t 0 && test -t 1 && test -c /dev/console && echo yes\"" /dev/null | tr -d "\r"' sh "$R"
else
	skip "script not installed"
fi
testcmd "--tty without a terminal is ignored" 0 "no" \
    run --tty -- /bin/sh -c 'test -t 0 && echo yes || echo no'

# --- bad input ----------------------------------------------------------
before=$(wc -l </proc/self/mountinfo)
testerr "no such rootfs: 125" 125 "^ns-run: rootfs $TMP/nope: No such file or directory$" \
    ns-run --rootfs "$TMP/nope" -- /bin/true
touch "$TMP/file"
testerr "rootfs is a file: 125" 125 "^ns-run: rootfs $TMP/file: not a directory$" \
    ns-run --rootfs "$TMP/file" -- /bin/true
testerr "unknown capability: 125" 125 "^ns-run: --cap-add CAP_NOPE: unknown capability$" \
    run --cap-add CAP_NOPE -- /bin/true
testerr "bad rlimit: 125" 125 "^ns-run: --rlimit nofile=abc: bad value$" \
    run --rlimit nofile=abc -- /bin/true
testerr "unknown rlimit: 125" 125 "^ns-run: --rlimit bogus=1: unknown resource 'bogus'$" \
    run --rlimit bogus=1 -- /bin/true
testerr "soft above hard: 125" 125 "soft limit above hard limit" \
    run --rlimit nofile=10:5 -- /bin/true
testerr "no program: 125" 125 "^usage: ns-run " run --
testerr "unknown option: 125" 125 "^ns-run: --bogus: unknown option$" run --bogus -- /bin/true
testerr "bad --net: 125" 125 "^ns-run: --net sideways: expected" run --net sideways -- /bin/true
testerr "missing --net path: 125" 125 "^ns-run: --net /run/netns/none-such: No such file" \
    run --net /run/netns/none-such -- /bin/true
testcmd "nothing left mounted on the host" 0 "$before" sh -c 'wc -l </proc/self/mountinfo'
testcmd "--help exits 0 with the usage" 0 "usage: ns-run" \
    sh -c 'ns-run --help | head -1 | cut -d" " -f1-2'
testcmd "--version" 0 "ns-run 0.1.0" ns-run --version

done_testing
