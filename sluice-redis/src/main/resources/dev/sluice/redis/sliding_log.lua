-- Sliding window log: a port of SlidingLogMeter in sluice-core, with the same decisions, kept
-- in a sorted set so that a decision reads a few entries instead of the whole log.
--
-- Layout. Each entry is a member named by its admission time (nanoseconds since the epoch, a
-- canonical decimal string) whose score is the running total of units admitted up to and including
-- it. The member `base` scores the running total before the first entry kept, and the kept entries
-- follow it in order of time and of total alike. Entries that an admission dropped but did not
-- remove yet precede it: their totals are at most the base, and at an equal score a member of
-- digits sorts before `base`. The units in the window are the newest total minus the total just
-- before the first live entry. Example, 10 per minute: admissions of 3 at 0:10 and 2 at 0:40 give
-- base 0, 0:10 at 3, 0:40 at 5. At 1:15 the entry of 0:10 has left the window, which then contains
-- 5 - 3 = 2 units. A request of cost 9 there needs 9 - (10 - 2) = 1 more unit to leave, so it waits
-- for the first entry whose total reaches 5 - (10 - 9) = 4: the one of 0:40, at 1:40.
--
-- Cost. A decision reads the base and the entry after it, the size and the newest entry. It
-- finds the first live entry by probing the kept entries 1, 3, 7, ... and then bisecting, so
-- probes grow with the log of the number of expired entries, and it finds the entry a denial
-- waits for with one ZRANGEBYSCORE. An admission adds or updates one entry, moves the base
-- past the expired entries, and removes at most MAX_REMOVALS dropped entries, so that a
-- burst of entries leaving at once costs no single decision more than that. Each entry is
-- removed once, and each admission adds at most one, so the dropped entries do not pile up
-- while admissions go on. Admissions at the same time merge into one entry, whatever their
-- cost.
--
-- Totals are never rebased while they fit, because only their differences count. When the
-- newest total would exceed 2^52, an admission rewrites the kept entries from 0, which costs
-- time in proportion to the entries. Totals are at most the limit after that, and the limit is at
-- most 2^52 (the script raises an error otherwise), so every score is an exact integer.
--
-- The state read is a view: the stored entries from the base on, read on demand and cached, then
-- the entries admitted by this call (`tail`), and `first`, the first entry still kept. Entries are
-- numbered 0 (the base, at rank `offset`) to entry_count(s) across both parts. An admission changes
-- only the view, and write() applies the difference. A key in the hash layout of earlier versions
-- (fields times, totals and base) is read whole into the view, and the first admission replaces it
-- with a sorted set.

