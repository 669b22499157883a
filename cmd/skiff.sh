#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff: docker's command line, composed from the toolkit's chain-loaders:
# img-unpack -> cg-limit -> net-bridge -> vol-mount -> ns-run. POSIX sh
# (dash, busybox ash); state is plain files under $SKIFF_ROOT.
set -u

VERSION=0.1.0
SKIFF_ROOT=${SKIFF_ROOT:-/var/lib/skiff}
SKIFF_RUN=${SKIFF_RUN:-/run/skiff}
export SKIFF_ROOT SKIFF_RUN
CT=$SKIFF_ROOT/containers
NAMES=$SKIFF_ROOT/names

die() { code=$1; shift; printf 'skiff: %s\n' "$*" >&2; exit "$code"; }
warn() { printf 'skiff: %s\n' "$*" >&2; }

# qset WORD: _q is WORD single-quoted for eval, a ' inside as '\''; the
# shell's own expansions only (a subshell or sed is a fork: milliseconds).
qset() {
	_s=$1 _q=
	while :; do
		case $_s in
		*\'*) _q="$_q${_s%%\'*}'\\''"; _s=${_s#*\'} ;;
		*) _q="'$_q$_s'"; return ;;
		esac
	done
}

# q WORD: WORD single-quoted, printed.
q() { qset "$1"; printf '%s' "$_q"; }

# add VAR WORD...: append quoted words to the list held in VAR.
add() {
	_v=$1; shift
	for _w in "$@"; do
		qset "$_w"
		eval "$_v=\"\${$_v} \$_q\""
	done
}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# uptime_s: _up is the seconds since boot, read without a fork.
uptime_s() { read -r _up _ </proc/uptime; _up=${_up%.*}; }

# setkv FILE KEY VALUE [KEY VALUE]...: set KEY='VALUE' in a key=value
# file, in one write: the shell's own read and printf; an existing file
# replaced atomically by one mv.
setkv() {
	_f=$1; shift
	_out=
	if [ -f "$_f" ]; then
		while IFS= read -r _l; do
			_keep=1
			_i=1
			while [ $_i -le $# ]; do
				eval "_kk=\${$_i}"
				case $_l in "$_kk="*) _keep=0 ;; esac
				_i=$((_i + 2))
			done
			[ $_keep = 0 ] || _out="$_out$_l
"
		done <"$_f"
	fi
	while [ $# -ge 2 ]; do
		qset "$2"
		_out="$_out$1=$_q
"
		shift 2
	done
	# A new file is written in place, in one write; a file others may be
	# reading is replaced whole.
	if [ ! -f "$_f" ]; then
		printf '%s' "$_out" >"$_f"
	else
		printf '%s' "$_out" >"$_f.tmp.$$" && mv -f "$_f.tmp.$$" "$_f"
	fi
}

# A container's directory from an ID, an unambiguous ID prefix or a name.
resolve() {
	_x=$1
	[ -n "$_x" ] || return 1
	if [ -L "$NAMES/$_x" ]; then
		_id=$(readlink "$NAMES/$_x")
		[ -d "$CT/$_id" ] && { echo "$_id"; return 0; }
	fi
	case $_x in *[!0-9a-f]*) return 1 ;; esac
	set -- "$CT/$_x"*
	[ $# -eq 1 ] && [ -d "$1" ] && { echo "${1##*/}"; return 0; }
	return 1
}

load() {
	# A full id (what the supervisor and gc pass) needs no lookup.
	if [ ${#1} -eq 64 ] && [ -d "$CT/$1" ]; then
		_id=$1
	else
		_id=$(resolve "$1") || die 1 "no such container: $1"
	fi
	C=$CT/$_id
	# shellcheck disable=SC1091
	. "$C/config"
	[ -f "$C/state" ] && . "$C/state"
	: "${Status:=created}" "${Pid:=}" "${PidStart:=}" "${ExitCode:=}" "${StartedAt:=}" "${FinishedAt:=}"
}

# The kernel's start time of a process (clock ticks since boot) into _st:
# with the pid it names one process, never a recycled pid.
starttime() {
	_st="" _stat=""
	read -r _stat <"/proc/$1/stat" 2>/dev/null || return 0
	# Field 22; the command name (field 2) may hold spaces, so count
	# from after its closing parenthesis.
	set -- ${_stat##*) }
	shift 19
	_st=${1:-}
}

# alive PID: the process runs and is the one recorded.
alive() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	[ -z "${PidStart:-}" ] && return 0
	starttime "$1"
	[ "$_st" = "$PidStart" ]
}

# The state a container is really in: a "running" whose process is gone
# (killed, or $SKIFF_RUN wiped by a reboot) is exited.
status_of() {
	if [ "$Status" = running ] && ! alive "$Pid"; then
		Status=exited
		[ -n "$ExitCode" ] || ExitCode=255
	fi
	echo "$Status"
}

# ---- run -----------------------------------------------------------------

# resolv_lines KEY FILE: FILE's lines starting with KEY, less the loopback
# name servers of the host's own file (a container cannot reach them).
resolv_lines() {
	[ -r "$2" ] || return 0
	while IFS= read -r _l || [ -n "$_l" ]; do
		case $1:$_l in
		"nameserver:nameserver 127."*) [ "$2" = /etc/resolv.conf ] || printf '%s\n' "$_l" ;;
		"$1:$1"[\ \	]*) printf '%s\n' "$_l" ;;
		esac
	done <"$2"
}

usage_run() {
	cat <<'EOF'
usage: skiff run [-d] [--rm] [--name N] [-p [IP:]HP:CP[/udp]] [-v SRC:DST[:ro] | -v NAME:DST]
       [--tmpfs DST] [-e K=V] [--env-file F] [-w DIR] [-u USER] [-m MEM] [--cpus N]
       [--pids-limit N] [--network NAME|none|host] [--hostname H] [--read-only]
       [--cap-add C] [--cap-drop C] [--entrypoint X] [--restart no|on-failure[:N]|always]
       [-i] [-t] IMAGE [CMD...]
EOF
}

# Options that take a value; "--opt=value" and "-o value" forms both work.
needs_value() {
	case $1 in
	--name|-p|--publish|-v|--volume|--tmpfs|-e|--env|--env-file|-w|--workdir|\
	-u|--user|-m|--memory|--cpus|--pids-limit|--network|--net|-h|--hostname|\
	--cap-add|--cap-drop|--entrypoint|--restart|--memory-swap|--ip|-l|--label|\
	--dns|--dns-search|--dns-option) return 0 ;;
	esac
	return 1
}

