-- deposit: credits a user's wallet once per reference (funds.lua). The exchange-wide claim of the
-- reference (a key of its own slot) is made before, by the backend.
--
-- KEYS[1] {u:<uid>}:wallet   KEYS[2] {u:<uid>}:ledger   KEYS[3] {u:<uid>}:refs   KEYS[4] {u:<uid>}:xfer
-- ARGV[1] now, ms   ARGV[2] the entry id   ARGV[3] asset   ARGV[4] units, decimal text (> 0)
-- ARGV[5] reference   ARGV[6] ledger entries kept   ARGV[7] kind ('deposit')
--
-- Returns 'ok', entry | 'dup', the reference's first entry | 'refused', amount_too_large (nothing
-- written).

NOW = int_arg(1, 0)
local id, asset, units, reference, kept = int_arg(2, 1), ARGV[3], ARGV[4], ARGV[5], int_arg(6, 1)
local lo, hi = amount_of_text(units)
if not lo or (lo == 0 and hi == 0) or asset == '' or reference == '' then
  error('invalid arguments: see deposit.lua')
end
local ref_field = 'd:' .. reference
local first = call('HGET', KEYS[3], ref_field)
if first then
  return { REPLY_DUP, first }
end
local nlo, nhi = wallet_credit(KEYS[4], asset, lo, hi)
if not nlo then
  return { REPLY_REFUSED, AMOUNT_TOO_LARGE }
end
call('HSET', KEYS[1], asset, amount_text(nlo, nhi))
local entry = ledger_add(id, ARGV[7], asset, '', units, reference, kept)
call('HSET', KEYS[3], ref_field, entry)
return { REPLY_OK, entry }
