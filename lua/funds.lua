-- Funds in a user's own slot (docs/funds.md): the wallet, the ledger of its changes and the references
-- that make each change happen once. Every key of user <uid> carries the hash tag {u:<uid>}:
--   {u:<uid>}:wallet   hash: asset -> free units in the wallet, as decimal text
--   {u:<uid>}:ledger   sorted set: the wallet's ledger entries, scored by entry id (LEDGER_ENTRY)
--   {u:<uid>}:refs     hash: 'd:<deposit reference>' or 'w:<client withdrawal id>' -> its ledger entry
--   {u:<uid>}:faucet   string: set while the faucet is resting for this user (expires)
--
-- LEDGER_ENTRY, text: id|time ms|kind|asset|signed units|reference. The reference comes last, so it may
-- hold any character; the id leads, so entries sort and page by it.
local LEDGER_ENTRY = '%d|%d|%s|%s|%s%s|%s'
-- The codes a wallet change is refused with.
local INSUFFICIENT_FUNDS, AMOUNT_TOO_LARGE, RATE_LIMITED = 'insufficient_funds', 'amount_too_large', 'rate_limited'

-- The wallet's free units of `asset` (lo, hi).
local function wallet_free(asset)
  local text = call('HGET', KEYS[1], asset)
  if not text then
    return 0, 0
  end
  return amount_of_text(text)
end

-- A ledger entry of the wallet, written, its ledger kept to `kept` entries. `sign` is '' or '-'.
local function ledger_add(id, kind, asset, sign, units_text, reference, kept)
  local entry = format(LEDGER_ENTRY, id, NOW, kind, asset, sign, units_text, reference)
  call('ZADD', KEYS[2], fmt(id), entry)
  if call('ZCARD', KEYS[2]) > kept then
    call('ZREMRANGEBYRANK', KEYS[2], '0', fmt(-kept - 1))
  end
  return entry
end
