#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-kube: kubectl's apply/get/scale/delete/rollout/describe on one
# machine. Deployments become containers run by skiff, Services a
# ClusterIP served by lb-proxy and a name served by svc-dns. A small
# controller (one process, started by apply) keeps replicas running,
# endpoints current and rolls updates one pod at a time.
set -u

VERSION=0.1.0
SKIFF_ROOT=${SKIFF_ROOT:-/var/lib/skiff}
SKIFF_RUN=${SKIFF_RUN:-/run/skiff}
export SKIFF_ROOT SKIFF_RUN
KUBE=$SKIFF_ROOT/kube		# objects: KUBE/NS/KIND/NAME (yaml-flat lines)
KRUN=$SKIFF_RUN/kube		# controller, proxies, backends, DNS zones
CT=$SKIFF_ROOT/containers
NAMES=$SKIFF_ROOT/names
NETWORK=${SKIFF_KUBE_NETWORK:-skiff0}
CIDR_SVC=10.96.0.0/12
DOMAIN=cluster.local
TAB=$(printf '\t')
NL='
'

die() { code=$1; shift; printf 'skiff: %s\n' "$*" >&2; exit "$code"; }
warn() { printf 'skiff: %s\n' "$*" >&2; }
# now: seconds since the epoch, one date(1) a reconcile pass (_now is
# cleared with the object cache).
_now=""
now() { [ -n "$_now" ] || _now=$(date +%s); echo "$_now"; }
nowv() { [ -n "$_now" ] || _now=$(date +%s); }

# randhex: _r is 32 random hex digits, from the kernel without a fork.
randhex() {
	local u
	read -r u </proc/sys/kernel/random/uuid
	_r=""
	while :; do
		case $u in
		*-*) _r=$_r${u%%-*}; u=${u#*-} ;;
		*) _r=$_r$u; return 0 ;;
		esac
	done
}

# ---- objects --------------------------------------------------------------
# Functions keep their variables to themselves with "local", which dash,
# busybox ash and bash all have: the reconciler nests deeply.

# An object file is read once into _obj, a newline before each of its
# "PATH<TAB>TYPE<TAB>VALUE" lines; lookups are then the shell's own
# expansions. (An awk a lookup cost a fork and exec each: milliseconds,
# hundreds of them in an apply.) obj_forget after writing object files.
_objf="" _obj=""
obj_load() {
	[ "$_objf" = "$1" ] && return 0
	_obj="" _objf=$1
	[ -f "$1" ] || return 0
	while IFS= read -r _l || [ -n "$_l" ]; do
		_obj="$_obj
$_l"
	done <"$1"
}
obj_forget() { _objf="" _obj="" _now=""; }

# fieldv FILE PATH: _v is the raw (still escaped) value at PATH, or empty.
fieldv() {
	obj_load "$1"
	case $_obj in
	*"
$2	"*)
		_v=${_obj#*"
$2	"}
		_v=${_v#*"$TAB"}
		_v=${_v%%"
"*} ;;
	*) _v="" ;;
	esac
}

# field FILE PATH: the value at PATH, unescaped; empty when absent.
field() {
	fieldv "$1" "$2"
	printf '%b' "$_v"
}

# under FILE PREFIX: "RESTOFPATH<TAB>VALUE" for every path below PREFIX/.
under() {
	local rest line p
	obj_load "$1"
	rest=$_obj
	while [ -n "$rest" ]; do
		rest=${rest#?}
		line=${rest%%"
"*}
		rest=${rest#"$line"}
		case $line in
		"$2/"*)
			p=${line%%"$TAB"*}
			line=${line#*"$TAB"}
			printf '%s\t%s\n' "${p#"$2/"}" "${line#*"$TAB"}" ;;
		esac
	done
}

# countv FILE PREFIX: _c is how many list items are at PREFIX (0, 1, ...
# without a gap, as yaml-flat numbers them).
countv() {
	obj_load "$1"
	_c=0
	while :; do
		case $_obj in
		*"
$2/$_c/"*|*"
$2/$_c	"*) _c=$((_c + 1)) ;;
		*) return 0 ;;
		esac
	done
}
count() { countv "$1" "$2"; echo "$_c"; }

# kv FILE KEY: _v is the last KEY=VALUE of a key=value file (.meta, pod
# records), read by the shell.
kv() {
	_v=""
	[ -f "$1" ] || return 0
	while IFS= read -r _l || [ -n "$_l" ]; do
		case $_l in "$2="*) _v=${_l#*=} ;; esac
	done <"$1"
}

age() {
	local d
	d=$(( $(now) - $1 ))
	if [ $d -lt 120 ]; then echo "${d}s"
	elif [ $d -lt 7200 ]; then echo "$((d / 60))m"
	elif [ $d -lt 172800 ]; then echo "$((d / 3600))h"
	else echo "$((d / 86400))d"
	fi
}

q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Objects: "NS KIND NAME" lines.
objects() {
	local f n k ns
	[ -d "$KUBE" ] || return 0
	for f in "$KUBE"/*/*/*; do
		[ -f "$f" ] || continue
		case $f in *.meta|*.tmp|*.tmp.*) continue ;; esac
		n=${f##*/}; k=${f%/*}; ns=${k%/*}; k=${k##*/}; ns=${ns##*/}
		[ "$k" = pod ] && continue
		echo "$ns $k $n"
	done
}

meta() { cat "$KUBE/$1/$2/$3.meta" 2>/dev/null; }

# ---- validation and apply ---------------------------------------------------

KNOWN_DEPLOY='^(apiVersion|kind|metadata/(name|namespace|labels/.*|annotations/.*)|spec/(replicas|selector/matchLabels/.*|strategy/.*|revisionHistoryLimit|progressDeadlineSeconds|minReadySeconds)|spec/template/metadata/(labels/.*|annotations/.*|name)|spec/template/spec/containers/[0-9]+/(name|image|imagePullPolicy|command/[0-9]+|args/[0-9]+|env/[0-9]+/(name|value)|ports/[0-9]+/(containerPort|name|protocol)|resources/(limits|requests)/(cpu|memory)|workingDir))$'
KNOWN_SVC='^(apiVersion|kind|metadata/(name|namespace|labels/.*|annotations/.*)|spec/(type|clusterIP|selector/.*|ports/[0-9]+/(port|targetPort|nodePort|protocol|name)))$'

dns1123() {
	case $1 in
	""|*[!a-z0-9-]*|-*|*-) return 1 ;;
	esac
	[ ${#1} -le 63 ]
}

# check DOCFILE WHERE: refuse what cannot be applied, before anything is.
check_doc() {
	local f where api kind name ns known r img t i n p pr
	f=$1 where=$2
	obj_load "$f"
	api=$(field "$f" apiVersion) kind=$(field "$f" kind) name=$(field "$f" metadata/name)
	ns=$(field "$f" metadata/namespace); ns=${ns:-default}
	[ -n "$kind" ] || die 1 "$where: no kind"
	case "$api $kind" in
	"apps/v1 Deployment") known=$KNOWN_DEPLOY ;;
	"v1 Service") known=$KNOWN_SVC ;;
	*" Deployment"|*" Service") die 1 "$where: $kind: apiVersion $api is not supported (want ${kind%% *}: $( [ "$kind" = Deployment ] && echo apps/v1 || echo v1))" ;;
	*) die 1 "$where: kind $kind ($api) is not supported: only Deployment (apps/v1) and Service (v1)" ;;
	esac
	dns1123 "$name" || die 1 "$where: metadata.name '$name': must be a DNS-1123 label"
	dns1123 "$ns" || die 1 "$where: metadata.namespace '$ns': must be a DNS-1123 label"
	awk -F "$TAB" -v re="$known" '$1 !~ re && !seen[$1]++ { gsub("/", ".", $1); print $1 }' "$f" |
	while IFS= read -r p; do
		warn "$where: $kind/$name: field $p is not supported, ignored"
	done
	if [ "$kind" = Deployment ]; then
		# The type (p: plain scalar) and the value.
		r=""
		case $_obj in
		*"${NL}spec/replicas$TAB"*)
			r=${_obj#*"${NL}spec/replicas$TAB"}; r=${r%%"$NL"*}
			r=${r%%"$TAB"*}${r#*"$TAB"} ;;
		esac
		case $r in ""|p[0-9]|p[0-9][0-9]|p[0-9][0-9][0-9]) ;; *) die 1 "$where: spec.replicas: must be a number, not '${r#?}'" ;; esac
		countv "$f" spec/template/spec/containers
		[ "$_c" -ge 1 ] || die 1 "$where: spec.template.spec.containers: none given"
		[ "$_c" -le 1 ] || die 1 "$where: more than one container in a pod is not supported"
		img=$(field "$f" spec/template/spec/containers/0/image)
		[ -n "$img" ] || die 1 "$where: spec.template.spec.containers[0].image: missing"
		img-unpack --inspect "$img" >/dev/null 2>&1 || die 1 "$where: image $img: not in the local store (skiff build or img-unpack load it first)"
		under "$f" spec/selector/matchLabels | while IFS="$TAB" read -r k v; do
			[ "$(field "$f" "spec/template/metadata/labels/$k")" = "$v" ] ||
			    die 1 "$where: spec.selector.matchLabels $k=$v does not match the template's labels"
		done || exit 1
		[ -n "$(under "$f" spec/selector/matchLabels)" ] || die 1 "$where: spec.selector.matchLabels: missing"
	else
		t=$(field "$f" spec/type)
		case ${t:-ClusterIP} in ClusterIP|NodePort) ;; *) die 1 "$where: spec.type $t is not supported (ClusterIP or NodePort)" ;; esac
		countv "$f" spec/ports
		[ "$_c" -ge 1 ] || die 1 "$where: spec.ports: none given"
		i=0 n=$_c
		while [ $i -lt "$n" ]; do
			p=$(field "$f" spec/ports/$i/port)
			case $p in ""|*[!0-9]*) die 1 "$where: spec.ports[$i].port: must be a number" ;; esac
			pr=$(field "$f" spec/ports/$i/protocol)
			case ${pr:-TCP} in TCP) ;; *) die 1 "$where: spec.ports[$i].protocol $pr: only TCP is supported" ;; esac
			i=$((i + 1))
		done
	fi
}

