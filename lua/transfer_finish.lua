-- transfer_finish: step 3 of a transfer (docs/funds.md, "Transfers"): out of a market, the wallet is
-- credited what the market's step moved; either way the transfer is no longer under way. Once per
-- transfer: a finished one is no longer the user's pending transfer.
--
-- KEYS[1] {u:<uid>}:wallet   KEYS[2] {u:<uid>}:xfer
-- ARGV[1] the transfer's id   ARGV[2] the units its market step moved (decimal text)
--
-- Returns { 'ok' } | { 'dup' } (not the pending transfer: finished already).

local id, moved = ARGV[1], ARGV[2]
local pending = call('HMGET', KEYS[2], 'id', 'asset', 'direction')
if pending[1] ~= id then
  return { REPLY_DUP }
end
if pending[3] == 'out' then
  local lo, hi = amount_of_text(moved)
  if not lo then
    error('invalid arguments: see transfer_finish.lua')
  end
  local flo, fhi = wallet_free(pending[2])
  call('HSET', KEYS[1], pending[2], amount_text(amount_sum(flo, fhi, lo, hi)))
end
call('HDEL', KEYS[2], 'id', 'market', 'asset', 'side', 'direction', 'units', 'at')
return { REPLY_OK }
