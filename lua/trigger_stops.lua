-- trigger_stops: places the stops a market's trades reached that earlier calls left for later, within
-- the call's budget (stops.lua, "Bounded work"). The backend calls it for each market every 25 ms, and
-- again at once while it answers that some are left.
--
-- KEYS and ARGV[1..13] as place_orders' (no orders follow).
--
-- Returns {'ok', events, left}: the events of the stops placed (published on {S}:events), joined ('':
-- none), and '1' when reached stops are still left, else '0'.

local trades_maxlen, stop_budget = MATCHING_CALL.settings()
if #KEYS ~= 4 or #ARGV ~= 13 then
  error('invalid arguments: need 13 ARGV and 4 KEYS')
end
local state = call('MGET', KEYS[1], resting_key(), STOPS.reached_key())
if not state[3] then
  return { REPLY_OK, '', '0' }
end
local seq_before = tonumber(state[1] or '0')
start_matching(seq_before, tonumber(state[2] or '0'))
STOPS.start(state[3], stop_budget)
local events = {}
local nevents = STOPS.trigger(events, 0)
local payload = MATCHING_CALL.finish(seq_before, trades_maxlen, events, nevents)
return { REPLY_OK, payload, STOPS.left() and '1' or '0' }