cmd_apply() {
	file=""
	while [ $# -gt 0 ]; do
		case $1 in
		-f|--filename) [ $# -ge 2 ] || die 2 "apply: -f needs a file"; file=$2; shift ;;
		-f*) file=${1#-f} ;;
		--filename=*) file=${1#*=} ;;
		*) die 2 "apply: $1: unknown argument (see skiff apply -f FILE)" ;;
		esac
		shift
	done
	[ -n "$file" ] || die 2 "usage: skiff apply -f FILE|-"
	# Work files under $SKIFF_RUN, named by pid: those of an apply killed
	# midway (kill -9, no trap) are swept by the next reconcile.
	[ -d "$KRUN" ] || mkdir -p "$KRUN"
	tmp=$KRUN/apply.$$
	rm -rf "$tmp"
	mkdir "$tmp" || die 1 "$tmp: cannot create"
	trap 'rm -rf "$tmp"' EXIT
	name=$file; [ "$file" = - ] && name=stdin
	[ "$file" = - ] || [ -r "$file" ] || die 1 "$file: cannot read"
	# yaml-flat reads the file itself (stdin without an operand) and
	# names it in its errors.
	set --
	[ "$file" = - ] || set -- "$file"
	yaml-flat "$@" >"$tmp/flat" 2>"$tmp/err" || die 1 "$(sed 's|^yaml-flat: ||' "$tmp/err")"
	# One file a document ("N<TAB>line"), then every document checked
	# before any is applied.
	docs=0
	while IFS= read -r l; do
		d=${l%%"$TAB"*}
		printf '%s\n' "${l#*"$TAB"}" >>"$tmp/doc.$d"
		[ "$d" -lt "$docs" ] || docs=$((d + 1))
	done <"$tmp/flat"
	[ "$docs" -gt 0 ] || die 1 "$name: no documents"
	i=0
	while [ $i -lt "$docs" ]; do
		[ -f "$tmp/doc.$i" ] && check_doc "$tmp/doc.$i" "$name: document $((i + 1))"
		i=$((i + 1))
	done
	[ -d "$KUBE" ] && [ -d "$KRUN" ] || mkdir -p "$KUBE" "$KRUN"
	i=0
	while [ $i -lt "$docs" ]; do
		[ -f "$tmp/doc.$i" ] && store "$tmp/doc.$i"
		i=$((i + 1))
	done
	NO_ROLL=1 reconcile_all
	ensure_controller
}

# store DOCFILE: keep the object; print what kubectl prints.
store() {
	local f kind name ns k dir label verb ip
	f=$1
	obj_load "$f"
	kind=$(field "$f" kind) name=$(field "$f" metadata/name)
	ns=$(field "$f" metadata/namespace); ns=${ns:-default}
	case $kind in Deployment) k=deployment ;; *) k=service ;; esac
	dir=$KUBE/$ns/$k
	[ -d "$dir" ] || mkdir -p "$dir"
	label=$k; [ "$kind" = Deployment ] && label=deployment.apps
	if [ -f "$dir/$name" ] && cmp -s "$f" "$dir/$name"; then
		echo "$label/$name unchanged"
		return 0
	fi
	verb=configured
	if [ ! -f "$dir/$name" ]; then
		verb=created
		nowv; randhex
		{
			echo "created=$_now"
			echo "uid=${_r%"${_r#????????????????}"}"
		} >"$dir/$name.meta"
		if [ "$kind" = Service ]; then
			ip=$(alloc_clusterip "$f" "$ns" "$name") || { rm -f "$dir/$name.meta"; exit 1; }
			echo "clusterip=$ip" >>"$dir/$name.meta"
			echo "envname=$(svc_env_name "$name")" >>"$dir/$name.meta"
		fi
	fi
	# The pod template's hash, for pod names and rolling updates: kept in
	# the meta file so that nobody computes it again.
	[ "$kind" = Deployment ] && echo "hash=$(template_hash "$f")" >>"$dir/$name.meta"
	cp "$f" "$dir/$name.tmp" && mv "$dir/$name.tmp" "$dir/$name"
	obj_forget
	echo "$label/$name $verb"
}

