#!/usr/bin/env bash
# Start-up benchmark: how long `vigil up` takes from the launch of its JVM to a ready answer on
# /v2/health/ready, on a new home and on a home with a deployed model (a restart), how long the first
# score after ready then takes, and the resident memory at that point; side by side with the floor server
# of the HTTP benchmark (a JVM that loads ONNX Runtime and the same model and listens), launched the same way.
# Rounds alternate the three starts so they share the machine's conditions.
#
#   bench/startup/run.sh            # 10 rounds
#   ROUNDS=20 bench/startup/run.sh
#
# Prints a Markdown table (also written to $OUT, default bench/startup/target/results.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/startup"
ROUNDS="${ROUNDS:-10}"
PORT="${PORT:-18171}"
OUT="${OUT:-$here/target/results.md}"
. "$root/bench/servers.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-startup-bench-XXXXXX")"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }


# Waits until $1 answers 200 (GET), polling every 10 ms; fails after a minute.
await_ok() {
  local url="$1"
  for _ in $(seq 1 6000); do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = 200 ]; then
      return 0
    fi
    sleep 0.01
  done
  echo "$url did not answer 200 within a minute" >&2
  exit 1
}

stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
}

# The benchmark model, and a home where it is registered, approved and deployed.
java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture prepare "$work"
model="$(cat "$work/model.name")"
width="$(cat "$work/model.width")"
# shellcheck disable=SC2086 # the options are lists
java $SERVER_JAVA_OPTS -cp "$cli_cp" health.vigil.cli.Main up --home "$work/deployed" --port "$PORT" \
    >"$work/setup.log" 2>&1 &
server=$!
await_ok "http://127.0.0.1:$PORT/v2/health/ready"
java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture deploy "$work/deployed" \
    "http://127.0.0.1:$PORT" "$work"
key="$(cat "$work/scoring.key")"
stop_server

# One start of `vigil up` on home $1: prints "ready_ms first_score_ms rss_mib" (first score "-" without a model).
start_vigil() {
  local home="$1" score="$2" t0 t1 t2 first="-"
  t0="$(now_ms)"
  # shellcheck disable=SC2086
  java $SERVER_JAVA_OPTS -cp "$cli_cp" health.vigil.cli.Main up --home "$home" --port "$PORT" \
      >>"$work/vigil.log" 2>&1 &
  server=$!
  await_ok "http://127.0.0.1:$PORT/v2/health/ready"
  t1="$(now_ms)"
  if [ "$score" = yes ]; then
    local status
    status="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "x-api-key: $key" \
        --data-binary "@$work/score.json" "http://127.0.0.1:$PORT/score/$model?explain=false")"
    t2="$(now_ms)"
    if [ "$status" != 200 ]; then
      echo "the first score after a restart answered $status" >&2
      exit 1
    fi
    first=$(( t2 - t1 ))
  fi
  echo "$(( t1 - t0 )) $first $(rss_mib "$server")"
  stop_server
}

start_floor() {
  local t0 t1
  t0="$(now_ms)"
  # shellcheck disable=SC2086
  java $SERVER_JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.FloorServer "$work/model.onnx" "$PORT" "$width" \
      >>"$work/floor.log" 2>&1 &
  server=$!
  await_port "$PORT" "the floor server"
  t1="$(now_ms)"
  echo "$(( t1 - t0 )) - $(rss_mib "$server")"
  stop_server
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a fresh restart floor
for r in $(seq 1 "$ROUNDS"); do
  echo "round $r of $ROUNDS" >&2
  fresh+=("$(start_vigil "$work/fresh-$r" no)")
  restart+=("$(start_vigil "$work/deployed" yes)")
  floor+=("$(start_floor)")
done

mkdir -p "$(dirname "$OUT")"
column() { local n="$1"; shift; printf '%s\n' "$@" | awk -v n="$n" '$n != "-" { print $n }' | median; }

{
  echo "Machine: $(nproc) vCPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -n 1); $ROUNDS rounds; servers: $SERVER_JAVA_OPTS, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"
  echo
  echo "| start | to ready, median ms | first score after ready, median ms | RSS at ready, median MiB | ready vs floor |"
  echo "|---|---:|---:|---:|---:|"
  f="$(column 1 "${floor[@]}")"
  for row in "vigil up, new home|fresh" "vigil up, home with a deployed model|restart" "floor: Jetty + ONNX Runtime + model|floor"; do
    IFS='|' read -r name var <<<"$row"
    declare -n runs="$var"
    ready="$(column 1 "${runs[@]}")"
    first="$(column 2 "${runs[@]}")"
    rss="$(column 3 "${runs[@]}")"
    ratio="$(awk -v a="$ready" -v b="$f" 'BEGIN { printf "%.2fx", a / b }')"
    echo "| $name | $ready | ${first:--} | $rss | $ratio |"
    unset -n runs
  done
} | tee "$OUT"
