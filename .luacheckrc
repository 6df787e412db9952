-- luacheck's settings for the engine's Lua, run by `cargo test -p backend --test engine lua`: the
-- Function library is checked as Redis loads it, assembled from lua/ (its files share locals), and
-- the plain scripts one by one.
std = "lua51"
max_line_length = 120
-- What Redis gives every script and function.
read_globals = { "redis", "struct", "cjson", "cmsgpack", "bit" }
-- A plain script (EVAL) gets its keys and arguments as globals; a function gets them as parameters.
files["lua/accounts"] = { read_globals = { "KEYS", "ARGV" } }
files["tools/yardstick/seed_layout_match.lua"] = { read_globals = { "KEYS", "ARGV" } }
