#!/bin/sh
# Prints the Redis CPU time per sliding_log decision of the Sluice decision script at 10,
# 1,000 and 100,000 live entries: the lowest usec_per_call of EVALSHA in INFO commandstats
# over three runs per case, sent by redis-benchmark from one connection. Starts its own
# redis-server on 127.0.0.1 and stops it afterwards.
#
# Each log is written as a hash in the layout of the scripts up to commit b5c74d8 (fields
# times, totals and base), which those scripts and the later sorted-set scripts both read.
# One admission before the runs converts it where the script converts. The entries are
# 1 unit each, 1 ns apart, the newest at the request time, with a limit of 1,000,000 per day,
# so that the state stays the same size through the runs:
# - an admission of cost 1 at the newest entry's time adds to that entry;
# - a denial (cost 1,000,000) writes nothing and looks up the retry after.
#
# Usage: redis-sliding-log-cost.sh [SCRIPT_DIR] [PORT]
# Defaults: sluice-redis/src/main/resources/dev/sluice/redis 7392
# Needs redis-server, redis-cli and redis-benchmark on the PATH.
set -eu

dir=${1:-sluice-redis/src/main/resources/dev/sluice/redis}
port=${2:-7392}
# shellcheck source=script-server.sh
. "$(dirname "$0")/script-server.sh"

# Writes a log of ARGV[1] entries at 1800000000000000000 ns + 0, 1, ... as a hash.
fill='local n = tonumber(ARGV[1])
local times, totals = {}, {}
for i = 0, n - 1 do
  times[i + 1] = string.format("1800000000%09d", i)
  totals[i + 1] = string.format("%d", i + 1)
end
redis.call("DEL", KEYS[1])
redis.call("HSET", KEYS[1], "times", table.concat(times, ","),
  "totals", table.concat(totals, ","), "base", "0")'

limit=1000000
day=86400000000000

# Runs one case CALLS times per run: LABEL CALLS then the benchmark's command.
run() {
  label=$1
  calls=$2
  shift 2
  best=
  for _ in 1 2 3; do
    redis-cli -p "$port" config resetstat >/dev/null
    redis-benchmark -p "$port" -q -n "$calls" -c 1 "$@" >/dev/null
    micros=$(redis-cli -p "$port" info commandstats | grep '^cmdstat_evalsha' \
      | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
    best=$(printf '%s\n%s\n' "$best" "$micros" | grep . | sort -g | head -1)
  done
  printf '%-44s %s us\n' "$label" "$best"
}

# Prints the Redis time of one call: LABEL then the arguments of EVALSHA after the SHA-1.
once() {
  label=$1
  shift
  redis-cli -p "$port" config resetstat >/dev/null
  redis-cli -p "$port" evalsha "$sha" "$@" >/dev/null
  micros=$(redis-cli -p "$port" info commandstats | grep '^cmdstat_evalsha' \
    | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
  printf '%-44s %s us\n' "$label" "$micros"
}

for entries in 10 1000 100000; do
  calls=20000
  if [ "$entries" -ge 100000 ]; then
    calls=200
  fi
  key=log$entries
  now=$(printf '1800000000%09d' $((entries - 1)))
  redis-cli -p "$port" eval "$fill" 1 "$key" "$entries" >/dev/null
  once "first admission, $entries entries (a hash)" 1 "$key" "$now" 1 1 0 \
    sliding_log $limit $day $limit 0
  run "admission, $entries entries" "$calls" EVALSHA "$sha" 1 "$key" "$now" 1 1 0 \
    sliding_log $limit $day $limit 0
  run "denial, $entries entries" "$calls" EVALSHA "$sha" 1 "$key" "$now" $limit 1 0 \
    sliding_log $limit $day $limit 0
  # One day and 1 ns after the newest entry every entry has left the window.
  later=$(printf '1800086400%09d' "$entries")
  once "admission after all $entries entries left" 1 "$key" "$later" 1 1 0 \
    sliding_log $limit $day $limit 0
done
