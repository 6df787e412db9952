-- Matching: what place_orders does to each order of its batch (place_orders.lua checks the arguments
-- and drives it). It lives at the library's level rather than in place_orders' body: a function defined
-- in a body is a new closure, with a new upvalue for each body local it uses, on every call, and a
-- table made there is new on every call too; Lua's garbage collector then pays for them all.
--
-- Speed: the hot path keeps an order's fields in locals (a table field is a lookup at every use) and
-- builds what it sends only once.

-- The call being served (set by start_matching): its time, retention, fill cap, open-orders cap,
-- history cap and the market's sequence as it goes.
local now, retention, max_touch, max_open, history_cap, seq

-- The best levels of each side, kept for the whole batch and read TOP_READ at a time (a level emptied
-- by a crossing order is the usual case, and a read a call): TOP[side] holds the prices of the side's
-- first TOP_N[side] levels, best first (TOP_N[side] nil: not read yet), and TOP_ALL[side] says they
-- are all the side has. Only the best level is ever emptied (drop_best) and a resting order may make a
-- level anywhere (add_level puts it where it belongs, or nowhere when it falls beyond a list that is
-- not the whole side), so the list always holds the side's first levels. Read again when it runs out.
local TOP, TOP_N, TOP_ALL = { [0] = {}, [1] = {} }, {}, {}
local TOP_READ, TOP_LAST = 4, '3' -- (the last index a read asks for, TOP_READ - 1, as text)

-- The trades of the call, for one stream entry (one XADD per call, not per order): groups and trades,
-- `nstreamed` of them. The table is kept from call to call; only its first `nstreamed` count.
local STREAMED, nstreamed = {}, 0

local function start_matching(now_, retention_, max_touch_, max_open_, history_cap_, seq_)
  now, retention, max_touch, max_open, history_cap, seq = now_, retention_, max_touch_, max_open_, history_cap_, seq_
  TOP_N[0], TOP_N[1] = nil, nil
  nstreamed = 0
end

-- The market's sequence after the orders matched so far, and their trades as one stream entry's
-- value (nil when none traded).
local function matched()
  return seq, nstreamed > 0 and concat(STREAMED, '', 1, nstreamed) or nil
end

-- The price of side `opp`'s best level, or nil when the side is empty.
local function best_level(opp)
  local n = TOP_N[opp]
  if not n or (n == 0 and not TOP_ALL[opp]) then
    -- A level's member is its price as text: scores are not asked for (Redis formats them as floats).
    local read = opp == 1 and call('ZRANGE', KEYS[3], '0', TOP_LAST) or call('ZREVRANGE', KEYS[2], '0', TOP_LAST)
    local top = TOP[opp]
    n = #read
    for i = 1, n do
      top[i] = price_of(read[i])
    end
    TOP_N[opp], TOP_ALL[opp] = n, n < TOP_READ
  end
  if n > 0 then
    return TOP[opp][1]
  end
end

-- Side `side`'s best level is gone.
local function drop_best(side)
  local top, n = TOP[side], TOP_N[side]
  for i = 1, n - 1 do
    top[i] = top[i + 1]
  end
  TOP_N[side] = n - 1
end

-- Side `side` has a new level at `price`.
local function add_level(side, price)
  local n = TOP_N[side]
  if not n then
    return
  end
  local top, at = TOP[side], n + 1
  for i = 1, n do
    -- (Bids best first is highest first; a new level's price is no level's yet.)
    if (side == 0) == (price > top[i]) then
      at = i
      break
    end
  end
  if at <= n or TOP_ALL[side] then
    for i = n, at, -1 do
      top[i + 1] = top[i]
    end
    top[at] = price
    TOP_N[side] = n + 1
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
  while touched < max_touch and levels[i] and crosses(side, otype, price, price_of(levels[i])) do
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

-- Adds the trades of one taker order (side `side`), packed and joined, to the call's stream entry.
local function stream(side, trades_text, ntrades)
  STREAMED[nstreamed + 1] = pack(TRADE_GROUP, side, seq, now, ntrades)
  STREAMED[nstreamed + 2] = trades_text
  nstreamed = nstreamed + 2
end


