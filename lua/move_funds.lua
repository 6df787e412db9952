-- move_funds: step 2 of a transfer between a user's wallet and their sub-account in this market
-- (docs/funds.md, "Transfers"), applied once per transfer: a user's transfers go one at a time with
-- growing ids, so one whose id is not above the account's last was applied already.
--
-- KEYS[1] {S}:seq (names the market; not read)
-- ARGV[1] user id   ARGV[2] transfer id   ARGV[3] 'in' (credit the amount) | 'out' (debit what is free,
-- up to the amount)   ARGV[4] 'base' | 'quote'   ARGV[5] units (decimal text)
--
-- Returns { the units the transfer moved, decimal text }: now, or when it was first applied.

local uid, id, direction, side = int_arg(1, 1, MAX_UID), int_arg(2, 1), ARGV[3], ARGV[4]
local lo, hi = amount_of_text(ARGV[5])
if not lo or (direction ~= 'in' and direction ~= 'out') or (side ~= 'base' and side ~= 'quote') then
  error('invalid arguments: see move_funds.lua')
end
local uid_text = fmt(uid)
local a = account_read(uid_text)
if id <= a[LAST_TRANSFER] then
  return { amount_text(a[LAST_MOVED], a[LAST_MOVED + 1]) }
end
local at = side == 'base' and BASE_FREE or QUOTE_FREE
if direction == 'in' then
  a[at], a[at + 1] = amount_sum(a[at], a[at + 1], lo, hi)
else
  if amount_lt(a[at], a[at + 1], lo, hi) then
    lo, hi = a[at], a[at + 1]
  end
  a[at], a[at + 1] = amount_sub(a[at], a[at + 1], lo, hi)
end
a[LAST_TRANSFER], a[LAST_MOVED], a[LAST_MOVED + 1] = id, lo, hi
account_write(uid_text, a)
return { amount_text(lo, hi) }
