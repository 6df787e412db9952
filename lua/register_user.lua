-- register_user: creates an account unless the username is taken, atomically. (Accounts, not matching:
-- it lives here beside the engine's scripts because it is one.)
--
-- KEYS[1] user:name:<username>   KEYS[2] next_user_id
-- ARGV[1] username   ARGV[2] argon2 password hash   ARGV[3] now, ms
--
-- Returns the new user id, or 0 when the username is taken (nothing written then).
-- The account itself is the hash user:<id> {username, password, created_ms}.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local id = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], id)
redis.call('HSET', 'user:' .. string.format('%d', id), 'username', ARGV[1], 'password', ARGV[2], 'created_ms', ARGV[3])
return id
