#!/usr/bin/env bash
# Server figures for docs/BENCHMARKS.md, all measured in one run on this machine:
#   - Page serving: a letter page at 64 connections (wrk), Missive against nginx serving the
#     same pre-compressed bytes with gzip_static, rounds interleaved.
#   - Signature intake: durable signatures per second from 64 concurrent signers on SQLite
#     and PostgreSQL, p50/p99, next to the bare-database baseline of the same run.
#   - Counter under load: the same signing load while 1,000 connections poll count.json.
#   - Memory: resident size of the server with the demo bundle, idle and under load.
# Traffic goes only to 127.0.0.1; every step stops by itself. Files the results into the four
# sections of docs/BENCHMARKS.md (newest run last), unless --no-doc.
#
#   bench/serve/run.sh [--seconds N] [--rounds N] [--postgres URL] [--no-doc]
#
# PostgreSQL: --postgres URL or MISSIVE_TEST_POSTGRES_URL names a server; a scratch database is
# created there and dropped afterwards. Without it the PostgreSQL rows say "skipped".
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=10
rounds=3
postgres="${MISSIVE_TEST_POSTGRES_URL:-}"
write_doc=1
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --postgres) postgres=$2; shift 2 ;;
        --no-doc) write_doc=0; shift ;;
        *) echo "bench/serve: unknown option $1" >&2; exit 2 ;;
    esac
done
shown=$(printf '%s' "bench/serve/run.sh --seconds $seconds --rounds $rounds${postgres:+ --postgres $postgres}" |
    sed -E 's#://([^:/@]*):[^@]*@#://\1:***@#g')

for tool in wrk nginx curl python3 awk; do
    command -v "$tool" >/dev/null || {
        echo "bench/serve: $tool is missing; install the packages in bench/packages.txt:" >&2
        echo "  apt-get install \$(sed 's/#.*//' bench/packages.txt)" >&2
        exit 2
    }
done

cargo build --release -q -p missive --bin missive
cargo build --release -q -p missive-server --example loadgen
baseline=""
if [ -f crates/missive-store/examples/baseline.rs ]; then
    cargo build --release -q -p missive-store --example baseline
    baseline=target/release/examples/baseline
fi
missive=target/release/missive
loadgen=target/release/examples/loadgen

work=$(mktemp -d)
pids=()
pgdb=""
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$pgdb" ]; then
        psql "$postgres" -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# 1,000 pollers and 64 signers need more descriptors than the usual 1,024.
ulimit -n 65536 2>/dev/null || true

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
cores=$(nproc)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
$missive demo --no-serve --dir "$work/demo" >/dev/null

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME DATABASE [FLAGS…]: sets server_pid and server_url.
start_server() {
    local name=$1 db=$2
    shift 2
    # A throwaway email secret: PostgreSQL needs one configured (SQLite would make its own file).
    MISSIVE_EMAIL_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
        $missive serve --bundle "$work/demo/bundle" --database "$db" --addr 127.0.0.1:0 "$@" \
        >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    pids+=("$server_pid")
    server_url=""
    for _ in $(seq 200); do
        server_url=$(grep -o 'http://[0-9.:]*' "$work/$name.out" 2>/dev/null | head -1 || true)
        [ -n "$server_url" ] && break
        sleep 0.1
    done
    if [ -z "$server_url" ]; then
        echo "bench/serve: the server did not start:" >&2
        cat "$work/$name.err" >&2
        exit 1
    fi
}

