#!/bin/sh
# Runs every libFuzzer target in DIR for SECONDS each, seeded from tests/fuzz/corpus/<name>.
set -eu
dir=$1
seconds=${2:-10}
src=$(cd "$(dirname "$0")" && pwd)
found=0
for target in "$dir"/fuzz_*; do
    [ -x "$target" ] || continue
    found=1
    name=$(basename "$target")
    work=$(mktemp -d)
    [ -d "$src/corpus/$name" ] && cp "$src/corpus/$name"/* "$work"/ 2>/dev/null || true
    echo "fuzz: $name for ${seconds}s"
    "$target" -max_total_time="$seconds" -max_len=65536 -print_final_stats=0 "$work" >"$work.log" 2>&1 || {
        tail -50 "$work.log"
        echo "fuzz: $name FAILED"
        exit 1
    }
    rm -rf "$work" "$work.log"
done
[ "$found" = 1 ] || echo "fuzz: no targets in $dir"
