#!/bin/sh
# bash completion (cli/nestscope.bash-completion), run in bash as it is installed:
#  - the first word completes to every command main() dispatches (cli/nestscope.c's cli_commands) and every debugger
#    command of the core's table (decoders/commands.def), and to nothing else but help;
#  - an option completes from that command's own options (triage --j -> --json; vmcs12's -C);
#  - a word that is no option completes to files.
set -u
cd "$(dirname "$0")/../.."
NS=${NESTSCOPE_REAL:-$PWD/${BUILD:-build}/nestscope}
command -v bash > /dev/null || { echo "ok   (no bash here: nothing to complete)"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

# what the CLI accepts, from its dispatcher and the commands table
{
	sed -n '/^int main(/,$p' cli/nestscope.c | grep -oE 'strcmp\(argv\[1\], "[a-z][a-z0-9-]*"\)' |
		sed 's/.*"\(.*\)".*/\1/'
	sed -n '/^} cli_commands\[\] = {/,/^};/p' cli/nestscope.c | sed -n 's/^\t{ "\([a-z][a-z0-9-]*\)".*/\1/p'
	sed -n 's/^NS_CMD([A-Z0-9_]*, "\([a-z0-9-]*\)".*/\1/p' decoders/commands.def
} | sort -u > "$T/want"

cat > "$T/complete.bash" <<'B'
. cli/nestscope.bash-completion
t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nestscope; printf '%s\n' "${COMPREPLY[@]}" | sort; }
B
got() { bash -c ". '$T/complete.bash'; t $*"; }

got "'$NS'" "''" > "$T/got"
if cmp -s "$T/want" "$T/got"; then
	echo "ok   the first word completes to the $(wc -l < "$T/want") commands the CLI dispatches"
else
	bad "the first word's completions differ from the CLI's commands: $(diff "$T/want" "$T/got" | grep '^[<>]' | tr '\n' ' ')"
fi
[ "$(got "'$NS'" triage --j)" = "--json" ] && echo "ok   triage --j completes to --json" ||
	bad "triage --j completes to '$(got "'$NS'" triage --j)'"
got "'$NS'" vmcs12 - | grep -qx -- -C && echo "ok   vmcs12 - offers -C (the SDM checks)" || bad "vmcs12 - does not offer -C"
touch "$T/vmcore.kdump"
[ "$(got "'$NS'" triage "'$T/vmcore.k'")" = "$T/vmcore.kdump" ] && echo "ok   a dump's name completes as a file" ||
	bad "triage $T/vmcore.k does not complete to the file"
exit $fail
