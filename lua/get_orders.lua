-- get_orders: reads one user's orders of one market by id, open or closed (within the retention).
--
-- KEYS[1] {S}:seq   KEYS[2] {S}:user:<uid>:closed
-- ARGV[1] user id   ARGV[2] now, ms   ARGV[3] retention, ms   ARGV[4..n] order ids
--
-- Returns one order entry (see engine_lib) per id found that belongs to the user; others are skipped.

local uid = int_arg(1, 1, MAX_UID)
NOW, RETENTION = int_arg(2, 0), int_arg(3, 1)
local out = {}
for i = 4, #ARGV do
  local o = load_users_order(fmt(int_arg(i, 1)), uid)
  if o then
    out[#out + 1] = order_entry(o)
  end
end
return out
