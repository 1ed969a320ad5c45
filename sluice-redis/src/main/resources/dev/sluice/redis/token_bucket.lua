-- Token bucket, and leaky bucket as its mirror image: a line-by-line port of BucketMeter in
-- sluice-core, which explains the model. The state is a reference time `ref` and a whole
-- number `tokens`, and the bucket holds min(burst, tokens + floor((now - ref) * limit /
-- period)) tokens; admissions move `ref` forward by whole periods only, so no fraction of a
-- token is ever rounded away. The field `numbers` stores the limit, period and burst that
-- wrote the state, as `limit:period:burst`, so that a state written before a rebinding
-- changed them is converted as BucketMeter.convert converts it. A state without the field,
-- written by an earlier build of this script, is read with the current numbers.

local function build_bucket()
  -- `tokens` may be negative: above -limit after an admission, and above -2^61 after a
  -- rebinding to other numbers, such as a leaky bucket made over-full by a smaller burst.
  local Bucket = {fields = {'ref', 'tokens', 'numbers'}, relative = {ref = true},
                  text = {numbers = true}, signed = {tokens = true}}

  local function bucket_tokens(m, s, now)
    if s == nil then
      return m.burst
    end
    local elapsed = Big.sub(now, s.ref)
    if Big.cmp(elapsed, Big.ZERO) <= 0 then
      return Big.max(Big.ZERO, Big.min(m.burst, s.tokens))
    end
    local gained = Big.mul_div(elapsed, m.limit, m.period)
    if Big.cmp(gained, Big.sub(m.burst, s.tokens)) >= 0 then
      return m.burst
    end
    return Big.max(Big.ZERO, Big.add(s.tokens, gained))
  end

  -- The wait from now until the bucket has gained back to `target` tokens since `ref`.
  local function bucket_wait(m, s, now, target)
    local since_ref = Big.saturate(Big.mul_div_ceil(Big.sub(target, s.tokens), m.period, m.limit))
    return Big.max(Big.ZERO, Big.sub(since_ref, Big.max(Big.ZERO, Big.sub(now, s.ref))))
  end

  local function bucket_nanos_until(m, s, now, target)
    if s == nil or Big.cmp(target, s.tokens) <= 0 then
      return Big.ZERO
    end
    return bucket_wait(m, s, now, target)
  end

  local function bucket_is_full(m, s, now)
    return s == nil or Big.cmp(bucket_tokens(m, s, now), m.burst) == 0
  end

  local function bucket_until_full_after(m, s, now, cost)
    if bucket_is_full(m, s, now) then
      return Big.saturate(Big.mul_div_ceil(cost, m.period, m.limit))
    end
    return bucket_wait(m, s, now, Big.add(m.burst, cost))
  end

  -- The whole tokens of a state at `now` under the numbers `n` that wrote it, without raising
  -- a negative balance read before `ref` to zero: BucketMeter.unclampedTokens.
  local function bucket_unclamped_tokens(n, s, now)
    local elapsed = Big.sub(now, s.ref)
    if Big.cmp(elapsed, Big.ZERO) <= 0 then
      return Big.min(n.burst, s.tokens)
    end
    local gained = Big.mul_div(elapsed, n.limit, n.period)
    if Big.cmp(gained, Big.sub(n.burst, s.tokens)) >= 0 then
      return n.burst
    end
    return Big.add(s.tokens, gained)
  end

  local function parse_numbers(text)
    local limit, period, burst = string.match(text, '^(%d+):(%d+):(%d+)$')
    if limit == nil then
      error('invalid stored bucket numbers: ' .. text)
    end
    return {limit = Big.parse(limit), period = Big.parse(period), burst = Big.parse(burst)}
  end

  -- BucketMeter.needsConversion: a state written under other numbers, before a rebinding.
  function Bucket.needs_conversion(m, s)
    return s ~= nil and s.numbers ~= nil and s.numbers ~= m.numbers
  end

  -- BucketMeter.adopt: a token bucket keeps its tokens, a leaky bucket its water. Returns nil
  -- for the initial state. decide.lua writes the result, even when the request is denied.
  function Bucket.convert(m, s, now)
    local old = parse_numbers(s.numbers)
    local old_tokens = bucket_unclamped_tokens(old, s, now)
    if Big.cmp(old_tokens, old.burst) >= 0 then
      return nil
    end
    local tokens = old_tokens
    if m.leaky then
      tokens = Big.sub(m.burst, Big.sub(old.burst, old_tokens))
    end
    if Big.cmp(tokens, m.burst) >= 0 then
      return nil
    end
    return {ref = Big.max(now, s.ref), tokens = tokens, numbers = m.numbers}
  end

  -- BucketMeter.overFull: whether a leaky bucket contains more water than its burst, which a
  -- rebinding to a smaller burst can cause. Its balance of tokens is then below zero.
  local function bucket_over_full(m, s, now)
    if not m.leaky or s == nil or Big.cmp(s.tokens, Big.ZERO) >= 0 then
      return false
    end
    local elapsed = Big.sub(now, s.ref)
    if Big.cmp(elapsed, Big.ZERO) <= 0 then
      return true
    end
    return Big.cmp(Big.add(s.tokens, Big.mul_div(elapsed, m.limit, m.period)), Big.ZERO) < 0
  end

  function Bucket.check(m, s, now, cost, max_delay)
    local tokens = bucket_tokens(m, s, now)
    local until_full = bucket_nanos_until(m, s, now, m.burst)
    if Big.cmp(cost, m.burst) > 0 then
      return never(tokens, until_full)
    end
    local delay = m.shape and until_full or Big.ZERO
    -- `tokens` is never below zero, so a look of cost 0 also needs the bucket not over-full.
    local fits = Big.cmp(tokens, cost) >= 0
        and (not Big.is_zero(cost) or not bucket_over_full(m, s, now))
    if fits and Big.cmp(delay, max_delay) <= 0 then
      return allow(Big.sub(tokens, cost), bucket_until_full_after(m, s, now, cost), delay)
    end
    local retry_after = Big.max(bucket_nanos_until(m, s, now, cost), Big.sub(delay, max_delay))
    return deny(tokens, until_full, retry_after)
  end

  function Bucket.admit(m, s, now, cost)
    if bucket_is_full(m, s, now) then
      return {ref = now, tokens = Big.sub(m.burst, cost), numbers = m.numbers}
    end
    local elapsed = Big.max(Big.ZERO, Big.sub(now, s.ref))
    local periods = Big.divmod(elapsed, m.period)
    return {
      ref = Big.add(s.ref, Big.mul(periods, m.period)),
      tokens = Big.sub(Big.add(s.tokens, Big.mul(periods, m.limit)), cost),
      numbers = m.numbers
    }
  end

  function Bucket.reset_at(m, s)
    local recovery = Big.saturate(Big.mul_div_ceil(Big.sub(m.burst, s.tokens), m.period, m.limit))
    return Clock.saturate(Big.add(s.ref, recovery))
  end

  return Bucket
end

METERS['token_bucket'] = build_bucket
METERS['leaky_bucket'] = build_bucket
