-- Like check.lua: POST /v1/check of the "default" policy with a random key out of 10,000.
-- Also counts the responses that the store's failure mode decided (a body with "fallback")
-- and prints that count and the number of responses when wrk is done.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  fallbacks = 0
  responses = 0
end

request = function()
  local body = string.format('{"policy":"default","key":"k%d","cost":1}', math.random(1, 10000))
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  responses = responses + 1
  if string.find(body, '"fallback"', 1, true) then
    fallbacks = fallbacks + 1
  end
end

function done(summary, latency, requests)
  local f, r = 0, 0
  for _, thread in ipairs(threads) do
    f = f + thread:get("fallbacks")
    r = r + thread:get("responses")
  end
  io.write(string.format("fallback responses: %d of %d\n", f, r))
end
