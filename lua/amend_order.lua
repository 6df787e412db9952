-- amend_order: changes the quantity and/or the price of one of a user's open orders, atomically, as one
-- book change (the contract's "Changing an order").
--
-- KEYS as place_orders': [1] {S}:seq   [2] {S}:levels:bids   [3] {S}:levels:asks   [4] {S}:trades
-- ARGV[1..13] as place_orders' (now, retention, fill cap, trades MAXLEN, open-orders cap, history cap,
--   resting cap, base units per lot, quote units per tick x lot, maker and taker fee rates, fills kept,
--   stops placed when reached)
-- ARGV[14] user id   ARGV[15] order id
-- ARGV[16] the new quantity, lots (0: unchanged)   ARGV[17] the new price, ticks (0: unchanged)
-- ARGV[18] a fresh order id from the global counter: the trades a moved order makes take their ids from
--   it (id x TRADES_PER_ORDER + n), since its own id's trade ids may be taken by its placement's.
--
-- Only lowering the quantity keeps the order's place: its record, its level's total and its lock shrink
-- in place. Raising the quantity or changing the price moves it: it leaves its level (its id taken out
-- of the level's list: a tombstone would name an order that is still open) and is matched again as if
-- placed now, with its id, its fills so far and its time of creation; what is left rests at the back of
-- its (new) level. Either way, one sequence number and one event (the order's entry first; the old
-- level's total, then what matching touched); nothing changes when nothing would. The stops a move's
-- trades reach are placed after it (stops.lua), their events following its own.
--
-- Returns {'ok', events}, or {'refused', code} with nothing written: not_found (no such order of this
-- user), order_not_open (filled, cancelled, or a stop not triggered yet), invalid_quantity (not above what has filled),
-- post_only_would_cross, insufficient_funds (its owner's free funds and its present lock do not cover
-- the new lock), level_full (its new level could not count it).

-- Step 1: reads and checks.
local trades_maxlen, stop_budget = MATCHING_CALL.settings()
local uid, id = int_arg(14, 1, MAX_UID), int_arg(15, 1, MAX_INT)
local new_qty, new_price, trade_id = int_arg(16, 0, MAX_INT), int_arg(17, 0, MAX_INT), int_arg(18, 1, MAX_INT)
if #KEYS ~= 4 or (new_qty == 0 and new_price == 0) then
  error('invalid arguments: need 4 KEYS, 18 ARGV and a new quantity or price')
end
local o, is_open = load_users_order(fmt(id), uid)
if not o then
  return { REPLY_REFUSED, REFUSAL.NOT_FOUND }
end
if not is_open or STOPS.pending(o) then
  return { REPLY_REFUSED, REFUSAL.ORDER_NOT_OPEN }
end
local qty, price = new_qty > 0 and new_qty or o.qty, new_price > 0 and new_price or o.price
if qty <= o.filled then
  return { REPLY_REFUSED, REFUSAL.INVALID_QUANTITY }
end
local seq = tonumber(call('GET', KEYS[1]) or '0')
if qty == o.qty and price == o.price then
  -- Nothing to change: the order as it is, no sequence taken.
  return { REPLY_OK, command_event(seq, false, { order_entry(o) }, {}, {}) }
end
local left = o.qty - o.filled

-- Step 2a: a lower quantity at the same price keeps the order's place.
if price == o.price and qty < o.qty then
  seq = seq + 1
  call('SET', KEYS[1], fmt(seq))
  local total = reduce_level(o.side, o.price, o.qty - qty)
  FUNDS.release(o.side, uid, o.price, o.qty - qty)
  FUNDS.store()
  o.qty, o.updated = qty, NOW
  local record = pack_order(o)
  call('HSET', o.bucket, FIELD[id % BUCKET_IDS], record .. o.cid)
  local payload = command_event(seq, true, { order_entry(o, record) }, {}, { level_entry(o.side, o.price, total) })
  publish({ payload })
  return { REPLY_OK, payload }
end

-- Step 2b: a move. Its refusals first, nothing written: its lock comes back (in the call's memory,
-- written only by FUNDS.store) before the new one is judged, and a post_only order may not cross.
local state = call('MGET', KEYS[1], resting_key(), STOPS.reached_key())
start_matching(seq, tonumber(state[2] or '0') - 1)
STOPS.start(state[3], stop_budget)
local flags = o.flags
local moved = {
  id = id, uid = uid, side = o.side, otype = LIMIT, tif = GTC, price = price, qty = qty, cid = o.cid,
  post_only = (flags - flags % POST_ONLY_UNIT) / POST_ONLY_UNIT % 2, trade_base = trade_id * TRADES_PER_ORDER,
  amend = true, bucket = o.bucket, created = o.created, filled0 = o.filled, nlo0 = o.nlo, nhi0 = o.nhi,
}
FUNDS.release(o.side, uid, o.price, left)
local best = best_level(1 - o.side)
if moved.post_only == 1 and best and crosses(o.side, LIMIT, price, best) then
  return { REPLY_REFUSED, REFUSAL.POST_ONLY_WOULD_CROSS }
end
if not FUNDS.covers(moved, o.side == BUY and best) then
  return { REPLY_REFUSED, INSUFFICIENT_FUNDS }
end
-- (Matching refuses an order its level's total could not count after its first write, which a move
-- has made already: judged here, before it. Where the level is its own, conservatively.)
local new_level = price_names(o.side, price)
if tonumber(call('HGET', new_level.hash, new_level.t) or '0') + (qty - o.filled) > LEVEL_MAX then
  return { REPLY_REFUSED, REFUSAL.LEVEL_FULL }
end
-- Off its level: the total less what it had left, its id out of the level's queue (inline, or the
-- level's lists, the front list first while a sweep is under way: see "Level queues in a list").
local old_level = price_names(o.side, o.price)
local total = leave_inline(o.side, old_level, o.id, left)
if not total then
  total = reduce_level(o.side, o.price, left)
  if total > 0 and call('LREM', front_key_of(old_level.list), '1', o.id_text) == 0 then
    call('LREM', old_level.list, '1', o.id_text)
  end
end
LEVELS[1] = level_entry(o.side, o.price, total)
-- Then matched and rested as a placement is (matching.lua), under the same sequence number.
local kind, payload = place(moved)
if kind ~= REPLY_OK then
  error('amend_order: a move refused after its first write: ' .. tostring(payload))
end
local events = { payload }
local nevents = STOPS.trigger(events, 1)
-- (A move takes a sequence number: the sequence and the resting count are written.)
return { REPLY_OK, MATCHING_CALL.finish(seq, trades_maxlen, events, nevents) }
