-- fold_candles: adds the market's trades that no call has folded yet to its candles, each trade once.
-- The trades stream's entries after the mark (`{S}:candles:mark`, the id of the last entry folded), at
-- most ARGV[1] of them, go into the candle of every interval their time falls in, and the mark moves
-- past them in the same atomic step. Any number of callers may run it at once (each backend instance
-- does, for every market): what one folded, the next finds behind the mark. The matching scripts do not
-- touch candles at all (docs/market-data.md says why).
--
-- KEYS[1] {S}:seq (routes the call; the other keys are built from its prefix)   KEYS[2] {S}:trades
-- ARGV[1] most stream entries to fold in this call (a call stays short; the caller calls again while
--         `more` says entries remain)
-- ARGV[2] candles kept per interval (the oldest go when a new one starts)
-- ARGV[3 + 3k], ARGV[4 + 3k], ARGV[5 + 3k]: interval k's name (its key `{S}:candles:<name>`), length in
--         ms (UTC-aligned buckets: a trade at t falls in the one opening at t - t % length), and the open
--         time from which its candles are returned
--
-- A candle is a sorted-set member scored by its open time: CANDLE (engine_lib.lua) — open time, open,
-- high, low and close ticks, volume in lots (lo, hi halves) and in ticks x lots (lo, hi), trade count.
-- Open is the first trade in the bucket and close the last, in the order the engine ran them.
--
-- Returns {entries folded, more (0|1), stream entries lost so far, entries folded by all calls so far
-- (the candles change only when it grows: readers key caches on it), {candles of interval 1 from its
-- open time}, ...}. Trades are lost only when the stream was trimmed (ARGV[4] of place_orders) past entries nobody
-- had folded: the mark counts those entries, and the caller says so.

local max_entries, kept = int_arg(1, 1, 100000), int_arg(2, 1, 1000000)
local intervals = {}
for k = 0, (#ARGV - 2) / 3 - 1 do
  local at = 3 + 3 * k
  intervals[k + 1] = { key = P .. ':candles:' .. ARGV[at], len = int_arg(at + 1, 1), since = int_arg(at + 2, 0) }
end
if #intervals == 0 or #ARGV ~= 2 + 3 * #intervals then
  error('fold_candles: ARGV is max entries, candles kept, then (name, length, since) per interval')
end
local trades_key, mark_key = KEYS[2], P .. ':candles:mark'
local TWO32 = 4294967296

-- A stream id's two numbers.
local function id_parts(id)
  local dash = find(id, '-', 1, true)
  return sub(id, 1, dash - 1) + 0, sub(id, dash + 1) + 0
end

local function id_after(a, b)
  local am, as = id_parts(a)
  local bm, bs = id_parts(b)
  return am > bm or (am == bm and as > bs)
end

-- The mark: the last entry folded, how many entries were ever folded or skipped (the stream's first
-- `folded` entries), and how many of those were lost.
local mark, folded, lost = unpack(call('HMGET', mark_key, 'id', 'folded', 'lost'))
folded, lost = tonumber(folded or '0'), tonumber(lost or '0')
local lost_before = lost

-- How many entries were ever added to the stream and how many it holds (Redis 7).
local function stream_counts()
  local info, added, length = call('XINFO', 'STREAM', trades_key), 0, 0
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then
      added = info[i + 1]
    elseif info[i] == 'length' then
      length = info[i + 1]
    end
  end
  return added, length
end

if not mark then
  -- The market's first fold: entries trimmed before it were never the candles' to count.
  if call('EXISTS', trades_key) == 1 then
    local added, length = stream_counts()
    folded = added - length
  end
else
  -- The stream is trimmed from its start: once the mark's entry is gone, the entries trimmed past the
  -- ones folded were lost.
  local head = call('XRANGE', trades_key, '-', '+', 'COUNT', '1')[1]
  if head and id_after(head[1], mark) then
    local added, length = stream_counts()
    if added - length > folded then
      lost, folded = lost + added - length - folded, added - length
    end
  end
end

local entries = call('XRANGE', trades_key, mark and ('(' .. mark) or '-', '+', 'COUNT', fmt(max_entries))

-- The candle each interval is filling: {open time, o, h, l, c, volume lo, hi, quote lo, hi, trades}.
local open = {}

local function store(iv, c)
  local t = fmt(c[1])
  if c.existed then
    call('ZREMRANGEBYSCORE', iv.key, t, t)
  end
  call('ZADD', iv.key, t, pack(CANDLE, c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]))
  if not c.existed then
    call('ZREMRANGEBYRANK', iv.key, '0', fmt(-kept - 1))
  end
