-- cancel_all: cancels every resting order of a user in one market, atomically, as one book change.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:user:<uid>:open   KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] user id   ARGV[2] now, ms   ARGV[3] retention of closed orders, ms
-- ARGV[4] closed orders kept in a user's history per market
--
-- Returns {'ok', event} with the cancelled orders; the sequence moves only when there was one.
-- The work is bounded by the open-orders cap per user and market.

local uid, now = int_arg(1, 1), int_arg(2, 0)
local retention, history_cap = int_arg(3, 1), int_arg(4, 1)

-- Step 1: reads.
local ids = redis.call('SMEMBERS', KEYS[2])
local found = {}
for _, raw in ipairs(ids) do
  local o, is_open = load_order(tonumber(raw))
  if o and is_open and o.uid == uid then
    table.insert(found, o)
  end
end
table.sort(found, function(a, b) return a.id < b.id end)

-- Step 2: writes.
local next_seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local levels, orders = new_levels(), {}
for _, o in ipairs(found) do
  cancel_resting(o, now, retention, history_cap, levels)
  table.insert(orders, order_json(o))
end
local seq = commit_sequence(#found > 0, next_seq)
return { 'ok', emit(seq, #found > 0, now, orders, {}, levels) }
