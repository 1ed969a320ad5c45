#!/bin/sh
# Counts the decisions that the failure mode made, instead of Redis, while `sluice serve` on
# a local Redis is loaded by wrk: 10 s right after start ("cold"), then 10 s more ("warm").
# Starts its own redis-server and server on 127.0.0.1 and stops both afterwards.
#
# Usage: fallbacks-under-load.sh COMMAND_TIMEOUT [REDIS_PORT] [HTTP_PORT]
# Example: fallbacks-under-load.sh 20ms
# Needs redis-server, redis-cli and wrk on the PATH, and the server jar
# (sluice-server/target/sluice.jar, built by ./sluice or ./mvnw package).
set -eu

timeout=${1:?usage: fallbacks-under-load.sh COMMAND_TIMEOUT [REDIS_PORT] [HTTP_PORT]}
redis_port=${2:-16399}
http_port=${3:-18200}
dir=$(mktemp -d)
server=
trap 'if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi;
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --logfile /dev/null
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done

# The embedded default config's policies, on the Redis store with the timeout to measure.
{
  printf 'store:\n  type: redis\n  uri: redis://127.0.0.1:%s\n  command_timeout: %s\n' \
    "$redis_port" "$timeout"
  sed -n '/^policies:/,$p' \
    sluice-server/src/main/resources/dev/sluice/server/config/default-config.yaml
} > "$dir/config.yaml"

java -jar sluice-server/target/sluice.jar serve --config "$dir/config.yaml" \
  --port "$http_port" > "$dir/serve.log" 2>&1 &
server=$!
until grep -q ' started ' "$dir/serve.log"; do sleep 0.1; done

url=http://127.0.0.1:$http_port/v1/check
for phase in cold warm; do
  printf '%s %s: ' "$timeout" "$phase"
  wrk -t2 -c32 -d10s -s sluice-bench/wrk/count-fallbacks.lua "$url" | grep '^fallback'
done
printf 'breaker openings: %s\n' "$(grep -c 'Redis store failed' "$dir/serve.log" || true)"
