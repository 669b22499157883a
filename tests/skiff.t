#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff.t: the docker-style wrapper, end to end, in a network namespace of
# its own (the bridge, veths and NAT rules never touch the host's).
if [ -z "${SKIFF_T_NETNS:-}" ] && [ "$(id -u)" = 0 ]; then
	SKIFF_T_NETNS=1 exec unshare -n "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_root
for t in img-unpack cg-limit net-bridge vol-mount ns-run; do
	command -v $t >/dev/null || skip_all "$t not built"
done
command -v umoci >/dev/null || skip_all "umoci not installed"
ip link set lo up

export SKIFF_ROOT=$TMP/root SKIFF_RUN=$TMP/run
at_exit 'skiff rm -f $(skiff ps -aq) >/dev/null 2>&1; skiff gc >/dev/null 2>&1'

# An image made by umoci from a busybox rootfs, loaded into the store.
mkrootfs "$TMP/bb"
(cd "$TMP" && umoci init --layout L && umoci new --image L:latest &&
    umoci unpack --image L:latest B && cp -a bb/. B/rootfs/ &&
    umoci repack --image L:latest B &&
    umoci config --image L:latest --config.cmd /bin/sh --config.env PATH=/bin:/usr/bin \
        --config.workingdir /) >/dev/null 2>&1 || skip_all "umoci could not make an image"
img-unpack load "oci:$TMP/L:latest" busybox:latest >/dev/null || skip_all "img-unpack load failed"

# waitfor CMD...: retry for up to 5 s.
waitfor() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -ge 100 ] && return 1; sleep 0.05
	done
}

testcmd "run --rm prints and exits with the container's status" 7 "hi" \
    skiff run --rm busybox sh -c 'echo hi; exit 7'
testcmd "the image's Cmd runs when none is given" 0 "/bin/sh" \
    sh -c 'echo "echo \$0" | skiff run --rm -i busybox'
testcmd "--entrypoint and arguments" 0 "a b" skiff run --rm --entrypoint /bin/echo busybox a b
testcmd "-e and --env-file" 0 "1 two" sh -c 'printf "B=two\n# comment\n" >"$1/envf";
    skiff run --rm -e A=1 --env-file "$1/envf" busybox sh -c "echo \$A \$B"' sh "$TMP"
testcmd "-w and -u" 0 "/tmp 65534" skiff run --rm -w /tmp -u 65534 busybox sh -c 'echo $(pwd) $(id -u)'
testcmd "--hostname" 0 "h1" skiff run --rm --hostname h1 busybox hostname
testcmd "--network none: only lo" 0 "lo" skiff run --rm --network none busybox ls /sys/class/net
testcmd "--network host: the caller's network namespace" 0 "$(readlink /proc/self/ns/net)" \
    skiff run --rm --network host busybox readlink /proc/self/ns/net
testcmd "default network: eth0 with an address from 10.88.0.0/16" 0 "10.88" \
    skiff run --rm busybox sh -c 'ip -4 addr show eth0 | sed -n "s/.*inet \([0-9]*\.[0-9]*\).*/\1/p"'
testcmd "--read-only" 0 "ro" skiff run --rm --read-only busybox sh -c 'touch /x 2>/dev/null && echo rw || echo ro'
testcmd "--cap-drop ALL" 0 "0000000000000000" \
    skiff run --rm --cap-drop ALL busybox sh -c 'sed -n "s/^CapEff:\t//p" /proc/self/status'

mkdir -p "$TMP/data"
echo host >"$TMP/data/in"
testcmd "-v host dir: read and write" 0 "host" \
    skiff run --rm -v "$TMP/data:/data" busybox sh -c 'cat /data/in; echo box >/data/out'
testcmd "... the write reached the host" 0 "box" cat "$TMP/data/out"
testcmd "-v host dir :ro refuses writes" 0 "refused" \
    skiff run --rm -v "$TMP/data:/data:ro" busybox sh -c 'echo x 2>/dev/null >/data/new || echo refused'
testcmd "-v NAME:DST, a named volume, survives the container" 0 "kept" \
    sh -c 'skiff run --rm -v vol1:/v busybox sh -c "echo kept >/v/f" &&
        skiff run --rm -v vol1:/v busybox cat /v/f'
testcmd "--tmpfs" 0 "tmpfs" skiff run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3'
testcmd "-m: a hog is killed with 137" 137 "" \
    skiff run --rm -m 16m busybox sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo survived'
# busybox sh gives up (exit 2) when a fork fails.
testcmd "--pids-limit: the sixth process cannot start" 2 "" \
    skiff run --rm --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done 2>/dev/null; echo survived'

