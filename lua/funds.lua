-- Funds in a user's own slot (docs/funds.md): the wallet, the ledger of its changes and the references
-- that make each change happen once. Every key of user <uid> carries the hash tag {u:<uid>}:
--   {u:<uid>}:wallet   hash: asset -> free units in the wallet, as decimal text
--   {u:<uid>}:ledger   sorted set: the wallet's ledger entries, scored by entry id (LEDGER_ENTRY)
--   {u:<uid>}:refs     hash: 'd:<deposit reference>' or 'w:<client withdrawal id>' -> its ledger entry
--   {u:<uid>}:faucet   string: set while the faucet is resting for this user (expires)
--   {u:<uid>}:xfer     hash: the user's transfer under way, if any (transfer_start.lua)
--
-- The codes a wallet change is refused with.
local INSUFFICIENT_FUNDS, AMOUNT_TOO_LARGE, RATE_LIMITED = 'insufficient_funds', 'amount_too_large', 'rate_limited'

-- The wallet's operations (helpers in a block of their own: the library's main chunk may hold at most 200
-- locals).
local wallet_free, wallet_credit, ledger_add
do
  -- LEDGER_ENTRY, text: id|time ms|kind|asset|signed units|reference. The reference comes last, so it may
  -- hold any character; the id leads, so entries sort and page by it.
  local LEDGER_ENTRY = '%d|%d|%s|%s|%s%s|%s'

  -- The wallet's free units of `asset` (lo, hi).
  function wallet_free(asset)
    local text = call('HGET', KEYS[1], asset)
    if not text then
      return 0, 0
    end
    return amount_of_text(text)
  end

  -- What a transfer under way out of a market may still bring into the wallet of `asset` (lo, hi), from
  -- the user's transfer hash `xfer_key`: counted as held already, so that the wallet stays within
  -- MAX_AMOUNT when it arrives.
  local function wallet_incoming(xfer_key, asset)
    local p = call('HMGET', xfer_key, 'asset', 'direction', 'units')
    if p[1] == asset and p[2] == 'out' then
      return amount_of_text(p[3])
    end
    return 0, 0
  end

  -- Whether the wallet (with what is on its way in, `xfer_key`) can take `lo, hi` more of `asset`, and its
  -- new free amount if so.
  function wallet_credit(xfer_key, asset, lo, hi)
    local flo, fhi = wallet_free(asset)
    local ilo, ihi = wallet_incoming(xfer_key, asset)
    local tlo, thi = amount_add(flo, fhi, ilo, ihi)
    if not tlo or not amount_add(tlo, thi, lo, hi) then
      return nil
    end
    return amount_add(flo, fhi, lo, hi)
  end

  -- A ledger entry of the wallet, written, its ledger kept to `kept` entries. `sign` is '' or '-'.
  function ledger_add(id, kind, asset, sign, units_text, reference, kept)
    local entry = format(LEDGER_ENTRY, id, NOW, kind, asset, sign, units_text, reference)
    call('ZADD', KEYS[2], fmt(id), entry)
    if call('ZCARD', KEYS[2]) > kept then
      call('ZREMRANGEBYRANK', KEYS[2], '0', fmt(-kept - 1))
    end
    return entry
  end
end
