-- transfer_unmark: takes a user off the list of users with a transfer that may be under way
-- (transfers:pending, scored by the start of the user's latest transfer), unless a newer transfer has
-- marked them since: the score must still be the one the caller read.
--
-- KEYS[1] transfers:pending   ARGV[1] user id   ARGV[2] the score read
-- Returns { 1 } when taken off, { 0 } otherwise.

local score = call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  call('ZREM', KEYS[1], ARGV[1])
  return { 1 }
end
return { 0 }
