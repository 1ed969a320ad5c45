-- Sliding window counter: a line-by-line port of SlidingWindowMeter in sluice-core. The state
-- is an epoch-aligned window start and the counts of that window and the one before it; the
-- previous count is weighted by how much of it still overlaps the sliding window.

local function build_sliding_window()
  local SlidingWindow = {fields = {'window_start', 'previous', 'current'},
                         relative = {window_start = true}}

  -- The state as seen from the window containing `now`.
  local function sliding_shift(m, s, now)
    local window_start = Big.sub(now, Clock.offset(m.period))
    if s == nil then
      return {window_start = window_start, previous = Big.ZERO, current = Big.ZERO}
    end
    if Big.cmp(s.window_start, window_start) >= 0 then
      return s
    end
    if Big.cmp(s.window_start, Big.sub(window_start, m.period)) == 0 then
      return {window_start = window_start, previous = s.current, current = Big.ZERO}
    end
    return {window_start = window_start, previous = Big.ZERO, current = Big.ZERO}
  end

  function SlidingWindow.reset_at(m, s)
    if Big.cmp(s.current, Big.ZERO) > 0 then
      return Big.add(s.window_start, Big.add(m.period, m.period))
    end
    if Big.cmp(s.previous, Big.ZERO) > 0 then
      return Big.add(s.window_start, m.period)
    end
    return s.window_start
  end

  local function sliding_reset_after(m, s, now)
    return Big.max(Big.ZERO, Big.sub(SlidingWindow.reset_at(m, s), now))
  end

  -- The shortest wait after which the request fits: within the current window as the previous
  -- window's weight shrinks, otherwise in the next one, where the current count becomes the
  -- previous.
  local function sliding_retry_after(m, s, elapsed, cost)
    local until_window_end = Big.sub(m.period, elapsed)
    local room = Big.sub(Big.sub(m.limit, s.current), cost)
    if Big.cmp(room, Big.ZERO) >= 0 then
      local weight_that_fits = Big.saturate(Big.mul_div(room, m.period, s.previous))
      return Big.sub(until_window_end, weight_that_fits)
    end
    local weight_that_fits = Big.saturate(Big.mul_div(Big.sub(m.limit, cost), m.period, s.current))
    return Big.add(until_window_end, Big.max(Big.ZERO, Big.sub(m.period, weight_that_fits)))
  end

  function SlidingWindow.check(m, state, now, cost, max_delay)
    local s = sliding_shift(m, state, now)
    local elapsed = Big.max(Big.ZERO, Big.sub(now, s.window_start))
    local weight = Big.sub(m.period, elapsed)
    local estimate = Big.add(s.current,
        Big.saturate(Big.mul_div_ceil(s.previous, weight, m.period)))
    local remaining = Big.max(Big.ZERO, Big.sub(m.limit, estimate))
    if Big.cmp(cost, m.limit) > 0 then
      return never(remaining, sliding_reset_after(m, s, now))
    end
    local room = Big.sub(Big.sub(m.limit, s.current), cost)
    if Big.cmp(room, Big.ZERO) >= 0
        and Big.cmp(Big.mul(s.previous, weight), Big.mul(room, m.period)) <= 0 then
      local after = {window_start = s.window_start, previous = s.previous,
                     current = Big.add(s.current, cost)}
      return allow(Big.sub(remaining, cost), sliding_reset_after(m, after, now), Big.ZERO)
    end
    return deny(remaining, sliding_reset_after(m, s, now),
        sliding_retry_after(m, s, elapsed, cost))
  end

  function SlidingWindow.admit(m, state, now, cost)
    local s = sliding_shift(m, state, now)
    return {window_start = s.window_start, previous = s.previous,
            current = Big.add(s.current, cost)}
  end

  return SlidingWindow
end

METERS['sliding_window'] = build_sliding_window
