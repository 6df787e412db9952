-- migrate_levels: moves a market's price levels from the layout of engines before level buckets (per side
-- a sorted set of prices `{S}:bids`, and per level a string `{S}:depth:bids:<price>` holding its total
-- beside its list `{S}:bids:<price>`) into level buckets (engine_lib.lua, "Levels"), a bounded number of
-- levels per call. The backend calls it for every market before it serves, until it answers 0.
--
-- KEYS[1] {S}:seq (routes the call; the other keys are built from its prefix)
-- ARGV[1] the most levels to move (1-10000)
--
-- Each level moves whole in the call that takes it: its total into its bucket, its list kept as its
-- queue (a list is a level's queue at any length), or, when it is short and neither swept nor holding
-- tombstones, its ids into the bucket's inline queue. Returns {levels moved, levels left to move}.

local budget = int_arg(1, 1, 10000)
local SIDE_NAMES = { [BUY] = 'bids', [SELL] = 'asks' }
local moved, left = 0, 0
for side = BUY, SELL do
  local old_set = P .. ':' .. SIDE_NAMES[side]
  local prices = budget > 0 and call('ZRANGE', old_set, '0', fmt(budget - 1)) or {}
  for _, text in ipairs(prices) do
    local total_key = P .. ':depth:' .. SIDE_NAMES[side] .. ':' .. text
    local total = call('GET', total_key)
    if total then
      local L = price_names(side, text + 0)
      local list_key = L.list
      local ids = call('LRANGE', list_key, '0', fmt(LV.INLINE))
      local short = #ids <= LV.INLINE and ids[1] ~= PASS_MARK and call('EXISTS', dead_key_of(list_key)) == 0
      if short and #ids > 0 then
        local packed = {}
        for i, id_text in ipairs(ids) do
          packed[i] = pack(ID, tonumber(id_text))
        end
        call('HSET', L.hash, L.t, total, L.q, concat(packed))
        call('DEL', list_key)
      else
        call('HSET', L.hash, L.t, total)
      end
      call('ZADD', BOOK[side], L.bucket, L.bucket)
    end
    call('DEL', total_key)
    call('ZREM', old_set, text)
    budget, moved = budget - 1, moved + 1
  end
  left = left + call('ZCARD', old_set)
end
return { moved, left }
