-- place_order: places one order and matches it with price-time priority, atomically.
--
-- KEYS[1] {S}:seq            KEYS[2] {S}:bids           KEYS[3] {S}:asks
-- KEYS[4] {S}:depth:bids     KEYS[5] {S}:depth:asks     KEYS[6] {S}:trades
-- KEYS[7] {S}:open:<id//64>  KEYS[8] {S}:user:<uid>:open KEYS[9] {S}:user:<uid>:closed
-- KEYS[10] {S}:cid:<uid>:<client_order_id> (any key of the market when there is none)
-- Keys that depend on the book (level lists, makers' buckets and closed keys) are built from the
-- prefix of KEYS[1] and share its hash slot.
--
-- ARGV[1] order id (from the global counter)   ARGV[2] user id (below 2^32)
-- ARGV[3] side: 0 buy, 1 sell                  ARGV[4] type: 0 limit, 1 market
-- ARGV[5] tif: 0 gtc, 1 ioc, 2 fok             ARGV[6] post_only: 0 | 1
-- ARGV[7] price ticks (0 for market)           ARGV[8] quantity lots
-- ARGV[9] client_order_id or ''                ARGV[10] now, ms since the epoch
-- ARGV[11] retention of closed orders, ms      ARGV[12] max makers touched per call (fill cap, <= 1000)
-- ARGV[13] trades stream MAXLEN (approximate)  ARGV[14] max open orders per user in this market
-- ARGV[15] closed orders kept in a user's history per market
--
-- Returns {'ok', event} for an accepted order (see engine_lib; the incoming order is the first entry),
--         {'dup', order entry} when the client_order_id already names an order of this user,
--         {'refused', code} when a rule refuses it. 'dup' and 'refused' write nothing.
--
-- Fill cap: an incoming order touches at most ARGV[12] resting orders (fills and self-trade cancels);
-- whatever is left after that is cancelled, whatever its time in force, so one call stays short.

-- Step 1: reads and checks. Nothing is written before every check has passed.

local id, uid = int_arg(1, 1), int_arg(2, 1, 4294967295)
local side, otype, tif, post_only = int_arg(3, 0, 1), int_arg(4, 0, 1), int_arg(5, 0, 2), int_arg(6, 0, 1)
local price, qty = int_arg(7, 0, 281474976710655), int_arg(8, 1)
local cid, now, retention = cid_arg(9), int_arg(10, 0), int_arg(11, 1)
local max_touch, trades_maxlen = int_arg(12, 1, 1000), int_arg(13, 1)
local max_open, history_cap = int_arg(14, 1), int_arg(15, 1)
if (otype == 0) ~= (price > 0) or (otype == 1 and post_only == 1) then
  error('invalid argument: a limit order needs a price, a market order none and no post_only')
end

local is_market = otype == 1
local opp = 1 - side
local opp_book = KEYS[2 + opp]
local may_rest = (not is_market) and tif == 0

if cid ~= '' then
  local existing = redis.call('GET', KEYS[10])
  if existing then
    local o = load_order(existing)
    if o then
      return { 'dup', order_entry(o) }
    end
  end
end

-- The best opposite level (price as text and as a number), or nil.
local function best_level()
  local best
  if opp == 1 then
    best = redis.call('ZRANGE', opp_book, 0, 0, 'WITHSCORES')
  else
    best = redis.call('ZREVRANGE', opp_book, 0, 0, 'WITHSCORES')
  end
  if best[1] then
    return best[1], tonumber(best[2])
  end
end

local function crosses(level_price)
  if is_market then
    return true
  end
  if side == 0 then
    return level_price <= price
  end
  return level_price >= price
end

if may_rest then
  if redis.call('SCARD', KEYS[8]) >= max_open then
    return { 'refused', 'too_many_open_orders' }
  end
  local depth = redis.call('HGET', KEYS[4 + side], price)
  if depth and tonumber(depth) + qty > MAX_INT then
    return { 'refused', 'level_full' }
  end
end

local member, level_price = best_level()
local crossing = member and crosses(level_price)
if post_only == 1 and crossing then
  return { 'refused', 'post_only_would_cross' }
end

-- A fok order fills only from other users' orders, all of it, within the fill cap.
local fok_fails = false
if tif == 2 then
  local available, touched = 0, 0
  local levels = (opp == 1) and redis.call('ZRANGE', opp_book, 0, max_touch - 1, 'WITHSCORES')
    or redis.call('ZREVRANGE', opp_book, 0, max_touch - 1, 'WITHSCORES')
  local i = 1
  while available < qty and touched < max_touch and levels[i] and crosses(tonumber(levels[i + 1])) do
    for _, mid in ipairs(redis.call('LRANGE', P .. ':' .. side_name(opp) .. ':' .. levels[i], 0, max_touch - touched - 1)) do
      touched = touched + 1
      local m = load_order(mid)
      if m.uid ~= uid then
        available = available + (m.qty - m.filled)
        if available >= qty then
          break
        end
      end
    end
    i = i + 2
  end
  fok_fails = available < qty
end

-- Step 2: writes. The book changes exactly when the order trades or cancels something, or rests.

local book_changed = (crossing and not fok_fails) or (may_rest and not crossing)
local seq
if book_changed then
  seq = redis.call('INCR', KEYS[1])
else
  seq = tonumber(redis.call('GET', KEYS[1]) or '0')
end

local id_text = fmt(id)
local o = {
  id = id, id_text = id_text, uid = uid, flags = side + otype * 2 + tif * 4 + post_only * 16, price = price,
  qty = qty, filled = 0, nlo = 0, nhi = 0, created = now, updated = now, side = side, cid = cid,
}
local orders, trades, levels = { false }, {}, new_levels()
local touched = 0
local trade_tail = struct.pack(TRADE_TAIL, side, seq, now)

while crossing and not fok_fails and o.filled < qty and touched < max_touch do
  local lkey = P .. ':' .. side_name(opp) .. ':' .. member
  local m = load_order(redis.call('LINDEX', lkey, 0))
  touched = touched + 1
  m.updated = now
  local fill = 0
  if m.uid == uid then
    -- Self-trade prevention: the resting order is cancelled, no trade.
    set_status(m, CANCELLED)
  else
    fill = math.min(m.qty - m.filled, qty - o.filled)
    add_fill(m, level_price, fill)
    add_fill(o, level_price, fill)
    local trade = struct.pack(TRADE, id * 1024 + #trades, level_price, fill, m.id, id, m.uid, uid)
    redis.call('XADD', KEYS[6], 'MAXLEN', '~', trades_maxlen, '*', 't', trade .. trade_tail)
    trades[#trades + 1] = trade
    set_status(m, m.filled == m.qty and FILLED or PARTIAL)
  end
  local record
  if status_of(m) >= FILLED then
    redis.call('LPOP', lkey)
    record = store_closed(m, true, retention, history_cap)
    fill = m.qty - m.filled + fill
  else
    record = store_open(m)
  end
  note_level(levels, opp, level_price, reduce_level(opp, member, fill))
  orders[#orders + 1] = order_entry(m, record)
  member, level_price = best_level()
  crossing = member and crosses(level_price)
end

local remaining = qty - o.filled
local record
if remaining > 0 and may_rest and touched < max_touch and not fok_fails then
  -- The rest of a gtc limit order joins the back of its level.
  set_status(o, o.filled > 0 and PARTIAL or OPEN)
  local price_text = fmt(price)
  local total = redis.call('HINCRBY', KEYS[4 + side], price_text, remaining)
  if total == remaining then
    redis.call('ZADD', KEYS[2 + side], price_text, price_text)
  end
  redis.call('RPUSH', P .. ':' .. side_name(side) .. ':' .. price_text, id_text)
  record = store_open(o)
  redis.call('SADD', KEYS[8], id_text)
  if cid ~= '' then
    redis.call('SET', KEYS[10], id_text)
  end
  note_level(levels, side, price, total)
  book_changed = true
else
  set_status(o, remaining == 0 and FILLED or CANCELLED)
  record = store_closed(o, false, retention, history_cap)
end

orders[1] = order_entry(o, record)
return { 'ok', emit(seq, book_changed, now, orders, trades, levels) }
