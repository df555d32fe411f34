#!/usr/bin/env bash
# make fuzz: run every fuzz target of the main module for FUZZTIME (first argument, default 60s).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-60s}
# Go 1.26's fuzz coordinator can fail a target with a bare "context deadline exceeded" at the end of
# -fuzztime when a worker is mid-call (golang/go#75804, fixed in Go 1.27): fuzz with the Go 1.27 toolchain
# test/e2e already uses, fetched by the go command.
export GOTOOLCHAIN=${FUZZ_GOTOOLCHAIN:-go1.27.3}
grep -rl --include='*_test.go' '^func Fuzz' pkg | xargs -n1 dirname | sort -u | while read -r dir; do
  for target in $(grep -h '^func Fuzz' "$dir"/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do
    echo "== $dir $target ($t)"
    go test "./$dir" -run '^$' -fuzz "^$target\$" -fuzztime "$t"
  done
done
