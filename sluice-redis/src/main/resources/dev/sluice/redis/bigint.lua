-- The fast path decides a policy of one or several limits, each a token bucket, leaky bucket,
-- fixed window, sliding window or GCRA, when all its numbers are small enough to stay exact
-- integers in doubles. It runs before any of the library below is created, because Redis
-- runs the whole script on every call, and creating the library's functions and tables, then
-- calling them, costs far more than this arithmetic.
--
-- It ports BucketMeter, FixedWindowMeter, SlidingWindowMeter, GcraMeter and PolicyMeter as
-- the files below do, with times relative to the request as there. Every input is checked
-- first. Cost, limit, period, burst and the stored counts must be below 2^51, and a stored
-- time within 2,251,798 s of the request, so that relative times are below 2^51 as well.
-- Every product must be below 2^53 before it is divided, and below 2^51 where a sum follows.
-- A sum of up to four values below 2^51 stays below 2^53, so every result is exact. When any
-- check fails, nothing of that request has been written yet, and it falls through to the
-- general path, which decides it, and the requests of the batch after it, with the exact
-- library. Divisions use math.fmod, which is exact, so (a - fmod(a, b)) / b is an exact
-- quotient.

-- The number of requests that the fast path decided, their replies, and the server's TIME it
-- read, for the general path when the fast path leaves it the rest of a batch.
local fast_decided, fast_replies, fast_time = 0, nil, nil

