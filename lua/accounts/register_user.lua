-- register_user: creates an account unless the username is taken, atomically. (Accounts, not matching.)
--
-- KEYS[1] user:name:<username in lower case>
-- ARGV[1] the new user id (taken from next_user_id beforehand)   ARGV[2] argon2 password hash
-- ARGV[3] now, ms   ARGV[4] the username as written
--
-- The account is the hash user:name:<lower-case username> {id, password, created_ms, username}: one key,
-- so the script touches one Redis Cluster slot, and `Alice` and `alice` are one name. Returns 1, or 0
-- when the username is taken (nothing written then; the id taken for it is skipped, as an order id taken
-- by a refused order is).

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'password', ARGV[2], 'created_ms', ARGV[3], 'username', ARGV[4])
return 1