local function build_sliding_log()
  -- Times are relative to the request, as decide.lua computes for meters with `relative`.
  local SlidingLog = {relative = {}}

  local MAX_TOTAL = 4503599627370496
  local BASE_MEMBER = 'base'
  -- About 15 µs of Redis 7.0 time, an estimate from one removal of 100,000 entries in 15 ms.
  local MAX_REMOVALS = 100
  -- Pairs per ZADD, well below the number of values that unpack can return.
  local ZADD_PAIRS = 1000
  -- The maximum number of entries in the hash layout of earlier versions, which capped the
  -- limit of a sliding_log at 1,000 and stored only entries of at least one unit.
  local MAX_HASH_ENTRIES = 1000
  -- The maximum length of a field of such a hash: per entry a time or total of at most 19
  -- digits, and a comma.
  local MAX_HASH_FIELD_LENGTH = 20 * MAX_HASH_ENTRIES

  local function invalid(key, problem)
    error('invalid sliding_log state in key ' .. key .. ': ' .. problem)
  end

  local function to_entry(key, member, score)
    local total = tonumber(score)
    if not total or total < 0 or total % 1 ~= 0 or total > MAX_TOTAL then
      invalid(key, 'score ' .. tostring(score) .. ' of ' .. tostring(member))
    end
    if member ~= BASE_MEMBER and not (member == '0' or string.find(member, '^[1-9]%d*$')) then
      invalid(key, 'member ' .. string.sub(member, 1, 40))
    end
    return {member = member, total = total}
  end

  local function entry_time(entry)
    if entry.time == nil then
      entry.time = Clock.relative(entry.member)
    end
    return entry.time
  end

  local function stored_entry(s, rank)
    local entry = s.cache[rank]
    if entry == nil then
      local stored_rank = s.offset + rank
      local reply = redis.call('ZRANGE', s.key, stored_rank, stored_rank, 'WITHSCORES')
      if #reply ~= 2 then
        invalid(s.key, 'no entry at rank ' .. stored_rank)
      end
      entry = to_entry(s.key, reply[1], reply[2])
      s.cache[rank] = entry
    end
    return entry
  end

  local function entry_count(s)
    return s.stored_count + #s.tail
  end

  local function entry_at(s, index)
    if index <= s.stored_count then
      return stored_entry(s, index)
    end
    return s.tail[index - s.stored_count]
  end

  local function new_view(key, stored, offset, stored_count, cache)
    return {key = key, stored = stored, offset = offset, stored_count = stored_count,
            cache = cache, first = 1, tail = {}}
  end

  -- Reads the hash of earlier versions: comma-separated times and running totals, and the
  -- total before the first. Its totals are rebased to 0 here, so a rewrite stores them as is.
  -- A field longer than such a hash held is rejected before it is read, so that a damaged
  -- key costs Redis no more time than a legal one.
  local function read_hash(key)
    for _, field in ipairs({'times', 'totals', 'base'}) do
      local length = redis.call('HSTRLEN', key, field)
      if length > MAX_HASH_FIELD_LENGTH then
        invalid(key, 'field ' .. field .. ' of ' .. length .. ' bytes, more than the '
            .. MAX_HASH_FIELD_LENGTH .. ' of a hash of ' .. MAX_HASH_ENTRIES .. ' entries')
      end
    end
    local values = redis.call('HMGET', key, 'times', 'totals', 'base')
    if not (values[1] and values[2] and values[3]) then
      invalid(key, 'a hash without the fields times, totals and base')
    end
    local base = Big.parse(values[3])
    local totals = {}
    for total in string.gmatch(values[2], '[^,]+') do
      if #totals == MAX_HASH_ENTRIES then
        invalid(key, 'more than ' .. MAX_HASH_ENTRIES .. ' totals')
      end
      totals[#totals + 1] = total
    end
    local cache = {[0] = {member = BASE_MEMBER, total = 0}}
    local n = 0
    for time in string.gmatch(values[1], '[^,]+') do
      n = n + 1
      if totals[n] == nil then
        invalid(key, 'fewer totals than times')
      end
      cache[n] = to_entry(key, time, Big.tostring(Big.sub(Big.parse(totals[n]), base)))
    end
    if n == 0 or n ~= #totals then
      invalid(key, 'no times, or more totals than times')
    end
    return new_view(key, 'hash', 0, n, cache)
  end

  -- Raises an error when the newest entry lies further ahead of the request than a state that
  -- another instance wrote can be: entries are admission times that a request had reached.
  local function check_newest(s, m)
    local newest = entry_at(s, entry_count(s))
    local max_ahead = max_ahead_by_period(m)
    if Big.cmp(entry_time(newest), max_ahead) > 0 then
      invalid(s.key, 'newest entry ' .. newest.member .. ' is more than ' .. Big.tostring(max_ahead)
          .. ' ns after the request time')
    end
    return s
  end

  -- Returns the view of a key, or nil when it does not exist.
  function SlidingLog.read(key, m)
    local head = redis.pcall('ZRANGE', key, 0, 1, 'WITHSCORES')
    if head.err then
      if redis.call('TYPE', key).ok == 'hash' then
        return check_newest(read_hash(key), m)
      end
      -- Raises the error for this key, as a read of any other algorithm would.
      redis.call('ZRANGE', key, 0, 1)
    end
    if #head == 0 then
      return nil
    end
    local offset = 0
    if head[1] ~= BASE_MEMBER then
      offset = redis.call('ZRANK', key, BASE_MEMBER)
      if not offset then
        invalid(key, 'no member ' .. BASE_MEMBER)
      end
      head = redis.call('ZRANGE', key, offset, offset + 1, 'WITHSCORES')
    end
    if #head ~= 4 then
      invalid(key, 'no entry after the base')
    end
    local cache = {[0] = to_entry(key, head[1], head[2]), to_entry(key, head[3], head[4])}
    local n = redis.call('ZCARD', key) - 1 - offset
    if n > 1 then
      local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
      cache[n] = to_entry(key, newest[1], newest[2])
    end
    return check_newest(new_view(key, 'zset', offset, n, cache), m)
  end

  local function is_live(s, index, bound)
    return Big.cmp(entry_time(entry_at(s, index)), bound) > 0
  end

  -- Returns the first kept entry newer than `bound`, or entry_count(s) + 1. Probes entries
  -- 1, 3, 7, ... after the last one dropped, then bisects the last gap.
  local function first_live(s, bound)
    local n = entry_count(s)
    if not is_live(s, n, bound) then
      return n + 1
    end
    local low, high, step = s.first - 1, n, 1
    while low + step < high do
      local probe = low + step
      if is_live(s, probe, bound) then
        high = probe
        break
      end
      low = probe
      step = step * 2
    end
    while high - low > 1 do
      local middle = math.floor((low + high) / 2)
      if is_live(s, middle, bound) then
        high = middle
      else
        low = middle
      end
    end
    return high
  end

  -- Returns the first kept entry whose running total is at least `total`, which the newest
  -- entry's is.
  local function first_reaching(s, total)
    local low, high = s.first - 1, entry_count(s)
    while high - low > 1 do
      local middle = math.floor((low + high) / 2)
      if Big.cmp(entry_at(s, middle).total, total) >= 0 then
        high = middle
      else
        low = middle
      end
    end
    return entry_at(s, high)
  end

  -- Returns the stored entry whose score first reaches `total`, or nil when none does. Only
  -- the newest stored entry can have a total above its score (after a merge in this call),
  -- and the entries dropped by this call have totals below the ones a denial looks for.
  local function first_stored_reaching(s, total)
    local reply = redis.call('ZRANGEBYSCORE', s.key, Big.tostring(total), '+inf',
        'WITHSCORES', 'LIMIT', 0, 1)
    if #reply == 0 then
      return nil
    end
    return to_entry(s.key, reply[1], reply[2])
  end

  -- Returns the wait until enough of the oldest live entries have left the window for the
  -- request to fit. The last entry that has to leave is the first whose running total reaches
  -- total - (limit - cost), and it leaves one period after its time.
  local function retry_after(m, s, now, cost)
    local total = entry_at(s, entry_count(s)).total
    local must_leave = Big.sub(total, Big.sub(m.limit, cost))
    local entry = s.stored == 'zset' and first_stored_reaching(s, must_leave) or nil
    if entry == nil then
      entry = first_reaching(s, must_leave)
    end
    local leaves_at = Big.add(entry_time(entry), m.period)
    return Big.max(Big.ZERO, Big.sub(leaves_at, now))
  end

  function SlidingLog.check(m, s, now, cost, max_delay)
    if Big.cmp(m.limit, MAX_TOTAL) > 0 then
      error('sliding_log limit must be at most ' .. MAX_TOTAL .. ', got '
          .. Big.tostring(m.limit))
    end
    if s == nil then
      if Big.cmp(cost, m.limit) > 0 then
        return never(m.limit, Big.ZERO)
      end
      return allow(Big.sub(m.limit, cost), Big.is_zero(cost) and Big.ZERO or m.period, Big.ZERO)
    end
    local newest = entry_at(s, entry_count(s))
    local live = first_live(s, Big.sub(now, m.period))
    local used = Big.sub(newest.total, entry_at(s, live - 1).total)
    local remaining = Big.max(Big.ZERO, Big.sub(m.limit, used))
    local reset_after = Big.ZERO
    if Big.cmp(used, Big.ZERO) > 0 then
      reset_after = Big.max(Big.ZERO, Big.sub(Big.add(entry_time(newest), m.period), now))
    end
    if Big.cmp(cost, m.limit) > 0 then
      return never(remaining, reset_after)
    end
    -- Not cost <= remaining: a log above a lowered limit must deny even a look.
    if Big.cmp(Big.add(used, cost), m.limit) <= 0 then
      local after = Big.is_zero(cost) and reset_after or Big.max(m.period, reset_after)
      return allow(Big.sub(remaining, cost), after, Big.ZERO)
    end
    return deny(remaining, reset_after, retry_after(m, s, now, cost))
  end

  -- Drops the entries that have left the window at the admission time and adds the cost to
  -- the newest entry when it has that time, or appends an entry. Changes the view in place,
  -- as the Java meter changes its state.
  function SlidingLog.admit(m, s, now, cost)
    if s == nil then
      s = new_view(nil, nil, 0, 0, {[0] = {member = BASE_MEMBER, total = 0}})
      s.tail[1] = {member = Clock.absolute(now), time = now, total = cost}
      return s
    end
    local n = entry_count(s)
    local newest = entry_at(s, n)
    local time = Big.max(now, entry_time(newest))
    s.first = first_live(s, Big.sub(time, m.period))
    local total = Big.add(newest.total, cost)
    if Big.cmp(entry_time(newest), time) == 0 then
      local merged = {member = newest.member, time = time, total = total}
      if n <= s.stored_count then
        s.cache[n] = merged
        s.newest_changed = true
      else
        s.tail[#s.tail] = merged
      end
    else
      s.tail[#s.tail + 1] = {member = Clock.absolute(time), time = time, total = total}
    end
    return s
  end

  function SlidingLog.reset_at(m, s)
    return Big.add(entry_time(entry_at(s, entry_count(s))), m.period)
  end

  local function zadd(key, args)
    for first = 1, #args, 2 * ZADD_PAIRS do
      redis.call('ZADD', key, unpack(args, first, math.min(#args, first + 2 * ZADD_PAIRS - 1)))
    end
  end

  -- Caches the stored entries from `first` on with one command, keeping entries already
  -- cached, which may have changed in this call.
  local function cache_stored_from(s, first)
    if s.stored ~= 'zset' or first > s.stored_count then
      return
    end
    local reply = redis.call('ZRANGE', s.key, s.offset + first, s.offset + s.stored_count,
        'WITHSCORES')
    for i = 1, #reply, 2 do
      local rank = first + (i - 1) / 2
      if s.cache[rank] == nil then
        s.cache[rank] = to_entry(s.key, reply[i], reply[i + 1])
      end
    end
  end

  -- Writes the kept entries as a new sorted set whose base is 0, without dropped entries.
  local function rewrite(key, s)
    cache_stored_from(s, s.first - 1)
    local base = entry_at(s, s.first - 1).total
    local args = {'0', BASE_MEMBER}
    for index = s.first, entry_count(s) do
      local entry = entry_at(s, index)
      args[#args + 1] = Big.tostring(Big.sub(entry.total, base))
      args[#args + 1] = entry.member
    end
    if s.stored ~= nil then
      redis.call('DEL', key)
    end
    zadd(key, args)
  end

  -- Applies the changes of this call's admissions: moves the base, writes the changed and
  -- added entries, and removes up to MAX_REMOVALS dropped entries, all of which precede the
  -- base once it has moved. The view no longer matches the key then, so a later decision in
  -- the same call must read the key again.
  function SlidingLog.write(key, s)
    if s.stored ~= 'zset' or Big.cmp(entry_at(s, entry_count(s)).total, MAX_TOTAL) > 0 then
      rewrite(key, s)
      return
    end
    local n = s.stored_count
    local args = {}
    if s.first > 1 then
      args[1] = Big.tostring(entry_at(s, s.first - 1).total)
      args[2] = BASE_MEMBER
    end
    if s.newest_changed and s.first <= n then
      args[#args + 1] = Big.tostring(s.cache[n].total)
      args[#args + 1] = s.cache[n].member
    end
    for i, entry in ipairs(s.tail) do
      if n + i >= s.first then
        args[#args + 1] = Big.tostring(entry.total)
        args[#args + 1] = entry.member
      end
    end
    zadd(key, args)
    local dropped = s.offset + math.min(s.first - 1, n)
    if dropped > 0 then
      redis.call('ZREMRANGEBYRANK', key, 0, math.min(dropped, MAX_REMOVALS) - 1)
    end
  end

  return SlidingLog
end

METERS['sliding_log'] = build_sliding_log