cmd_run() {
	detach=0 rm=0 name="" tty=0 interactive=0 readonly=0 restart=no
	entrypoint="" entrypoint_set=0 network=skiff0 hostname="" workdir="" user=""
	cg="" nb="" vm="" ns="" envs="" ports="" volumes="" labels="" dns="" search="" dnsopt=""
	while [ $# -gt 0 ]; do
		opt=$1 val=""
		case $opt in
		--) shift; break ;;
		--*=*) val=${opt#*=}; opt=${opt%%=*} ;;
		-[a-zA-Z][!-]*)
			# bundled short flags: -it, -dit, -p8080:80
			rest=${opt#??} first=${opt%"${opt#??}"}
			if needs_value "$first"; then
				opt=$first val=$rest
			else
				shift
				set -- "$first" $(printf '%s' "$rest" | sed 's/./-& /g') "$@"
				continue
			fi ;;
		-*) if needs_value "$opt"; then
				[ $# -ge 2 ] || die 125 "$opt: needs an argument"
				val=$2; shift
			fi ;;
		*) break ;;
		esac
		shift
		case $opt in
		-d|--detach) detach=1 ;;
		--rm) rm=1 ;;
		-i|--interactive) interactive=1 ;;
		-t|--tty) tty=1 ;;
		--read-only) readonly=1 ;;
		--name)
			case $val in
			""|*[!a-zA-Z0-9_.-]*|[!a-zA-Z0-9]*) die 125 "--name $val: must match [a-zA-Z0-9][a-zA-Z0-9_.-]*" ;;
			esac
			name=$val ;;
		-p|--publish) add ports "$val" ;;
		-v|--volume)
			case $val in
			/*) add volumes "bind:$val" ;;
			*:*) add volumes "named:$val" ;;
			*) die 125 "-v $val: expected SRC:DST[:ro] or NAME:DST" ;;
			esac ;;
		--tmpfs) add vm --tmpfs "$val" ;;
		-e|--env)
			case $val in
			*=*) add envs "$val" ;;
			*) eval "_e=\${$val-}"; [ -n "${_e+x}" ] && add envs "$val=$_e" ;;
			esac ;;
		--env-file)
			[ -r "$val" ] || die 125 "--env-file $val: cannot read"
			while IFS= read -r line || [ -n "$line" ]; do
				case $line in ''|'#'*) continue ;; *=*) add envs "$line" ;; esac
			done <"$val" ;;
		-w|--workdir) workdir=$val ;;
		-u|--user) user=$val ;;
		-m|--memory) add cg --memory "$val" ;;
		--memory-swap) add cg --memory-swap "$val" ;;
		--cpus) add cg --cpus "$val" ;;
		--pids-limit) add cg --pids "$val" ;;
		--network|--net) network=$val ;;
		--ip) add nb --ip "$val" ;;
		-l|--label)
			case $val in
			[a-zA-Z0-9]*=*) labels="$labels$(printf 'Label_%s\n' "$val")
" ;;
			*) die 125 "--label $val: expected KEY=VALUE" ;;
			esac ;;
		--dns) dns="$dns$(printf 'nameserver %s' "$val")
" ;;
		--dns-search) search="$search $val" ;;
		--dns-option) dnsopt="$dnsopt $val" ;;
		-h|--hostname) hostname=$val ;;
		--cap-add) add ns --cap-add "$val" ;;
		--cap-drop) add ns --cap-drop "$val" ;;
		--entrypoint) entrypoint=$val entrypoint_set=1 ;;
		--restart)
			case $val in
			no|always|unless-stopped|on-failure|on-failure:[0-9]*) restart=$val ;;
			*) die 125 "--restart $val: expected no, always or on-failure[:N]" ;;
			esac ;;
		--help) usage_run; exit 0 ;;
		*) die 125 "run: $opt: unknown option (see skiff run --help)" ;;
		esac
	done
	[ $# -ge 1 ] || { usage_run >&2; exit 125; }
	image=$1; shift
	[ "$rm" = 1 ] && [ "$restart" != no ] && die 125 "--rm and --restart cannot be used together"

	# The container's id, name and directories first: img-unpack's errors
	# then go to a file among them (skiff-state: one static program where
	# mkdir, ln and rm each took milliseconds).
	# On success it prints one line and nothing on stderr.
	state=$(skiff-state new ${name:+--name "$name"} --base "$image" 2>&1) ||
	    die 125 "${state#skiff-state: }"
	id=${state%% *} state=${state#* }
	name=${state%% *} created=${state#* }
	short=${id%"${id#????????????}"}
	# State to keep in $SKIFF_ROOT; what only lives while the container
	# runs (the files bound into it, its mount point) in $SKIFF_RUN.
	C=$CT/$id RD=$SKIFF_RUN/containers/$id

	# The image: its layers unpacked once into the store, its config and
	# the lower dirs in one call.
	Entrypoint="" Cmd="" Env="" WorkingDir="" User="" Lower=""
	if ! _cfg=$(img-unpack --with-config "$image" 2>"$RD/err"); then
		read -r msg <"$RD/err" || :
		cleanup_created
		die 125 "image $image: ${msg#img-unpack: }"
	fi
	[ -s "$RD/err" ] && cat "$RD/err" >&2
	eval "$_cfg" || { cleanup_created; die 125 "image $image: unreadable config"; }
	lower=$Lower

	# What to run, by docker's rules: --entrypoint replaces the image's
	# Entrypoint and drops its Cmd; arguments replace Cmd.
	if [ $entrypoint_set = 1 ]; then
		ep="" defcmd=""
		[ -n "$entrypoint" ] && add ep "$entrypoint"
	else
		ep=$Entrypoint defcmd=$Cmd
	fi
	if [ $# -gt 0 ]; then
		cmd=""
		for a in "$@"; do add cmd "$a"; done
	else
		cmd=$defcmd
	fi
	argv="$ep $cmd"
	eval "set -- $argv"
	[ $# -gt 0 ] || { cleanup_created; die 125 "image $image: no command given and none in the image"; }
	[ -n "$hostname" ] || hostname=$short

	# The files docker binds into every container.
	printf '%s\n' "$hostname" >"$RD/hostname"
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$RD/hosts"
	# The host's resolver, less loopback servers a container cannot reach;
	# --dns, --dns-search and --dns-option as docker takes them.
	{
		# With the cluster DNS running, containers on its network use it.
		cluster=/nonexistent _kn=
		[ -f "$SKIFF_RUN/kube/network" ] && read -r _kn <"$SKIFF_RUN/kube/network"
		[ "$network" = "$_kn" ] && cluster=$SKIFF_RUN/kube/resolv.conf
		[ -f "$cluster" ] || cluster=/etc/resolv.conf
		if [ -n "$dns" ]; then printf '%s' "$dns"
		else resolv_lines nameserver "$cluster"
		fi
		if [ -n "$search" ]; then echo "search$search"
		else resolv_lines search "$cluster"
		fi
		if [ -n "$dnsopt" ]; then echo "options$dnsopt"
		elif [ "$cluster" != /etc/resolv.conf ]; then resolv_lines options "$cluster"
		fi
	} >"$RD/resolv.conf"
	[ -z "$labels" ] || printf '%s' "$labels" >"$C/labels"

	# The chain, link by link.
	chain=""
	add chain cg-limit
	chain="$chain $cg"
	add chain "$id" --
	case $network in
	none) netmode=new ;;
	host)
		# The host's network is the caller's: skiff has no daemon
		# living elsewhere (and PID 1's may not be open to us).
		netmode=inherit
		[ -n "$ports" ] && warn "published ports are ignored with --network host" ;;
	*)
		netmode=inherit
		# Made on first use, like docker's default bridge (a network
		# that exists is not made again: that loads its NAT rules).
		[ -f "$SKIFF_RUN/net/$network/config" ] ||
		net-bridge create "$network" >/dev/null 2>"$RD/err" ||
		    { cleanup_created; die 125 "network $network: $(sed 's/^net-bridge: //' "$RD/err")"; }
		add chain net-bridge --network "$network" --ip-file "$C/ip"
		chain="$chain $nb"
		eval "set -- $ports"
		for p in "$@"; do add chain --publish "$p"; done
		add chain -- ;;
	esac
	root=$RD/rootfs
	add chain vol-mount --root "$root" --lower "$lower" --upper "$C/upper" --work "$C/work"
	chain="$chain $vm"
	add chain --bind "$RD/hostname:/etc/hostname" --bind "$RD/hosts:/etc/hosts" \
	    --bind "$RD/resolv.conf:/etc/resolv.conf"
	eval "set -- $volumes"
	for v in "$@"; do
		case $v in
		bind:*) src=${v#bind:}; src=${src%%:*}
			[ -e "$src" ] || { cleanup_created; die 125 "-v ${v#bind:}: $src: no such file or directory"; }
			add chain --bind "${v#bind:}" ;;
		named:*) add chain --volume "${v#named:}" ;;
		esac
	done
	add chain -- ns-run --rootfs "$root" --net "$netmode" --hostname "$hostname" --clear-env
	chain="$chain $ns"
	[ $readonly = 1 ] && add chain --read-only
	[ $tty = 1 ] && [ $detach = 0 ] && { add chain --tty; interactive=1; }
	eval "set -- $Env"
	for e in "$@"; do add chain --env "$e"; done
	eval "set -- $envs"
	for e in "$@"; do add chain --env "$e"; done
	[ -n "$workdir" ] || workdir=$WorkingDir
	[ -n "$workdir" ] && add chain --workdir "$workdir"
	[ -n "$user" ] || user=$User
	[ -n "$user" ] && add chain --user "$user"
	add chain --
	chain="$chain $argv"

	{
		for _k in Id:id Name:name Image:image Created:created Cmd:argv Hostname:hostname \
		    Ports:ports Network:network Restart:restart Chain:chain; do
			eval "qset \"\${${_k#*:}}\""
			printf '%s=%s\n' "${_k%%:*}" "$_q"
		done
		printf 'AutoRemove=%s\nInteractive=%s\n' "$rm" "$interactive"
	} >"$C/config"

	if [ $detach = 1 ]; then
		: >"$C/log"
		# The supervisor closes its stdout once it has recorded the
		# container running: reading that pipe to its end is the wait,
		# with no polling.
		_ack=$(setsid "$0" __supervise "$id" </dev/null 2>/dev/null &)
		echo "$id"
		return 0
	fi
	run_foreground
}

# Remove what `run` made before the container ever started.
cleanup_created() {
	skiff-state rm "$id"
}

# After a container's chain has exited: its cgroup goes (the kernel has
# already taken its namespaces, mounts and veth with it).
after_exit() {
	cg-limit rm "$Id" >/dev/null 2>&1 || true
	[ ! -e "$C/ip" ] || rm -f "$C/ip"
}

# record_start PID [WHEN [KEY VALUE]...]: Status last, so whoever sees
# "running" also finds the pid.
record_start() {
	_p=$1 _w=${2:-}; shift; [ $# -eq 0 ] || shift
	starttime "$_p"
	[ -n "$_w" ] || _w=$(now)
	setkv "$C/state" "$@" Pid "$_p" PidStart "$_st" StartedAt "$_w" Status running
}

record_exit() {
	setkv "$C/state" Status exited ExitCode "$1" FinishedAt "$(now)"
}

run_foreground() {
	. "$C/config"
	eval "set -- $Chain"
	# A trap with a command, unlike an ignored signal, is not inherited:
	# the chain gets ^C and forwards it into the container.
	trap ':' INT TERM HUP
	# An asynchronous command's stdin is /dev/null unless redirected (and
	# dash ignores "0<&0"): with -i the container reads ours, via fd 3.
	if [ "$Interactive" = 1 ]; then
		exec 3<&0
		"$@" <&3 3<&- &
	else
		"$@" </dev/null &
	fi
	pid=$!
	# Started within milliseconds of its creation: one timestamp for both.
	record_start "$pid" "$Created"
	while :; do
		wait "$pid"
		rc=$?
		kill -0 "$pid" 2>/dev/null || break
	done
	trap - INT TERM HUP
	# With --rm nobody will read the exit status from the state.
	[ "$AutoRemove" = 1 ] || record_exit "$rc"
	after_exit
	if [ "$AutoRemove" = 1 ]; then
		remove_container
	fi
	exit "$rc"
}

# The supervisor of a detached container: its output into the log, the
# restart policy applied, the cgroup removed after each run.
cmd___supervise() {
	load "$1"
	n=0 delay=100 first=$Created
	while :; do
		uptime_s; started=$_up
		eval "set -- $Chain"
		"$@" </dev/null >>"$C/log" 2>&1 &
		pid=$!
		# The first start within milliseconds of the creation: one
		# timestamp for both, and one write of the new state file.
		record_start "$pid" "$first" SupervisorPid "$$"
		first=""
		exec >/dev/null
		wait "$pid"
		rc=$?
		# Removed (rm -f) or stopped while it ran: no restart.
		[ -d "$C" ] || exit 0
		record_exit "$rc"
		after_exit
		[ -f "$C/stopping" ] && break
		case $Restart in
		no) break ;;
		on-failure*)
			[ "$rc" -eq 0 ] && break
			max=${Restart#on-failure}; max=${max#:}
			n=$((n + 1))
			[ -n "$max" ] && [ "$n" -ge "$max" ] && break ;;
		esac
		setkv "$C/state" RestartCount "$((n))"
		# Docker's back-off: 100 ms, doubled after each quick failure,
		# at most a minute; a run of ten seconds or more resets it.
		uptime_s
		if [ $((_up - started)) -ge 10 ]; then delay=100; fi
		sleep "$(awk -v d="$delay" 'BEGIN { printf "%.1f", d / 1000 }')"
		delay=$((delay * 2)); [ $delay -le 60000 ] || delay=60000
		[ -d "$C" ] || exit 0
	done
	rm -f "$C/stopping"
	[ "$AutoRemove" = 1 ] && remove_container
	exit 0
}

remove_container() {
	skiff-state rm "$Id"
}

# `run` and the supervisor go now, before the shell has read the rest of
# this file: dash parses as it goes, and the other verbs are most of it.
case ${1:-} in
run) shift; cmd_run "$@"; exit ;;
__supervise) shift; cmd___supervise "$@"; exit ;;
esac

# ---- the other verbs ------------------------------------------------------

age() {
	t=$(date -d "$1" +%s 2>/dev/null) || { echo "?"; return; }
	d=$(( $(date +%s) - t ))
	if [ $d -lt 60 ]; then echo "$d seconds"
	elif [ $d -lt 3600 ]; then echo "$((d / 60)) minutes"
	elif [ $d -lt 172800 ]; then echo "$((d / 3600)) hours"
	else echo "$((d / 86400)) days"
	fi
}

cmd_ps() {
	all=0 quiet=0
	for a in "$@"; do
		case $a in
		-a|--all) all=1 ;; -q|--quiet) quiet=1 ;; -aq|-qa) all=1 quiet=1 ;;
		*) die 1 "ps: $a: unknown option" ;;
		esac
	done
	[ $quiet = 1 ] || printf '%-12s  %-20s  %-24s  %-14s  %-20s  %-20s  %s\n' \
	    "CONTAINER ID" IMAGE COMMAND CREATED STATUS PORTS NAMES
	[ -d "$CT" ] || return 0
	for d in "$CT"/*/; do
		[ -f "$d/config" ] || continue
		( Status="" Pid="" PidStart="" ExitCode="" StartedAt="" FinishedAt=""
		_d=${d%/}; load "${_d##*/}"
		st=$(status_of)
		[ $all = 1 ] || [ "$st" = running ] || exit 0
		if [ $quiet = 1 ]; then printf '%.12s\n' "$Id"; exit 0; fi
		case $st in
		running) s="Up $(age "$StartedAt")" ;;
		exited) s="Exited ($ExitCode) $(age "${FinishedAt:-$Created}") ago" ;;
		*) s=Created ;;
		esac
		eval "set -- $Cmd"
		printf '%-12.12s  %-20s  %-24s  %-14s  %-20s  %-20s  %s\n' "$Id" \
		    "$Image" "\"$(printf '%s' "$*" | cut -c1-20)\"" "$(age "$Created") ago" "$s" \
		    "$(eval "set -- $Ports"; printf '%s ' "$@")" "$Name" )
	done
}

