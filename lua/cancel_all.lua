-- cancel_all: cancels every resting order of a user in one market, atomically, as one book change.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:user:<uid>:open   KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] user id   ARGV[2] now, ms   ARGV[3] retention of closed orders, ms
-- ARGV[4] closed orders kept per user and market   ARGV[5] the sweep's step (see engine_lib)
-- ARGV[6] units of the base asset per lot   ARGV[7] units of the quote asset per tick x lot
--
-- Returns {'ok', event} with the cancelled orders, oldest first (published on {S}:events when there was
-- one; their locks back in their owner's free funds); the sequence moves only when there was one. The
-- work is bounded by the open-orders cap: each level it cancels at is swept by a step per cancel there,
-- up to 64 steps.

-- Step 1: reads.
local uid = int_arg(1, 1, MAX_UID)
NOW, RETENTION, HISTORY_CAP, SWEEP = int_arg(2, 0), int_arg(3, 1), int_arg(4, 1), int_arg(5, 1, 1000)
FUNDS.start(int_arg(6, 1), int_arg(7, 1), 0, 0)
local found = {}
for _, id_text in ipairs(call('SMEMBERS', KEYS[2])) do
  local o = load_open(id_text)
  if o and o.uid == uid then
    found[#found + 1] = o
  end
end
table.sort(found, function(a, b) return a.id < b.id end)

-- Step 2: writes.
local seq = tonumber(call('GET', KEYS[1]) or '0')
if #found > 0 then
  seq = call('INCR', KEYS[1])
  call('DECRBY', resting_key(), fmt(#found))
end
local orders, levels = {}, {}
local cancels_at, swept = {}, {} -- (by level list key: cancels there; and the keys in order)
for i, o in ipairs(found) do
  local list_key
  orders[i], levels[i], list_key = cancel_resting(o)
  FUNDS.release(o.side, uid, o.price, o.qty - o.filled)
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
local payload = command_event(seq, #found > 0, orders, {}, levels)
if #found > 0 then
  publish({ payload })
end
return { REPLY_OK, payload }
