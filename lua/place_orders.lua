-- place_orders: places a batch of orders of one market, one after the other, each matched at once with
-- price-time priority; the whole batch is one atomic step. A batch of one is the plain case; the backend
-- batches orders that arrive together, so that the fixed cost of a call is shared.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:bids   KEYS[3] {S}:asks   KEYS[4] {S}:trades
-- then for each order n (from 0), at 4 + 3n:
--   +1 {S}:user:<uid>:open   +2 {S}:user:<uid>:closed   +3 {S}:cid:<uid>:<client_order_id> (or {S}:cid)
-- Keys that depend on the book (level lists and totals, makers' buckets and users) are built from the prefix of
-- KEYS[1] and share its hash slot.
--
-- ARGV[1] now, ms since the epoch            ARGV[2] retention of closed orders, ms
-- ARGV[3] max resting orders one order may touch (the fill cap, <= 1000)
-- ARGV[4] trades stream MAXLEN (approximate) ARGV[5] max open orders per user in this market
-- ARGV[6] closed orders kept per user and market
-- ARGV[7 + n] order n, packed (ORDER_ARG in engine_lib): order id (from the global counter), user id
--   (< 2^32), side (0 buy, 1 sell), type (0 limit, 1 market), tif (0 gtc, 1 ioc, 2 fok), post_only (0|1),
--   price ticks (0 for market), quantity lots, then the client_order_id (possibly empty).
--
-- Returns, for each order, two elements:
--   'ok', event       accepted (see engine_lib; the order itself is the event's first entry)
--   'dup', entry      the client_order_id already names an order of this user: nothing written
--   'refused', code   a rule refuses it: nothing written for it
-- The events of the accepted orders are published on {S}:events as one message.
--
-- Fill cap: an incoming order touches at most ARGV[3] resting orders (fills and self-trade cancels);
-- whatever is left after that is cancelled, whatever its time in force, so one call stays short.

-- Step 1: every argument of every order is checked before anything is written.

local now, retention = int_arg(1, 0), int_arg(2, 1)
local max_touch, trades_maxlen = int_arg(3, 1, 1000), fmt(int_arg(4, 1))
local max_open, history_cap = int_arg(5, 1), int_arg(6, 1)
local count = #ARGV - 6
if count < 1 or #KEYS ~= 4 + 3 * count then
  error('invalid arguments: need 6 + n ARGV and 4 + 3n KEYS for n >= 1 orders')
end
local batch = {}
for n = 1, count do
  local packed = ARGV[6 + n]
  if #packed < 28 then
    error('invalid argument: order ' .. n .. ' is not a packed order')
  end
  local id, uid, side, otype, tif, post_only, price, qty = struct.unpack(ORDER_ARG, packed)
  local cid = #packed > 28 and string.sub(packed, 29) or ''
  if id < 1 or id > MAX_INT or uid < 1 or side > 1 or otype > 1 or tif > 2 or post_only > 1 or qty < 1
    or qty > MAX_INT or (otype == 0) ~= (price > 0) or (otype == 1 and post_only == 1) or (cid ~= '' and not is_cid(cid)) then
    error('invalid argument: order ' .. n .. ' breaks a rule of its fields (see place_orders.lua)')
  end
  -- Every field the order will get, so that the table never grows.
  batch[n] = {
    id = id, id_text = fmt(id), uid = uid, side = side, otype = otype, tif = tif, post_only = post_only,
    price = price, price_text = fmt(price), qty = qty, cid = cid,
    open_key = KEYS[4 + 3 * n - 2], closed_key = KEYS[4 + 3 * n - 1], cid_key = KEYS[4 + 3 * n],
    flags = 0, filled = 0, nlo = 0, nhi = 0, created = now, updated = now, bucket = false,
  }
end

local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq_moved = false

-- The best level of each side, kept for the whole batch: BEST[side] is its price as text, false when
-- the side is empty, nil when not known (not read yet, or its level emptied), and BEST_PRICE[side] the
-- same price as a number. Only the best level is ever emptied, and a resting order can only improve
-- on it, so the two places that change it say so.
local BEST, BEST_PRICE = {}, {}

-- The best opposite level of an order: price as text and as a number, or nil.
local function best_level(o)
  local opp = 1 - o.side
  local best = BEST[opp]
  if best == nil then
    -- A level's member is its price as text: scores are not asked for (Redis formats them as floats).
    if opp == 1 then
      best = redis.call('ZRANGE', KEYS[3], '0', '0')[1] or false
    else
      best = redis.call('ZREVRANGE', KEYS[2], '0', '0')[1] or false
    end
    BEST[opp], BEST_PRICE[opp] = best, best and tonumber(best)
  end
  if best then
    return best, BEST_PRICE[opp]
  end
end

local function crosses(o, level_price)
  return o.otype == 1 or (o.side == 0 and level_price <= o.price) or (o.side == 1 and level_price >= o.price)
end

-- Whether other users' orders within the fill cap can fill all of a fok order.
local function fok_can_fill(o)
  local opp = 1 - o.side
  local last = fmt(max_touch - 1)
  local levels = (opp == 1) and redis.call('ZRANGE', KEYS[3], '0', last)
    or redis.call('ZREVRANGE', KEYS[2], '0', last)
  local available, touched, i = 0, 0, 1
  while touched < max_touch and levels[i] and crosses(o, tonumber(levels[i])) do
    for _, mid in ipairs(redis.call('LRANGE', level_key(opp, levels[i]), '0', fmt(max_touch - touched - 1))) do
      touched = touched + 1
      local m = load_open(mid)
      if m.uid ~= o.uid then
        available = available + (m.qty - m.filled)
        if available >= o.qty then
          return true
        end
      end
    end
    i = i + 1
  end
  return false
end

-- Places one order: its own checks, then its writes. Returns the reply kind and payload.
local function place(o)
  local may_rest = o.otype == 0 and o.tif == 0
  if o.cid ~= '' then
    local existing = redis.call('GET', o.cid_key)
    if existing then
      local found = load_users_order(existing, o.uid, now, retention)
      if found then
        return 'dup', order_entry(found)
      end
    end
  end
  local member, level_price = best_level(o)
  local crossing = member and crosses(o, level_price)
  if o.post_only == 1 and crossing then
    return 'refused', 'post_only_would_cross'
  end
  if may_rest then
    if redis.call('SCARD', o.open_key) >= max_open then
      return 'refused', 'too_many_open_orders'
    end
    -- Level totals stay below 2^53. A crossing order's own level is empty (the book is never crossed).
    if not crossing then
      local depth = redis.call('GET', total_key(o.side, o.price_text))
      -- (A total of at most 14 digits can only overflow with a huge order: no number read then.)
      if depth and (#depth > 14 or o.qty > MAX_INT - 1e14) and tonumber(depth) + o.qty > MAX_INT then
        return 'refused', 'level_full'
      end
    end
  end
  if crossing and o.tif == 2 and not fok_can_fill(o) then
    crossing = false
    may_rest = false
  end

  -- Writes. The book changes exactly when the order trades or cancels something, or rests.
  local book_changed = crossing or may_rest
  if book_changed then
    seq = seq + 1
    seq_moved = true
  end
  o.flags = o.side + o.otype * 2 + o.tif * 4 + o.post_only * 16
  local opp = 1 - o.side
  local orders, trades, levels = { false }, {}, {}
  local touched = 0

  while crossing and o.filled < o.qty and touched < max_touch do
    -- One level: take its orders from the front, a few ids at a time.
    local lkey = level_key(opp, member)
    local taken, reduce, from = 0, 0, 0
    while o.filled < o.qty and touched < max_touch do
      -- Most orders fill from the first one or two: three ids first, then eight at a time.
      local ids = from == 0 and redis.call('LRANGE', lkey, '0', '2') or redis.call('LRANGE', lkey, fmt(from), fmt(from + 7))
      if #ids == 0 then
        break
      end
      from = from + #ids
      for _, mid in ipairs(ids) do
        if o.filled == o.qty or touched == max_touch then
          break
        end
        local m = load_open(mid)
        touched = touched + 1
        m.updated = now
        local left = m.qty - m.filled
        if m.uid == o.uid then
          -- Self-trade prevention: the resting order is cancelled, no trade.
          set_status(m, CANCELLED)
          reduce = reduce + left
        else
          local fill = math.min(left, o.qty - o.filled)
          add_fill(m, level_price, fill)
          add_fill(o, level_price, fill)
          trades[#trades + 1] = struct.pack(TRADE, o.id * 1024 + #trades, level_price, fill, m.id, o.id, m.uid, o.uid)
          set_status(m, m.filled == m.qty and FILLED or PARTIAL)
          reduce = reduce + fill
        end
        local record
        if status_of(m) >= FILLED then
          taken = taken + 1
          record = store_closed(m, true, retention, history_cap)
        else
          record = store_open(m)
        end
        orders[#orders + 1] = order_entry(m, record)
      end
    end
    if taken > 0 then
      redis.call('LPOP', lkey, fmt(taken))
    end
    local total = reduce_level(opp, member, reduce)
    if total == 0 then
      BEST[opp] = nil
    end
    levels[#levels + 1] = struct.pack(LEVEL, opp, level_price, total)
    if total > 0 then
      break
    end
    member, level_price = best_level(o)
    crossing = member and crosses(o, level_price)
  end
  if #trades > 0 then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', trades_maxlen, '*', 't',
      struct.pack(TRADE_TAIL, o.side, seq, now) .. table.concat(trades))
  end

  local remaining = o.qty - o.filled
  local record
  if remaining > 0 and may_rest and touched < max_touch then
    -- The rest of a gtc limit order joins the back of its level.
    set_status(o, o.filled > 0 and PARTIAL or OPEN)
    local price_text = o.price_text
    local total = redis.call('INCRBY', total_key(o.side, price_text), fmt(remaining))
    if total == remaining then
      redis.call('ZADD', KEYS[2 + o.side], price_text, price_text)
      local best = BEST[o.side]
      if best == false or (best and (o.side == 0) == (o.price > BEST_PRICE[o.side])) then
        BEST[o.side], BEST_PRICE[o.side] = price_text, o.price
      end
    end
    redis.call('RPUSH', level_key(o.side, price_text), o.id_text)
    record = store_open(o)
    redis.call('SADD', o.open_key, o.id_text)
    if o.cid ~= '' then
      redis.call('SET', o.cid_key, o.id_text)
    end
    levels[#levels + 1] = struct.pack(LEVEL, o.side, o.price, total)
  else
    set_status(o, remaining == 0 and FILLED or CANCELLED)
    record = store_closed(o, false, retention, history_cap)
  end
  orders[1] = order_entry(o, record)
  return 'ok', event(seq, book_changed, now, orders, trades, levels)
end

-- Step 2: each order in turn.
local replies, events = {}, {}
for i, o in ipairs(batch) do
  local kind, payload = place(o)
  replies[2 * i - 1] = kind
  replies[2 * i] = payload
  if kind == 'ok' then
    events[#events + 1] = payload
  end
end
if seq_moved then
  redis.call('SET', KEYS[1], fmt(seq))
end
publish(events)
return replies
