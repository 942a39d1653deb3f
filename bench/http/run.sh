#!/usr/bin/env bash
# HTTP load benchmark: Vigil's scoring routes on `vigil up` side by side with a minimal Java server calling
# ONNX Runtime directly (the floor) and a minimal Node.js server on onnxruntime-node (the peer), on the same
# model.onnx and the same patient record, with the same load generator (wrk), on loopback only.
# Installs what it needs itself: wrk (Debian) and onnxruntime-node (npm, from the committed lock file).
#
#   bench/http/run.sh                 # 3 alternating rounds of 10 s per run at 1, 4 and 16 connections
#   DURATION=30s CONNECTIONS="1 16" ROUNDS=5 bench/http/run.sh
#   MODEL=readmission bench/http/run.sh    # a clinical model trained as `vigil demo` trains it (default: benchmark,
#                                           # the 200-tree, depth-6 model on 30 numbers)
#
# Prints a Markdown table (also written to $OUT, default bench/http/target/results.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
here="$root/bench/http"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-10s}"
CONNECTIONS="${CONNECTIONS:-1 4 16}"
ROUNDS="${ROUNDS:-3}"
MODEL="${MODEL:-benchmark}"
VIGIL_PORT="${VIGIL_PORT:-18071}"
FLOOR_PORT="${FLOOR_PORT:-18081}"
NODE_PORT="${NODE_PORT:-18091}"
OUT="${OUT:-$here/target/results.md}"
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian package)" >&2
  (as_root apt-get update -qq && as_root apt-get install -y -qq wrk) >/dev/null
fi
if [ ! -d "$here/node/node_modules/onnxruntime-node" ]; then
  echo "installing onnxruntime-node from bench/http/node/package-lock.json" >&2
  # Its install script downloads binaries from a host that is not needed: the CPU binaries ship in the package.
  (cd "$here/node" && npm ci --ignore-scripts --no-audit --no-fund) >/dev/null
fi

. "$root/bench/servers.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-http-bench-XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture prepare "$work" "$MODEL"
model="$(cat "$work/model.name")"
width="$(cat "$work/model.width")"

# shellcheck disable=SC2086 # the options are lists
java $SERVER_JAVA_OPTS -cp "$cli_cp" health.vigil.cli.Main up --home "$work/home" --port "$VIGIL_PORT" >"$work/vigil.log" 2>&1 &
vigil_pid=$!
pids+=("$vigil_pid")
await_port "$VIGIL_PORT" "vigil up"
java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture deploy "$work/home" \
    "http://127.0.0.1:$VIGIL_PORT" "$work"
key="$(cat "$work/scoring.key")"

# shellcheck disable=SC2086
java $SERVER_JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.FloorServer "$work/model.onnx" "$FLOOR_PORT" "$width" \
    >"$work/floor.log" 2>&1 &
floor_pid=$!
pids+=("$floor_pid")
node "$here/node/server.js" "$work/model.onnx" "$NODE_PORT" "$width" >"$work/node.log" 2>&1 &
node_pid=$!
pids+=("$node_pid")
await_port "$FLOOR_PORT" "the floor server"
await_port "$NODE_PORT" "the Node peer"

# name | url | body | key | pid
targets=(
  "vigil /score explain=false|http://127.0.0.1:$VIGIL_PORT/score/$model?explain=false|$work/score.json|$key|$vigil_pid"
  "vigil /score with explanation|http://127.0.0.1:$VIGIL_PORT/score/$model|$work/score.json|$key|$vigil_pid"
  "vigil /v2/models/{name}/infer|http://127.0.0.1:$VIGIL_PORT/v2/models/$model/infer|$work/infer.json|$key|$vigil_pid"
  "floor: Jetty + ONNX Runtime|http://127.0.0.1:$FLOOR_PORT/score|$work/peer.json||$floor_pid"
  "peer: Node + onnxruntime-node|http://127.0.0.1:$NODE_PORT/score|$work/peer.json||$node_pid"
)

# Prints "requests/s p50_ms p99_ms non2xx" from wrk's output.
parse_wrk() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { errors = $5 }
    END { printf "%s %.3f %.3f %d\n", rps, p50, p99, errors + 0 }'
}

run_wrk() {
  local url="$1" body="$2" key="$3" connections="$4" duration="$5"
  local threads=$(( connections < 2 ? 1 : 2 ))
  WRK_BODY="$body" WRK_KEY="$key" wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/post.lua" "$url"
}


