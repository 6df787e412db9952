-- faucet: credits a user's wallet the demo amount of every asset, at most once per rest period
-- (funds.lua).
--
-- KEYS[1] {u:<uid>}:wallet   KEYS[2] {u:<uid>}:ledger   KEYS[3] {u:<uid>}:faucet   KEYS[4] {u:<uid>}:xfer
-- ARGV[1] now, ms   ARGV[2] the first entry id (each asset's entry takes the next)   ARGV[3] the rest
-- period, ms   ARGV[4] ledger entries kept   ARGV[5..] asset, units (decimal text), asset, units, ...
--
-- Returns 'ok', entries... | 'refused', rate_limited, ms until the faucet is ready | 'refused',
-- amount_too_large (nothing written).

NOW = int_arg(1, 0)
local id, rest_ms, kept = int_arg(2, 1), int_arg(3, 1), int_arg(4, 1)
if #ARGV < 6 or #ARGV % 2 ~= 0 then
  error('invalid arguments: see faucet.lua')
end
local wait = call('PTTL', KEYS[3])
if wait > 0 then
  return { REPLY_REFUSED, RATE_LIMITED, fmt(wait) }
end
-- Every new balance first: one past the maximum refuses the whole credit.
local balances = {}
for i = 5, #ARGV, 2 do
  local lo, hi = amount_of_text(ARGV[i + 1])
  if not lo then
    error('invalid arguments: see faucet.lua')
  end
  local nlo, nhi = wallet_credit(KEYS[4], ARGV[i], lo, hi)
  if not nlo then
    return { REPLY_REFUSED, AMOUNT_TOO_LARGE }
  end
  balances[#balances + 1] = amount_text(nlo, nhi)
end
local reply = { REPLY_OK }
for i = 5, #ARGV, 2 do
  local n = (i - 3) / 2
  call('HSET', KEYS[1], ARGV[i], balances[n])
  reply[n + 1] = ledger_add(id + n - 1, 'faucet', ARGV[i], '', ARGV[i + 1], 'faucet', kept)
end
call('SET', KEYS[3], '1', 'PX', fmt(rest_ms))
return reply
