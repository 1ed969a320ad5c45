-- The per-limit decision of one request, the Lua mirror of dev.sluice.Decision without the
-- limit's name: allowed, remaining, reset after, retry after (nil for never) and delay, all
-- in nanoseconds as Big values. Each algorithm file adds its meter to METERS under the
-- algorithm's config name.

local METERS = {}

local function allow(remaining, reset_after, delay)
  return {allowed = true, remaining = remaining, reset_after = reset_after,
          retry_after = Big.ZERO, delay = delay}
end

local function deny(remaining, reset_after, retry_after)
  return {allowed = false, remaining = remaining, reset_after = reset_after,
          retry_after = retry_after, delay = Big.ZERO}
end

-- A denial that waiting cannot turn into an admission: the cost exceeds the limit.
local function never(remaining, reset_after)
  return deny(remaining, reset_after, nil)
end
