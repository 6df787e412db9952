-- upgrade_layout: brings one market's keys written by an earlier version to the current layout; run by
-- the backend at startup, for every market. Doing it again changes nothing.
--
-- KEYS[1] {S}:seq (the other keys are built from its prefix, in the same hash slot)
--
-- Upgrades: level totals were one hash per side (`{S}:depth:bids`, field price → lots); each level's
-- total is now a string key of its own (`{S}:depth:bids:<price>`).
--
-- Returns the number of level totals moved.

local moved = 0
for side, name in pairs({ [0] = 'bids', [1] = 'asks' }) do
  local old = P .. ':depth:' .. name
  if call('TYPE', old).ok == 'hash' then
    local flat = call('HGETALL', old)
    for i = 1, #flat, 2 do
      call('SET', total_key(side, flat[i]), flat[i + 1])
      moved = moved + 1
    end
    call('DEL', old)
  end
end
return moved