# Detached, published, logs, stop.
mkdir -p "$TMP/www"
echo "<p>skiff</p>" >"$TMP/www/index.html"
id=$(skiff run -d --name web -p 127.0.0.1:18080:80 -v "$TMP/www:/www:ro" busybox httpd -f -vv -p 80 -h /www)
ok "run -d prints a 64-hex id" sh -c 'echo "$1" | grep -Eq "^[0-9a-f]{64}$"' sh "$id"
waitfor wget -qO /dev/null http://127.0.0.1:18080/
testcmd "-p 127.0.0.1:HP:80 serves the page to the host" 0 "<p>skiff</p>" wget -qO- http://127.0.0.1:18080/
testcmd "ps lists it by name" 0 "web" sh -c 'skiff ps | awk "NR > 1 { print \$NF }"'
testcmd "ps -q: short ids" 0 "$(echo "$id" | cut -c1-12)" skiff ps -q
testcmd "inspect by short id" 0 '"Running": true' sh -c 'skiff inspect "$1" | grep -o "\"Running\": true"' sh "$(echo "$id" | cut -c1-8)"
testerr "a second container with the same name: 125" 125 "^skiff: --name web: already in use" \
    skiff run -d --name web busybox true
ok "logs has httpd's request line" waitfor sh -c 'skiff logs web | grep -q "url:/"'
testcmd "exec sees the container's files, hostname and environment" 0 "<p>skiff</p> $(echo "$id" | cut -c1-12) /bin" \
    skiff exec web sh -c 'echo $(cat /www/index.html) $(hostname) ${PATH%%:*}'
testcmd "exec runs in the container's pid namespace" 0 "httpd" \
    sh -c 'skiff exec web ps -o comm | grep -x httpd'
testcmd "exec -e -u" 0 "1 65534" skiff exec -e X=1 -u 65534 web sh -c 'echo $X $(id -u)'
testcmd "exec: the exit status" 3 "" skiff exec web sh -c 'exit 3'
testerr "exec into a missing container" 1 "^skiff: no such container: nope$" skiff exec nope true
testcmd "stop within the timeout" 0 "web" skiff stop -t 5 web
testcmd "ps -a shows it exited" 0 "Exited" sh -c 'skiff ps -a | awk "NR > 1" | grep -o Exited'
testerr "rm of a running container needs -f" 1 "is running" \
    sh -c 'skiff run -d --name sleeper busybox sleep 100 >/dev/null; skiff rm sleeper'
testcmd "rm -f removes it" 0 "sleeper" skiff rm -f sleeper
testcmd "rm web" 0 "web" skiff rm web
testcmd "nothing left in ps -a" 0 "" skiff ps -aq

# logs -f follows until the container ends.
skiff run -d --name talker busybox sh -c 'for i in 1 2 3; do echo line$i; sleep 0.2; done' >/dev/null
testcmd "logs -f follows to the end" 0 "line1 line2 line3" sh -c 'skiff logs -f talker | xargs'
skiff rm talker >/dev/null

# Restart policy.
skiff run -d --name flaky --restart on-failure:3 busybox sh -c 'echo run; exit 1' >/dev/null
waitfor sh -c '[ "$(skiff logs flaky | grep -c run)" -ge 3 ] && skiff ps -a | grep -q "Exited (1)"'
testcmd "--restart on-failure:3 runs it three times" 0 "3" sh -c 'skiff logs flaky | grep -c run'
skiff rm -f flaky >/dev/null

# Bad input: 125, one line, nothing left behind.
testerr "unknown image: 125" 125 "^skiff: image nope:latest: " skiff run --rm nope:latest true
testerr "unknown flag: 125" 125 "^skiff: run: --bogus: unknown option" skiff run --bogus busybox true
testerr "bad --restart: 125" 125 "^skiff: --restart sometimes: expected" skiff run --restart sometimes busybox true
testerr "missing bind source: 125" 125 "^skiff: -v /nonexistent:/x: /nonexistent: no such file" \
    skiff run --rm -v /nonexistent:/x busybox true
testcmd "the failed runs left no container" 0 "" skiff ps -aq
testerr "unknown command: 2" 2 "^skiff: frobnicate: unknown command" skiff frobnicate

# kill -9 of the wrapper midway, then gc: the container is reconciled.
skiff run --name orphan busybox sleep 100 >/dev/null 2>&1 &
wpid=$!
waitfor sh -c 'skiff ps | grep -q orphan'
kill -9 $wpid
pkill -KILL -f "ns-run --rootfs $SKIFF_RUN/containers" 2>/dev/null
waitfor sh -c '! skiff ps | grep -q orphan'
testcmd "after kill -9, gc marks the container exited" 0 "gc: orphan: marked exited" skiff gc
testcmd "... and rm removes it" 0 "orphan" skiff rm orphan
ok "no cgroup of skiff's is left" sh -c '! find /sys/fs/cgroup -maxdepth 3 -name "$1*" | grep -q .' sh "$(basename "$SKIFF_ROOT")"
done_testing
