-- Generic cell rate algorithm: a line-by-line port of GcraMeter in sluice-core. The state is
-- the theoretical arrival time (TAT), whole nanoseconds plus a remainder in units of 1/limit
-- ns, so that an emission interval such as 7 s / 3 is kept exactly.

local function build_gcra()
  local Gcra = {fields = {'whole', 'remainder'}, relative = {whole = true}}

  -- Limit.MAX_RECOVERY, 36,500 days in nanoseconds: 3,153,600,000,000,000,000.
  local MAX_RECOVERY = {neg = false, 0, 0, 31536}

  -- A TAT lies ahead of the request that wrote it by at most the burst's recovery, under the
  -- numbers of that request. A rebinding keeps the TAT, so that may be any limit's, up to
  -- MAX_RECOVERY.
  function Gcra.max_ahead(m)
    return Big.add(MAX_RECOVERY, max_ahead_by_period(m))
  end

  -- A remainder written under a larger limit is clamped to just under one nanosecond.
  local function gcra_remainder(m, s)
    if Big.cmp(s.remainder, m.limit) < 0 then
      return s.remainder
    end
    return Big.sub(m.limit, Big.ONE)
  end

  local function gcra_is_ahead(s, now)
    if s == nil then
      return false
    end
    local order = Big.cmp(s.whole, now)
    return order > 0 or (order == 0 and Big.cmp(s.remainder, Big.ZERO) > 0)
  end

  local function gcra_ceil(whole, remainder)
    if Big.cmp(remainder, Big.ZERO) > 0 then
      return Big.add(whole, Big.ONE)
    end
    return whole
  end

  local function gcra_remaining(m, ahead_whole, ahead_remainder)
    local used = Big.saturate(Big.mul_div_ceil(
        Big.add(Big.mul(ahead_whole, m.limit), ahead_remainder), Big.ONE, m.period))
    return Big.max(Big.ZERO, Big.sub(m.burst, used))
  end

  -- Adds cost * period / limit to a TAT given as whole nanoseconds and remainder.
  local function gcra_add_cost(m, whole, remainder, cost)
    local quotient, rest = Big.divmod(Big.mul(cost, m.period), m.limit)
    whole = Big.add(whole, quotient)
    remainder = Big.add(remainder, rest)
    if Big.cmp(remainder, m.limit) >= 0 then
      remainder = Big.sub(remainder, m.limit)
      whole = Big.add(whole, Big.ONE)
    end
    return whole, remainder
  end

  function Gcra.check(m, s, now, cost, max_delay)
    local ahead = gcra_is_ahead(s, now)
    local ahead_whole = ahead and Big.sub(s.whole, now) or Big.ZERO
    local ahead_remainder = ahead and gcra_remainder(m, s) or Big.ZERO
    if Big.cmp(cost, m.burst) > 0 then
      return never(gcra_remaining(m, ahead_whole, ahead_remainder),
          gcra_ceil(ahead_whole, ahead_remainder))
    end
    local sum_whole, sum_remainder = gcra_add_cost(m, ahead_whole, ahead_remainder, cost)
    local burst_whole, burst_remainder = Big.divmod(Big.mul(m.burst, m.period), m.limit)
    local order = Big.cmp(sum_whole, burst_whole)
    if order < 0 or (order == 0 and Big.cmp(sum_remainder, burst_remainder) <= 0) then
      return allow(gcra_remaining(m, sum_whole, sum_remainder),
          gcra_ceil(sum_whole, sum_remainder), Big.ZERO)
    end
    local wait_whole = Big.sub(sum_whole, burst_whole)
    local wait_remainder = Big.sub(sum_remainder, burst_remainder)
    if Big.cmp(wait_remainder, Big.ZERO) < 0 then
      wait_remainder = Big.add(wait_remainder, m.limit)
      wait_whole = Big.sub(wait_whole, Big.ONE)
    end
    return deny(gcra_remaining(m, ahead_whole, ahead_remainder),
        gcra_ceil(ahead_whole, ahead_remainder), gcra_ceil(wait_whole, wait_remainder))
  end

  function Gcra.admit(m, s, now, cost)
    local ahead = gcra_is_ahead(s, now)
    local whole = ahead and s.whole or now
    local remainder = ahead and gcra_remainder(m, s) or Big.ZERO
    whole, remainder = gcra_add_cost(m, whole, remainder, cost)
    return {whole = whole, remainder = remainder}
  end

  function Gcra.reset_at(m, s)
    return gcra_ceil(s.whole, gcra_remainder(m, s))
  end

  return Gcra
end

METERS['gcra'] = build_gcra