do
  local count = #KEYS
  local extra = #ARGV - 4 - 5 * count
  if count >= 1 and extra >= 0 and extra % 3 == 0 then
    -- Redis creates these functions again on every call. They capture no local variable:
    -- five closures that captured this block's locals cost about a microsecond per call.

    -- Decides limit i for `cost` units at the request time `sec` s + `nsec` ns. Returns
    -- nothing when the limit needs the general path. Otherwise it returns thirteen values:
    -- allowed, remaining, reset after, retry after (-1 for never) and delay. Then the state to
    -- write when admitted (its time relative to the request, its count, and the sliding
    -- window's count of the current window) and the time until that state is back to its
    -- initial state. Last, the four stored values it read as numbers (seconds, nanoseconds,
    -- count, current count), or the `values` given in their place, so that a second decision
    -- of the same limit need not read them again.
    local function decide(i, cost, max_delay, sec, nsec, values)
      local argv = ARGV
      local small, exact, second = 2251799813685248, 9007199254740992, 1000000000
      local fmod, find, sub = math.fmod, string.find, string.sub
      local base = 4 + (i - 1) * 5
      local algorithm = argv[base + 1]
      local window, gcra = algorithm == 'fixed_window', algorithm == 'gcra'
      local sliding = algorithm == 'sliding_window'
      local limit = tonumber(argv[base + 2])
      local period, burst = tonumber(argv[base + 3]), tonumber(argv[base + 4])
      if not (limit and period and burst) then return end
      if not (limit >= 1 and limit < small and limit % 1 == 0
          and period >= 1 and period < small and period % 1 == 0
          and burst >= 0 and burst < small and burst % 1 == 0) then
        return
      end
      -- Epoch-aligned windows of other periods need the library.
      if (window or sliding) and fmod(period, second) ~= 0 and fmod(second, period) ~= 0 then
        return
      end
      local shape = argv[base + 5] == '1'
      -- The stored state: its time as whole seconds and nanoseconds since the epoch, its count
      -- (`tokens`, `used` or `remainder`) and a sliding window's count of the current window,
      -- all nil when there is no state. A batch keeps them as numbers from one request to the
      -- next, which costs less than writing the time as text and reading it back.
      local ref_sec, ref_nsec, tokens, current
      if values then
        ref_sec, ref_nsec, tokens, current = values[1], values[2], values[3], values[4]
      else
        -- Counts must be decimal integers as the script writes them, and only a bucket's may
        -- be negative. Anything else goes to the general path, which rejects it.
        local key, ref_text, count_text, count_pattern = KEYS[i], nil, nil, '^[1-9]%d*$'
        if sliding then
          local fields = redis.call('HMGET', key, 'window_start', 'previous', 'current')
          ref_text, count_text = fields[1], fields[2]
          local current_text = fields[3]
          if ref_text and not (current_text and (current_text == '0'
              or find(current_text, count_pattern))) then
            return
          end
          current = tonumber(current_text)
        elseif window then
          local fields = redis.call('HMGET', key, 'window_start', 'used')
          ref_text, count_text = fields[1], fields[2]
        elseif gcra then
          local fields = redis.call('HMGET', key, 'whole', 'remainder')
          ref_text, count_text = fields[1], fields[2]
        else
          -- A bucket stores the numbers that wrote it; a state written under other numbers,
          -- before a rebinding, needs Bucket.adopt on the general path.
          local fields = redis.call('HMGET', key, 'ref', 'tokens', 'numbers')
          if fields[3] and fields[3] ~= argv[base + 2] .. ':' .. argv[base + 3] .. ':'
              .. argv[base + 4] then
            return
          end
          ref_text, count_text, count_pattern = fields[1], fields[2], '^%-?[1-9]%d*$'
        end
        if ref_text then
          local n = #ref_text
          if n > 19 or not (ref_text == '0' or find(ref_text, '^[1-9]%d*$')) then return end
          ref_sec, ref_nsec = 0, tonumber(ref_text)
          if n > 9 then
            ref_sec, ref_nsec = tonumber(sub(ref_text, 1, n - 9)), tonumber(sub(ref_text, n - 8))
          end
          if not (count_text and (count_text == '0' or find(count_text, count_pattern))) then
            return
          end
          tokens = tonumber(count_text)
        end
      end
      -- The stored time relative to the request.
      local ref
      if ref_sec then
        local seconds = ref_sec - sec
        if seconds >= 2251799 or seconds <= -2251799 then return end
        ref = seconds * second + (ref_nsec - nsec)
        -- No request reached a time further ahead than a period and the 5 minutes that a
        -- clock may run ahead (CLOCK_SKEW_NANOS in decision.lua), and the general path rejects
        -- it. A GCRA's TAT may be up to 36,500 days ahead, more than the fast path takes.
        if ref > period + 300000000000 and not gcra then return end
        if tokens >= small or tokens <= -small then return end
        if sliding and (current >= small or current <= -small) then return end
      end
      local allowed, remaining, reset_after, retry_after, delay = false, 0, 0, -1, 0
      -- The state to write when admitted, and the time until it is back to its initial state.
      local new_ref, new_tokens, left, new_current
      -- How far the request is into its epoch-aligned window, whose period divides a second
      -- or is whole seconds, as checked above.
      local offset
      if window or sliding then
        if fmod(period, second) == 0 then
          offset = fmod(sec, period / second) * second + nsec
        else
          offset = fmod(nsec, period)
        end
      end
      if sliding then
        -- SlidingWindowMeter: the state as seen from the window containing the request.
        local start, previous, counted = -offset, 0, 0
        if ref and ref >= start then
          start, previous, counted = ref, tokens, current
        elseif ref and ref == start - period then
          previous = current
        end
        local elapsed = start < 0 and -start or 0
        local weight = period - elapsed
        local product = previous * weight
        if product >= exact or product <= -exact then return end
        local rest = fmod(product, period)
        local estimate = counted + (product - rest) / period + (rest > 0 and 1 or 0)
        remaining = limit - estimate
        if remaining < 0 then remaining = 0 end
        -- SlidingWindow.reset_at of the shifted state, relative to the request.
        reset_after = counted > 0 and start + 2 * period or (previous > 0 and start + period
            or start)
        if cost <= limit then
          local room = limit - counted - cost
          local room_span = room * period
          if room_span >= exact or room_span <= -exact then return end
          if room >= 0 and product <= room_span then
            allowed, remaining, retry_after = true, remaining - cost, 0
            reset_after = counted + cost > 0 and start + 2 * period
                or (previous > 0 and start + period or start)
            new_ref, new_tokens, new_current, left = start, previous, counted + cost, reset_after
          else
            -- sliding_retry_after: within this window as the previous weight shrinks, else
            -- in the next one.
            local fits
            if room >= 0 then
              rest = fmod(room_span, previous)
              fits = period - elapsed - (room_span - rest) / previous
            else
              local span = (limit - cost) * period
              if span >= exact then return end
              rest = fmod(span, counted)
              local weight_fits = period - (span - rest) / counted
              fits = period - elapsed + (weight_fits > 0 and weight_fits or 0)
            end
            retry_after = fits
          end
        end
      elseif window then
        -- FixedWindowMeter: the window containing the request, or the stored one if later.
        local start = -offset
        if ref and ref > start then
          start = ref
        end
        local used = (ref == start) and tokens or 0
        local until_end = start + period
        remaining = limit - used
        if remaining < 0 then remaining = 0 end
        if cost > limit then
          reset_after = used > 0 and until_end or 0
        elseif used + cost <= limit then
          allowed, remaining, retry_after = true, remaining - cost, 0
          reset_after = (used + cost > 0) and until_end or 0
          new_ref, new_tokens, left = start, used + cost, until_end
        else
          reset_after, retry_after = until_end, until_end
        end
      elseif gcra then
        -- GcraMeter: the theoretical arrival time as whole nanoseconds and a remainder in
        -- units of 1/limit ns, and cost * period / limit and burst * period / limit likewise.
        local ahead_whole, ahead_rest = 0, 0
        if ref and (ref > 0 or (ref == 0 and tokens > 0)) then
          ahead_whole, ahead_rest = ref, tokens
          if ahead_rest >= limit then ahead_rest = limit - 1 end
        end
        local cost_span, burst_span = cost * period, burst * period
        if cost_span >= small or burst_span >= small then return end
        local cost_rest, burst_rest = fmod(cost_span, limit), fmod(burst_span, limit)
        local cost_whole = (cost_span - cost_rest) / limit
        local burst_whole = (burst_span - burst_rest) / limit
        -- gcra_remaining: the burst less the units that the time ahead represents.
        local span = ahead_whole * limit
        if span >= small then return end
        span = span + ahead_rest
        local rest = fmod(span, period)
        remaining = burst - ((span - rest) / period + (rest > 0 and 1 or 0))
        if remaining < 0 then remaining = 0 end
        reset_after = ahead_whole + (ahead_rest > 0 and 1 or 0)
        if cost <= burst then
          local sum_whole, sum_rest = ahead_whole + cost_whole, ahead_rest + cost_rest
          if sum_rest >= limit then
            sum_whole, sum_rest = sum_whole + 1, sum_rest - limit
          end
          if sum_whole < burst_whole or (sum_whole == burst_whole and sum_rest <= burst_rest) then
            allowed, retry_after = true, 0
            span = sum_whole * limit
            if span >= small then return end
            span = span + sum_rest
            rest = fmod(span, period)
            remaining = burst - ((span - rest) / period + (rest > 0 and 1 or 0))
            if remaining < 0 then remaining = 0 end
            reset_after = sum_whole + (sum_rest > 0 and 1 or 0)
            new_ref, new_tokens, left = sum_whole, sum_rest, reset_after
          else
            local wait_whole, wait_rest = sum_whole - burst_whole, sum_rest - burst_rest
            if wait_rest < 0 then
              wait_whole, wait_rest = wait_whole - 1, wait_rest + limit
            end
            retry_after = wait_whole + (wait_rest > 0 and 1 or 0)
          end
        end
      else
        -- BucketMeter, bucket_tokens: the tokens held now, and whether the bucket is full.
        local level = burst
        local elapsed = 0
        -- Whether the balance is below zero, which `level` raises to zero. In a leaky bucket
        -- that means more water than its burst, and a look of cost 0 is then denied too.
        local over_full = false
        if ref then
          elapsed = -ref
          if elapsed <= 0 then
            level = math.max(0, math.min(burst, tokens))
            over_full = tokens < 0
          else
            local missing = burst - tokens
            local product = elapsed * limit
            if missing > 0 and product < exact then
              local gained = (product - fmod(product, period)) / period
              if gained < missing then
                level = math.max(0, tokens + gained)
                over_full = tokens + gained < 0
              end
            elseif missing > 0 and missing * period >= exact then
              -- Both products are large: comparing them needs the library.
              return
            end
          end
        end
        local full = ref == nil or level == burst
        local since_ref = elapsed > 0 and elapsed or 0
        -- bucket_nanos_until(burst): the wait until the bucket is full.
        local until_full = 0
        if ref and burst > tokens then
          local need = (burst - tokens) * period
          if need >= exact then return end
          local rest = fmod(need, limit)
          until_full = (need - rest) / limit + (rest > 0 and 1 or 0) - since_ref
          if until_full < 0 then until_full = 0 end
        end
        remaining, reset_after = level, until_full
        if cost <= burst then
          delay = shape and until_full or 0
          local fits = level >= cost
              and not (cost == 0 and over_full and algorithm == 'leaky_bucket')
          if fits and delay <= max_delay then
            allowed, remaining, retry_after = true, level - cost, 0
            -- bucket_until_full_after(cost)
            local need = full and cost * period or (burst + cost - tokens) * period
            if need >= exact then return end
            local rest = fmod(need, limit)
            reset_after = (need - rest) / limit + (rest > 0 and 1 or 0)
            if not full then
              reset_after = reset_after - since_ref
              if reset_after < 0 then reset_after = 0 end
            end
            -- Bucket.admit: a full bucket restarts now, otherwise `ref` moves by whole periods.
            new_ref, new_tokens = 0, burst - cost
            if not full then
              local periods = (since_ref - fmod(since_ref, period)) / period
              local gained = periods * limit
              if gained >= exact then return end
              new_ref, new_tokens = ref + periods * period, tokens + gained - cost
            end
            -- Bucket.reset_at, for the expiry.
            need = (burst - new_tokens) * period
            if need >= exact or need <= -exact then return end
            rest = fmod(need, limit)
            left = new_ref + (need - rest) / limit + (rest > 0 and 1 or 0)
          else
            delay = 0
            -- bucket_nanos_until(cost), or the part of the delay beyond the longest accepted.
            local wait = 0
            if ref and cost > tokens then
              local need = (cost - tokens) * period
              if need >= exact then return end
              local rest = fmod(need, limit)
              wait = (need - rest) / limit + (rest > 0 and 1 or 0) - since_ref
              if wait < 0 then wait = 0 end
            end
            local over = shape and until_full - max_delay or 0
            retry_after = over > wait and over or wait
          end
        end
      end
      return allowed, remaining, reset_after, retry_after, delay, new_ref, new_tokens,
          new_current, left, ref_sec, ref_nsec, tokens, current
    end

    -- Returns a limit's state after an admission as the four values that decide reads from
    -- Redis: the time `ref`, given relative to the request time `sec` s + `nsec` ns and not
    -- before the epoch, as whole seconds and nanoseconds since the epoch, the count, and the
    -- sliding window's count of the current window.
    local function stored(sec, nsec, ref, tokens, current)
      local nanos = nsec + ref
      local out_nsec = math.fmod(nanos, 1000000000)
      if out_nsec < 0 then out_nsec = out_nsec + 1000000000 end
      return sec + (nanos - out_nsec) / 1000000000, out_nsec, tokens, current
    end

    -- Writes limit i's state, the four values that `stored` returns, with an expiry of `left`
    -- rounded up to whole milliseconds, at least 1 ms, unless the request sets no expiry.
    -- Counts and the expiry go to Redis as numbers, which it writes as exact decimal integers
    -- below 2^53 (Redis 7 in shortest form, earlier versions with %.17g).
    local function write(i, left, ref_sec, ref_nsec, tokens, current)
      local argv, fmod, format = ARGV, math.fmod, string.format
      local base = 4 + (i - 1) * 5
      local algorithm = argv[base + 1]
      local key = KEYS[i]
      local ref_text = ref_sec > 0 and format('%d%09d', ref_sec, ref_nsec)
          or format('%d', ref_nsec)
      if algorithm == 'sliding_window' then
        redis.call('HSET', key, 'window_start', ref_text, 'previous', tokens, 'current', current)
      elseif algorithm == 'fixed_window' then
        redis.call('HSET', key, 'window_start', ref_text, 'used', tokens)
      elseif algorithm == 'gcra' then
        redis.call('HSET', key, 'whole', ref_text, 'remainder', tokens)
      else
        redis.call('HSET', key, 'ref', ref_text, 'tokens', tokens, 'numbers',
            argv[base + 2] .. ':' .. argv[base + 3] .. ':' .. argv[base + 4])
      end
      if argv[4] == '1' then
        local rest = fmod(left, 1000000)
        local millis = (left - rest) / 1000000 + (rest > 0 and 1 or 0)
        redis.call('PEXPIRE', key, millis > 1 and millis or 1)
      end
    end

    repeat
      local argv = ARGV
      -- A limit without a port sends the requests to the general path before any command.
      local ported = true
      for i = 1, count do
        local algorithm = argv[5 * i]
        if not (algorithm == 'token_bucket' or algorithm == 'leaky_bucket'
            or algorithm == 'fixed_window' or algorithm == 'sliding_window'
            or algorithm == 'gcra') then
          ported = false
          break
        end
      end
      if not ported then break end
      -- The requests in order, each decided after the ones before it have been charged, at
      -- its own time or at the server's. The first request that needs the general path
      -- leaves it the rest.
      local requests = (#argv - 4 - 5 * count) / 3 + 1
      local replies, known, dirty, left
      if requests > 1 or count > 1 then
        replies, known, dirty, left = {}, {}, {}, {}
      end
      -- The server's TIME, read for the first request that needs it.
      local server_sec, server_nsec
      for j = 1, requests do
        local cost_text, delay_text, now_text = argv[2], argv[3], argv[1]
        if j > 1 then
          local at = 5 * count + 3 * j - 1
          cost_text, delay_text, now_text = argv[at], argv[at + 1], argv[at + 2]
        end
        local reply
        repeat
          -- The request time as whole seconds and nanoseconds.
          local sec, nsec
          if now_text == '' then
            if server_sec == nil then
              if redis.replicate_commands then
                redis.replicate_commands()
              end
              fast_time = redis.call('TIME')
              server_sec = tonumber(fast_time[1])
              server_nsec = tonumber(fast_time[2]) * 1000
            end
            sec, nsec = server_sec, server_nsec
          else
            local n = #now_text
            if n > 19 or not string.find(now_text, '^%d+$') then break end
            if n > 9 then
              sec = tonumber(string.sub(now_text, 1, n - 9))
              nsec = tonumber(string.sub(now_text, n - 8))
            else
              sec, nsec = 0, tonumber(now_text)
            end
          end
          -- Later requests would need the times capped at Long.MAX_VALUE.
          if sec > 9214364836 then break end
          -- Whether a time relative to the request is before the epoch, where it cannot be
          -- stored. sec * 10^9 is exact below 2^53, and above that no relative time of the
          -- fast path, below 2^51, reaches back to the epoch.
          local epoch = -(sec * 1000000000) - nsec
          -- A cost of 1 and no limit on the delay are the usual arguments, and cheaper to
          -- compare than to convert.
          local cost = cost_text == '1' and 1 or tonumber(cost_text)
          local max_delay = delay_text == '9223372036854775807' and 9223372036854775807
              or tonumber(delay_text)
          if not (cost and max_delay and cost >= 0 and cost < 2251799813685248
              and cost % 1 == 0 and max_delay >= 0) then
            break
          end

          if count == 1 then
            local allowed, remaining, reset_after, retry_after, delay, new_ref, new_tokens,
                new_current, new_left, ref_sec, ref_nsec, stored_count, current =
                decide(1, cost, max_delay, sec, nsec, known and known[1])
            if allowed == nil then break end
            if known and not known[1] then
              known[1] = {ref_sec, ref_nsec, stored_count, current}
            end
            if allowed and cost > 0 then
              if new_ref < epoch then break end
              if requests == 1 then
                write(1, new_left, stored(sec, nsec, new_ref, new_tokens, new_current))
              else
                known[1] = {stored(sec, nsec, new_ref, new_tokens, new_current)}
                dirty[1], left[1] = true, new_left
              end
            end
            if reset_after < 0 then reset_after = 0 end
            if requests == 1 then
              do return {allowed and 1 or 0, remaining, reset_after, retry_after, delay, 0} end
            end
            reply = {allowed and 1 or 0, remaining, reset_after, retry_after, delay, 0}
            break
          end

          -- Several limits, as PolicyMeter decides them: the request is admitted only when
          -- every limit admits it. Each decision is a list of decide's results.
          local decisions, complete, allowed = {}, true, true
          for i = 1, count do
            decisions[i] = {decide(i, cost, max_delay, sec, nsec, known[i])}
            if decisions[i][1] == nil then
              complete = false
              break
            end
            if not known[i] then
              local d = decisions[i]
              known[i] = {d[10], d[11], d[12], d[13]}
            end
            allowed = allowed and decisions[i][1]
          end
          if not complete then break end
          -- PolicyMeter.reportUncharged: when the request is denied, a limit that admitted it
          -- reports its state as it is, since its admission reported it as if charged.
          if not allowed then
            for i = 1, count do
              if decisions[i][1] then
                decisions[i] = {decide(i, 0, 9223372036854775807, sec, nsec, known[i])}
                if decisions[i][1] == nil then
                  complete = false
                  break
                end
              end
            end
            if not complete then break end
          end
          -- PolicyMeter.combine: the least remaining, the latest reset and the longest delay.
          -- When admitted, the first limit with the least remaining decides. When denied, a
          -- denying limit with the longest retry after decides, and never counts as the
          -- longest.
          local remaining, reset_after, delay, binding = decisions[1][2], 0, 0, 1
          for i = 1, count do
            local d = decisions[i]
            if d[2] < remaining then remaining = d[2] end
            if d[3] > reset_after then reset_after = d[3] end
            if d[5] > delay then delay = d[5] end
          end
          for i = 2, count do
            local candidate, current = decisions[i], decisions[binding]
            local more
            if allowed then
              more = candidate[2] < current[2]
            elseif candidate[1] ~= current[1] then
              more = not candidate[1]
            elseif current[4] == -1 then
              more = false
            else
              more = candidate[4] == -1 or candidate[4] > current[4]
            end
            if more then binding = i end
          end
          if allowed and cost > 0 then
            for i = 1, count do
              if decisions[i][6] < epoch then
                complete = false
                break
              end
            end
            if not complete then break end
            for i = 1, count do
              local d = decisions[i]
              known[i] = {stored(sec, nsec, d[6], d[7], d[8])}
              dirty[i], left[i] = true, d[9]
            end
          end
          local retry_after = allowed and 0 or decisions[binding][4]
          reply = {allowed and 1 or 0, remaining, reset_after, retry_after, delay, binding - 1}
        until true
        if reply == nil then break end
        replies[j] = reply
        fast_decided = j
      end
      -- Also before the general path, which reads the states from Redis.
      for i = 1, dirty and count or 0 do
        if dirty[i] then
          write(i, left[i], known[i][1], known[i][2], known[i][3], known[i][4])
        end
      end
      if fast_decided == 1 and requests == 1 then
        do return replies[1] end
      end
      if fast_decided == requests then
        local flat = {}
        for j = 1, requests do
          local reply = replies[j]
          for v = 1, 6 do
            flat[#flat + 1] = reply[v]
          end
        end
        do return flat end
      end
      fast_replies = replies
    until true
  end
end

-- The general path.

-- Exact signed integers for the decision scripts.
--
-- Redis runs Lua 5.1, whose only number type is a double: exact for integers below 2^53 only.
-- Sluice's values are nanoseconds since the epoch (about 1.8e18), limits up to 2^61 and
-- products of the two up to 2^124. A value is therefore one of two forms:
--
-- * a Lua number, when it is an integer of magnitude below 2^53, the common case;
-- * a table of base-10^7 limbs, least significant first, with a boolean field `neg`, when its
--   magnitude is 2^53 or more. A limb product is below 10^14 and a sum of one with a carry
--   stays far below 2^53, so every step on limbs is exact.
--
-- Every result is brought back to this form (see `from_limbs`), so a table is never below
-- 2^53 and a number never above it, and comparing a number with a table needs only the
-- table's sign. An operation on two numbers computes in doubles and keeps the result only
-- when its magnitude is below 2^53. That check is sound because the exact result of +, - or
-- * on integers is an integer, which a double represents exactly when it is below 2^53, and
-- because rounding is monotonic: an exact result of 2^53 or more never rounds below 2^53.
-- Otherwise the operation is repeated on limbs. Values cross the script boundary as decimal
-- strings.

local Big = {}

local BASE = 10000000
local BASE_DIGITS = 7
-- 2^53: integers of smaller magnitude are exact in a double.
local EXACT = 9007199254740992
local floor, fmod, type = math.floor, math.fmod, type

-- The operations on limbs. Redis runs the whole script on every call, and every function
-- created costs Redis time (about 0.1 us each on the development machine), so these are
-- created only when a value reaches 2^53.
local function load_limbs()
  local function trim(a)
    local n = #a
    while n > 0 and a[n] == 0 do
      a[n] = nil
      n = n - 1
    end
    if n == 0 then
      a.neg = false
    end
    return a
  end

  local function copy(a)
    local r = {neg = a.neg}
    for k = 1, #a do
      r[k] = a[k]
    end
    return r
  end

  -- Parses a decimal string into limbs.
  local function parse_limbs(text)
    local neg = false
    local digits = text
    if string.sub(text, 1, 1) == '-' then
      neg = true
      digits = string.sub(text, 2)
    end
    if not string.match(digits, '^%d+$') then
      error('invalid integer, expected decimal digits: ' .. tostring(text))
    end
    local a = {neg = neg}
    local high = #digits
    local k = 1
    while high >= 1 do
      local low = math.max(1, high - BASE_DIGITS + 1)
      a[k] = tonumber(string.sub(digits, low, high))
      k = k + 1
      high = low - 1
    end
    return trim(a)
  end

  local function limbs_tostring(a)
    local n = #a
    if n == 0 then
      return '0'
    end
    local parts = {a.neg and '-' or '', string.format('%d', a[n])}
    for k = n - 1, 1, -1 do
      parts[#parts + 1] = string.format('%07d', a[k])
    end
    return table.concat(parts)
  end

  local function cmp_mag(a, b)
    if #a ~= #b then
      return #a < #b and -1 or 1
    end
    for k = #a, 1, -1 do
      if a[k] ~= b[k] then
        return a[k] < b[k] and -1 or 1
      end
    end
    return 0
  end

  local function add_mag(a, b)
    local r = {neg = false}
    local carry = 0
    for k = 1, math.max(#a, #b) do
      local sum = (a[k] or 0) + (b[k] or 0) + carry
      if sum >= BASE then
        r[k] = sum - BASE
        carry = 1
      else
        r[k] = sum
        carry = 0
      end
    end
    if carry > 0 then
      r[#r + 1] = carry
    end
    return r
  end

  -- Requires |a| >= |b|.
  local function sub_mag(a, b)
    local r = {neg = false}
    local borrow = 0
    for k = 1, #a do
      local diff = a[k] - (b[k] or 0) - borrow
      if diff < 0 then
        r[k] = diff + BASE
        borrow = 1
      else
        r[k] = diff
        borrow = 0
      end
    end
    return trim(r)
  end

  local function cmp_limbs(a, b)
    if a.neg ~= b.neg then
      return a.neg and -1 or 1
    end
    local c = cmp_mag(a, b)
    if a.neg and c ~= 0 then
      return -c
    end
    return c
  end

  local function add_limbs(a, b)
    local r
    if a.neg == b.neg then
      r = add_mag(a, b)
      r.neg = a.neg
    elseif cmp_mag(a, b) >= 0 then
      r = sub_mag(a, b)
      r.neg = a.neg
    else
      r = sub_mag(b, a)
      r.neg = b.neg
    end
    return trim(r)
  end

  local function sub_limbs(a, b)
    local negated = copy(b)
    negated.neg = not b.neg
    return add_limbs(a, trim(negated))
  end

  local function mul_limbs(a, b)
    local na, nb = #a, #b
    if na == 0 or nb == 0 then
      return {neg = false}
    end
    local r = {neg = a.neg ~= b.neg}
    for k = 1, na + nb do
      r[k] = 0
    end
    for i = 1, na do
      local carry = 0
      local ai = a[i]
      for j = 1, nb do
        local t = r[i + j - 1] + ai * b[j] + carry
        carry = math.floor(t / BASE)
        r[i + j - 1] = t - carry * BASE
      end
      local k = i + nb
      while carry > 0 do
        local t = r[k] + carry
        carry = math.floor(t / BASE)
        r[k] = t - carry * BASE
        k = k + 1
      end
    end
    return trim(r)
  end

  local function to_double(a)
    local x = 0
    for k = #a, 1, -1 do
      x = x * BASE + a[k]
    end
    return x
  end

  -- Multiplies a non-negative value by a limb 0 <= m < BASE.
  local function mul_limb(a, m)
    return mul_limbs({neg = false, m}, a)
  end

  -- Schoolbook long division of magnitudes, one base-10^7 quotient limb at a time. Each limb is
  -- estimated in floating point, which is off by at most one either way because the quotient
  -- limb is below 10^7 and a double carries 53 bits, then corrected exactly.
  local function divmod_mag(a, b)
    local q = {neg = false}
    local r = {neg = false}
    local divisor = to_double(b)
    for k = #a, 1, -1 do
      table.insert(r, 1, a[k])
      trim(r)
      local digit = 0
      if cmp_mag(r, b) >= 0 then
        digit = math.min(BASE - 1, math.floor(to_double(r) / divisor))
        local product = mul_limb(b, digit)
        while cmp_mag(product, r) > 0 do
          digit = digit - 1
          product = sub_mag(product, b)
        end
        r = sub_mag(r, product)
        while cmp_mag(r, b) >= 0 do
          digit = digit + 1
          r = sub_mag(r, b)
        end
      end
      q[k] = digit
    end
    return trim(q), trim(r)
  end

  local function divmod_limbs(a, b)
    local q, r = divmod_mag(a, b)
    if a.neg and #r > 0 then
      q = add_mag(q, {neg = false, 1})
      r = sub_mag(b, r)
    end
    q.neg = a.neg
    return trim(q), r
  end

  return {parse = parse_limbs, tostring = limbs_tostring, cmp = cmp_limbs, add = add_limbs,
          sub = sub_limbs, mul = mul_limbs, divmod = divmod_limbs}
end

local loaded_limbs = nil

local function limbs()
  if loaded_limbs == nil then
    loaded_limbs = load_limbs()
  end
  return loaded_limbs
end

-- Returns a limb value as a number when its magnitude is below 2^53. With at most 3 limbs the
-- value is below 10^21. Horner's rule is exact while the value is below 2^53, and by
-- monotonic rounding it never yields less than 2^53 for a value that is not.
local function from_limbs(a)
  local n = #a
  if n > 3 then
    return a
  end
  local x = 0
  for k = n, 1, -1 do
    x = x * BASE + a[k]
  end
  if x >= EXACT then
    return a
  end
  if a.neg then
    return -x
  end
  return x
end

-- Returns the limbs of a number. fmod is exact on doubles, so every limb is.
local function to_limbs(x)
  if type(x) == 'table' then
    return x
  end
  local r = {neg = x < 0}
  if x < 0 then
    x = -x
  end
  local k = 1
  while x > 0 do
    local limb = fmod(x, BASE)
    r[k] = limb
    x = (x - limb) / BASE
    k = k + 1
  end
  return r
end

-- Long.MAX_VALUE, the usual longest delay of a request, is returned without parsing.
local LONG_MAX_TEXT = '9223372036854775807'

--- Parses a decimal string such as "-12" or "1800000000000000000". Up to 15 digits fit a
--- double exactly, so tonumber reads them.
function Big.parse(text)
  if #text <= 15 and string.find(text, '^%-?%d+$') then
    local x = tonumber(text)
    if x == 0 then
      return 0
    end
    return x
  end
  if text == LONG_MAX_TEXT then
    return Big.LONG_MAX
  end
  return from_limbs(limbs().parse(text))
end

--- Formats as a canonical decimal string, the inverse of Big.parse.
function Big.tostring(a)
  if type(a) == 'table' then
    return limbs().tostring(a)
  end
  if a == 0 then
    return '0'
  end
  return string.format('%d', a)
end

--- Compares signed values: returns -1, 0 or 1.
function Big.cmp(a, b)
  local a_number, b_number = type(a) == 'number', type(b) == 'number'
  if a_number and b_number then
    if a < b then
      return -1
    end
    return a > b and 1 or 0
  end
  if a_number then
    return b.neg and 1 or -1
  end
  if b_number then
    return a.neg and -1 or 1
  end
  return limbs().cmp(a, b)
end

function Big.add(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    local sum = a + b
    if sum < EXACT and sum > -EXACT then
      return sum
    end
  end
  return from_limbs(limbs().add(to_limbs(a), to_limbs(b)))
end

function Big.sub(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    local difference = a - b
    if difference < EXACT and difference > -EXACT then
      return difference
    end
  end
  return from_limbs(limbs().sub(to_limbs(a), to_limbs(b)))
end

function Big.mul(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    local product = a * b
    if product < EXACT and product > -EXACT then
      return product + 0
    end
  end
  return from_limbs(limbs().mul(to_limbs(a), to_limbs(b)))
end

--- Floor division by a positive divisor: returns quotient and remainder, 0 <= remainder < b.
--- On numbers, fmod gives the exact remainder with the sign of `a`, so a - remainder is an
--- exact multiple of b and the division that yields the quotient is exact too.
function Big.divmod(a, b)
  if Big.cmp(b, 0) <= 0 then
    error('divisor must be positive, got ' .. Big.tostring(b))
  end
  if type(a) == 'number' and type(b) == 'number' then
    local remainder = fmod(a, b)
    local quotient = (a - remainder) / b
    if remainder < 0 then
      return quotient - 1, remainder + b
    end
    return quotient + 0, remainder + 0
  end
  local q, r = limbs().divmod(to_limbs(a), to_limbs(b))
  return from_limbs(q), from_limbs(r)
end

-- Returns a mod p for limbs a >= 0 and a number p with p * 10 < 2^53, digit by digit from
-- the most significant limb, so that every intermediate value stays below 2^53.
local function mod_by_digits(a, p)
  local r = 0
  for k = #a, 1, -1 do
    local limb = a[k]
    local scale = BASE / 10
    for _ = 1, BASE_DIGITS do
      local digit = floor(limb / scale) % 10
      r = fmod(r * 10 + digit, p)
      scale = scale / 10
    end
  end
  return r
end

--- Returns a mod b, 0 <= result < b, for b > 0: the remainder of Big.divmod, computed without
--- a long division when a is non-negative and b is below 2^53 / 10.
function Big.mod(a, b)
  if type(a) == 'table' and not a.neg and type(b) == 'number' and b > 0
      and b < EXACT / 10 then
    return mod_by_digits(a, b)
  end
  local _, r = Big.divmod(a, b)
  return r
end

--- Returns floor(a * b / c) for c > 0.
function Big.mul_div(a, b, c)
  local q = Big.divmod(Big.mul(a, b), c)
  return q
end

--- Returns ceil(a * b / c) for c > 0.
function Big.mul_div_ceil(a, b, c)
  local q, r = Big.divmod(Big.mul(a, b), c)
  if r ~= 0 then
    q = Big.add(q, 1)
  end
  return q
end

function Big.max(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    return a >= b and a or b
  end
  return Big.cmp(a, b) >= 0 and a or b
end

function Big.min(a, b)
  if type(a) == 'number' and type(b) == 'number' then
    return a <= b and a or b
  end
  return Big.cmp(a, b) <= 0 and a or b
end

function Big.is_zero(a)
  return a == 0
end

Big.ZERO = 0
Big.ONE = 1
-- Java's Long.MAX_VALUE, 9223372036854775807, where Sluice's arithmetic saturates.
Big.LONG_MAX = {neg = false, 4775807, 7203685, 92233}

--- Caps a value at Long.MAX_VALUE, as the Java arithmetic does.
function Big.saturate(a)
  if type(a) == 'number' then
    return a
  end
  return Big.min(a, Big.LONG_MAX)
end
