-- cancel_order: cancels one resting order of a user, atomically.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:user:<uid>:open   KEYS[3] {S}:user:<uid>:closed
-- ARGV[1] user id   ARGV[2] now, ms   ARGV[3] retention of closed orders, ms
-- ARGV[4] closed orders kept per user and market   ARGV[5] the sweep's step (see engine_lib)
-- ARGV[6] order id   ARGV[7] units of the base asset per lot   ARGV[8] units of the quote asset per tick x lot
--
-- Returns {'ok', event} (the cancelled order its only entry; published on {S}:events; its lock back in
-- its owner's free funds; a pending stop (stops.lua) is on no book, so its cancel takes no sequence), or
-- {'refused', 'not_found'} when the order does not exist or belongs to another user, or
-- {'refused', 'order_not_open'} when it is filled or cancelled. A refused cancel writes nothing.

-- Step 1: reads and checks.
local uid = int_arg(1, 1, MAX_UID)
NOW, RETENTION, HISTORY_CAP, SWEEP = int_arg(2, 0), int_arg(3, 1), int_arg(4, 1), int_arg(5, 1, 1000)
local id = int_arg(6, 1)
FUNDS.start(int_arg(7, 1), int_arg(8, 1), 0, 0)
local o, is_open = load_users_order(fmt(id), uid)
if not o then
  return { REPLY_REFUSED, REFUSAL.NOT_FOUND }
end
if not is_open then
  return { REPLY_REFUSED, REFUSAL.ORDER_NOT_OPEN }
end

-- Step 2: writes.
if STOPS.pending(o) then
  local entry = STOPS.cancel(o)
  FUNDS.store()
  local payload = command_event(tonumber(call('GET', KEYS[1]) or '0'), false, { entry }, {}, {})
  publish({ payload })
  return { REPLY_OK, payload }
end
local seq = call('INCR', KEYS[1])
local entry, level, list_key = cancel_resting(o)
FUNDS.release(o.side, uid, o.price, o.qty - o.filled)
FUNDS.store()
call('DECR', resting_key())
if list_key then
  sweep_level(list_key, SWEEP)
end
local payload = command_event(seq, true, { entry }, {}, { level })
publish({ payload })
return { REPLY_OK, payload }
