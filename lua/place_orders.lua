-- place_orders: places a batch of orders of one market, one after the other, each matched at once with
-- price-time priority; the whole batch is one atomic step. A batch of one is the plain case; the backend
-- batches orders that arrive together, so that the fixed cost of a call is shared.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:bids   KEYS[3] {S}:asks   KEYS[4] {S}:trades
-- Every other key (users' open sets and closed hashes, client order ids, level lists and totals,
-- buckets) is built from the prefix of KEYS[1], the market's hash tag, and so shares its hash slot:
-- most depend on the book and cannot be known before the call, and naming the others in KEYS cost
-- Redis about 4,000 instructions per order (3% of an order) for nothing it checks.
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

-- Speed: the hot path keeps an order's fields in locals (a table field is a lookup at every use) and
-- builds what it sends only once.

-- Step 1: every argument of every order is checked before anything is written.

local now, retention = int_arg(1, 0), int_arg(2, 1)
local max_touch, trades_maxlen = int_arg(3, 1, 1000), fmt(int_arg(4, 1))
local max_open, history_cap = int_arg(5, 1), int_arg(6, 1)
local count = #ARGV - 6
if count < 1 or #KEYS ~= 4 then
  error('invalid arguments: need 6 + n ARGV for n >= 1 orders and 4 KEYS')
