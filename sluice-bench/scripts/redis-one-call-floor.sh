#!/bin/sh
# Prints how many calls per second one connection gets from Redis when it sends them one at a
# time, as a caller on one thread does. The calls are a PING, then scripts that do more and
# more of a decision's work. redis-benchmark sends them, so no Java code takes part. The cases
# run in turns, ROUNDS times, and each line gives the median of its rounds and its ratio to
# PING's.
#
# The two floor scripts run only the Redis commands that any decision at the server's time on
# stored state with an expiry needs: they read the time, read the state, and write it back with
# its expiry. Their values are constants, and they do no arithmetic. One keeps the state in a
# hash as Sluice does (TIME, HMGET, HSET, PEXPIRE). The other keeps it in a string, which needs
# one command fewer (TIME, GET, SET with PX). Their ratio to PING bounds that of any script that
# keeps the state in the same way.
#
# Usage: redis-one-call-floor.sh [ROUNDS] [SCRIPT_DIR] [PORT]
# Defaults: 5 sluice-redis/src/main/resources/dev/sluice/redis 7392
# Needs redis-server, redis-cli and redis-benchmark on the PATH. Starts its own redis-server
# on 127.0.0.1 and stops it afterwards.
set -eu

rounds=${1:-5}
dir=${2:-sluice-redis/src/main/resources/dev/sluice/redis}
port=${3:-7392}
# shellcheck source=script-server.sh
. "$(dirname "$0")/script-server.sh"

second=1000000000
max=9223372036854775807
reply='{1, 999999, 1000, 0, 0, 0}'
reply_only=$(redis-cli -p "$port" script load "return $reply")
hash_floor=$(redis-cli -p "$port" script load "
redis.call('TIME')
redis.call('HMGET', KEYS[1], 'ref', 'tokens', 'numbers')
redis.call('HSET', KEYS[1], 'ref', '1764933000123456789', 'tokens', 999999,
    'numbers', '1000000:1000000000:1000000')
redis.call('PEXPIRE', KEYS[1], 1)
return $reply")
string_floor=$(redis-cli -p "$port" script load "
redis.call('TIME')
redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], '1764933000123456789:999999', 'PX', 1)
return $reply")

# Requests per second of one case: 30,000 calls from one connection, one at a time.
rate() {
  redis-benchmark -p "$port" -c 1 -n 30000 --csv "$@" | tail -1 | cut -d, -f2 | tr -d '"'
}

# Requests per second of script $1 called with the arguments of a one-key token_bucket
# decision on key $2, of cost 1 at the server's time: 1,000,000 per second, so that every call
# is admitted and writes.
decision_rate() {
  rate EVALSHA "$1" 1 "$2" '' 1 "$max" 1 token_bucket 1000000 "$second" 1000000 0
}

# redis-benchmark times an error reply like any other, so each script must admit a request
# first.
for case in "$reply_only" "$hash_floor" "$string_floor" "$sha"; do
  first=$(redis-cli -p "$port" evalsha "$case" 1 check '' 1 "$max" 1 token_bucket 1000000 \
    "$second" 1000000 0 | head -1)
  if [ "$first" != 1 ]; then
    echo "script $case replied '$first', expected an admission (1)" >&2
    exit 1
  fi
done

results=$(mktemp)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -f "$script" "$results"' EXIT
round=1
while [ "$round" -le "$rounds" ]; do
  {
    echo "ping $(rate PING)"
    echo "reply-only $(decision_rate "$reply_only" r1)"
    echo "hash-floor $(decision_rate "$hash_floor" h1)"
    echo "string-floor $(decision_rate "$string_floor" s1)"
    echo "decision $(decision_rate "$sha" d1)"
  } >> "$results"
  round=$((round + 1))
done

median() {
  grep "^$1 " "$results" | cut -d' ' -f2 | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ping=$(median ping)
printf '%-14s %12s %14s  %s\n' case 'calls/s' 'ratio to PING' 'all rounds'
for case in ping reply-only hash-floor string-floor decision; do
  value=$(median "$case")
  all=$(grep "^$case " "$results" | cut -d' ' -f2 | tr '\n' ' ')
  printf '%-14s %12.0f %14.2f  %s\n' "$case" "$value" "$(awk "BEGIN { print $value / $ping }")" "$all"
done
