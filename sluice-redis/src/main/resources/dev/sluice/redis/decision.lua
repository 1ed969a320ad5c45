-- The per-limit decision of one request, the Lua mirror of dev.sluice.Decision without the
-- limit's name: allowed, remaining, reset after, retry after (nil for never) and delay, all
-- in nanoseconds as Big values. Each algorithm file adds the function that builds its meter
-- to METERS under the algorithm's config name. Redis runs the whole script on every call, and
-- every function created costs Redis time, so only the meters that a policy uses are built.

local METERS = {}

-- How far the clock of the instance that wrote a state may run ahead of the request's: a
-- stored time later than that, beyond what its algorithm can write, makes the state
-- unreadable. The fast path in bigint.lua uses the same number.
local CLOCK_SKEW_NANOS = 300000000000

-- Returns how far a stored time of a bucket or window may lie ahead of the request. Each such
-- time is one that an earlier request had reached. So it is ahead only by the skew of clocks,
-- or by up to a period when a request carries a time earlier than one decided before it.
local function max_ahead_by_period(m)
  return Big.add(m.period, CLOCK_SKEW_NANOS)
end

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

-- The time of the request. Algorithms that set `relative` in their meter compute with times
-- relative to the request, so that `now` is 0 and the times they read and write are small
-- numbers rather than limbs of about 1.8e18; decide.lua converts them when it reads and
-- writes the state.
--
-- A non-negative request time is also kept split as whole seconds `sec` and nanoseconds
-- `nsec`, both exact in a double. A stored time split the same way is then made relative as
-- (seconds - sec) * 10^9 + (nanoseconds - nsec), exact while the seconds differ by less than
-- 9,000,000 (104 days), because the result stays below 2^53. Other times take the limbs.
local Clock = {}

local NANOS_PER_SECOND = 1000000000
-- Seconds that two split times may differ by for the difference to stay below 2^53 ns.
local MAX_SPLIT_SECONDS = 9000000
-- Long.MAX_VALUE - 2^53 is 9,214,364,837.6 s. A request time in a second up to this one is
-- earlier, so a relative time below 2^53 cannot reach Long.MAX_VALUE.
local SAFE_UNTIL_SECONDS = 9214364836

-- Splits a canonical decimal string of a non-negative time of at most 19 digits into seconds
-- and nanoseconds, or returns nil.
local function split_time(text)
  local n = #text
  if n > 19 or not string.find(text, '^%d+$') then
    return nil
  end
  if n <= 9 then
    return 0, tonumber(text)
  end
  return tonumber(string.sub(text, 1, n - 9)), tonumber(string.sub(text, n - 8))
end

-- Sets the request time from a decimal string of nanoseconds since the epoch.
function Clock.set(text)
  Clock.text = text
  Clock.sec, Clock.nsec = split_time(text)
  Clock.big = nil
end

-- Sets the request time from the reply of the TIME command: seconds and microseconds.
function Clock.set_time(time)
  Clock.text = nil
  Clock.sec, Clock.nsec = tonumber(time[1]), tonumber(time[2]) * 1000
  Clock.big = nil
end

-- Returns the request time as a Big value.
function Clock.now()
  if Clock.big == nil then
    local text = Clock.text or string.format('%d%09d', Clock.sec, Clock.nsec)
    Clock.big = Big.parse(text)
  end
  return Clock.big
end

-- Returns a stored time, a decimal string, relative to the request time.
function Clock.relative(text)
  if Clock.sec ~= nil then
    local sec, nsec = split_time(text)
    if sec ~= nil and math.abs(sec - Clock.sec) < MAX_SPLIT_SECONDS then
      return (sec - Clock.sec) * NANOS_PER_SECOND + (nsec - Clock.nsec)
    end
  end
  return Big.sub(Big.parse(text), Clock.now())
end

-- Returns a time relative to the request time as an absolute decimal string.
function Clock.absolute(time)
  if Clock.sec ~= nil and type(time) == 'number' then
    local nanos = Clock.nsec + time
    if math.abs(nanos) < 2 ^ 53 then
      local nsec = math.fmod(nanos, NANOS_PER_SECOND)
      if nsec < 0 then
        nsec = nsec + NANOS_PER_SECOND
      end
      local sec = Clock.sec + (nanos - nsec) / NANOS_PER_SECOND
      if sec > 0 then
        return string.format('%d%09d', sec, nsec)
      end
    end
  end
  return Big.tostring(Big.add(time, Clock.now()))
end

-- Returns the offset of the request time in its epoch-aligned window of the given period. A
-- period of whole seconds needs only the seconds, and one that divides a second only the
-- nanoseconds.
function Clock.offset(period)
  if Clock.sec ~= nil and type(period) == 'number' then
    if math.fmod(period, NANOS_PER_SECOND) == 0 then
      local seconds = period / NANOS_PER_SECOND
      return math.fmod(Clock.sec, seconds) * NANOS_PER_SECOND + Clock.nsec
    end
    if math.fmod(NANOS_PER_SECOND, period) == 0 then
      return math.fmod(Clock.nsec, period)
    end
  end
  return Big.mod(Clock.now(), period)
end

-- Caps a relative time at the relative instant of Long.MAX_VALUE, as the Java arithmetic
-- caps absolute times.
function Clock.saturate(time)
  if type(time) == 'number' and Clock.sec ~= nil and Clock.sec <= SAFE_UNTIL_SECONDS then
    return time
  end
  return Big.min(time, Big.sub(Big.LONG_MAX, Clock.now()))
end
