#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/lb-proxy.sh: wrk directly to one backend, through lb-proxy and
# through HAProxy (mode tcp, roundrobin); 3 nginx backends with one worker
# each; keep-alive and a new connection per request; all on 127.0.0.1.
# Each proxy at equal thread counts: lb-proxy alone against HAProxy
# nbthread 1, then lb-proxy --workers 2 against HAProxy nbthread 2 (its
# default on 2 CPUs). BENCH_SECS (default 10, as the issue says) a run,
# BENCH_ROUNDS (default 3) rounds, the targets in turn in each; the median
# round of each counts. Besides req/s and p99, the CPU time a request of
# each process (proxy, wrk, nginx workers): on a machine whose CPUs are
# all busy that decides throughput, and a shared machine disturbs it least.
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
p_lb2=$((base + 5)) p_ha2=$((base + 6))

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

for t in 1 2; do
	port=$p_ha
	[ $t = 2 ] && port=$p_ha2
	cat >"$dir/haproxy$t.cfg" <<EOF
global
	maxconn 8000
	nbthread $t
defaults
	mode tcp
	timeout connect 2s
	timeout client 5m
	timeout server 5m
frontend f
	bind 127.0.0.1:$port
	default_backend b
backend b
	balance roundrobin
	server s1 127.0.0.1:$b1
	server s2 127.0.0.1:$b2
	server s3 127.0.0.1:$b3
EOF
	haproxy -q -db -f "$dir/haproxy$t.cfg" &
	eval "ha${t}_pid=\$!"
	pids="$pids $!"
	port=$p_lb
	[ $t = 2 ] && port=$p_lb2
	lb-proxy --workers $t --listen 127.0.0.1:$port --backend 127.0.0.1:$b1 \
	    --backend 127.0.0.1:$b2 --backend 127.0.0.1:$b3 --health none &
	eval "lb${t}_pid=\$!"
	pids="$pids $!"
done

# Wait for all seven to answer.
for p in $b1 $b2 $b3 $p_ha $p_lb $p_ha2 $p_lb2; do
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
	case " $ha1_pid $ha2_pid $lb1_pid $lb2_pid " in
	*" $p "*) ;;
	*) ngw="$ngw $(pgrep -P "$p")" ;;
	esac
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

# lb-proxy --workers 2: its first process and the workers.
lb2_pids="$lb2_pid $(pgrep -P "$lb2_pid")"

# run NAME PORT PIDS [HEADER]: prints "rps p99_ms errors proxy_us wrk_us nginx_us"
# (CPU microseconds a request).
run() {
	c0=$(cpu $3) n0=$(cpu $ngw)
	times >"$dir/times0"
	if [ $# -gt 3 ]; then
		wrk -t2 -c50 -d"${secs}s" --latency -H "$4" "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	else
		wrk -t2 -c50 -d"${secs}s" --latency "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	fi
	times >"$dir/times1"
	c1=$(cpu $3) n1=$(cpu $ngw) w0=$(ticks "$dir/times0") w1=$(ticks "$dir/times1")
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

# The machine may be shared: each round runs the targets in turn, and the
# median round of each (by req/s) counts; errors are summed.
rounds=${BENCH_ROUNDS:-3}
targets="direct lb_proxy haproxy lb_proxy_w2 haproxy_t2"
echo "wrk -t2 -c50 -d${secs}s; 3 nginx-light backends, 1 worker each;" \
    "haproxy $(haproxy -v | awk 'NR == 1 { print $3 }') mode tcp roundrobin; 127.0.0.1;" \
    "median of $rounds rounds; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "lb_proxy: 1 process (1 thread), haproxy: nbthread 1;" \
    "lb_proxy_w2: --workers 2 (2 processes), haproxy_t2: nbthread 2 (its default here)"
printf '%-10s %-11s %8s %8s %6s   %s\n' mode target req/s p99_ms errors \
    "cpu us/request: proxy wrk nginx all"
# compare MODE LB HA: the ratios the issue asks for, lb-proxy target LB
# against HAProxy target HA.
compare() {
	eval "l=\$rps_$2 h=\$rps_$3 lp=\$p99_$2 hp=\$p99_$3 lc=\$cpu_$2 hc=\$cpu_$3 la=\$all_$2"
	awk -v m="$1" -v n="$2/$3" -v l="$l" -v h="$h" -v d="$rps_direct" -v lp="$lp" -v hp="$hp" \
	    -v lc="$lc" -v hc="$hc" -v da="$all_direct" -v la="$la" -v cpus="$(nproc)" 'BEGIN {
		printf "%-10s %s: %.2fx req/s (target >= 1.1x); lb-proxy/direct %.2fx (target >= 0.85x)\n", m, n, (h > 0 ? l / h : 0), (d > 0 ? l / d : 0)
		printf "%-10s   p99 %.2f vs %.2f ms (target <=); proxy cpu/request %.1f vs %.1f us (haproxy/lb-proxy %.2fx)\n", m, lp, hp, lc, hc, (lc > 0 ? hc / lc : 0)
		printf "%-10s   CPU of all processes: %.1f us a request direct, %.1f through lb-proxy; %d CPUs 100%% busy would give\n", m, da, la, cpus
		printf "%-10s   at most %.0f req/s through lb-proxy: lb-proxy/direct <= %.2fx\n", m, (la > 0 ? cpus * 1e6 / la : 0), (la > 0 && d > 0 ? cpus * 1e6 / la / d : 0) }'
}
for mode in keepalive close; do
	hdr=""
	[ $mode = close ] && hdr="Connection: close"
	for target in $targets; do : >"$dir/$target"; done
	r=0
	while [ $r -lt $rounds ]; do
		r=$((r + 1))
		for target in $targets; do
			case $target in
			direct) port=$b1 tp=0 ;;
			lb_proxy) port=$p_lb tp=$lb1_pid ;;
			haproxy) port=$p_ha tp=$ha1_pid ;;
			lb_proxy_w2) port=$p_lb2 tp=$lb2_pids ;;
			haproxy_t2) port=$p_ha2 tp=$ha2_pid ;;
			esac
			if [ -n "$hdr" ]; then run "$mode-$target" $port "$tp" "$hdr"
			else run "$mode-$target" $port "$tp"; fi >>"$dir/$target"
		done
	done
	for target in $targets; do
		err=$(awk '{ e += $3 } END { print e + 0 }' "$dir/$target")
		set -- $(sort -n "$dir/$target" | sed -n "$(((rounds + 1) / 2))p")
		eval "rps_$target=$1 p99_$target=$2 cpu_$target=$4 all_$target=\$(echo $4 $5 $6 | awk '{ print \$1 + \$2 + \$3 }')"
		printf '%-10s %-11s %8s %8s %6s   %5s %5s %5s %5s\n' $mode $target $1 $2 "$err" \
		    $4 $5 $6 "$(eval echo \$all_$target)"
	done
	compare $mode lb_proxy haproxy
	compare $mode lb_proxy_w2 haproxy_t2
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
