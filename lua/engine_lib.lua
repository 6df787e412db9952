-- The engine is one Redis Function library: this file and matching.lua (which follows it) are its
-- shared part, and each operation's file (place_orders.lua, ...) the body of one function, run with
-- KEYS and ARGV set (see `begin`); backend/src/engine/library.rs assembles the library. It is loaded
-- once, not run on every call, so the definitions below cost nothing per call.
--
-- Integers only: prices are ticks, quantities lots, all below 2^53 so Lua's doubles hold them exactly.
-- Never turn a number into text with tostring() or `..` (they print 1e+15 style): fmt() is exact.
-- The hot path avoids what costs Redis's Lua most (the figures: docs/engine-performance.md): integer
-- division is `(a - a % b) / b` rather than a call of math.floor; text the engine wrote itself (ids,
-- prices) becomes a number by `text + 0`, where tonumber() would convert it twice (an argument is
-- still checked with tonumber); records, trades and events are packed binary (struct.pack), exact
-- and far cheaper than text; every redis.call argument is a string (Redis formats a Lua number with
-- a slow %.17g).
--
-- Orders of a market `{S}`:
--   open:   bucket hash `{S}:open:<id // BUCKET_IDS>`, field `<id % BUCKET_IDS>` = record .. client
--           order id. A bucket holds few small fields, so Redis keeps it as a compact listpack (a
--           client order id makes the value longer than listpack values may be, and that bucket a
--           plain hash table).
--   closed: the owner's hash `{S}:user:<uid>:closed`, field `<id>` = record .. client order id, and one
--           field `w<window>` (see closing_window). It is trimmed to the history cap and expires a
--           retention (and at most an eighth more) after its last close; a closed order whose last
--           update is older than the retention counts as gone.
--   fills:  the user's sorted set `{S}:user:<uid>:fills`, member FILL_HEAD .. TRADE, scored by the
--           trade's id, for both parties of every trade; kept to its newest ARGV-given number (a count
--           in the user's sub-account says when to trim: settlement.lua).
--   resting orders: string key `{S}:resting`, their number (for the per-market cap; counted from the
--           first call of a library that keeps it, so a market older than that counts low).
-- Price levels of a market `{S}` (see "Levels" below), per side (`bids`, `asks`):
--   level buckets: hash `{S}:levels:bids:<price // LV.TICKS>`, for each level of those prices field
--           `t<price % LV.TICKS>` = its total lots and, while its queue is short, field `q<...>` = its
--           queue: up to LV.INLINE order ids packed (ID), oldest first;
--   buckets: sorted set `{S}:levels:bids` of the side's buckets that hold a level (member and score the
--           bucket's number);
--   long queues: a level whose queue outgrew LV.INLINE ids keeps it in the list `{S}:bids:<price>`
--           instead (no `q` field), with tombstones (see "Level queues" below): the level's dead set
--           `<list>:dead` and, while a sweep is under way, its front list `<list>:front`.

-- Library functions as locals: a global is a table lookup at every use (redis.call two). They are not
-- visible while a library loads, so `begin` binds them on the first call.
local call, pack, sunpack, floor, max, min, sub, char, byte, find, format, concat
local tonumber, tostring, error, ipairs, unpack, sort

