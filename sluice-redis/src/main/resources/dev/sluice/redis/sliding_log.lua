-- Sliding window log: a port of SlidingLogMeter in sluice-core, with the same decisions but
-- a cheaper layout. The state is the admission times in increasing order and, for each, the
-- running total of units admitted up to and including it, stored as comma-separated lists of
-- decimal strings, plus `base`, the running total before the first entry kept. The Java
-- meter rebases its totals to 0 when old entries leave. Here they are never rebased, because
-- only differences of totals are used, so an admission copies the strings of the live
-- entries without arithmetic on them. Lookups compare the decimal strings directly, and only
-- the few values a decision needs are parsed.

local function build_sliding_log()
  local SlidingLog = {fields = {'times', 'totals', 'base'}}

  local DIGITS_PER_CHUNK = 15

  -- Compares canonical decimal strings of non-negative integers, 15 digits (exact in a double)
  -- at a time, so that the result does not depend on the server's collation locale.
  local function dec_cmp_magnitude(a, b)
    if #a ~= #b then
      return #a < #b and -1 or 1
    end
    for first = 1, #a, DIGITS_PER_CHUNK do
      local x = tonumber(string.sub(a, first, first + DIGITS_PER_CHUNK - 1))
      local y = tonumber(string.sub(b, first, first + DIGITS_PER_CHUNK - 1))
      if x ~= y then
        return x < y and -1 or 1
      end
    end
    return 0
  end

  local function dec_cmp(a, b)
    local a_negative = string.sub(a, 1, 1) == '-'
    local b_negative = string.sub(b, 1, 1) == '-'
    if a_negative ~= b_negative then
      return a_negative and -1 or 1
    end
    if a_negative then
      return dec_cmp_magnitude(string.sub(b, 2), string.sub(a, 2))
    end
    return dec_cmp_magnitude(a, b)
  end

  -- Returns the first 1-based index in `list` whose value is above (or, with `inclusive`, at
  -- least) `bound`, or #list + 1.
  local function first_index(list, bound, inclusive)
    local low, high = 1, #list + 1
    while low < high do
      local middle = math.floor((low + high) / 2)
      local order = dec_cmp(list[middle], bound)
      if order > 0 or (inclusive and order == 0) then
        high = middle
      else
        low = middle + 1
      end
    end
    return low
  end

  local function split(text)
    local list = {}
    for value in string.gmatch(text, '[^,]+') do
      list[#list + 1] = value
    end
    return list
  end

  function SlidingLog.decode(values)
    return {times = split(values[1]), totals = split(values[2]), base = values[3]}
  end

  function SlidingLog.encode(s)
    return {table.concat(s.times, ','), table.concat(s.totals, ','), s.base}
  end

  -- Returns the units logged from 1-based entry `index` on.
  local function sliding_log_units_from(s, index)
    local n = #s.times
    if index > n then
      return Big.ZERO
    end
    local before = Big.parse(index == 1 and s.base or s.totals[index - 1])
    return Big.sub(Big.parse(s.totals[n]), before)
  end

  local function sliding_log_newest(s)
    return Big.parse(s.times[#s.times])
  end

  -- Returns the wait until enough of the oldest live entries have left the window for the
  -- request to fit. The last entry that has to leave is the first whose running total reaches
  -- total - (limit - cost), and it leaves one period after its time.
  local function sliding_log_retry_after(m, s, now, cost)
    local total = Big.parse(s.totals[#s.totals])
    local must_leave = Big.sub(total, Big.sub(m.limit, cost))
    local index = first_index(s.totals, Big.tostring(must_leave), true)
    local leaves_at = Big.add(Big.parse(s.times[index]), m.period)
    return Big.max(Big.ZERO, Big.sub(leaves_at, now))
  end

  function SlidingLog.check(m, s, now, cost, max_delay)
    if s == nil then
      if Big.cmp(cost, m.limit) > 0 then
        return never(m.limit, Big.ZERO)
      end
      return allow(Big.sub(m.limit, cost), Big.is_zero(cost) and Big.ZERO or m.period, Big.ZERO)
    end
    local first_live = first_index(s.times, Big.tostring(Big.sub(now, m.period)), false)
    local used = sliding_log_units_from(s, first_live)
    local remaining = Big.max(Big.ZERO, Big.sub(m.limit, used))
    local reset_after = Big.ZERO
    if Big.cmp(used, Big.ZERO) > 0 then
      reset_after = Big.max(Big.ZERO,
          Big.sub(Big.add(sliding_log_newest(s), m.period), now))
    end
    if Big.cmp(cost, m.limit) > 0 then
      return never(remaining, reset_after)
    end
    if Big.cmp(cost, remaining) <= 0 then
      local after = Big.is_zero(cost) and reset_after or Big.max(m.period, reset_after)
      return allow(Big.sub(remaining, cost), after, Big.ZERO)
    end
    return deny(remaining, reset_after, sliding_log_retry_after(m, s, now, cost))
  end

  function SlidingLog.admit(m, s, now, cost)
    if s == nil then
      return {times = {Big.tostring(now)}, totals = {Big.tostring(cost)}, base = '0'}
    end
    local newest = sliding_log_newest(s)
    local time = Big.max(now, newest)
    local first_live = first_index(s.times, Big.tostring(Big.sub(time, m.period)), false)
    local base = first_live == 1 and s.base or s.totals[first_live - 1]
    local times, totals = {}, {}
    for i = first_live, #s.times do
      times[#times + 1] = s.times[i]
      totals[#totals + 1] = s.totals[i]
    end
    local total = Big.parse(s.totals[#s.totals])
    local next_total = Big.tostring(Big.add(total, cost))
    if #times > 0 and Big.cmp(newest, time) == 0 then
      totals[#totals] = next_total
    else
      times[#times + 1] = Big.tostring(time)
      totals[#totals + 1] = next_total
    end
    return {times = times, totals = totals, base = base}
  end

  function SlidingLog.reset_at(m, s)
    return Big.add(sliding_log_newest(s), m.period)
  end

  return SlidingLog
end

METERS['sliding_log'] = build_sliding_log
