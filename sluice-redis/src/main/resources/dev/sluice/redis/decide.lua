-- Decides one request under every limit of a policy, atomically. The request is admitted
-- only when every limit admits it, and then charged to all of them. A denial, or a cost of
-- 0, writes nothing, except the state of a limit written under other numbers before a
-- rebinding, which is converted to the current ones as the in-memory store converts it.
--
-- KEYS: one key per limit (a sorted set for sliding_log, else a hash), all with the same hash
-- tag.
-- ARGV: now in nanoseconds since the epoch, or '' to read the server's TIME; cost; the longest
-- delay the caller accepts in nanoseconds; '1' to give written keys an expiry, else '0'; then
-- five values per limit, in the order of KEYS: algorithm config name, limit, period in
-- nanoseconds, burst, and '1' for shape mode, else '0'. Then, for a batch of several requests
-- of the same key, the cost, longest delay and time ('' for the server's) of each request
-- after the first. They are decided in order, each after the ones before it were charged, and
-- all those at the server's time at one reading of it.
-- Reply: allowed (1 or 0), remaining, reset after, retry after (-1 for never), delay, and
-- the 0-based index of the limit that decided; six such values per request of a batch, in
-- order. Each is an integer, or a decimal string when it is 2^53 or more.

local NANOS_PER_MILLI = 1000000
local LIMIT_ARGS = 5
local HEADER_ARGS = 4

-- Sets the clock to a request's time: `now_text`, or the server's TIME when it is ''. Every
-- request at the server's time is decided at one reading, the one the fast path took if it
-- took one.
local server_time = fast_time
local function set_now(now_text)
  if now_text ~= '' then
    Clock.set(now_text)
    return
  end
  if server_time == nil then
    -- Redis 3.2 to 4.0 reject a write after TIME unless the script replicates its effects
    -- instead of its source; Redis 5 and later do that by default.
    if redis.replicate_commands then
      redis.replicate_commands()
    end
    server_time = redis.call('TIME')
  end
  Clock.set_time(server_time)
end

local built_meters = {}

local function read_limit(i)
  local base = HEADER_ARGS + (i - 1) * LIMIT_ARGS
  local name = ARGV[base + 1]
  local meter = built_meters[name]
  if meter == nil then
    local build = METERS[name]
    if build == nil then
      error('unsupported algorithm: ' .. tostring(name))
    end
    meter = build()
    built_meters[name] = meter
  end
  return meter, {
    limit = Big.parse(ARGV[base + 2]),
    period = Big.parse(ARGV[base + 3]),
    burst = Big.parse(ARGV[base + 4]),
    shape = ARGV[base + 5] == '1',
    leaky = name == 'leaky_bucket',
    -- The numbers as a meter that detects a rebinding stores them: limit:period:burst.
    numbers = ARGV[base + 2] .. ':' .. ARGV[base + 3] .. ':' .. ARGV[base + 4]
  }
end

-- The largest count, 2^61 - 1, the largest limit, as limbs, and the lowest `tokens` of a
-- bucket, its negative.
local MAX_COUNT = {neg = false, 3693951, 4300921, 23058}
local MIN_SIGNED_COUNT = {neg = true, 3693951, 4300921, 23058}

-- Raises the error for a stored value that no state can hold, with at most 40 characters of
-- the value.
local function invalid_field(key, field, value, problem)
  local shown = 'missing'
  if value then
    shown = "'" .. string.sub(value, 1, 40) .. (#value > 40 and "...'" or "'")
  end
  error('invalid stored state in key ' .. key .. ': field ' .. field .. ' is ' .. shown .. ', '
      .. problem)
end

-- Stored counts and times are decimal integers as the script writes them: no sign unless
-- negative, no leading zero, no space, no exponent.
local COUNT_PATTERN, SIGNED_COUNT_PATTERN = '^[1-9]%d*$', '^%-?[1-9]%d*$'

-- Reads a stored count: below 2^61, and non-negative unless `signed`, and then above -2^61.
local function read_count(key, field, text, signed)
  if not (text and (text == '0'
      or string.find(text, signed and SIGNED_COUNT_PATTERN or COUNT_PATTERN))) then
    invalid_field(key, field, text, signed and 'expected a decimal integer'
        or 'expected a decimal integer of at least 0')
  end
  local count = Big.parse(text)
  if signed and type(count) == 'table' and Big.cmp(count, MIN_SIGNED_COUNT) < 0 then
    invalid_field(key, field, text, 'expected at least -(2^61 - 1)')
  end
  if type(count) == 'table' and Big.cmp(count, MAX_COUNT) > 0 then
    invalid_field(key, field, text, 'expected at most 2^61 - 1, the largest limit')
  end
  return count
end

-- Reads a stored time as a time relative to the request, no later than the meter allows.
local function read_time(key, field, text, meter, params)
  if not (text and (text == '0' or string.find(text, COUNT_PATTERN))) then
    invalid_field(key, field, text, 'expected nanoseconds since the epoch')
  end
  local time = Clock.relative(text)
  if type(time) == 'number' and time <= CLOCK_SKEW_NANOS then
    return time
  end
  local max_ahead = (meter.max_ahead or max_ahead_by_period)(params)
  if Big.cmp(time, max_ahead) > 0 then
    invalid_field(key, field, text, 'which is ' .. Big.tostring(time) .. ' ns after the'
        .. ' request time, more than the ' .. Big.tostring(max_ahead) .. ' ns that a state'
        .. ' written by another instance can be ahead')
  end
  return time
end

-- Reads a state from the hash fields of meter.fields, unless the meter reads its own layout.
-- A value that no state of the meter can hold raises an error naming the key and field.
local function read_state(key, meter, params)
  if meter.read then
    return meter.read(key, params)
  end
  local values = redis.call('HMGET', key, unpack(meter.fields))
  if not values[1] then
    return nil
  end
  local state = {}
  local relative = meter.relative or {}
  local text = meter.text or {}
  local signed = meter.signed
  for i, field in ipairs(meter.fields) do
    if relative[field] then
      state[field] = read_time(key, field, values[i], meter, params)
    elseif text[field] then
      -- Kept as stored, or nil in a state that an earlier build of this script wrote.
      state[field] = values[i] or nil
    else
      state[field] = read_count(key, field, values[i], signed and signed[field])
    end
  end
  return state
end

-- The request time as the meter computes with it: 0 when its times are relative.
local function meter_now(meter)
  return meter.relative and 0 or Clock.now()
end

local function encode_field(meter, field, value)
  if meter.relative and meter.relative[field] then
    return Clock.absolute(value)
  end
  if meter.text and meter.text[field] then
    return value
  end
  return Big.tostring(value)
end

local function write_fields(key, meter, state)
  local field_values = {}
  for _, field in ipairs(meter.fields) do
    field_values[#field_values + 1] = field
    field_values[#field_values + 1] = encode_field(meter, field, state[field])
  end
  redis.call('HSET', key, unpack(field_values))
end

-- Writes a state as decimal strings, field by field, unless the meter writes its own layout. The
-- expiry is the time until the state is back to its initial state, rounded up to whole milliseconds
-- and at least 1 ms.
local function write_state(key, meter, params, state, expire)
  if meter.write then
    meter.write(key, state)
  else
    write_fields(key, meter, state)
  end
  if expire then
    local left = Big.sub(meter.reset_at(params, state), meter_now(meter))
    local millis = Big.max(Big.ONE, Big.mul_div_ceil(left, Big.ONE, NANOS_PER_MILLI))
    redis.call('PEXPIRE', key, Big.tostring(millis))
  end
end

-- Writes the states converted to new numbers by a decision that charged nothing; a state
-- converted to the initial state is deleted.
local function write_converted(keys, meters, params, states, converted, expire)
  for i = 1, #keys do
    if converted[i] and states[i] == nil then
      redis.call('DEL', keys[i])
    elseif converted[i] then
      write_state(keys[i], meters[i], params[i], states[i], expire)
    end
  end
end

-- The port of PolicyMeter.isMoreBinding: which decision reports for the whole policy.
local function is_more_binding(candidate, current, allowed)
  if allowed then
    return Big.cmp(candidate.remaining, current.remaining) < 0
  end
  if candidate.allowed ~= current.allowed then
    return not candidate.allowed
  end
  if current.retry_after == nil then
    return false
  end
  return candidate.retry_after == nil
      or Big.cmp(candidate.retry_after, current.retry_after) > 0
end

-- The port of PolicyMeter.combine; returns the combined decision and the deciding index.
local function combine(decisions)
  local remaining, reset_after, delay = decisions[1].remaining, Big.ZERO, Big.ZERO
  local allowed = true
  for _, d in ipairs(decisions) do
    remaining = Big.min(remaining, d.remaining)
    reset_after = Big.max(reset_after, d.reset_after)
    delay = Big.max(delay, d.delay)
    allowed = allowed and d.allowed
  end
  local binding = 1
  for i = 2, #decisions do
    if is_more_binding(decisions[i], decisions[binding], allowed) then
      binding = i
    end
  end
  local retry_after = allowed and Big.ZERO or decisions[binding].retry_after
  return {allowed = allowed, remaining = remaining, reset_after = reset_after,
          retry_after = retry_after, delay = delay}, binding
end

-- The port of PolicyMeter.reportUncharged: when any limit denies, a limit that admitted the
-- request reports its state as it is, because its admission reported values as if the cost had
-- been charged.
local function report_uncharged(meters, params, states, decisions)
  local all_allowed = true
  for _, d in ipairs(decisions) do
    all_allowed = all_allowed and d.allowed
  end
  if all_allowed then
    return
  end
  for i, d in ipairs(decisions) do
    if d.allowed then
      local now = meter_now(meters[i])
      decisions[i] = meters[i].check(params[i], states[i], now, Big.ZERO, Big.LONG_MAX)
    end
  end
end

-- A value below 2^53 is a Lua number, which Redis replies as an integer, exactly. A larger
-- one is a table of limbs and travels as a decimal string.
local function to_reply_value(value)
  return type(value) == 'number' and value or Big.tostring(value)
end

local function reply(decision, index)
  local value = to_reply_value
  local retry_after = decision.retry_after == nil and -1 or value(decision.retry_after)
  return {decision.allowed and 1 or 0, value(decision.remaining), value(decision.reset_after),
          retry_after, value(decision.delay), index - 1}
end

-- The requests of the call: the first one's time, cost and longest delay are ARGV[1] to
-- ARGV[3], and each further request adds its cost, longest delay and time after the limits'
-- arguments.
local requests = (#ARGV - HEADER_ARGS - LIMIT_ARGS * #KEYS) / 3 + 1
if #KEYS == 0 or requests < 1 or requests % 1 ~= 0 then
  error('expected ' .. HEADER_ARGS .. ' + ' .. LIMIT_ARGS .. ' arguments per key and 3 per '
      .. 'request after the first, got ' .. #ARGV .. ' arguments for ' .. #KEYS .. ' keys')
end

-- Decides one request, reading the states that the requests before it wrote.
local function decide_request(cost, max_delay, expire)
  local meters, params, states, decisions, converted = {}, {}, {}, {}, {}
  for i = 1, #KEYS do
    meters[i], params[i] = read_limit(i)
    states[i] = read_state(KEYS[i], meters[i], params[i])
    if meters[i].needs_conversion and meters[i].needs_conversion(params[i], states[i]) then
      states[i] = meters[i].convert(params[i], states[i], meter_now(meters[i]))
      converted[i] = true
    end
    decisions[i] = meters[i].check(params[i], states[i], meter_now(meters[i]), cost, max_delay)
  end
  report_uncharged(meters, params, states, decisions)
  local decision, index = combine(decisions)
  if decision.allowed and not Big.is_zero(cost) then
    for i = 1, #KEYS do
      local next_state = meters[i].admit(params[i], states[i], meter_now(meters[i]), cost)
      write_state(KEYS[i], meters[i], params[i], next_state, expire)
    end
  else
    write_converted(KEYS, meters, params, states, converted, expire)
  end
  return reply(decision, index)
end

local expire = ARGV[4] == '1'
local replies = fast_replies or {}
for j = fast_decided + 1, requests do
  if j == 1 then
    set_now(ARGV[1])
    replies[j] = decide_request(Big.parse(ARGV[2]), Big.parse(ARGV[3]), expire)
  else
    local at = HEADER_ARGS + LIMIT_ARGS * #KEYS + 3 * j - 5
    set_now(ARGV[at + 2])
    replies[j] = decide_request(Big.parse(ARGV[at]), Big.parse(ARGV[at + 1]), expire)
  end
end
if requests == 1 then
  return replies[1]
end
local flat = {}
for j = 1, requests do
  for _, value in ipairs(replies[j]) do
    flat[#flat + 1] = value
  end
end
return flat
