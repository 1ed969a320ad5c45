-- POST /v1/check of the Sluice service with a random key out of 10,000, cost 1, policy
-- "default" from the embedded default config (listed by GET /v1/policies).
-- Run: wrk -t2 -c64 -d30s --latency -s check.lua http://127.0.0.1:18081/v1/check
-- wrk prints "Non-2xx or 3xx responses" in its summary when there are any.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

request = function()
  local body = string.format('{"policy":"default","key":"k%d","cost":1}', math.random(1, 10000))
  return wrk.format(nil, nil, nil, body)
end
