-- get_orders: reads orders of one market by id, open or closed.
--
-- KEYS[1] {S}:seq (its prefix names the market)
-- ARGV[1..n] order ids
--
-- Returns one order entry (see engine_lib) per id found; missing ids are skipped. The caller checks
-- ownership.

local out = {}
for i = 1, #ARGV do
  local o = load_order(fmt(int_arg(i, 1)))
  if o then
    out[#out + 1] = order_entry(o)
  end
end
return out