alloc_clusterip() {
	local want n ip
	want=$(field "$1" spec/clusterIP)
	mkdir -p "$KUBE/.clusterips"
	if [ -n "$want" ] && [ "$want" != None ]; then
		case $want in 10.9[6-9].*|10.10[0-9].*|10.11[01].*) ;; *) die 1 "service $3: clusterIP $want is outside $CIDR_SVC" ;; esac
		( set -C; echo "$2/$3" >"$KUBE/.clusterips/$want" ) 2>/dev/null || die 1 "service $3: clusterIP $want is taken"
		echo "$want"; return 0
	fi
	n=10
	while [ $n -lt 1048574 ]; do
		ip=10.$((96 + n / 65536)).$((n / 256 % 256)).$((n % 256))
		if ( set -C; echo "$2/$3" >"$KUBE/.clusterips/$ip" ) 2>/dev/null; then
			echo "$ip"; return 0
		fi
		n=$((n + 1))
	done
	die 1 "service $3: no ClusterIP left in $CIDR_SVC"
}

# ---- pods ------------------------------------------------------------------

# Pods: "NS POD" lines. A pod is a record KUBE/NS/pod/NAME (deployment,
# template hash) and a skiff container of the same name.
pods() {
	local f p ns
	for f in "$KUBE"/*/pod/*; do
		[ -f "$f" ] || continue
		p=${f##*/}; ns=${f%/pod/*}; ns=${ns##*/}
		echo "$ns $p"
	done
}

# pod_state NS POD: sets pstatus (Running, Pending, Failed, Unknown),
# pip, prestarts, pid from the container's files, reading them with the
# shell's own read.
pod_state() {
	local id stat Status Pid PidStart RestartCount
	pstatus=Unknown pip="" prestarts=0 pid=""
	pod_idv "$1" "$2"
	id=$_id
	[ -n "$id" ] && [ -d "$CT/$id" ] || return 0
	Status="" Pid="" PidStart="" RestartCount=0
	[ -f "$CT/$id/state" ] || { pstatus=Pending; return 0; }
	. "$CT/$id/state"
	prestarts=${RestartCount:-0}
	[ -f "$CT/$id/ip" ] && read -r pip <"$CT/$id/ip"
	stat=""
	if [ "$Status" = running ] && [ -n "$Pid" ]; then
		read -r stat <"/proc/$Pid/stat" 2>/dev/null || stat=""
	fi
	if [ -n "$stat" ]; then
		# Field 22, the start time, counted after the command's ")".
		set -- ${stat##*) }
		shift 19
	fi
	if [ -n "$stat" ] && [ "${1:-}" = "$PidStart" ]; then
		pstatus=Running pid=$Pid
	elif [ "$Status" = running ] || [ "$Status" = created ]; then
		pstatus=Pending
	else
		pstatus=Failed
	fi
}

pod_container() {
	if [ "$1" = default ]; then echo "$2"; else echo "$2.$1"; fi
}

# pod_idv NS POD: _id is the pod's container id, recorded when it was
# started (the name link for pods recorded before that).
pod_idv() {
	kv "$KUBE/$1/pod/$2" container
	_id=$_v
	[ -n "$_id" ] && return 0
	_id=$(readlink "$NAMES/$(pod_container "$1" "$2")" 2>/dev/null) || _id=""
}

# Ready: running, with its address, and its first containerPort answering.
pod_ready() {
	pod_state "$1" "$2"
	[ "$pstatus" = Running ] && [ -n "$pip" ] || return 1
	kv "$KUBE/$1/pod/$2" port
	[ -z "$_v" ] || skiff-probe --timeout 300ms "$pip:$_v" 2>/dev/null
}

template_hash() {
	set -- $(grep '^spec/template/' "$1" | cksum)
	printf '%08x' "$1"
}

# hashv FILE: _h is the deployment's template hash, from its meta file
# (computed when it is missing: stored before the hash was kept).
hashv() {
	kv "$1.meta" hash
	_h=$_v
	[ -n "$_h" ] || _h=$(template_hash "$1")
}

svc_env_name() { echo "$1" | tr 'a-z-' 'A-Z_'; }

# The environment Kubernetes gives a pod: NAME_SERVICE_HOST and friends for
# every Service of the namespace that exists when the pod starts.
service_env() {
	local ns s sn ip N p
	ns=$1
	for s in "$KUBE/$ns"/service/*; do
		[ -f "$s" ] || continue
		case $s in *.meta|*.tmp) continue ;; esac
		sn=${s##*/}
		kv "$s.meta" clusterip; ip=$_v
		[ -n "$ip" ] || continue
		kv "$s.meta" envname; N=$_v
		[ -n "$N" ] || N=$(svc_env_name "$sn")
		fieldv "$s" spec/ports/0/port; p=$_v
		printf '%s\n' "-e" "${N}_SERVICE_HOST=$ip" "-e" "${N}_SERVICE_PORT=$p" \
		    "-e" "${N}_PORT=tcp://$ip:$p" "-e" "${N}_PORT_${p}_TCP=tcp://$ip:$p" \
		    "-e" "${N}_PORT_${p}_TCP_PROTO=tcp" "-e" "${N}_PORT_${p}_TCP_PORT=$p" \
		    "-e" "${N}_PORT_${p}_TCP_ADDR=$ip"
	done
}

