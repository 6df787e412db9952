-- Stop orders (the contract's "Stop orders"). A stop waits, PENDING, off the book, until a trade in its
-- market reaches its stop price (a buy stop: a trade at or above it; a sell stop: at or below); it is
-- then placed as the limit or market order it names, through the placement's own matching (`place`,
-- matching.lua), in the same call as the trade, with a new place in time and its own id.
--
-- Keys of a market {S}:
--   {S}:stops:buy   sorted set of the pending buy stops, scored by stop price, member the id as
--                   zero-padded text (members of one score sort as text: by id);
--   {S}:stops:sell  the same for sell stops, scored by minus the stop price (highest first, then id);
--   {S}:stops:reached  (only while a trigger is unfinished) the highest and lowest trade prices whose
--                   stops are not all placed yet (REACHED; 0: none), see "Bounded work".
-- A pending stop's record is in its bucket and its owner's open set as an open order's is (so it is
-- listed, counted by the open-orders cap, cancelled by cancel and cancel-all, never on a level), and
-- its stop price is kept for good in its tail (STOP_TAIL, engine_lib.lua).
--
-- Funds: a stop locks at placement what the order it becomes locks when it rests: a stop-limit its
-- price x quantity of quote (a buy) or its quantity (a sell), a stop-market sell its quantity; a
-- stop-market buy, like a market buy by quantity, locks nothing and buys while its owner's free quote
-- lasts. The lock comes back just before the stop is placed, which checks it as any placement.
--
-- Order: of the stops reached, the lowest buy stop and the highest sell stop are next in line; the one
-- of lower id goes first. Each stop's trades reach further (a cascade).
--
-- Bounded work: a call places at most STOP_BUDGET stops (an argument of the matching functions). What
-- the call's trades reached stays reached (REACHED, kept across calls) until every stop in it is
-- placed: the next call on the market that accepts something goes on with it, and trigger_stops, which
-- the backend calls for each market every 25 ms, does it when nothing else comes. While a range is
-- kept, a new stop inside it counts as reached and is refused as would_trigger_immediately, like one
-- at or beyond the last trade's price.
--
-- (The operations are made by a function, so that their state and helpers are its locals: the library's
-- main chunk may hold at most 200 locals, blocks included.)
local STOPS = (function()
  local STOPS = {}
  local REACHED = '<I7I7'
  -- The call's: the budget left; the range reached (HI, LO: nil when none) and whether it is the one
  -- read at the start; the first stop in line on each side: its member (false: none, nil: not read
  -- yet) and stop price; how many of the call's streamed parts (matching.lua) were looked at; the
  -- stops' keys by side (set by STOPS.start). (Every table or string a call makes is garbage Lua's
  -- collector must find by walking the library's whole heap: the tables are kept, the keys made once a
  -- call.)
  local budget, HI, LO, stored_hi, stored_lo
  local first_member, first_stop = {}, {}
  local seen = 0
  local keys = {}
  local TRADE_LEN, PRICE_AT = nil, 8 -- (a trade's size, and where its price lies: after its 7-byte id)
  -- The order a reached stop is placed as (`place_reached`): one table, its fields set each time.
  local placing = {}

  local function stops_key(side)
    return keys[side]
  end

  local function reached_key()
    return P .. ':stops:reached'
  end

  -- A new call on the market: `reached`, the REACHED value read (nil: none), and the call's budget.
  function STOPS.start(reached, stop_budget)
    budget, seen = stop_budget, 0
    first_member[BUY], first_member[SELL] = nil, nil
    keys[BUY], keys[SELL] = P .. ':stops:buy', P .. ':stops:sell'
    HI, LO = nil, nil
    if reached then
      local hi, lo = sunpack(REACHED, reached)
      HI, LO = hi > 0 and hi or nil, lo > 0 and lo or nil
    end
    stored_hi, stored_lo = HI, LO
    if not TRADE_LEN then
      TRADE_LEN = struct.size(TRADE)
    end
  end

  -- The reached range's key, for the MGET a call starts with.
  STOPS.reached_key = reached_key

  -- The member and stop price of the first stop in line on a side, or false when there is none.
  local function next_in_line(side)
    local member = first_member[side]
    if member == nil then
      local read = call('ZRANGE', stops_key(side), '0', '0', 'WITHSCORES')
      member = read[1] or false
      if member then
        local score = tonumber(read[2])
        first_stop[side] = side == BUY and score or -score
      end
      first_member[side] = member
    end
    return member, first_stop[side]
  end

  -- The price of a trade at `at` (1-based) in a text of trades.
  local function price_at(trades_text, at)
    local price = sunpack('<I6', trades_text, at + PRICE_AT - 1)
    return price
  end

  -- The range reached grows by the trades streamed since the last look.
  local function reach()
    for i = seen + 1, nstreamed, 2 do
      local _, _, _, n = sunpack(TRADE_GROUP, STREAMED[i])
      local text = STREAMED[i + 1]
      local a, b = price_at(text, 1), price_at(text, (n - 1) * TRADE_LEN + 1)
      local hi, lo = max(a, b), min(a, b)
      HI = (HI and HI > hi) and HI or hi
      LO = (LO and LO < lo) and LO or lo
    end
    seen = nstreamed
  end

  -- The price of the market's last trade: this call's, else the trades stream's newest; nil if none.
  local function last_price()
    if nstreamed > 0 then
      local _, _, _, n = sunpack(TRADE_GROUP, STREAMED[nstreamed - 1])
      return price_at(STREAMED[nstreamed], (n - 1) * TRADE_LEN + 1)
    end
    local newest = call('XREVRANGE', P .. ':trades', '+', '-', 'COUNT', '1')[1]
    if newest then
      local value = newest[2][2]
      return price_at(value, #value - TRADE_LEN + 1)
    end
  end

  -- Places stop `member` (side `side`), reached: out of its set, its lock back, then placed as the order
  -- it names. Returns its event: the placement's, or, when the placement is refused (post-only that
  -- would cross, a cap, a market buy without free quote), the stop's, cancelled.
  local function place_reached(side, member)
    call('ZREM', stops_key(side), member)
    first_member[side] = nil
    local id = member + 0
    local s = load_open(format('%d', id))
    if not s then
      error('stops: stop ' .. member .. ' has no record')
    end
    FUNDS.release(side, s.uid, s.price, s.qty)
    local flags, o = s.flags, placing
    o.id, o.uid, o.side, o.otype = id, s.uid, side, (flags - flags % TYPE_UNIT) / TYPE_UNIT % 2
    o.tif = (flags % POST_ONLY_UNIT - flags % TIF_UNIT) / TIF_UNIT
    o.post_only = (flags % STATUS_UNIT - flags % POST_ONLY_UNIT) / POST_ONLY_UNIT
    o.price, o.qty, o.trade_base = s.price, s.qty, id * TRADES_PER_ORDER
    -- From here on it is an order like any other, its tail says (STOP_TAIL: TRIGGERED_TAG for STOP_TAG).
    o.cid = char(STOP_TAGS.TRIGGERED) .. sub(s.cid, 2)
    o.bucket, o.created = s.bucket, s.created
    local kind, payload = place(o)
    if kind == REPLY_OK then
      return payload
    end
    s.updated = NOW
    set_status(s, CANCELLED)
    return command_event(SEQ, false, { order_entry(s, store_cancelled(s, true)) }, {}, {})
  end

  -- After an accepted command: places the stops its trades (and any range kept) reached, within the
  -- call's budget, adding their events to `events` (which holds `n`). Returns the new count.
  function STOPS.trigger(events, n)
    if not HI and not LO and first_member[BUY] == false and first_member[SELL] == false then
      -- (The usual case: no stop in this market.)
      seen = nstreamed
      return n
    end
    if nstreamed > seen then
      reach()
    end
    while HI or LO do
      local b, s, stop = false, false
      if HI then
        b, stop = next_in_line(BUY)
        if b and stop > HI then
          b = false
        end
      end
      if LO then
        s, stop = next_in_line(SELL)
        if s and stop < LO then
          s = false
        end
      end
      if not b then
        HI = nil
      end
      if not s then
        LO = nil
      end
      if (not b and not s) or budget == 0 then
        break
      end
      -- (Members are zero-padded ids: as text, they compare as the ids do.)
      local side = (b and (not s or b < s)) and BUY or SELL
      budget = budget - 1
      n = n + 1
      events[n] = place_reached(side, side == BUY and b or s)
      reach()
    end
    return n
  end

  -- Whether stops reached are left for a later call.
  function STOPS.left()
    return HI ~= nil or LO ~= nil
  end

  -- Writes the range reached when it changed.
  function STOPS.store()
    if HI == stored_hi and LO == stored_lo then
      return
    end
    if HI or LO then
      call('SET', reached_key(), pack(REACHED, HI or 0, LO or 0))
    else
      call('DEL', reached_key())
    end
    stored_hi, stored_lo = HI, LO
  end

  -- Places stop order `o` (a table as place_orders makes them, with `stop` its stop price and `tail` its
  -- STOP_TAIL and client order id): pending. Returns the reply (kind, payload), as `place`.
  function STOPS.place(o)
    local uid, side, stop, cid = o.uid, o.side, o.stop, o.cid
    local open_key = user_keys(uid)
    if cid ~= '' then
      local existing = call('GET', cid_key(uid, cid))
      local found = existing and load_users_order(existing, uid)
      if found then
        return REPLY_DUP, order_entry(found)
      end
    end
    local last = last_price()
    if side == BUY and ((last and last >= stop) or (HI and HI >= stop))
      or side == SELL and ((last and last <= stop) or (LO and LO <= stop)) then
      return REPLY_REFUSED, REFUSAL.WOULD_TRIGGER_IMMEDIATELY
    end
    if not FUNDS.covers(o, nil) then
      return REPLY_REFUSED, INSUFFICIENT_FUNDS
    end
    if call('SCARD', open_key) >= MAX_OPEN then
      return REPLY_REFUSED, REFUSAL.TOO_MANY_OPEN_ORDERS
    end
    local id, price, qty = o.id, o.price, o.qty
    local id_text = format('%d', id)
    local flags = side + o.otype * TYPE_UNIT + o.tif * TIF_UNIT + o.post_only * POST_ONLY_UNIT + PENDING * STATUS_UNIT
    local entry, record = pack_entry(id, uid, flags, price, qty, 0, 0, 0, NOW, NOW, o.tail)
    call('HSET', bucket_key(id), FIELD[id % BUCKET_IDS], record .. o.tail)
    call('SADD', open_key, id_text)
    if cid ~= '' then
      call('SET', cid_key(uid, cid), id_text)
    end
    call('ZADD', stops_key(side), format('%d', side == BUY and stop or -stop), format('%016d', id))
    first_member[side] = nil
    FUNDS.rest(side, uid, price, qty)
    return REPLY_OK, pack(EVENT, SEQ, 0, NOW, 1, 0, 0) .. entry
  end

  -- Cancels a pending stop (read back): out of its set, its lock back, into its owner's closed hash.
  -- Returns its order entry.
  function STOPS.cancel(o)
    -- (Called without STOPS.start, by cancels: the key is made here.)
    call('ZREM', P .. (o.side == BUY and ':stops:buy' or ':stops:sell'), format('%016d', o.id))
    FUNDS.release(o.side, o.uid, o.price, o.qty)
    o.updated = NOW
    set_status(o, CANCELLED)
    return order_entry(o, store_cancelled(o, true))
  end

  -- Whether an order read back is a pending stop.
  function STOPS.pending(o)
    return (o.flags - o.flags % STATUS_UNIT) / STATUS_UNIT == PENDING
  end
  return STOPS
end)()
