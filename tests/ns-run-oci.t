#!/bin/sh
# SPDX-License-Identifier: ISC
# ns-run-oci.t: ns-run's OCI runtime command line (ns-runc): the same bundle
# run by runc and by ns-run, the create/start/state/kill/delete lifecycle,
# bad bundles, and podman driving it.
. "$(dirname "$0")/lib.sh"
need_root
command -v jq >/dev/null || skip_all "jq not installed"
command -v runc >/dev/null || skip_all "runc not installed"

# Traversable by the mapped root of a user namespace.
chmod 711 "$TMP"
B=$TMP/bundle
R=$B/rootfs
mkrootfs "$R" || skip_all "no busybox-static"
ST=$TMP/state
RST=$TMP/runc-state
ln -s "$TOP/bin/ns-runc" "$TMP/ns-runc"
oci() { "$TMP/ns-runc" --root "$ST" "$@"; }
at_exit "for c in \$(ls '$ST' 2>/dev/null); do '$TMP/ns-runc' --root '$ST' delete --force \$c; done"
at_exit "for c in \$(runc --root '$RST' list -q 2>/dev/null); do runc --root '$RST' delete --force \$c; done"

# A bundle as `runc spec` makes it, changed with jq.
(cd "$B" && runc spec) || skip_all "runc spec failed"
mv "$B/config.json" "$B/spec.json"
spec() { jq "$1" "$B/spec.json" >"$B/config.json"; }

# --- the same bundle, runc and ns-run ---------------------------------
cat >"$R/probe.sh" <<'EOF'
id; hostname
grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status
echo "nofile $(ulimit -n) core $(ulimit -c)"
mkdir /tmp/probe-dir 2>&1 || true
echo "umask $(umask) cwd $(pwd)"
awk '{ print $5, $6 }' /proc/self/mountinfo | sed 's/,.*//' | sort
EOF
SECCOMP='{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
  "syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
              {"names":["no_such_syscall"],"action":"SCMP_ACT_KILL"}]}'