cmd_logs() {
	follow=0 tail=""
	while [ $# -gt 1 ]; do
		case $1 in
		-f|--follow) follow=1 ;;
		--tail) tail=$2; shift ;;
		--tail=*) tail=${1#*=} ;;
		-n) tail=$2; shift ;;
		*) die 1 "logs: $1: unknown option" ;;
		esac
		shift
	done
	[ $# -eq 1 ] || die 1 "usage: skiff logs [-f] [--tail N] CONTAINER"
	load "$1"
	# Run in the foreground, its output went to the terminal: no log.
	[ -f "$C/log" ] || return 0
	[ "$tail" = all ] && tail=""
	if [ $follow = 1 ]; then
		# Follow until the container has stopped.
		tail -n "${tail:-+1}" -f "$C/log" &
		tp=$!
		while [ "$(Status=; . "$C/state" 2>/dev/null; status_of)" = running ]; do sleep 0.2; done
		sleep 0.2
		kill "$tp" 2>/dev/null
		wait "$tp" 2>/dev/null
	elif [ -n "$tail" ]; then
		tail -n "$tail" "$C/log"
	else
		cat "$C/log"
	fi
}

cmd_stop() {
	t=10
	case ${1:-} in -t|--time) t=$2; shift 2 ;; -t*) t=${1#-t}; shift ;; --time=*) t=${1#*=}; shift ;; esac
	[ $# -ge 1 ] || die 1 "usage: skiff stop [-t SECONDS] CONTAINER..."
	rc=0
	for c in "$@"; do
		( load "$c"
		if [ "$(status_of)" != running ]; then echo "$c"; exit 0; fi
		: >"$C/stopping"
		kill -TERM "$Pid" 2>/dev/null
		i=0
		while alive "$Pid" && [ $i -lt $((t * 10)) ]; do sleep 0.1; i=$((i + 1)); done
		alive "$Pid" && kill -KILL "$Pid" 2>/dev/null
		i=0
		while [ "$(Status=; . "$C/state"; echo "$Status")" = running ] && alive "$Pid" && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		echo "$c" ) || rc=1
	done
	return $rc
}

cmd_kill() {
	sig=KILL
	case ${1:-} in -s|--signal) sig=$2; shift 2 ;; --signal=*) sig=${1#*=}; shift ;; esac
	[ $# -ge 1 ] || die 1 "usage: skiff kill [-s SIGNAL] CONTAINER..."
	for c in "$@"; do
		( load "$c"
		[ "$(status_of)" = running ] || die 1 "container $c is not running"
		[ "$Restart" = no ] || : >"$C/stopping"
		kill -s "${sig#SIG}" "$Pid" || die 1 "kill $c: cannot send $sig"
		echo "$c" ) || return 1
	done
}

cmd_rm() {
	force=0
	case ${1:-} in -f|--force) force=1; shift ;; esac
	[ $# -ge 1 ] || die 1 "usage: skiff rm [-f] CONTAINER..."
	rc=0
	for c in "$@"; do
		( load "$c"
		if [ "$(status_of)" = running ]; then
			[ $force = 1 ] || die 1 "container $c is running: stop it first or use rm -f"
			: >"$C/stopping"
			kill -KILL "$Pid" 2>/dev/null
			i=0; while alive "$Pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
			after_exit
		fi
		remove_container
		echo "$c" ) || rc=1
	done
	return $rc
}

json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  ')"; }
json_list() {
	eval "set -- $1"
	printf '['; _sep=""
	for _w in "$@"; do printf '%s%s' "$_sep" "$(json_str "$_w")"; _sep=", "; done
	printf ']'
}

cmd_inspect() {
	[ $# -ge 1 ] || die 1 "usage: skiff inspect CONTAINER..."
	printf '[\n'
	sep=""
	for c in "$@"; do
		( load "$c"
		st=$(status_of)
		running=false; [ "$st" = running ] && running=true
		ip=$(cat "$C/ip" 2>/dev/null | head -1)
		printf '%s  {\n' "$sep"
		printf '    "Id": %s,\n    "Name": %s,\n    "Image": %s,\n    "Created": %s,\n' \
		    "$(json_str "$Id")" "$(json_str "/$Name")" "$(json_str "$Image")" "$(json_str "$Created")"
		printf '    "State": {"Status": %s, "Running": %s, "Pid": %s, "ExitCode": %s, "StartedAt": %s, "FinishedAt": %s},\n' \
		    "$(json_str "$st")" "$running" "${Pid:-0}" "${ExitCode:-0}" "$(json_str "$StartedAt")" "$(json_str "$FinishedAt")"
		printf '    "Config": {"Hostname": %s, "Cmd": %s},\n' "$(json_str "${Hostname:-}")" "$(json_list "$Cmd")"
		printf '    "HostConfig": {"NetworkMode": %s, "RestartPolicy": {"Name": %s}, "AutoRemove": %s, "PortBindings": %s},\n' \
		    "$(json_str "$Network")" "$(json_str "$Restart")" "$([ "$AutoRemove" = 1 ] && echo true || echo false)" "$(json_list "$Ports")"
		printf '    "NetworkSettings": {"IPAddress": %s}\n  }' "$(json_str "$ip")"
		) || exit 1
		sep=",
"
	done
	printf '\n]\n'
}

cmd_exec() {
	tty="" envs="" user="" workdir=""
	while [ $# -gt 0 ]; do
		case $1 in
		-i|--interactive) ;;
		-t|--tty|-it|-ti) tty=--tty ;;
		-e|--env) add envs --env "$2"; shift ;;
		-u|--user) user=$2; shift ;;
		-w|--workdir) workdir=$2; shift ;;
		-d|--detach) die 1 "exec: -d is not supported" ;;
		-*) die 1 "exec: $1: unknown option" ;;
		*) break ;;
		esac
		shift
	done
	[ $# -ge 2 ] || die 1 "usage: skiff exec [-it] [-e K=V] [-u USER] [-w DIR] CONTAINER CMD..."
	load "$1"; shift
	[ "$(status_of)" = running ] || die 1 "container $Name is not running"
	# The container's init is the process named ns-run-init below the
	# chain's first process; the program is its child.
	init="" todo=$Pid depth=0
	while [ -z "$init" ] && [ -n "$todo" ] && [ $depth -lt 6 ]; do
		next=""
		for p in $todo; do
			if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = ns-run-init ]; then init=$p; break; fi
			next="$next $(cat /proc/$p/task/*/children 2>/dev/null)"
		done
		todo=$next depth=$((depth + 1))
	done
	[ -n "$init" ] || die 1 "container $Name: cannot find its init process"
	target=$(cat /proc/$init/task/$init/children 2>/dev/null | cut -d' ' -f1)
	args=""
	[ -n "$tty" ] && add args "$tty"
	[ -n "$user" ] && add args --user "$user"
	[ -n "$workdir" ] && add args --workdir "$workdir"
	eval "set -- $args $envs -- \"\$@\""
	exec ns-run --join "${target:-$init}" "$@"
}

