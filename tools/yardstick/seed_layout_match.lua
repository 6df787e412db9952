-- The yardstick: a deliberately minimal matcher in the original design's key layout, for benchmarks.
-- The engine does far more per order (validation, sequence numbers, idempotency, time in force,
-- self-trade prevention, events); it should still be at least as fast when both run the same flow on
-- the same Redis. Written to the rules of the original benchmark: one hash per order, a FIFO list per
-- price level with the levels in a sorted set per side, index sets per user and per symbol, a trades
-- stream, and a publish per change; no validation, no sequence numbers, no idempotency, no time in
-- force.
--
-- ARGV[1]: a random integer; the order's side, price (a 100-tick band) and quantity (1-5) come from it.
-- Returns the new order's id.

local r = tonumber(ARGV[1])
local is_buy = r % 2 == 0
local side = is_buy and 'buy' or 'sell'
local price = 49950 + math.floor(r / 2) % 100
local quantity = math.floor(r / 200) % 5 + 1

local symbol = 'BTC/USD'
local bids, asks = symbol .. ':bids', symbol .. ':asks'
local book, other = asks, bids
if not is_buy then
  book, other = bids, asks
end
local id = redis.call('INCR', 'order:next_id')

-- Match against the other side's best levels while they cross the limit price.
local left = quantity
while left > 0 do
  local best
  if is_buy then
    best = redis.call('ZRANGE', book, 0, 0, 'WITHSCORES')
  else
    best = redis.call('ZREVRANGE', book, 0, 0, 'WITHSCORES')
  end
  if #best == 0 then
    break
  end
  local level_price = tonumber(best[2])
  if (is_buy and level_price > price) or (not is_buy and level_price < price) then
    break
  end
  local level = book .. ':' .. best[1]
  local maker = redis.call('LINDEX', level, 0)
  local maker_key = 'order:' .. maker
  local available = tonumber(redis.call('HGET', maker_key, 'remaining'))
  local fill = math.min(available, left)
  left = left - fill
  redis.call('XADD', 'trades:' .. symbol, 'MAXLEN', '~', 10000, '*',
    'price', best[1], 'qty', fill, 'maker', maker, 'taker', id)
  if fill == available then
    redis.call('LPOP', level)
    redis.call('HSET', maker_key, 'remaining', 0, 'status', 'filled')
    if redis.call('LLEN', level) == 0 then
      redis.call('ZREM', book, best[1])
    end
  else
    redis.call('HSET', maker_key, 'remaining', available - fill, 'status', 'partially_filled')
  end
  redis.call('PUBLISH', 'order_updates:' .. symbol, maker)
end

-- What is left rests at the back of its level; a filled order is only recorded.
local order_key = 'order:' .. id
if left > 0 then
  redis.call('ZADD', other, price, tostring(price))
  redis.call('RPUSH', other .. ':' .. price, id)
  redis.call('HSET', order_key, 'side', side, 'price', price, 'qty', quantity, 'remaining', left,
    'status', 'open', 'user', 'u1')
  redis.call('SADD', 'user:u1:orders', id)
  redis.call('SADD', 'symbol:' .. symbol .. ':orders', id)
else
  redis.call('HSET', order_key, 'side', side, 'price', price, 'qty', quantity, 'remaining', 0,
    'status', 'filled', 'user', 'u1')
end
redis.call('PUBLISH', 'order_updates:' .. symbol, id)
return id
