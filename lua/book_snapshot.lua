-- book_snapshot: the top levels of both sides and the sequence they reflect, read atomically.
--
-- KEYS[1] {S}:seq  KEYS[2] {S}:bids  KEYS[3] {S}:asks (level totals and lists are built from the prefix)
-- ARGV[1] depth (levels per side, 1-5000)
--
-- Returns {sequence, {price, total, count, ...} of bids best first, {...} of asks best first}.

local depth = int_arg(1, 1, 5000)

local function side_levels(side, members)
  local out = {}
  if #members == 0 then
    return out
  end
  local total_keys = {}
  for i, member in ipairs(members) do
    total_keys[i] = total_key_of(side, member)
  end
  local totals = call('MGET', unpack(total_keys))
  for i, member in ipairs(members) do
    out[#out + 1] = member
    out[#out + 1] = totals[i]
    out[#out + 1] = level_orders(list_key_of(side, member))
  end
  return out
end

local seq = tonumber(call('GET', KEYS[1]) or '0')
local bids = side_levels(0, call('ZREVRANGE', KEYS[2], '0', fmt(depth - 1)))
local asks = side_levels(1, call('ZRANGE', KEYS[3], '0', fmt(depth - 1)))
return { seq, bids, asks }