-- Formats: the one definition of what the engine stores, answers and publishes. Rust mirrors them in
-- backend/src/engine/wire.rs; the function engine_format reports them, and the engine test `formats`
-- fails when the two sides disagree. struct.pack layouts, little-endian: B is 1 byte, H 2, In n.
--   RECORD      an order as stored: user id, flags, price ticks (0 = market), quantity lots, filled
--               lots, notional lo and hi (the sum of fill ticks x lots is hi * 2^20 + lo), created ms,
--               updated ms. A bucket's or a closed hash's value is a record, then the client order id.
--   ENTRY       an order as answered and published: id, record, client order id length; then the id.
--   ORDER_ARG   a placement argument: order id, user id, side, type, tif, post_only, price ticks,
--               quantity lots, a market buy's budget of quote (lo, hi; 0: none); then the client
--               order id.
--   TRADE       id, price, qty, maker order id, taker order id, maker user id, taker user id; the
--               taker's fee (an amount: lo, hi; in the asset it receives), the maker's fee or rebate
--               (lo, hi) and whether it is a rebate (0/1).
--   FILL_HEAD   a fill as kept for each party (`{S}:user:<uid>:fills`, scored by trade id): the taker's
--               side, the sequence and time ms of the trade; then its TRADE.
--   TRADE_GROUP field `t` of a {S}:trades entry is the trades of one call, a group per taker order:
--               taker side, sequence, time ms, number of trades; then the trades.
--   LEVEL       side (0 bids, 1 asks), price, the level's new total lots (64 bits: see "Level totals").
--   EVENT       a command's event: sequence, book changed (0/1), time ms, numbers of order entries,
--               trades and levels; then the levels, the entries and the trades.
--   CANDLE      a candle (fold_candles.lua): open time ms, open, high, low and close ticks, volume in
--               lots (lo, hi) and in ticks x lots (lo, hi), number of trades.
--   STOP_TAIL   a stop order's (stops.lua) client order id is kept after a tag (a byte no client order
--               id holds: STOP_TAG while the stop is pending, TRIGGERED_TAG once a trade placed it) and
--               its stop price ticks: wherever a client order id is stored, answered or passed as a
--               placement's argument, so a record's layout is the same for every order. (The tag is
--               what tells the public feed whether a cancelled stop was ever an order anyone could see.)
local RECORD_FIELDS = 'I4BI6I7I7I3I7I6I6'
local ID = '<I7'
local REC = '<' .. RECORD_FIELDS
local ENTRY = ID .. RECORD_FIELDS .. 'B'
local ORDER_ARG = '<I7I4BBBBI6I7I4I4'
local TRADE = '<I7I6I7I7I7I4I4I4I4I4I4B'
local FILL_HEAD = '<BI7I6'
local TRADE_GROUP = '<BI7I6H'
local LEVEL_HEAD = '<BI6'
local LEVEL = LEVEL_HEAD .. 'I8'
local EVENT = '<I7BI6HHH'
local CANDLE = '<I6I6I6I6I6I4I7I4I7I6'
local STOP_TAIL = '<BI7'
local STOP_TAGS = { PENDING = 1, TRIGGERED = 2 } -- (STOP_TAIL's STOP_TAG and TRIGGERED_TAG)
-- A plain resting order's whole event is one pack (every string made costs Redis's Lua a hash and an
-- allocation); an order entry is packed in one go too, and its record cut out of it.
local REST_EVENT = EVENT .. LEVEL .. ENTRY -- (each part's '<' again: struct takes it anywhere)
-- Sizes in bytes, and where a record lies (1-based) in an entry, in a REST_EVENT and, for the maker,
-- in a FILL_EVENT (matching.lua) after the order's client order id: worked out from the formats by
-- `begin` on the first call (struct is not visible while the library loads).
local ID_LEN, REC_LEN, ORDER_ARG_LEN, ENTRY_RECORD, REST_RECORD, FILL_MAKER_RECORD
-- Where the level's total lies in a REST_EVENT and a FILL_EVENT (after the event's head and the
-- level's side and price).
local EVENT_LEVEL_TOTAL
-- Where a stored value's client order id starts.
local CID_AT

-- Codes. A record's flags are side + type * TYPE_UNIT + tif * TIF_UNIT + post_only * POST_ONLY_UNIT +
-- status * STATUS_UNIT. A stop order's type is the order it becomes (its stop price is in its tail); it
-- is PENDING until it triggers.
local BUY, SELL = 0, 1
local LIMIT, MARKET = 0, 1
local GTC, IOC, FOK = 0, 1, 2
local OPEN, PARTIAL, FILLED, CANCELLED, PENDING = 0, 1, 2, 3, 4
local TYPE_UNIT, TIF_UNIT, POST_ONLY_UNIT, STATUS_UNIT = 2, 4, 16, 32
-- Open orders share a bucket hash per BUCKET_IDS consecutive ids.
local BUCKET_IDS = 64
-- Price levels share a bucket hash per LV.TICKS consecutive prices (two fields per level: 128 at most,
-- so a bucket stays a compact listpack); a level's queue stays in its bucket up to LV.INLINE ids (56
-- bytes: within a listpack's 64-byte values). LV.T[off], LV.Q[off]: the field names of the level at
-- `price % LV.TICKS` = off; LV.OFF[name]: the offset a field name is of. (One table: the library's
-- main chunk may hold at most 200 locals; SLOT_T, SLOT_Q and OFFS are read_levels' own.)
local LV = { TICKS = 64, INLINE = 8, T = {}, Q = {}, OFF = {}, SLOT_T = {}, SLOT_Q = {}, OFFS = {} }
for off = 0, LV.TICKS - 1 do
  LV.T[off], LV.Q[off] = 't' .. off, 'q' .. off
  LV.OFF[LV.T[off]], LV.OFF[LV.Q[off]] = off, off
end
-- A trade's id is its taker order's id * TRADES_PER_ORDER + the trade's index among that order's
-- trades: unique and growing, since one order makes at most the fill cap (<= 1,000) trades, and exact
-- while order ids stay below 2^53 / TRADES_PER_ORDER (about 8.8e12).
local TRADES_PER_ORDER = 1024
-- A script's reply for each command: a kind, then its payload (see place_orders.lua).
local REPLY_OK, REPLY_DUP, REPLY_REFUSED = 'ok', 'dup', 'refused'
-- The codes a command is refused with (the payload of a REPLY_REFUSED), as fields of one table: the
-- library's main chunk may hold at most 200 locals. (INVALID_QUANTITY: an amend to a quantity not
-- above what has filled.)
local REFUSAL = {
  NOT_FOUND = 'not_found', ORDER_NOT_OPEN = 'order_not_open', POST_ONLY_WOULD_CROSS = 'post_only_would_cross',
  TOO_MANY_OPEN_ORDERS = 'too_many_open_orders', LEVEL_FULL = 'level_full', MARKET_FULL = 'market_full',
  INVALID_QUANTITY = 'invalid_quantity', WOULD_TRIGGER_IMMEDIATELY = 'would_trigger_immediately',
}

local TWO20 = 1048576
local MAX_INT = 9007199254740991
-- The most lots a level may hold: Redis counts a level's total in 64 bits, and below 2^62 one more
-- order (<= 2^53 lots) cannot overflow it. (Thousands of times what the per-market cap of resting
-- orders lets a level hold in the default markets.)
local LEVEL_MAX = 4611686018427387904
local MAX_UID = 4294967295
-- State. Everything a call reads or changes besides its locals is here, with what sets or resets it.
--
-- The call's (none of it outlives the call):
-- its keys and arguments (set by `begin`);
local KEYS, ARGV
-- its market: the hash-tagged prefix `{BTC/USD}` from KEYS[1] = `{BTC/USD}:seq`, and the names built
-- from it, per side: the book (sorted set of level buckets), the long queues' list prefix and the level
-- buckets' prefix. Set by `begin`;
local P, BOOK, LEVEL_PREFIX, BUCKET_PREFIX
-- the market's memos of names (see NAMES; set by `begin`);
local BUCKETS, USERS, PRICES, BUCKET_BASE
-- the time (ms) and the limits its function was given: the retention of closed orders (ms), the
-- closed orders kept per user and market, and the sweep's step (see "Level queues"; set by each
-- function's first step, from its arguments);
local NOW, RETENTION, HISTORY_CAP, SWEEP
-- the closing window of NOW (see closing_window; reset by `begin`, worked out on the call's first close).
local WINDOW
--
-- Across calls (a library keeps its state until it is loaded again): names made from numbers,
-- memoised per market, since formatting a number and joining a key cost Redis's Lua far more than a
-- table look-up: bucket keys by bucket number, a user's two keys by user id, a level's names by side
-- and price (price_names), a level bucket's first price by its number's text; and quantities as text
-- (a level's total changes by an order's size, and sizes repeat). All dropped at once past MEMO_MAX
-- names (`begin`), so the library's memory stays bounded. The bound is small on purpose: every string
-- Lua makes is looked up in its string table and every collection walks the whole heap, and the larger
-- the memo, the more of that misses the caches (the measurements that chose it:
-- docs/engine-performance.md). A market with more than about 2,000 users trading at once formats
-- their keys again more often.
local MEMO_MAX, memo_count = 5000, 0
local NAMES, LOTS = {}, {}

local function fmt(n)
  return format('%d', n)
end

-- ARGV[i] as an integer in [lo, hi (default MAX_INT)]; anything else stops the script before its
-- first write.
local function int_arg(i, lo, hi)
  local v = tonumber(ARGV[i])
  if not v or v % 1 ~= 0 or v < lo or v > (hi or MAX_INT) then
    error('invalid argument ARGV[' .. i .. ']: ' .. sub(tostring(ARGV[i]), 1, 40))
  end
  return v
end

-- Runs `command` on `key` with the (non-empty) list `items` as its arguments, a thousand at a time (unpack
-- has a limit).
local function call_in_thousands(command, key, items)
  for from = 1, #items, 1000 do
    call(command, key, unpack(items, from, min(from + 999, #items)))
  end
end

-- A stored or given client order id (a stop's follows its STOP_TAIL) split: the client order id, and
-- the stop price (nil: no stop order).
local split_tail
do
  local STOP_TAG, TRIGGERED_TAG = STOP_TAGS.PENDING, STOP_TAGS.TRIGGERED
  function split_tail(tail)
    local tag = byte(tail, 1)
    if tag == STOP_TAG or tag == TRIGGERED_TAG then
      local _, stop = sunpack(STOP_TAIL, tail)
      return sub(tail, 9), stop
    end
    return tail
  end
end

-- Whether a text is a client_order_id: empty or up to 64 characters of A-Z a-z 0-9 _ - (safe in keys).
local function is_cid(v)
  return #v <= 64 and not find(v, '[^%w_%-]')
end

-- Binds the library functions and works out the sizes of the formats: on the library's first call
-- (neither is visible while a library loads).
local function bind()
  call, pack, sunpack = redis.call, struct.pack, struct.unpack
  floor, max, min = math.floor, math.max, math.min
  sub, char, byte, find = string.sub, string.char, string.byte, string.find
  format, concat = string.format, table.concat
  tonumber, tostring, error, ipairs = _G.tonumber, _G.tostring, _G.error, _G.ipairs
  unpack, sort = _G.unpack, table.sort
  local size = struct.size
  ID_LEN, REC_LEN, ORDER_ARG_LEN = size(ID), size(REC), size(ORDER_ARG)
  ENTRY_RECORD, REST_RECORD = ID_LEN + 1, size(EVENT) + size(LEVEL) + ID_LEN + 1
  -- (After the order's record: its client order id's length, the id itself, then the maker's id.)
  FILL_MAKER_RECORD = REST_RECORD + REC_LEN + 1 + ID_LEN
  EVENT_LEVEL_TOTAL = size(EVENT) + size(LEVEL_HEAD) + 1
  CID_AT = REC_LEN + 1
end

-- Starts serving a call of a user's keys (funds.lua): its keys and arguments.
local function begin_user(keys, args)
  if not call then
    bind()
  end
  KEYS, ARGV = keys, args
end

-- Starts serving a call on a market: its keys, arguments and market.
local function begin(keys, args)
  if not call then
    bind()
  end
  KEYS, ARGV = keys, args
  P = sub(keys[1], 1, -5)
  if memo_count > MEMO_MAX then
    NAMES, LOTS, memo_count = {}, {}, 0
  end
  local names = NAMES[P]
  if not names then
    names = {
      { [0] = P .. ':levels:bids', [1] = P .. ':levels:asks' },
      { [0] = P .. ':bids:', [1] = P .. ':asks:' },
      { [0] = P .. ':levels:bids:', [1] = P .. ':levels:asks:' },
      {}, {}, { [0] = {}, [1] = {} }, {},
    }
    NAMES[P], memo_count = names, memo_count + 10
  end
  BOOK, LEVEL_PREFIX, BUCKET_PREFIX = names[1], names[2], names[3]
  BUCKETS, USERS, PRICES, BUCKET_BASE = names[4], names[5], names[6], names[7]
  WINDOW = nil
end

-- Names.

local function bucket_key(id)
  local number = (id - id % BUCKET_IDS) / BUCKET_IDS
  local key = BUCKETS[number]
  if not key then
    key = P .. ':open:' .. fmt(number)
    BUCKETS[number], memo_count = key, memo_count + 1
  end
  return key
end

-- A user's keys in the market: open set, closed hash and fills; then the user's id as text.
local function user_names(uid)
  local keys = USERS[uid]
  if not keys then
    local uid_text = fmt(uid)
    local prefix = P .. ':user:' .. uid_text .. ':'
    keys = { prefix .. 'open', prefix .. 'closed', prefix .. 'fills', uid_text }
    USERS[uid], memo_count = keys, memo_count + 4
  end
  return keys
end

-- A user's open set and closed hash keys.
local function user_keys(uid)
  local keys = user_names(uid)
  return keys[1], keys[2]
end

-- A quantity (lots) as text.
local function lots_text(lots)
  local text = LOTS[lots]
  if not text then
    text = format('%d', lots)
    LOTS[lots], memo_count = text, memo_count + 1
  end
  return text
end

-- The key mapping a user's client order id to its order id.
local function cid_key(uid, cid)
  return P .. ':cid:' .. fmt(uid) .. ':' .. cid
end

-- A price level's names, by side and price: a table of its bucket's number as text (`bucket`) and key
-- (`hash`), its two fields there (`t`, `q`) and its long queue's list key (`list`).
local function price_names(side, price)
  local L = PRICES[side][price]
  if not L then
    local off = price % LV.TICKS
    local bucket = fmt((price - off) / LV.TICKS)
    L = { bucket = bucket, hash = BUCKET_PREFIX[side] .. bucket, t = LV.T[off], q = LV.Q[off],
      list = LEVEL_PREFIX[side] .. fmt(price) }
    PRICES[side][price], memo_count = L, memo_count + 3
  end
  return L
end

-- A bucket's field names, `id % BUCKET_IDS` as text: constants of the library, so no formatting at run
-- time. (Also the text of small counts, for LPOP.)
local FIELD = {
  [0] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15',
  '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31',
  '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47',
  '48', '49', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63',
}

-- Records. An order read back is a table: id, id_text, cid, uid, flags, side, price, qty, filled, nlo,
-- nhi, created, updated (RECORD's fields) and, when it was read from one, its bucket's key.

local function unpack_order(id, id_text, rec, cid, bucket)
  local uid, flags, price, qty, filled, nlo, nhi, created, updated = sunpack(REC, rec)
  return {
    id = id, id_text = id_text, cid = cid or '', uid = uid, flags = flags, side = flags % TYPE_UNIT, price = price,
    qty = qty, filled = filled, nlo = nlo, nhi = nhi, created = created, updated = updated, bucket = bucket,
  }
end

local function pack_order(o)
  return pack(REC, o.uid, o.flags, o.price, o.qty, o.filled, o.nlo, o.nhi, o.created, o.updated)
end

local function set_status(o, status)
  o.flags = (o.flags % STATUS_UNIT) + status * STATUS_UNIT
end

-- A filled quantity and notional (lo, hi) with a fill of `lots` at `price` ticks added. Exact: with
-- price = ph·2^20 + pl and lots = lh·2^20 + ll, price × lots = (ph·ll + price·lh)·2^20 + pl·ll, where
-- pl·ll < 2^40, ph·ll < 2^53 and price·lh <= price × lots / 2^20 < 2^53 (a market keeps max price ×
-- max quantity below 2^73).
local function add_fill(filled, lo, hi, price, lots)
  local pl, ll = price % TWO20, lots % TWO20
  local l = lo + pl * ll
  local l_lo = l % TWO20
  return filled + lots, l_lo, hi + (price - pl) / TWO20 * ll + price * ((lots - ll) / TWO20) + (l - l_lo) / TWO20
end

-- An open order by id (text), or nil.
local function load_open(id_text)
  local id = id_text + 0
  local bucket = bucket_key(id)
  local found = call('HGET', bucket, FIELD[id % BUCKET_IDS])
  if found then
    return unpack_order(id, id_text, found, sub(found, CID_AT), bucket)
  end
end

-- An order of user `uid` by id (text), open or closed within the retention; nil when there is none.
-- The second result says whether it is open.
local function load_users_order(id_text, uid)
  local o = load_open(id_text)
  if o then
    if o.uid == uid then
      return o, true
    end
    return nil, false
  end
  local _, closed_key = user_keys(uid)
  local closed = call('HGET', closed_key, id_text)
  if closed then
    o = unpack_order(tonumber(id_text), id_text, sub(closed, 1, REC_LEN), sub(closed, CID_AT))
    if o.updated + RETENTION > NOW then
      return o, false
    end
  end
  return nil, false
end

-- An order entry (ENTRY, then the client order id) from the order's id, packed record and client
-- order id.
local function entry_of(id, record, cid)
  return pack(ID, id) .. record .. (cid == '' and '\0' or char(#cid)) .. cid
end

-- An order entry packed from the order's fields (RECORD's, in order), and its record cut out of it.
local function pack_entry(id, uid, flags, price, qty, filled, nlo, nhi, created, updated, cid)
  local entry = pack(ENTRY, id, uid, flags, price, qty, filled, nlo, nhi, created, updated, #cid) .. cid
  return entry, sub(entry, ENTRY_RECORD, ENTRY_RECORD + REC_LEN - 1)
end

local function order_entry(o, record)
  return entry_of(o.id, record or pack_order(o), o.cid)
end

-- Closing. A closed hash lives until at least a retention after its last close. Rather than an expiry
-- set on every close, time is cut into windows of an eighth of the retention and the hash holds a
-- marker field `w<window>` of the window of its last close: the close that adds the marker (HSET
-- counts it as new) sets the expiry to the window's end plus the retention, and drops the markers of
-- the 8 windows before (a hash whose last close is older than that has expired with its markers).
--
-- The marker's value is longer than a listpack value may be (64 bytes), so Redis keeps every closed hash
-- as a hash table from its first close: as a listpack (up to 128 fields) every close scanned the whole
-- hash for the new field, and at tens of closed orders that scan was the engine's single largest cost
-- (docs/engine-performance.md). It costs memory only while a user has at most 128 closed orders in a
-- market (past that a hash is a table anyway): about 50 bytes more per closed order, at most 7 KB per
-- user and market.
local MARKER_VALUE = 'closing-window marker; a value over 64 bytes keeps this hash a hash table'

-- The marker and the expiry of NOW's window, worked out once per call.
local function closing_window()
  if not WINDOW then
    local width = max(1, floor(RETENTION / 8))
    local w = floor(NOW / width)
    WINDOW = { w = w, field = 'w' .. fmt(w), ttl = fmt((w + 1) * width + RETENTION - NOW) }
  end
  return WINDOW
end

local function stale_windows(window)
  local stale = {}
  for i = 1, 8 do
    stale[i] = 'w' .. fmt(window.w - i)
  end
  return stale
end

-- Trims a closed hash back to HISTORY_CAP orders, oldest ids first, once it holds a quarter more. A
-- look (HLEN) on every close costs the engine 2.6% of its instructions per order, so close_record
-- looks on every close whose moment a client chooses (a cancel, a self-trade cancel) and otherwise on
-- about one close in 4, when either of two hashes falls below 1/8:
--  - frac(id x 0.618...), the golden ratio: along any arithmetic progression of ids it leaves only
--    bounded gaps, so users taking turns (whose ids share a residue) are trimmed as often as others;
--  - frac(id x 0.618... + NOW x 0.754...), with the close's time: the id alone could be dodged by a
--    client who sees ids coming (an idle market's next id is the last one + 1) and spends the ids that
--    pass on orders refused or kept open, but the millisecond an ioc order or a fill closes is not
--    theirs to pick. A run of closes that passes both is about 8 long, 100 long once in 600,000.
local function trim_history(closed_key)
  if call('HLEN', closed_key) <= HISTORY_CAP + floor(HISTORY_CAP / 4) then
    return
  end
  local ids = {}
  for _, field in ipairs(call('HKEYS', closed_key)) do
    ids[#ids + 1] = tonumber(field) -- (the marker is no number)
  end
  sort(ids)
  local oldest = {}
  for i = 1, #ids - HISTORY_CAP do
    oldest[i] = fmt(ids[i])
  end
  call_in_thousands('HDEL', closed_key, oldest)
end

-- Moves order `id` (`id_text`) of user `uid` into its owner's closed hash, with its packed `record`
-- (last updated NOW) and client order id; when it was open, `bucket` is its bucket's key and it leaves
-- the bucket and its owner's open set. Its client_order_id mapping expires a retention later. The
-- owner's keys are built from `uid` unless given. `chosen`: the client chose when it closes (see
-- trim_history).
local function close_record(id, id_text, uid, cid, record, bucket, open_key, closed_key, chosen)
  if not closed_key then
    open_key, closed_key = user_keys(uid)
  end
  if bucket then
    call('HDEL', bucket, FIELD[id % BUCKET_IDS])
    call('SREM', open_key, id_text)
  end
  local window = closing_window()
  if call('HSET', closed_key, id_text, record .. cid, window.field, MARKER_VALUE) == 2 then
    call('PEXPIRE', closed_key, window.ttl)
    call('HDEL', closed_key, unpack(stale_windows(window)))
  end
  local golden = id * 0.6180339887498949
  if chosen or golden % 1 < 0.125 or (golden + NOW * 0.7548776662466927) % 1 < 0.125 then
    trim_history(closed_key)
  end
  if cid ~= '' then
    call('SET', cid_key(uid, (split_tail(cid))), id_text, 'PX', fmt(RETENTION))
  end
end

-- Moves an order read back (see unpack_order) and cancelled into its owner's closed hash, out of its
-- bucket and the owner's open set when it was open. Returns the packed record.
local function store_cancelled(o, was_open)
  local record = pack_order(o)
  close_record(o.id, o.id_text, o.uid, o.cid, record, was_open and (o.bucket or bucket_key(o.id)), nil, nil, true)
  return record
end

-- The key counting the market's resting orders.
local function resting_key()
  return P .. ':resting'
end

-- Levels.
--
-- A side's price levels live in buckets of LV.TICKS prices (see the key list at the top): a level is a
-- pair of fields in its bucket, its total and its queue, so a level costs a few dozen bytes where a key
-- or a sorted-set member of its own would cost about a hundred each (docs/engine-performance.md,
-- "Sparse books"). The side's set orders the buckets, and a bucket's levels are ordered by their
-- offsets within it (read_levels).
--
-- A short queue (up to LV.INLINE orders: most levels away from the touch) is the `q` field itself: an
-- order joins it and leaves it by a rewrite of a few dozen bytes. A queue that grows past that spills
-- to the level's list for the rest of the level's life, and is a list as below.
--
-- Level queues in a list. A cancel must not cost more on a long level than on a short one (a list's
-- LREM reads the list from its front: 500 cancels at a level of 10,000 orders once took 100 ms in one
-- call). So a cancel leaves the order's id in its level's list as a tombstone: the order is gone from
-- its bucket and its id joins the level's dead set. Matching takes tombstones off the front with the
-- orders it meets (their bucket has no record) and counts them as nothing; a sweep removes the
-- others, so that a list holds few more ids than its level has orders however much is cancelled.
--
-- The sweep is a pass over a level's list from its front, SWEEP entries per cancel at the level: it
-- moves the live ids to the back of the level's front list and drops the dead ones. A pass starts
-- once the level has SWEEP tombstones, and while it is under way the list's first entry is PASS_MARK:
-- the level's queue is then the front list, followed by the list after the mark. New orders join the
-- list's back as always (placing pays nothing for the sweep), and matching that meets the mark reads
-- the front list first. When the list runs out the front list takes its name and the pass is over.
-- A pass over n entries takes n / SWEEP cancels, so the tombstones a level holds stay below about
-- SWEEP + 2n / SWEEP (a cancel-all sweeps a step per order it cancels at a level, up to 64 steps: one
-- that cancels k > 64 orders at a level adds k tombstones for 64 steps, so with the open-orders cap
-- of 500, a level's tombstones stay below about a quarter of it), and a run of them that matching must
-- skip at once is as short.
local PASS_MARK = 'sweep'

-- A level's front list and dead set, from its list's key.
local function front_key_of(list_key)
  return list_key .. ':front'
end

local function dead_key_of(list_key)
  return list_key .. ':dead'
end

-- Removes a level that holds no order any more (its total is 0), given its names (price_names): its
-- fields, its lists and dead set when its queue had spilled, and its bucket from the side's set when it
-- was the bucket's last level.
local function delete_level(side, L)
  if call('HDEL', L.hash, L.t, L.q) < 2 then
    local list_key = L.list
    call('DEL', list_key, front_key_of(list_key), dead_key_of(list_key))
  end
  if call('EXISTS', L.hash) == 0 then
    call('ZREM', BOOK[side], L.bucket)
  end
end

-- The order ids of an inline queue `q` as text, oldest first, into `ids` (from 1); returns how many.
local function inline_ids(q, ids)
  local n = #q / ID_LEN
  for i = 1, n do
    ids[i] = format('%d', sunpack(ID, q, (i - 1) * ID_LEN + 1))
  end
  return n
end

-- Side `side`'s first levels, best first, a whole bucket at a time until there are at least `want` (or
-- the side has no more), from the bucket of rank `start` (default 0, the best): their prices into
-- `prices` (from 1); when given, their totals (as text) into `totals`, their inline queues (false: the
-- queue is a list) into `queues`, and whether each one's queue is inline, by price, into `kinds`.
-- Returns how many, whether they are all the side has from `start`, and the rank of the first bucket
-- not read (to read on from).
local function read_levels(side, want, prices, totals, queues, kinds, start)
  local n, from, chunk = 0, start or 0, min(max(want, 2), 8)
  local SLOT_T, SLOT_Q, OFFS, OFF = LV.SLOT_T, LV.SLOT_Q, LV.OFFS, LV.OFF
  local set, prefix, asks = BOOK[side], BUCKET_PREFIX[side], side == SELL
  while n < want do
    -- (Ranks as text: the constants of FIELD for the first 64.)
    local first, last = FIELD[from] or fmt(from), FIELD[from + chunk - 1] or fmt(from + chunk - 1)
    local buckets = asks and call('ZRANGE', set, first, last) or call('ZREVRANGE', set, first, last)
    for b = 1, #buckets do
      if n >= want then
        return n, false, from + b - 1
      end
      -- The bucket's levels by offset, then in order, best first (an insertion sort: a bucket holds few).
      local fields, k = call('HGETALL', prefix .. buckets[b]), 0
      for i = 1, #fields, 2 do
        local name = fields[i]
        local off = OFF[name]
        if byte(name, 1) == 116 then -- ('t')
          k = k + 1
          OFFS[k], SLOT_T[off] = off, fields[i + 1]
        else
          SLOT_Q[off] = fields[i + 1]
        end
      end
      for i = 2, k do
        local off, j = OFFS[i], i - 1
        while j > 0 and (OFFS[j] > off) == asks do
          OFFS[j + 1], j = OFFS[j], j - 1
        end
        OFFS[j + 1] = off
      end
      -- (The bucket's first price, memoised by its number's text.)
      local base = BUCKET_BASE[buckets[b]]
      if not base then
        base = (buckets[b] + 0) * LV.TICKS
        BUCKET_BASE[buckets[b]], memo_count = base, memo_count + 1
      end
      for i = 1, k do
        local off = OFFS[i]
        local q = SLOT_Q[off]
        n = n + 1
        prices[n] = base + off
        if totals then
          totals[n] = SLOT_T[off]
        end
        if queues then
          queues[n] = q or false
        end
        if kinds then
          kinds[base + off] = q ~= nil
        end
        SLOT_T[off], SLOT_Q[off] = nil, nil
      end
    end
    from = from + #buckets
    if #buckets < chunk then
      return n, true, from
    end
  end
  return n, false, from
end

-- Level totals. Redis keeps a level's total exactly, in 64 bits, but a Lua number holds 53 bits exactly:
-- a total past MAX_INT (thousands of maximum-size orders at one price) comes back from HINCRBY
-- rounded. The rounded value still says the total is large (and is exact enough for what the engine
-- decides with it: whether it is 0, or the order's own), and events then carry the total read back as
-- text and packed exactly.

-- Side `side`'s level total at `price` ticks, read back and packed exactly: the decimal text (below
-- 2^64) as 8 little-endian bytes, by division by 256 on the digits. (One function: the library's main
-- chunk may hold at most 200 locals.)
local function exact_total(side, price)
  local L = price_names(side, price)
  local text = call('HGET', L.hash, L.t)
  local digits, bytes = {}, {}
  for i = 1, #text do
    digits[i] = byte(text, i) - 48
  end
  for b = 1, 8 do
    local rest = 0
    for i = 1, #digits do
      local n = rest * 10 + digits[i]
      rest = n % 256
      digits[i] = (n - rest) / 256
    end
    bytes[b] = char(rest)
  end
  return concat(bytes)
end

-- The packed LEVEL of side `side`'s level at `price` ticks whose new total is `total` (as HINCRBY
-- answered it).
local function level_entry(side, price, total)
  if total <= MAX_INT then
    return pack(LEVEL, side, price, total)
  end
  return pack(LEVEL_HEAD, side, price) .. exact_total(side, price)
end

-- A REST_EVENT or FILL_EVENT packed with a level total past MAX_INT, with the level's total read back
-- exactly (side `side`, `price` ticks).
local function with_exact_total(event, side, price)
  return sub(event, 1, EVENT_LEVEL_TOTAL - 1) .. exact_total(side, price) .. sub(event, EVENT_LEVEL_TOTAL + 8)
end

-- Takes `lots` off the level at `price` ticks. A level whose total reaches 0 holds no order any more
-- (every resting order has something left) and is removed. Returns the level's new total.
local function reduce_level(side, price, lots)
  local L = price_names(side, price)
  local total = call('HINCRBY', L.hash, L.t, lots_text(-lots))
  if total == 0 then
    delete_level(side, L)
  end
  return total
end

-- Writes side `side`'s level `L` whose queue is inline: the new queue `q`, and its total `t` (as read)
-- changed by `change` lots, both in one HSET; past MAX_INT the total by HINCRBY instead (Redis counts
-- exactly; the rounded total it answers is what the engine decides with). A level whose total reaches 0
-- goes. Returns the new total.
local function write_inline(side, L, t, change, q)
  local total = t + change
  if total > MAX_INT or t + 0 > MAX_INT then
    total = call('HINCRBY', L.hash, L.t, lots_text(change))
    if total ~= 0 then
      call('HSET', L.hash, L.q, q)
    end
  elseif total ~= 0 then
    call('HSET', L.hash, L.t, fmt(total), L.q, q)
  end
  if total == 0 then
    delete_level(side, L)
  end
  return total
end

-- Order `id_text` (`remaining` lots, as text `lots`) joins the back of side `side`'s level `L`, or makes
-- the level: the level's total and queue are read once (its queue is inline, a list, or there is no
-- level yet) and written once. A new level's bucket joins the side's set (a member added again is no
-- change); an inline queue that would pass LV.INLINE ids spills to the level's list. Returns the level's
-- new total and whether its queue is inline (false: a list).
local function enqueue(side, L, id_text, remaining, lots)
  local now = call('HMGET', L.hash, L.t, L.q)
  local t, q = now[1], now[2]
  if not t then
    call('HSET', L.hash, L.t, lots, L.q, pack(ID, id_text + 0))
    call('ZADD', BOOK[side], L.bucket, L.bucket)
    return remaining, true
  end
  if q and #q < LV.INLINE * ID_LEN then
    return write_inline(side, L, t, remaining, q .. pack(ID, id_text + 0)), true
  end
  if q then
    local ids = {}
    ids[inline_ids(q, ids) + 1] = id_text
    call('RPUSH', L.list, unpack(ids))
    call('HDEL', L.hash, L.q)
  else
    call('RPUSH', L.list, id_text)
  end
  return call('HINCRBY', L.hash, L.t, lots), false
end

-- Order `id` leaves side `side`'s level `L` with `lots` it had left, when the level's queue is inline:
-- out of the queue and off the total in one write (the level removed when it was its only order).
-- Returns the level's new total, or nil (nothing written) when the level's queue is a list.
local function leave_inline(side, L, id, lots)
  local now = call('HMGET', L.hash, L.t, L.q)
  local q = now[2]
  if not q then
    return nil
  end
  local packed = pack(ID, id)
  for at = 1, #q, ID_LEN do
    if sub(q, at, at + ID_LEN - 1) == packed then
      q = sub(q, 1, at - 1) .. sub(q, at + ID_LEN)
      break
    end
  end
  return write_inline(side, L, now[1], -lots, q)
end

-- The number of orders at a level whose queue is a list, from its list's key: its ids less its
-- tombstones (and the mark, with the front list's ids, while a sweep is under way).
local function level_orders(list_key)
  local listed = call('LLEN', list_key)
  if listed > 0 and call('LINDEX', list_key, '0') == PASS_MARK then
    listed = listed - 1 + call('LLEN', front_key_of(list_key))
  end
  return listed - call('SCARD', dead_key_of(list_key))
end

-- The lists a level's queue is read from, in order, and where in each it starts: the list alone, or
-- during a sweep the front list and then the list after its mark.
local function level_queue(list_key)
  if call('LINDEX', list_key, '0') == PASS_MARK then
    return front_key_of(list_key), 0, list_key, 1
  end
  return list_key, 0
end

-- One step of the sweep at a level (its list's key): up to `budget` entries (<= 1000) from the front of
-- the list move on, the live ones to the front list, the dead ones out of the dead set. Nothing happens
-- unless a pass is under way or due. Returns whether the step was taken and the pass goes on.
local function sweep_step(list_key, budget)
  local dead_key = dead_key_of(list_key)
  local under_way = call('LINDEX', list_key, '0') == PASS_MARK
  if not under_way and call('SCARD', dead_key) < SWEEP then
    return false
  end
  local skip = under_way and 1 or 0
  local popped = call('LPOP', list_key, fmt(budget + skip))
  local ids = {}
  for i = 1 + skip, #popped do
    ids[#ids + 1] = popped[i]
  end
  local front_key = front_key_of(list_key)
  if #ids > 0 then
    local is_dead = call('SMISMEMBER', dead_key, unpack(ids))
    local live, gone = {}, {}
    for i, id_text in ipairs(ids) do
      if is_dead[i] == 1 then
        gone[#gone + 1] = id_text
      else
        live[#live + 1] = id_text
      end
    end
    if #gone > 0 then
      call('SREM', dead_key, unpack(gone))
    end
    if #live > 0 then
      call('RPUSH', front_key, unpack(live))
    end
  end
  if call('EXISTS', list_key) == 1 then
    call('LPUSH', list_key, PASS_MARK)
    return true
  end
  if call('EXISTS', front_key) == 1 then
    -- The pass is over: the front list is the level's queue.
    call('RENAME', front_key, list_key)
  end
  return false
end

-- Sweeps a level (its list's key) by up to `budget` entries, a step of up to a thousand at a time.
local function sweep_level(list_key, budget)
  while budget > 0 and sweep_step(list_key, min(budget, 1000)) do
    budget = budget - 1000
  end
end

-- Events. The event of a command other than a placement (matching.lua packs its own): the orders it
-- changed, its trades and the level totals after it. (The usual one, one order and at most one level,
-- is joined without table.concat.)
local function command_event(seq, book_changed, orders, trades, levels)
  local head = pack(EVENT, seq, book_changed and 1 or 0, NOW, #orders, #trades, #levels)
  if #orders == 1 and #trades == 0 and #levels <= 1 then
    return head .. (levels[1] or '') .. orders[1]
  end
  return head .. concat(levels) .. concat(orders) .. concat(trades)
end

-- Publishes the events of one call for fan-out, in the same atomic step as the changes.
local function publish(events)
  if #events > 0 then
    call('PUBLISH', P .. ':events', concat(events))
  end
end

-- Cancels a resting order (read back): off its level (out of an inline queue, or its id left a
-- tombstone in the level's list: see "Level queues in a list"), into its owner's closed hash. Returns its
-- order entry, the level's packed new total and, when the order left a tombstone, the level's list key,
-- for the caller to sweep (sweep_level).
local function cancel_resting(o)
  local L = price_names(o.side, o.price)
  local total = leave_inline(o.side, L, o.id, o.qty - o.filled)
  local list_key
  if not total then
    total = reduce_level(o.side, o.price, o.qty - o.filled)
    if total > 0 then
      call('SADD', dead_key_of(L.list), o.id_text)
      list_key = L.list
    end
  end
  o.updated = NOW
  set_status(o, CANCELLED)
  return order_entry(o, store_cancelled(o, true)), level_entry(o.side, o.price, total), list_key
end
