# SPDX-License-Identifier: ISC
# bash completion for skiff: commands, their options, container names,
# images of the local store, and kinds for get/delete/describe.

_skiff_containers() {
	local root=${SKIFF_ROOT:-/var/lib/skiff}
	ls "$root/names" 2>/dev/null
}

_skiff_images() {
	local root=${SKIFF_ROOT:-/var/lib/skiff}
	grep -o '"org.opencontainers.image.ref.name": *"[^"]*"' "$root/images/index.json" 2>/dev/null |
	    sed 's/.*: *"\(.*\)"/\1/'
}

_skiff() {
	local cur prev verb
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	verb=${COMP_WORDS[1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "build run ps logs exec stop kill rm inspect volume network gc
		    apply get scale delete rollout describe cluster-info ip check version help" -- "$cur"))
		return
	fi
	case $prev in
	-f|--file|--filename|--env-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-v|--volume|-w|--workdir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--network) COMPREPLY=($(compgen -W "skiff0 none host" -- "$cur")); return ;;
	--restart) COMPREPLY=($(compgen -W "no always on-failure" -- "$cur")); return ;;
	-o|--output) COMPREPLY=($(compgen -W "wide yaml json" -- "$cur")); return ;;
	esac
	case $verb in
	run)
		case $cur in
		-*) COMPREPLY=($(compgen -W "-d --detach --rm --name -p --publish -v --volume --tmpfs
		    -e --env --env-file -w --workdir -u --user -m --memory --cpus --pids-limit
		    --network --hostname --read-only --cap-add --cap-drop --entrypoint --restart
		    -i -t --label --dns --dns-search --dns-option" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_skiff_images)" -- "$cur")) ;;
		esac ;;
	logs|exec|stop|kill|rm|inspect)
		case $cur in
		-*) COMPREPLY=($(compgen -W "-f --follow --tail -t --time -s --signal -it -e -u" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$(_skiff_containers)" -- "$cur")) ;;
		esac ;;
	build) COMPREPLY=($(compgen -W "-t --tag -f --file --build-arg --target --no-cache --network -q" -- "$cur"))
		[ "${cur#-}" = "$cur" ] && COMPREPLY=($(compgen -d -- "$cur")) ;;
	get|describe|delete)
		COMPREPLY=($(compgen -W "deployments pods services endpoints nodes deployment/ service/ pod/ -f -o -l -A" -- "$cur")) ;;
	scale|rollout) COMPREPLY=($(compgen -W "restart status deployment/ --replicas=" -- "$cur")) ;;
	volume|network) COMPREPLY=($(compgen -W "create ls inspect rm" -- "$cur")) ;;
	apply) COMPREPLY=($(compgen -W "-f" -- "$cur")) ;;
	esac
}
complete -F _skiff skiff
