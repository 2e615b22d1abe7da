# bash completion for cutover (coordinator) and cutover-agent.
# Installed as both .../bash-completion/completions/cutover and .../cutover-agent.
# Self-contained: needs only bash (the bash-completion package is optional).
#
# Completes commands, options, app names (the agent config's [app NAME]
# sections, the fleet file's app keys), hosts and groups of the fleet file,
# and release IDs (ROOT/releases/, else `cutover-agent --json status APP`).

_cutover_agent_cmds="install activate deploy rollback drill status history prune pin unpin check serve"
_cutover_agent_gopts="--config --json --wait --verbose --help --version"
_cutover_cmds="deploy rollback resume abort status history drill report prune pin unpin dump-config debug-exec"
_cutover_gopts="-f --file --json --verbose --help --version"

# _cutover_ini_apps FILE: the NAMEs of [app NAME] sections.
_cutover_ini_apps()
{
	[[ -r $1 ]] || return 0
	sed -n 's/^[[:space:]]*\[app[[:space:]]\{1,\}\([^]]*[^][:space:]]\)[[:space:]]*\].*/\1/p' "$1" 2>/dev/null
}

# _cutover_ini_get FILE SECTION KEY: the value of KEY in [SECTION] (first one).
_cutover_ini_get()
{
	[[ -r $1 ]] || return 0
	awk -v want="$2" -v key="$3" '
	/^[[:space:]]*[;#]/ { next }
	/^[[:space:]]*\[/ {
		s = $0; sub(/^[[:space:]]*\[[[:space:]]*/, "", s); sub(/[[:space:]]*\].*$/, "", s)
		gsub(/[[:space:]]+/, " ", s); sect = s; next
	}
	sect == want {
		line = $0; k = line; sub(/[[:space:]]*[=:].*$/, "", k); sub(/^[[:space:]]*/, "", k)
		if (k != key) next
		v = line; sub(/^[^=:]*[=:][[:space:]]*/, "", v); sub(/[[:space:]]+;.*$/, "", v)
		sub(/[[:space:]]+$/, "", v); print v; exit
	}' "$1" 2>/dev/null
}

# _cutover_ini_sections FILE KIND: the NAMEs of [KIND NAME] sections.
_cutover_ini_sections()
{
	[[ -r $1 ]] || return 0
	sed -n "s/^[[:space:]]*\[$2[[:space:]]\{1,\}\([^]]*[^][:space:]]\)[[:space:]]*\].*/\1/p" "$1" 2>/dev/null
}

# _cutover_releases CONFIG APP: release IDs of APP on this machine.
_cutover_releases()
{
	local conf=$1 app=$2 root d out
	if [[ $app == */* ]]; then
		root=$app
	else
		root=$(_cutover_ini_get "$conf" "app $app" root)
	fi
	if [[ -n $root && -d $root/releases ]]; then
		for d in "$root"/releases/*/; do
			[[ -d $d ]] || continue
			d=${d%/}
			printf '%s\n' "${d##*/}"
		done
		return 0
	fi
	# Root not readable from here: ask the agent (bounded in time).
	type -P cutover-agent >/dev/null 2>&1 || return 0
	out=$(timeout 2 cutover-agent --config "$conf" --json status "$app" 2>/dev/null) || return 0
	out=${out#*\"releases\":}
	[[ $out == \"* ]] || return 0
	out=${out#\"}
	out=${out%%\"*}
	tr -s ', ' '\n' <<<"$out"
}

# _cutover_reply WORDLIST: COMPREPLY from the words matching the current word.
_cutover_reply()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# _cutover_files: file names (and directories) for the current word.
_cutover_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
}

# Completion for cutover-agent [--config FILE] [--json] [--wait S] COMMAND ARGS.
_cutover_agent()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local conf=/etc/cutover/agent.ini cmd="" i w skip=0
	local -a args=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((skip)); then skip=0; continue; fi
		if [[ -z $cmd ]]; then
			case $w in
			--config) conf=${COMP_WORDS[i+1]}; skip=1 ;;
			--config=*) conf=${w#--config=} ;;
			--wait) skip=1 ;;
			-*) ;;
			*) cmd=$w ;;
			esac
			continue
		fi
		case $w in
		--release|--sha256|--to|--keep|--idle-timeout|--app|--signature) skip=1 ;;
		-*) ;;
		*) args+=("$w") ;;
		esac
	done
	conf=${conf/#\~/$HOME}

	case $prev in
	--config) _cutover_files; return 0 ;;
	--signature) _cutover_files; return 0 ;;
	--wait|--keep|--sha256|--release|--idle-timeout) COMPREPLY=(); return 0 ;;
	--app) [[ $cmd == serve ]] && _cutover_reply "$(_cutover_ini_apps "$conf")"; return 0 ;;
	--to) [[ -n $cmd && ${#args[@]} -ge 1 ]] && _cutover_reply "$(_cutover_releases "$conf" "${args[0]}")"; return 0 ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then _cutover_reply "$_cutover_agent_gopts"
		else _cutover_reply "$_cutover_agent_cmds"; fi
		return 0
	fi

	if [[ $cur == -* ]]; then
		case $cmd in
		install) _cutover_reply "--release --sha256 --signature --help" ;;
		deploy) _cutover_reply "--release --sha256 --signature --force-schema --help" ;;
		rollback) _cutover_reply "--to --force-schema --help" ;;
		activate) _cutover_reply "--force-schema --help" ;;
		prune) _cutover_reply "--keep --help" ;;
		serve) _cutover_reply "--app --allow-paths --idle-timeout --help" ;;
		*) _cutover_reply "--help" ;;
		esac
		return 0
	fi

	[[ $cmd == serve ]] && return 0
	[[ $cmd == check && ${#args[@]} -ge 1 ]] && return 0
	case ${#args[@]} in
	0)	# APP: a config name, or a ROOT path
		if [[ $cur == */* || $cur == .* ]]; then
			compopt -o filenames 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		else
			_cutover_reply "$(_cutover_ini_apps "$conf")"
		fi ;;
	1)	case $cmd in
		install|deploy) _cutover_files; [[ -z $cur ]] && COMPREPLY+=(-) ;;
		activate|pin|unpin) _cutover_reply "$(_cutover_releases "$conf" "${args[0]}")" ;;
		esac ;;
	esac
	return 0
}

# Completion for cutover [-f FLEET.ini] [--json] COMMAND OPTIONS.
_cutover()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local fleet="" cmd="" app="" i w skip=0 nargs=0

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((skip)); then skip=0; continue; fi
		case $w in
		-f|--file) fleet=${COMP_WORDS[i+1]}; skip=1 ;;
		--app) app=${COMP_WORDS[i+1]}; skip=1 ;;
		--release|--hosts|--group|--exclude|--batch|--max-fail|--canary|--bake|--to|--keep|--pause-after|--wait|--actor|--since|--html|--rollout|--pool) skip=1 ;;
		--sha256) skip=1 ;;
		-*) ;;
		*) if [[ -z $cmd ]]; then cmd=$w; else ((nargs++)); fi ;;
		esac
	done
	if [[ -z $fleet ]]; then
		if [[ -r ./cutover.ini ]]; then fleet=./cutover.ini; else fleet=/etc/cutover/fleet.ini; fi
	fi
	fleet=${fleet/#\~/$HOME}
	[[ -z $app ]] && app=$(_cutover_ini_get "$fleet" fleet app)

	case $prev in
	-f|--file) _cutover_files; return 0 ;;
	--app)
		local apps
		apps="$(_cutover_ini_get "$fleet" fleet app)
$(grep -h '^[[:space:]]*app[[:space:]]*=' "$fleet" 2>/dev/null | sed 's/^[^=]*=[[:space:]]*//; s/[[:space:]]*;.*//')
$(_cutover_ini_apps /etc/cutover/agent.ini)"
		_cutover_reply "$(tr -s ' \t' '\n' <<<"$apps" | sort -u)"
		return 0 ;;
	--group) _cutover_reply "$(_cutover_ini_sections "$fleet" group)"; return 0 ;;
	--pool) _cutover_reply "$(_cutover_ini_get "$fleet" fleet blue_green | tr ',' ' ')"; return 0 ;;
	--canary) _cutover_reply "$(_cutover_ini_sections "$fleet" group) $(_cutover_ini_sections "$fleet" host)"; return 0 ;;
	--hosts|--exclude)
		# A comma-separated list: complete its last element.
		local pre="" last=$cur hosts g
		if [[ $cur == *,* ]]; then pre=${cur%,*},; last=${cur##*,}; fi
		hosts=$(_cutover_ini_sections "$fleet" host)
		for g in $(_cutover_ini_sections "$fleet" group); do
			hosts+=" $(_cutover_ini_get "$fleet" "group $g" hosts)"
		done
		# Hosts already in the list are not offered again.
		hosts=$(tr -s ' \t' '\n' <<<"$hosts" | sort -u | grep -vxF -f <(tr ',' '\n' <<<"${pre%,}") 2>/dev/null)
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$hosts" -- "$last")
		compopt -o nospace 2>/dev/null
		return 0 ;;
	--to) [[ -n $app ]] && _cutover_reply "$(_cutover_releases /etc/cutover/agent.ini "$app")"; return 0 ;;
	--release|--batch|--max-fail|--bake|--keep|--pause-after|--wait|--actor|--since|--rollout) COMPREPLY=(); return 0 ;;
	--sha256) COMPREPLY=(); return 0 ;;
	--html) _cutover_files; return 0 ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then _cutover_reply "$_cutover_gopts"
		else _cutover_reply "$_cutover_cmds"; fi
		return 0
	fi
	if [[ $cur == -* ]]; then
		case $cmd in
		deploy) _cutover_reply "--app --release --sha256 --hosts --group --exclude --batch --max-fail --canary --bake --pause-after --wait --actor --dry-run --pool --help" ;;
		rollback) _cutover_reply "--app --to --hosts --group --exclude --batch --actor --dry-run --force-schema --pool --help" ;;
		drill) _cutover_reply "--app --hosts --group --canary --exclude --actor --help" ;;
		report) _cutover_reply "--since --json --html --rollout --app --hosts --group --exclude --help" ;;
		resume|abort) _cutover_reply "--app --hosts --group --exclude --wait --actor --help" ;;
		status|history|pin|unpin) _cutover_reply "--app --hosts --group --exclude --help" ;;
		prune) _cutover_reply "--keep --app --hosts --group --exclude --help" ;;
		dump-config|debug-exec) _cutover_reply "--hosts --group --exclude --help" ;;
		esac
		return 0
	fi
	# ARCHIVE, or a URL typed in full (nothing to complete for those).
	[[ $cmd == deploy && $nargs -eq 0 && $cur != http://* && $cur != https://* ]] && _cutover_files
	# pin/unpin ID: the releases this machine's agent knows, as for --to.
	[[ ($cmd == pin || $cmd == unpin) && $nargs -eq 0 && -n $app ]] &&
	    _cutover_reply "$(_cutover_releases /etc/cutover/agent.ini "$app")"
	return 0
}

complete -F _cutover_agent cutover-agent
complete -F _cutover cutover
