-- Amounts of an asset (docs/funds.md): whole units of its scale, from 0 to MAX_AMOUNT (2^62 - 1).
-- Lua's numbers are doubles, exact below 2^53 only, and a balance of 10^8 dollars at 10 decimal places
-- is 10^18 units; so an amount is two numbers, its low and high 32 bits (lo, hi), passed and returned
-- as two values (no table is made). Every step below keeps each intermediate below 2^53, and divides
-- only by powers of two (exact) or corrects its quotient. Wallets store amounts as decimal text.

-- MAX_AMOUNT's halves.
local MAX_LO, MAX_HI = 4294967295, 1073741823
-- The operations (the library's main chunk may hold at most 200 locals: the helpers below live in a
-- block of their own).
local amount_add, amount_sum, amount_sub, amount_lt, amount_mul, amount_fee, amount_of_text, amount_text
do
  local TWO16, TWO32, TWO53 = 65536, 4294967296, 9007199254740992
  -- An amount whose high half is below this is below 2^52: one double holds it, and its products with
  -- numbers up to 10^6 stay exact.
  local HI_BELOW_2_52 = 1048576
  -- An amount's high half stays below this: the amount below 2^62.
  local AMOUNT_HI_LIMIT = 1073741824

  -- a + b; nil when past MAX_AMOUNT.
  function amount_add(alo, ahi, blo, bhi)
    local lo, hi = alo + blo, ahi + bhi
    if lo >= TWO32 then
      lo, hi = lo - TWO32, hi + 1
    end
    if hi >= AMOUNT_HI_LIMIT then
      return nil
    end
    return lo, hi
  end

  -- a + b, unchecked: sums of balances inside a market or a wallet, which may pass MAX_AMOUNT together
  -- (several users' funds meeting in one account) and stay exact while the high half is below 2^53.
  function amount_sum(alo, ahi, blo, bhi)
    local lo, hi = alo + blo, ahi + bhi
    if lo >= TWO32 then
      return lo - TWO32, hi + 1
    end
    return lo, hi
  end

  -- a - b, for a >= b.
  function amount_sub(alo, ahi, blo, bhi)
    local lo, hi = alo - blo, ahi - bhi
    if lo < 0 then
      lo, hi = lo + TWO32, hi - 1
    end
    return lo, hi
  end

  -- Whether a < b.
  function amount_lt(alo, ahi, blo, bhi)
    return ahi < bhi or (ahi == bhi and alo < blo)
  end

  -- a * b for integers a, b < 2^53, exactly; nil when the product passes MAX_AMOUNT. Each factor is cut
  -- into 26-bit halves; a product below 2^62 keeps every partial product and sum exact.
  function amount_mul(a, b)
    local p = a * b
    if p < TWO53 then
      -- (The usual case: a product below 2^53 is exact in a double, and a larger one never rounds
      -- below 2^53.)
      local lo = p % TWO32
      return lo, (p - lo) / TWO32
    end
    if p > 4611686018428436480 then -- (2^62 + 2^20: the double product's error is far smaller)
      return nil
    end
    local a0, b0 = a % 67108864, b % 67108864
    local a1, b1 = (a - a0) / 67108864, (b - b0) / 67108864
    -- a * b = top * 2^52 + mid * 2^26 + low
    local top, mid, low = a1 * b1, a1 * b0 + a0 * b1, a0 * b0
    local m0 = mid % 64
    local hi = top * 1048576 + (mid - m0) / 64
    local lo = low + m0 * 67108864
    local carry = lo % TWO32
    hi, lo = hi + (lo - carry) / TWO32, carry
    if hi >= AMOUNT_HI_LIMIT then
      return nil
    end
    return lo, hi
  end

  -- One digit of a long division by d: the quotient of `rest` (below 2^46) and the remainder, the
  -- double division's rounding corrected.
  local function divide_digit(rest, d)
    local q = floor(rest / d)
    local r = rest - q * d
    if r < 0 then
      return q - 1, r + d
    elseif r >= d then
      return q + 1, r - d
    end
    return q, r
  end

  -- a divided by d (an integer, 0 < d < 2^30): the quotient (lo, hi) and the remainder, by long division
  -- in 16-bit digits.
  local function amount_divmod(lo, hi, d)
    local qhi, r = divide_digit(hi, d)
    local l1 = floor(lo / TWO16)
    local q1, q0
    q1, r = divide_digit(r * TWO16 + l1, d)
    q0, r = divide_digit(r * TWO16 + (lo - l1 * TWO16), d)
    -- q1 and q0 are below 2^16 each: the quotient's low half is q1 * 2^16 + q0.
    return q1 * TWO16 + q0, qhi, r
  end

  -- r * num / d (r < d, r * num < 2^53) rounded: up for a fee, down for a rebate; the double division's
  -- rounding corrected.
  local function fee_of_rest(r, num, d, rebate)
    local part = r * num
    local extra = floor(part / d)
    if extra * d > part then
      extra = extra - 1
    elseif (extra + 1) * d <= part then
      extra = extra + 1
    end
    if not rebate and extra * d < part then
      extra = extra + 1
    end
    return extra
  end

  -- The fee on amount a at the rate num / 10^places (num an integer, |num| < 10^places <= 10^6), rounded
  -- in the exchange's favour: a fee (num > 0) up, a rebate (num < 0) towards zero. Returns the fee as an
  -- amount and whether it is a rebate. a * num / d = q * num + r * num / d, with q, r = a divmod d; q *
  -- num < a, and r * num < 2^40.
  function amount_fee(lo, hi, num, d)
    local rebate = num < 0
    if rebate then
      num = -num
    end
    if num == 0 then
      return 0, 0, false
    end
    if hi < HI_BELOW_2_52 then
      -- The usual case, an amount below 2^52: a = q * d + r in doubles (each product below 2^53, the
      -- quotients' rounding corrected), the fee q * num + r * num / d rounded.
      local a = hi * TWO32 + lo
      local q = floor(a / d)
      local r = a - q * d
      if r < 0 then
        q, r = q - 1, r + d
      elseif r >= d then
        q, r = q + 1, r - d
      end
      local extra = fee_of_rest(r, num, d, rebate)
      local fee = q * num + extra
      local flo = fee % TWO32
      return flo, (fee - flo) / TWO32, rebate
    end
    local qlo, qhi, r = amount_divmod(lo, hi, d)
    -- q * num, exact: qhi * num < 2^30 (q * num < a), and the low half in 16-bit digits.
    local q1 = floor(qlo / TWO16)
    local p0, p1 = (qlo - q1 * TWO16) * num, q1 * num
    local p1lo = p1 % TWO16
    local carry = (p0 - p0 % TWO32) / TWO32
    local flo, fhi = amount_add(p0 % TWO32, qhi * num + carry + (p1 - p1lo) / TWO16, p1lo * TWO16, 0)
    local extra = fee_of_rest(r, num, d, rebate)
    flo, fhi = amount_add(flo, fhi, extra, 0)
    return flo, fhi, rebate
  end

  -- Decimal text of digits (an argument, a wallet's field) as an amount; nil when it is not one or passes
  -- MAX_AMOUNT.
  function amount_of_text(text)
    if not text or #text == 0 or #text > 19 or find(text, '%D') then
      return nil
    end
    -- text = a * 10^9 + b, a < 10^10; a * 10^9 = (a1 * 2^16 + a0) * 10^9, each part below 2^48.
    local a = #text > 9 and tonumber(sub(text, 1, -10)) or 0
    local b = tonumber(sub(text, -9))
    local a0 = a % TWO16
    local x = (a - a0) / TWO16 * 1000000000
    local x0 = x % TWO16
    local lo = x0 * TWO16 + a0 * 1000000000 + b
    local carry = lo % TWO32
    local hi = (x - x0) / TWO16 + (lo - carry) / TWO32
    if hi >= AMOUNT_HI_LIMIT then
      return nil
    end
    return carry, hi
  end

  -- An amount as decimal text.
  function amount_text(lo, hi)
    local qlo, qhi, r = amount_divmod(lo, hi, 1000000000)
    local q = qhi * TWO32 + qlo
    if q == 0 then
      return format('%d', r)
    end
    return format('%d%09d', q, r)
  end
end
