-- amount_check: the amount arithmetic of amounts.lua, for the engine test that compares it with exact
-- integers (backend/tests/engine/amounts.rs). Read-only; touches no key.
--
-- KEYS[1] any key (only to route the call)
-- ARGV[1] 'mul' a b | 'fee' amount num d | 'add' a b | 'sub' a b | 'text' a   (a, b, amount: decimal
-- text; num, d and the factors of 'mul': numbers below 2^53)
-- Returns the result as decimal text ('' when it passes the maximum), and for 'fee' whether it is a
-- rebate ('1' or '0'); for 'sub' and 'add', also whether a < b.

local op = ARGV[1]
local function text_or_empty(lo, hi)
  return lo and amount_text(lo, hi) or ''
end
if op == 'mul' then
  return { text_or_empty(amount_mul(tonumber(ARGV[2]), tonumber(ARGV[3]))) }
elseif op == 'fee' then
  local lo, hi = amount_of_text(ARGV[2])
  local flo, fhi, rebate = amount_fee(lo, hi, tonumber(ARGV[3]), tonumber(ARGV[4]))
  return { amount_text(flo, fhi), rebate and '1' or '0' }
elseif op == 'add' or op == 'sub' then
  local alo, ahi = amount_of_text(ARGV[2])
  local blo, bhi = amount_of_text(ARGV[3])
  local less = amount_lt(alo, ahi, blo, bhi)
  if op == 'add' then
    return { text_or_empty(amount_add(alo, ahi, blo, bhi)), less and '1' or '0' }
  end
  return { less and '' or amount_text(amount_sub(alo, ahi, blo, bhi)), less and '1' or '0' }
elseif op == 'text' then
  return { text_or_empty(amount_of_text(ARGV[2])) }
end
error('unknown op')
