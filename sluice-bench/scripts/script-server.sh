# Sourced by the redis-*-cost.sh scripts and redis-one-call-floor.sh: starts a redis-server on
# 127.0.0.1:$port, stopped when the sourcing script exits, and loads the Sluice decision script
# from $dir, assembled as DecisionScript assembles it, into $sha. The caller sets dir and port
# first.

# A daemonised redis-server does not fail when the port is taken. The exit trap would then shut
# down the server that already uses it.
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "a Redis server already listens on port $port; choose a free port" >&2
  exit 1
fi
script=$(mktemp)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -f "$script"' EXIT
# A signal, such as SIGPIPE when the output is cut short, exits through the EXIT trap too.
trap 'exit 1' HUP INT PIPE TERM

redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --logfile /dev/null
# A port taken by another program makes redis-server exit, so the wait is bounded.
tries=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 100 ]; then
    echo "redis-server did not respond on port $port within 10 s; check that the port is free" >&2
    exit 1
  fi
  sleep 0.1
done

# The same files, in the same order, as DecisionScript assembles.
for part in bigint decision token_bucket fixed_window gcra sliding_window sliding_log decide; do
  cat "$dir/$part.lua"
  echo
done > "$script"
sha=$(redis-cli -p "$port" script load "$(cat "$script")")
