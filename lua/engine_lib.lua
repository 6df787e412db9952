-- Shared prelude of every engine script (the Rust side prepends it to each operation's file).
--
-- Integers only: prices are ticks, quantities lots, all below 2^53 so Lua's doubles hold them exactly.
-- Never use tostring() on a number (it prints 1e+15 style): fmt() writes integers exactly.
--
-- An open order lives in a bucket hash `{S}:open:<id // 64>` (field `<id % 64>` = packed record,
-- field `c<id % 64>` = client_order_id); at most 128 small fields, so Redis keeps it as a compact listpack.
-- A closed order moves to `{S}:closed:<id>` (record .. client_order_id) with a TTL of the retention.
--
-- Record (47 bytes, struct '<I4BI6I7I7I3I7I6I6'):
--   user id, flags, price ticks (0 = market), quantity lots, filled lots,
--   notional lo, notional hi (sum of fill ticks × lots = hi·2^20 + lo), created ms, updated ms.
-- flags: bit 0 side (0 buy, 1 sell), bit 1 type (0 limit, 1 market), bits 2-3 tif (0 gtc, 1 ioc, 2 fok),
--   bit 4 post_only, bits 5-6 status (0 open, 1 partially_filled, 2 filled, 3 cancelled).

local REC = '<I4BI6I7I7I3I7I6I6'
local TWO20 = 1048576
local OPEN, PARTIAL, FILLED, CANCELLED = 0, 1, 2, 3

local function fmt(n)
  return string.format('%d', n)
end

local MAX_INT = 9007199254740991

-- ARGV[i] as an integer in [min, max]; anything else stops the script before its first write.
local function int_arg(i, min, max)
  local v = tonumber(ARGV[i])
  if not v or v ~= math.floor(v) or v < min or v > (max or MAX_INT) then
    error('invalid argument ARGV[' .. i .. ']: ' .. string.sub(tostring(ARGV[i]), 1, 40))
  end
  return v
end

-- ARGV[i] as a client_order_id: empty or 1-64 characters of A-Z a-z 0-9 _ - (safe in keys and JSON).
local function cid_arg(i)
  local v = ARGV[i] or ''
  if #v > 64 or string.find(v, '[^%w_%-]') then
    error('invalid argument ARGV[' .. i .. ']: not a client_order_id')
  end
  return v
end

-- The market's hash-tagged prefix, `{BTC/USD}`, taken from KEYS[1] = `{BTC/USD}:seq`.
local P = string.sub(KEYS[1], 1, -5)

local function bucket_key(id)
  return P .. ':open:' .. fmt(math.floor(id / 64))
end

local function bucket_field(id)
  return fmt(id % 64)
end

local function closed_key(id)
  return P .. ':closed:' .. fmt(id)
end

local function user_key(uid, what)
  return P .. ':user:' .. fmt(uid) .. ':' .. what
end

local function cid_key(uid, cid)
  return P .. ':cid:' .. fmt(uid) .. ':' .. cid
end

local function side_name(side)
  return side == 0 and 'bids' or 'asks'
end

local function level_key(side, price_member)
  return P .. ':' .. side_name(side) .. ':' .. price_member
end

local function unpack_order(id, rec, cid)
  local o = {}
  o.id = id
  o.uid, o.flags, o.price, o.qty, o.filled, o.nlo, o.nhi, o.created, o.updated = struct.unpack(REC, rec)
  o.side = o.flags % 2
  o.cid = cid or ''
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

-- Loads an order from its open bucket, or else from its closed key; nil when it does not exist.
local function load_order(id)
  local found = redis.call('HMGET', bucket_key(id), bucket_field(id), 'c' .. bucket_field(id))
  if found[1] then
    return unpack_order(id, found[1], found[2]), true
  end
  local closed = redis.call('GET', closed_key(id))
  if closed then
    return unpack_order(id, string.sub(closed, 1, 47), string.sub(closed, 48)), false
  end
  return nil, false
end

-- One order as a JSON array: [id, uid, flags, price, qty, filled, nlo, nhi, created, updated, "cid"].
-- client_order_id is limited to A-Z a-z 0-9 _ - by the caller, so it needs no escaping.
local function order_json(o)
  return '[' .. fmt(o.id) .. ',' .. fmt(o.uid) .. ',' .. fmt(o.flags) .. ',' .. fmt(o.price) .. ',' ..
    fmt(o.qty) .. ',' .. fmt(o.filled) .. ',' .. fmt(o.nlo) .. ',' .. fmt(o.nhi) .. ',' ..
    fmt(o.created) .. ',' .. fmt(o.updated) .. ',"' .. o.cid .. '"]'
end

-- Writes a resting order into its bucket (it stays there until it closes).
local function store_open(o)
  local bk, f = bucket_key(o.id), bucket_field(o.id)
  if o.cid ~= '' then
    redis.call('HSET', bk, f, pack_order(o), 'c' .. f, o.cid)
  else
    redis.call('HSET', bk, f, pack_order(o))
  end
end

-- Moves an order to its closed key with the retention TTL and out of its owner's open set into the
-- owner's (capped) closed history; its client_order_id mapping expires with it.
local function store_closed(o, was_open, retention_ms, history_cap)
  if was_open then
    local f = bucket_field(o.id)
    redis.call('HDEL', bucket_key(o.id), f, 'c' .. f)
    redis.call('SREM', user_key(o.uid, 'open'), fmt(o.id))
  end
  redis.call('SET', closed_key(o.id), pack_order(o) .. o.cid, 'PX', fmt(retention_ms))
  local hist = user_key(o.uid, 'closed')
  redis.call('ZADD', hist, fmt(o.id), fmt(o.id))
  redis.call('ZREMRANGEBYRANK', hist, 0, fmt(-(history_cap + 1)))
  -- Drop a few of the oldest entries whose orders have expired, so the history never holds stale ids.
  for _, old in ipairs(redis.call('ZRANGE', hist, 0, 2)) do
    if redis.call('EXISTS', closed_key(tonumber(old))) == 0 then
      redis.call('ZREM', hist, old)
    end
  end
  redis.call('PEXPIRE', hist, fmt(retention_ms))
  if o.cid ~= '' then
    redis.call('SET', cid_key(o.uid, o.cid), fmt(o.id), 'PX', fmt(retention_ms))
  end
end

-- Takes `lots` off a resting order's level; removes the level when it holds no order any more.
-- Returns the level's new total and order count.
local function reduce_level(side, price_member, lots, level_emptied)
  local depth = P .. ':depth:' .. side_name(side)
  local total = redis.call('HINCRBY', depth, price_member, fmt(-lots))
  if level_emptied then
    redis.call('HDEL', depth, price_member)
    redis.call('ZREM', P .. ':' .. side_name(side), price_member)
    return 0, 0
  end
  return total, redis.call('LLEN', level_key(side, price_member))
end

-- Collects level changes of one command: the last total per (side, price) wins.
local function new_levels()
  return { order = {}, last = {} }
end

local function note_level(levels, side, price_member, total, count)
  local k = side .. ':' .. price_member
  if not levels.last[k] then
    table.insert(levels.order, k)
  end
  levels.last[k] = '[' .. side .. ',' .. price_member .. ',' .. fmt(total) .. ',' .. fmt(count) .. ']'
end

-- The command's event: published for fan-out and returned to the caller, in one atomic step.
--   {"seq":N,"book":0|1,"ts":ms,"orders":[order...],"trades":[[id,price,qty,maker,taker,maker_uid,taker_uid]...],
--    "levels":[[side,price,total,count]...]}
local function emit(seq, book_changed, now, orders, trades, levels)
  local parts = {}
  for i, k in ipairs(levels.order) do
    parts[i] = levels.last[k]
  end
  local payload = '{"seq":' .. fmt(seq) .. ',"book":' .. (book_changed and '1' or '0') .. ',"ts":' .. fmt(now) ..
    ',"orders":[' .. table.concat(orders, ',') .. '],"trades":[' .. table.concat(trades, ',') ..
    '],"levels":[' .. table.concat(parts, ',') .. ']}'
  redis.call('PUBLISH', P .. ':events', payload)
  return payload
end

-- Moves the sequence by exactly one when the book changed; returns the command's sequence.
local function commit_sequence(book_changed, next_seq)
  if book_changed then
    redis.call('SET', KEYS[1], fmt(next_seq))
    return next_seq
  end
  return next_seq - 1
end

-- Cancels a resting order: off its level, into its owner's closed history. Notes the level change.
local function cancel_resting(o, now, retention_ms, history_cap, levels)
  local member = fmt(o.price)
  local lkey = level_key(o.side, member)
  redis.call('LREM', lkey, 1, fmt(o.id))
  local empty = redis.call('LLEN', lkey) == 0
  local total, count = reduce_level(o.side, member, o.qty - o.filled, empty)
  note_level(levels, o.side, member, total, count)
  o.updated = now
  set_status(o, CANCELLED)
  store_closed(o, true, retention_ms, history_cap)
end
