#!/bin/sh
# SPDX-License-Identifier: ISC
# net-bridge: bridges, leases, container namespaces, NAT and published ports.
# Everything runs inside a network and mount namespace of this test's own:
# the host's interfaces are never touched, and traffic goes only to
# addresses in namespaces made here.
if [ -z "${NB_INNER:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
	command -v unshare >/dev/null || { echo "1..0 # SKIP needs unshare"; exit 0; }
	NB_INNER=1 exec unshare -n -m --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
need_root
command -v busybox >/dev/null || skip_all "needs busybox"
command -v nft >/dev/null || skip_all "needs nft (nftables)"

# Named namespaces land on a tmpfs private to this test's mount namespace.
mkdir -p /run/netns && mount -t tmpfs -o mode=755 nb-test /run/netns || skip_all "cannot mount /run/netns"
ip link set lo up

SKIFF_RUN=$TMP/run
export SKIFF_RUN
BB=$(command -v busybox)
PIDS=""
at_exit 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; wait'

# ctr NAME ARGS... -- PROG...: a container in the background; waits until
# its address is known ($TMP/NAME.ip) and records its pid ($TMP/NAME.pid).
ctr() {
	_c=$1; shift
	rm -f "$TMP/$_c.ip"
	net-bridge --ip-file "$TMP/$_c.ip" "$@" 2>"$TMP/$_c.err" &
	_p=$!
	PIDS="$PIDS $_p"
	echo $_p >"$TMP/$_c.pid"
	_i=0
	while [ ! -s "$TMP/$_c.ip" ] && [ $_i -lt 400 ]; do
		kill -0 $_p 2>/dev/null || break
		sleep 0.05; _i=$((_i + 1))
	done
	[ -s "$TMP/$_c.ip" ]
}
pidof_ctr() { cat "$TMP/$1.pid"; }
# inside NAME CMD...: run CMD in container NAME's network namespace.
inside() { _p=$(pidof_ctr "$1"); shift; nsenter -t "$_p" -n "$@" >/dev/null 2>&1; }
# retry CMD...: CMD until it succeeds, for up to 20 s (the kernel tears
# namespaces down asynchronously, the watcher reacts to exits).
retry() {
	_i=0
	until "$@"; do
		_i=$((_i + 1)); [ $_i -ge 200 ] && return 1
		sleep 0.1
	done
}
links() { ls /sys/class/net 2>/dev/null | sort | tr '\n' ' '; }
ping1() { "$BB" ping -c 1 -W 2 "$1" >/dev/null 2>&1; }
noping() { ! "$BB" ping -c 1 -W 1 "$1" >/dev/null 2>&1; }

# ---- options and usage
testcmd "--version" 0 "net-bridge 0.1.0" net-bridge --version
ok "--help lists the options" sh -c 'net-bridge --help | grep -q -- "--publish"'
testerr "no program: usage, 125" 125 '^usage: net-bridge' net-bridge --ip auto
testerr "unknown option: 125" 125 'net-bridge: --bogus: unknown option' net-bridge --bogus -- true
testerr "create without a name: 2" 2 '^usage: ' net-bridge create
testerr "create: unknown option: 2" 2 'unknown option' net-bridge create x --bogus

# ---- create, ls, inspect
testcmd "create skiff0" 0 "skiff0" net-bridge create skiff0
ok "bridge skiff0 is up" sh -c 'ip -br link show skiff0 | grep -q UP'
ok "gateway 10.88.0.1/16 on the bridge" sh -c 'ip -4 -br addr show skiff0 | grep -q "10.88.0.1/16"'
testcmd "ip_forward on" 0 "1" cat /proc/sys/net/ipv4/ip_forward
testcmd "create is idempotent" 0 "skiff0" net-bridge create skiff0 --subnet 10.88.0.0/16
testerr "create with another subnet refused" 1 'network skiff0: exists with subnet 10.88.0.0/16' \
    net-bridge create skiff0 --subnet 10.77.0.0/16
testcmd "inspect" 0 "name=skiff0
subnet=10.88.0.0/16
gateway=10.88.0.1
mtu=0
internal=0
bridge=up" net-bridge inspect skiff0
testcmd "ls" 0 "skiff0 10.88.0.0/16 10.88.0.1 nat 0" net-bridge ls
testerr "inspect: no such network" 1 'network nope: no such network' net-bridge inspect nope

before=$(links)
testerr "bad CIDR" 1 '\-\-subnet 10.1.0.0/33: expected an IPv4 CIDR' net-bridge create bad1 --subnet 10.1.0.0/33
testerr "CIDR with host bits" 1 '\-\-subnet 10.1.0.1/24: host bits set' net-bridge create bad1 --subnet 10.1.0.1/24
testerr "overlapping subnet" 1 'network bad1: subnet overlaps network skiff0 \(10.88.0.0/16\)' \
    net-bridge create bad1 --subnet 10.88.128.0/24
testerr "gateway outside the subnet" 1 '\-\-gateway 10.2.0.1: not a host address of 10.1.0.0/24' \
    net-bridge create bad1 --subnet 10.1.0.0/24 --gateway 10.2.0.1
testerr "bad network name" 1 "network '1x': name must start with a letter" net-bridge create 1x
testerr "name of a link that is not a bridge" 1 'network lo: link lo exists and is not a bridge' \
    net-bridge create lo --subnet 10.3.0.0/24
testcmd "bad input created no link" 0 "$before" links
testcmd "bad input created no network" 0 "skiff0" sh -c 'net-bridge ls | cut -d" " -f1'

# ---- an "outside" namespace that has no route back to the containers:
# only masqueraded traffic can get an answer from it.
unshare -n sleep 300 &
OUT=$!
PIDS="$PIDS $OUT"
sleep 0.1
ip link add up0 type veth peer name up1 netns $OUT &&
ip addr add 203.0.113.1/24 dev up0 && ip link set up0 up &&
nsenter -t $OUT -n sh -c 'ip addr add 203.0.113.2/24 dev up1 && ip link set up1 up && ip link set lo up'
ok "outside namespace set up" ping1 203.0.113.2
# The test host's own address, published ports answer on it.
ip addr add 198.51.100.1/32 dev lo

# ---- containers on one bridge
mkdir -p "$TMP/www" && echo "hello from d" >"$TMP/www/index.html"
ok "container a" ctr a --ip 10.88.0.11 -- sleep 300
ok "container b" ctr b -- sleep 300
ok "container c" ctr c -- sleep 300
ok "container d: httpd, port 8080 published" ctr d --ip 10.88.0.20 --publish 8080:80 \
    -- "$BB" httpd -f -p 80 -h "$TMP/www"
B=$(cat "$TMP/b.ip") C=$(cat "$TMP/c.ip")
testcmd "round-robin after the requested address" 0 "10.88.0.2 10.88.0.3" echo "$B $C"
ok "a pings b" inside a "$BB" ping -c 1 -W 2 "$B"
ok "b pings c" inside b "$BB" ping -c 1 -W 2 "$C"
ok "c pings a" inside c "$BB" ping -c 1 -W 2 10.88.0.11
ok "c fetches from httpd in d" retry inside c timeout 5 "$BB" wget -q -O "$TMP/got" http://10.88.0.20/
testcmd "the page" 0 "hello from d" cat "$TMP/got"
ok "a container has lo up" sh -c "nsenter -t $(pidof_ctr a) -n ip -br link show lo | grep -q UNKNOWN"
ok "default route via the gateway" sh -c "nsenter -t $(pidof_ctr a) -n ip route | grep -q 'default via 10.88.0.1 dev eth0'"
ok "host end has hairpin on" sh -c "ip -d link show vb0a58000b | grep -q 'hairpin on'"
ok "SKIFF_IP and SKIFF_GATEWAY passed on" sh -c \
    'net-bridge -- sh -c "echo \$SKIFF_IP \$SKIFF_GATEWAY \$SKIFF_PREFIX \$SKIFF_NETWORK" | grep -Eq "^10\.88\.0\.[0-9]+ 10.88.0.1 16 skiff0$"'

# ---- NAT
ok "outbound NAT: a reaches the outside" inside a "$BB" ping -c 1 -W 2 203.0.113.2
ok "published port on the host address" sh -c \
    "timeout 5 '$BB' wget -q -O - http://198.51.100.1:8080/ | grep -q 'hello from d'"
ok "published port on 127.0.0.1" sh -c \
    "timeout 5 '$BB' wget -q -O - http://127.0.0.1:8080/ | grep -q 'hello from d'"
ok "published port by hairpin, from d itself" sh -c \
    "nsenter -t $(pidof_ctr d) -n timeout 5 '$BB' wget -q -O - http://198.51.100.1:8080/ | grep -q 'hello from d'"
ok "published port from another container" sh -c \
    "nsenter -t $(pidof_ctr c) -n timeout 5 '$BB' wget -q -O - http://10.88.0.1:8080/ | grep -q 'hello from d'"

# ---- without nft: lb-proxy publishes
testerr "neither nft nor lb-proxy" 125 '\-\-publish: neither nft \(nftables\) nor lb-proxy found' \
    env PATH=/nonexistent SKIFF_NFT=none "$TOP/bin/net-bridge" --publish 1234:80 -- /bin/true
lbp() { for p in /proc/[0-9]*; do tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q "^lb-proxy .*--backend 10.88.0.50:80" && echo "${p#/proc/}"; done; }
if command -v lb-proxy >/dev/null; then
	SKIFF_NFT=none
	export SKIFF_NFT
	ok "container p, port 8282 published by lb-proxy" ctr p --ip 10.88.0.50 --publish 8282:80 \
	    -- "$BB" httpd -f -p 80 -h "$TMP/www"
	unset SKIFF_NFT
	ok "an lb-proxy serves it" test -n "$(lbp)"
	ok "no nft rule for it" sh -c '! nft list map ip skiff tcp_any | grep -q 8282'
	ok "lb-proxy: on 127.0.0.1" retry sh -c \
	    "timeout 5 '$BB' wget -q -O - http://127.0.0.1:8282/ 2>/dev/null | grep -q 'hello from d'"
	ok "lb-proxy: on the host address" sh -c \
	    "timeout 5 '$BB' wget -q -O - http://198.51.100.1:8282/ | grep -q 'hello from d'"
	ok "lb-proxy: by hairpin" sh -c \
	    "nsenter -t $(pidof_ctr p) -n timeout 5 '$BB' wget -q -O - http://198.51.100.1:8282/ | grep -q 'hello from d'"
	testerr "lb-proxy: the port is claimed" 125 'host port 8282/tcp is already published' \
	    net-bridge --publish 8282:80 -- true
	"$BB" nc -l -p 8383 >/dev/null 2>&1 &
	NC=$!
	PIDS="$PIDS $NC"
	leases=$(net-bridge inspect skiff0 | grep -c '^lease=')
	testerr "lb-proxy that cannot listen: a clear error" 125 'lb-proxy did not start' \
	    env SKIFF_NFT=none net-bridge --publish 8383:80 -- true
	testcmd "and nothing left: lease" 0 "$leases" sh -c "net-bridge inspect skiff0 | grep -c '^lease='"
	ok "and nothing left: claim" test ! -e "$SKIFF_RUN/net/.ports/tcp-8383"
	kill $NC
	kill "$(pidof_ctr p)"
	ok "lb-proxy stops with the container" retry test -z "$(lbp)"
	ok "and the claim goes" retry test ! -e "$SKIFF_RUN/net/.ports/tcp-8282"
else
	skip "lb-proxy not built"
fi

# ---- bad input to the chain-loader: a clear error, nothing left behind
before=$(links)
leases=$(net-bridge inspect skiff0 | grep -c '^lease=')
testerr "duplicate address" 125 '\-\-ip 10.88.0.11: already leased on network skiff0' \
    net-bridge --ip 10.88.0.11 -- true
testerr "address outside the subnet" 125 '\-\-ip 10.9.0.1: outside network skiff0 \(10.88.0.0/16\)' \
    net-bridge --ip 10.9.0.1 -- true
testerr "the gateway's address" 125 '\-\-ip 10.88.0.1: the gateway of network skiff0' \
    net-bridge --ip 10.88.0.1 -- true
testerr "bad address" 125 '\-\-ip 10.88.0: not an IPv4 address' net-bridge --ip 10.88.0 -- true
testerr "port already published" 125 '\-\-publish 8080: host port 8080/tcp is already published \(pid [0-9]+\)' \
    net-bridge --publish 8080:80 -- true
testerr "port already published on all addresses" 125 'host port 8080/tcp is already published' \
    net-bridge --publish 127.0.0.1:8080:80 -- true
testerr "bad --publish" 125 '\-\-publish 80: expected \[HOSTIP:\]HOSTPORT:PORT' net-bridge --publish 80 -- true
testerr "bad port number" 125 '\-\-publish 70000:80: ports must be 1 to 65535' net-bridge --publish 70000:80 -- true
testerr "bad protocol" 125 '\-\-publish 81:80/sctp: protocol must be tcp or udp' net-bridge --publish 81:80/sctp -- true
testerr "bad MAC" 125 '\-\-mac 02:42: expected six hex bytes' net-bridge --mac 02:42 -- true
testerr "unknown network" 125 'network nope: no such network' net-bridge --network nope -- true
testerr "program not found: 127" 127 'exec /nonexistent/prog:' net-bridge -- /nonexistent/prog
testerr "program not executable: 126" 126 "exec $TMP/www/index.html:" net-bridge -- "$TMP/www/index.html"
testcmd "bad input left no lease" 0 "$leases" sh -c "net-bridge inspect skiff0 | grep -c '^lease='"
ok "bad input left no link" retry sh -c "[ \"\$(ls /sys/class/net | sort | tr '\n' ' ')\" = '$before' ]"
ok "a MAC of one's own" sh -c \
    'net-bridge --mac 02:42:0a:58:00:63 -- ip link show eth0 | grep -q "link/ether 02:42:0a:58:00:63"'

# ---- separate networks
testcmd "create a second network" 0 "other" net-bridge create other --subnet 10.99.0.0/24
ok "container e on the other network" ctr e --network other -- sleep 300
testcmd "its address" 0 "10.99.0.2" cat "$TMP/e.ip"
ok "e reaches its gateway" inside e "$BB" ping -c 1 -W 2 10.99.0.1
ok "e cannot reach a on skiff0" inside e sh -c "! '$BB' ping -c 1 -W 1 10.88.0.11 >/dev/null"
ok "a cannot reach e" inside a sh -c "! '$BB' ping -c 1 -W 1 10.99.0.2 >/dev/null"
testcmd "create an internal network" 0 "inner" net-bridge create inner --internal --subnet 10.98.0.0/24
ok "container f on the internal network" ctr f --network inner -- sleep 300
ok "f reaches its gateway" inside f "$BB" ping -c 1 -W 2 10.98.0.1
ok "f cannot reach the outside" inside f sh -c "! '$BB' ping -c 1 -W 1 203.0.113.2 >/dev/null"
ok "no NAT for the internal network" sh -c '! nft list set ip skiff nets | grep -q 10.98.0.0'
testcmd "next network gets the next free /16" 0 "third" net-bridge create third
testcmd "its subnet" 0 "subnet=10.89.0.0/16" sh -c 'net-bridge inspect third | grep ^subnet='

# ---- rm
testerr "rm refused while in use" 1 'network skiff0: in use by [0-9]+ containers \(' net-bridge rm skiff0
testcmd "rm an unused network" 0 "" net-bridge rm third
ok "its bridge is gone" sh -c '! ip link show third 2>/dev/null'
ok "its state is gone" test ! -e "$SKIFF_RUN/net/third"

# ---- a container's exit removes its veth, rules, port and lease
kill "$(pidof_ctr d)"
ok "d's veth is gone" retry sh -c '! ip link show vb0a580014 >/dev/null 2>&1'
ok "d's port rule is gone" retry sh -c '! nft list map ip skiff tcp_any | grep -q 8080'
ok "d's port claim is gone" retry test ! -e "$SKIFF_RUN/net/.ports/tcp-8080"
ok "d's lease is gone" retry test ! -e "$SKIFF_RUN/net/skiff0/10.88.0.20"
ok "port 8080 can be published again" net-bridge --publish 8080:80 -- true
if command -v python3 >/dev/null; then
	printf '%s\n' 'import socket, sys' \
	    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)' \
	    'if sys.argv[1] == "listen":' \
	    '    s.bind(("0.0.0.0", 53))' \
	    '    open(sys.argv[2], "wb").write(s.recvfrom(100)[0])' \
	    'else:' \
	    '    s.sendto(b"over-udp", ("127.0.0.1", 5353))' >"$TMP/udp.py"
	ok "a UDP port, published on one address" ctr u --ip 10.88.0.30 --publish 127.0.0.1:5353:53/udp \
	    -- python3 "$TMP/udp.py" listen "$TMP/udp.out"
	ok "its rule" sh -c 'nft list map ip skiff udp_ip | grep -q "127.0.0.1 . 5353 : 10.88.0.30 . 53"'
	ok "a datagram to 127.0.0.1:5353 reaches it" retry sh -c \
	    "python3 '$TMP/udp.py' send; grep -q over-udp '$TMP/udp.out' 2>/dev/null"
	ok "its rule goes when it exits" retry sh -c '! nft list map ip skiff udp_ip | grep -q 5353'
