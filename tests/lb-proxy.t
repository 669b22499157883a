#!/bin/sh
# SPDX-License-Identifier: ISC
# lb-proxy.t: distribution, failover, reload, limits, half-close, large
# transfers, PROXY protocol, UDP and bad input. Everything on loopback.
. "$(dirname "$0")/lib.sh"
command -v busybox >/dev/null || skip_all "busybox is not installed"
command -v curl >/dev/null || skip_all "curl is not installed"
command -v perl >/dev/null || skip_all "perl is not installed"

# High ports below the ephemeral range, spread by our pid.
base=$((21000 + ($$ % 1000) * 10))
LB=$base B1=$((base + 1)) B2=$((base + 2)) B3=$((base + 3)) B4=$((base + 4))
X=$((base + 5))
pids=""
at_exit 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null'

# h.pl: the small clients and servers the shell cannot be.
cat >"$TMP/h.pl" <<'EOF'
use strict; use warnings; use IO::Socket::IP; use IO::Socket::UNIX; use Socket;
$| = 1;
my $m = shift;
if ($m eq 'hold') {		# hold PORT N: N idle connections until killed
	my ($port, $n) = @ARGV; my @s;
	for (1 .. $n) { push @s, IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port) or die "connect: $!"; }
	print "ok\n"; sleep 60;
} elsif ($m eq 'halfclose') {	# send, shut our write side, read the reply
	my ($port, $data) = @ARGV;
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port) or die "connect: $!";
	print $s $data; $s->flush; shutdown($s, 1);
	local $/; my $r = <$s>; print defined $r ? $r : '';
} elsif ($m eq 'udpecho') {	# PORT TAG: answer "TAG:datagram"
	my ($port, $tag) = @ARGV;
	my $s = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $port, Proto => 'udp') or die "bind: $!";
	print "ok\n";
	while (1) { my $peer = $s->recv(my $d, 65536); $s->send("$tag:$d", 0, $peer); }
} elsif ($m eq 'udpsend') {	# PORT MSG...: one socket, each MSG, print replies
	my ($port, @msgs) = @ARGV;
	my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port, Proto => 'udp') or die "udp: $!";
	for my $msg (@msgs) {
		$s->send($msg);
		my $rin = ''; vec($rin, fileno($s), 1) = 1;
		if (select(my $r = $rin, undef, undef, 3)) { $s->recv(my $d, 65536); print "$d\n"; }
		else { print "timeout\n"; }
	}
} elsif ($m eq 'rst') {		# PORT: accept and reset every connection
	my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $ARGV[0], Listen => 64, ReuseAddr => 1) or die "listen: $!";
	print "ok\n";
	while (my $c = $l->accept) { setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)); close $c; }
} elsif ($m eq 'blackhole') {	# PORT: a full accept queue, so SYNs are dropped
	my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $ARGV[0], Listen => 1, ReuseAddr => 1) or die "listen: $!";
	my @s = map { IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $ARGV[0], Blocking => 0) } 1 .. 8;
	sleep 1; print "ok\n"; sleep 60;
} elsif ($m eq 'unix') {		# PATH: print what the socket says
	my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "unix: $!";
	local $/; print scalar <$s>;
}
EOF
hpl() { perl "$TMP/h.pl" "$@"; }

get() { curl -s --noproxy '*' --max-time 5 "$@"; }

# bg CMD...: run in the background, remembered for the kill at exit.
bg() { "$@" & pids="$pids $!"; BGPID=$!; }

httpd() {
	mkdir -p "$TMP/w$1"
	echo "b$1" >"$TMP/w$1/index.html"
	bg busybox httpd -f -p "127.0.0.1:$2" -h "$TMP/w$1" </dev/null >/dev/null 2>&1
	eval "H$1=\$BGPID"
}

# waitport PORT: until something accepts on it (busybox starts fast).
waitport() {
	_i=0
	until perl -MIO::Socket::IP -e 'exit !IO::Socket::IP->new(PeerHost => "127.0.0.1", PeerPort => $ARGV[0])' "$1" 2>/dev/null; do
		_i=$((_i + 1)); [ $_i -lt 50 ] || return 1; sleep 0.1
	done
}

