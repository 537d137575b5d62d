# Sourced by the benchmarks: sets vmlinux and mods (the module debuginfo
# directory) for kernel $kver, fetching its -dbg package into the cache.
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
dbginfo=$(samples/gen/debian-kernel.sh fetch-dbg "$kver" "$CACHE/$kver")
vmlinux=$(echo "$dbginfo" | sed -n 's/^vmlinux: //p')
mods=$(echo "$dbginfo" | sed -n 's/^modules: //p')