cmd_volume() {
	[ $# -ge 1 ] || die 1 "usage: skiff volume create|ls|inspect|rm [NAME]"
	v=$1; shift
	case $v in
	create|ls|inspect|rm) exec vol-mount volume "$v" "$@" ;;
	*) die 1 "volume: $v: unknown verb" ;;
	esac
}

cmd_network() {
	[ $# -ge 1 ] || die 1 "usage: skiff network create|ls|inspect|rm [NAME]"
	v=$1; shift
	case $v in
	create|ls|inspect|rm) exec net-bridge "$v" "$@" ;;
	*) die 1 "network: $v: unknown verb" ;;
	esac
}

# gc: reconcile the state with what runs: containers whose process is gone
# are marked exited, their cgroups removed; runtime directories of removed
# containers go.
cmd_gc() {
	[ -d "$CT" ] || return 0
	for d in "$CT"/*/; do
		[ -f "$d/config" ] || continue
		( _d=${d%/}; load "${_d##*/}"
		if [ "$Status" = running ] && ! alive "$Pid"; then
			record_exit "${ExitCode:-255}"
			after_exit
			echo "gc: $Name: marked exited"
		elif [ "$Status" != running ]; then
			after_exit
		fi )
	done
	for d in "$SKIFF_RUN/containers"/*/; do
		[ -d "$d" ] || continue
		_d=${d%/}
		[ -d "$CT/${_d##*/}" ] || rm -rf "$d"
	done
	for l in "$NAMES"/*; do
		[ -L "$l" ] || continue
		[ -d "$CT/$(readlink "$l")" ] || rm -f "$l"
	done
}

# ---- images ---------------------------------------------------------------

STORE=$SKIFF_ROOT/images
full() { case $1 in *:*|*@*) echo "$1" ;; *) echo "$1:latest" ;; esac; }

cmd_images() {
	quiet=0
	case ${1:-} in -q|--quiet) quiet=1 ;; "") ;; *) die 1 "images: $1: unknown option" ;; esac
	[ $quiet = 1 ] || printf '%-32s %-16s %-14s %s\n' REPOSITORY TAG "IMAGE ID" SIZE
	[ -f "$STORE/index.json" ] || return 0
	img-pack ls "$STORE" | while IFS="$(printf '\t')" read -r name digest size; do
		cfg="" total=0
		while IFS= read -r l; do
			case $l in
			config=*) cfg=${l#config=sha256:} ;;
			layer=*) set -- ${l#layer=}; total=$((total + $2)) ;;
			esac
		done <<EOF2
$(img-unpack --inspect "$name" 2>/dev/null)
EOF2
		id=$(printf '%s' "$cfg" | cut -c1-12)
		if [ $quiet = 1 ]; then echo "$id"; continue; fi
		printf '%-32s %-16s %-14s %s\n' "${name%:*}" "${name##*:}" "$id" \
		    "$(awk -v b="$total" 'BEGIN { if (b >= 1048576) printf "%.1fMB", b / 1048576; else printf "%.1fkB", b / 1024 }')"
	done
}

cmd_rmi() {
	[ $# -ge 1 ] || die 1 "usage: skiff rmi IMAGE..."
	for i in "$@"; do
		img-pack untag "$STORE" "$(full "$i")" 2>/dev/null || die 1 "no such image: $i"
		echo "Untagged: $(full "$i")"
	done
}

cmd_tag() {
	[ $# -eq 2 ] || die 1 "usage: skiff tag SOURCE[:TAG] TARGET[:TAG]"
	img-pack tag "$STORE" "$(full "$1")" "$(full "$2")" 2>&1 >/dev/null | sed 's/^img-pack: /skiff: tag: /' >&2
	img-unpack --inspect "$(full "$2")" >/dev/null 2>&1 || exit 1
}

# save NAME -o FILE: an oci-archive (a tar of an OCI layout) that skopeo,
# podman and skiff load read.
cmd_save() {
	out="" img=""
	while [ $# -gt 0 ]; do
		case $1 in
		-o|--output) out=$2; shift ;;
		--output=*) out=${1#*=} ;;
		-*) die 1 "save: $1: unknown option" ;;
		*) img=$1 ;;
		esac
		shift
	done
	[ -n "$img" ] && [ -n "$out" ] || die 1 "usage: skiff save IMAGE -o FILE"
	t=$(mktemp -d "${TMPDIR:-/tmp}/skiff-save.XXXXXX")
	if ! img-pack copy "$STORE" "$(full "$img")" "$t/oci" 2>"$t/err"; then
		msg=$(sed 's/^img-pack: //' "$t/err"); rm -rf "$t"
		die 1 "save $img: $msg"
	fi
	tar -C "$t/oci" -cf "$out.tmp.$$" . && mv "$out.tmp.$$" "$out" || { rm -rf "$t" "$out.tmp.$$"; die 1 "save: cannot write $out"; }
	rm -rf "$t"
}

cmd_load() {
	in=""
	case ${1:-} in -i|--input) in=${2:-} ;; --input=*) in=${1#*=} ;; *) in=${1:-} ;; esac
	[ -n "$in" ] || die 1 "usage: skiff load -i FILE"
	img-unpack load "$in"
}

usage() {
	cat <<'EOF'
usage: skiff COMMAND [ARG...]

images:
  build      build an image from a Dockerfile (see skiff-build)
  images     list the images of the local store (-q: ids)
  rmi        remove an image's name
  tag        give an image another name
  save       an image as an oci-archive (-o FILE)
  load       an image archive into the store (-i FILE)
containers:
  run        run a command in a new container from an image
  ps         list containers (-a: all, -q: ids)
  logs       a container's output (-f, --tail N)
  exec       run a command in a running container
  stop       stop containers (SIGTERM, then SIGKILL after -t seconds)
  kill       send a signal to containers
  rm         remove containers (-f: also running ones)
  inspect    a container as JSON
  gc         reconcile state after crashes and reboots
storage and networks:
  volume     create|ls|inspect|rm named volumes
  network    create|ls|inspect|rm networks
deployments (Kubernetes YAML, see skiff-kube):
  apply      create or update Deployments and Services from -f FILE
  get        deployments|pods|services|endpoints|nodes [-o wide|yaml|json] [-l k=v]
  scale      deployment/NAME --replicas=N
  delete     -f FILE | deployment/NAME | service/NAME
  rollout    restart|status deployment/NAME
  describe   deployment/NAME | service/NAME | pod/NAME
host:
  check      can this host run skiff?
  cluster-info, ip   where the cluster's services are
  version    print the version

Each command takes --help. See skiff(1).
EOF
}

[ $# -ge 1 ] || { usage >&2; exit 2; }
verb=$1; shift
case $verb in
run) cmd_run "$@" ;;
ps) cmd_ps "$@" ;;
logs) cmd_logs "$@" ;;
exec) cmd_exec "$@" ;;
stop) cmd_stop "$@" ;;
kill) cmd_kill "$@" ;;
rm) cmd_rm "$@" ;;
inspect) cmd_inspect "$@" ;;
volume) cmd_volume "$@" ;;
network) cmd_network "$@" ;;
gc) cmd_gc "$@" ;;
check) exec skiff-check "$@" ;;
apply|get|scale|delete|rollout|describe|cluster-info|ip) exec skiff-kube "$verb" "$@" ;;
build) exec skiff-build "$@" ;;
images) cmd_images "$@" ;;
rmi) cmd_rmi "$@" ;;
tag) cmd_tag "$@" ;;
save) cmd_save "$@" ;;
load) cmd_load "$@" ;;
__supervise) cmd___supervise "$@" ;;
version|--version) echo "skiff $VERSION" ;;
help|--help|-h) usage ;;
*) die 2 "$verb: unknown command (see skiff --help)" ;;
esac
