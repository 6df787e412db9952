-- Matching: what place_orders does to each order of its batch (place_orders.lua checks the arguments
-- and drives it). It lives at the library's level rather than in place_orders' body: a function defined
-- in a body is a new closure, with a new upvalue for each body local it uses, on every call, and a
-- table made there is new on every call too; Lua's garbage collector then pays for them all. For the
-- same reason the tables below are made once and reused from order to order and call to call.
--
-- Speed: the hot path keeps the fields it uses most in locals (a table field is a look-up at every
-- use) and packs what it sends once, cutting the records it stores out of it.

-- State of matching, besides the call's (engine_lib.lua). Of the call:
-- the resting orders one order may touch (fills and self-trade cancels), the open orders a user may
-- have in the market and the resting orders the market may hold (set by place_orders from its
-- arguments);
local MAX_TOUCH, MAX_OPEN, MAX_RESTING
-- the market's sequence and its number of resting orders as the batch moves them (start_matching, then
-- every order that changes the book: rest adds to RESTING, take_from_level and sweep_in_matching take
-- the makers that close away);
local SEQ, RESTING
-- the best levels of each side, kept for the whole batch and read a level bucket at a time (a level
-- emptied by a crossing order is the usual case, and a read a call; reading more buckets ahead costs
-- more than it saves): TOP[side] holds the prices of the side's
-- first TOP_N[side] levels, best first (TOP_N[side] nil: not read yet; reset by start_matching), and
-- TOP_ALL[side] says they are all the side has. Only the best level is ever emptied (drop_best) and a
-- resting order may make a level anywhere (add_level puts it where it belongs, or nowhere when it falls
-- beyond a list that is not the whole side), so the list always holds the side's first levels. Read
-- again when it runs out;
local TOP, TOP_N, TOP_ALL = { [0] = {}, [1] = {} }, {}, {}
-- what the batch knows of levels' queues: `kind[side][price]`, whether a level's queue is inline (false:
-- a list), for the levels the batch has read (best_level) or made (rest), so that matching reads a
-- level's queue where it is at the first try (reset by start_matching; a level that goes is
-- forgotten);
local QUEUES = { kind = { [0] = {}, [1] = {} } }
-- the trades of the call, for one stream entry (one XADD per call, not per order): groups and trades,
-- of which only the first `nstreamed` count (reset by start_matching).
local STREAMED, nstreamed = {}, 0
-- Reused tables: the orders of the batch, one per place in it (filled by place_orders' checks: id,
-- uid, side, otype, tif, post_only, price, qty, cid, and trade_base, the id of its first trade; an
-- order amend_order moves is a table of its own, with `amend` set, its record's bucket, created time,
-- and filled lots and notional so far (filled0, nlo0, nhi0), and its old level's entry in LEVELS[1]:
-- it keeps its id, its fills and its lock, and skips the checks its placement passed; a stop placed
-- when it triggers (stops.lua) is a table of its own too, with its bucket and created time: an order
-- with a bucket is stored already, so its client order id is mapped and it is among its owner's open
-- orders, and its first fill is not fill_by_one's, which writes no bucket); the first
-- maker an order meets, for fill_by_one; the parts of a placement's event on the general path (their
-- counts are place's); and place_orders' reply and events.
local ORDERS, MAKER = {}, {}
local ENTRIES, TRADES, LEVELS, PARTS = {}, {}, {}, {}
local PLACE_REPLIES, PLACE_EVENTS = {}, {}

-- A new batch on a market whose sequence is `seq` and which holds `resting` orders.
local function start_matching(seq, resting)
  SEQ, RESTING = seq, resting
  TOP_N[0], TOP_N[1] = nil, nil
  QUEUES.kind = { [0] = {}, [1] = {} }
  nstreamed = 0
end

-- Adds the trades of one taker order (side `side`), packed and joined, to the call's stream entry.
local function stream(side, trades_text, ntrades)
  STREAMED[nstreamed + 1] = pack(TRADE_GROUP, side, SEQ, NOW, ntrades)
  STREAMED[nstreamed + 2] = trades_text
  nstreamed = nstreamed + 2
end

-- The book's best levels.

-- The price of side `opp`'s best level, or nil when the side is empty.
local function best_level(opp)
  local n = TOP_N[opp]
  if not n or (n == 0 and not TOP_ALL[opp]) then
    n, TOP_ALL[opp] = read_levels(opp, 1, TOP[opp], nil, nil, QUEUES.kind[opp])
    TOP_N[opp] = n
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
    if (side == BUY) == (price > top[i]) then
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
  return otype == MARKET or (side == BUY and level_price <= price) or (side == SELL and level_price >= price)
end

-- Whether other users' orders within the fill cap can fill all of a fok order (a market buy: and its
-- owner's free quote pays for it all; a market buy by budget (blo, bhi): they take all the budget buys,
-- until less than a lot's worth is left).
local function fok_can_fill(side, otype, price, uid, qty, blo, bhi)
  local opp = 1 - side
  local available, touched = 0, 0
  local budget_lo, budget_hi = blo, bhi
  if otype == MARKET and side == BUY and not blo then
    budget_lo, budget_hi = FUNDS.budget(uid)
  end
  -- The makers `ids` (1 to n) in time order: true or false once they decide it, nil to go on.
  local function take(ids, n)
    for k = 1, n do
      local m = load_open(ids[k])
      if m then
        touched = touched + 1
        if m.uid ~= uid then
          local lots = min(m.qty - m.filled, qty - available)
          if budget_lo then
            budget_lo, budget_hi = FUNDS.spend(budget_lo, budget_hi, m.price, lots)
            if not budget_lo then
              -- (A budget that runs out here buys all it can.)
              return blo and true or false
            end
          end
          available = available + lots
          if available >= qty then
            return true
          end
        end
        if touched == MAX_TOUCH then
          return false
        end
      end
    end
  end
  -- The levels, read a few at a time as they are needed (most fok orders fill at the first).
  local prices, queues = {}, {}
  local n, i, all, from = 0, 1, false, 0
  while touched < MAX_TOUCH do
    if i > n then
      if all then
        break
      end
      n, all, from = read_levels(opp, 4, prices, nil, queues, nil, from)
      i = 1
      if n == 0 then
        break
      end
    end
    if not crosses(side, otype, price, prices[i]) then
      break
    end
    local decided
    if queues[i] then
      local ids = {}
      decided = take(ids, inline_ids(queues[i], ids))
    else
      -- The level's list, or two (see "Level queues in a list"), a chunk at a time; tombstones skipped.
      local queue = { level_queue(price_names(opp, prices[i]).list) }
      for q = 1, #queue, 2 do
        local from_id = queue[q + 1]
        while decided == nil do
          local chunk = MAX_TOUCH - touched
          local ids = call('LRANGE', queue[q], fmt(from_id), fmt(from_id + chunk - 1))
          decided = take(ids, #ids)
          if #ids < chunk then
            break
          end
          from_id = from_id + chunk
        end
      end
    end
    if decided ~= nil then
      return decided
    end
    i = i + 1
  end
  return false
end

-- Matching at a level (its list's key) where a sweep is under way (one function: `place` is at Lua's
-- limit of 60 upvalues). Not `done`: returns the front list's key and its first three ids, which
-- matching reads first. `done`: matching has used up the front list, taking `taken` entries off it,
-- the tombstones `dead` (or nil) among them; the front list and the list's mark go.
local function sweep_in_matching(list_key, done, dead, taken)
  local front_key = front_key_of(list_key)
  if not done then
    return front_key, call('LRANGE', front_key, '0', '2')
  end
  RESTING = RESTING - (taken - (dead and #dead or 0))
  call('DEL', front_key)
  call('LPOP', list_key)
  if dead then
    call_in_thousands('SREM', dead_key_of(list_key), dead)
  end
end

-- Takes `taken` entries (orders and tombstones) off the front of side `side`'s level at `price` (its
-- names `L`): from its inline queue `inline` (its text as read, with the level's total as read,
-- `level_total`) or else from the list `queue`, with the tombstones met (`dead`, ids, or nil) out of its
-- dead set; and `lots` off its total. `emptied` says every entry the level had was taken. Returns the
-- level's new total; a level left empty is forgotten as the best.
local function take_from_level(side, price, L, queue, taken, emptied, lots, dead, inline, level_total)
  RESTING = RESTING - (taken - (dead and #dead or 0))
  if emptied then
    -- The level goes, queue and total at once (its total is 0: every resting order has something
    -- left).
    delete_level(side, L)
    QUEUES.kind[side][price] = nil
    drop_best(side)
    return 0
  end
  local total
  if inline then
    -- Its queue and its total in one write.
    total = write_inline(side, L, level_total, -lots, sub(inline, taken * ID_LEN + 1))
  else
    if taken == 1 then
      call('LPOP', queue)
    elseif taken > 1 then
      call('LPOP', queue, FIELD[taken] or fmt(taken))
    end
    if dead then
      call_in_thousands('SREM', dead_key_of(L.list), dead)
    end
    total = reduce_level(side, price, lots)
  end
  if total == 0 then
    -- (Not expected: what is left in the queue has lots left. A level without lots went all the same.)
    QUEUES.kind[side][price] = nil
    drop_best(side)
  end
  return total
end

-- Events of a placement. Every string made costs Redis's Lua a hash and an allocation, so the two
-- usual shapes are one pack each, with the records to store cut out of them: an order filled by one
-- maker (fill_by_one) and an order that rests without trading (rest); the general shape is joined
-- from the parts the matching gathered.

-- FILL_EVENT: EVENT, LEVEL, ENTRY .. cid (the order), ENTRY .. cid (the maker); then the TRADE.
local FILL_EVENT = EVENT .. LEVEL .. ENTRY .. 'c0' .. ENTRY .. 'c0'

-- The event of the order whose parts are gathered: `nl` levels, `ne` entries (the order's own first),
-- the trades joined as `trades_text` (nil: none).
local function joined_event(nl, ne, nt, trades_text)
  local parts = PARTS
  parts[1] = pack(EVENT, SEQ, 1, NOW, ne, nt, nl)
  for i = 1, nl do
    parts[1 + i] = LEVELS[i]
  end
  for i = 1, ne do
    parts[1 + nl + i] = ENTRIES[i]
  end
  local k = 1 + nl + ne
  if trades_text then
    k = k + 1
    parts[k] = trades_text
  end
  return concat(parts, '', 1, k)
end

-- The usual crossing order: the first resting order it meets, `m` (MAKER), another user's, fills all
-- of it. Everything its event holds (the level, both orders, the trade) is packed at once
-- (FILL_EVENT). The order `o` is the batch's table with id_text, flags and its owner's keys
-- (open_key, closed_key) set; the level's price and names, the queue `m` was read from (the list's key,
-- or the inline queue and the level's total as read: `inline`, `level_total`) and whether `m` is the
-- level's only order are given. Returns the event.
local function fill_by_one(o, m, level_price, L, queue, only_order, inline, level_total)
  local id, uid, qty, cid, opp = o.id, o.uid, o.qty, o.cid, 1 - o.side
  local mfilled, mnlo, mnhi = add_fill(m.filled, m.nlo, m.nhi, level_price, qty)
  local mstatus = mfilled == m.qty and FILLED or PARTIAL
  local _, nlo, nhi = add_fill(0, 0, 0, level_price, qty)
  local trade = FUNDS.fill(o.side, uid, m.uid, level_price, qty, o.trade_base, m.id, id, SEQ)
  local taken = mstatus == FILLED and 1 or 0
  local total = take_from_level(opp, level_price, L, queue, taken, taken == 1 and only_order, qty, nil, inline,
    level_total)
  local mcid = m.cid
  local event = pack(FILL_EVENT, SEQ, 1, NOW, 2, 1, 1, opp, level_price, total,
    id, uid, o.flags + FILLED * STATUS_UNIT, o.price, qty, qty, nlo, nhi, NOW, NOW, #cid, cid,
    m.id, m.uid, m.flags % STATUS_UNIT + mstatus * STATUS_UNIT, m.price, m.qty, mfilled, mnlo, mnhi, m.created, NOW,
    #mcid, mcid) .. trade
  if total > MAX_INT then
    event = with_exact_total(event, opp, level_price)
  end
  -- The order's record follows the event's head, its level and its id; the maker's follows the
  -- order's client order id and the maker's id.
  local at = FILL_MAKER_RECORD + #cid
  local mrecord = sub(event, at, at + REC_LEN - 1)
  if mstatus == FILLED then
    close_record(m.id, m.id_text, m.uid, mcid, mrecord, m.bucket)
  else
    call('HSET', m.bucket, m.field, mrecord .. mcid)
  end
  close_record(id, o.id_text, uid, cid, sub(event, REST_RECORD, REST_RECORD + REC_LEN - 1), false, o.open_key,
    o.closed_key)
  stream(o.side, trade, 1)
  return event
end

-- Placing.

-- What is left of order `o` (the batch's table; its id as text, its `flags` with its status, what
-- it filled and its notional given) joins the back of its level, in its bucket and its owner's open
-- set (`open_key`), its client order id mapped (`cid_mapping`). Returns its order entry, and its level's
-- packed new total; or, when nothing else of the order's event was gathered (`general` false), the
-- whole event alone. Returns nil and the refusal when the level or the market is full (nothing
-- written). The market's cap refuses only an order that touched nothing: one that traded (or cancelled
-- its own orders) has written already, and rests past the cap, by as many orders as trades.
local function rest(o, id_text, flags, filled, nlo, nhi, open_key, cid_mapping, general)
  local id, side, price, qty, cid = o.id, o.side, o.price, o.qty, o.cid
  if RESTING >= MAX_RESTING and not general then
    SEQ = SEQ - 1
    return nil, REFUSAL.MARKET_FULL
  end
  RESTING = RESTING + 1
  local remaining = qty - filled
  local L = price_names(side, price)
  local lots = lots_text(remaining)
  local total, inline = enqueue(side, L, id_text, remaining, lots)
  if not inline and total > LEVEL_MAX then
    -- Level totals stay below LEVEL_MAX. Only an order that traded nothing can get here (a crossing
    -- order's own level is empty: the book is never crossed), so these are its first writes: undone,
    -- and the order refused with nothing written (the check costs no read of the total).
    call('HINCRBY', L.hash, L.t, lots_text(-remaining))
    call('RPOP', L.list)
    SEQ, RESTING = SEQ - 1, RESTING - 1
    return nil, REFUSAL.LEVEL_FULL
  end
  QUEUES.kind[side][price] = inline
  if total == remaining then
    add_level(side, price)
  end
  local entry, record, level
  if general then
    entry, record = pack_entry(id, o.uid, flags, price, qty, filled, nlo, nhi, o.created or NOW, NOW, cid)
    level = level_entry(side, price, total)
  else
    -- It traded nothing: its whole event is one pack (REST_EVENT), its record cut out of it.
    entry = pack(REST_EVENT, SEQ, 1, NOW, 1, 0, 1, side, price, total, id, o.uid, flags, price, qty, 0, 0, 0, NOW, NOW,
      #cid) .. cid
    record = sub(entry, REST_RECORD, REST_RECORD + REC_LEN - 1)
    if total > MAX_INT then
      entry = with_exact_total(entry, side, price)
    end
  end
  call('HSET', bucket_key(id), FIELD[id % BUCKET_IDS], record .. cid)
  call('SADD', open_key, id_text)
  if cid_mapping then
    call('SET', cid_mapping, id_text)
  end
  return entry, level
end

-- Step 1 of placing order `o`: its checks, nothing written. Returns the reply (kind, payload) of an
-- order refused or repeated; or nil, then whether it crosses the book, the price of the best level on
-- the other side, whether it may rest, and its client order id's key (false: none). (A function of its
-- own: `place` is at Lua's limit of 60 upvalues.)
local function admit(o)
  local uid, side, otype, tif, cid = o.uid, o.side, o.otype, o.tif, o.cid
  local cid_mapping = cid ~= '' and not o.bucket and cid_key(uid, cid)
  local may_rest = otype == LIMIT and tif == GTC
  local level_price = best_level(1 - side)
  local crossing = level_price and crosses(side, otype, o.price, level_price)
  -- A client order id given before names its order, which is the answer.
  if cid_mapping then
    local existing = call('GET', cid_mapping)
    if existing then
      local found = load_users_order(existing, uid)
      if found then
        return REPLY_DUP, order_entry(found)
      end
    end
  end
  if o.post_only == 1 and crossing then
    return REPLY_REFUSED, REFUSAL.POST_ONLY_WOULD_CROSS
  end
  if not FUNDS.covers(o, side == BUY and level_price) then
    return REPLY_REFUSED, INSUFFICIENT_FUNDS
  end
  -- A budget that buys no lot at the best ask does not trade (and ends cancelled, having bought none).
  if crossing and o.blo and FUNDS.lots(o.blo, o.bhi, level_price, 1) == 0 then
    crossing = false
  end
  -- The open-orders cap counts against an order that would rest: one that fills completely on arrival
  -- never does, and is not refused. An order that cannot trade is checked here; a crossing one at its
  -- first maker, before its first write (and not at all when that maker fills it: fill_by_one).
  if may_rest and not crossing and not o.bucket and call('SCARD', (user_keys(uid))) >= MAX_OPEN then
    return REPLY_REFUSED, REFUSAL.TOO_MANY_OPEN_ORDERS
  end
  if crossing and tif == FOK and not fok_can_fill(side, otype, o.price, uid, o.qty, o.blo, o.bhi) then
    crossing = false
    may_rest = false
  end
  return nil, crossing, level_price, may_rest, cid_mapping
end

-- Order `o` of the batch: its checks (admit), then its writes. Returns the reply kind and payload (see
-- place_orders).
local function place(o)
  local kind, crossing, level_price, may_rest, cid_mapping = admit(o)
  if kind then
    return kind, crossing
  end
  local id, uid, side, otype, price, qty, cid = o.id, o.uid, o.side, o.otype, o.price, o.qty, o.cid
  local open_key, closed_key = user_keys(uid)
  local opp = 1 - side
  -- A market buy fills while its owner's free quote (or its budget) lasts: at each level, up to what it
  -- pays for.
  local market_buy = otype == MARKET and side == BUY
  -- The price of the level matching last looked at (what a budget's rest is measured against).
  local last_level

  -- 2. Matching. The book changes exactly when the order trades or cancels something, or rests.
  local book_changed = crossing or may_rest
  if book_changed then
    SEQ = SEQ + 1
  end
  local id_text = format('%d', id) -- (format, not fmt: a Lua call less on the hot path)
  local flags = side + otype * TYPE_UNIT + o.tif * TIF_UNIT + o.post_only * POST_ONLY_UNIT
  local filled, nlo, nhi, touched = o.filled0 or 0, o.nlo0 or 0, o.nhi0 or 0, 0
  -- The event's parts when it trades (`general`: at the first maker that fill_by_one does not take):
  -- order entries (the order's own first), trades, levels, and how many of each.
  local general, entries, trades, levels = o.amend or false, ENTRIES, TRADES, LEVELS
  local ne, nt, nl = 1, 0, o.amend and 1 or 0
  while crossing and filled < qty and touched < MAX_TOUCH do
    -- One level: take its orders from the front, a few ids at a time, up to `want` lots in all.
    local want = qty
    last_level = level_price
    if market_buy then
      if o.blo then
        want = filled + FUNDS.lots(o.blo, o.bhi, level_price, qty - filled)
      else
        want = filled + FUNDS.affordable(uid, level_price, qty - filled)
      end
      if want == filled then
        break
      end
    end
    local L = price_names(opp, level_price)
    -- `queue`: the list read, the level's list or, while a sweep is under way at the level (`swept`),
    -- its front list first (see "Level queues in a list"); `inline`: the level's queue when it is no
    -- list (its text, read all at once, with the level's total, `level_total`); `exhausted`: its last id
    -- has been fetched; `dead`: the tombstones met (nil: none).
    local queue, swept, dead, inline, level_total = L.list, false, nil, nil, nil
    if QUEUES.kind[opp][level_price] ~= false then
      local now = call('HMGET', L.hash, L.t, L.q)
      level_total, inline = now[1], now[2]
    end
    local taken, reduce, from, exhausted = 0, 0, 0, false
    while filled < want and touched < MAX_TOUCH and not exhausted do
      local ids, fetched
      if inline then
        -- (Its ids are unpacked one by one as the makers are met: most orders meet one or two.)
        fetched = #inline / ID_LEN
        exhausted = true
      else
        -- Most orders fill from the first one or two: three ids first, then eight at a time.
        ids = from == 0 and call('LRANGE', queue, '0', '2') or call('LRANGE', queue, fmt(from), fmt(from + 7))
        fetched = #ids
        if from == 0 and ids[1] == PASS_MARK then
          swept, queue, ids = true, sweep_in_matching(L.list, false)
          fetched = #ids
        end
        exhausted = fetched < (from == 0 and 3 or 8)
      end
      from = from + fetched
      for i = 1, fetched do
        if filled == want or touched == MAX_TOUCH then
          break
        end
        -- The maker, unpacked into locals (and into MAKER for fill_by_one).
        local mid_text = inline and format('%d', sunpack(ID, inline, (i - 1) * ID_LEN + 1)) or ids[i]
        local mid = mid_text + 0
        local mbucket, field = bucket_key(mid), FIELD[mid % BUCKET_IDS]
        local stored = call('HGET', mbucket, field)
        if not stored then
          -- A tombstone: taken off with the orders, counted as nothing.
          taken = taken + 1
          dead = dead or {}
          dead[#dead + 1] = mid_text
        else
          local muid, mflags, mprice, mqty, mfilled, mnlo, mnhi, mcreated = sunpack(REC, stored)
          local mcid = #stored > REC_LEN and sub(stored, CID_AT) or ''
          local left = mqty - mfilled
          if touched == 0 then
            if muid ~= uid and qty <= left and taken == 0 and want == qty and not o.bucket then
              local m = MAKER
              m.id, m.id_text, m.bucket, m.field, m.uid, m.flags = mid, mid_text, mbucket, field, muid, mflags
              m.price, m.qty, m.filled, m.nlo, m.nhi, m.created, m.cid = mprice, mqty, mfilled, mnlo, mnhi, mcreated,
                mcid
              o.id_text, o.flags, o.open_key, o.closed_key = id_text, flags, open_key, closed_key
              return REPLY_OK, fill_by_one(o, m, level_price, L, queue, fetched == 1 and not swept, inline,
                level_total)
            end
            -- (The cap's second check, see step 1: refused unless other users' orders fill it.)
            if may_rest and not o.bucket and call('SCARD', open_key) >= MAX_OPEN
              and not fok_can_fill(side, otype, price, uid, qty) then
              SEQ = SEQ - 1 -- (counted above as a book change: nothing is written)
              return REPLY_REFUSED, REFUSAL.TOO_MANY_OPEN_ORDERS
            end
            general = true
          end
          touched = touched + 1
          local status
          if muid == uid then
            -- Self-trade prevention: the resting order is cancelled, no trade.
            status = CANCELLED
            reduce = reduce + left
            FUNDS.release(opp, muid, level_price, left)
          else
            local fill = min(left, want - filled)
            mfilled, mnlo, mnhi = add_fill(mfilled, mnlo, mnhi, level_price, fill)
            filled, nlo, nhi = add_fill(filled, nlo, nhi, level_price, fill)
            trades[nt + 1] = FUNDS.fill(side, uid, muid, level_price, fill, o.trade_base + nt, mid, id,
              SEQ)
            if o.blo then
              o.blo, o.bhi = FUNDS.spend(o.blo, o.bhi, level_price, fill)
            end
            nt = nt + 1
            status = mfilled == mqty and FILLED or PARTIAL
            reduce = reduce + fill
          end
          local entry, record = pack_entry(mid, muid, mflags % STATUS_UNIT + status * STATUS_UNIT, mprice, mqty,
            mfilled, mnlo, mnhi, mcreated, NOW, mcid)
          if status >= FILLED then
            taken = taken + 1
            close_record(mid, mid_text, muid, mcid, record, mbucket, nil, nil, status == CANCELLED)
          else
            call('HSET', mbucket, field, record .. mcid)
          end
          ne = ne + 1
          entries[ne] = entry
        end
      end
      if swept and exhausted and taken == from then
        -- The front list is used up: the sweep ends here (its mark goes), and the level goes on in its
        -- list.
        sweep_in_matching(L.list, true, dead, taken)
        queue, swept, dead = L.list, false, nil
        taken, from, exhausted = 0, 0, false
      end
    end
    local total = take_from_level(opp, level_price, L, queue, taken, not swept and exhausted and taken == from, reduce,
      dead, inline, level_total)
    nl = nl + 1
    levels[nl] = level_entry(opp, level_price, total)
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

  -- 3. The order itself: what is left of a gtc limit order joins the back of its level; any other
  -- order closes (filled, or cancelled with what it could not fill). 4. Its event.
  local remaining = qty - filled
  local entry
  if remaining > 0 and may_rest and touched < MAX_TOUCH then
    local level
    entry, level = rest(o, id_text, flags + (filled > 0 and PARTIAL or OPEN) * STATUS_UNIT, filled, nlo, nhi,
      open_key, cid_mapping, general)
    if not entry then
      return REPLY_REFUSED, level
    end
    FUNDS.rest(side, uid, price, remaining)
    if not general then
      return REPLY_OK, entry
    end
    nl = nl + 1
    levels[nl] = level
  else
    local record
    local status, shown = remaining == 0 and FILLED or CANCELLED, qty
    if o.blo then
      -- A market buy by budget reports what it bought as its quantity, and is filled when what is left
      -- of its budget buys no lot where it stopped.
      local at = level_price or last_level
      shown = filled
      status = (filled > 0 and FUNDS.lots(o.blo, o.bhi, at, 1) == 0) and FILLED or CANCELLED
    end
    flags = flags + status * STATUS_UNIT
    entry, record = pack_entry(id, uid, flags, price, shown, filled, nlo, nhi, o.created or NOW, NOW, cid)
    close_record(id, id_text, uid, cid, record, o.bucket or false, open_key, closed_key)
    if not general then
      -- (No trade and nothing rests: the order's own entry.)
      return REPLY_OK, pack(EVENT, SEQ, book_changed and 1 or 0, NOW, 1, 0, 0) .. entry
    end
  end
  entries[1] = entry
  return REPLY_OK, joined_event(nl, ne, nt, trades_text)
end
