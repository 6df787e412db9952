-- The engine is one Redis Function library: this file and matching.lua (which follows it) are its
-- shared part, and each operation's file (place_orders.lua, ...) the body of one function, run with
-- KEYS and ARGV set (see `begin`); the backend assembles the library (backend/src/engine/scripts.rs). Loaded once, not run on every call:
-- the definitions below cost nothing per call.
--
-- Integers only: prices are ticks, quantities lots, all below 2^53 so Lua's doubles hold them exactly.
-- Never turn a number into text with tostring() or `..` (they print 1e+15 style): fmt() is exact.
-- Integer division is `(a - a % b) / b` rather than floor(a / b): exact all the same below 2^53, and
-- no call of a C function (math.floor costs about 150 Redis instructions a call).
-- Text the engine wrote itself (ids, prices) becomes a number by `text + 0`: tonumber() converts its
-- argument twice (about 1,200 Redis instructions against 600); an argument is checked with tonumber.
-- Speed: records, trades and events are packed binary (struct.pack), exact and far cheaper than text;
-- every redis.call argument is a string (Redis formats a Lua number with a slow %.17g).
--
-- Orders of a market `{S}`:
--   open:   bucket hash `{S}:open:<id // 64>`, field `<id % 64>` = record .. client order id. At most
--           64 small fields, so Redis keeps a bucket as a compact listpack (a client order id makes the
--           value longer than listpack values may be, and that bucket a plain hash table).
--   closed: the owner's hash `{S}:user:<uid>:closed`, field `<id>` = record .. client order id, and one
--           field `w<window>` (see closing_window). It is trimmed to the history cap and expires a
--           retention (and at most an eighth more) after its last close; a closed order whose last
--           update is older than the retention counts as gone.
--   level totals: string keys `{S}:depth:bids:<price>` and `{S}:depth:asks:<price>`.
--
-- Record (47 bytes, REC): user id, flags, price ticks (0 = market), quantity lots, filled lots,
--   notional lo, notional hi (sum of fill ticks × lots = hi·2^20 + lo), created ms, updated ms.
-- flags: bit 0 side (0 buy, 1 sell), bit 1 type (0 limit, 1 market), bits 2-3 tif (0 gtc, 1 ioc, 2 fok),
--   bit 4 post_only, bits 5-6 status (0 open, 1 partially_filled, 2 filled, 3 cancelled).
--
-- Binary formats shared with backend/src/engine/wire.rs (all little-endian):
--   order argument = ORDER_ARG: id, user id, side, type, tif, post_only, price, qty (28 bytes) .. cid
--   order entry  = id (7 bytes) .. record (47) .. cid length (1) .. cid
--   trade        = TRADE: id, price, qty, maker id, taker id, maker user, taker user (42 bytes)
--   stream entry = field `t` of {S}:trades: the trades of one script call, one group per taker order:
--                  TRADE_GROUP: taker side, sequence, time ms, #trades (16 bytes) .. its trades
--   level        = LEVEL: side (0 bids, 1 asks), price, new total lots (14 bytes)
--   event        = EVENT: sequence, book changed (0/1), time ms, #orders, #trades, #levels (20 bytes)
--                  .. levels .. order entries .. trades
-- (An order entry is packed in one go, ENTRY, and its record cut out of it; a plain resting order's
-- whole event is one pack, REST_EVENT: every string made costs Redis's Lua a hash and an allocation.)

-- Library functions as locals: a global is a table lookup at every use (redis.call two). They are not
-- visible while a library loads, so `begin` binds them on the first call.
local call, pack, sunpack, floor, max, min, sub, char, find, format, concat
local tonumber, tostring, error, ipairs, unpack, sort

local REC = '<I4BI6I7I7I3I7I6I6'
local ORDER_ARG = '<I7I4BBBBI6I7'
local TRADE = '<I7I6I7I7I7I4I4'
local TRADE_GROUP = '<BI7I6H'
local LEVEL = '<BI6I7'
local EVENT = '<I7BI6HHH'
local ENTRY = '<I7I4BI6I7I7I3I7I6I6B'
local REST_EVENT = EVENT .. LEVEL .. ENTRY -- (each part's '<' again: struct takes it anywhere)
-- Where the record lies in an entry, and in a REST_EVENT.
local ENTRY_RECORD, REST_RECORD = 8, 42
local TWO20 = 1048576
local MAX_INT = 9007199254740991
local MAX_UID = 4294967295
local MAX_PRICE = 281474976710655
local OPEN, PARTIAL, FILLED, CANCELLED = 0, 1, 2, 3

local function fmt(n)
  return format('%d', n)
end

-- The call being served: its keys and arguments (set by `begin`).
local KEYS, ARGV

-- ARGV[i] as an integer in [min, max]; anything else stops the script before its first write.
local function int_arg(i, min, max)
  local v = tonumber(ARGV[i])
  if not v or v % 1 ~= 0 or v < min or v > (max or MAX_INT) then
    error('invalid argument ARGV[' .. i .. ']: ' .. sub(tostring(ARGV[i]), 1, 40))
  end
  return v
end

-- Whether a text is a client_order_id: empty or 1-64 characters of A-Z a-z 0-9 _ - (safe in keys).
local function is_cid(v)
  return #v <= 64 and not find(v, '[^%w_%-]')
end

-- The market's hash-tagged prefix, `{BTC/USD}`, taken from KEYS[1] = `{BTC/USD}:seq`, and the names
-- built from it: book (sorted set of levels), level list prefix and level total prefix, per side.
-- A level's total is a string key of its own (INCRBY is a hash lookup; a field of one hash of all
-- levels would be a linear search of a listpack). Set by `begin` for the call's market.
local P, BOOK, LEVEL_PREFIX, TOTAL_PREFIX

-- Names made from numbers are memoised across calls (a library keeps its state until it is loaded
-- again): per market, bucket keys by bucket number, a user's two keys by user id, and a price's text,
-- level total key and level list key by side and price. Formatting a number and joining a key cost
-- Redis's Lua far more than a table look-up. The memos are dropped, all at once, past MEMO_MAX names,
-- so the library's memory stays bounded. The bound is small on purpose: every string Lua makes is
-- looked up in its string table and every collection walks the whole heap, and the larger the memo,
-- the more of that misses the caches. In `make bench`'s engine scenario (2,000 users taking turns),
-- a bound of 20,000 names made the engine 0.94x-0.95x the yardstick, 10,000 1.01x, 5,000 1.02x-1.03x,
-- 2,500 1.00x (engine_bench --resting 2000, 2026-12-02): more formatting, but a smaller heap.
-- A market with more than about 2,000 users trading at once formats their keys again more often.
local MEMO_MAX, memo_count = 5000, 0
local NAMES = {}
local BUCKETS, USERS, PRICES, PRICE_OF
-- Quantities as text (a level's total changes by an order's size, and sizes repeat): formatting a
-- number costs Redis's Lua about 1,450 instructions, a look-up here a few dozen.
local LOTS = {}

-- The closing window of the call (see closing_window).
local WINDOW

-- Starts serving a call: its keys, arguments and market.
local function begin(keys, args)
  if not call then
    call, pack, sunpack = redis.call, struct.pack, struct.unpack
    floor, max, min = math.floor, math.max, math.min
    sub, char, find, format, concat = string.sub, string.char, string.find, string.format, table.concat
    tonumber, tostring, error, ipairs, unpack, sort = _G.tonumber, _G.tostring, _G.error, _G.ipairs, _G.unpack, table.sort
  end
  KEYS, ARGV = keys, args
  P = sub(keys[1], 1, -5)
  if memo_count > MEMO_MAX then
    NAMES, LOTS, memo_count = {}, {}, 0
  end
  local names = NAMES[P]
  if not names then
    names = {
      { [0] = P .. ':bids', [1] = P .. ':asks' },
      { [0] = P .. ':bids:', [1] = P .. ':asks:' },
      { [0] = P .. ':depth:bids:', [1] = P .. ':depth:asks:' },
      {}, {}, { [0] = {}, [1] = {} }, {},
    }
    NAMES[P], memo_count = names, memo_count + 10
  end
  BOOK, LEVEL_PREFIX, TOTAL_PREFIX = names[1], names[2], names[3]
  BUCKETS, USERS, PRICES, PRICE_OF = names[4], names[5], names[6], names[7]
  WINDOW = nil
end

local function bucket_key(id)
  local number = (id - id % 64) / 64
  local key = BUCKETS[number]
  if not key then
    key = P .. ':open:' .. fmt(number)
    BUCKETS[number], memo_count = key, memo_count + 1
  end
  return key
end

-- A user's open set and closed hash keys.
local function user_keys(uid)
  local keys = USERS[uid]
  if not keys then
    local prefix = P .. ':user:' .. fmt(uid) .. ':'
    keys = { prefix .. 'open', prefix .. 'closed' }
    USERS[uid], memo_count = keys, memo_count + 2
  end
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

local function level_key(side, price_text)
  return LEVEL_PREFIX[side] .. price_text
end

local function total_key(side, price_text)
  return TOTAL_PREFIX[side] .. price_text
end

-- A price level's names: its price as text, its total's key and its list's key.
local function price_names(side, price)
  local names = PRICES[side][price]
  if not names then
    local text = fmt(price)
    names = { text, total_key(side, text), level_key(side, text) }
    PRICES[side][price], memo_count = names, memo_count + 3
  end
  return names[1], names[2], names[3]
end

-- A level's price from its member (the price as text).
local function price_of(text)
  local price = PRICE_OF[text]
  if not price then
    price = text + 0
    PRICE_OF[text], memo_count = price, memo_count + 1
  end
  return price
end

-- A bucket's field names, `id % 64` as text: constants of the script, so no formatting at run time.
local FIELD = {
  [0] = '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15',
  '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31',
  '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47',
  '48', '49', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63',
}

-- An order read back. `bucket` is its bucket's key when it was read from one.
local function unpack_order(id, id_text, rec, cid, bucket)
  local uid, flags, price, qty, filled, nlo, nhi, created, updated = sunpack(REC, rec)
  return {
    id = id, id_text = id_text, cid = cid or '', uid = uid, flags = flags, side = flags % 2, price = price,
    qty = qty, filled = filled, nlo = nlo, nhi = nhi, created = created, updated = updated, bucket = bucket,
  }
end

local function pack_order(o)
  return pack(REC, o.uid, o.flags, o.price, o.qty, o.filled, o.nlo, o.nhi, o.created, o.updated)
end

local function set_status(o, status)
  o.flags = (o.flags % 32) + status * 32
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
  local found = call('HGET', bucket, FIELD[id % 64])
  if found then
    return unpack_order(id, id_text, found, sub(found, 48), bucket)
  end
end

-- An order of user `uid` by id (text), open or closed within the retention; nil when there is none.
-- The second result says whether it is open.
local function load_users_order(id_text, uid, now, retention_ms)
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
    o = unpack_order(tonumber(id_text), id_text, sub(closed, 1, 47), sub(closed, 48))
    if o.updated + retention_ms > now then
      return o, false
    end
  end
  return nil, false
end

-- An order entry of the wire format, from the order's id, packed record and client order id.
local function entry_of(id, record, cid)
  return pack('<I7', id) .. record .. (cid == '' and '\0' or char(#cid)) .. cid
end

-- An order entry packed from the order's fields, and its record cut out of it.
local function pack_entry(id, uid, flags, price, qty, filled, nlo, nhi, created, updated, cid)
  local entry = pack(ENTRY, id, uid, flags, price, qty, filled, nlo, nhi, created, updated, #cid) .. cid
  return entry, sub(entry, ENTRY_RECORD, ENTRY_RECORD + 46)
end

local function order_entry(o, record)
  return entry_of(o.id, record or pack_order(o), o.cid)
end

-- A closed hash lives until at least a retention after its last close. Rather than an expiry set on
-- every close, time is cut into windows of an eighth of the retention and the hash holds a marker field
-- `w<window>` of the window of its last close: the close that adds the marker (HSET counts it as new)
-- sets the expiry to the window's end plus the retention, and drops the markers of the 8 windows before
-- (a hash whose last close is older than that has expired with its markers). These are the marker and
-- the expiry of the current window, worked out once per call.
--
-- The marker's value is longer than a listpack value may be (64 bytes), so Redis keeps every closed hash
-- as a hash table from its first close: as a listpack (up to 128 fields) every close scanned the whole
-- hash for the new field, and at tens of closed orders that scan was the engine's single largest cost
-- (measured with perf on the benchmark's flow). It costs memory only while a user has at most 128
-- closed orders in a market (past that a hash is a table anyway): about 115 bytes per closed order
-- instead of about 65, at most 7 KB per user and market (`MEMORY USAGE`; open orders not affected).
local MARKER_VALUE = 'closing-window marker; a value over 64 bytes keeps this hash a hash table'
local function closing_window(now, retention)
  if not WINDOW then
    local width = max(1, floor(retention / 8))
    local w = floor(now / width)
    WINDOW = { w = w, field = 'w' .. fmt(w), ttl = fmt((w + 1) * width + retention - now) }
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

-- Moves order `id` (`id_text`) of user `uid` into its owner's closed hash `closed_key`, with its packed
-- `record` (last updated at `now`) and client order id; when it was open, `bucket` is its bucket's key
-- and `open_key` its owner's open set, and it leaves both. Its client_order_id mapping expires after the
-- retention. The owner's keys are built from `uid` when not given.
-- The closed hash is trimmed back to its cap (oldest ids first) once it exceeds the cap by a quarter,
-- looked at on one close in 8: a trim sorts the hash's ids, so it must be rare to keep closes cheap.
-- Which closes look is chosen by the fractional part of id x 0.618... (golden ratio), not by `id % 8`: a
-- user whose ids share a residue (users taking turns, say) would otherwise never be looked at and never
-- trimmed; along any arithmetic progression of ids the golden-ratio sequence leaves only bounded gaps.
local function close_record(id, id_text, uid, cid, record, now, bucket, open_key, closed_key, retention, history_cap)
  if not closed_key then
    open_key, closed_key = user_keys(uid)
  end
  if bucket then
    call('HDEL', bucket, FIELD[id % 64])
    call('SREM', open_key, id_text)
  end
  local window = closing_window(now, retention)
  if call('HSET', closed_key, id_text, record .. cid, window.field, MARKER_VALUE) == 2 then
    call('PEXPIRE', closed_key, window.ttl)
    call('HDEL', closed_key, unpack(stale_windows(window)))
  end
  if (id * 0.6180339887498949) % 1 < 0.125 and call('HLEN', closed_key) > history_cap + floor(history_cap / 4) then
    local ids = {}
    for _, field in ipairs(call('HKEYS', closed_key)) do
      ids[#ids + 1] = tonumber(field) -- (the marker is no number)
    end
    sort(ids)
    local oldest = {}
    for i = 1, #ids - history_cap do
      oldest[i] = fmt(ids[i])
    end
    -- A few HDELs for them all (unpack has a limit: a thousand fields each).
    for from = 1, #oldest, 1000 do
      call('HDEL', closed_key, unpack(oldest, from, min(from + 999, #oldest)))
    end
  end
  if cid ~= '' then
    call('SET', cid_key(uid, cid), id_text, 'PX', fmt(retention))
  end
end

-- Moves an order (a table, see unpack_order) into its owner's closed hash, out of its bucket and the
-- owner's open set when it was open. Returns the packed record.
local function store_closed(o, was_open, retention, history_cap)
  local record = pack_order(o)
  local bucket = was_open and (o.bucket or bucket_key(o.id))
  close_record(o.id, o.id_text, o.uid, o.cid, record, o.updated, bucket, false, false, retention, history_cap)
  return record
end

-- Takes `lots` off the level at `price` ticks. A level whose total reaches 0 holds no order any more
-- (every resting order has something left) and is removed. Returns the level's new total.
local function reduce_level(side, price, lots)
  local price_text, key = price_names(side, price)
  local total = call('DECRBY', key, lots_text(lots))
  if total == 0 then
    call('DEL', key)
    call('ZREM', BOOK[side], price_text)
  end
  return total
end

-- The event of one command: orders changed, trades, level totals after it.
-- (The usual event, one order and at most one level, is joined without table.concat.)
local function event(seq, book_changed, now, orders, trades, levels)
  local head = pack(EVENT, seq, book_changed and 1 or 0, now, #orders, #trades, #levels)
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

-- Cancels a resting order: off its level, into its owner's closed hash. Returns its order entry and
-- the level's packed new total.
local function cancel_resting(o, now, retention, history_cap)
  local _, _, list_key = price_names(o.side, o.price)
  call('LREM', list_key, '1', o.id_text)
  local total = reduce_level(o.side, o.price, o.qty - o.filled)
  o.updated = now
  set_status(o, CANCELLED)
  return order_entry(o, store_closed(o, true, retention, history_cap)), pack(LEVEL, o.side, o.price, total)
end
