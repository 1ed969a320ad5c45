#!/bin/sh
# Prints the Redis CPU time per call of the Sluice decision script: the lowest
# usec_per_call of EVALSHA in INFO commandstats over three runs of 100,000 calls per case,
# sent by redis-benchmark from one connection, 50 at a time. Pipelined calls keep Redis
# busy. Sent one at a time, each call also carries the cost of waking Redis up, which varied
# by half a microsecond from run to run. Starts its own redis-server on 127.0.0.1 and stops
# it afterwards.
#
# Usage: redis-script-cost.sh [SCRIPT_DIR] [PORT]
# Defaults: sluice-redis/src/main/resources/dev/sluice/redis 7391
# Needs redis-server, redis-cli and redis-benchmark on the PATH.
set -eu

dir=${1:-sluice-redis/src/main/resources/dev/sluice/redis}
port=${2:-7391}
# shellcheck source=script-server.sh
. "$(dirname "$0")/script-server.sh"

# ARGV: server time, cost 1, max delay, expiry on, then per limit: algorithm, limit, period
# in nanoseconds, burst, shape.
run() {
  label=$1
  shift
  best=
  for _ in 1 2 3; do
    redis-cli -p "$port" config resetstat >/dev/null
    redis-benchmark -p "$port" -q -n 100000 -P 50 -c 1 "$@" >/dev/null
    micros=$(redis-cli -p "$port" info commandstats | grep '^cmdstat_evalsha' \
      | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
    best=$(printf '%s\n%s\n' "$best" "$micros" | grep . | sort -g | head -1)
  done
  printf '%-44s %s us\n' "$label" "$best"
}

second=1000000000
max=9223372036854775807
run 'token_bucket, one key' EVALSHA "$sha" 1 k1 '' 1 "$max" 1 \
  token_bucket 1000000 $second 1000000 0
run 'token_bucket, 10,000 keys' -r 10000 EVALSHA "$sha" 1 k:__rand_int__ '' 1 "$max" 1 \
  token_bucket 1000000 $second 1000000 0
run 'token_bucket, denied (1 per hour)' EVALSHA "$sha" 1 d1 '' 1 "$max" 1 \
  token_bucket 1 3600000000000 1 0
run 'gcra, one key' EVALSHA "$sha" 1 g1 '' 1 "$max" 1 gcra 1000000 $second 1000000 0
run 'fixed_window, one key' EVALSHA "$sha" 1 f1 '' 1 "$max" 1 \
  fixed_window 1000000 $second 1000000 0
run 'sliding_window, one key' EVALSHA "$sha" 1 s1 '' 1 "$max" 1 \
  sliding_window 1000000 $second 1000000 0
# A period of neither whole seconds nor a divisor of a second takes the general path.
run 'fixed_window, 1.5 s period (general path)' EVALSHA "$sha" 1 f2 '' 1 "$max" 1 \
  fixed_window 1500000 1500000000 1500000 0
run 'two token_bucket limits (10/s, 1,000/h)' EVALSHA "$sha" 2 y:a y:b '' 1 "$max" 1 \
  token_bucket 10 $second 10 0 token_bucket 1000 3600000000000 1000 0
run 'five limits, one of each but sliding_log' EVALSHA "$sha" 5 z:a z:b z:c z:d z:e '' 1 \
  "$max" 1 token_bucket 1000000 $second 1000000 0 leaky_bucket 1000000 $second 1000000 1 \
  fixed_window 1000000 $second 1000000 0 gcra 1000000 $second 1000000 0 \
  sliding_window 1000000 $second 1000000 0
run 'six limits, one of each algorithm' EVALSHA "$sha" 6 x:a x:b x:c x:d x:e x:f '' 1 "$max" 1 \
  token_bucket 1000000 $second 1000000 0 leaky_bucket 1000000 $second 1000000 1 \
  fixed_window 1000000 $second 1000000 0 gcra 1000000 $second 1000000 0 \
  sliding_window 1000000 $second 1000000 0 sliding_log 100 $second 100 0
# Batches: one call for several requests of one key, each of cost 1 at the server's time, as
# a hot key's waiting requests go. Each request after the first adds its cost, longest delay
# and time ('' for the server's).
for requests in 2 4 8 16; do
  set -- EVALSHA "$sha" 1 b1 '' 1 "$max" 1 token_bucket 1000000 $second 1000000 0
  i=1
  while [ "$i" -lt "$requests" ]; do
    set -- "$@" 1 "$max" ''
    i=$((i + 1))
  done
  run "token_bucket, one call for $requests requests" "$@"
done
floor=$(redis-cli -p "$port" script load 'return 1')
run 'script returning 1 (floor of EVALSHA)' EVALSHA "$floor" 0
