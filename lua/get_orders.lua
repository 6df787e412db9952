-- get_orders: reads orders of one market by id, open or closed.
--
-- KEYS[1] {S}:seq (its prefix names the market)
-- ARGV[1..n] order ids
--
-- Returns one order JSON array per id found (see engine_lib's order_json); missing ids are skipped.
-- Ownership is checked by the caller.

local out = {}
for i = 1, #ARGV do
  local o = load_order(int_arg(i, 1))
  if o then
    table.insert(out, order_json(o))
  end
end
return out