-- Takes `taken` orders off the front of side `side`'s level at `price` (its text, total key and list
-- key given) and `lots` off its total; `emptied` says every order the level had was taken. Returns
-- the level's new total; a level left empty is forgotten as the best.
local function take_from_level(side, price, level_text, total_key, list_key, taken, emptied, lots)
  if emptied then
    -- The level goes, list and total at once (its total is 0: every resting order has something
    -- left), no LPOP or DECRBY needed.
    call('DEL', total_key, list_key)
    call('ZREM', BOOK[side], level_text)
    drop_best(side)
    return 0
  end
  if taken == 1 then
    call('LPOP', list_key)
  elseif taken > 1 then
    call('LPOP', list_key, FIELD[taken] or fmt(taken))
  end
  local total = reduce_level(side, price, lots)
  if total == 0 then
    drop_best(side)
  end
  return total
end

-- The usual crossing order: the first resting order it meets, another user's, fills all of it. Its
-- whole event (the level, both orders, the trade) is one pack, and the records and the trade are cut
-- out of it, where the general path joins its event from five smaller packs (strings, each of which
-- Redis's Lua hashes byte by byte, and garbage, which its collector pays for). The order's checks are all done; `only_order` says that the maker is its level's only order.
-- FILL_EVENT: EVENT, LEVEL, ENTRY .. cid (the order), ENTRY .. cid (the maker), TRADE.
local FILL_EVENT = EVENT .. LEVEL .. ENTRY .. 'c0' .. ENTRY .. 'c0' .. TRADE
local function fill_by_one(id, id_text, uid, flags, price, qty, cid, open_key, closed_key, side, opp, level_price,
                           level_text, level_total_key, lkey, only_order, mid, mid_text, mbucket, field, muid,
                           mflags, mprice, mqty, mfilled, mnlo, mnhi, mcreated, mcid)
  local mstatus = mfilled + qty == mqty and FILLED or PARTIAL
  mfilled, mnlo, mnhi = add_fill(mfilled, mnlo, mnhi, level_price, qty)
  local _, nlo, nhi = add_fill(0, 0, 0, level_price, qty)
  local taken = mstatus == FILLED and 1 or 0
  local total = take_from_level(opp, level_price, level_text, level_total_key, lkey, taken,
    taken == 1 and only_order, qty)
  local event = pack(FILL_EVENT, seq, 1, now, 2, 1, 1, opp, level_price, total,
    id, uid, flags + FILLED * 32, price, qty, qty, nlo, nhi, now, now, #cid, cid,
    mid, muid, mflags % 32 + mstatus * 32, mprice, mqty, mfilled, mnlo, mnhi, mcreated, now, #mcid, mcid,
    id * 1024, level_price, qty, mid, id, muid, uid)
  -- The order's record follows the event's head, its level and its id; the maker's, the order's cid
  -- and the maker's id.
  local mat = REST_RECORD + 55 + #cid
  local mrecord = sub(event, mat, mat + 46)
  if mstatus == FILLED then
    close_record(mid, mid_text, muid, mcid, mrecord, now, mbucket, false, false, retention, history_cap)
  else
    call('HSET', mbucket, field, mrecord .. mcid)
  end
  close_record(id, id_text, uid, cid, sub(event, REST_RECORD, REST_RECORD + 46), now, false, open_key, closed_key,
    retention, history_cap)
  stream(side, sub(event, -42), 1)
  return event
end

-- The general path's event parts (see place), kept from order to order and call to call.
local ENTRIES, TRADES, LEVELS, PARTS = {}, {}, {}, {}

-- The orders of the call, unpacked once, by place_orders' checks: one array per field, indexed by the
-- order's place in the batch, kept from call to call (an unpack costs about 2,000 instructions).
local O_ID, O_UID, O_SIDE, O_TYPE, O_TIF, O_POST, O_PRICE, O_QTY, O_CID = {}, {}, {}, {}, {}, {}, {}, {}, {}

-- Order `n` of the batch: its own checks, then its writes. Returns the reply kind and payload (see
-- place_orders).
local function place(n)
  local id, uid, side, otype, tif, post_only, price, qty = O_ID[n], O_UID[n], O_SIDE[n], O_TYPE[n], O_TIF[n],
    O_POST[n], O_PRICE[n], O_QTY[n]
  local cid = O_CID[n]
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
  local level_price = best_level(opp)
  local crossing = level_price and crosses(side, otype, price, level_price)
  if post_only == 1 and crossing then
    return 'refused', 'post_only_would_cross'
  end
  -- The open-orders cap counts against an order that would rest: one that fills completely on arrival
  -- never does, and is not refused. An order that cannot trade is checked here; a crossing one at its
  -- first maker, before its first write (and not at all when that maker fills it: fill_by_one).
  if may_rest and not crossing and call('SCARD', open_key) >= max_open then
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
  -- The event's parts when it trades (`general`: at the first maker that fill_by_one does not take),
  -- in tables kept from order to order: order entries (the order's own first), trades, levels, and
  -- how many of each.
  local general, entries, trades, levels = false, ENTRIES, TRADES, LEVELS
  local ne, nt, nl = 1, 0, 0

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
        local mid = mid_text + 0
        local mbucket, field = bucket_key(mid), FIELD[mid % 64]
        local stored = call('HGET', mbucket, field)
        local muid, mflags, mprice, mqty, mfilled, mnlo, mnhi, mcreated = sunpack(REC, stored)
        local mcid = #stored > 47 and sub(stored, 48) or ''
        local left = mqty - mfilled
        if touched == 0 then
          if muid ~= uid and qty <= left then
            return 'ok', fill_by_one(id, id_text, uid, flags, price, qty, cid, open_key, closed_key, side, opp,
              level_price, level_text, level_total_key, lkey, fetched == 1, mid, mid_text, mbucket, field, muid,
              mflags, mprice, mqty, mfilled, mnlo, mnhi, mcreated, mcid)
          end
          -- (The cap's second check, see above: refused unless other users' orders fill it completely.)
          if may_rest and call('SCARD', open_key) >= max_open and not fok_can_fill(side, otype, price, uid, qty) then
            seq = seq - 1 -- (counted above as a book change: nothing is written)
            return 'refused', 'too_many_open_orders'
          end
          general = true
        end
        touched = touched + 1
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
        local entry, record = pack_entry(mid, muid, mflags % 32 + status * 32, mprice, mqty, mfilled, mnlo, mnhi,
          mcreated, now, mcid)
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
    local total = take_from_level(opp, level_price, level_text, level_total_key, lkey, taken,
      exhausted and taken == from, reduce)
    nl = nl + 1
    levels[nl] = pack(LEVEL, opp, level_price, total)
    if total > 0 then
      break
    end
    level_price = best_level(opp)
    crossing = level_price and crosses(side, otype, price, level_price)
  end
  local trades_text
  if nt > 0 then
    trades_text = concat(trades, '', 1, nt)
    stream(side, trades_text, nt)
  end

  local remaining = qty - filled
  local entry, record, level
  if remaining > 0 and may_rest and touched < max_touch then
    -- The rest of a gtc limit order joins the back of its level.
    flags = flags + (filled > 0 and PARTIAL or OPEN) * 32
    local price_text, level_total_key, list_key = price_names(side, price)
    local lots = lots_text(remaining)
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
      add_level(side, price)
    end
    call('RPUSH', list_key, id_text)
    if general then
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
    if not general then
      return 'ok', entry
    end
  else
    flags = flags + (remaining == 0 and FILLED or CANCELLED) * 32
    entry, record = pack_entry(id, uid, flags, price, qty, filled, nlo, nhi, now, now, cid)
    close_record(id, id_text, uid, cid, record, now, false, open_key, closed_key, retention, history_cap)
  end
  if not general then
    -- (No trade and nothing rests: the order's own entry.)
    return 'ok', pack(EVENT, seq, book_changed and 1 or 0, now, 1, 0, 0) .. entry
  end
  entries[1] = entry
  if level then
    nl = nl + 1
    levels[nl] = level
  end
  -- The event joined in one go (every string made is hashed byte by byte, so no joins of joins).
  local parts = PARTS
  parts[1] = pack(EVENT, seq, 1, now, ne, nt, nl)
  for i = 1, nl do
    parts[1 + i] = levels[i]
  end
  for i = 1, ne do
    parts[1 + nl + i] = entries[i]
  end
  local k = 1 + nl + ne
  if trades_text then
    k = k + 1
    parts[k] = trades_text
  end
  return 'ok', concat(parts, '', 1, k)
end

-- place_orders' reply and events, kept from call to call.
local PLACE_REPLIES, PLACE_EVENTS = {}, {}
