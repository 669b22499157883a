#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/lb-proxy.sh: wrk through lb-proxy, through HAProxy (mode tcp,
# roundrobin, one thread: lb-proxy is one thread too) and directly to one
# backend; 3 nginx backends with one worker each; keep-alive and a new
# connection per request. Everything listens on 127.0.0.1. BENCH_SECS
# (default 10, as the issue says) a run, BENCH_ROUNDS (default 3) rounds,
# the three targets in turn in each; the median round of each counts.
# Besides req/s and p99, the CPU time a request of each process (proxy,
# wrk, nginx workers): on a machine whose CPUs are all busy, that is what
# decides throughput, and the least disturbed figure on a shared machine.
set -u
secs=${BENCH_SECS:-10}
for t in wrk haproxy nginx lb-proxy; do
	command -v $t >/dev/null || { echo "lb-proxy bench: $t is not installed (contrib/packages.d/lb-proxy.txt)" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/lb-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# High ports below the ephemeral range, so wrk's own connections cannot
# collide with them.
base=$((20000 + ($$ % 1200) * 10))
p_lb=$base p_ha=$((base + 1)) b1=$((base + 2)) b2=$((base + 3)) b3=$((base + 4))

for p in $b1 $b2 $b3; do
	mkdir -p "$dir/ng$p"
	cat >"$dir/ng$p/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/ng$p/pid;
error_log $dir/ng$p/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $dir/ng$p;
	proxy_temp_path $dir/ng$p;
	fastcgi_temp_path $dir/ng$p;
	uwsgi_temp_path $dir/ng$p;
	scgi_temp_path $dir/ng$p;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$p;
		location / { return 200 "hello from $p\n"; }
	}
}
EOF
	nginx -c "$dir/ng$p/nginx.conf" -p "$dir/ng$p" -e "$dir/ng$p/error.log" 2>/dev/null &
	pids="$pids $!"
done

cat >"$dir/haproxy.cfg" <<EOF
global
	maxconn 8000
	nbthread 1
defaults
	mode tcp
	timeout connect 2s
	timeout client 5m
	timeout server 5m
frontend f
	bind 127.0.0.1:$p_ha
	default_backend b
backend b
	balance roundrobin
	server s1 127.0.0.1:$b1
	server s2 127.0.0.1:$b2
	server s3 127.0.0.1:$b3
EOF
haproxy -q -db -f "$dir/haproxy.cfg" &
ha_pid=$!
pids="$pids $!"
lb-proxy --listen 127.0.0.1:$p_lb --backend 127.0.0.1:$b1 --backend 127.0.0.1:$b2 \
    --backend 127.0.0.1:$b3 --health none &
lb_pid=$!
pids="$pids $!"

# Wait for all five to answer.
for p in $b1 $b2 $b3 $p_ha $p_lb; do
	i=0
	until curl -s --noproxy '*' -o /dev/null "http://127.0.0.1:$p/"; do
		i=$((i + 1))
		[ $i -lt 50 ] || { echo "lb-proxy bench: port $p did not come up" >&2; exit 1; }
		sleep 0.1
	done
done

# nginx workers (children of the three masters).
ngw=""
for p in $pids; do
	[ "$p" = "$ha_pid" ] || [ "$p" = "$lb_pid" ] || ngw="$ngw $(pgrep -P "$p")"
done

# cpu PID...: user+system clock ticks the processes have used.
cpu() {
	t=0
	for p in "$@"; do
		[ "$p" = 0 ] && continue
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo $t
}
# ticks FILE: children's user+system clock ticks in the output of the
# shell's times (which has to run in this shell, not in a $(...)).
ticks() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%.0f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * hz }' "$1"
}

