-- Appended to bigint.lua by BigIntScriptTest: applies ARGV[1] to each pair of decimal
-- operands in ARGV[2..] and returns the results as decimal strings.
local op = ARGV[1]
local results = {}
for i = 2, #ARGV, 2 do
  local a, b = Big.parse(ARGV[i]), Big.parse(ARGV[i + 1])
  if op == 'add' then
    results[#results + 1] = Big.tostring(Big.add(a, b))
  elseif op == 'sub' then
    results[#results + 1] = Big.tostring(Big.sub(a, b))
  elseif op == 'mul' then
    results[#results + 1] = Big.tostring(Big.mul(a, b))
  elseif op == 'divmod' then
    local q, r = Big.divmod(a, b)
    results[#results + 1] = Big.tostring(q) .. ' ' .. Big.tostring(r)
  elseif op == 'mod' then
    results[#results + 1] = Big.tostring(Big.mod(a, b))
  elseif op == 'cmp' then
    results[#results + 1] = tostring(Big.cmp(a, b))
  elseif op == 'roundtrip' then
    results[#results + 1] = Big.tostring(a)
  else
    error('unknown operation ' .. op)
  end
end
return results
