-- Fixed window: a line-by-line port of FixedWindowMeter in sluice-core. The state is the
-- start of the window, aligned to the Unix epoch, and the units used in it.

local function build_fixed_window()
  local FixedWindow = {fields = {'window_start', 'used'}, relative = {window_start = true}}

  -- The window containing `now`, or the state's own window if that is later (a request whose
  -- time was read just before another one opened the next window).
  local function fixed_window_start(m, s, now)
    local current = Big.sub(now, Clock.offset(m.period))
    if s ~= nil and Big.cmp(s.window_start, current) > 0 then
      return s.window_start
    end
    return current
  end

  local function fixed_window_used(s, window_start)
    if s ~= nil and Big.cmp(s.window_start, window_start) == 0 then
      return s.used
    end
    return Big.ZERO
  end

  function FixedWindow.check(m, s, now, cost, max_delay)
    local window_start = fixed_window_start(m, s, now)
    local used = fixed_window_used(s, window_start)
    local until_window_end = Big.sub(Big.add(window_start, m.period), now)
    local remaining = Big.max(Big.ZERO, Big.sub(m.limit, used))
    if Big.cmp(cost, m.limit) > 0 then
      return never(remaining, Big.cmp(used, Big.ZERO) > 0 and until_window_end or Big.ZERO)
    end
    -- Not cost <= remaining: a window used above a lowered limit must deny even a look.
    if Big.cmp(Big.add(used, cost), m.limit) <= 0 then
      local charged = Big.cmp(Big.add(used, cost), Big.ZERO) > 0
      return allow(Big.sub(remaining, cost), charged and until_window_end or Big.ZERO, Big.ZERO)
    end
    return deny(remaining, until_window_end, until_window_end)
  end

  function FixedWindow.admit(m, s, now, cost)
    local window_start = fixed_window_start(m, s, now)
    return {window_start = window_start, used = Big.add(fixed_window_used(s, window_start), cost)}
  end

  function FixedWindow.reset_at(m, s)
    return Big.add(s.window_start, m.period)
  end

  return FixedWindow
end

METERS['fixed_window'] = build_fixed_window