# lb ARGS...: start lb-proxy and wait until it says it is listening.
lb() {
	rm -f "$TMP/ready"; mkfifo "$TMP/ready"
	lb-proxy --ready-fd 3 "$@" 3>"$TMP/ready" 2>"$TMP/lb.log" &
	LBPID=$!; pids="$pids $LBPID"
	read -r _ <"$TMP/ready"
}
lbstop() { kill "$LBPID" 2>/dev/null; wait "$LBPID" 2>/dev/null; }

# dist N ARGS: N requests through lb-proxy, the count of each answer.
dist() {
	_cnt=$1; shift
	for _i in $(seq "$_cnt"); do get "$@" "http://127.0.0.1:$LB/" || echo FAIL; done |
	    sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }'
}

# stats: what SIGUSR1 prints, the lines since the last call.
stats() {
	_before=$(wc -l <"$TMP/lb.log")
	kill -USR1 "$LBPID"; sleep 0.2
	tail -n +"$((_before + 1))" "$TMP/lb.log"
}

httpd 1 $B1; httpd 2 $B2; httpd 3 $B3
waitport $B1 && waitport $B2 && waitport $B3 || { echo "Bail out! httpd backends did not start"; exit 1; }

# ---- options and bad input -------------------------------------------
testcmd "--help exits 0" 0 "$(lb-proxy --help)" lb-proxy --help
ok "--help shows the usage line" sh -c 'lb-proxy --help | grep -q "^usage: lb-proxy .*--listen ADDR:PORT"'
testcmd "--version" 0 "lb-proxy 0.1.0" lb-proxy --version
testerr "no arguments: usage, exit 2" 2 '^usage: lb-proxy' lb-proxy
testerr "no backends: exit 2" 2 '^lb-proxy: no backends: give --backend or --backends$' \
    lb-proxy --listen 127.0.0.1:$LB
testerr "no listener: exit 2" 2 '^lb-proxy: no --listen address$' lb-proxy --backend 127.0.0.1:$B1
testerr "bad listen address: exit 2" 2 '^lb-proxy: --listen 127.0.0.300:80: expected ADDR:PORT' \
    lb-proxy --listen 127.0.0.300:80 --backend 127.0.0.1:$B1
testerr "IPv6 without brackets: exit 2" 2 '^lb-proxy: --listen ::1:80: expected' \
    lb-proxy --listen ::1:80 --backend 127.0.0.1:$B1
testerr "bad backend port: exit 2" 2 '^lb-proxy: --backend 127.0.0.1:70000: expected ADDR:PORT' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:70000
testerr "bad weight: exit 2" 2 '^lb-proxy: --backend 127.0.0.1:1,weight=0: expected' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:1,weight=0
testerr "duplicate backend: exit 2" 2 'lb-proxy: --backend: 127.0.0.1:1 given twice' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:1 --backend 127.0.0.1:1
testerr "bad algorithm: exit 2" 2 '^lb-proxy: --algo random: expected roundrobin' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --algo random
testerr "bad duration: exit 2" 2 '^lb-proxy: --connect-timeout soon: expected a duration' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --connect-timeout soon
testerr "unknown option: exit 2" 2 '^lb-proxy: --frobnicate: unknown option$' lb-proxy --frobnicate
testerr "--backend with --backends: exit 2" 2 'give one or the other' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --backends /dev/null
testerr "missing backends file: exit 1" 1 "^lb-proxy: $TMP/nope: No such file or directory\$" \
    lb-proxy --listen 127.0.0.1:$LB --backends "$TMP/nope"
printf '127.0.0.1:%s\n# a comment\n127.0.0.1:%s 2\nlocalhost:80\n' $B1 $B2 >"$TMP/bad"
testerr "backends file with a name: exit 1, line named" 1 "^lb-proxy: $TMP/bad: line 4: localhost:80: not a numeric ADDR:PORT\$" \
    lb-proxy --listen 127.0.0.1:$LB --backends "$TMP/bad"
printf '127.0.0.1:%s 999\n' $B1 >"$TMP/bad"
testerr "backends file with a bad weight: exit 1" 1 'line 1: 999: weight must be 1 to 256' \
    lb-proxy --listen 127.0.0.1:$LB --backends "$TMP/bad"
testerr "port in use: exit 1" 1 "^lb-proxy: listen 127.0.0.1:$B1: Address (already )?in use\$" \
    lb-proxy --listen 127.0.0.1:$B1 --backend 127.0.0.1:$B2
