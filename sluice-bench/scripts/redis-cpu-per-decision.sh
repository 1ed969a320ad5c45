#!/bin/bash
# Runs RedisStoreBenchmark.eightThreads on one key for one library and prints its decisions per
# second and the CPU time per decision of the benchmark's JVM (the client) and of its
# redis-server, sampled from /proc over 5 s of the measurement.
#
# Usage: redis-cpu-per-decision.sh [LIBRARY]   (sluice, redisson, bucket4j or ping; default
# sluice). Run from the repository root after building sluice-bench/target/benchmarks.jar.
# Linux only. Take it under the same lock as other JMH runs: flock /tmp/jmh.lock ...
set -eu

library=${1:-sluice}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

java -jar sluice-bench/target/benchmarks.jar 'RedisStoreBenchmark.eightThreads' -f 1 \
  -wi 1 -w 4s -i 2 -r 6s -p library="$library" -p keys=1 >"$out" 2>&1 &
run=$!
# JVM start and the 4 s warm-up, so that the sample falls into the measurement.
sleep 9
fork=$(pgrep -f 'org.openjdk.jmh.runner.ForkedMain' | head -1)
redis=$(pgrep -P "$fork" -f redis-server | head -1)
tick=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
client_before=$(cpu_ticks "$fork")
redis_before=$(cpu_ticks "$redis")
start=$(date +%s.%N)
sleep 5
client_after=$(cpu_ticks "$fork")
redis_after=$(cpu_ticks "$redis")
end=$(date +%s.%N)
wait "$run"
rate=$(awk '/^RedisStoreBenchmark/ {print $6}' "$out")
awk -v lib="$library" -v rate="$rate" -v tick="$tick" -v seconds="$(echo "$end - $start" | bc)" \
  -v client="$((client_after - client_before))" -v redis="$((redis_after - redis_before))" \
  'BEGIN {
    c = client / tick / seconds; r = redis / tick / seconds
    printf "library=%s decisions_per_s=%.0f client_cpu=%.0f%% redis_cpu=%.0f%%", lib, rate, c * 100, r * 100
    printf " client_us_per_decision=%.1f redis_us_per_decision=%.1f\n", c / rate * 1e6, r / rate * 1e6
  }'