stop_server() {
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
}

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# CPU ticks used so far by processes (all their threads).
cpu_ticks() {
    local t=0 p s
    for p in "$@"; do
        for s in /proc/"$p"/task/*/stat; do
            t=$((t + $(awk '{ print $14 + $15 }' "$s" 2>/dev/null || echo 0)))
        done
    done
    echo "$t"
}

# wrk_run URL ACCEPT-ENCODING PID…: prints "requests/s p99-ms cpu-µs-per-request".
wrk_run() {
    local url=$1 enc=$2
    shift 2
    local before after out
    before=$(cpu_ticks "$@")
    out=$(wrk -t2 -c64 -d"${seconds}s" --latency -H "Accept-Encoding: $enc" "$url")
    after=$(cpu_ticks "$@")
    echo "$out" | awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        /Requests\/sec/ { rps = $2 }
        /requests in/ { n = $1 }
        $1 == "99%" {
            v = $2
            if (v ~ /us$/) { sub(/us$/, "", v); p99 = v / 1000 }
            else if (v ~ /ms$/) { sub(/ms$/, "", v); p99 = v }
            else if (v ~ /s$/) { sub(/s$/, "", v); p99 = v * 1000 }
        }
        /Non-2xx|Socket errors/ { errors = errors " " $0 }
        END { printf "%.0f %.2f %.1f%s\n", rps, p99, (n > 0 ? ticks / hz * 1e6 / n : 0), errors }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# ---------------------------------------------------------------------------------------------
# Page serving
start_server pages "sqlite:$work/pages.db"
page_pid=$server_pid
page_url=$server_url
rss_idle=$(rss_kb "$page_pid")
mkdir -p "$work/nginx/root/en" "$work/nginx/logs"
curl -fsS "$page_url/en/" -o "$work/nginx/root/en/index.html"
curl -fsS -H 'Accept-Encoding: gzip' "$page_url/en/" -o "$work/nginx/root/en/index.html.gz"
page_bytes=$(wc -c <"$work/nginx/root/en/index.html")
gzip_bytes=$(wc -c <"$work/nginx/root/en/index.html.gz")
br_bytes=$(curl -fsS -H 'Accept-Encoding: br' "$page_url/en/" | wc -c)
nginx_port=$(free_port)
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes $cores;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_requests 100000000;
    gzip_static on;
    default_type text/html;
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/nginx/root;
        location / { index index.html; }
    }
}
CONF
# nginx workers drop to an unprivileged user when started as root: let them read the files.
chmod a+rx "$work"
chmod -R a+rX "$work/nginx"
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")
sleep 0.5
nginx_url="http://127.0.0.1:$nginx_port"
served=$(curl -fsS -H 'Accept-Encoding: gzip' -D - -o /dev/null "$nginx_url/en/" | tr -d '\r')
echo "$served" | grep -qi '^content-encoding: gzip' || { echo "bench/serve: nginx did not serve the .gz file" >&2; exit 1; }
nginx_all=$(echo "$nginx_pid" $(pgrep -P "$nginx_pid" || true))
: >"$work/pages-missive" ; : >"$work/pages-nginx" ; : >"$work/pages-missive-br"
for round in $(seq "$rounds"); do
    wrk_run "$page_url/en/" gzip "$page_pid" >>"$work/pages-missive"
    # shellcheck disable=SC2086
    wrk_run "$nginx_url/en/" gzip $nginx_all >>"$work/pages-nginx"
    wrk_run "$page_url/en/" "gzip, deflate, br" "$page_pid" >>"$work/pages-missive-br"
done
rss_pages=$(rss_kb "$page_pid")
stop_server
kill "$nginx_pid" 2>/dev/null || true
wait "$nginx_pid" 2>/dev/null || true

page_row() { # label file bytes
    local rps p99 cpu
    rps=$(cut -d' ' -f1 "$2" | median)
    p99=$(cut -d' ' -f2 "$2" | median)
    cpu=$(cut -d' ' -f3 "$2" | median)
    echo "| $1 | $3 | $rps | $p99 | $cpu | $(cut -d' ' -f1 "$2" | paste -sd/ -) |"
}

# ---------------------------------------------------------------------------------------------
# Signature intake and the counter under load (SQLite), then PostgreSQL
peak_rss_file="$work/peak-rss"
echo 0 >"$peak_rss_file"
sample_peak() { # pid, in the background until killed
    while kill -0 "$1" 2>/dev/null; do
        r=$(rss_kb "$1")
        [ "${r:-0}" -gt "$(cat "$peak_rss_file")" ] && echo "$r" >"$peak_rss_file"
        sleep 0.2
    done
}
json_field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
# summary FILE: medians over the rounds (one loadgen JSON per line), and each round's rate.
summary() {
    python3 - "$1" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = lambda k: statistics.median(r[k] for r in runs)
print(json.dumps({
    "signatures_per_second": round(med("signatures_per_second")),
    "p50_ms": round(med("p50_ms"), 2),
    "p99_ms": round(med("p99_ms"), 2),
    "errors": sum(r["errors"] for r in runs),
    "polls_per_second": round(med("polls_per_second")),
    "poll_p99_ms": round(med("poll_p99_ms"), 2),
    "rounds": "/".join(str(r["signatures_per_second"]) for r in runs),
}))
PY
}

start_server intake-sqlite "sqlite:$work/intake.db" --load-test
sqlite_pid=$server_pid
curl -fsS "$server_url/en/" -o /dev/null
rss_intake_idle=$(rss_kb "$sqlite_pid")
sample_peak "$sqlite_pid" &
sampler=$!
pids+=("$sampler")
run_load() { $loadgen --url "$server_url" --signers 64 --seconds "$seconds" "$@"; }
# Rounds interleave the three loads, so drift on a shared machine hits each alike.
: >"$work/sqlite-plain"
: >"$work/sqlite-poll"
: >"$work/sqlite-poll-heavy"
for round in $(seq "$rounds"); do
    run_load >>"$work/sqlite-plain"
    run_load --pollers 1000 --poll-interval-ms 1000 >>"$work/sqlite-poll"
    run_load --pollers 1000 --poll-interval-ms 100 >>"$work/sqlite-poll-heavy"
done
sqlite_plain=$(summary "$work/sqlite-plain")
sqlite_poll=$(summary "$work/sqlite-poll")
sqlite_poll_heavy=$(summary "$work/sqlite-poll-heavy")
kill "$sampler" 2>/dev/null || true
rss_load=$(cat "$peak_rss_file")
stop_server

pg_result="skipped"
if [ -n "$postgres" ] && command -v psql >/dev/null; then
    pgdb="missive_bench_$$"
    psql "$postgres" -qc "CREATE DATABASE $pgdb" >/dev/null
    pg_url=$(python3 -c '
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1]); print(u.urlunsplit((p.scheme, p.netloc, "/" + sys.argv[2], p.query, p.fragment)))' "$postgres" "$pgdb")
    $missive migrate --database "$pg_url" >/dev/null
    start_server intake-postgres "$pg_url" --load-test
    : >"$work/postgres"
    for round in $(seq "$rounds"); do
        run_load >>"$work/postgres"
    done
    pg_result=$(summary "$work/postgres")
    stop_server
fi

baseline_table="(crates/missive-store/examples/baseline.rs is not there yet)"
if [ -n "$baseline" ]; then
    if [ -n "$postgres" ]; then
        baseline_table=$($baseline --seconds 5 --sqlite-dir "$work/baseline" --postgres "$postgres")
    else
        baseline_table=$($baseline --seconds 5 --sqlite-dir "$work/baseline" --only sqlite)
    fi
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

intake_row() { # label json
    if [ "$2" = "skipped" ]; then
        echo "| $1 | skipped (no PostgreSQL URL) | | | | |"
        return
    fi
    echo "| $1 | $(json_field "$2" signatures_per_second) | $(json_field "$2" p50_ms) | $(json_field "$2" p99_ms) | $(json_field "$2" errors) | $(json_field "$2" rounds) |"
}

# ---------------------------------------------------------------------------------------------
# Report
header() {
    echo "### $when, $cores cores"
    echo
    echo "Command: \`$shown\`; load average at the start $load_start, at the end $load_end."
    if awk -v l="${load_start%% *}" -v c="$cores" 'BEGIN { exit !(l + 0 > c + 0) }'; then
        echo "The machine was busy (1-minute load above the core count): compare figures of this"
        echo "run with each other, not with a quiet machine's."
    fi
    echo
}

pages_block=$(
    header
    echo "Page: \`/en/\` of the demo bundle, $page_bytes bytes ($gzip_bytes gzip, $br_bytes brotli)."
    echo "wrk -t2 -c64 -d${seconds}s, $rounds rounds interleaved; medians (each round's requests/s last)."
    echo "CPU µs/request: the server's own CPU time (all threads / nginx master and workers) per request."
    echo
    echo "| server | body bytes | requests/s | p99 ms | CPU µs/request | rounds |"
    echo "|---|---:|---:|---:|---:|---|"
    page_row "Missive, gzip" "$work/pages-missive" "$gzip_bytes"
    page_row "nginx $(nginx -v 2>&1 | sed 's#.*/##'), gzip_static, same file" "$work/pages-nginx" "$gzip_bytes"
    page_row "Missive, brotli (what browsers get)" "$work/pages-missive-br" "$br_bytes"
)

