#!/bin/sh
# Pulls the results the sample machine sent over its serial line (a base64
# tar between two marker lines) into a directory.
# usage: extract.sh SERIAL_TXT OUTDIR
set -eu
mkdir -p "$2"
sed -n '/^=== NS BEGIN TAR/,/^=== NS END TAR/p' "$1" | sed '1d;$d' | tr -d '\r' | base64 -d | tar -xzf - -C "$2"