else
	skip "no python3 for a UDP listener"
fi

# ---- concurrent allocations
testcmd "a /29 network" 0 "par" net-bridge create par --subnet 10.75.0.0/29
PAR=""
for i in 1 2 3 4 5; do
	net-bridge --network par --ip-file "$TMP/par$i.ip" -- sleep 300 2>"$TMP/par$i.err" &
	PAR="$PAR $!"
done
PIDS="$PIDS $PAR"
ok "five chains at once all get an address" retry sh -c "cat '$TMP'/par[1-5].ip 2>/dev/null | wc -l | grep -qx 5"
testcmd "five different ones" 0 "10.75.0.2 10.75.0.3 10.75.0.4 10.75.0.5 10.75.0.6" \
    sh -c "cat '$TMP'/par[1-5].ip | sort -t. -k4 -n | tr '\n' ' ' | sed 's/ \$//'"
kill -9 $PAR
wait $PAR 2>/dev/null

# ---- the watcher killed too: gc removes what it would have
ok "container h, port 9090 published" ctr h --ip 10.88.0.40 --publish 9090:80 -- sleep 300
W=$(for p in /proc/[0-9]*; do
	[ "$(cat "$p/comm" 2>/dev/null)" = net-bridge-wait ] &&
	    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -q "$TMP/h.ip" && echo "${p#/proc/}"
done)
ok "h has a watcher" test -n "$W"
kill -9 $W "$(pidof_ctr h)"
wait "$(pidof_ctr h)" 2>/dev/null
ok "with both gone the rule stays" sh -c 'nft list map ip skiff tcp_any | grep -q 9090'
ok "gc removes the stale port (and leases)" sh -c 'net-bridge gc | grep -Eq "^leases=[1-9][0-9]* ports=1$"'
ok "h's lease is gone" test ! -e "$SKIFF_RUN/net/skiff0/10.88.0.40"
ok "and the rule" sh -c '! nft list map ip skiff tcp_any | grep -q 9090'

