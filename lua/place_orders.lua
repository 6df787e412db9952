-- place_orders: places a batch of orders of one market, one after the other, each matched at once with
-- price-time priority; the whole batch is one atomic step. A batch of one is the plain case; the backend
-- batches orders that arrive together, so that the fixed cost of a call is shared.
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:levels:bids   KEYS[3] {S}:levels:asks   KEYS[4] {S}:trades
-- Every other key (users' open sets and closed hashes, client order ids, level buckets and lists,
-- order buckets) is built from the prefix of KEYS[1], the market's hash tag, and so shares its hash slot:
-- most depend on the book and cannot be known before the call, and naming the others in KEYS costs
-- Redis work per order for nothing it checks (docs/engine-performance.md).
--
-- ARGV[1] now, ms since the epoch            ARGV[2] retention of closed orders, ms
-- ARGV[3] max resting orders one order may touch (the fill cap, <= 1000)
-- ARGV[4] trades stream MAXLEN (approximate) ARGV[5] max open orders per user in this market
-- ARGV[6] closed orders kept per user and market  ARGV[7] resting orders the market may hold
-- ARGV[8] units of the base asset per lot   ARGV[9] units of the quote asset per tick x lot
-- ARGV[10] maker fee rate, ARGV[11] taker fee rate (integers per 10^6; the maker's may be negative)
-- ARGV[12] fills kept per user in this market   ARGV[13] stops the call may place when reached (stops.lua)
-- ARGV[13 + n] order n, packed (ORDER_ARG in engine_lib): order id (from the global counter), user id
--   (< 2^32), side (0 buy, 1 sell), type (0 limit, 1 market), tif (0 gtc, 1 ioc, 2 fok), post_only (0|1),
--   price ticks (0 for market), quantity lots, a market buy's budget of quote (lo, hi; 0: none: then it
--   buys while the budget lasts, reporting what it bought as its quantity), then the client_order_id
--   (possibly empty), after a STOP_TAIL for a stop order (pending until a trade reaches its stop price).
--
-- Returns, for each order, two elements:
--   'ok', events      accepted (see engine_lib; the order itself is the first event's first entry), then
--                     the events of the stops its trades triggered (stops.lua), if any
--   'dup', entry      the client_order_id already names an order of this user: nothing written
--   'refused', code   a rule refuses it (insufficient_funds: its owner's free funds in the market's
--                     sub-account do not cover it): nothing written for it
-- The events of the accepted orders are published on {S}:events as one message.
--
-- Fill cap: an incoming order touches at most ARGV[3] resting orders (fills and self-trade cancels);
-- whatever is left after that is cancelled, whatever its time in force, so one call stays short.

-- Step 1: every argument of every order is checked before anything is written.

local trades_maxlen, stop_budget = MATCHING_CALL.settings()
local count = #ARGV - 13
if count < 1 or #KEYS ~= 4 then
  error('invalid arguments: need 13 + n ARGV for n >= 1 orders and 4 KEYS')
end
for n = 1, count do
  local packed = ARGV[13 + n]
  if #packed < ORDER_ARG_LEN then
    error('invalid argument: order ' .. n .. ' is not a packed order')
  end
  local id, uid, side, otype, tif, post_only, price, qty, blo, bhi = sunpack(ORDER_ARG, packed)
  local tail = #packed > ORDER_ARG_LEN and sub(packed, ORDER_ARG_LEN + 1) or ''
  local cid, stop = split_tail(tail)
  local budget = blo > 0 or bhi > 0
  if id < 1 or id > MAX_INT or uid < 1 or side > SELL or otype > MARKET or tif > FOK or post_only > 1 or qty < 1
    or qty > MAX_INT or (otype == LIMIT) ~= (price > 0) or (otype == MARKET and post_only == 1)
    or (cid ~= '' and not is_cid(cid)) or (budget and (otype ~= MARKET or side ~= BUY or bhi >= 1073741824))
    or (stop and (stop < 1 or stop > MAX_INT or budget)) then
    error('invalid argument: order ' .. n .. ' breaks a rule of its fields (see place_orders.lua)')
  end
  local o = ORDERS[n]
  if not o then
    o = {}
    ORDERS[n] = o
  end
  o.id, o.uid, o.side, o.otype, o.tif, o.post_only, o.price, o.qty, o.cid, o.trade_base =
    id, uid, side, otype, tif, post_only, price, qty, cid, id * TRADES_PER_ORDER
  -- (false, not nil, when the order is by quantity or no stop: the table is reused, and a field set to
  -- nil is a key Lua's collector removes, which the next order adds again, growing the table anew)
  o.blo, o.bhi = budget and blo or false, budget and bhi or false
  o.stop, o.tail = stop or false, tail
end

local state = call('MGET', KEYS[1], resting_key(), STOPS.reached_key())
local seq_before = tonumber(state[1] or '0')
start_matching(seq_before, tonumber(state[2] or '0'))
STOPS.start(state[3], stop_budget)

-- Step 2: each order in turn (matching.lua; a stop: stops.lua), then the stops it reached. The reply and
-- the events are gathered in tables kept from call to call (Redis reads a reply up to its first nil).
local replies, events, nevents = PLACE_REPLIES, PLACE_EVENTS, 0
for n = 1, count do
  local o = ORDERS[n]
  local kind, payload
  if o.stop then
    kind, payload = STOPS.place(o)
  else
    kind, payload = place(o)
  end
  if kind == REPLY_OK then
    nevents = nevents + 1
    events[nevents] = payload
    local before = nevents
    nevents = STOPS.trigger(events, nevents)
    if nevents > before then
      payload = concat(events, '', before, nevents)
    end
  end
  replies[2 * n - 1] = kind
  replies[2 * n] = payload
end
replies[2 * count + 1] = nil
MATCHING_CALL.finish(seq_before, trades_maxlen, events, nevents)
return replies
