-- Sub-accounts (docs/funds.md): a user's funds in one market, in the market's hash {S}:accounts, field
-- the user id. ACCOUNT, packed: base free, base locked, quote free, quote locked (each an amount: its
-- low 32 bits, then its high bits), then the id of the last transfer applied to it and the amount that
-- transfer moved, then how many fills the user's fills set holds (its trim is due past a bound). Funds
-- meeting in one account may pass MAX_AMOUNT together (amount_sum), so a high half has 56 bits. Rust
-- reads it with backend/src/engine/wire.rs.
local ACCOUNT = '<I4I7I4I7I4I7I4I7I7I4I7I4'
-- An account as a table: the halves of its amounts from these indexes on (lo, then hi), then the last
-- transfer's id and what it moved, and (at 12, the last) the count of fills kept. (`unpack(a)` packs
-- all of it: the table has no other array entries.)
local BASE_FREE, QUOTE_FREE, LAST_TRANSFER, LAST_MOVED = 1, 5, 9, 10

-- An account as read (`packed`, or nil or false when there is none: all zero), into table `a`.
local function account_unpack(packed, a)
  if packed then
    a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12] = sunpack(ACCOUNT, packed)
  else
    a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12] = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  end
  return a
end

-- User `uid_text`'s account in the call's market (all zero when it has none).
local function account_read(uid_text)
  return account_unpack(call('HGET', P .. ':accounts', uid_text), {})
end

local function account_write(uid_text, a)
  call('HSET', P .. ':accounts', uid_text, pack(ACCOUNT, unpack(a)))
end
