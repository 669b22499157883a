#!/bin/sh
# SPDX-License-Identifier: ISC
# bench/lb-proxy.sh: wrk through lb-proxy, through HAProxy (mode tcp,
# roundrobin, one thread) and directly to one backend; 3 nginx backends
# with one worker each; keep-alive and a new connection per request.
# Everything listens on 127.0.0.1. BENCH_SECS (default 5) per run,
# BENCH_ROUNDS (default 2) rounds; the best round of each counts.
set -u
secs=${BENCH_SECS:-5}
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

# cpu PID: user+system clock ticks the process has used.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run NAME PORT PID [HEADER]: prints "rps p99_ms errors cpu_us_per_request"
run() {
	c0=$(cpu "$3")
	if [ $# -gt 3 ]; then
		wrk -t2 -c50 -d"${secs}s" --latency -H "$4" "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	else
		wrk -t2 -c50 -d"${secs}s" --latency "http://127.0.0.1:$2/" >"$dir/$1.out" 2>&1
	fi
	c1=$(cpu "$3")
	awk -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v secs="$secs" '
	/Requests\/sec:/ { rps = $2 }
	$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		p99 = v }
	/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
	/Non-2xx/ { err += $NF }
	END { printf "%.0f %.2f %d %.1f\n", rps, p99, err,
	    (rps > 0 ? ticks * 1e6 / hz / (rps * secs) : 0) }' "$dir/$1.out"
}

# The machine is shared: each target runs in turn, ROUNDS times, and the
# best round counts. CPU time a request (of the proxy process alone) is
# the figure that load on the machine disturbs least.
rounds=${BENCH_ROUNDS:-2}
printf '%-10s %-9s %10s %8s %7s %12s\n' mode target req/s p99_ms errors proxy_cpu_us
for mode in keepalive close; do
	hdr=""
	[ $mode = close ] && hdr="Connection: close"
	for target in direct lb_proxy haproxy; do eval "rps_$target=0 p99_$target=0 cpu_$target=0 err_$target=0"; done
	r=0
	while [ $r -lt $rounds ]; do
		r=$((r + 1))
		for target in direct lb_proxy haproxy; do
			case $target in
			direct) port=$b1 pid=0 ;;
			lb_proxy) port=$p_lb pid=$lb_pid ;;
			haproxy) port=$p_ha pid=$ha_pid ;;
			esac
			if [ -n "$hdr" ]; then set -- $(run "$mode-$target" $port $pid "$hdr")
			else set -- $(run "$mode-$target" $port $pid); fi
			eval "best=\$rps_$target"
			if [ "$1" -gt "$best" ]; then
				eval "rps_$target=$1 p99_$target=$2 cpu_$target=$4"
			fi
			eval "err_$target=\$((err_$target + $3))"
		done
	done
	for target in direct lb_proxy haproxy; do
		eval "printf '%-10s %-9s %10s %8s %7s %12s\\n' $mode $target \$rps_$target \$p99_$target \$err_$target \$cpu_$target"
	done
	awk -v l="$rps_lb_proxy" -v h="$rps_haproxy" -v d="$rps_direct" -v lp="$p99_lb_proxy" \
	    -v hp="$p99_haproxy" -v lc="$cpu_lb_proxy" -v hc="$cpu_haproxy" -v m=$mode 'BEGIN {
		printf "%-10s lb-proxy/haproxy %.2fx req/s, lb-proxy/direct %.2fx, p99 %.2f vs %.2f ms, cpu/req %.1f vs %.1f us (%.2fx)\n",
		    m, (h > 0 ? l / h : 0), (d > 0 ? l / d : 0), lp, hp, lc, hc, (lc > 0 ? hc / lc : 0) }'
done