# start_pod NS DEPLOYMENT: one new replica of the deployment's template.
start_pod() {
	local ns d f h sfx pod c img k v i n a b mem cpu wd ncmd port out id
	ns=$1 d=$2 f=$KUBE/$1/deployment/$2
	obj_load "$f"
	hashv "$f"; h=$_h
	randhex; sfx=${_r%"${_r#?????}"}
	pod=$d-$h-$sfx
	c=spec/template/spec/containers/0
	img=$(field "$f" $c/image)
	dns_ipv
	set -- run -d --name "$(pod_container "$ns" "$pod")" --restart always \
	    --network "$NETWORK" --hostname "$pod" \
	    --dns "$_dns" --dns-search "$ns.svc.$DOMAIN" --dns-search "svc.$DOMAIN" \
	    --dns-search "$DOMAIN" --dns-option ndots:5
	while IFS="$TAB" read -r k v; do
		set -- "$@" --label "$k=$(printf '%b' "$v")"
	done <<EOF
$(under "$f" spec/template/metadata/labels)
EOF
	countv "$f" $c/env
	i=0 n=$_c
	while [ $i -lt "$n" ]; do
		set -- "$@" -e "$(field "$f" $c/env/$i/name)=$(field "$f" $c/env/$i/value)"
		i=$((i + 1))
	done
	while IFS= read -r a && IFS= read -r b; do set -- "$@" "$a" "$b"; done <<EOF
$(service_env "$ns")
EOF
	fieldv "$f" $c/resources/limits/memory; mem=$_v
	[ -n "$mem" ] && set -- "$@" -m "$(k8s_mem "$mem")"
	fieldv "$f" $c/resources/limits/cpu; cpu=$_v
	[ -n "$cpu" ] && set -- "$@" --cpus "$(k8s_cpu "$cpu")"
	wd=$(field "$f" $c/workingDir)
	[ -n "$wd" ] && set -- "$@" -w "$wd"
	countv "$f" $c/command; ncmd=$_c
	[ "$ncmd" -gt 0 ] && set -- "$@" --entrypoint "$(field "$f" $c/command/0)"
	set -- "$@" "$img"
	i=1
	while [ $i -lt "$ncmd" ]; do set -- "$@" "$(field "$f" $c/command/$i)"; i=$((i + 1)); done
	countv "$f" $c/args
	i=0 n=$_c
	while [ $i -lt "$n" ]; do set -- "$@" "$(field "$f" $c/args/$i)"; i=$((i + 1)); done
	[ -d "$KUBE/$ns/pod" ] || mkdir -p "$KUBE/$ns/pod"
	fieldv "$f" $c/ports/0/containerPort; port=$_v
	nowv
	printf 'deployment=%s\nhash=%s\ncreated=%s\n%s' "$d" "$h" "$_now" \
	    "${port:+port=$port$NL}" >"$KUBE/$ns/pod/$pod"
	# skiff run -d prints the id, and nothing on stderr when it works.
	if ! out=$(skiff "$@" 2>&1); then
		warn "deployment $d: starting a pod: $out"
		rm -f "$KUBE/$ns/pod/$pod"
		return 1
	fi
	id=${out##*"$NL"}
	echo "container=$id" >>"$KUBE/$ns/pod/$pod"
	echo "$pod"
}

delete_pod() {
	skiff rm -f "$(pod_container "$1" "$2")" >/dev/null 2>&1
	rm -f "$KUBE/$1/pod/$2"
}

# Kubernetes quantities to docker's: 128Mi -> 128m, 1Gi -> 1g, 500m cpu -> 0.5.
k8s_mem() {
	case $1 in
	*Ki) echo "${1%Ki}k" ;; *Mi) echo "${1%Mi}m" ;; *Gi) echo "${1%Gi}g" ;;
	*K|*k) echo "$(( ${1%?} * 1000 ))" ;; *M) echo "$(( ${1%M} * 1000000 ))" ;;
	*G) echo "$(( ${1%G} * 1000000000 ))" ;; *) echo "$1" ;;
	esac
}
k8s_cpu() {
	case $1 in
	*m) awk -v m="${1%m}" 'BEGIN { printf "%g", m / 1000 }' ;;
	*) echo "$1" ;;
	esac
}

# ---- reconcile -------------------------------------------------------------

# One reconciler at a time (the controller, apply, scale, delete): a lock
# file made with noclobber (O_EXCL) holding the owner's pid; a dead
# owner's lock is taken over.
lock() {
	local i o
	[ -d "$KRUN" ] || mkdir -p "$KRUN"
	# The lock of an older skiff was a directory.
	[ ! -d "$KRUN/lock" ] || rm -rf "$KRUN/lock"
	i=0
	until (set -C; echo $$ >"$KRUN/lock") 2>/dev/null; do
		o=""
		read -r o <"$KRUN/lock" 2>/dev/null || :
		if [ -n "$o" ] && ! kill -0 "$o" 2>/dev/null; then
			rm -f "$KRUN/lock"
			continue
		fi
		i=$((i + 1))
		[ $i -lt 1200 ] || die 1 "another skiff (pid ${o:-?}) holds $KRUN/lock"
		sleep 0.05
	done
}
unlock() { rm -f "$KRUN/lock"; }

reconcile_all() {
	lock
	reconcile_all_locked
	unlock
}

reconcile_all_locked() {
	local ns f p d n
	# Objects may have changed since the last pass (the controller).
	obj_forget
	[ -d "$KRUN" ] || mkdir -p "$KRUN"
	for p in "$KRUN"/apply.*; do
		[ -d "$p" ] || continue
		kill -0 "${p##*.}" 2>/dev/null || rm -rf "$p"
	done
	for n in "$KUBE"/*; do
		[ -d "$n" ] || continue
		ns=${n##*/}
		# The network first: pods started side by side would each
		# make it, and the DNS server's address goes into them.
		ensure_network_services
		for f in "$KUBE/$ns"/deployment/*; do
			[ -f "$f" ] || continue
			case $f in *.meta|*.tmp|*.tmp.*) continue ;; esac
			reconcile_deployment "$ns" "${f##*/}"
		done
		# Pods of deployments that are gone.
		for p in "$KUBE/$ns"/pod/*; do
			[ -f "$p" ] || continue
			kv "$p" deployment
			[ -f "$KUBE/$ns/deployment/$_v" ] || delete_pod "$ns" "${p##*/}"
		done
		for f in "$KUBE/$ns"/service/*; do
			[ -f "$f" ] || continue
			case $f in *.meta|*.tmp|*.tmp.*) continue ;; esac
			reconcile_service "$ns" "${f##*/}"
		done
	done
	stop_orphan_proxies
}

