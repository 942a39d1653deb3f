#!/usr/bin/env bash
# What sets wrk's p99 on `vigil up`, by taking its suspects away one at a time: the young collections (a larger
# young generation, passed as JVM options) and the prediction log's background threads (moved to the SCHED_IDLE
# policy from outside with `chrt`, so that they run only on an otherwise idle core). The Node peer runs beside it
# on the same model and is measured between Vigil's runs, so each pair shares the machine's minutes.
#
#   bench/http/tail-sources.sh [JVM options added to the shipped ones, one argument per configuration...]
#
# For each configuration (none given: the shipped options alone): `vigil up` on MODEL (default readmission) with
# them, warmed as bench/http/run.sh warms it, then ROUNDS (default 2) rounds of: DURATION (default 10s) of wrk at
# each of CONNECTIONS (default "1 4") with the drain and checkpoint threads in each of MODES (default "other idle":
# as they run, then under SCHED_IDLE; "nice19" keeps the normal policy at nice 19, which moving a thread back to
# nice 0 afterwards needs root for), and the peer. Prints wrk's p98, p99 and p99.9 (corrected for coordinated
# omission), the young collections in each run (jstat) and Vigil's resident memory. A diagnosis, not a setting:
# `vigil up` does not change its threads' policy (see docs/benchmarks.md, "What sets the p99 once young collections
# are rare").
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
MODEL="${MODEL:-readmission}"
ROUNDS="${ROUNDS:-2}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1 4}"
VIGIL_PORT="${VIGIL_PORT:-18181}"
NODE_PORT="${NODE_PORT:-18183}"
for tool in wrk chrt jstat node; do
  command -v "$tool" >/dev/null || { echo "tail-sources.sh needs $tool (wrk: Debian's wrk; chrt: util-linux)" >&2; exit 1; }
done
if [ ! -d "$here/node/node_modules/onnxruntime-node" ]; then
  (cd "$here/node" && npm ci --ignore-scripts --no-audit --no-fund) >/dev/null
fi
# shellcheck source=../servers.sh
. "$root/bench/servers.sh"
shipped="$SERVER_JAVA_OPTS"
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-tail-XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture prepare "$work" "$MODEL" >/dev/null
model="$(cat "$work/model.name")"
node "$here/node/server.js" "$work/model.onnx" "$NODE_PORT" "$(cat "$work/model.width")" >"$work/node.log" 2>&1 &
pids+=("$!")
await_port "$NODE_PORT" "the Node peer"

# post.lua's requests, and a last line with the percentiles wrk computed (corrected) and the request count.
cat >"$work/tail.lua" <<LUA
dofile("$here/post.lua")
done = function(summary, latency, requests)
  for _, p in ipairs({98, 99, 99.9}) do
    io.write(string.format("p%s=%.2fms ", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("n=%d\\n", summary.requests))
end
LUA
load() { # URL BODY KEY CONNECTIONS DURATION -> the last line tail.lua writes
  local threads=$(( $4 < 2 ? 1 : 2 ))
  WRK_BODY="$2" WRK_KEY="$3" wrk -t"$threads" -c"$4" -d"$5" -s "$work/tail.lua" "$1" | tail -n 1
}
young() { jstat -gc "$1" | awk 'NR == 2 { print $13 }'; }
policy() { # PID other|idle|nice19: the prediction log's drain and checkpoint threads
  local flag=-o nice=0
  [ "$2" = idle ] && flag=-i
  [ "$2" = nice19 ] && nice=19
  for task in /proc/"$1"/task/*; do
    case "$(cat "$task/comm")" in
      vigil-predictio*|vigil-checkpoin*)
        chrt "$flag" -p 0 "${task##*/}"
        renice -n "$nice" -p "${task##*/}" >/dev/null ;;
    esac
  done
}
figures() { grep -o 'p98=[^ ]*\|p99=[^ ]*\|p99.9=[^ ]*\|n=[0-9]*' | tr '\n' ' '; }

peer_url="http://127.0.0.1:$NODE_PORT/score"
load "$peer_url" "$work/peer.json" "" 4 8s >/dev/null
[ $# -gt 0 ] || set -- ""
for extra in "$@"; do
  rm -rf "$work/home"
  # shellcheck disable=SC2086 # the options are lists
  java $shipped $extra -cp "$cli_cp" health.vigil.cli.Main up --home "$work/home" --port "$VIGIL_PORT" \
      >"$work/vigil.log" 2>&1 &
  vigil_pid=$!
  pids+=("$vigil_pid")
  await_port "$VIGIL_PORT" "vigil up"
  java $JAVA_OPTS -cp "$bench_cp" health.vigil.bench.http.HttpLoadFixture deploy "$work/home" \
      "http://127.0.0.1:$VIGIL_PORT" "$work" >/dev/null
  url="http://127.0.0.1:$VIGIL_PORT/score/$model?explain=false"
  key="$(cat "$work/scoring.key")"
  load "$url" "$work/score.json" "$key" 4 8s >/dev/null
  load "$url" "$work/score.json" "$key" 1 6s >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
    for mode in ${MODES:-other idle}; do
      policy "$vigil_pid" "$mode"
      for c in $CONNECTIONS; do
        before=$(young "$vigil_pid")
        line=$(load "$url" "$work/score.json" "$key" "$c" "$DURATION" | figures)
        after=$(young "$vigil_pid")
        echo "round $round vigil [${extra:-shipped options}] drain $mode, $c connections: $line young collections" \
            "$(awk -v a="$before" -v b="$after" 'BEGIN { print b - a }')"
      done
    done
    for c in $CONNECTIONS; do
      echo "round $round peer, $c connections: $(load "$peer_url" "$work/peer.json" "" "$c" "$DURATION" | figures)"
    done
  done
  echo "vigil [${extra:-shipped options}] resident: $(rss_mib "$vigil_pid") MiB; peer: $(rss_mib "${pids[0]}") MiB"
  kill "$vigil_pid"
  wait "$vigil_pid" 2>/dev/null || true
done
