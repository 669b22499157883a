#!/bin/sh
# SPDX-License-Identifier: ISC
# skiff-build: `skiff build`, a Dockerfile into a standard OCI image in the
# local store, without a daemon: dockerfile-parse reads the Dockerfile,
# every RUN runs in a container (vol-mount overlay + ns-run), and img-pack
# turns each step's changes into a layer. Each step is cached on its
# parent, its text and the content of what it copies.
set -u

SKIFF_ROOT=${SKIFF_ROOT:-/var/lib/skiff}
SKIFF_RUN=${SKIFF_RUN:-/run/skiff}
export SKIFF_ROOT SKIFF_RUN
STORE=$SKIFF_ROOT/images	# the local store (an OCI layout)
BL=$SKIFF_ROOT/build		# the steps (an OCI layout, one tag a step)
CACHE=$SKIFF_ROOT/build-cache	# cache key -> step tag

die() { code=$1; shift; printf 'skiff: %s\n' "$*" >&2; exit "$code"; }
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

usage() {
	echo "usage: skiff build -t NAME[:TAG] [-f DOCKERFILE] [--build-arg K=V]... [--target STAGE]"
	echo "                   [--no-cache] [--network none|host] [-q] CONTEXT"
}

tag="" file="" args="" target="" nocache=0 network=none quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	-t|--tag) [ $# -ge 2 ] || die 2 "build: $1 needs a name"; tag=$2; shift ;;
	--tag=*) tag=${1#*=} ;;
	-f|--file) [ $# -ge 2 ] || die 2 "build: $1 needs a file"; file=$2; shift ;;
	--file=*) file=${1#*=} ;;
	--build-arg) [ $# -ge 2 ] || die 2 "build: --build-arg needs K=V"; args="$args --build-arg $(q "$2")"; shift ;;
	--build-arg=*) args="$args --build-arg $(q "${1#*=}")" ;;
	--target) target=$2; shift ;;
	--no-cache) nocache=1 ;;
	--network) network=$2; shift
		case $network in none|host) ;; *) die 2 "build: --network $network: expected none or host" ;; esac ;;
	-q|--quiet) quiet=1 ;;
	--help) usage; exit 0 ;;
	-*) die 2 "build: $1: unknown option (see skiff build --help)" ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
ctx=$1
[ -d "$ctx" ] || die 1 "build: context $ctx: not a directory"
ctx=$(cd "$ctx" && pwd -P)
[ -n "$file" ] || file=$ctx/Dockerfile
[ -f "$file" ] || die 1 "build: $file: no such Dockerfile"
[ -n "$tag" ] || die 2 "build: -t NAME[:TAG] is required"
case $tag in *:*) ;; *) tag=$tag:latest ;; esac
df=$(basename "$file")