# Replicas: dead ones replaced, the count kept, an old template rolled one
# pod at a time: a new pod first (maxSurge 1), an old one removed only when
# the new one is ready (maxUnavailable 0).
reconcile_deployment() {
	local ns d f want over h new old nnew nold p pn np pids
	ns=$1 d=$2 f=$KUBE/$1/deployment/$2
	fieldv "$f" spec/replicas; want=${_v:-1}
	kv "$f.meta" replicas; over=$_v
	[ -n "$over" ] && want=$over
	hashv "$f"; h=$_h
	new="" old="" nnew=0 nold=0
	for p in "$KUBE/$ns"/pod/"$d"-*; do
		[ -f "$p" ] || continue
		kv "$p" deployment
		[ "$_v" = "$d" ] || continue
		pn=${p##*/}
		pod_state "$ns" "$pn"
		if [ "$pstatus" = Failed ] || [ "$pstatus" = Unknown ]; then
			delete_pod "$ns" "$pn"
			continue
		fi
		kv "$p" hash
		if [ "$_v" = "$h" ]; then
			new="$new $pn"; nnew=$((nnew + 1))
		else
			old="$old $pn"; nold=$((nold + 1))
		fi
	done
	if [ $nold -eq 0 ]; then
		# Missing replicas start side by side: each is its own container.
		# (Wait for those only: svc-dns and lb-proxy are children too.)
		pids=""
		dns_ipv
		while [ $nnew -lt "$want" ]; do
			start_pod "$ns" "$d" >/dev/null &
			pids="$pids $!"
			nnew=$((nnew + 1))
		done
		[ -z "$pids" ] || wait $pids
		for pn in $new; do
			[ $nnew -gt "$want" ] || break
			delete_pod "$ns" "$pn"
			nnew=$((nnew - 1))
		done
		return 0
	fi
	# A rolling update: the controller's job, so that apply returns at once.
	[ -z "${NO_ROLL:-}" ] || return 0
	for pn in $old; do
		if [ $nnew -lt "$want" ]; then
			np=$(start_pod "$ns" "$d") || return 0
			wait_ready "$ns" "$np" || { warn "deployment $d: pod $np did not become ready"; return 0; }
			update_endpoints "$ns"
			nnew=$((nnew + 1))
		fi
		delete_pod "$ns" "$pn"
		update_endpoints "$ns"
	done
}

wait_ready() {
	local i
	i=0
	while [ $i -lt 150 ]; do
		pod_ready "$1" "$2" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

# The address of the cluster DNS: the network's gateway (_dns, asked of
# net-bridge once a process).
_dns=""
dns_ipv() {
	[ -n "$_dns" ] && return 0
	_dns=$(net-bridge inspect "$NETWORK" 2>/dev/null | sed -n 's/^gateway=//p' | head -1)
}
dns_ip() { dns_ipv; echo "$_dns"; }

# Once per network: the ClusterIP range routed to this host (so lb-proxy can
# bind any address in it) and svc-dns serving cluster.local on the gateway.
ensure_network_services() {
	local gw
	[ -d "$KRUN/dns" ] || mkdir -p "$KRUN/dns"
	# Done once; the marker goes with $SKIFF_RUN (a reboot).
	if [ ! -f "$KRUN/network-ready" ]; then
		net-bridge create "$NETWORK" >/dev/null 2>&1 || true
		ip route show table local 2>/dev/null | grep -q "^local $CIDR_SVC" ||
		    ip route replace local "$CIDR_SVC" dev lo table local 2>/dev/null ||
		    warn "cannot route $CIDR_SVC to this host (is ip(8) installed?)"
		: >"$KRUN/network-ready"
	fi
	if ! alive_pidfile "$KRUN/svc-dns.pid"; then
		dns_ipv; gw=$_dns
		[ -n "$gw" ] || { warn "network $NETWORK has no gateway: no cluster DNS"; return 0; }
		setsid svc-dns --listen "$gw:53" --zone "$KRUN/dns" --domain "$DOMAIN" \
		    </dev/null >>"$KRUN/svc-dns.log" 2>&1 &
		echo $! >"$KRUN/svc-dns.pid"
		# What `skiff run` gives containers on this network.
		printf 'nameserver %s\nsearch default.svc.%s svc.%s %s\noptions ndots:5\n' \
		    "$gw" "$DOMAIN" "$DOMAIN" "$DOMAIN" >"$KRUN/resolv.conf"
		echo "$NETWORK" >"$KRUN/network"
	fi
}

# alive_pidfile FILE: the pid in FILE runs (read without a fork).
alive_pidfile() {
	local p
	[ -f "$1" ] && read -r p <"$1" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null
}

# hup_pidfile FILE: SIGHUP to the pid in FILE.
hup_pidfile() {
	local p
	[ -f "$1" ] && read -r p <"$1" && [ -n "$p" ] && kill -HUP "$p" 2>/dev/null
}

# same_file FILE TEXT: FILE holds exactly TEXT (read by the shell).
same_file() {
	local t l
	[ -f "$1" ] || return 1
	t=""
	while IFS= read -r l || [ -n "$l" ]; do t="$t$l$NL"; done <"$1"
	[ "$t" = "$2" ]
}

# put_file FILE TEXT: FILE replaced by TEXT when it differs; true when
# it changed.
put_file() {
	same_file "$1" "$2" && return 1
	printf '%s' "$2" >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# update_endpoints NS: every Service's backends from the ready pods.
update_endpoints() {
	local f
	for f in "$KUBE/$1"/service/*; do
		[ -f "$f" ] || continue
		case $f in *.meta|*.tmp|*.tmp.*) continue ;; esac
		write_endpoints "$1" "${f##*/}"
	done
}

# The pods a Service selects: "POD IP" lines of ready ones.
selected() {
	local ns f sel p pn id match k v labels
	ns=$1 f=$KUBE/$1/service/$2
	sel=$(under "$f" spec/selector)
	[ -n "$sel" ] || return 0
	for p in "$KUBE/$ns"/pod/*; do
		[ -f "$p" ] || continue
		pn=${p##*/}
		pod_idv "$ns" "$pn"; id=$_id
		[ -n "$id" ] && [ -f "$CT/$id/labels" ] || continue
		labels=$NL
		while IFS= read -r v || [ -n "$v" ]; do labels="$labels$v$NL"; done <"$CT/$id/labels"
		match=1
		while IFS="$TAB" read -r k v; do
			case $labels in
			*"${NL}Label_$k=$(printf '%b' "$v")$NL"*) ;;
			*) match=0; break ;;
			esac
		done <<EOF
$sel
EOF
		[ $match = 1 ] || continue
		pod_ready "$ns" "$pn" && echo "$pn $pip"
	done
}

write_endpoints() {
	local ns s f dir i n tp pods out pn ip
	ns=$1 s=$2 f=$KUBE/$1/service/$2
	dir=$KRUN/svc/$ns/$s
	[ -d "$dir" ] || mkdir -p "$dir"
	pods=$(selected "$ns" "$s")
	put_file "$dir/pods" "${pods:+$pods$NL}" || :
	obj_load "$f"
	countv "$f" spec/ports
	i=0 n=$_c
	while [ $i -lt "$n" ]; do
		fieldv "$f" spec/ports/$i/targetPort; tp=$_v
		[ -n "$tp" ] || { fieldv "$f" spec/ports/$i/port; tp=$_v; }
		case $tp in *[!0-9]*) tp=$(named_port "$ns" "$tp") ;; esac
		out=""
		while read -r pn ip; do
			[ -n "$ip" ] && out="$out$ip:$tp$NL"
		done <<EOF
$pods
EOF
		# lb-proxy re-reads on change; SIGHUP makes it certain.
		put_file "$dir/backends.$i" "$out" && hup_pidfile "$dir/proxy.$i.pid"
		i=$((i + 1))
	done
}

