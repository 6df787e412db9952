-- Settlement (docs/funds.md): what orders do to their owners' sub-accounts in the market, inside the
-- scripts that match and cancel, so that no trade is half-settled and no lock outlives its order. An
-- order is checked against its owner's free funds before anything is written (FUNDS.covers); a taker
-- pays its fills out of free funds and locks what is left of it only when it rests (FUNDS.rest), so a
-- refusal after the check has nothing to undo; a maker pays out of its lock, at its own price; each
-- side's fee (or rebate) comes out of what it receives, into the market's fee account; a cancel or a
-- self-trade cancel gives the lock back (FUNDS.release). Each fill is kept for both parties, with its
-- fees, in their fills sets (engine_lib.lua): what the fills and ledger of a user are read from.
--
-- What an order has locked is never stored: a buy at price p with r lots left holds p x r x
-- quote_unit of quote, a sell r x base_unit of base, where base_unit and quote_unit are the market's
-- units per lot and per tick x lot (common/src/asset.rs). So an account's locked amounts are exactly the
-- sums over its open orders, which the property test checks against the reference model.
--
-- A call reads each account it meets once (HGET, kept for the call) and writes the ones it changed with
-- one HSET at its end (FUNDS.store); the fee account likewise.
--
-- {S}:fees   FEES, packed: base fees collected, base rebates paid, quote fees collected, quote rebates
--            paid (each an amount, lo then hi). An asset's fee account holds collected - rebated.
local FEES = '<I4I7I4I7I4I7I4I7'
-- The operations, as fields of one table (the library's main chunk may hold at most 200 locals, and
-- `place` at most 60 upvalues).
local FUNDS = {}
do
  local BASE_LOCKED, QUOTE_LOCKED = BASE_FREE + 2, QUOTE_FREE + 2
  -- An account's count of the fills its owner's fills set holds (subaccounts.lua).
  local FILLS_HELD = 12
  -- Where each asset's fees and rebates lie in FEES.
  local BASE_FEES, QUOTE_FEES = 1, 5
  -- Fee rates are integers per FEE_SCALE (at most 6 decimal places: common/src/market.rs).
  local FEE_SCALE = 1000000
  local TWO32 = 4294967296
  -- A member of a user's fills set: FILL_HEAD, then the trade, which starts at TRADE_AT (worked out by
  -- FUNDS.start: struct is not visible while the library loads).
  local FILL, TRADE_AT = FILL_HEAD .. TRADE, nil

  -- The call's: the market's accounts hash; the accounts read, by user id, and how many; the accounts
  -- that changed, in order, and how many; the fee account (nil until read) and whether it changed; the
  -- market's units and fee rates (FUNDS.start). The tables are kept from call to call, and so are the
  -- accounts' own (`slots`, reused in turn): every table a call makes is garbage Lua's collector must walk
  -- the library's whole heap to find. An account's table says whose it is (`uid`, `uid_text`), which call
  -- read it (`call`, the call's number `call_no`) and whether it changed (`dirty`): `accounts` keeps the
  -- ids of earlier calls, which never become nil (a key set to nil is removed by the collector and added
  -- again by the next call that meets the user, growing the table anew), until it holds the library's
  -- bound of memos, MEMO_MAX.
  local accounts_key, accounts, naccounts, call_no, nread, changed, nchanged = nil, {}, 0, 0, 0, {}, 0
  local slots, fields = {}, {}
  local fees, fees_changed
  local base_unit, quote_unit, maker_rate, taker_rate
  -- The fills a user's fills set keeps, how many it may hold before a trim (an eighth more: a trim per
  -- fill would cost a call per fill) and the rank a trim removes up to, as text.
  local fills_kept, fills_bound, fills_trim

  -- A new call on a market whose lot is `base` units of its base asset and whose tick x lot is `quote`
  -- units of its quote asset, with these maker and taker fee rates (per FEE_SCALE), keeping `kept`
  -- fills per user.
  function FUNDS.start(base, quote, maker, taker, kept)
    if naccounts > MEMO_MAX then
      accounts, naccounts = {}, 0
    end
    accounts_key, call_no, nread, nchanged, fees, fees_changed = P .. ':accounts', call_no + 1, 0, 0, nil, false
    TRADE_AT = TRADE_AT or struct.size(FILL_HEAD) + 1
    base_unit, quote_unit, maker_rate, taker_rate = base, quote, maker, taker
    if kept and kept ~= fills_kept then
      fills_kept, fills_bound, fills_trim = kept, kept + floor(kept / 8) + 1, format('%d', -kept - 1)
    end
  end

  -- User `uid`'s account in the call, read (HGET) the first time the call asks.
  local function account(uid)
    local a = accounts[uid]
    if a and a.call == call_no and a.uid == uid then
      return a
    end
    if not a then
      naccounts = naccounts + 1
    end
    nread = nread + 1
    a = slots[nread]
    if not a then
      a = {}
      slots[nread] = a
    end
    local uid_text = user_names(uid)[4]
    account_unpack(call('HGET', accounts_key, uid_text), a)
    a.uid, a.uid_text, a.call, a.dirty = uid, uid_text, call_no, false
    accounts[uid] = a
    return a
  end

  -- User `uid`'s account, to be written at the end of the call.
  local function changing(uid)
    local a = account(uid)
    if not a.dirty then
      a.dirty = true
      nchanged = nchanged + 1
      changed[nchanged] = a
    end
    return a
  end

  -- Adds an amount to a balance (amount_sum, written out: settlement's most frequent step).
  local function add(a, at, lo, hi)
    local sum_lo, sum_hi = a[at] + lo, a[at + 1] + hi
    if sum_lo >= TWO32 then
      sum_lo, sum_hi = sum_lo - TWO32, sum_hi + 1
    end
    a[at], a[at + 1] = sum_lo, sum_hi
  end

  -- Takes an amount off a balance. Never below zero: the checks before a call's first write make sure
  -- of it, and a call that would is stopped rather than let a balance go negative.
  local function take(a, at, lo, hi)
    -- (amount_lt and amount_sub, written out.)
    local have_lo, have_hi = a[at], a[at + 1]
    if have_hi < hi or (have_hi == hi and have_lo < lo) then
      error('settlement: a balance would go below zero')
    end
    have_lo, have_hi = have_lo - lo, have_hi - hi
    if have_lo < 0 then
      have_lo, have_hi = have_lo + TWO32, have_hi - 1
    end
    a[at], a[at + 1] = have_lo, have_hi
  end

  -- What `lots` lots of an order of `side` at `price` ticks hold: the index of the asset's free amount
  -- in an account, and the amount (nil when past MAX_AMOUNT).
  local function held(side, price, lots)
    if side == BUY then
      return QUOTE_FREE, amount_mul(price * quote_unit, lots)
    end
    return BASE_FREE, amount_mul(lots, base_unit)
  end

  local function fee_account()
    if not fees then
      local packed = call('GET', P .. ':fees')
      fees = packed and { sunpack(FEES, packed) } or { 0, 0, 0, 0, 0, 0, 0, 0 }
    end
    return fees
  end

  -- Account `a` receives `lo, hi` of the asset at `at`, less the fee at rate `rate` (or with the
  -- rebate), which goes to (or comes from) the fee account's entries at `fees_at`. Returns the fee (lo,
  -- hi) and whether it is a rebate.
  local function receive(a, at, lo, hi, rate, fees_at)
    local flo, fhi, rebate = amount_fee(lo, hi, rate, FEE_SCALE)
    if flo == 0 and fhi == 0 then
      add(a, at, lo, hi)
      return 0, 0, false
    end
    local f = fee_account()
    fees_changed = true
    if rebate then
      add(a, at, amount_sum(lo, hi, flo, fhi))
      add(f, fees_at + 2, flo, fhi)
    else
      add(a, at, amount_sub(lo, hi, flo, fhi))
      add(f, fees_at, flo, fhi)
    end
    return flo, fhi, rebate
  end

  -- Keeps `fill` (scored `score`, the trade id as text) in user `uid`'s fills set, whose account is
  -- `a`, trimming the set to its newest fills_kept once it holds more than fills_bound.
  local function keep(a, uid, score, fill)
    local key = user_names(uid)[3]
    call('ZADD', key, score, fill)
    local count = a[FILLS_HELD] + 1
    if count > fills_bound then
      call('ZREMRANGEBYRANK', key, '0', fills_trim)
      count = fills_kept
    end
    a[FILLS_HELD] = count
  end

  -- How many of `lots` lots at `price` ticks an amount (lo, hi) pays for.
  local function lots_for(lo, hi, price, lots)
    local unit = price * quote_unit
    local n = min(lots, floor((hi * TWO32 + lo) / unit))
    -- (The division in doubles is off by a little at most: corrected with exact products.)
    while n > 0 do
      local plo, phi = amount_mul(unit, n)
      if plo and not amount_lt(lo, hi, plo, phi) then
        break
      end
      n = n - 1
    end
    while n < lots do
      local plo, phi = amount_mul(unit, n + 1)
      if not plo or amount_lt(lo, hi, plo, phi) then
        break
      end
      n = n + 1
    end
    return n
  end

  -- Whether order `o`'s owner can place it: the free funds cover all of it at its own price (a buy) or
  -- its quantity (a sell). A market buy, whose price is the book's, needs free quote for one lot at the
  -- best ask, `ask` (nil: none; then any free quote); its fills stop where the quote runs out
  -- (FUNDS.affordable).
  function FUNDS.covers(o, ask)
    local a = account(o.uid)
    if o.blo then
      -- A market buy by budget: free quote for all of it.
      return not amount_lt(a[QUOTE_FREE], a[QUOTE_FREE + 1], o.blo, o.bhi)
    end
    if o.otype == MARKET and o.side == BUY then
      if ask then
        return lots_for(a[QUOTE_FREE], a[QUOTE_FREE + 1], ask, 1) == 1
      end
      return a[QUOTE_FREE] > 0 or a[QUOTE_FREE + 1] > 0
    end
    -- (An amended order locks what is left of it: its quantity less what it filled before.)
    local at, lo, hi = held(o.side, o.price, o.qty - (o.filled0 or 0))
    return lo ~= nil and not amount_lt(a[at], a[at + 1], lo, hi)
  end

  -- How many of `lots` lots at `price` ticks an amount (lo, hi) of quote pays for.
  FUNDS.lots = lots_for

  -- How many of `lots` lots at `price` ticks user `uid`'s free quote pays for (a market buy's next fills).
  function FUNDS.affordable(uid, price, lots)
    local a = account(uid)
    return lots_for(a[QUOTE_FREE], a[QUOTE_FREE + 1], price, lots)
  end

  -- User `uid`'s free quote, as a budget to spend with FUNDS.spend (a fill-or-kill market buy's check).
  function FUNDS.budget(uid)
    local a = account(uid)
    return a[QUOTE_FREE], a[QUOTE_FREE + 1]
  end

  -- The budget (lo, hi) less `lots` lots at `price` ticks; nil when it does not cover them.
  function FUNDS.spend(lo, hi, price, lots)
    local plo, phi = amount_mul(price * quote_unit, lots)
    if not plo or amount_lt(lo, hi, plo, phi) then
      return nil
    end
    return amount_sub(lo, hi, plo, phi)
  end

  -- Trade `trade_id`: a fill of `lots` lots at `price` ticks between taker order `tid` of `side` (user
  -- `uid`) and maker order `mid` (user `muid`), in the market's sequence `seq`. The buyer gets the base
  -- and the seller the quote, each less its fee; the taker pays out of its free funds, the maker out of
  -- its lock; both keep the fill. Returns the trade, packed (TRADE).
  function FUNDS.fill(side, uid, muid, price, lots, trade_id, mid, tid, seq)
    local blo, bhi = amount_mul(lots, base_unit)
    local qlo, qhi = amount_mul(price * quote_unit, lots)
    local taker, maker = changing(uid), changing(muid)
    local tflo, tfhi, mflo, mfhi, rebate
    if side == BUY then
      take(taker, QUOTE_FREE, qlo, qhi)
      take(maker, BASE_LOCKED, blo, bhi)
      tflo, tfhi = receive(taker, BASE_FREE, blo, bhi, taker_rate, BASE_FEES)
      mflo, mfhi, rebate = receive(maker, QUOTE_FREE, qlo, qhi, maker_rate, QUOTE_FEES)
    else
      take(taker, BASE_FREE, blo, bhi)
      take(maker, QUOTE_LOCKED, qlo, qhi)
      mflo, mfhi, rebate = receive(maker, BASE_FREE, blo, bhi, maker_rate, BASE_FEES)
      tflo, tfhi = receive(taker, QUOTE_FREE, qlo, qhi, taker_rate, QUOTE_FEES)
    end
    -- (One pack of the fill, the trade cut out of it: a string less than packing each.)
    local fill = pack(FILL, side, seq, NOW, trade_id, price, lots, mid, tid, muid, uid, tflo, tfhi, mflo, mfhi,
      rebate and 1 or 0)
    local trade, score = sub(fill, TRADE_AT), format('%d', trade_id)
    keep(taker, uid, score, fill)
    keep(maker, muid, score, fill)
    return trade
  end

  -- What is left of an order (`lots` lots of `side` at `price` ticks, user `uid`) rests: locked.
  function FUNDS.rest(side, uid, price, lots)
    local a = changing(uid)
    local at, lo, hi = held(side, price, lots)
    take(a, at, lo, hi)
    add(a, at + 2, lo, hi)
  end

  -- A resting order leaves the book with `lots` lots left (cancelled): its lock comes back.
  function FUNDS.release(side, uid, price, lots)
    local a = changing(uid)
    local at, lo, hi = held(side, price, lots)
    take(a, at + 2, lo, hi)
    add(a, at, lo, hi)
  end

  -- Writes the accounts and the fee account the call changed.
  function FUNDS.store()
    -- (In HSETs of up to 500 accounts: unpack has a limit.)
    for from = 1, nchanged, 500 do
      local n = 0
      for i = from, min(from + 499, nchanged) do
        local a = changed[i]
        fields[n + 1], fields[n + 2] = a.uid_text, pack(ACCOUNT, unpack(a, 1, 12))
        n = n + 2
      end
      call('HSET', accounts_key, unpack(fields, 1, n))
    end
    nchanged = 0
    if fees_changed then
      call('SET', P .. ':fees', pack(FEES, unpack(fees, 1, 8)))
      fees_changed = false
    end
  end
end
