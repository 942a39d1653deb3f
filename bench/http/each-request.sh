#!/usr/bin/env bash
# Each request's own latency, from the same wrk run whose figures bench/http/run.sh reports.
#
# wrk corrects its latency histogram for coordinated omission: after the run, every recorded latency L of at
# least twice the mean interval i between a connection's requests also counts as L - i, L - 2i, ... down to about
# i (what requests sent on a fixed schedule would have waited). Its percentiles are those of the corrected
# histogram. This script runs wrk under `perf` with the system calls it makes traced, pairs each request's write
# with the read that brought its response on the same connection, and prints wrk's own figures next to the
# percentiles of those pairs. Tracing slows the client and the server a little (at four and more connections
# more than a little); compare targets measured the same way.
#
#   bench/http/each-request.sh URL BODY [KEY] [CONNECTIONS] [DURATION]
#
# URL, BODY and KEY as bench/http/run.sh uses them (a running `vigil up`, or the floor or the Node peer). Needs
# `perf` (Debian: linux-perf) and the right to trace system calls (root, or perf_event_paranoid at most 1).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
url="$1" body="$2" key="${3:-}" connections="${4:-1}" duration="${5:-4s}"
threads=$(( connections < 2 ? 1 : 2 ))
trace="$(mktemp "${TMPDIR:-/tmp}/vigil-each-request-XXXXXX")"
trap 'rm -f "$trace" "$trace.wrk"' EXIT
perf record -q -o "$trace" -e 'syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_exit_read' -- \
    env WRK_BODY="$body" WRK_KEY="$key" wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s "$here/post.lua" "$url" >"$trace.wrk" 2>/dev/null
awk '/Requests\/sec:/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
     END { printf "wrk: %s requests/s, p50 %s, p99 %s (corrected)\n", r, p50, p99 }' "$trace.wrk"
# perf script: COMM TID [CPU] TIME: EVENT: ARGS. A request starts at wrk's write on a connection (fd) and ends
# at the first read on that connection that returns data after it.
perf script -i "$trace" 2>/dev/null | awk '
  $1 != "wrk" { next }
  { t = $4; sub(/:$/, "", t) }
  $5 ~ /sys_enter_write/ { fd = $7; sub(/,$/, "", fd); start[$2 " " fd] = t; next }
  $5 ~ /sys_enter_read/ { fd = $7; sub(/,$/, "", fd); reading[$2] = fd; next }
  $5 ~ /sys_exit_read/ {
    if (!($2 in reading)) next
    k = $2 " " reading[$2]; delete reading[$2]
    if ($6 !~ /^0x/ || $6 == "0x0" || !(k in start)) next
    printf "%.1f\n", (t - start[k]) * 1e6; delete start[k]
  }' | sort -g | awk '
  { v[NR] = $1; s += $1 }
  function q(p) { i = int(p * NR); if (i < 1) i = 1; return v[i] }
  END {
    if (NR == 0) { print "no requests traced (is perf allowed to trace system calls?)"; exit 1 }
    printf "each request: %d traced, mean %.0f us, p50 %.0f us, p90 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us\n",
        NR, s / NR, q(0.5), q(0.9), q(0.99), q(0.999), v[NR]
  }'
