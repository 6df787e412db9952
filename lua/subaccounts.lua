-- Sub-accounts (docs/funds.md): a user's funds in one market, in the market's hash {S}:accounts, field
-- the user id. ACCOUNT, packed: base free, base locked, quote free, quote locked (each an amount: its
-- low 32 bits, then its high bits), then the id of the last transfer applied to it and the amount that
-- transfer moved. Funds meeting in one account may pass MAX_AMOUNT together (amount_sum), so a high
-- half has 56 bits. Rust reads it with backend/src/engine/wire.rs.
local ACCOUNT = '<I4I7I4I7I4I7I4I7I7I4I7'
-- An account as a table: the halves of its amounts from these indexes on (lo, then hi), then the last
-- transfer's id and what it moved.
local BASE_FREE, QUOTE_FREE, LAST_TRANSFER, LAST_MOVED = 1, 5, 9, 10

-- User `uid_text`'s account in the call's market (all zero when it has none).
local function account_read(uid_text)
  local packed = call('HGET', P .. ':accounts', uid_text)
  if not packed then
    return { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
  end
  return { sunpack(ACCOUNT, packed) }
end

local function account_write(uid_text, a)
  call('HSET', P .. ':accounts', uid_text, pack(ACCOUNT, unpack(a, 1, 11)))
end
