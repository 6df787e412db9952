#!/usr/bin/env python3
"""What a price level costs Redis, today's layout against level buckets (issue 28; the design:
docs/engine-performance.md, "Sparse books: level buckets").

Writes 100,000 levels of one resting order each, the keys as the engine names them, into a
redis-server of its own (started on a free port, nothing kept on disk) and prints the growth of
`used_memory` per level: today's three parts (the level's list of order ids, its total's string key,
its member in the side's sorted set of prices) each alone and together, then the bucket layout (a hash
per run of B ticks with two fields per level: `t<price mod B>` its total, `q<price mod B>` its order
ids packed; a sorted set of the side's non-empty buckets) with levels on every tick and sparser; and
the Redis CPU of a read of a side's best levels, today's and from the buckets.

Usage: scripts/level_memory.py [LEVELS]   (needs redis-server and redis-cli)
"""

import socket
import struct
import subprocess
import sys
import tempfile
import time

LEVELS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
ORDER_ID = 10_000_000  # the first order's id: 7 bytes packed, as the engine packs ids


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(*args):
    """One command in Redis's protocol."""
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class Redis:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.TemporaryDirectory()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir.name],
            stdout=subprocess.DEVNULL,
        )
        while self.cli("ping") != "PONG":
            time.sleep(0.1)

    def cli(self, *args):
        run = subprocess.run(["redis-cli", "-p", str(self.port)] + list(args), capture_output=True, text=True)
        return run.stdout.strip()

    def pipe(self, commands):
        subprocess.run(["redis-cli", "-p", str(self.port), "--pipe"], input=b"".join(commands), capture_output=True,
                       check=True)

    def used_memory(self):
        info = self.cli("info", "memory").splitlines()
        return next(int(line.split(":")[1]) for line in info if line.startswith("used_memory:"))

    def per_level(self, commands):
        """used_memory's growth per level when `commands` run on an empty Redis."""
        self.cli("flushall")
        before = self.used_memory()
        self.pipe(commands)
        return (self.used_memory() - before) / LEVELS

    def per_lookup(self, script, keys, *args, reads=20_000):
        """Redis CPU per read of a side's best levels by `script`, run `reads` times in one call."""
        cpu = lambda: float(next(l for l in self.cli("info", "cpu").splitlines() if l.startswith("used_cpu_user:"))
                            .split(":")[1]) + float(next(l for l in self.cli("info", "cpu").splitlines()
                                                         if l.startswith("used_cpu_sys:")).split(":")[1])
        before = cpu()
        self.cli("eval", script, str(len(keys)), *keys, str(reads), *args)
        return (cpu() - before) * 1e6 / reads

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.dir.cleanup()


# Today: the bids' best 4 prices from the side's price set (scores are not asked for), as numbers.
TODAY_BEST = """
local best
for _ = 1, tonumber(ARGV[1]) do
  local read = redis.call('ZREVRANGE', KEYS[1], '0', '3')
  for i = 1, #read do best = read[i] + 0 end
end
return best
"""

# Buckets: the best bucket, then all its fields, the highest `t` field's price (a bid's best level).
BUCKETS_BEST = """
local best
local ticks = tonumber(ARGV[2])
for _ = 1, tonumber(ARGV[1]) do
  local b = redis.call('ZREVRANGE', KEYS[1], '0', '0')[1]
  local fields = redis.call('HGETALL', KEYS[2] .. b)
  local top = -1
  for i = 1, #fields, 2 do
    local field = fields[i]
    if string.byte(field, 1) == 116 then
      local offset = string.sub(field, 2) + 0
      if offset > top then top = offset end
    end
  end
  best = b * ticks + top
end
return best
"""


def order_id(i):
    return struct.pack("<Q", ORDER_ID + i)[:7]


def main():
    redis = Redis()
    try:
        prices = [4_000_000 - i for i in range(LEVELS)]
        lists = [command("RPUSH", f"{{BTC/USD}}:bids:{p}", order_id(i)) for i, p in enumerate(prices)]
        totals = [command("INCRBY", f"{{BTC/USD}}:depth:bids:{p}", 123456) for p in prices]
        members = [command("ZADD", "{BTC/USD}:levels:bids", p, p) for p in prices]
        lookups = {}
        print(f"Redis bytes per price level, {LEVELS:,} levels of one order each:")
        rows = [
            ("today, all three parts", lists + totals + members),
            ("  the level's list of ids", lists),
            ("  its total's string key", totals),
            ("  its member in the price set", members),
        ]
        for label, commands in rows:
            print(f"  {label:<46}{redis.per_level(commands):6.1f} B")
        for ticks, every in ((64, 1), (128, 1), (128, 4), (256, 16)):
            commands, buckets = [], set()
            for i in range(LEVELS):
                p = 4_000_000 - i * every
                b = p // ticks
                # The level's total (an integer: HINCRBY keeps it exact) and its queue of one id.
                fields = (f"t{p % ticks}", 123456, f"q{p % ticks}", order_id(i))
                commands.append(command("HSET", f"{{BTC/USD}}:lv:bids:{b}", *fields))
                if b not in buckets:
                    buckets.add(b)
                    commands.append(command("ZADD", "{BTC/USD}:buckets:bids", b, b))
            label = f"buckets of {ticks} ticks, a level every {every} tick{'s' if every > 1 else ''}"
            print(f"  {label:<46}{redis.per_level(commands):6.1f} B")
            if ticks == 64 or every == 16:
                lookups[label] = redis.per_lookup(
                    BUCKETS_BEST, ["{BTC/USD}:buckets:bids", "{BTC/USD}:lv:bids:"], str(ticks))
        redis.cli("flushall")
        redis.pipe(members)
        lookups["today: the price set's first 4 levels"] = redis.per_lookup(TODAY_BEST, ["{BTC/USD}:levels:bids"])
        print("Redis CPU per read of a side's best levels (what matching.lua's TOP cache is filled from):")
        for label, us in lookups.items():
            print(f"  {label:<46}{us:6.2f} us")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
