-- cancel_all: cancels every resting order of a user in one market, atomically, as one book change.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:user:<uid>:open   KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] user id   ARGV[2] now, ms   ARGV[3] retention of closed orders, ms
-- ARGV[4] closed orders kept per user and market   ARGV[5] the sweep's step (see engine_lib)
-- ARGV[6] units of the base asset per lot   ARGV[7] units of the quote asset per tick x lot
--
-- Returns {'ok', event} with the cancelled orders, oldest first (published on {S}:events when there was
-- one; their locks back in their owner's free funds), pending stops (stops.lua) among them; the sequence
-- moves only when one of them rested on the book. The
-- work is bounded by the open-orders cap: each level it cancels at is swept by a step per cancel there,
-- up to 64 steps.

-- Step 1: reads.
local uid = int_arg(1, 1, MAX_UID)
NOW, RETENTION, HISTORY_CAP, SWEEP = int_arg(2, 0), int_arg(3, 1), int_arg(4, 1), int_arg(5, 1, 1000)
FUNDS.start(int_arg(6, 1), int_arg(7, 1), 0, 0)
local found, resting = {}, 0
for _, id_text in ipairs(call('SMEMBERS', KEYS[2])) do
  local o = load_open(id_text)
  if o and o.uid == uid then
    found[#found + 1] = o
    resting = resting + (STOPS.pending(o) and 0 or 1)
  end
end
table.sort(found, function(a, b) return a.id < b.id end)

-- Step 2: writes.
local seq = tonumber(call('GET', KEYS[1]) or '0')
if resting > 0 then
  seq = call('INCR', KEYS[1])
  call('DECRBY', resting_key(), fmt(resting))
end
local orders, levels = {}, {}
local cancels_at, swept = {}, {} -- (by level list key: cancels there; and the keys in order)
for i, o in ipairs(found) do
  local list_key
  if STOPS.pending(o) then
    orders[i] = STOPS.cancel(o)
  else
    local level
    orders[i], level, list_key = cancel_resting(o)
    levels[#levels + 1] = level
    FUNDS.release(o.side, uid, o.price, o.qty - o.filled)
  end
  if list_key and not cancels_at[list_key] then
    cancels_at[list_key], swept[#swept + 1] = 0, list_key
  end
  if list_key then
    cancels_at[list_key] = cancels_at[list_key] + 1
  end
end
FUNDS.store()
for _, list_key in ipairs(swept) do
  sweep_level(list_key, SWEEP * min(cancels_at[list_key], 64))
end
local payload = command_event(seq, resting > 0, orders, {}, levels)
if #found > 0 then
  publish({ payload })
end
return { REPLY_OK, payload }
