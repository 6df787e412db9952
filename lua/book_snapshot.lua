-- book_snapshot: the top levels of both sides and the sequence they reflect, read atomically.
--
-- KEYS[1] {S}:seq  KEYS[2] {S}:levels:bids  KEYS[3] {S}:levels:asks (the level buckets and lists are built
-- from the prefix)
-- ARGV[1] depth (levels per side, 1-5000)
--
-- Returns {sequence, {price, total, count, ...} of bids best first, {...} of asks best first}.

local depth = int_arg(1, 1, 5000)

local function side_levels(side)
  local prices, totals, queues = {}, {}, {}
  local n = min(read_levels(side, depth, prices, totals, queues), depth)
  local out = {}
  for i = 1, n do
    out[#out + 1] = fmt(prices[i])
    out[#out + 1] = totals[i]
    out[#out + 1] = queues[i] and #queues[i] / ID_LEN or level_orders(price_names(side, prices[i]).list)
  end
  return out
end

local seq = tonumber(call('GET', KEYS[1]) or '0')
local bids = side_levels(0)
local asks = side_levels(1)
return { seq, bids, asks }