# run NAME PORT PID [HEADER]: prints "rps p99_ms errors proxy_us wrk_us nginx_us"
# (CPU microseconds a request).
run() {
	c0=$(cpu "$3") n0=$(cpu $ngw)
	times >"$dir/times0"
	if [ $# -gt 3 ]; then
		wrk -t2 -c50 -d"${secs}s" --latency -H "$4" "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	else
		wrk -t2 -c50 -d"${secs}s" --latency "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	fi
	times >"$dir/times1"
	c1=$(cpu "$3") n1=$(cpu $ngw) w0=$(ticks "$dir/times0") w1=$(ticks "$dir/times1")
	awk -v ticks=$((c1 - c0)) -v wt=$((w1 - w0)) -v nt=$((n1 - n0)) \
	    -v hz="$(getconf CLK_TCK)" '
	/requests in/ { n = $1 }
	/Requests\/sec:/ { rps = $2 }
	$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		p99 = v }
	/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
	/Non-2xx/ { err += $NF }
	END { us = (n > 0 ? 1e6 / hz / n : 0)
		printf "%.0f %.2f %d %.1f %.1f %.1f\n", rps, p99, err,
		    ticks * us, wt * us, nt * us }' "$dir/$1.out"
}

# The machine may be shared: each round runs the three targets in turn,
# and the median round of each (by req/s) counts; errors are summed.
rounds=${BENCH_ROUNDS:-3}
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "wrk -t2 -c50 -d${secs}s; 3 nginx-light backends, 1 worker each; lb-proxy: 1 process," \
    "1 thread; haproxy $(haproxy -v | awk 'NR == 1 { print $3 }') mode tcp roundrobin, nbthread 1;" \
    "127.0.0.1; median of $rounds rounds; $(nproc) CPUs; load average $load0"
printf '%-10s %-9s %8s %8s %6s   %s\n' mode target req/s p99_ms errors \
    "cpu us/request: proxy wrk nginx all"
for mode in keepalive close; do
	hdr=""
	[ $mode = close ] && hdr="Connection: close"
	r=0
	: >"$dir/direct" >"$dir/lb_proxy" >"$dir/haproxy"
	while [ $r -lt $rounds ]; do
		r=$((r + 1))
		for target in direct lb_proxy haproxy; do
			case $target in
			direct) port=$b1 pid=0 ;;
			lb_proxy) port=$p_lb pid=$lb_pid ;;
			haproxy) port=$p_ha pid=$ha_pid ;;
			esac
			if [ -n "$hdr" ]; then run "$mode-$target" $port $pid "$hdr"
			else run "$mode-$target" $port $pid; fi >>"$dir/$target"
		done
	done
	for target in direct lb_proxy haproxy; do
		err=$(awk '{ e += $3 } END { print e + 0 }' "$dir/$target")
		set -- $(sort -n "$dir/$target" | sed -n "$(((rounds + 1) / 2))p")
		eval "rps_$target=$1 p99_$target=$2 cpu_$target=$4 all_$target=\$(echo $4 $5 $6 | awk '{ print \$1 + \$2 + \$3 }')"
		printf '%-10s %-9s %8s %8s %6s   %5s %5s %5s %5s\n' $mode $target $1 $2 "$err" \
		    $4 $5 $6 "$(eval echo \$all_$target)"
	done
	awk -v l="$rps_lb_proxy" -v h="$rps_haproxy" -v d="$rps_direct" -v lp="$p99_lb_proxy" \
	    -v hp="$p99_haproxy" -v lc="$cpu_lb_proxy" -v hc="$cpu_haproxy" -v m=$mode \
	    -v da="$all_direct" -v la="$all_lb_proxy" 'BEGIN {
		printf "%-10s lb-proxy/haproxy %.2fx req/s (target >= 1.1x), lb-proxy/direct %.2fx (target >= 0.85x),\n", m, (h > 0 ? l / h : 0), (d > 0 ? l / d : 0)
		printf "%-10s p99 %.2f vs %.2f ms (target <= haproxy), proxy cpu/request %.1f vs %.1f us (haproxy/lb-proxy %.2fx)\n", m, lp, hp, lc, hc, (lc > 0 ? hc / lc : 0)
		printf "%-10s all processes: %.1f us a request direct, %.1f through lb-proxy: with every CPU busy, lb-proxy/direct <= %.2fx\n", m, da, la, (la > 0 ? da / la : 0) }'
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