# CPU time (clock ticks) the JIT compiler threads of process $1 have used so far; 0 for a process without them.
compiler_ticks() {
  local total=0 task
  for task in /proc/"$1"/task/*; do
    case "$(cat "$task/comm" 2>/dev/null)" in
      C1\ Compiler*|C2\ Compiler*) total=$(( total + $(awk '{print $14 + $15}' "$task/stat") )) ;;
    esac
  done
  echo "$total"
}

# A service is measured as it runs for days: warmed up, and then kept under load until its JIT compiler has
# settled (its compiler threads used under 5 % of a core over 2 s of load at each measured concurrency in turn),
# for at most MAX_SETTLE seconds. Each concurrency is part of the settling because a server may take another path
# for it (Vigil scores a connection that is alone on its selector on that thread, ADR 0027): warmed at four
# connections only, Vigil's one-connection path was still being compiled during the first measured rounds. On two
# busy cores the compiler may also still be working through its queue long after a fixed warm-up, which would
# charge compilation to the measurement. The Node peer compiles on its own threads too; it gets the same warm-up.
MAX_SETTLE="${MAX_SETTLE:-60}"
settle_ticks=$(( $(getconf CLK_TCK) / 10 ))
declare -A settled
echo "warming up every target ($WARMUP at 4 connections each, then at $CONNECTIONS connections in turn until its JIT compiler settles)" >&2
for target in "${targets[@]}"; do
  IFS='|' read -r name url body k pid <<<"$target"
  run_wrk "$url" "$body" "$k" 4 "$WARMUP" >/dev/null
  waited=0
  while [ "$waited" -lt "$MAX_SETTLE" ]; do
    quiet=1
    for c in $CONNECTIONS; do
      before="$(compiler_ticks "$pid")"
      run_wrk "$url" "$body" "$k" "$c" 2s >/dev/null
      waited=$(( waited + 2 ))
      [ $(( $(compiler_ticks "$pid") - before )) -lt "$settle_ticks" ] || quiet=0
    done
    [ "$quiet" = 1 ] && break
  done
  settled["$name"]="$waited"
  echo "  $name: settled after $WARMUP + ${waited}s" >&2
done

# Rounds alternate the targets, so that load from other work on a shared machine falls on all of them alike; each
# figure below is the median over the rounds (resident memory: the largest).
declare -A result
for round in $(seq 1 "$ROUNDS"); do
  for c in $CONNECTIONS; do
    for target in "${targets[@]}"; do
      IFS='|' read -r name url body k pid <<<"$target"
      echo "round $round of $ROUNDS: measuring $name at $c connection(s) for $DURATION" >&2
      result["$name|$c"]+="$(run_wrk "$url" "$body" "$k" "$c" "$DURATION" | parse_wrk) $(rss_mib "$pid")"$'\n'
    done
  done
done

# The median of field $2 (1-based) over the rounds' lines in $1; with $3 = max, the largest.
over_rounds() {
  printf '%s' "$1" | awk -v f="$2" 'NF { print $f }' | sort -g | awk -v how="${3:-median}" '
    { v[NR] = $1 }
    END { if (how == "max") print v[NR]; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "requests/s p50 p99 non-2xx rss" of a target at $2 connections: medians over the rounds (non-2xx summed, RSS max).
summary() {
  local lines="${result["$1|$2"]}"
  echo "$(over_rounds "$lines" 1) $(over_rounds "$lines" 2) $(over_rounds "$lines" 3)" \
      "$(printf '%s' "$lines" | awk 'NF { s += $4 } END { print s + 0 }') $(over_rounds "$lines" 5 max)"
}

mkdir -p "$(dirname "$OUT")"
{
  echo "Model: $MODEL. Machine: $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -n 1); node $(node --version); wrk $(wrk -v 2>&1 | head -n 1 | awk '{print $2}'); $ROUNDS rounds of $DURATION per run (medians); Java servers: $SERVER_JAVA_OPTS, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX; warm-up $WARMUP per target, then until the JIT settled: $(for t in "${targets[@]}"; do IFS='|' read -r n _ <<<"$t"; printf '%s +%ss; ' "$n" "${settled[$n]}"; done)"
  echo
  echo "| target | connections | requests/s | p50 ms | p99 ms | non-2xx | RSS MiB | req/s vs floor | req/s vs peer | p99 vs peer |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CONNECTIONS; do
    read -r floor_rps _ _ _ _ <<<"$(summary "floor: Jetty + ONNX Runtime" "$c")"
    read -r peer_rps _ peer_p99 _ _ <<<"$(summary "peer: Node + onnxruntime-node" "$c")"
    for target in "${targets[@]}"; do
      IFS='|' read -r name _ _ _ _ <<<"$target"
      read -r rps p50 p99 errors rss <<<"$(summary "$name" "$c")"
      awk -v n="$name" -v c="$c" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v e="$errors" -v rss="$rss" \
          -v f="$floor_rps" -v p="$peer_rps" -v pp="$peer_p99" 'BEGIN {
        printf "| %s | %d | %.0f | %.3f | %.3f | %d | %s | %.2fx | %.2fx | %.2fx |\n", n, c, rps, p50, p99, e, rss,
            (f > 0 ? rps / f : 0), (p > 0 ? rps / p : 0), (pp > 0 ? p99 / pp : 0) }'
    done
  done
} | tee "$OUT"
