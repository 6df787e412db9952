-- withdraw: debits a user's wallet once per client withdrawal id (funds.lua).
--
-- KEYS[1] {u:<uid>}:wallet   KEYS[2] {u:<uid>}:ledger   KEYS[3] {u:<uid>}:refs
-- ARGV[1] now, ms   ARGV[2] the entry id   ARGV[3] asset   ARGV[4] units, decimal text (> 0)
-- ARGV[5] client withdrawal id   ARGV[6] ledger entries kept
--
-- Returns 'ok', entry | 'dup', the id's first entry | 'refused', insufficient_funds (nothing written).

NOW = int_arg(1, 0)
local id, asset, units, withdrawal, kept = int_arg(2, 1), ARGV[3], ARGV[4], ARGV[5], int_arg(6, 1)
local lo, hi = amount_of_text(units)
if not lo or (lo == 0 and hi == 0) or asset == '' or withdrawal == '' then
  error('invalid arguments: see withdraw.lua')
end
local ref_field = 'w:' .. withdrawal
local first = call('HGET', KEYS[3], ref_field)
if first then
  return { REPLY_DUP, first }
end
local flo, fhi = wallet_free(asset)
if amount_lt(flo, fhi, lo, hi) then
  return { REPLY_REFUSED, INSUFFICIENT_FUNDS }
end
call('HSET', KEYS[1], asset, amount_text(amount_sub(flo, fhi, lo, hi)))
local entry = ledger_add(id, 'withdrawal', asset, '-', units, withdrawal, kept)
call('HSET', KEYS[3], ref_field, entry)
return { REPLY_OK, entry }
