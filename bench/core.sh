#!/usr/bin/env bash
# Core and publishing figures for docs/BENCHMARKS.md: criterion benches (verify, canonicalize,
# publish) and the page weight of the demo bundle. Runs locally, stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "## Core and publishing — $(date -u +%Y-%m-%d), $(nproc) cores"
echo
echo "Command: \`bench/core.sh\`"
echo
cargo bench -p missive-core --bench core -- --noplot 2>/dev/null | grep -E "^[a-z].*|time:" | sed 's/^/    /'
cargo bench -p missive-publish --bench publish -- --noplot 2>/dev/null | grep -E "^[a-z].*|time:" | sed 's/^/    /'
cargo build --release -q -p missive
./target/release/missive demo --no-serve --dir "$out/demo" >/dev/null
echo
echo "Page weight of the demo bundle (bytes; brotli quality 11, gzip level 9):"
echo
cargo run --release -q -p missive-publish --example page_weight -- "$out/demo/bundle"