testerr "bad worker count: exit 2" 2 '^lb-proxy: --workers 0: expected a number from 1 to 64$' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --workers 0
testerr "--stats with workers: exit 2" 2 '^lb-proxy: --stats: not with --workers above 1' \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --workers 2 --stats unix:$TMP/s
testerr "port in use, with workers: exit 1" 1 "^lb-proxy: listen 127.0.0.1:$B1: Address (already )?in use\$" \
    lb-proxy --listen 127.0.0.1:$B1 --backend 127.0.0.1:$B2 --workers 2

# ---- distribution ------------------------------------------------------
lb --listen 127.0.0.1:$LB --listen "[::1]:$LB" --backend 127.0.0.1:$B1 \
    --backend 127.0.0.1:$B2 --backend 127.0.0.1:$B3
testcmd "roundrobin: 6 requests hit each backend twice" 0 "b1=2 b2=2 b3=2 " dist 6
testcmd "IPv6 listener" 0 "b1" sh -c "curl -s --noproxy '*' --max-time 5 'http://[::1]:$LB/'"
lbstop

lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1,weight=2 --backend 127.0.0.1:$B2 \
    --backend 127.0.0.1:$B3
testcmd "weighted roundrobin 2:1:1 over 8 requests" 0 "b1=4 b2=2 b3=2 " dist 8
lbstop

lb --listen 127.0.0.1:$LB --algo source --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2 \
    --backend 127.0.0.1:$B3
ok "source: one client keeps one backend" sh -c "test \$(echo '$(dist 5)' | wc -w) = 1"
lbstop

# consistent: 24 client addresses (127.0.0.10..33), then one backend goes.
printf '127.0.0.1:%s\n127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 $B3 >"$TMP/backends"
lb --listen 127.0.0.1:$LB --algo consistent --backends "$TMP/backends" --health none
map() {
	for i in $(seq 10 33); do
		echo "$i $(get --interface 127.0.0.$i http://127.0.0.1:$LB/)"
	done
}
map >"$TMP/map1"
ok "consistent: clients spread over all 3 backends" \
    test "$(awk '{ print $2 }' "$TMP/map1" | sort -u | wc -l)" = 3
printf '127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 >"$TMP/backends.new"
mv "$TMP/backends.new" "$TMP/backends"
kill -HUP "$LBPID"; sleep 0.2
map >"$TMP/map2"
ok "consistent: after removing b3 nobody lands on it" sh -c "! grep -q b3 '$TMP/map2'"
join "$TMP/map1" "$TMP/map2" | awk '$2 != "b3" && $2 != $3 { bad++ } END { exit bad > 0 }'
ok "consistent: clients of b1 and b2 kept their backend" test $? = 0
lbstop

# An IPv6 backend: a second lb-proxy on [::1] in front of b1.
bg lb-proxy --listen "[::1]:$X" --backend 127.0.0.1:$B1 2>/dev/null
V6=$BGPID
lb --listen 127.0.0.1:$LB --backend "[::1]:$X"
i=0; until [ "$(get "http://127.0.0.1:$LB/")" = b1 ] || [ $i -gt 30 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "an IPv6 backend" 0 "b1=2 " dist 2
lbstop
kill $V6

# ---- leastconn --------------------------------------------------------------
lb --listen 127.0.0.1:$LB --algo leastconn --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2
bg perl "$TMP/h.pl" hold $LB 1 >"$TMP/hold"
HOLD=$BGPID
i=0; until [ -s "$TMP/hold" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
busy=$(stats | awk '/active=1 / { sub(/.*:/, "", $1); print $1 }')
case $busy in $B1) free=b2 ;; *) free=b1 ;; esac
testcmd "leastconn: 4 requests avoid the busy backend" 0 "$free=4 " dist 4
kill $HOLD
lbstop

# ---- failover and health ----------------------------------------------------
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2 \
    --backend 127.0.0.1:$B3 --health-interval 300ms
