-- POST /v1/check with a random key out of 10,000 for the HTTP server comparison.
-- Run: wrk -t2 -c32 -d15s -s post.lua http://127.0.0.1:18090/v1/check
-- wrk prints "Non-2xx or 3xx responses" in its summary when there are any.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

math.randomseed(42)

request = function()
  local body = string.format('{"policy":"default","key":"k%d","cost":1}', math.random(1, 10000))
  return wrk.format(nil, nil, nil, body)
end

