-- list_orders: a user's orders in one market, newest (by id, i.e. creation) first.
--
-- KEYS[1] {S}:seq  KEYS[2] {S}:user:<uid>:open  KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] which: 'open' | 'closed' | 'all'   ARGV[2] limit (1-1000)   ARGV[3] user id
-- ARGV[4] now, ms   ARGV[5] retention, ms   ARGV[6] only orders with a smaller id (0: all), to page back
--
-- Returns up to `limit` order entries (see engine_lib). The work is bounded by the open-orders cap and
-- the history cap (a closed hash holds about a quarter more at most: trim_history): 2.4 ms of Redis to
-- list 1,000 of a user's 500 open and 1,050 closed orders (backend/tests/engine/bounds.rs).

local which, limit = ARGV[1], int_arg(2, 1, 1000)
int_arg(3, 1, MAX_UID) -- (the user's keys are KEYS[2] and KEYS[3])
NOW, RETENTION = int_arg(4, 0), int_arg(5, 1)
local before = int_arg(6, 0)
if which ~= 'open' and which ~= 'closed' and which ~= 'all' then
  error('invalid argument ARGV[1]: open, closed or all')
end
-- The ids, each open one also in `open`. (An order that closes leaves its open set in the same step as
-- it joins its closed hash, so no id is in both.)
local ids, open = {}, {}
if which ~= 'closed' then
  for _, raw in ipairs(call('SMEMBERS', KEYS[2])) do
    ids[#ids + 1] = raw + 0
    open[ids[#ids]] = true
  end
end
if which ~= 'open' then
  for _, raw in ipairs(call('HKEYS', KEYS[3])) do
    ids[#ids + 1] = tonumber(raw) -- (the window marker is no number)
  end
end
-- (Ascending, with Lua's own comparison: a comparison function is a Lua call per comparison.)
table.sort(ids)

-- Newest first, a chunk of as many ids as are still wanted at a time (a closed order past the
-- retention counts as gone): the chunk's closed orders read at once, its entries made from the stored
-- values as they are.
local out, i = {}, #ids
while before > 0 and i >= 1 and ids[i] >= before do
  i = i - 1
end
while #out < limit and i >= 1 do
  local chunk, closed_ids = {}, {}
  while #chunk < limit - #out and i >= 1 do
    chunk[#chunk + 1] = ids[i]
    if not open[ids[i]] then
      closed_ids[#closed_ids + 1] = fmt(ids[i])
    end
    i = i - 1
  end
  local closed_values = #closed_ids > 0 and call('HMGET', KEYS[3], unpack(closed_ids)) or {}
  local c = 0
  for _, id in ipairs(chunk) do
    local value
    if open[id] then
      value = call('HGET', bucket_key(id), FIELD[id % BUCKET_IDS])
    else
      c = c + 1
      value = closed_values[c]
      if value and select(9, sunpack(REC, value)) + RETENTION <= NOW then
        value = nil
      end
    end
    if value then
      out[#out + 1] = entry_of(id, sub(value, 1, REC_LEN), sub(value, CID_AT))
    end
  end
end
return out
