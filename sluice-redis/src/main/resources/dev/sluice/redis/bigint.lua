-- Arbitrary-precision signed integers for the decision scripts.
--
-- Redis runs Lua 5.1, whose only number type is a double: exact up to 2^53 only. Sluice's
-- values are nanoseconds since the epoch (about 1.8e18), limits up to 2^61 and products of the
-- two up to 2^124, so every value is kept as a table of base-10^7 limbs, least significant
-- first, with a boolean field `neg`. A limb product is below 10^14 and a sum of one with a
-- carry stays far below 2^53, so every step on limbs is exact. Values cross the script
-- boundary as decimal strings. Zero has no limbs and is never negative.

local Big = {}

local BASE = 10000000
local BASE_DIGITS = 7

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

--- Parses a decimal string such as "-12" or "1800000000000000000".
function Big.parse(text)
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

--- Formats as a decimal string, the inverse of Big.parse.
function Big.tostring(a)
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

--- Compares signed values: returns -1, 0 or 1 (never -0, which Lua would print as "-0").
function Big.cmp(a, b)
  if a.neg ~= b.neg then
    return a.neg and -1 or 1
  end
  local c = cmp_mag(a, b)
  if a.neg and c ~= 0 then
    return -c
  end
  return c
end

function Big.add(a, b)
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

function Big.negate(a)
  local r = copy(a)
  r.neg = not a.neg
  return trim(r)
end

function Big.sub(a, b)
  return Big.add(a, Big.negate(b))
end

function Big.mul(a, b)
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
  return Big.mul({neg = false, m}, a)
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

--- Floor division by a positive divisor: returns quotient and remainder, 0 <= remainder < b.
function Big.divmod(a, b)
  if b.neg or #b == 0 then
    error('divisor must be positive, got ' .. Big.tostring(b))
  end
  local q, r = divmod_mag(a, b)
  if a.neg and #r > 0 then
    q = add_mag(q, {neg = false, 1})
    r = sub_mag(b, r)
  end
  q.neg = a.neg
  return trim(q), r
end

--- Returns floor(a * b / c) for c > 0.
function Big.mul_div(a, b, c)
  local q = Big.divmod(Big.mul(a, b), c)
  return q
end

--- Returns ceil(a * b / c) for c > 0.
function Big.mul_div_ceil(a, b, c)
  local q, r = Big.divmod(Big.mul(a, b), c)
  if #r > 0 then
    q = Big.add(q, Big.ONE)
  end
  return q
end

function Big.max(a, b)
  return Big.cmp(a, b) >= 0 and a or b
end

function Big.min(a, b)
  return Big.cmp(a, b) <= 0 and a or b
end

function Big.is_zero(a)
  return #a == 0
end

Big.ZERO = Big.parse('0')
Big.ONE = Big.parse('1')
-- Java's Long.MAX_VALUE, where Sluice's arithmetic saturates.
Big.LONG_MAX = Big.parse('9223372036854775807')

--- Caps a value at Long.MAX_VALUE, as the Java arithmetic does.
function Big.saturate(a)
  return Big.min(a, Big.LONG_MAX)
end
