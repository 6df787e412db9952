-- place_order: places one order and matches it with price-time priority, atomically.
--
-- KEYS[1] {S}:seq            KEYS[2] {S}:bids           KEYS[3] {S}:asks
-- KEYS[4] {S}:depth:bids     KEYS[5] {S}:depth:asks     KEYS[6] {S}:trades
-- KEYS[7] {S}:open:<id//64>  KEYS[8] {S}:user:<uid>:open KEYS[9] {S}:user:<uid>:closed
-- KEYS[10] {S}:cid:<uid>:<client_order_id> (any key of the market when there is none)
-- Keys that depend on the book (level lists, makers' buckets and closed keys) are built from the
-- prefix of KEYS[1] and share its hash slot.
--
-- ARGV[1] order id (from the global counter)   ARGV[2] user id
-- ARGV[3] side: 0 buy, 1 sell                  ARGV[4] type: 0 limit, 1 market
-- ARGV[5] tif: 0 gtc, 1 ioc, 2 fok             ARGV[6] post_only: 0 | 1
-- ARGV[7] price ticks (0 for market)           ARGV[8] quantity lots
-- ARGV[9] client_order_id or ''                ARGV[10] now, ms since the epoch
-- ARGV[11] retention of closed orders, ms      ARGV[12] max makers touched per call (fill cap)
-- ARGV[13] trades stream MAXLEN (approximate)  ARGV[14] max open orders per user in this market
-- ARGV[15] closed orders kept in a user's history per market
--
-- Returns {'ok', event} for an accepted order (event as in engine_lib's emit, the order first),
--         {'dup', order} when the client_order_id already names an order of this user (nothing written),
--         {'refused', code} when a rule refuses it (nothing written).
--
-- Fill cap: an incoming order touches at most ARGV[12] resting orders (fills and self-trade cancels);
-- whatever is left after that is cancelled, whatever its time in force, so one call stays short.

local id, uid = int_arg(1, 1), int_arg(2, 1)
local side, otype, tif, post_only = int_arg(3, 0, 1), int_arg(4, 0, 1), int_arg(5, 0, 2), int_arg(6, 0, 1)
local price, qty = int_arg(7, 0), int_arg(8, 1)
local cid, now, retention = cid_arg(9), int_arg(10, 0), int_arg(11, 1)
local max_touch, trades_maxlen = int_arg(12, 1, 1000), fmt(int_arg(13, 1))
local max_open, history_cap = int_arg(14, 1), int_arg(15, 1)
if (otype == 0) ~= (price > 0) or (otype == 1 and post_only == 1) then
  error('invalid argument: a limit order needs a price, a market order none and no post_only')
end

local is_market = otype == 1
local opp = 1 - side
local opp_book = KEYS[2 + opp]

-- Step 1: reads and checks. Nothing is written before every check has passed.

if cid ~= '' then
  local existing = redis.call('GET', KEYS[10])
  if existing then
    local o = load_order(tonumber(existing))
    if o then
      return { 'dup', order_json(o) }
    end
  end
end

-- The best opposite level, or nil; `crosses` says whether the order may trade at it.
local function best_level()
  local best
  if opp == 1 then
    best = redis.call('ZRANGE', opp_book, 0, 0, 'WITHSCORES')
  else
    best = redis.call('ZREVRANGE', opp_book, 0, 0, 'WITHSCORES')
  end
  if #best == 0 then
    return nil
  end
  return best[1], tonumber(best[2])
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

local may_rest = (not is_market) and tif == 0
if may_rest and redis.call('SCARD', KEYS[8]) >= max_open then
  return { 'refused', 'too_many_open_orders' }
end
if may_rest then
  local depth = redis.call('HGET', KEYS[4 + side], fmt(price))
  if depth and tonumber(depth) + qty >= 9007199254740992 then
    return { 'refused', 'level_full' }
  end
end

if post_only == 1 then
  local member, level_price = best_level()
  if member and crosses(level_price) then
    return { 'refused', 'post_only_would_cross' }
  end
end

-- A fok order fills only from other users' orders, all of it, within the fill cap.
local fok_fails = false
if tif == 2 then
  local available, touched, offset = 0, 0, 0
  local levels = (opp == 1) and redis.call('ZRANGE', opp_book, 0, max_touch - 1, 'WITHSCORES')
    or redis.call('ZREVRANGE', opp_book, 0, max_touch - 1, 'WITHSCORES')
  local i = 1
  while available < qty and touched < max_touch and i < #levels and crosses(tonumber(levels[i + 1])) do
    local ids = redis.call('LRANGE', level_key(opp, levels[i]), 0, max_touch - touched - 1)
    for _, mid in ipairs(ids) do
      touched = touched + 1
      local m = load_order(tonumber(mid))
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

-- Step 2: writes.

local next_seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local o = {
  id = id, uid = uid, flags = side + otype * 2 + tif * 4 + post_only * 16, price = price, qty = qty,
  filled = 0, nlo = 0, nhi = 0, created = now, updated = now, side = side, cid = cid,
}
local orders, trades, levels = {}, {}, new_levels()
local book_changed = false
local touched = 0

while not fok_fails and o.filled < qty and touched < max_touch do
  local member, level_price = best_level()
  if not member or not crosses(level_price) then
    break
  end
  local lkey = level_key(opp, member)
  local mid = tonumber(redis.call('LINDEX', lkey, 0))
  local m = load_order(mid)
  touched = touched + 1
  book_changed = true
  m.updated = now
  local fill = 0
  if m.uid == uid then
    -- Self-trade prevention: the resting order is cancelled, no trade.
    set_status(m, CANCELLED)
  else
    fill = math.min(m.qty - m.filled, qty - o.filled)
    add_fill(m, level_price, fill)
    add_fill(o, level_price, fill)
    local tid = id * 1024 + #trades
    redis.call('XADD', KEYS[6], 'MAXLEN', '~', trades_maxlen, '*', 'd',
      fmt(tid) .. ',' .. member .. ',' .. fmt(fill) .. ',' .. fmt(mid) .. ',' .. fmt(id) .. ',' .. side .. ',' ..
      fmt(next_seq) .. ',' .. fmt(now))
    table.insert(trades, '[' .. fmt(tid) .. ',' .. member .. ',' .. fmt(fill) .. ',' .. fmt(mid) .. ',' .. fmt(id) ..
      ',' .. fmt(m.uid) .. ',' .. fmt(uid) .. ']')
    set_status(m, m.filled == m.qty and FILLED or PARTIAL)
  end
  local gone = status_of(m) >= FILLED
  if gone then
    redis.call('LPOP', lkey)
    store_closed(m, true, retention, history_cap)
  else
    store_open(m)
  end
  -- A level holds at least the order just taken off, so it is empty exactly when LLEN is 0 now.
  local empty = gone and redis.call('LLEN', lkey) == 0
  local total, count = reduce_level(opp, member, gone and (m.qty - m.filled + fill) or fill, empty)
  note_level(levels, opp, member, total, count)
  table.insert(orders, order_json(m))
end

local remaining = qty - o.filled
if remaining > 0 and may_rest and touched < max_touch and not fok_fails then
  -- The rest of a gtc limit order joins the back of its level.
  local member = fmt(price)
  set_status(o, o.filled > 0 and PARTIAL or OPEN)
  redis.call('ZADD', KEYS[2 + side], member, member)
  local count = redis.call('RPUSH', level_key(side, member), fmt(id))
  local total = redis.call('HINCRBY', KEYS[4 + side], member, fmt(remaining))
  store_open(o)
  redis.call('SADD', KEYS[8], fmt(id))
  if cid ~= '' then
    redis.call('SET', KEYS[10], fmt(id))
  end
  note_level(levels, side, member, total, count)
  book_changed = true
else
  set_status(o, remaining == 0 and FILLED or CANCELLED)
  store_closed(o, false, retention, history_cap)
end

local seq = commit_sequence(book_changed, next_seq)
table.insert(orders, 1, order_json(o))
return { 'ok', emit(seq, book_changed, now, orders, trades, levels) }