# A targetPort given by name: the containerPort of that name in a pod.
named_port() {
	local d
	for d in "$KUBE/$1"/deployment/*; do
		[ -f "$d" ] || continue
		case $d in *.meta|*.tmp) continue ;; esac
		awk -F "$TAB" -v n="$2" '
		    $1 ~ /^spec\/template\/spec\/containers\/0\/ports\/[0-9]+\/name$/ && $3 == n { split($1, a, "/"); want = a[6] }
		    $1 ~ /^spec\/template\/spec\/containers\/0\/ports\/[0-9]+\/containerPort$/ { split($1, a, "/"); port[a[6]] = $3 }
		    END { if (want != "") print port[want] }' "$d"
	done | head -1
}

reconcile_service() {
	local ns s f ip dir type i n p np
	ns=$1 s=$2 f=$KUBE/$1/service/$2
	kv "$f.meta" clusterip; ip=$_v
	write_endpoints "$ns" "$s"
	dir=$KRUN/svc/$ns/$s
	obj_load "$f"
	fieldv "$f" spec/type; type=$_v
	countv "$f" spec/ports
	i=0 n=$_c
	while [ $i -lt "$n" ]; do
		fieldv "$f" spec/ports/$i/port; p=$_v
		if ! alive_pidfile "$dir/proxy.$i.pid"; then
			set -- --listen "$ip:$p"
			if [ "$type" = NodePort ]; then
				fieldv "$f" spec/ports/$i/nodePort; np=$_v
				[ -n "$np" ] || { kv "$f.meta" "nodeport.$i"; np=$_v; }
				if [ -z "$np" ]; then
					randhex
					np=$((30000 + 0x${_r%"${_r#????}"} % 2768))
					echo "nodeport.$i=$np" >>"$f.meta"
				fi
				set -- "$@" --listen "0.0.0.0:$np"
			fi
			# A new backend is taken as up; a dead one is out at the first
			# refused connect (the client is retried on another), and the
			# checks, a second apart, bring it back: a faster interval
			# would only be a steady stream of connections to every pod.
			setsid lb-proxy "$@" --backends "$dir/backends.$i" --health tcp \
			    --health-interval 1s --connect-timeout 1s </dev/null >>"$dir/proxy.$i.log" 2>&1 &
			echo $! >"$dir/proxy.$i.pid"
		fi
		i=$((i + 1))
	done
	write_zone "$ns" "$s" "$ip"
}

# The Kubernetes DNS schema for one Service, as svc-dns reads it.
write_zone() {
	local ns s ip f z i n pn p a b c d out
	ns=$1 s=$2 ip=$3 f=$KUBE/$1/service/$2
	z=$KRUN/dns/$ns.$s.zone
	obj_load "$f"
	out="\$ORIGIN $DOMAIN.$NL$s.$ns.svc 5 IN A $ip$NL"
	countv "$f" spec/ports
	i=0 n=$_c
	while [ $i -lt "$n" ]; do
		fieldv "$f" spec/ports/$i/port; p=$_v
		fieldv "$f" spec/ports/$i/name; pn=${_v:-$p}
		out="${out}_$pn._tcp.$s.$ns.svc 5 IN SRV 0 100 $p $s.$ns.svc.$DOMAIN.$NL"
		i=$((i + 1))
	done
	IFS=. read -r a b c d <<EOF
$ip
EOF
	out="$out$d.$c.$b.$a.in-addr.arpa. 5 IN PTR $s.$ns.svc.$DOMAIN.$NL"
	put_file "$z" "$out" || :
}

# Proxies and zones of Services that no longer exist.
stop_orphan_proxies() {
	local dir s ns pf
	for dir in "$KRUN"/svc/*/*; do
		[ -d "$dir" ] || continue
		s=${dir##*/}; ns=${dir%/*}; ns=${ns##*/}
		[ -f "$KUBE/$ns/service/$s" ] && continue
		for pf in "$dir"/proxy.*.pid; do
			[ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
		done
		rm -rf "$dir" "$KRUN/dns/$ns.$s.zone"
	done
}

# ---- the controller ----------------------------------------------------------

ensure_controller() {
	# A running controller is told to make quick passes again.
	if alive_pidfile "$KRUN/controller.pid"; then
		: >"$KRUN/kick"
		return 0
	fi
	setsid "$0" __controller </dev/null >>"$KRUN/controller.log" 2>&1 &
	echo $! >"$KRUN/controller.pid"
}

# Every second: replicas replaced, endpoints current. It leaves, stopping
# the DNS server, when no object is left.
cmd___controller() {
	local n
	n=0
	while [ -n "$(objects)" ]; do
		reconcile_all
		# Quick passes for the first seconds after a change (a pod
		# starting becomes an endpoint within 100 ms), then every second.
		if [ -f "$KRUN/kick" ]; then rm -f "$KRUN/kick"; n=0; fi
		if [ $n -lt 30 ]; then sleep 0.1; n=$((n + 1)); else sleep 1; fi
	done
	[ -f "$KRUN/svc-dns.pid" ] && kill "$(cat "$KRUN/svc-dns.pid")" 2>/dev/null
	rm -f "$KRUN/svc-dns.pid" "$KRUN/controller.pid"
}

# ---- get, describe, scale, delete, rollout --------------------------------------

# kind NAME: the canonical kind of what kubectl accepts.
kind_of() {
	case $1 in
	deployment|deployments|deploy|deployment.apps) echo deployment ;;
	service|services|svc) echo service ;;
	pod|pods|po) echo pod ;;
	endpoints|ep) echo endpoints ;;
	node|nodes|no) echo node ;;
	*) return 1 ;;
	esac
}

labels_match() {
	# labels_match FILE SELECTOR: every k=v of the selector is a label.
	[ -z "$2" ] && return 0
	echo "$2" | tr ',' '\n' | while IFS= read -r kv; do
		grep -qxF "Label_$kv" "$1" 2>/dev/null || exit 1
	done
}

cmd_get() {
	kind="" name="" out="" sel="" allns=0 ns=default
	while [ $# -gt 0 ]; do
		case $1 in
		-o) out=$2; shift ;; -o*) out=${1#-o} ;; --output=*) out=${1#*=} ;;
		-l) sel=$2; shift ;; -l*) sel=${1#-l} ;; --selector=*) sel=${1#*=} ;;
		-A|--all-namespaces) allns=1 ;;
		-n|--namespace) ns=$2; shift ;; --namespace=*) ns=${1#*=} ;;
		*/*) kind=$(kind_of "${1%%/*}") || die 1 "get: unknown resource type ${1%%/*}"; name=${1#*/} ;;
		-*) die 2 "get: $1: unknown option" ;;
		*) if [ -z "$kind" ]; then
			# "deployments,services" lists several kinds.
			case $1 in *,*) for k in $(echo "$1" | tr , ' '); do cmd_get "$k" ${out:+-o "$out"}; done; return ;; esac
			kind=$(kind_of "$1") || die 1 "get: unknown resource type $1"
		   else name=$1; fi ;;
		esac
		shift
	done
	[ -n "$kind" ] || die 2 "usage: skiff get deployments|pods|services|endpoints|nodes [NAME] [-o wide|yaml|json] [-l k=v]"
	case $kind in
	node) get_nodes "$out"; return ;;
	esac
	[ "$out" = yaml ] || [ "$out" = json ] && { get_raw "$kind" "$name" "$out" "$ns"; return; }
	nslist=$ns
	[ $allns = 1 ] && nslist=$(ls "$KUBE" 2>/dev/null | grep -v '^\.')
	first=1 found=0
	for n in $nslist; do
		for line in $(list_names "$kind" "$n"); do
			[ -z "$name" ] || [ "$line" = "$name" ] || continue
			row=$(get_row "$kind" "$n" "$line" "$out" "$sel") || continue
			if [ $first = 1 ]; then get_header "$kind" "$out" $allns; first=0; fi
			[ $allns = 1 ] && printf '%-12s ' "$n"
			echo "$row"
			found=1
		done
	done
	if [ $found = 0 ]; then
		[ -n "$name" ] && die 1 "$kind \"$name\" not found"
		echo "No resources found in $ns namespace." >&2
	fi
	return 0
}