end

local function load(iv, t)
  local ts = fmt(t)
  local member = call('ZRANGEBYSCORE', iv.key, ts, ts)[1]
  if member then
    local c = { sunpack(CANDLE, member) }
    c[11] = nil
    c.existed = true
    return c
  end
  return { t, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
end

local function add(c, price, lots, qlo, qhi)
  if c[10] == 0 then
    c[2], c[3], c[4] = price, price, price
  else
    c[3], c[4] = max(c[3], price), min(c[4], price)
  end
  c[5] = price
  local llo = lots % TWO32
  c[6], c[7] = amount_sum(c[6], c[7], llo, (lots - llo) / TWO32)
  c[8], c[9] = amount_sum(c[8], c[9], qlo, qhi)
  c[10] = c[10] + 1
end

-- Adds `g`, the trades of one time (an aggregate like a candle), to candle `c`.
local function merge(c, g)
  if c[10] == 0 then
    c[2], c[3], c[4] = g[2], g[3], g[4]
  else
    c[3], c[4] = max(c[3], g[3]), min(c[4], g[4])
  end
  c[5] = g[5]
  c[6], c[7] = amount_sum(c[6], c[7], g[6], g[7])
  c[8], c[9] = amount_sum(c[8], c[9], g[8], g[9])
  c[10] = c[10] + g[10]
end

-- Adds the trades of time `ms`, aggregated in `g`, to each interval's candle.
local function fold_time(ms, g)
  for k, iv in ipairs(intervals) do
    local t = ms - ms % iv.len
    local c = open[k]
    if not c or c[1] ~= t then
      if c then
        store(iv, c)
      end
      c = load(iv, t)
      open[k] = c
    end
    merge(c, g)
  end
end

-- The trades of one engine call share its time: they are aggregated first, then added to the six
-- candles once (not six additions per trade).
local g, g_ms = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, nil
for _, entry in ipairs(entries) do
  local fields = entry[2]
  for f = 1, #fields, 2 do
    if fields[f] == 't' then
      local data, pos = fields[f + 1], 1
      while pos <= #data do
        local _, _, ms, n, at = sunpack(TRADE_GROUP, data, pos)
        pos = at
        if g_ms ~= ms then
          if g_ms then
            fold_time(g_ms, g)
          end
          g, g_ms = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, ms
        end
        for _ = 1, n do
          local _, price, lots, after
          _, price, lots, _, _, _, _, _, _, _, _, _, after = sunpack(TRADE, data, pos)
          pos = after
          local qlo, qhi = amount_mul(price, lots)
          if not qlo then
            error('fold_candles: a trade whose notional passes 2^62')
          end
          add(g, price, lots, qlo, qhi)
        end
      end
    end
  end
end
if g_ms then
  fold_time(g_ms, g)
end
for k, iv in ipairs(intervals) do
  if open[k] then
    store(iv, open[k])
  end
end
if #entries > 0 or lost ~= lost_before then
  call('HSET', mark_key, 'id', #entries > 0 and entries[#entries][1] or mark, 'folded', fmt(folded + #entries),
    'lost', fmt(lost))
end

local reply = { #entries, #entries == max_entries and 1 or 0, lost, folded + #entries }
for k, iv in ipairs(intervals) do
  reply[4 + k] = call('ZRANGEBYSCORE', iv.key, fmt(iv.since), '+inf')
end
return reply
