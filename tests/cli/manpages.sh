#!/bin/sh
# The man pages the build makes from the commands' --help (docs/man/mkman.py), checked against
# what the program itself says:
#  - one nestscope-CMD(1) per command 'nestscope help --commands' lists, and no other;
#  - each renders with man(1) without a groff warning;
#  - its NAME is the command's summary, and every option 'nestscope CMD --help' lists is under
#    OPTIONS (a page cannot lose an option);
#  - its EXIT STATUS is the --help's, and its ENVIRONMENT and FILES name each variable the
#    program reads (getenv in its sources) and the crash extension's path;
#  - nestscope-debuggers(7) holds every debugger command of the core's table (commands.def),
#    with the synopsis crash's help prints.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
NS=${NESTSCOPE_REAL:-$PWD/$BUILD/nestscope}
MAN=$BUILD/man
command -v man > /dev/null || { echo "ok   (no man here: nothing to render)"; exit 0; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
render() { MANWIDTH=200 LC_ALL=C man --warnings -l "$1" 2> "$T/warn" | col -b; }
# the lines of one section of a rendered page
section() { awk -v s="$1" '/^[A-Z]/ { on = ($0 == s) ; next } on' "$2"; }

"$NS" help --commands > "$T/commands"
cut -f1 "$T/commands" | sed 's/.*/nestscope-&.1/' | sort > "$T/want"
(cd "$MAN" && ls *.1) | sort > "$T/got"
cmp -s "$T/want" "$T/got" || bad "the pages are not one per command: $(diff "$T/want" "$T/got" | grep '^[<>]' | tr '\n' ' ')"

# what the program reads from its environment, from its sources
vars=$(grep -ohE 'getenv\("[A-Z_]+"\)' cli/*.c decoders/*/*.c sources/*.c | sed 's/getenv("\(.*\)")/\1/' |
	grep -v '^HOME$' | sort -u)

n=0
while IFS="$(printf '\t')" read -r cmd summary; do
	page=$MAN/nestscope-$cmd.1
	[ -f "$page" ] || continue
	render "$page" > "$T/text"
	[ -s "$T/warn" ] && bad "nestscope-$cmd.1: man warns: $(head -1 "$T/warn")"
	section NAME "$T/text" | grep -qF "nestscope-$cmd - $summary" ||
		bad "nestscope-$cmd.1: NAME is not '$summary'"
	"$NS" "$cmd" --help > "$T/help"
	section OPTIONS "$T/text" > "$T/options"
	for opt in $(grep -oE '^ {1,8}-[A-Za-z0-9](, --[a-z][a-z0-9-]*)?|^ {1,8}--[a-z][a-z0-9-]*' "$T/help" |
		tr ', ' '\n\n' | grep .); do
		grep -qE -- "(^|[ ,])$opt( |,|$)" "$T/options" || bad "nestscope-$cmd.1: OPTIONS lack $opt ('$cmd --help' has it)"
	done
	status=$(sed -n 's/^[Ee]xit status: *//p' "$T/help" | cut -c1-30)
	[ -z "$status" ] || section "EXIT STATUS" "$T/text" | tr -s ' ' | grep -qF "$(echo "$status" | tr -s ' ')" ||
		bad "nestscope-$cmd.1: EXIT STATUS is not '$status...'"
	for v in $vars; do
		section ENVIRONMENT "$T/text" | grep -q "^ *$v" || bad "nestscope-$cmd.1: ENVIRONMENT lacks $v"
	done
	section FILES "$T/text" | grep -q 'crash/extensions/nestscope.so' || bad "nestscope-$cmd.1: FILES lack the crash extension"
	n=$((n + 1))
done < "$T/commands"
echo "ok   $n pages, one per command, each with --help's summary, options and exit status, ENVIRONMENT ($(echo $vars | tr ' ' ,)) and FILES"

render "$MAN/nestscope-debuggers.7" > "$T/text"
[ -s "$T/warn" ] && bad "nestscope-debuggers.7: man warns: $(head -1 "$T/warn")"
k=0
for cmd in $(sed -n 's/^NS_CMD([A-Z0-9_]*, "\([a-z0-9-]*\)".*/\1/p' decoders/commands.def); do
	section COMMANDS "$T/text" | grep -qx "   $cmd" || bad "nestscope-debuggers.7: no subsection for $cmd"
	syn=$("$NS" help "$cmd" | sed -n 's/^Usage: //p' | head -1)
	section COMMANDS "$T/text" | tr -s ' ' | grep -qF -- "$(echo "$syn" | tr -s ' ')" ||
		bad "nestscope-debuggers.7: $cmd's synopsis is not '$syn'"
	k=$((k + 1))
done
echo "ok   nestscope-debuggers(7) holds the $k debugger commands of commands.def with their synopses"
exit $fail
