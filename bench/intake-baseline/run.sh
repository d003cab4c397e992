#!/usr/bin/env bash
# Storage baseline for docs/BENCHMARKS.md: rows per second written durably through
# Store::insert_batch and through bare sqlx statements on the same schema, on SQLite and
# PostgreSQL, measured in the same run. Adds the results to the "Storage baseline" section.
# Runs locally and stops by itself (8 scenarios x --seconds, default 5).
#
#   bench/intake-baseline/run.sh [--seconds N] [--postgres URL] [--only sqlite|postgres]
#
# PostgreSQL: --postgres URL, or MISSIVE_TEST_POSTGRES_URL; a scratch database is created on that
# server and dropped afterwards. Without either, the PostgreSQL rows say "skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."

doc=docs/BENCHMARKS.md
section="## Storage baseline"
# The command as run, with any password in a URL hidden.
shown=$(printf '%s' "bench/intake-baseline/run.sh $*" | sed -E 's#://([^:/@]*):[^@]*@#://\1:***@#g; s/ +$//')

cargo build --release -q -p missive-store --example baseline
# Other work on the machine skews every figure: record how busy it was when the run started.
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
table=$(./target/release/examples/baseline --sqlite-dir target/intake-baseline "$@")

block=$(mktemp)
trap 'rm -f "$block"' EXIT
{
    echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    echo
    echo "Command: \`$shown\` (runs \`cargo run --release -p missive-store --example baseline\`);"
    echo "load average at the start: $load."
    echo
    echo "$table"
    if awk -v l="${load%% *}" -v c="$(nproc)" 'BEGIN { exit !(l + 0 > c + 0) }'; then
        echo "- The machine was busy (1-minute load above the core count): every figure here is"
        echo "  depressed; compare rows of this run with each other, not with a quiet machine's."
    fi
    echo
} >"$block"

. bench/lib/doc.sh
intro=$(cat <<'INTRO'
What the databases alone can take on this machine, so the cost of the HTTP and validation layers
shows next to the server's intake figures. Every row is written durably: SQLite in WAL mode with
`synchronous=FULL`, PostgreSQL with `synchronous_commit=on`, on the schema of
`crates/missive-store/migrations`. "bare sqlx" runs single-row `INSERT`s, `rows per transaction`
of them per commit (one connection on SQLite, 16 clients on PostgreSQL); "Store::insert_batch"
is the storage API the server calls, from 64 concurrent tasks (one writer connection on SQLite,
a pool of 16 on PostgreSQL), one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING` per
batch. The server's group-commit writer is one task calling `insert_batch` with whatever has
queued, so the batch rows are the ones its intake figure builds on. Latencies are per call (one
transaction). Anchors from the issue, on this machine: bare
SQLite ~5,600 rows/s with one fsync per row and ~46,000 rows/s in batches of 100; bare
PostgreSQL ~14,500 rows/s single-row from 16 clients. Produced by `bench/intake-baseline/run.sh`;
newest run last.
INTRO
)
add_to_section "$doc" "$section" "$intro" "$block"
echo "Added to $doc ($section):"
cat "$block"