# Progress goes to standard output, as with docker's classic builder;
# with -q only the image ID is printed. Errors: one line on stderr.
say() { [ $quiet = 1 ] || printf '%s\n' "$*"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/skiff-build.XXXXXX")
cleanup() { rm -rf "$W" 2>/dev/null || { umount -R "$W" 2>/dev/null; rm -rf "$W"; }; }
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "dockerfile-parse $args ${target:+--target $(q "$target")} $(q "$file")" >"$W/plan" 2>"$W/err" ||
    die 1 "build: $(sed "s/^dockerfile-parse: //; s|$file|$df|" "$W/err")"
mkdir -p "$SKIFF_ROOT" && img-pack init "$BL" >/dev/null && img-pack init "$STORE" >/dev/null ||
    die 1 "build: cannot create the layouts in $SKIFF_ROOT"
mkdir -p "$CACHE"

# The whole build, cached: the plan (the Dockerfile after substitution),
# every file of the context, the network. When nothing changed and the tag
# still names the image built then, there is nothing to do.
bkey=$( { cat "$W/plan"; echo "$network $nocache"
	(cd "$ctx" && find . -type f -print0 | sort -z | xargs -0r sha256sum); } | sha256sum | cut -c1-32)
if [ $nocache = 0 ] && [ -f "$CACHE/build-$bkey" ]; then
	id=$(cat "$CACHE/build-$bkey")
	if [ "$(img-unpack --inspect "$tag" 2>/dev/null | sed -n 's/^config=//p')" = "$id" ]; then
		say "Using cache: nothing changed"
		say "Successfully built ${id#sha256:}"
		say "Successfully tagged $tag"
		[ $quiet = 0 ] || echo "$id"
		exit 0
	fi
fi

# .dockerignore: patterns relative to the context, one a line.
ignore=""
[ -f "$ctx/.dockerignore" ] && ignore=$(grep -v '^[[:space:]]*\(#\|$\)' "$ctx/.dockerignore" | sed 's|^/||; s|/$||')

ignored() {
	for pat in $ignore; do
		# shellcheck disable=SC2254
		case $1 in $pat|$pat/*) return 0 ;; esac
	done
	return 1
}

# The state of the stage being built: the step it stands on (a tag in BL,
# empty for scratch), and what a RUN needs of its config.
step="" env="" workdir="" user="" cmdset=0 bargs=""
stages=""	# "name=tag" of finished stages

key() { printf '%s' "$*" | sha256sum | cut -c1-32; }

# commit KEY ARGS...: a new step on top of $step from img-pack commit args,
# or the cached one.
commit() {
	k=$1; shift
	if [ $nocache = 0 ] && [ -f "$CACHE/$k" ]; then
		step=$(cat "$CACHE/$k")
		say " ---> cached $step"
		return 0
	fi
	if [ -n "$step" ]; then
		set -- --from "$BL" --from-ref "$step" "$@"
	fi
	img-pack commit "$@" --tag "step-$k" "$BL" >/dev/null 2>"$W/err" ||
	    die 1 "build: $df:$lineno: $(sed 's/^img-pack: //' "$W/err")"
	step=step-$k
	echo "$step" >"$CACHE/$k"
	# When the step was made: the final image's time, so that a cached
	# rebuild gives the same image, digest for digest.
	date +%s >"$CACHE/$step.time"
	say " ---> $step"
}

lineno=0
while IFS= read -r line; do
	eval "set -- $line"
	lineno=$1 instr=$2
	shift 2
	flags=""
	while [ $# -gt 0 ] && [ "$1" != -- ]; do flags="$flags $(q "$1")"; shift; done
	[ $# -gt 0 ] && shift
	iargs=""
	for a in "$@"; do iargs="$iargs $(q "$a")"; done
	text=$(printf '%s ' "$instr" "$@")
	say "Step $lineno: $text"
	case $instr in
	FROM)
		base=$1 name=${2:-}
		stagetag=""
		for s in $stages; do [ "${s%%=*}" = "$base" ] && stagetag=${s#*=}; done
		env="" workdir="" user="" cmdset=0 bargs=""
		if [ -n "$stagetag" ]; then
			step=$stagetag
		elif [ "$base" = scratch ]; then
			step=""
			commit "$(key scratch)" --history "FROM scratch" \
			    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		else
			case $base in *:*|*@*) ref=$base ;; *) ref=$base:latest ;; esac
			img-unpack --inspect "$ref" >"$W/inspect" 2>"$W/err" ||
			    die 1 "build: $df:$lineno: FROM $base: $(sed 's/^img-unpack: //' "$W/err")"
			mdig=$(sed -n 's/^manifest_digest=//p; s/^manifest=//p' "$W/inspect" | head -1)
			step=""
			k=$(key "FROM" "$ref" "$mdig")
			if [ $nocache = 0 ] && [ -f "$CACHE/$k" ]; then
				step=$(cat "$CACHE/$k")
			else
				img-pack commit --from "$STORE" --from-ref "$ref" --tag "step-$k" "$BL" >/dev/null 2>"$W/err" ||
				    die 1 "build: $df:$lineno: FROM $base: $(sed 's/^img-pack: //' "$W/err")"
				step=step-$k
				echo "$step" >"$CACHE/$k"
				date +%s >"$CACHE/$step.time"
			fi
		fi
		# What RUN needs of the base's config.
		Env="" WorkingDir="" User=""
		if [ -n "$step" ]; then
			eval "$(img-unpack --config "oci:$BL:$step")"
		fi
		env=$Env workdir=$WorkingDir user=$User
		[ -n "$name" ] && stagename=$name || stagename=""
		;;
	RUN)
		k=$(key "$step" RUN "$flags" "$@" "$network" "$bargs")
		if [ $nocache = 0 ] && [ -f "$CACHE/$k" ]; then
			step=$(cat "$CACHE/$k"); say " ---> cached $step"
		else
			opts=""
			eval "set -- $bargs $env"
			for e in "$@"; do opts="$opts --env $(q "$e")"; done
			[ -n "$workdir" ] && opts="$opts --workdir $(q "$workdir")"
			[ -n "$user" ] && opts="$opts --user $(q "$user")"
			lower=$(img-unpack "oci:$BL:$step" 2>"$W/err" | paste -sd: -) ||
			    die 1 "build: $df:$lineno: $(sed 's/^img-unpack: //' "$W/err")"
			[ -n "$lower" ] || die 1 "build: $df:$lineno: RUN in an empty image (FROM scratch has no shell)"
			rm -rf "$W/up" "$W/wk"; mkdir -p "$W/up" "$W/wk" "$W/root"
			netmode=new; [ "$network" = host ] && netmode=inherit
			eval "set -- vol-mount --root $(q "$W/root") --lower $(q "$lower") --upper $(q "$W/up") \
			    --work $(q "$W/wk") -- ns-run --rootfs $(q "$W/root") --net $netmode --clear-env \
			    --hostname buildkitsandbox $opts -- $iargs"
			if [ $quiet = 1 ]; then "$@" </dev/null >/dev/null 2>&1; else "$@" </dev/null; fi
			rc=$?
			[ $rc -eq 0 ] || die 1 "build: $df:$lineno: RUN returned a non-zero code: $rc"
			eval "$(img-pack layer --overlay-upper "$BL" "$W/up" 2>"$W/err")" ||
			    die 1 "build: $df:$lineno: $(sed 's/^img-pack: //' "$W/err")"
			rm -f "$CACHE/$k"
			commit "$k" --created-by "$text" --layer "$digest,$diff_id"
		fi ;;
	COPY|ADD)
		from="" chown="" chmod=""
		eval "set -- $flags"
		for fl in "$@"; do
			case $fl in
			--from=*) from=${fl#*=} ;;
			--chown=*) chown=${fl#*=} ;;
			--chmod=*) chmod=${fl#*=} ;;
			--link|--link=*) ;;
			*) die 1 "build: $df:$lineno: $instr $fl is not supported" ;;
			esac
		done
		eval "set -- $line"; shift 2
		while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
		[ $# -gt 0 ] && shift
		[ $# -ge 2 ] || die 1 "build: $df:$lineno: $instr needs a source and a destination"
		# The last word is the destination, the rest the sources.
		n=$#; i=0 dest=""
		for a in "$@"; do i=$((i + 1)); [ $i -eq $n ] && dest=$a; done
		src_root=$ctx
		if [ -n "$from" ]; then
			ftag=""
			for s in $stages; do [ "${s%%=*}" = "$from" ] && ftag=${s#*=}; done
			rm -rf "$W/from"
			if [ -n "$ftag" ]; then
				img-unpack -o "$W/from" "oci:$BL:$ftag" 2>"$W/err" >/dev/null
			else
				img-unpack -o "$W/from" "$from" 2>"$W/err" >/dev/null
			fi || die 1 "build: $df:$lineno: --from=$from: $(sed 's/^img-unpack: //' "$W/err")"
			src_root=$W/from
		fi
		rm -rf "$W/layer"; mkdir -p "$W/layer"
		case $dest in /*) ;; *) dest=${workdir:-/}/$dest ;; esac
		i=0
		: >"$W/sums"
		for src in "$@"; do
			i=$((i + 1)); [ $i -eq $n ] && break
			case $src in
			http://*|https://*|git@*) die 1 "build: $df:$lineno: $instr $src: URLs are not supported (download it into the context)" ;;
			esac
			# Sources are relative to the context (or the stage's root),
			# a leading / included. Globs match within that root, and a
			# match that resolves out of it (.., a symlink) is refused.
			while :; do case $src in /*) src=${src#/} ;; *) break ;; esac; done
			[ -n "$src" ] || src=.
			case $src in
			*[*?[]*) ;;
			*) real=$(cd "$src_root" && realpath -m -- "$src")
				case $real/ in "$src_root"/*) ;; *) die 1 "build: $df:$lineno: $instr $src: outside the build context" ;; esac ;;
			esac
			matches=$(cd "$src_root" && for m in ./$src; do [ -e "$m" ] || [ -L "$m" ] && echo "$m"; done)
			[ -n "$matches" ] || die 1 "build: $df:$lineno: $instr $src: no such file or directory in the context"
			for m in $matches; do
				m=${m#./}
				real=$(cd "$src_root" && realpath -m -- "$m")
				case $real/ in "$src_root"/*) ;; *) die 1 "build: $df:$lineno: $instr $src: outside the build context" ;; esac
				[ -z "$from" ] && ignored "$m" && continue
				if [ -d "$src_root/$m" ] && [ ! -L "$src_root/$m" ]; then
					# A directory's contents go to the destination.
					mkdir -p "$W/layer/$dest"
					(cd "$src_root/$m" && tar -cf - --exclude-vcs .) | (cd "$W/layer/$dest" && tar -xpf -) ||
					    die 1 "build: $df:$lineno: $instr $src: copy failed"
				else
					case $dest in
					*/) t=$W/layer/$dest$(basename "$m") ;;
					*) if [ $((n - 1)) -gt 1 ] || [ "$(echo "$matches" | wc -l)" -gt 1 ]; then
						t=$W/layer/$dest/$(basename "$m")
					   else t=$W/layer/$dest; fi ;;
					esac
					mkdir -p "$(dirname "$t")"
					if [ "$instr" = ADD ] && [ -f "$src_root/$m" ] &&
					    tar -tf "$src_root/$m" >/dev/null 2>&1; then
						# A local archive is unpacked, never a path outside
						# the destination: no absolute names, no "..".
						mkdir -p "$W/layer/$dest"
						tar -xf "$src_root/$m" -C "$W/layer/$dest" --no-same-owner \
						    --no-overwrite-dir 2>"$W/err" ||
						    die 1 "build: $df:$lineno: ADD $src: $(head -1 "$W/err")"
					else
						cp -a "$src_root/$m" "$t" || die 1 "build: $df:$lineno: $instr $src: copy failed"
					fi
				fi
				(cd "$src_root" && find "$m" -type f -exec sha256sum {} + 2>/dev/null) >>"$W/sums"
			done
		done
		[ -n "$chown" ] && { chown -R "$chown" "$W/layer/$dest" 2>/dev/null ||
		    die 1 "build: $df:$lineno: --chown=$chown: numeric ids only (name lookup is not supported)"; }
		[ -n "$chmod" ] && chmod -R "$chmod" "$W/layer/$dest"
		k=$(key "$step" "$instr" "$flags" "$line" "$(sort "$W/sums" | sha256sum)")
		if [ $nocache = 0 ] && [ -f "$CACHE/$k" ]; then
			step=$(cat "$CACHE/$k"); say " ---> cached $step"
		else
			eval "$(img-pack layer "$BL" "$W/layer" 2>"$W/err")" ||
			    die 1 "build: $df:$lineno: $(sed 's/^img-pack: //' "$W/err")"
			commit "$k" --created-by "$text" --layer "$digest,$diff_id"
		fi ;;
	WORKDIR)
		case $1 in /*) workdir=$1 ;; *) workdir=${workdir%/}/$1 ;; esac
		# Docker makes the directory: a small layer holding it.
		rm -rf "$W/layer"; mkdir -p "$W/layer/$workdir"
		k=$(key "$step" WORKDIR "$workdir")
		if [ $nocache = 0 ] && [ -f "$CACHE/$k" ]; then
			step=$(cat "$CACHE/$k")
		else
			eval "$(img-pack layer "$BL" "$W/layer")"
			commit "$k" --created-by "$text" --layer "$digest,$diff_id" --workdir "$workdir"
		fi ;;
	ENV)
		o=""
		for kv in "$@"; do
			o="$o --env $(q "$kv")"
			env="$env $(q "$kv")"
		done
		eval "commit \"\$(key \"\$step\" ENV \"\$@\")\" --history \"\$text\" $o" ;;
	LABEL)
		o=""
		for kv in "$@"; do o="$o --label $(q "$kv")"; done
		eval "commit \"\$(key \"\$step\" LABEL \"\$@\")\" --history \"\$text\" $o" ;;
	USER) user=$1; commit "$(key "$step" USER "$1")" --history "$text" --user "$1" ;;
	EXPOSE)
		o=""
		for p in "$@"; do o="$o --expose $(q "$p")"; done
		eval "commit \"\$(key \"\$step\" EXPOSE \"\$@\")\" --history \"\$text\" $o" ;;
	VOLUME)
		o=""
		for p in "$@"; do o="$o --volume $(q "$p")"; done
		eval "commit \"\$(key \"\$step\" VOLUME \"\$@\")\" --history \"\$text\" $o" ;;
	CMD) cmdset=1; commit "$(key "$step" CMD "$1")" --history "$text" --cmd "$1" ;;
	ENTRYPOINT)
		# An ENTRYPOINT clears a CMD inherited from the base image.
		if [ $cmdset = 1 ]; then
			commit "$(key "$step" ENTRYPOINT "$1")" --history "$text" --entrypoint "$1"
		else
			commit "$(key "$step" ENTRYPOINT "$1" nocmd)" --history "$text" --entrypoint "$1" --cmd null
		fi ;;
	STOPSIGNAL) commit "$(key "$step" STOPSIGNAL "$1")" --history "$text" --stop-signal "$1" ;;
	ARG)
		# An ARG's value reaches RUN's environment, not the image's.
		[ $# -ge 2 ] && bargs="$bargs $(q "$1=$2")"
		commit "$(key "$step" "$instr" "$@")" --history "$text" ;;
	SHELL|MAINTAINER) commit "$(key "$step" "$instr" "$@")" --history "$text" ;;
	HEALTHCHECK) say " ---> HEALTHCHECK is recorded in the history only" ;
		commit "$(key "$step" "$instr" "$@")" --history "$text" ;;
	*) die 1 "build: $df:$lineno: $instr is not supported" ;;
	esac
	# Remember the stage's current step under its name for COPY --from and FROM.
	[ -n "${stagename:-}" ] && stages=$(printf '%s\n' $stages | grep -v "^$stagename=" ; echo "$stagename=$step")
	stages=$(printf '%s ' $stages)
done <"$W/plan"

[ -n "$step" ] || die 1 "build: $df: nothing to build"
# The image: the last step, tagged in the local store.
t=$(cat "$CACHE/$step.time" 2>/dev/null || date +%s)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$t} \
    img-pack commit --from "$BL" --from-ref "$step" --tag "$tag" "$STORE" >"$W/out" 2>"$W/err" ||
    die 1 "build: tagging $tag: $(sed 's/^img-pack: //' "$W/err")"
id=$(sed -n 's/^config=//p' "$W/out")
echo "$id" >"$CACHE/build-$bkey"
# Its layers unpacked into the layer store now, as docker's build leaves
# its snapshots: the first `skiff run` of it starts at once.
img-unpack "$tag" >/dev/null 2>"$W/err" ||
    die 1 "build: unpacking $tag: $(sed 's/^img-unpack: //' "$W/err")"
say "Successfully built ${id#sha256:}"
say "Successfully tagged $tag"
[ $quiet = 0 ] || echo "$id"
