#!/bin/sh
# SPDX-License-Identifier: ISC
# svc-dns.t: records, errors, EDNS, truncation and TCP, malformed packets,
# reloads (also under load), forwarding with a cache, threads, and a
# container resolving short names with search domains. Every server listens
# on loopback (127.0.0.x, high ports) or inside a network namespace of its
# own; no query ever leaves the machine.
. "$(dirname "$0")/lib.sh"
command -v dig >/dev/null || skip_all "dig (dnsutils) is not installed"

P=$((20000 + $$ % 12000))	# our ports, P .. P+9, below the ephemeral range
D="dig +time=2 +tries=1 @127.0.0.1 -p $P"
EMPTY=$TMP/empty.conf
: >"$EMPTY"

# dnsq [-t] HOST PORT HEX...: sends raw messages (UDP, or pipelined on one
# TCP connection with -t) and prints each reply in hex, one a line.
cat >"$TMP/dnsq.c" <<'EOF'
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int tcp = argc > 1 && strcmp(argv[1], "-t") == 0, i, fd;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned char b[70000], r[70000];
	size_t have = 0;
	int want, got = 0;
	if (argc > 3 && strcmp(argv[1], "-s") == 0) {
		/* -s HOST PORT: an upstream of old, without EDNS0: FORMERR
		 * to a query with an OPT, else 192.0.2.7 for any name. */
		socklen_t sl;
		size_t q;
		ssize_t n;
		inet_pton(AF_INET, argv[2], &sa.sin_addr);
		sa.sin_port = htons(atoi(argv[3]));
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(fd, (void *)&sa, sizeof(sa)) < 0) { perror("bind"); return 1; }
		for (;;) {
			struct sockaddr_in from;
			static const unsigned char a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7 };
			sl = sizeof(from);
			n = recvfrom(fd, r, sizeof(r), 0, (void *)&from, &sl);
			if (n < 17) continue;
			for (q = 12; q < (size_t)n && r[q]; q += r[q] + 1) ;
			q += 5;
			if (q > (size_t)n) continue;
			r[2] |= 0x80;
			if (r[11]) { r[3] = 1; r[11] = 0; }
			else { r[3] = 0; r[7] = 1; memcpy(r + q, a, sizeof(a)); q += sizeof(a); }
			sendto(fd, r, q, 0, (void *)&from, sl);
		}
	}
	argv += tcp; argc -= tcp;
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	sa.sin_port = htons(atoi(argv[2]));
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (connect(fd, (void *)&sa, sizeof(sa)) < 0) { perror("connect"); return 1; }
	for (i = 3; i < argc; i++) {
		size_t n = strlen(argv[i]) / 2, k;
		for (k = 0; k < n; k++) sscanf(argv[i] + 2 * k, "%2hhx", &b[2 + k]);
		b[0] = n >> 8; b[1] = n;
		if (tcp) write(fd, b, n + 2); else send(fd, b + 2, n, 0);
	}
	want = argc - 3;	/* stop once every message has its answer */
	while (got < want) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, 1000) <= 0) break;
		n = recv(fd, r + have, sizeof(r) - have, 0);
		if (n <= 0) break;
		if (!tcp) { for (i = 0; i < n; i++) printf("%02x", r[i]); printf("\n"); got++; continue; }
		have += n;
		while (have >= 2 && have >= 2u + (r[0] << 8 | r[1])) {
			size_t m = r[0] << 8 | r[1];
			for (size_t k = 0; k < m; k++) printf("%02x", r[2 + k]);
			printf("\n");
			memmove(r, r + 2 + m, have - 2 - m); have -= 2 + m; got++;
		}
	}
	return 0;
}
EOF
${CC_HOST:-cc} -o "$TMP/dnsq" "$TMP/dnsq.c" 2>"$TMP/cc.err" || skip_all "cannot build the test client: $(head -1 "$TMP/cc.err")"
dnsq() { "$TMP/dnsq" "$@"; }
# qhex ID NAME TYPE: a query in hex, RD set.
qhex() (
	printf '%s01000001000000000000' "$1"
	IFS=.
	for l in $2; do
		printf '%02x' ${#l}
		printf '%s' "$l" | od -An -tx1 | tr -d ' \n'
	done
	printf '00%04x0001' "$3"
)

# The Kubernetes schema, as the wrapper writes it.
mkdir -p "$TMP/zones"
cat >"$TMP/zones/k8s.zone" <<'EOF'
; services in namespace default
$TTL 5
web.default.svc                 A     10.96.0.10
web.default.svc                 AAAA  fd00:96::10
_http._tcp.web.default.svc      SRV   0 100 80 web.default.svc
db.default.svc                  A     10.244.0.5   ; headless: every endpoint
                                A     10.244.0.6
db.default.svc.cluster.local.   A     10.244.0.6   ; a repeat: dropped
db-0.db.default.svc             A     10.244.0.5
db-1.db.default.svc             A     10.244.0.6
_pg._tcp.db.default.svc         SRV   0 50 5432 db-0.db.default.svc
                                SRV   0 50 5432 db-1.db.default.svc
alias.default.svc               CNAME alias2.default.svc
alias2.default.svc              CNAME web.default.svc
dangling.default.svc            CNAME gone.default.svc
loop1.default.svc               CNAME loop2.default.svc
loop2.default.svc               CNAME loop1.default.svc
ext.default.svc      30  IN     CNAME outside.example.
txt.default.svc                 TXT   "hello world" "semi;colon" ( "and a \"quote\"" )
10-244-0-5.default.pod          A     10.244.0.5
$ORIGIN in-addr.arpa.
10.0.96.10                      PTR   web.default.svc.cluster.local.
5.0.244.10                      PTR   10-244-0-5.default.pod.cluster.local.
EOF
i=1
while [ $i -le 120 ]; do
	echo "big.default.svc.cluster.local. A 10.1.$((i / 250)).$((i % 250))"
	i=$((i + 1))
done >"$TMP/zones/big.zone"

# start NAME ARGS...: a server in the background, ready when this returns;
# its pid in $NAME_pid (killed at exit), its stderr in $TMP/NAME.log.
start() {
	_name=$1; shift
	rm -f "$TMP/$_name.ready"
	mkfifo "$TMP/$_name.ready"
	svc-dns --ready-fd 3 "$@" 3>"$TMP/$_name.ready" 2>"$TMP/$_name.log" &
	eval "${_name}_pid=$!"
	at_exit "kill $! 2>/dev/null; wait $! 2>/dev/null"
	if [ "$(timeout 10 head -n 1 "$TMP/$_name.ready")" != "" ]; then
		echo "# $_name did not get ready: $(cat "$TMP/$_name.log")"
	fi
}

# wait_log NAME PATTERN: until the server has logged a line matching it.
wait_log() {
	_t=0
	while ! grep -Eq -- "$2" "$TMP/$1.log"; do
		[ $_t -ge 100 ] && return 1
		sleep 0.1; _t=$((_t + 1))
	done
}

# wait_last NAME PATTERN: until the server's last log line matches.
wait_last() {
	_t=0
	while ! tail -n 1 "$TMP/$1.log" | grep -Eq -- "$2"; do
		[ $_t -ge 100 ] && return 1
		sleep 0.1; _t=$((_t + 1))
	done
}
# loaded NAME: how many records the server last said it loaded.
loaded() { sed -n 's/.*loaded \([0-9]*\) records.*/\1/p' "$TMP/$1.log" | tail -n 1; }

# The answer section, one record a line ("name ttl class type rdata").
ans() { $D +noall +answer "$@" | tr -s '\t ' ' '; }
status() { $D "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
flags() { $D "$@" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }

# ---- usage and startup errors ----------------------------------------
testcmd "--version" 0 "svc-dns 0.1.0" svc-dns --version
ok "--help lists the options" sh -c 'svc-dns --help | grep -q -- "--zone FILE|DIR"'
testerr "no --zone is a usage error" 2 '^svc-dns: no --zone given$' svc-dns --listen 127.0.0.1:$P
testerr "a bad --listen is a usage error" 2 '^svc-dns: --listen 127.0.0.1:99999: expected ADDR\[:PORT\]$' \
    svc-dns --listen 127.0.0.1:99999 --zone "$TMP/zones"
testerr "--threads 0 is a usage error" 2 '^svc-dns: --threads 0: expected 1 to 64$' \
    svc-dns --threads 0 --zone "$TMP/zones"
testerr "an unknown option is a usage error" 2 '^svc-dns: --bogus: unknown option$' svc-dns --bogus
testerr "an operand is a usage error" 2 '^usage: svc-dns ' svc-dns --zone "$TMP/zones" extra
testerr "a missing zone file fails" 1 "^svc-dns: $TMP/nope.zone: No such file or directory\$" \
    svc-dns --listen 127.0.0.1:$P --resolv-conf "$EMPTY" --zone "$TMP/nope.zone"
printf 'a A 10.0.0.1\n\nb A 10.0.0.300\n' >"$TMP/bad.zone"
testerr "a bad zone fails with file:line: why" 1 "^svc-dns: $TMP/bad.zone:3: '10.0.0.300': bad IPv4 address\$" \
    svc-dns --listen 127.0.0.1:$P --resolv-conf "$EMPTY" --zone "$TMP/bad.zone"
printf 'a CNAME b\na A 10.0.0.1\n' >"$TMP/bad2.zone"
testerr "a CNAME with other data fails" 1 "^svc-dns: $TMP/bad2.zone:2: a.cluster.local.: a CNAME cannot have other records\$" \
    svc-dns --listen 127.0.0.1:$P --resolv-conf "$EMPTY" --zone "$TMP/bad2.zone"
printf 'x MX 10 y\n' >"$TMP/bad3.zone"
testerr "an unsupported type fails" 1 "^svc-dns: $TMP/bad3.zone:1: 'MX': unsupported record type\$" \
    svc-dns --listen 127.0.0.1:$P --resolv-conf "$EMPTY" --zone "$TMP/bad3.zone"

# ---- the records -----------------------------------------------------
start a --listen 127.0.0.1:$P --zone "$TMP/zones" --resolv-conf "$EMPTY"
ok "a second server on the same port fails" sh -c \
    "svc-dns --listen 127.0.0.1:$P --zone '$TMP/zones' --resolv-conf '$EMPTY' 2>&1 |
     grep -q '^svc-dns: listen 127.0.0.1:$P/udp: Address .*in use'"

testcmd "A of a service" 0 "web.default.svc.cluster.local. 5 IN A 10.96.0.10" \
    ans web.default.svc.cluster.local A
testcmd "AAAA, the question's case kept" 0 "WEB.Default.SVC.cluster.local. 5 IN AAAA fd00:96::10" \
    ans WEB.Default.SVC.cluster.local AAAA
testcmd "a record given twice is answered once" 0 2 sh -c "$D +short db.default.svc.cluster.local | wc -l"
testcmd "a headless service answers every endpoint" 0 \
"db.default.svc.cluster.local. 5 IN A 10.244.0.5
db.default.svc.cluster.local. 5 IN A 10.244.0.6" ans db.default.svc.cluster.local A
testcmd "SRV" 0 "_http._tcp.web.default.svc.cluster.local. 5 IN SRV 0 100 80 web.default.svc.cluster.local." \
    ans _http._tcp.web.default.svc.cluster.local SRV
testcmd "SRV targets' addresses come as additional records" 0 \
"db-0.db.default.svc.cluster.local. 5 IN A 10.244.0.5
db-1.db.default.svc.cluster.local. 5 IN A 10.244.0.6" \
    sh -c "$D +noall +additional _pg._tcp.db.default.svc.cluster.local SRV | grep -v OPT | tr -s '\t ' ' '"
testcmd "PTR of a ClusterIP" 0 "10.0.96.10.in-addr.arpa. 5 IN PTR web.default.svc.cluster.local." ans -x 10.96.0.10
testcmd "PTR of an unknown address is not ours: REFUSED without upstream" 0 REFUSED status -x 10.96.0.99
testcmd "PTR of a pod" 0 "5.0.244.10.in-addr.arpa. 5 IN PTR 10-244-0-5.default.pod.cluster.local." ans -x 10.244.0.5
testcmd "TXT strings, quoted, escaped and in parentheses" 0 \
    'txt.default.svc.cluster.local. 5 IN TXT "hello world" "semi;colon" "and a \"quote\""' \
    ans txt.default.svc.cluster.local TXT
testcmd "a CNAME chain is followed within the zone" 0 \
"alias.default.svc.cluster.local. 5 IN CNAME alias2.default.svc.cluster.local.
alias2.default.svc.cluster.local. 5 IN CNAME web.default.svc.cluster.local.
web.default.svc.cluster.local. 5 IN A 10.96.0.10" ans alias.default.svc.cluster.local A
testcmd "a CNAME out of the zone is given as is" 0 "ext.default.svc.cluster.local. 30 IN CNAME outside.example." \
    ans ext.default.svc.cluster.local A
testcmd "a CNAME to a missing name in the zone is NXDOMAIN" 0 NXDOMAIN status dangling.default.svc.cluster.local A
testcmd "a CNAME loop is SERVFAIL" 0 SERVFAIL status loop1.default.svc.cluster.local A
testcmd "a missing name is NXDOMAIN" 0 NXDOMAIN status nosuch.default.svc.cluster.local A
testcmd "a name with other types is NODATA (NOERROR)" 0 NOERROR status web.default.svc.cluster.local MX
testcmd "NODATA has no answer" 0 "" ans web.default.svc.cluster.local MX
testcmd "an empty non-terminal is NODATA, not NXDOMAIN" 0 NOERROR status default.svc.cluster.local A
testcmd "a negative answer carries the SOA" 0 "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 7200 1800 86400 5" \
    sh -c "$D +noall +authority nosuch.default.svc.cluster.local | tr -s '\t ' ' ' | cut -d' ' -f1-6,8-"
testcmd "answers are authoritative" 0 "qr aa rd" flags web.default.svc.cluster.local
testcmd "ANY gets one set (RFC 8482)" 0 1 sh -c "$D +noall +answer web.default.svc.cluster.local ANY | wc -l"
testcmd "a foreign name without upstream is REFUSED" 0 REFUSED status example.com A
testcmd "class CH is REFUSED" 0 REFUSED status version.bind CH TXT
testcmd "the SOA at the apex" 0 "cluster.local. 5 IN SOA" sh -c "$D +noall +answer cluster.local SOA | tr -s '\t ' ' ' | cut -d' ' -f1-4"

# ---- EDNS, truncation, TCP ---------------------------------------------
testcmd "EDNS0: our OPT says 1232" 0 "; EDNS: version: 0, flags:; udp: 1232" \
    sh -c "$D web.default.svc.cluster.local | grep '^; EDNS'"
testcmd "no OPT back without one asked" 0 0 sh -c "$D +noedns web.default.svc.cluster.local | grep -c 'EDNS:' || true"
testcmd "EDNS version 1 is BADVERS" 0 BADVERS sh -c "$D +edns=1 +noednsneg web.default.svc.cluster.local | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'"
testcmd "the DO bit is echoed" 0 "; EDNS: version: 0, flags: do; udp: 1232" \
    sh -c "$D +dnssec web.default.svc.cluster.local | grep '^; EDNS'"
testcmd "too big for 512 bytes: TC and nothing else" 0 "qr aa tc rd;0" \
    sh -c "$D +noedns +ignore big.default.svc.cluster.local | sed -n 's/^;; flags: \([a-z ]*\); .*ANSWER: \([0-9]*\),.*/\1;\2/p'"
testcmd "too big for 1232 bytes: TC" 0 "qr aa tc rd" flags +ignore big.default.svc.cluster.local
testcmd "dig retries over TCP and gets everything" 0 120 sh -c "$D big.default.svc.cluster.local | grep -c '^big'"
testcmd "TCP" 0 "web.default.svc.cluster.local. 5 IN A 10.96.0.10" ans +tcp web.default.svc.cluster.local
# Two queries pipelined on one connection: ids 0x1234 and 0x4321.
q1=$(qhex 1234 web.default.svc.cluster.local 1)
q2=$(qhex 4321 db.default.svc.cluster.local 1)
testcmd "several queries on one TCP connection" 0 "1234 8500
4321 8500" sh -c "'$TMP/dnsq' -t 127.0.0.1 $P $q1 $q2 | cut -c1-8 | sed 's/\\(....\\)/\\1 /'"

# ---- malformed packets: FORMERR or silence, never a crash ---------------
H1=abcd01000001000000000000	# a header: RD, one question
long=$(i=0; while [ $i -lt 5 ]; do printf 3f; printf '61%.0s' $(seq 63); i=$((i + 1)); done)
opt=00002910000000000000
M_TWO=abcd01000002000000000000037777770000010001037777770000010001
M_NONE=abcd01000000000000000000
M_LOOP=${H1}c00c00010001
M_FWD=${H1}c0100001000100
M_PAST=${H1}3f6162
M_LONG=${H1}${long}0000010001
M_OPT2=abcd01000001000000000002000001000100${opt}${opt}
M_STATUS=abcd100000010000000000000000010001
testcmd "two questions: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_TWO | cut -c1-8"
testcmd "no question: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_NONE | cut -c1-8"
testcmd "a compression loop: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_LOOP | cut -c1-8"
testcmd "a pointer forward: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_FWD | cut -c1-8"
testcmd "a label past the end: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_PAST | cut -c1-8"
testcmd "a name over 255 bytes: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_LONG | cut -c1-8"
testcmd "two OPT records: FORMERR" 0 "abcd8101" sh -c "$TMP/dnsq 127.0.0.1 $P $M_OPT2 | cut -c1-8"
testcmd "opcode STATUS: NOTIMP" 0 "abcd9004" sh -c "$TMP/dnsq 127.0.0.1 $P $M_STATUS | cut -c1-8"
testcmd "a response is not answered" 0 "" dnsq 127.0.0.1 $P abcd810000010000000000000000010001
testcmd "a runt is not answered" 0 "" dnsq 127.0.0.1 $P abcd01
testcmd "still serving after all that" 0 "web.default.svc.cluster.local. 5 IN A 10.96.0.10" ans web.default.svc.cluster.local

# ---- reloads -----------------------------------------------------------
n0=$(loaded a)
echo 'new.default.svc A 10.96.0.99' >"$TMP/zones/new.zone.tmp"
mv "$TMP/zones/new.zone.tmp" "$TMP/zones/new.zone"
wait_last a "loaded $((n0 + 1)) records"
testcmd "a new file in the directory is served (inotify)" 0 "new.default.svc.cluster.local. 5 IN A 10.96.0.99" \
    ans new.default.svc.cluster.local
echo 'new.default.svc A 10.96.0.' >"$TMP/zones/new.zone"
wait_log a "new.zone:1: '10.96.0.': bad IPv4 address \\(keeping"
testcmd "a bad edit is logged as file:line: why" 0 1 grep -c "^svc-dns: $TMP/zones/new.zone:1: '10.96.0.': bad IPv4 address (keeping the records loaded before)\$" "$TMP/a.log"
testcmd "and the old records stay" 0 "new.default.svc.cluster.local. 5 IN A 10.96.0.99" \
    ans new.default.svc.cluster.local
rm "$TMP/zones/new.zone"
wait_last a "loaded $n0 records"
testcmd "a removed file's records go" 0 NXDOMAIN status new.default.svc.cluster.local
# A ConfigMap volume: zone -> ..data/zone, ..data -> ..v1, updated by
# renaming a new ..data into place.
mkdir -p "$TMP/cm/..v1" "$TMP/cm/..v2"
echo 'cm.default.svc A 10.96.0.1' >"$TMP/cm/..v1/zone"
echo 'cm.default.svc A 10.96.0.2' >"$TMP/cm/..v2/zone"
ln -s ..v1 "$TMP/cm/..data"
ln -s ..data/zone "$TMP/cm/zone"
start cm --listen 127.0.0.1:$((P + 8)) --zone "$TMP/cm" --resolv-conf "$EMPTY"
ln -s ..v2 "$TMP/cm/..data_tmp"
mv -T "$TMP/cm/..data_tmp" "$TMP/cm/..data"
n=0
while [ "$(dig +time=2 +tries=1 @127.0.0.1 -p $((P + 8)) +short cm.default.svc.cluster.local)" != 10.96.0.2 ] && [ $n -lt 50 ]; do
	sleep 0.1; n=$((n + 1))
done
testcmd "a ConfigMap volume's update is seen" 0 2 sh -c "grep -c loaded '$TMP/cm.log'"
testcmd "and served" 0 10.96.0.2 dig +time=2 +tries=1 @127.0.0.1 -p $((P + 8)) +short cm.default.svc.cluster.local
kill "$cm_pid"

# Through a symlink to another directory, so that inotify does not see
# the edits and only SIGHUP can reload.
mkdir "$TMP/real"
cp "$TMP/zones/k8s.zone" "$TMP/real/single.zone"
ln -s real/single.zone "$TMP/single.zone"
start b --listen 127.0.0.1:$((P + 1)) --zone "$TMP/single.zone" --resolv-conf "$EMPTY"
n0=$(loaded b)
echo 'hup.default.svc.cluster.local. A 10.96.0.77' >>"$TMP/single.zone"
kill -HUP "$b_pid"
wait_last b "loaded $((n0 + 1)) records"
testcmd "SIGHUP reloads" 0 "hup.default.svc.cluster.local. 5 IN A 10.96.0.77" \
    sh -c "dig +time=2 +tries=1 @127.0.0.1 -p $((P + 1)) +noall +answer hup.default.svc.cluster.local | tr -s '\t ' ' '"
if command -v dnsperf >/dev/null; then
	printf 'web.default.svc.cluster.local A\ndb.default.svc.cluster.local A\n_http._tcp.web.default.svc.cluster.local SRV\n' >"$TMP/q.txt"
	dnsperf -s 127.0.0.1 -p $((P + 1)) -d "$TMP/q.txt" -l 3 -Q 3000 -c 4 >"$TMP/perf.out" 2>&1 &
	perf=$!
	i=0
	while [ $i -lt 20 ]; do
		kill -HUP "$b_pid"
		echo "r$i.default.svc.cluster.local. A 10.96.1.$i" >>"$TMP/single.zone"
		sleep 0.1
		i=$((i + 1))
	done
	wait $perf
	testcmd "40 reloads under load: no query lost" 0 "Queries lost: 0 (0.00%)" \
	    sh -c "tr -s ' ' <'$TMP/perf.out' | grep -o 'Queries lost: .*'"
	testcmd "and every answer NOERROR" 0 "Response codes: NOERROR" \
	    sh -c "tr -s ' ' <'$TMP/perf.out' | grep -o 'Response codes: [A-Z]*'"
else
	skip "dnsperf is not installed"; skip "dnsperf is not installed"
fi
kill "$b_pid"; wait "$b_pid" 2>/dev/null
testcmd "SIGTERM ends the server with 0" 0 0 echo $?

# ---- forwarding to a second svc-dns on loopback, with a cache ------------
cat >"$TMP/up.zone" <<'EOF'
$TTL 300
www A 192.0.2.1
cname CNAME www
many TXT "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
EOF
i=0
while [ $i -lt 25 ]; do
	echo "many TXT \"$i bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"" >>"$TMP/up.zone"
	i=$((i + 1))
done
start up --listen 127.0.0.2:$((P + 2)) --domain example.test --zone "$TMP/up.zone" --resolv-conf "$EMPTY"
start fw --listen 127.0.0.1:$((P + 3)) --zone "$TMP/zones" --upstream 127.0.0.2:$((P + 2))
F="dig +time=3 +tries=1 @127.0.0.1 -p $((P + 3))"
testcmd "a foreign name is forwarded" 0 "www.example.test. 300 IN A 192.0.2.1" \
    sh -c "$F +noall +answer www.example.test | tr -s '\t ' ' '"
testcmd "NXDOMAIN comes back from upstream" 0 NXDOMAIN sh -c "$F nx.example.test | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'"
testcmd "own names are still answered" 0 "10.96.0.10" sh -c "$F +short web.default.svc.cluster.local"
testcmd "recursion is available" 0 "qr rd ra" sh -c "$F www.example.test | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' | sed 's/aa //'"
testcmd "a big forwarded answer over TCP after TC" 0 26 sh -c "$F many.example.test TXT | grep -c '^many'"
testcmd "the question's case is kept" 0 "WwW.Example.TEST." sh -c "$F +noall +answer WwW.Example.TEST | cut -f1"
testcmd "a forwarded answer to a query without EDNS has no OPT" 0 0 sh -c "$F +noedns cname.example.test | grep -c 'EDNS:' || true"
testcmd "and with EDNS, ours" 0 "; EDNS: version: 0, flags:; udp: 1232" sh -c "$F cname.example.test | grep '^; EDNS'"
kill "$up_pid"; wait "$up_pid" 2>/dev/null
testcmd "with the upstream gone, the cache answers" 0 "192.0.2.1" sh -c "$F +short www.example.test"
testcmd "and what is not cached is SERVFAIL" 0 SERVFAIL sh -c "$F other.example.test | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'"

# ---- an upstream without EDNS0 --------------------------------------------
"$TMP/dnsq" -s 127.0.0.3 $((P + 9)) &
at_exit "kill $! 2>/dev/null"
start old --listen 127.0.0.1:$((P + 6)) --zone "$TMP/zones" --upstream 127.0.0.3:$((P + 9))
testcmd "an upstream without EDNS0 is asked again without our OPT" 0 "192.0.2.7" \
    dig +time=3 +tries=1 @127.0.0.1 -p $((P + 6)) +short +noedns old.example
testcmd "a client's own OPT gets the upstream's FORMERR" 0 FORMERR \
    sh -c "dig +time=3 +tries=1 @127.0.0.1 -p $((P + 6)) +noednsneg old2.example | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'"

# ---- IPv6 ---------------------------------------------------------------
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
	start v6 --listen "[::1]:$((P + 7))" --zone "$TMP/zones" --resolv-conf "$EMPTY"
	testcmd "IPv6, UDP" 0 "fd00:96::10" dig +time=2 +tries=1 @::1 -p $((P + 7)) +short web.default.svc.cluster.local AAAA
	testcmd "IPv6, TCP" 0 "10.96.0.10" dig +time=2 +tries=1 @::1 -p $((P + 7)) +short +tcp web.default.svc.cluster.local
else
	skip "no ::1"; skip "no ::1"
fi

# ---- a wildcard listener answers from the address it was asked on --------
# In a network namespace of our own: 0.0.0.0 and :: are then only its lo.
# The client asks 127.0.0.2 (and fd00::53) from 127.0.0.1 (and ::1), so an
# answer from the kernel's choice of source would be dropped by dig.
if command -v unshare >/dev/null && [ "$(id -u)" = 0 ]; then
	W="dig +time=2 +tries=1 -p 5300 +short"
	testcmd "0.0.0.0: UDP answers come from the address asked, also forwarded ones" 0 \
"10.96.0.10
192.0.2.1
10.96.0.10" \
	    unshare -n sh -c "ip link set lo up;
	      svc-dns --listen 127.0.0.3:5301 --domain example.test --zone '$TMP/up.zone' --resolv-conf '$EMPTY' 2>/dev/null & u=\$!;
	      svc-dns --listen 0.0.0.0:5300 --zone '$TMP/zones' --upstream 127.0.0.3:5301 2>/dev/null & s=\$!;
	      sleep 0.3;
	      $W @127.0.0.2 -b 127.0.0.1 web.default.svc.cluster.local;
	      $W @127.0.0.2 -b 127.0.0.1 www.example.test;
	      $W @127.0.0.1 web.default.svc.cluster.local;
	      kill \$s \$u"
	if ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128'; then
		testcmd "[::]: UDP answers come from the address asked" 0 "fd00:96::10" \
		    unshare -n sh -c "ip link set lo up; ip -6 addr add fd00::53/128 dev lo nodad;
		      svc-dns --listen '[::]:5300' --zone '$TMP/zones' --resolv-conf '$EMPTY' 2>/dev/null & s=\$!;
		      sleep 0.3;
		      $W @fd00::53 -b ::1 web.default.svc.cluster.local AAAA;
		      kill \$s"
	else
		skip "no ::1"
	fi
else
	skip "needs root and unshare"; skip "needs root and unshare"
fi

# ---- threads -------------------------------------------------------------
start t --listen 127.0.0.1:$((P + 4)) --threads 3 --zone "$TMP/single.zone" --resolv-conf "$EMPTY"
T="dig +time=2 +tries=1 @127.0.0.1 -p $((P + 4))"
testerr "--threads does not share a port with another server" 1 "^svc-dns: listen 127.0.0.1:$((P + 4))/udp: Address .*in use\$" \
    sh -c "svc-dns --listen 127.0.0.1:$((P + 4)) --threads 2 --zone '$TMP/zones' --resolv-conf '$EMPTY' 2>'$TMP/thr.err';
      rc=\$?; grep -v loaded '$TMP/thr.err' >&2; exit \$rc"
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$($T +short web.default.svc.cluster.local)" = 10.96.0.10 ] && n=$((n + 1))
done
testcmd "--threads 3 answers every query" 0 10 echo $n
n0=$(loaded t)
echo 'thr.default.svc.cluster.local. A 10.96.0.55' >>"$TMP/single.zone"
kill -HUP "$t_pid"
wait_last t "loaded $((n0 + 1)) records"
n=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$($T +short thr.default.svc.cluster.local)" = 10.96.0.55 ] && n=$((n + 1))
done
testcmd "every thread serves the reloaded records" 0 10 echo $n

# ---- a container resolving short names with search domains ----------------
if command -v busybox >/dev/null && command -v unshare >/dev/null && [ "$(id -u)" = 0 ]; then
	mkrootfs "$TMP/root" >/dev/null
	printf 'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n' \
	    >"$TMP/root/etc/resolv.conf"
	# A network namespace of our own, so that the server can take port 53.
	testcmd "busybox nslookup of a short name in a container" 0 "Address: 10.96.0.10" \
	    unshare -n sh -c "ip link set lo up;
	      svc-dns --listen 127.0.0.1:53 --zone '$TMP/zones' --resolv-conf '$EMPTY' 2>/dev/null & s=\$!;
	      sleep 0.3;
	      ns-run --rootfs '$TMP/root' --net inherit -- nslookup web 2>&1 | grep '^Address: 10';
	      kill \$s"
	testcmd "a headless service from a container" 0 "Address: 10.244.0.5
Address: 10.244.0.6" \
	    unshare -n sh -c "ip link set lo up;
	      svc-dns --listen 127.0.0.1:53 --zone '$TMP/zones' --resolv-conf '$EMPTY' 2>/dev/null & s=\$!;
	      sleep 0.3;
	      ns-run --rootfs '$TMP/root' --net inherit -- nslookup -type=a db 2>&1 | grep '^Address: 10' | sort;
	      kill \$s"
else
	skip "needs root, busybox and unshare"; skip "needs root, busybox and unshare"
fi

# ---- the same server under ASan and UBSan ------------------------------
if command -v clang >/dev/null; then
	if clang -g -O0 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -D_GNU_SOURCE -I"$TOP/lib" -o "$TMP/svc-dns-asan" "$TOP/cmd/svc-dns.c" \
	    "$TOP"/lib/dns*.c "$TOP/lib/err.c" "$TOP/lib/exec.c" "$TOP/lib/opt.c" "$TOP/lib/num.c" 2>"$TMP/asan.cc"; then
		"$TMP/svc-dns-asan" --listen 127.0.0.1:$((P + 5)) --zone "$TMP/zones" \
		    --upstream 127.0.0.2:$((P + 6)) 2>"$TMP/asan.log" &
		as=$!
		at_exit "kill $as 2>/dev/null"
		sleep 1
		A="dig +time=2 +tries=1 @127.0.0.1 -p $((P + 5))"
		for q in "web.default.svc.cluster.local" "alias.default.svc.cluster.local" \
		    "big.default.svc.cluster.local" "+tcp big.default.svc.cluster.local" \
		    "+noedns +ignore big.default.svc.cluster.local" "nosuch.default.svc.cluster.local" \
		    "-x 10.96.0.10" "_pg._tcp.db.default.svc.cluster.local SRV" "foo.example"; do
			$A $q >/dev/null 2>&1
		done
		set -- $M_TWO $M_NONE $M_LOOP $M_FWD $M_PAST $M_LONG $M_OPT2 $M_STATUS \
		    abcd01000001000100000000000001000100 abcd01
		dnsq 127.0.0.1 $((P + 5)) "$@" >/dev/null
		dnsq -t 127.0.0.1 $((P + 5)) "$@" >/dev/null
		kill -HUP $as; sleep 0.3
		kill $as; wait $as
		rc=$?
		testcmd "under ASan/UBSan: no error, exit 0" 0 "0 0" sh -c \
		    "echo $rc \$(grep -c 'AddressSanitizer\|runtime error\|LeakSanitizer' '$TMP/asan.log')"
	else
		skip "clang cannot build with sanitizers: $(head -1 "$TMP/asan.cc")"
	fi
else
	skip "clang is not installed"
fi

done_testing
