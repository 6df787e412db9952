-- list_orders: a user's orders in one market, newest (by id, i.e. creation) first.
--
-- KEYS[1] {S}:seq  KEYS[2] {S}:user:<uid>:open  KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] which: 'open' | 'closed' | 'all'   ARGV[2] limit (1-1000)   ARGV[3] user id
-- ARGV[4] now, ms   ARGV[5] retention, ms
--
-- Returns up to `limit` order entries (see engine_lib). The work is bounded by the open-orders cap and
-- the history cap.

local which, limit = ARGV[1], int_arg(2, 1, 1000)
local uid = int_arg(3, 1, MAX_UID)
NOW, RETENTION = int_arg(4, 0), int_arg(5, 1)
if which ~= 'open' and which ~= 'closed' and which ~= 'all' then
  error('invalid argument ARGV[1]: open, closed or all')
end
local ids = {}
if which ~= 'closed' then
  for _, raw in ipairs(call('SMEMBERS', KEYS[2])) do
    ids[#ids + 1] = tonumber(raw)
  end
end
if which ~= 'open' then
  for _, raw in ipairs(call('HKEYS', KEYS[3])) do
    ids[#ids + 1] = tonumber(raw)
  end
end
table.sort(ids, function(a, b) return a > b end)

local out = {}
for _, id in ipairs(ids) do
  if #out >= limit then
    break
  end
  local o = load_users_order(fmt(id), uid)
  if o then
    out[#out + 1] = order_entry(o)
  end
end
return out