end
for n = 1, count do
  local packed = ARGV[6 + n]
  if #packed < 28 then
    error('invalid argument: order ' .. n .. ' is not a packed order')
  end
  local id, uid, side, otype, tif, post_only, price, qty = sunpack(ORDER_ARG, packed)
  if id < 1 or id > MAX_INT or uid < 1 or side > 1 or otype > 1 or tif > 2 or post_only > 1 or qty < 1
    or qty > MAX_INT or (otype == 0) ~= (price > 0) or (otype == 1 and post_only == 1)
    or (#packed > 28 and not is_cid(sub(packed, 29))) then
    error('invalid argument: order ' .. n .. ' breaks a rule of its fields (see place_orders.lua)')
  end
end

local seq_before = tonumber(call('GET', KEYS[1]) or '0')
local seq = seq_before

-- The best level of each side, kept for the whole batch: BEST[side] is its price as text, false when
-- the side is empty, nil when not known (not read yet, or its level emptied), and BEST_PRICE[side] the
-- same price as a number. Only the best level is ever emptied, and a resting order can only improve
-- on it, so the two places that change it say so.
local BEST, BEST_PRICE = {}, {}

-- The best level of side `opp`: price as text and as a number, or nil.
local function best_level(opp)
  local best = BEST[opp]
  if best == nil then
    -- A level's member is its price as text: scores are not asked for (Redis formats them as floats).
    if opp == 1 then
      best = call('ZRANGE', KEYS[3], '0', '0')[1] or false
    else
      best = call('ZREVRANGE', KEYS[2], '0', '0')[1] or false
    end
    BEST[opp], BEST_PRICE[opp] = best, best and tonumber(best)
  end
  if best then
    return best, BEST_PRICE[opp]
  end
end

-- Whether an order (side, type, limit price) crosses a level at `level_price`.
local function crosses(side, otype, price, level_price)
  return otype == 1 or (side == 0 and level_price <= price) or (side == 1 and level_price >= price)
end

-- Whether other users' orders within the fill cap can fill all of a fok order.
local function fok_can_fill(side, otype, price, uid, qty)
  local opp = 1 - side
  local last = fmt(max_touch - 1)
  local levels = (opp == 1) and call('ZRANGE', KEYS[3], '0', last) or call('ZREVRANGE', KEYS[2], '0', last)
  local available, touched, i = 0, 0, 1
  while touched < max_touch and levels[i] and crosses(side, otype, price, tonumber(levels[i])) do
    for _, mid in ipairs(call('LRANGE', level_key(opp, levels[i]), '0', fmt(max_touch - touched - 1))) do
      touched = touched + 1
      local m = load_open(mid)
      if m.uid ~= uid then
        available = available + (m.qty - m.filled)
        if available >= qty then
          return true
        end
      end
    end
    i = i + 1
  end
  return false
end

-- The trades of the call, for one stream entry (one XADD per call, not per order): groups and trades.
local streamed = {}

-- Places order n: its own checks, then its writes. Returns the reply kind and payload.
local function place(n)
  local packed = ARGV[6 + n]
  local id, uid, side, otype, tif, post_only, price, qty = sunpack(ORDER_ARG, packed)
  local cid = #packed > 28 and sub(packed, 29) or ''
  local open_key, closed_key = user_keys(uid)
  local cid_mapping = cid ~= '' and cid_key(uid, cid)
  local id_text = format('%d', id) -- (format, not fmt: a Lua call less on the hot path)
  local may_rest = otype == 0 and tif == 0
  if cid ~= '' then
    local existing = call('GET', cid_mapping)
    if existing then
      local found = load_users_order(existing, uid, now, retention)
      if found then
        return 'dup', order_entry(found)
      end
    end
  end
  local opp = 1 - side
  local member, level_price = best_level(opp)
  local crossing = member and crosses(side, otype, price, level_price)
  if post_only == 1 and crossing then
    return 'refused', 'post_only_would_cross'
  end
  if may_rest and call('SCARD', open_key) >= max_open then
    return 'refused', 'too_many_open_orders'
  end
  if crossing and tif == 2 and not fok_can_fill(side, otype, price, uid, qty) then
    crossing = false
    may_rest = false
  end

  -- Writes. The book changes exactly when the order trades or cancels something, or rests.
  local book_changed = crossing or may_rest
  if book_changed then
    seq = seq + 1
  end
  local flags = side + otype * 2 + tif * 4 + post_only * 16
  local filled, nlo, nhi, touched = 0, 0, 0, 0
  -- The event's parts when it trades: order entries (the order's own first), trades, levels, and how
  -- many of each. The tables are made with room for the usual one maker (a table that grows is
  -- rebuilt at each power of two), so their counts are kept here rather than read with `#`.
  local entries, trades, levels
  local ne, nt, nl = 1, 0, 0
  if crossing then
    entries, trades, levels = { false, false }, { false }, { false, false }
  end

  while crossing and filled < qty and touched < max_touch do
    -- One level: take its orders from the front, a few ids at a time.
    local level_text, level_total_key, lkey = price_names(opp, level_price)
    -- `exhausted`: the level's last id has been fetched.
    local taken, reduce, from, exhausted = 0, 0, 0, false
    while filled < qty and touched < max_touch and not exhausted do
      -- Most orders fill from the first one or two: three ids first, then eight at a time.
      local ids = from == 0 and call('LRANGE', lkey, '0', '2') or call('LRANGE', lkey, fmt(from), fmt(from + 7))
      local fetched = #ids
      exhausted = fetched < (from == 0 and 3 or 8)
      from = from + fetched
      for i = 1, fetched do
        if filled == qty or touched == max_touch then
          break
        end
        -- The maker, unpacked into locals.
        local mid_text = ids[i]
        local mid = tonumber(mid_text)
        local mbucket, field = bucket_key(mid), FIELD[mid % 64]
        local stored = call('HGET', mbucket, field)
        local muid, mflags, mprice, mqty, mfilled, mnlo, mnhi, mcreated = sunpack(REC, stored)
        local mcid = #stored > 47 and sub(stored, 48) or ''
        touched = touched + 1
        local left = mqty - mfilled
        local status
        if muid == uid then
          -- Self-trade prevention: the resting order is cancelled, no trade.
          status = CANCELLED
          reduce = reduce + left
        else
          local fill = min(left, qty - filled)
          mfilled, mnlo, mnhi = add_fill(mfilled, mnlo, mnhi, level_price, fill)
          filled, nlo, nhi = add_fill(filled, nlo, nhi, level_price, fill)
          trades[nt + 1] = pack(TRADE, id * 1024 + nt, level_price, fill, mid, id, muid, uid)
          nt = nt + 1
          status = mfilled == mqty and FILLED or PARTIAL
          reduce = reduce + fill
        end
        local entry, record = pack_entry(mid, muid, mflags % 32 + status * 32, mprice, mqty, mfilled, mnlo, mnhi, mcreated, now, mcid)
        if status >= FILLED then
          taken = taken + 1
          close_record(mid, mid_text, muid, mcid, record, now, mbucket, false, false, retention, history_cap)
        else
          call('HSET', mbucket, field, record .. mcid)
        end
        ne = ne + 1
        entries[ne] = entry
      end
    end
    local total = 0
    if exhausted and taken == from then
      -- Every order of the level was taken: the level goes, list and total at once (its total is 0:
      -- every resting order has something left), no LPOP or DECRBY needed.
      call('DEL', level_total_key, lkey)
      call('ZREM', BOOK[opp], level_text)
    else
      if taken > 0 then
        call('LPOP', lkey, FIELD[taken] or fmt(taken))
      end
      total = reduce_level(opp, level_price, reduce)
    end
    if total == 0 then
      BEST[opp] = nil
    end
    nl = nl + 1
    levels[nl] = pack(LEVEL, opp, level_price, total)
    if total > 0 then
      break
    end
    member, level_price = best_level(opp)
    crossing = member and crosses(side, otype, price, level_price)
  end
  local trades_text
  if nt > 0 then
    trades_text = concat(trades, '', 1, nt)
    streamed[#streamed + 1] = pack(TRADE_GROUP, side, seq, now, nt)
    streamed[#streamed + 1] = trades_text
  end

  local remaining = qty - filled
  local entry, record, level
  if remaining > 0 and may_rest and touched < max_touch then
    -- The rest of a gtc limit order joins the back of its level.
    flags = flags + (filled > 0 and PARTIAL or OPEN) * 32
    local price_text, level_total_key, list_key = price_names(side, price)
    local lots = format('%d', remaining)
    local total = call('INCRBY', level_total_key, lots)
    if total > MAX_INT then
      -- Level totals stay below 2^53. Only an order that traded nothing can get here (a crossing
      -- order's own level is empty: the book is never crossed), so this INCRBY is its first write:
      -- undone, and the order refused with nothing written (the check costs no read of the total).
      call('DECRBY', level_total_key, lots)
      seq = seq - 1
      return 'refused', 'level_full'
    end
    if total == remaining then
      call('ZADD', KEYS[2 + side], price_text, price_text)
      local best = BEST[side]
      if best == false or (best and (side == 0) == (price > BEST_PRICE[side])) then
        BEST[side], BEST_PRICE[side] = price_text, price
      end
    end
    call('RPUSH', list_key, id_text)
    if entries then
      entry, record = pack_entry(id, uid, flags, price, qty, filled, nlo, nhi, now, now, cid)
      level = pack(LEVEL, side, price, total)
    else
      -- (It traded nothing: its whole event in one pack.)
      entry = pack(REST_EVENT, seq, 1, now, 1, 0, 1, side, price, total, id, uid, flags, price, qty, 0, 0, 0, now, now, #cid) .. cid
      record = sub(entry, REST_RECORD, REST_RECORD + 46)
    end
    call('HSET', bucket_key(id), FIELD[id % 64], record .. cid)
    call('SADD', open_key, id_text)
    if cid ~= '' then
      call('SET', cid_mapping, id_text)
    end
    if not entries then
      return 'ok', entry
    end
  else
    flags = flags + (remaining == 0 and FILLED or CANCELLED) * 32
    entry, record = pack_entry(id, uid, flags, price, qty, filled, nlo, nhi, now, now, cid)
    close_record(id, id_text, uid, cid, record, now, false, open_key, closed_key, retention, history_cap)
  end
  if not entries then
    -- (No trade and nothing rests: the order's own entry.)
    return 'ok', pack(EVENT, seq, book_changed and 1 or 0, now, 1, 0, 0) .. entry
  end
  entries[1] = entry
  if level then
    nl = nl + 1
    levels[nl] = level
  end
  return 'ok', pack(EVENT, seq, 1, now, ne, nt, nl) .. concat(levels, '', 1, nl) .. concat(entries, '', 1, ne)
    .. (trades_text or '')
end

-- Step 2: each order in turn.
local replies, events = {}, {}
for n = 1, count do
  local kind, payload = place(n)
  replies[2 * n - 1] = kind
  replies[2 * n] = payload
  if kind == 'ok' then
    events[#events + 1] = payload
  end
end
if #streamed > 0 then
  call('XADD', KEYS[4], 'MAXLEN', '~', trades_maxlen, '*', 't', concat(streamed))
end
if seq ~= seq_before then
  call('SET', KEYS[1], fmt(seq))
end
publish(events)
return replies