intake_block=$(
    header
    echo "64 concurrent signers, each on a keep-alive connection posting the next signature as soon"
    echo "as the last is acknowledged (\`cargo run --release -p missive-server --example loadgen\`),"
    echo "${seconds} s after 2 s of warm-up, $rounds rounds, medians; the load generator runs on the same cores. The server runs"
    echo "with \`--load-test\`: no proof-of-work, form token or per-source limit; parsing, validation,"
    echo "the single group-commit writer and durability (acknowledged only after commit) are as in"
    echo "production."
    echo
    echo "| database | signatures/s | p50 ms | p99 ms | errors | rounds |"
    echo "|---|---:|---:|---:|---:|---|"
    intake_row "SQLite (WAL, synchronous=FULL)" "$sqlite_plain"
    intake_row "PostgreSQL (synchronous_commit=on)" "$pg_result"
    echo
    echo "Bare-database baseline, same run (\`cargo run --release -p missive-store --example baseline\`):"
    echo
    echo "$baseline_table"
)

counter_block=$(
    header
    echo "The SQLite signing load above, while 1,000 more keep-alive connections fetch \`count.json\`"
    echo "at a fixed rate each (spread evenly), like readers watching the counter; rounds interleaved"
    echo "with the plain load, medians."
    echo
    echo "| pollers | polls/s | poll p99 ms | signatures/s | change | sign p99 ms | rounds |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    base=$(json_field "$sqlite_plain" signatures_per_second)
    for pair in "none|$sqlite_plain" "1,000 × 1/s|$sqlite_poll" "1,000 × 10/s|$sqlite_poll_heavy"; do
        label=${pair%%|*}
        json=${pair#*|}
        sps=$(json_field "$json" signatures_per_second)
        change=$(awk -v a="$sps" -v b="$base" 'BEGIN { printf "%+.1f%%", (a - b) / b * 100 }')
        echo "| $label | $(json_field "$json" polls_per_second) | $(json_field "$json" poll_p99_ms) | $sps | $change | $(json_field "$json" p99_ms) | $(json_field "$json" rounds) |"
    done
)

memory_block=$(
    header
    echo "Resident set size (VmRSS) of \`missive serve\` with the demo bundle (four languages, every"
    echo "rendition, each file held identity + gzip + brotli)."
    echo
    echo "| moment | RSS MiB |"
    echo "|---|---:|"
    echo "| idle, just started | $(awk -v k="$rss_idle" 'BEGIN { printf "%.1f", k / 1024 }') |"
    echo "| after the page-serving rounds | $(awk -v k="$rss_pages" 'BEGIN { printf "%.1f", k / 1024 }') |"
    echo "| intake server idle (SQLite) | $(awk -v k="$rss_intake_idle" 'BEGIN { printf "%.1f", k / 1024 }') |"
    echo "| peak under signing + 1,000 pollers | $(awk -v k="$rss_load" 'BEGIN { printf "%.1f", k / 1024 }') |"
)

printf '%s\n\n%s\n\n%s\n\n%s\n' "$pages_block" "$intake_block" "$counter_block" "$memory_block"
[ "$write_doc" = 1 ] || exit 0

doc=docs/BENCHMARKS.md
. bench/lib/doc.sh
# add_block SECTION INTRO BLOCK: the block (text) goes at the end of its section.
add_block() {
    local block_file
    block_file=$(mktemp -p "$work")
    printf '%s\n\n' "$3" >"$block_file"
    add_to_section "$doc" "$1" "$2" "$block_file"
}
add_block "## Page serving" "A letter page served by \`missive serve\` from memory, against nginx serving the same pre-compressed file with \`gzip_static\` in the same run. Goal: Missive ≥ nginx. Produced by \`bench/serve/run.sh\`; newest run last." "$pages_block"
add_block "## Signature intake" "Durable co-signatures per second through the whole server (HTTP, parsing, validation, the group-commit writer), next to the bare database measured in the same run. Goals on 2 cores with the load generator on the same machine: ≥ 10,000/s on SQLite, ≥ 5,000/s on PostgreSQL. Produced by \`bench/serve/run.sh\`; newest run last." "$intake_block"
add_block "## Counter under load" "Signing throughput while readers poll the public count. Goal: less than 10% drop. Produced by \`bench/serve/run.sh\`; newest run last." "$counter_block"
add_block "## Memory" "Resident size of the server. Produced by \`bench/serve/run.sh\`; newest run last." "$memory_block"
echo "Added to $doc: Page serving, Signature intake, Counter under load, Memory."
