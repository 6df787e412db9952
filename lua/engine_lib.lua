-- Shared prelude of every engine script (the Rust side prepends it to each operation's file).
--
-- Integers only: prices are ticks, quantities lots, all below 2^53 so Lua's doubles hold them exactly.
-- Never turn a number into text with tostring() or `..` (they print 1e+15 style): fmt() is exact.
-- Hot paths avoid text altogether: records, trades and events are packed binary (struct.pack), which
-- is exact and much cheaper in Redis's Lua than formatting numbers.
--
-- An open order lives in a bucket hash `{S}:open:<id // 64>` (field `<id % 64>` = packed record,
-- field `c<id % 64>` = client_order_id); at most 128 small fields, so Redis keeps it as a compact listpack.
-- A closed order moves to `{S}:closed:<id>` (record .. client_order_id) with a TTL of the retention.
--
-- Record (47 bytes, REC): user id, flags, price ticks (0 = market), quantity lots, filled lots,
--   notional lo, notional hi (sum of fill ticks × lots = hi·2^20 + lo), created ms, updated ms.
-- flags: bit 0 side (0 buy, 1 sell), bit 1 type (0 limit, 1 market), bits 2-3 tif (0 gtc, 1 ioc, 2 fok),
--   bit 4 post_only, bits 5-6 status (0 open, 1 partially_filled, 2 filled, 3 cancelled).
--
-- Binary formats shared with backend/src/engine/wire.rs (all little-endian):
--   order entry  = id (7 bytes) .. record (47) .. cid length (1) .. cid
--   trade        = TRADE: id, price, qty, maker id, taker id, maker user, taker user (42 bytes)
--   stream entry = trade .. TRADE_TAIL: taker side, sequence, time ms (56 bytes), field `t` of {S}:trades
--   level        = LEVEL: side (0 bids, 1 asks), price, new total lots (14 bytes)
--   event        = EVENT: sequence, book changed (0/1), time ms, #orders, #trades, #levels (20 bytes)
--                  .. order entries .. trades .. levels

local REC = '<I4BI6I7I7I3I7I6I6'
local TRADE = '<I7I6I7I7I7I4I4'
local TRADE_TAIL = '<BI7I6'
local LEVEL = '<BI6I7'
local EVENT = '<I7BI6HHH'
local TWO20 = 1048576
local MAX_INT = 9007199254740991
local OPEN, PARTIAL, FILLED, CANCELLED = 0, 1, 2, 3

local function fmt(n)
  return string.format('%d', n)
end

-- ARGV[i] as an integer in [min, max]; anything else stops the script before its first write.
local function int_arg(i, min, max)
  local v = tonumber(ARGV[i])
  if not v or v % 1 ~= 0 or v < min or v > (max or MAX_INT) then
    error('invalid argument ARGV[' .. i .. ']: ' .. string.sub(tostring(ARGV[i]), 1, 40))
  end
  return v
end

-- ARGV[i] as a client_order_id: empty or 1-64 characters of A-Z a-z 0-9 _ - (safe in keys).
local function cid_arg(i)
  local v = ARGV[i] or ''
  if v ~= '' and (#v > 64 or string.find(v, '[^%w_%-]')) then
    error('invalid argument ARGV[' .. i .. ']: not a client_order_id')
  end
  return v
end

-- The market's hash-tagged prefix, `{BTC/USD}`, taken from KEYS[1] = `{BTC/USD}:seq`.
local P = string.sub(KEYS[1], 1, -5)

local function bucket_key(id)
  return P .. ':open:' .. fmt(math.floor(id / 64))
end

local function side_name(side)
  return side == 0 and 'bids' or 'asks'
end

local function unpack_order(id, id_text, rec, cid)
  local o = { id = id, id_text = id_text, cid = cid or '' }
  o.uid, o.flags, o.price, o.qty, o.filled, o.nlo, o.nhi, o.created, o.updated = struct.unpack(REC, rec)
  o.side = o.flags % 2
  return o
end

local function pack_order(o)
  return struct.pack(REC, o.uid, o.flags, o.price, o.qty, o.filled, o.nlo, o.nhi, o.created, o.updated)
end

local function set_status(o, status)
  o.flags = (o.flags % 32) + status * 32
end

local function status_of(o)
  return math.floor(o.flags / 32)
end

-- Adds a fill of `lots` at `price` ticks to the order's filled quantity and notional.
local function add_fill(o, price, lots)
  o.filled = o.filled + lots
  local lo = o.nlo + price * (lots % TWO20)
  o.nhi = o.nhi + price * math.floor(lots / TWO20) + math.floor(lo / TWO20)
  o.nlo = lo % TWO20
end

-- Loads an order (id given as text) from its open bucket, or else from its closed key; nil when it
-- does not exist. The second result says whether it is open.
local function load_order(id_text)
  local id = tonumber(id_text)
  local f = fmt(id % 64)
  local found = redis.call('HMGET', bucket_key(id), f, 'c' .. f)
  if found[1] then
    return unpack_order(id, id_text, found[1], found[2]), true
  end
  local closed = redis.call('GET', P .. ':closed:' .. id_text)
  if closed then
    return unpack_order(id, id_text, string.sub(closed, 1, 47), string.sub(closed, 48)), false
  end
  return nil, false
end

-- An order entry of the wire format.
local function order_entry(o, record)
  return struct.pack('<I7', o.id) .. (record or pack_order(o)) .. string.char(#o.cid) .. o.cid
end

-- Writes a resting order into its bucket (it stays there until it closes). Returns the packed record.
local function store_open(o)
  local f = fmt(o.id % 64)
  local record = pack_order(o)
  if o.cid ~= '' then
    redis.call('HSET', bucket_key(o.id), f, record, 'c' .. f, o.cid)
  else
    redis.call('HSET', bucket_key(o.id), f, record)
  end
  return record
end

-- Moves an order to its closed key with the retention TTL, out of its owner's open set and into the
-- owner's closed history; its client_order_id mapping expires with it. Returns the packed record.
-- The history is trimmed to its cap on one close in 16, to keep closes cheap (it may hold up to 15 more);
-- it may name orders that have expired since, which listings skip.
local function store_closed(o, was_open, retention_ms, history_cap)
  local user = P .. ':user:' .. fmt(o.uid)
  if was_open then
    local f = fmt(o.id % 64)
    redis.call('HDEL', bucket_key(o.id), f, 'c' .. f)
    redis.call('SREM', user .. ':open', o.id_text)
  end
  local record = pack_order(o)
  redis.call('SET', P .. ':closed:' .. o.id_text, record .. o.cid, 'PX', retention_ms)
  local hist = user .. ':closed'
  redis.call('ZADD', hist, o.id_text, o.id_text)
  redis.call('PEXPIRE', hist, retention_ms)
  if o.id % 16 == 0 then
    redis.call('ZREMRANGEBYRANK', hist, 0, -(history_cap + 1))
  end
  if o.cid ~= '' then
    redis.call('SET', P .. ':cid:' .. fmt(o.uid) .. ':' .. o.cid, o.id_text, 'PX', retention_ms)
  end
  return record
end

-- Takes `lots` off a price level; a level whose total reaches 0 holds no order any more (every resting
-- order has something left) and is removed. Returns the level's new total.
local function reduce_level(side, price_member, lots)
  local depth = P .. ':depth:' .. side_name(side)
  local total = redis.call('HINCRBY', depth, price_member, -lots)
  if total == 0 then
    redis.call('HDEL', depth, price_member)
    redis.call('ZREM', P .. ':' .. side_name(side), price_member)
  end
  return total
end

-- Collects level changes of one command: the last total per (side, price) wins.
local function new_levels()
  return { order = {}, last = {} }
end

local function note_level(levels, side, price, total)
  local k = side * 4503599627370496 + price
  if not levels.last[k] then
    table.insert(levels.order, k)
  end
  levels.last[k] = struct.pack(LEVEL, side, price, total)
end

-- The command's event: published for fan-out and returned to the caller, in one atomic step.
local function emit(seq, book_changed, now, orders, trades, levels)
  local parts = { struct.pack(EVENT, seq, book_changed and 1 or 0, now, #orders, #trades, #levels.order) }
  for _, e in ipairs(orders) do
    parts[#parts + 1] = e
  end
  for _, t in ipairs(trades) do
    parts[#parts + 1] = t
  end
  for _, k in ipairs(levels.order) do
    parts[#parts + 1] = levels.last[k]
  end
  local payload = table.concat(parts)
  redis.call('PUBLISH', P .. ':events', payload)
  return payload
end

-- Cancels a resting order: off its level, into its owner's closed history. Notes the level change and
-- returns the order entry.
local function cancel_resting(o, now, retention_ms, history_cap, levels)
  local member = fmt(o.price)
  redis.call('LREM', P .. ':' .. side_name(o.side) .. ':' .. member, 1, o.id_text)
  note_level(levels, o.side, o.price, reduce_level(o.side, member, o.qty - o.filled))
  o.updated = now
  set_status(o, CANCELLED)
  return order_entry(o, store_closed(o, true, retention_ms, history_cap))
end
