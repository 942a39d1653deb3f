# Shared by the benchmark scripts that start Vigil and the floor server (bench/http/run.sh, bench/startup/run.sh):
# how the servers under test are sized, the build, the class paths and the probes. Source it after setting $root.
#
# The servers run as `vigil up` ships: with the JVM options of cli/jvm.options and cli/platform-jvm.options (a small heap that grows with the
# work, the serial collector, native memory trimmed back after bursts) and glibc limited to two malloc arenas
# (ONNX Runtime's and the JVM's threads would otherwise each get a 64 MiB arena), both for Vigil and for the floor
# server. -Xss8m on top: ONNX Runtime's native start-up overflows the default 1 MiB stack when the class path is
# long. SERVER_JAVA_OPTS replaces it all; JAVA_OPTS is for the short-lived fixture steps.
JAVA_OPTS="${JAVA_OPTS:--Xss8m}"
SERVER_JAVA_OPTS="${SERVER_JAVA_OPTS:--Xss8m $(cat "$root/cli/jvm.options" "$root/cli/platform-jvm.options" | grep -v '^#' | tr '\n' ' ')}"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"

echo "building the CLI and the benchmarks" >&2
(cd "$root" && mvn -B -q -ntp ${MVN_OPTS:-} -pl bench,cli -am package -DskipTests) >&2

version="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml" | head -n 1)"
bench_cp="$root/bench/target/vigil-bench-$version.jar:$root/bench/target/lib/*"
cli_cp="$root/cli/target/vigil-cli-$version.jar:$root/cli/target/lib/*"

# Resident memory of process $1 in MiB.
rss_mib() {
  awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# Waits until something accepts connections on 127.0.0.1:$1 ($2 names it in the error), polling every 10 ms.
await_port() {
  local port="$1" name="$2"
  for _ in $(seq 1 6000); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.01
  done
  echo "$name did not start listening on port $port within a minute" >&2
  exit 1
}