list_names() {
	local d f
	case $1 in
	endpoints) d=service ;; *) d=$1 ;;
	esac
	for f in "$KUBE/$2/$d"/*; do
		[ -f "$f" ] || continue
		case $f in *.meta|*.tmp|*.tmp.*) continue ;; esac
		echo "${f##*/}"
	done
}

get_header() {
	[ "$3" = 1 ] && printf '%-12s ' NAMESPACE
	case $1 in
	deployment) printf '%-32s %-7s %-10s %-9s %s' NAME READY UP-TO-DATE AVAILABLE AGE
		[ "$2" = wide ] && printf '   %-12s %-24s %s' CONTAINERS IMAGES SELECTOR
		echo ;;
	pod) printf '%-40s %-7s %-9s %-8s %s' NAME READY STATUS RESTARTS AGE
		[ "$2" = wide ] && printf '   %-15s %s' IP NODE
		echo ;;
	service) printf '%-24s %-10s %-15s %-12s %-16s %s' NAME TYPE CLUSTER-IP EXTERNAL-IP 'PORT(S)' AGE
		[ "$2" = wide ] && printf '   %s' SELECTOR
		echo ;;
	endpoints) printf '%-24s %-48s %s\n' NAME ENDPOINTS AGE ;;
	esac
}

get_row() {
	local kind ns n out sel f tmpl want over h ready upd total p id r ip type ports i c np eps
	kind=$1 ns=$2 n=$3 out=$4 sel=$5
	case $kind in
	deployment)
		f=$KUBE/$ns/deployment/$n
		obj_load "$f"
		if [ -n "$sel" ]; then
			tmpl=$(mktemp); under "$f" spec/template/metadata/labels | sed 's/\t/=/; s/^/Label_/' >"$tmpl"
			labels_match "$tmpl" "$sel" || { rm -f "$tmpl"; return 1; }; rm -f "$tmpl"
		fi
		fieldv "$f" spec/replicas; want=${_v:-1}
		kv "$f.meta" replicas; over=$_v; [ -n "$over" ] && want=$over
		hashv "$f"; h=$_h ready=0 upd=0 total=0
		for p in "$KUBE/$ns"/pod/"$n"-*; do
			[ -f "$p" ] || continue
			kv "$p" deployment
			[ "$_v" = "$n" ] || continue
			total=$((total + 1))
			kv "$p" hash
			[ "$_v" = "$h" ] && upd=$((upd + 1))
			pod_ready "$ns" "${p##*/}" && ready=$((ready + 1))
		done
		kv "$f.meta" created
		printf '%-32s %-7s %-10s %-9s %s' "$n" "$ready/$want" "$upd" "$ready" "$(age "$_v")"
		[ "$out" = wide ] && printf '   %-12s %-24s %s' "$(field "$f" spec/template/spec/containers/0/name)" \
		    "$(field "$f" spec/template/spec/containers/0/image)" "$(under "$f" spec/selector/matchLabels | tr '\t' = | paste -sd, -)"
		echo ;;
	pod)
		pod_idv "$ns" "$n"; id=$_id
		labels_match "$CT/$id/labels" "$sel" || return 1
		pod_state "$ns" "$n"
		r=0; [ "$pstatus" = Running ] && pod_ready "$ns" "$n" && r=1
		kv "$KUBE/$ns/pod/$n" created
		printf '%-40s %-7s %-9s %-8s %s' "$n" "$r/1" "$pstatus" "$prestarts" "$(age "$_v")"
		[ "$out" = wide ] && printf '   %-15s %s' "${pip:-<none>}" "$(hostname)"
		echo ;;
	service)
		f=$KUBE/$ns/service/$n
		obj_load "$f"
		kv "$f.meta" clusterip; ip=$_v
		fieldv "$f" spec/type; type=${_v:-ClusterIP}
		ports="" i=0 c=$(count "$f" spec/ports)
		while [ $i -lt "$c" ]; do
			p=$(field "$f" spec/ports/$i/port)
			np=""; [ "$type" = NodePort ] && { np=$(field "$f" spec/ports/$i/nodePort); np=${np:-$(meta "$ns" service "$n" | sed -n "s/^nodeport.$i=//p")}; }
			ports="$ports${ports:+,}$p${np:+:$np}/TCP"
			i=$((i + 1))
		done
		printf '%-24s %-10s %-15s %-12s %-16s %s' "$n" "$type" "$ip" '<none>' "$ports" "$(age "$(meta "$ns" service "$n" | sed -n 's/^created=//p')")"
		[ "$out" = wide ] && printf '   %s' "$(under "$f" spec/selector | tr '\t' = | paste -sd, -)"
		echo ;;
	endpoints)
		eps=$(cat "$KRUN/svc/$ns/$n"/backends.* 2>/dev/null | paste -sd, -)
		printf '%-24s %-48s %s\n' "$n" "${eps:-<none>}" "$(age "$(meta "$ns" service "$n" | sed -n 's/^created=//p')")" ;;
	esac
}

# -o yaml|json: the stored object, rebuilt from its flat form.
get_raw() {
	local kind name out ns n
	kind=$1 name=$2 out=$3 ns=$4
	[ "$kind" = pod ] || [ "$kind" = endpoints ] && die 1 "get $kind -o $out is not supported"
	for n in $(list_names "$kind" "$ns"); do
		[ -z "$name" ] || [ "$n" = "$name" ] || continue
		[ "$out" = yaml ] && echo ---
		awk -F "$TAB" -v fmt="$out" '
		    function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
		    { print (fmt == "json" ? "{\"path\": \"" esc($1) "\", \"value\": \"" esc($3) "\"}" : $1 ": " $3) }' \
		    "$KUBE/$ns/$kind/$n"
	done
}

