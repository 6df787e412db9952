-- trigger_stops: places the stops a market's trades reached that earlier calls left for later, within
-- the call's budget (stops.lua, "Bounded work"). The backend calls it for each market every 25 ms, and
-- again at once while it answers that some are left.
--
-- KEYS and ARGV[1..13] as place_orders' (no orders follow).
--
-- Returns {'ok', events, left}: the events of the stops placed (published on {S}:events), joined ('':
-- none), and '1' when reached stops are still left, else '0'.

NOW, RETENTION = int_arg(1, 0), int_arg(2, 1)
MAX_TOUCH = int_arg(3, 1, 1000)
local trades_maxlen = fmt(int_arg(4, 1))
MAX_OPEN, HISTORY_CAP, MAX_RESTING = int_arg(5, 1), int_arg(6, 1), int_arg(7, 1)
FUNDS.start(int_arg(8, 1), int_arg(9, 1), int_arg(10, -999999, 999999), int_arg(11, 0, 999999), int_arg(12, 1))
local stop_budget = int_arg(13, 0, 10000)
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
local seq_after, resting, trades = matched()
if trades then
  call('XADD', KEYS[4], 'MAXLEN', '~', trades_maxlen, '*', 't', trades)
end
if seq_after ~= seq_before then
  call('MSET', KEYS[1], fmt(seq_after), resting_key(), fmt(resting))
end
FUNDS.store()
STOPS.store()
local payload = concat(events, '', 1, nevents)
if nevents > 0 then
  call('PUBLISH', P .. ':events', payload)
end
return { REPLY_OK, payload, STOPS.left() and '1' or '0' }