kill $H2; wait $H2 2>/dev/null
testcmd "a backend dies: 12 requests, no failure, none to it" 0 "b1=6 b3=6 " dist 12
ok "the dead backend is reported down" grep -q "backend 127.0.0.1:$B2: down" "$TMP/lb.log"
ok "stats show it down" sh -c "kill -USR1 $LBPID; sleep 0.2; grep -q 'backend=127.0.0.1:$B2 state=down' '$TMP/lb.log'"
httpd 2 $B2
i=0; until grep -q "backend 127.0.0.1:$B2: up" "$TMP/lb.log" || [ $i -gt 40 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "it is back after a health check" 0 "b1=2 b2=2 b3=2 " dist 6
lbstop

# Two of three dead from the start: every request still answered.
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$X --backend 127.0.0.1:$((X + 1)) \
    --backend 127.0.0.1:$B3 --health none
testcmd "two dead backends, health checks off: all answered" 0 "b3=5 " dist 5
lbstop

# A backend that accepts and resets: the request is replayed elsewhere.
bg perl "$TMP/h.pl" rst $X >"$TMP/rst"
RST=$BGPID
i=0; until [ -s "$TMP/rst" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$X --backend 127.0.0.1:$B1 --health none
testcmd "a backend resets unanswered: the request is replayed on another" 0 "b1=4 " dist 4
ok "and the resetting backend is marked down" grep -q "backend 127.0.0.1:$X: down: Connection reset by peer" "$TMP/lb.log"
lbstop
kill $RST

# A backend that never completes a connect: --connect-timeout, then the next.
bg perl "$TMP/h.pl" blackhole $X >"$TMP/bh"
BH=$BGPID
i=0; until [ -s "$TMP/bh" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$X --backend 127.0.0.1:$B1 --health none \
    --connect-timeout 300ms
testcmd "a backend that does not accept: after the connect timeout, the next" 0 "b1=3 " dist 3
ok "and it is marked down: timed out" grep -Eq "backend 127.0.0.1:$X: down: (Connection|Operation) timed out" "$TMP/lb.log"
lbstop
kill $BH

# A kill during a load of new connections: none fails after it.
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2 --backend 127.0.0.1:$B3
(for i in $(seq 60); do get "http://127.0.0.1:$LB/" || echo FAIL; done >"$TMP/load") &
loader=$!
sleep 0.3
kill $H1; wait $H1 2>/dev/null
wait $loader
ok "backend killed during a request loop: no failed request" sh -c "! grep -q FAIL '$TMP/load' && test \$(wc -l <'$TMP/load') = 60"
httpd 1 $B1
waitport $B1

# The same under wrk, a new connection a request.
if command -v wrk >/dev/null; then
	wrk -t1 -c4 -d2s -H 'Connection: close' "http://127.0.0.1:$LB/" >"$TMP/wrk" 2>&1 &
	w=$!
	sleep 0.7
	kill $H3; wait $H3 2>/dev/null
	wait $w
	ok "backend killed during a wrk run: no socket error, no bad reply" \
	    sh -c "grep -q 'requests in' '$TMP/wrk' && ! grep -Eq 'Socket errors|Non-2xx' '$TMP/wrk'"
	httpd 3 $B3
	waitport $B3
else
	skip "wrk is not installed"
fi
lbstop

# ---- reload ---------------------------------------------------------------------
waitport $B1
head -c 20000000 /dev/urandom >"$TMP/w1/big"
printf '127.0.0.1:%s\n' $B1 >"$TMP/backends"
lb --listen 127.0.0.1:$LB --backends "$TMP/backends" --health-interval 300ms
bg sh -c "curl -s --noproxy '*' --limit-rate 8M http://127.0.0.1:$LB/big | sha256sum >'$TMP/long'"
long=$BGPID
sleep 0.5
printf '127.0.0.1:%s\n127.0.0.1:%s weight=1\n' $B2 $B3 >"$TMP/backends.new"
mv "$TMP/backends.new" "$TMP/backends"
kill -HUP "$LBPID"; sleep 0.1
testcmd "after SIGHUP new connections go to the new set" 0 "b2=2 b3=2 " dist 4
ok "stats show the removed backend draining" sh -c "kill -USR1 $LBPID; sleep 0.2; grep -q 'backend=127.0.0.1:$B1 state=draining active=\\|backend=127.0.0.1:$B1 state=draining' '$TMP/lb.log'"
wait $long
testcmd "the transfer running across the reload arrives whole" 0 \
    "$(sha256sum <"$TMP/w1/big")" cat "$TMP/long"
printf '127.0.0.1:%s\n' $B3 >"$TMP/backends.new"
mv "$TMP/backends.new" "$TMP/backends"
i=0; until grep -q "reload (file changed): 1 backends" "$TMP/lb.log" || [ $i -gt 30 ]; do sleep 0.1; i=$((i + 1)); done
testcmd "a changed file is picked up without a signal" 0 "b3=3 " dist 3
echo "127.0.0.1:$B3 weight=x" >"$TMP/backends"
kill -HUP "$LBPID"; sleep 0.2
ok "a bad file on reload is reported with its line" grep -q "reload (SIGHUP): $TMP/backends: line 1: weight=x: weight must be 1 to 256; keeping 1 backends" "$TMP/lb.log"
testcmd "and the old set keeps serving" 0 "b3=2 " dist 2
lbstop

# ---- limits ----------------------------------------------------------------------
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --max-conns 1
bg perl "$TMP/h.pl" hold $LB 1 >"$TMP/hold"
HOLD=$BGPID
i=0; until [ -s "$TMP/hold" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
ok "max-conns 1: a second client waits" sh -c "! curl -s --noproxy '*' --max-time 1 http://127.0.0.1:$LB/"
kill $HOLD; wait $HOLD 2>/dev/null
testcmd "and is served when the first leaves" 0 "b1" get "http://127.0.0.1:$LB/"
lbstop

lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --idle-timeout 300ms
timeout 5 sh -c "sleep 4 | busybox nc 127.0.0.1 $LB"
testcmd "an idle connection is closed after --idle-timeout" 0 "0" echo $?
lbstop

# Few descriptors: 40 clients against a limit of 32, then all gone.
rm -f "$TMP/ready"; mkfifo "$TMP/ready"
(ulimit -n 32; exec lb-proxy --ready-fd 3 --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 \
    3>"$TMP/ready" 2>"$TMP/lb.log") &
LBPID=$!; pids="$pids $LBPID"
read -r _ <"$TMP/ready"
bg perl "$TMP/h.pl" hold $LB 40 >"$TMP/hold"
HOLD=$BGPID
i=0; until [ -s "$TMP/hold" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
ok "out of descriptors: accepting pauses" grep -q "accept: out of descriptors or memory; pausing" "$TMP/lb.log"
kill $HOLD; wait $HOLD 2>/dev/null
sleep 0.5
ok "and the proxy survives" kill -0 $LBPID
testcmd "and serves again" 0 "b1" get "http://127.0.0.1:$LB/"
lbstop

# ---- bytes ----------------------------------------------------------------------
bg busybox nc -ll -p $X -e sh -c 'wc -c' </dev/null >/dev/null 2>&1
NC=$BGPID
waitport $X
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$X --health none
testcmd "half-close: the client shuts its write side and reads the reply" 0 "12" \
    sh -c "perl '$TMP/h.pl' halfclose $LB 'hello world
' | tr -d ' '"
lbstop
kill $NC

head -c 100000000 /dev/urandom >"$TMP/w1/big"
want=$(sha256sum <"$TMP/w1/big")
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1
testcmd "100 MB through splice(), same sha256" 0 "$want" sh -c "curl -s --noproxy '*' http://127.0.0.1:$LB/big | sha256sum"
lbstop
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --no-splice
testcmd "100 MB through the buffer, same sha256" 0 "$want" sh -c "curl -s --noproxy '*' http://127.0.0.1:$LB/big | sha256sum"
lbstop
rm -f "$TMP/w1/big"

# ---- PROXY protocol ---------------------------------------------------------------
for v in v1 v2; do
	bg sh -c "exec busybox nc -l -p $X </dev/null >'$TMP/pp.$v'"
	sleep 0.2
	lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$X --health none --proxy-protocol $v
	printf 'hello\n' | busybox nc 127.0.0.1 $LB >/dev/null 2>&1 &
	i=0; until grep -q hello "$TMP/pp.$v" 2>/dev/null || [ $i -gt 30 ]; do sleep 0.1; i=$((i + 1)); done
	lbstop
done
ok "PROXY v1 header before the client's bytes" \
    grep -Eq "^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 [0-9]+ $LB.?\$" "$TMP/pp.v1"
testcmd "PROXY v2 signature, TCP over IPv4, the addresses" 0 \
    "0d0a0d0a000d0a515549540a2111000c7f0000017f000001" \
    sh -c "od -An -tx1 -N24 '$TMP/pp.v2' | tr -d ' \\n'"

# ---- stats socket, UDP, SIGTERM ------------------------------------------------------
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --stats "unix:$TMP/stats.sock"
get "http://127.0.0.1:$LB/" >/dev/null
ok "stats socket: per-backend state and totals" sh -c \
    "perl '$TMP/h.pl' unix '$TMP/stats.sock' | grep -q '^backend=127.0.0.1:$B1 state=up weight=1 active=0 total=1 failures=0 bytes_up=[1-9]'"
kill -TERM "$LBPID"; wait "$LBPID"
rc=$?
ok "SIGTERM: exit 0" test $rc = 0
ok "and the stats socket is removed" test ! -e "$TMP/stats.sock"

# ---- several workers -------------------------------------------------------
printf '127.0.0.1:%s\n127.0.0.1:%s\n127.0.0.1:%s\n' $B1 $B2 $B3 >"$TMP/backends"
lb --listen 127.0.0.1:$LB --backends "$TMP/backends" --workers 3
testcmd "3 workers: 3 processes under the first" 0 3 sh -c "ps -eo ppid= | grep -c '^ *$LBPID\$'"
testcmd "3 workers: 30 requests, all answered by the 3 backends" 0 "b1 b2 b3 " \
    sh -c "for i in \$(seq 30); do curl -s --noproxy '*' --max-time 5 http://127.0.0.1:$LB/ || echo FAIL; done | sort -u | tr '\\n' ' '"
testerr "a second lb-proxy with workers cannot share the port" 1 "Address (already )?in use" \
    lb-proxy --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --workers 2
printf '127.0.0.1:%s\n' $B3 >"$TMP/backends"
kill -HUP "$LBPID"; sleep 0.3
testcmd "SIGHUP reaches every worker: 12 requests, all to the new set" 0 "b3=12 " dist 12
n=$(stats | grep -c '^worker=[0-2] active=')
ok "SIGUSR1: each worker's statistics" test "$n" = 3
kids=$(ps -eo pid=,ppid= | awk -v p=$LBPID '$2 == p { printf "%s ", $1 }')
kill -TERM "$LBPID"; wait "$LBPID"
rc=$?
ok "workers: SIGTERM, exit 0" test $rc = 0
ok "and no worker is left" sh -c "for k in $kids; do ! kill -0 \$k 2>/dev/null || exit 1; done"
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --workers 2 --health none
kill -KILL "$(ps -eo pid=,ppid= | awk -v p=$LBPID '$2 == p { print $1; exit }')"
wait "$LBPID"
rc=$?
ok "a worker killed: the others are stopped, exit 1" test $rc = 1
ok "and it is logged" grep -q '^lb-proxy: worker [01]: killed by signal 9; stopping the others$' "$TMP/lb.log"
lb --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --workers 2 --health none
kids=$(ps -eo pid=,ppid= | awk -v p=$LBPID '$2 == p { printf "%s ", $1 }')
kill -KILL "$LBPID"; wait "$LBPID" 2>/dev/null; sleep 0.3
# (gone, or exited and waiting for init to reap them)
ok "the first process killed: its workers stop" sh -c \
    "for k in $kids; do ps -o stat= -p \$k | grep -qv '^Z' && exit 1; done; exit 0"

bg perl "$TMP/h.pl" udpecho $B1 u1 >"$TMP/u1"
bg perl "$TMP/h.pl" udpecho $B2 u2 >"$TMP/u2"
i=0; until [ -s "$TMP/u1" ] && [ -s "$TMP/u2" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
lb --udp --listen 127.0.0.1:$LB --backend 127.0.0.1:$B1 --backend 127.0.0.1:$B2 \
    --idle-timeout 1s
testcmd "UDP: one client's datagrams stay on one flow" 0 "u1:ping
u1:pong" hpl udpsend $LB ping pong
testcmd "UDP: the next client gets the next backend" 0 "u2:ping" hpl udpsend $LB ping
sleep 1.5
ok "UDP: idle flows expire" sh -c "kill -USR1 $LBPID; sleep 0.2; grep -q '^active=0 total=2 ' '$TMP/lb.log'"
lbstop

done_testing