get_nodes() {
	r=Ready; skiff-check -q >/dev/null 2>&1 || r=NotReady
	printf '%-16s %-9s %-14s %-6s %s' NAME STATUS ROLES AGE VERSION
	[ "$1" = wide ] && printf '   %-15s %-24s %s' INTERNAL-IP KERNEL-VERSION CGROUP
	echo
	up=$(awk '{ print int($1) }' /proc/uptime)
	printf '%-16s %-9s %-14s %-6s %s' "$(hostname)" "$r" control-plane "$(age $(( $(now) - up )))" "skiff-$VERSION"
	if [ "$1" = wide ]; then
		gw=$(dns_ip)
		layout=v1; [ -f /sys/fs/cgroup/cgroup.controllers ] && layout=v2
		[ -f /sys/fs/cgroup/unified/cgroup.controllers ] && layout=hybrid
		printf '   %-15s %-24s %s' "${gw:-<none>}" "$(uname -r)" "$layout"
	fi
	echo
}

cmd_scale() {
	target="" n=""
	for a in "$@"; do
		case $a in
		--replicas=*) n=${a#*=} ;;
		deployment/*|deploy/*|deployments/*) target=${a#*/} ;;
		*) die 2 "scale: $a: expected deployment/NAME --replicas=N" ;;
		esac
	done
	[ -n "$target" ] && [ -n "$n" ] || die 2 "usage: skiff scale deployment/NAME --replicas=N"
	case $n in ""|*[!0-9]*) die 1 "scale: --replicas=$n: must be a number" ;; esac
	f=$KUBE/default/deployment/$target
	[ -f "$f" ] || die 1 "deployment \"$target\" not found"
	echo "replicas=$n" >>"$f.meta"
	reconcile_all
	ensure_controller
	echo "deployment.apps/$target scaled"
}

cmd_delete() {
	[ $# -ge 1 ] || die 2 "usage: skiff delete -f FILE | deployment/NAME | service/NAME"
	if [ "$1" = -f ]; then
		[ $# -ge 2 ] || die 2 "delete: -f needs a file"
		flat=$(yaml-flat "$2") || exit 1
		set -- $(printf '%s\n' "$flat" | awk -F "$TAB" '
		    $2 == "kind" { k[$1] = tolower($4) } $2 == "metadata/name" { n[$1] = $4 }
		    END { for (d in k) print k[d] "/" n[d] }')
	fi
	for t in "$@"; do
		k=$(kind_of "${t%%/*}") || die 1 "delete: unknown resource type ${t%%/*}"
		n=${t#*/}
		f=$KUBE/default/$k/$n
		[ -f "$f" ] || { warn "$k \"$n\" not found"; continue; }
		if [ "$k" = service ]; then
			ip=$(sed -n 's/^clusterip=//p' "$f.meta")
			rm -f "$KUBE/.clusterips/$ip"
		fi
		rm -f "$f" "$f.meta"
		label=$k; [ "$k" = deployment ] && label=deployment.apps
		echo "$label \"$n\" deleted"
	done
	reconcile_all
	[ -n "$(objects)" ] || stop_all
}

# With nothing left: the DNS server and the controller go too.
stop_all() {
	for pf in "$KRUN/controller.pid" "$KRUN/svc-dns.pid"; do
		[ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null
		rm -f "$pf"
	done
	rm -f "$KRUN"/dns/*.zone "$KRUN/resolv.conf" "$KRUN/network"
}

cmd_rollout() {
	[ $# -ge 2 ] || die 2 "usage: skiff rollout restart|status deployment/NAME"
	v=$1 n=${2#*/}
	f=$KUBE/default/deployment/$n
	[ -f "$f" ] || die 1 "deployment \"$n\" not found"
	case $v in
	restart)
		# A new annotation changes the template, hence the hash: a roll.
		printf 'spec/template/metadata/annotations/skiff.restartedAt\tp\t%s\n' "$(now)" >"$f.tmp.$$"
		grep -v '^spec/template/metadata/annotations/skiff.restartedAt' "$f" >>"$f.tmp.$$"
		mv "$f.tmp.$$" "$f"
		echo "hash=$(template_hash "$f")" >>"$f.meta"
		obj_forget
		reconcile_all
		echo "deployment.apps/$n restarted" ;;
	status)
		i=0
		while [ $i -lt 300 ]; do
			row=$(get_row deployment default "$n" "" "")
			set -- $row
			[ "${2%/*}" = "${2#*/}" ] && [ "$3" = "${2#*/}" ] && {
				echo "deployment \"$n\" successfully rolled out"; return 0; }
			sleep 0.1; i=$((i + 1))
		done
		die 1 "deployment \"$n\" has not rolled out: $2 ready" ;;
	*) die 2 "rollout: $v: expected restart or status" ;;
	esac
}

cmd_describe() {
	[ $# -ge 1 ] || die 2 "usage: skiff describe deployment/NAME|service/NAME|pod/NAME"
	t=$1; [ $# -ge 2 ] && t=$1/$2
	k=$(kind_of "${t%%/*}") || die 1 "describe: unknown resource type ${t%%/*}"
	n=${t#*/}
	case $k in
	pod)
		[ -f "$KUBE/default/pod/$n" ] || die 1 "pod \"$n\" not found"
		pod_state default "$n"
		echo "Name:         $n"
		echo "Namespace:    default"
		echo "Status:       $pstatus"
		echo "IP:           ${pip:-<none>}"
		echo "Restarts:     $prestarts"
		sed 's/^/Record:       /' "$KUBE/default/pod/$n" ;;
	*)
		f=$KUBE/default/$k/$n
		[ -f "$f" ] || die 1 "$k \"$n\" not found"
		echo "Name:         $n"
		echo "Namespace:    default"
		get_header "$k" "" 0
		get_row "$k" default "$n" "" ""
		[ "$k" = service ] && { echo; get_header endpoints "" 0; get_row endpoints default "$n" "" ""; }
		echo
		echo "Spec:"
		awk -F "$TAB" '{ print "  " $1 ": " $3 }' "$f" ;;
	esac
}

cmd_cluster_info() {
	echo "skiff control plane is running on this machine (no API server: state in $SKIFF_ROOT)"
	gw=$(dns_ip)
	if alive_pidfile "$KRUN/svc-dns.pid"; then
		echo "CoreDNS-equivalent svc-dns is running at $gw:53 (domain $DOMAIN)"
	else
		echo "svc-dns is not running (it starts with the first skiff apply)"
	fi
	echo "Services: ClusterIPs from $CIDR_SVC, served by lb-proxy"
}

cmd_ip() {
	gw=$(dns_ip)
	[ -n "$gw" ] || die 1 "network $NETWORK does not exist yet"
	echo "$gw"
}

verb=${1:-}
[ $# -gt 0 ] && shift
case $verb in
apply) cmd_apply "$@" ;;
get) cmd_get "$@" ;;
scale) cmd_scale "$@" ;;
delete) cmd_delete "$@" ;;
rollout) cmd_rollout "$@" ;;
describe) cmd_describe "$@" ;;
cluster-info) cmd_cluster_info "$@" ;;
ip) cmd_ip "$@" ;;
__controller) cmd___controller "$@" ;;
--version) echo "skiff-kube $VERSION" ;;
*) die 2 "usage: skiff-kube apply|get|scale|delete|rollout|describe|cluster-info|ip ..." ;;
esac
