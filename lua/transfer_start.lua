-- transfer_start: step 1 of a transfer between a user's wallet and their sub-account in a market
-- (docs/funds.md, "Transfers"). A user has at most one transfer under way, in {u:<uid>}:xfer (fields
-- id, market, asset, side, direction, units, at; and `next`, the user's transfer counter).
--
-- KEYS[1] {u:<uid>}:wallet   KEYS[2] {u:<uid>}:xfer
-- ARGV[1] now, ms   ARGV[2] the market's symbol   ARGV[3] asset   ARGV[4] 'base' | 'quote' (the
-- asset's side in the market)   ARGV[5] 'in' | 'out'   ARGV[6] units (decimal text) or, into a market,
-- 'all': the wallet's whole free amount of the asset
--
-- Into a market the wallet is debited now; out of one, only as much is asked as the wallet can still
-- hold below MAX_AMOUNT (deposits count the transfer's units as held already).
-- Returns 'ok', id, units | 'pending', id, market, asset, side, direction, units (another transfer is
-- under way: finish it first) | 'refused', insufficient_funds | 'refused', 'nothing' (nothing to move).

NOW = int_arg(1, 0)
local market, asset, side, direction, units = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if (direction ~= 'in' and direction ~= 'out') or (side ~= 'base' and side ~= 'quote') or asset == '' then
  error('invalid arguments: see transfer_start.lua')
end
local pending = call('HMGET', KEYS[2], 'id', 'market', 'asset', 'side', 'direction', 'units')
if pending[1] then
  return { 'pending', unpack(pending, 1, 6) }
end
local flo, fhi = wallet_free(asset)
local lo, hi
if units == 'all' and direction == 'in' then
  lo, hi = flo, fhi
else
  lo, hi = amount_of_text(units)
  if not lo then
    error('invalid arguments: see transfer_start.lua')
  end
end
if direction == 'in' then
  if amount_lt(flo, fhi, lo, hi) then
    return { REPLY_REFUSED, INSUFFICIENT_FUNDS }
  end
  call('HSET', KEYS[1], asset, amount_text(amount_sub(flo, fhi, lo, hi)))
else
  local rlo, rhi = amount_sub(MAX_LO, MAX_HI, flo, fhi)
  if amount_lt(rlo, rhi, lo, hi) then
    lo, hi = rlo, rhi
  end
end
if lo == 0 and hi == 0 then
  return { REPLY_REFUSED, 'nothing' }
end
local id = call('HINCRBY', KEYS[2], 'next', '1')
units = amount_text(lo, hi)
call('HSET', KEYS[2], 'id', fmt(id), 'market', market, 'asset', asset, 'side', side, 'direction', direction,
  'units', units, 'at', fmt(NOW))
return { REPLY_OK, fmt(id), units }