probe() {
	spec ".process.terminal=false | .process.args=[\"/bin/sh\",\"/probe.sh\"]
	    | .hostname=\"probe1\" | .process.cwd=\"/tmp\"
	    | .process.rlimits += [{\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":0}]
	    | .linux.seccomp=$SECCOMP | $1"
}
compare() {
	_name=$1
	probe "$2"
	runc --root "$RST" run -b "$B" "cmp-$_n" >"$TMP/runc.out" 2>&1; _rrc=$?
	oci run -b "$B" "cmp-$_n" >"$TMP/ns.out" 2>&1; _nrc=$?
	if [ "$_rrc" != 0 ] || [ "$_nrc" != 0 ]; then
		fail "$_name" "runc exit $_rrc, ns-run exit $_nrc" "$(cat "$TMP/ns.out")"
	elif ! diff -u "$TMP/runc.out" "$TMP/ns.out" >"$TMP/diff"; then
		fail "$_name" "$(cat "$TMP/diff")"
	else
		pass "$_name"
	fi
}
compare "root: caps, seccomp, hostname, ids, rlimits, mounts as runc" "."
grep -q '^Seccomp:.2' "$TMP/ns.out" && grep -q '^hostname\|^probe1' "$TMP/ns.out" &&
    grep -q 'Permission denied' "$TMP/ns.out" && grep -q '^nofile 1024 core 0' "$TMP/ns.out" &&
    grep -q '^/sys/fs/cgroup/memory ro' "$TMP/ns.out"
ok "and the probe saw the bundle's settings" test $? = 0
compare "nobody with extra groups, umask, read-only root, as runc" \
    '.process.user={"uid":65534,"gid":65534,"additionalGids":[5,7],"umask":63} | .root.readonly=true
     | .process.capabilities.inheritable=["CAP_KILL"]'
grep -q 'uid=65534.*groups=5,7' "$TMP/ns.out" && grep -q '^CapAmb:.0000000000000020' "$TMP/ns.out" &&
    grep -q 'umask 0077' "$TMP/ns.out" && grep -q '^/ ro' "$TMP/ns.out"
ok "and the probe saw the user, ambient KILL, umask and read-only root" test $? = 0
compare "no seccomp, all caps, sysctl, a bind and a tmpfs mount, as runc" \
    'del(.linux.seccomp) | .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
     | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
     | .linux.sysctl={"net.ipv4.ip_forward":"1"}
     | .mounts += [{"destination":"/mnt/etc","type":"bind","source":"/etc","options":["rbind","ro","nosuid"]},
                   {"destination":"/scratch","type":"tmpfs","source":"tmpfs","options":["size=1m","mode=700"]}]'
compare "a user namespace mapping 0 to 100000, as runc" \
    '.linux.namespaces += [{"type":"user"}]
     | .linux.uidMappings=[{"containerID":0,"hostID":100000,"size":65536}]
     | .linux.gidMappings=[{"containerID":0,"hostID":100000,"size":65536}]
     | .process.args=["/bin/sh","-c","cat /proc/self/uid_map; /bin/sh /probe.sh"]'
grep -q '^ *0 *100000 *65536' "$TMP/ns.out"
ok "and the probe ran in the mapped user namespace" test $? = 0

# --- the process -------------------------------------------------------
spec '.process.terminal=false | .process.args=["/bin/sh","-c","exit 7"]'
testcmd "run: the container's exit status" 7 "" oci run -b "$B" st1
spec '.process.terminal=false | .process.args=["sleep","100"]'
oci run -b "$B" st2 & runpid=$!
i=0; while [ "$(oci state st2 2>/dev/null | jq -r .status)" != running ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
oci kill st2 KILL
wait $runpid
testcmd "run: killed by a signal: 128+n" 0 137 echo $?
spec '.process.terminal=false | .process.args=["nosuchprog"]'
testerr "not found: 127, runc's words" 127 'ns-runc: exec: "nosuchprog": executable file not found in \$PATH' \
    oci run -b "$B" st3
chmod 644 "$R/probe.sh"
spec '.process.terminal=false | .process.args=["/probe.sh"]'
testerr "not executable: 126" 126 'ns-runc: exec: "/probe.sh": permission denied' oci run -b "$B" st4
testcmd "a failed create leaves no state behind" 0 "" ls "$ST"
spec '.process.terminal=false | .process.args=["/bin/sh","-c","echo $$ $PPID; echo $FOO"] | .process.env += ["FOO=bar"]'
testcmd "the process is PID 1 and gets process.env" 0 "1 0
bar" oci run -b "$B" st5
# A glob under /sys/devices/system is listed in the host's /sys; what it
# matches is masked in the container's own sysfs, and nothing else.
spec '.process.terminal=false | .linux.maskedPaths += ["/sys/devices/system/cpu/cpu*/uevent"]
      | .process.args=["/bin/sh","-c","wc -c </sys/devices/system/cpu/cpu0/uevent; ls /sys/devices/system/cpu/cpu0 | grep -c ."]'
testcmd "maskedPaths: a glob under /sys" 0 "0
$(ls /sys/devices/system/cpu/cpu0 | grep -c .)" oci run -b "$B" st6

# --- lifecycle ---------------------------------------------------------
spec '.process.terminal=false | .process.args=["/bin/sh","-c","trap \"exit 0\" TERM; while :; do sleep 0.05; done"]
      | .linux.resources={"pids":{"limit":20},"memory":{"limit":67108864}}'
state() { oci state "$1" | jq -r .status; }
testcmd "create" 0 "" oci create -b "$B" --pid-file "$TMP/pid" c1
testcmd "state: created" 0 "created" state c1
pid=$(oci state c1 | jq .pid)
testcmd "--pid-file holds the container's pid" 0 "$pid" cat "$TMP/pid"
testcmd "created: the process waits, not yet running the program" 0 "ns-runc" cat /proc/$pid/comm
testcmd "start" 0 "" oci start c1
testcmd "state: running" 0 "running" state c1
testcmd "start twice: refused" 1 "" oci start c1
cg=$(awk -F: '$2 == "pids" { print $3 }' /proc/$pid/cgroup)
testcmd "cgroupsPath: the default, /ns-run-ID" 0 "/ns-run-c1" echo "$cg"
testcmd "linux.resources.pids.limit" 0 20 cat /sys/fs/cgroup/pids$cg/pids.max
testcmd "linux.resources.memory.limit" 0 67108864 cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes
testcmd "exec: a second process inside" 0 "runc sh" oci exec c1 sh -c 'echo $(hostname) $(cat /proc/1/comm)'
testcmd "exec: exit status" 3 "" oci exec c1 sh -c 'exit 3'
testerr "exec: not found: 127" 127 'executable file not found' oci exec c1 nosuch
testcmd "exec --detach --pid-file" 0 "" oci exec --detach --pid-file "$TMP/epid" c1 sleep 5
ok "exec: the detached process is in the container's cgroup" \
    grep -q "pids:$cg\$" /proc/$(cat "$TMP/epid")/cgroup
testcmd "pause" 0 "" oci pause c1
testcmd "state: paused" 0 "paused" state c1
testcmd "resume" 0 "" oci resume c1
testcmd "state: running again" 0 "running" state c1
testerr "delete a running container: refused" 1 "cannot delete container c1 that is not stopped: running" \
    oci delete c1
testcmd "list" 0 "c1" oci list -q
testcmd "kill (SIGTERM by default)" 0 "" oci kill c1
i=0; while [ "$(state c1)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "state: stopped" 0 "stopped" state c1
testcmd "delete" 0 "" oci delete c1
ok "delete removes the cgroup" test ! -d /sys/fs/cgroup/pids$cg
testerr "state of a deleted container" 1 "ns-runc: container c1 does not exist" oci state c1
testcmd "delete --force of a missing container: fine" 0 "" oci delete --force c1

spec '.process.terminal=false | .process.args=["sleep","100"]'
oci create -b "$B" c2 && oci start c2
testcmd "kill by name: SIGKILL" 0 "" oci kill c2 SIGKILL
i=0; while [ "$(state c2)" != stopped ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "killed" 0 "stopped" state c2
oci delete c2
oci create -b "$B" c3
testcmd "delete a created container" 0 "" oci delete c3
spec '.process.terminal=false | .process.args=["/bin/sh","-c","sleep 100 & sleep 100 & wait"]'
oci create -b "$B" ka && oci start ka
i=0; while [ "$(oci list --format json | jq '.[] | select(.id == "ka") | .status' -r)" != running ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "list --format json" 0 "ka running" sh -c "'$TMP/ns-runc' --root '$ST' list --format json | jq -r '.[] | .id + \" \" + .status'"
cgk=$(awk -F: '$2 == "pids" { print $3 }' /proc/$(oci state ka | jq .pid)/cgroup)
i=0; while [ "$(wc -l </sys/fs/cgroup/pids$cgk/cgroup.procs)" -lt 3 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "kill --all: every process of the container's cgroup" 0 "" oci kill --all ka KILL
i=0; while [ -s /sys/fs/cgroup/pids$cgk/cgroup.procs ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "... leaves the cgroup empty" 0 "" sh -c "for p in \$(cat /sys/fs/cgroup/pids$cgk/cgroup.procs); do echo \$p; head -3 /proc/\$p/status; cat /proc/\$p/cmdline; done"
oci delete --force ka
oci create -b "$B" c4 && oci start c4
testcmd "delete --force kills a running one" 0 "" oci delete --force c4
testerr "kill: bad signal" 1 "signal BOGUS: unknown" oci kill c4 BOGUS
testerr "create: a taken id" 1 "container with id c5 already exists" \
    sh -c "'$TMP/ns-runc' --root '$ST' create -b '$B' c5 && '$TMP/ns-runc' --root '$ST' create -b '$B' c5"
oci delete --force c5
testerr "a bad id" 1 "container id '../x': invalid character '/'" oci create -b "$B" ../x

# --- joined namespaces, hooks, inherited fds ----------------------------
spec '.process.terminal=false | .process.args=["sleep","100"] | .hostname="box-a"'
oci create -b "$B" na && oci start na
apid=$(oci state na | jq .pid)
spec ".process.terminal=false | .process.args=[\"/bin/sh\",\"-c\",\"hostname; readlink /proc/self/ns/net\"]
      | .hostname=\"ignored\"
      | .linux.namespaces |= map(if .type == \"uts\" then .path=\"/proc/$apid/ns/uts\"
                                elif .type == \"network\" then .path=\"/proc/$apid/ns/net\" else . end)"
testcmd "namespaces joined by path: uts and network of another container" 0 "box-a
$(readlink /proc/$apid/ns/net)" oci run -b "$B" nb
oci delete --force na
testcmd "the host's name is untouched" 0 "$(cat /proc/sys/kernel/hostname)" hostname
cat >"$TMP/hook" <<EOF
#!/bin/sh
jq -r '"\\(.id) \\(.status)"' >>"$TMP/hooks.log" 2>&1 || echo "hook: no state" >>"$TMP/hooks.log"
echo "\$1" >>"$TMP/hooks.log"
EOF
chmod +x "$TMP/hook"
spec ".process.terminal=false | .process.args=[\"sleep\",\"10\"]
      | .hooks={\"createRuntime\":[{\"path\":\"$TMP/hook\",\"args\":[\"hook\",\"createRuntime\"]}],
               \"prestart\":[{\"path\":\"$TMP/hook\",\"args\":[\"hook\",\"prestart\"]}],
               \"poststart\":[{\"path\":\"$TMP/hook\",\"args\":[\"hook\",\"poststart\"]}],
               \"poststop\":[{\"path\":\"$TMP/hook\",\"args\":[\"hook\",\"poststop\"]}]}"
oci create -b "$B" hk && oci start hk && oci delete --force hk
testcmd "hooks: each stage, with the state on stdin" 0 "hk created
createRuntime
hk created
prestart
hk running
poststart
hk stopped
poststop" cat "$TMP/hooks.log"
spec '.process.terminal=false | .process.args=["/bin/sh","-c","cat <&3; cat <&4 2>/dev/null || echo no-fd-4"]'
echo fd3-data >"$TMP/fd3"
testcmd "--preserve-fds 1: fd 3 passes, fd 4 does not" 0 "fd3-data
no-fd-4" sh -c "'$TMP/ns-runc' --root '$ST' run --preserve-fds 1 -b '$B' pf 3<'$TMP/fd3' 4<'$TMP/fd3'"

# --- bad bundles --------------------------------------------------------
bad() {
	_name=$1 _pat=$2
	testerr "bad bundle: $_name" 1 "^ns-runc: config.json: $_pat" oci create -b "$B" badc
}
spec 'del(.root)'; bad "no root" "root: missing"
spec '.root.path="nowhere"'; bad "root path missing" "root.path: $B/nowhere: No such file"
printf '{"ociVersion": "1.0.2",\n  "root": {"path": "rootfs"' >"$B/config.json"
bad "bad JSON" "line 2 column 28: expected ',' or '}'"
spec '.linux.namespaces[1].type="bogus"'
bad "unknown namespace" "linux.namespaces\[1\].type: unknown namespace type 'bogus'"
spec '.linux.seccomp={"defaultAction":"SCMP_ACT_FOO"}'
bad "bad seccomp action" "linux.seccomp.defaultAction: unknown or unsupported seccomp action 'SCMP_ACT_FOO'"
spec '.linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}'
bad "bad seccomp argument" "linux.seccomp.syscalls\[0\].args\[0\].index: 9: expected an integer from 0 to 5"
spec '.process.user.uid="0"'; bad "wrong type" "process.user.uid: expected a number, found a string"
spec '.process.capabilities.bounding[0]="CAP_NOPE"'
bad "unknown capability" "process.capabilities.bounding\[0\]: unknown capability 'CAP_NOPE'"
spec '.process.rlimits[0].type="RLIMIT_FOO"'; bad "unknown rlimit" "process.rlimits\[0\].type: unknown resource 'RLIMIT_FOO'"
spec '.process.args=[]'; bad "no args" "process.args: empty: no program to run"
spec '.mounts[0].destination="proc"'; bad "relative mount" "mounts\[0\].destination: must be an absolute path"
spec '.ociVersion="2.0.0"'; bad "spec version" "ociVersion: '2.0.0': only 1.x is supported"
spec '.process.terminal=true'; bad "a terminal without --console-socket" "process.terminal: true needs --console-socket"
spec '.process.terminal=false'
testerr "a failure after the fork: --pid-file in a missing directory" 1 \
    "ns-runc: --pid-file $TMP/no/pid: No such file or directory" oci create -b "$B" --pid-file "$TMP/no/pid" pf2
ok "... takes the cgroup down again" test ! -d /sys/fs/cgroup/pids/ns-run-pf2
testcmd "bad bundles leave no state" 0 "" ls "$ST"
spec '.linux.namespaces[1].type="bogus"'
"$TMP/ns-runc" --root "$ST" --log "$TMP/log.json" --log-format json create -b "$B" badc 2>/dev/null
testcmd "--log-format json: the error as a JSON line" 0 \
    "error config.json: linux.namespaces[1].type: unknown namespace type 'bogus'" \
    jq -r '.level + " " + .msg' "$TMP/log.json"

# --- the command line ----------------------------------------------------
testerr "unknown command: usage, 2" 2 "ns-runc: frobnicate: unknown command" oci frobnicate
testcmd "--version" 0 "ns-run version 0.1.0
spec: 1.0.2" oci --version
testcmd "ns-run --oci is the same front door" 0 "" ns-run --oci --root "$ST" list -q
testcmd "features is JSON" 0 "true" sh -c "'$TMP/ns-runc' features | jq .linux.seccomp.enabled"

# --- podman drives ns-run --------------------------------------------------
# State other runs left in podman's default runtime root is not ours.
ls /run/ns-run 2>/dev/null >"$TMP/ns-run-state.before"; echo "-" >>"$TMP/ns-run-state.before"
if ! command -v podman >/dev/null; then
	skip "podman not installed"
	done_testing
	exit
fi
# podman gives --log-format json only to a runtime named runc.
mkdir "$TMP/rt" && ln -s "$TOP/bin/ns-runc" "$TMP/rt/runc"
PR=$TMP/podman
[ -d /run/ns-run ] || at_exit "rmdir /run/ns-run 2>/dev/null"
# podman makes /run/containers/networks whatever its flags say.
[ -d /run/containers ] || at_exit "rmdir /run/containers/networks /run/containers 2>/dev/null"
[ -d /sys/fs/cgroup/pids/libpod_parent ] || at_exit "find /sys/fs/cgroup/*/libpod_parent -depth -type d -exec rmdir {} + 2>/dev/null"
P() {
	podman --root "$PR/root" --runroot "$PR/run" --tmpdir "$PR/tmp" \
	    --network-config-dir "$PR/net" --storage-driver vfs --events-backend none \
	    --cgroup-manager cgroupfs --runtime "$TMP/rt/runc" "$@"
}
at_exit "podman --root '$PR/root' --runroot '$PR/run' --tmpdir '$PR/tmp' --storage-driver vfs rm -af -t 0 >/dev/null 2>&1"
U="--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"

# An image: the busybox rootfs as a docker-archive, loaded offline.
mkdir "$TMP/img"
tar -C "$R" -cf "$TMP/img/layer.tar" .
d=$(sha256sum "$TMP/img/layer.tar" | cut -d' ' -f1)
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"],"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$d" >"$TMP/img/config.json"
printf '[{"Config":"config.json","RepoTags":["localhost/skiff-bb:latest"],"Layers":["layer.tar"]}]' \
    >"$TMP/img/manifest.json"
tar -C "$TMP/img" -cf "$TMP/img.tar" manifest.json config.json layer.tar
ok "podman load" sh -c "$(command -v podman) --root '$PR/root' --runroot '$PR/run' --tmpdir '$PR/tmp' --storage-driver vfs load -q -i '$TMP/img.tar' >/dev/null"
I=localhost/skiff-bb

testcmd "podman run --rm: output and exit status" 3 "hello" P run --rm $U $I sh -c 'echo hello; exit 3'
testcmd "podman run: command not found is 127" 127 "" P run --rm $U $I nosuchprog
testcmd "--network none: only lo" 0 "lo" P run --rm $U $I sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"
testcmd "--read-only" 0 "1" P run --rm $U --read-only $I sh -c 'touch /x 2>/dev/null; echo $?'
testcmd "--memory and --pids-limit" 0 "67108864 50" P run --rm $U --memory 64m --pids-limit 50 $I sh -c \
    'm=$(grep :memory: /proc/self/cgroup | cut -d: -f3); p=$(grep :pids: /proc/self/cgroup | cut -d: -f3);
     echo $(cat /sys/fs/cgroup/memory$m/memory.limit_in_bytes /sys/fs/cgroup/pids$p/pids.max)'
testcmd "--cpus and --cpu-shares" 0 "50000 100000 512" P run --rm $U --cpus 0.5 --cpu-shares 512 $I sh -c \
    'c=$(grep :cpu: /proc/self/cgroup | cut -d: -f3); cd /sys/fs/cgroup/cpu$c && echo $(cat cpu.cfs_quota_us cpu.cfs_period_us cpu.shares)'
testcmd "run -t: a tty over --console-socket" 0 "tty" sh -c "$(command -v podman) --root '$PR/root' --runroot '$PR/run' --tmpdir '$PR/tmp' \
    --network-config-dir '$PR/net' --storage-driver vfs --events-backend none --cgroup-manager cgroupfs \
    --runtime '$TMP/rt/runc' run --rm -t $U $I sh -c 'test -t 0 && test -t 1 && echo tty' | tr -d '\r'"

testcmd "run -d" 0 "" sh -c "$(command -v podman) --root '$PR/root' --runroot '$PR/run' --tmpdir '$PR/tmp' \
    --network-config-dir '$PR/net' --storage-driver vfs --events-backend none --cgroup-manager cgroupfs \
    --runtime '$TMP/rt/runc' run -d --name w1 $U $I sh -c 'trap \"echo got-hup\" HUP; while :; do sleep 0.05; done' >/dev/null"
testcmd "podman exec" 0 "exec-ok 0" P exec w1 sh -c 'echo exec-ok $(id -u)'
testcmd "podman exec: status" 4 "" P exec w1 sh -c 'exit 4'
testcmd "podman exec -u -e -w" 0 "65534 bar /tmp" P exec -u 65534 -e FOO=bar -w /tmp w1 sh -c 'echo $(id -u) $FOO $(pwd)'
testcmd "podman exec -t: a tty over --console-socket" 0 "exec-tty" sh -c "$(command -v podman) --root '$PR/root' \
    --runroot '$PR/run' --tmpdir '$PR/tmp' --network-config-dir '$PR/net' --storage-driver vfs --events-backend none \
    --cgroup-manager cgroupfs --runtime '$TMP/rt/runc' exec -t w1 sh -c 'test -t 0 && echo exec-tty' | tr -d '\r'"
P kill -s HUP w1 >/dev/null; sleep 0.5
testcmd "podman kill -s HUP reaches the container" 0 "got-hup" P logs w1
P pause w1 >/dev/null
testcmd "podman pause" 0 "paused" P inspect -f '{{.State.Status}}' w1
P unpause w1 >/dev/null
testcmd "podman unpause" 0 "running" P inspect -f '{{.State.Status}}' w1
P stop -t 1 w1 >/dev/null 2>&1
testcmd "podman stop: SIGTERM ignored by PID 1, SIGKILL after the timeout" 0 "exited 137" \
    P inspect -f '{{.State.Status}} {{.State.ExitCode}}' w1
P rm w1 >/dev/null
P run -d --name w2 $U $I sh -c 'trap "exit 0" TERM; while :; do sleep 0.05; done' >/dev/null
sleep 0.3
P stop -t 10 w2 >/dev/null 2>&1
testcmd "podman stop: SIGTERM handled" 0 "exited 0" P inspect -f '{{.State.Status}} {{.State.ExitCode}}' w2
P rm w2 >/dev/null
testcmd "podman leaves no ns-run state" 0 "" sh -c "ls /run/ns-run 2>/dev/null | grep -vxF -f '$TMP/ns-run-state.before'; true"

done_testing