# ---- MTU
testcmd "a network with an MTU" 0 "small" net-bridge create small --subnet 10.76.0.0/24 --mtu 1400
ok "its containers get it" sh -c 'net-bridge --network small -- ip -o link show eth0 | grep -q "mtu 1400"'
ok "and the bridge" sh -c 'ip -o link show small | grep -q "mtu 1400"'
ok "rm it" net-bridge rm small

# ---- leases: kill -9 leaves one behind, the next allocation reclaims it
testcmd "a /30 network" 0 "tiny" net-bridge create tiny --subnet 10.77.0.0/30
ok "g takes the only address" ctr g --network tiny -- sleep 300
ok "the lease names g and its start time" sh -c "grep -qx \"pid=$(pidof_ctr g) start=$(cut -d' ' -f22 /proc/$(pidof_ctr g)/stat)\" '$SKIFF_RUN/net/tiny/10.77.0.2'"
before=$(links)
testerr "a /30 runs out cleanly" 125 'network tiny: no free address in 10.77.0.0/30' \
    net-bridge --network tiny -- true
ok "running out created no link" retry sh -c "[ \"\$(ls /sys/class/net | sort | tr '\n' ' ')\" = '$before' ]"
kill -9 "$(pidof_ctr g)"
wait "$(pidof_ctr g)" 2>/dev/null
ok "kill -9 leaves a stale lease" sh -c 'net-bridge inspect tiny | grep -q "^stale=10.77.0.2 pid="'
testcmd "the next allocation reclaims it" 0 "10.77.0.2" net-bridge --network tiny -- sh -c 'echo $SKIFF_IP'
ok "gc drops stale leases" sh -c 'net-bridge gc | grep -q "^leases="'
sh -c "net-bridge --network tiny --ip-file '$TMP/z.ip' -- true & exec sleep 300" &
Z=$!
PIDS="$PIDS $Z"
ok "a container whose parent never reaps it" retry test -s "$TMP/z.ip"
testcmd "the zombie's lease is reclaimed" 0 "10.77.0.2" net-bridge --network tiny -- sh -c 'echo $SKIFF_IP'
kill -9 $Z
# A live pid that started at another time than the lease says: reused.
printf 'pid=%d start=1\n' $$ >"$SKIFF_RUN/net/tiny/10.77.0.2"
testcmd "a lease whose pid was reused is reclaimed" 0 "10.77.0.2" \
    net-bridge --network tiny -- sh -c 'echo $SKIFF_IP'

ip link del tiny
testcmd "a bridge that went missing is made again" 0 "10.77.0.2" \
    net-bridge --network tiny -- sh -c 'echo $SKIFF_IP'
ok "with its gateway address" sh -c 'ip -4 -br addr show tiny | grep -q 10.77.0.1/30'

# ---- named namespaces (ip netns convention)
testcmd "--netns makes /run/netns/n1" 0 "10.77.0.2" net-bridge --network tiny --netns n1
ok "ip netns sees it, with eth0's address" sh -c 'ip netns exec n1 ip -4 -br addr show eth0 | grep -q 10.77.0.2/30'
ok "its lease is held by the namespace" sh -c 'net-bridge inspect tiny | grep -q "^lease=10.77.0.2 netns=/run/netns/n1"'
testerr "--netns twice" 125 '\-\-netns n1: /run/netns/n1 exists' net-bridge --network tiny --netns n1
ip netns del n1
ok "deleting the namespace frees the lease" sh -c 'net-bridge inspect tiny | grep -q "^stale=10.77.0.2"'

# ---- the chain: net-bridge -- ns-run --net inherit
if [ -x "$TOP/bin/ns-run" ]; then
	mkrootfs "$TMP/root" >/dev/null 2>&1
	testcmd "chain into ns-run --net inherit" 0 "10.88.0.99/16" net-bridge --ip 10.88.0.99 -- \
	    ns-run --rootfs "$TMP/root" --net inherit -- /bin/sh -c \
	    "ip -4 -o addr show eth0 | awk '{print \$4}'"
else
	skip "ns-run not built"
fi

# ---- everything down: rm works
for n in a b c e f; do kill -9 "$(pidof_ctr $n)" 2>/dev/null; done
kill -9 $OUT 2>/dev/null
wait 2>/dev/null
testcmd "rm skiff0 once its containers are gone" 0 "" net-bridge rm skiff0
testcmd "rm other, inner, tiny, par" 0 "" sh -c 'net-bridge rm other && net-bridge rm inner && net-bridge rm tiny && net-bridge rm par'
testcmd "no networks left" 0 "" net-bridge ls
ok "no skiff elements left" sh -c '! nft list set ip skiff bridges | grep -q skiff0'
done_testing
