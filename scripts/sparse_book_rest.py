#!/usr/bin/env python3
"""Redis memory per resting order on a sparse book, measured through the REST API (issue 28's own
scenario): 64 users, each 400 resting limit buys of 0.001 BTC/USD at random prices between 100.00 and
999.99 (about 22,300 distinct levels, ~1.15 orders a level).

Usage: scripts/sparse_book_rest.py [BACKEND]   (default target/release/backend; `cargo build --release
-p backend` first). Starts a redis-server of its own on a free port (nothing kept on disk) and the backend
over it (ADMIN_TOKEN set to fund the users, the per-user order limit off), and prints the growth of
Redis's `used_memory` per order placed, and the best bids as the API shows them.
"""
import concurrent.futures
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

USERS, ORDERS_PER_USER, ADMIN = 64, 400, "sparse-book-admin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    backend_path = sys.argv[1] if len(sys.argv) > 1 else "target/release/backend"
    redis_port, port = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="sparse-book-")
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no",
                              "--dir", data], stdout=subprocess.DEVNULL)
    env = dict(os.environ, REDIS_URL=f"redis://127.0.0.1:{redis_port}", PORT=str(port), HOST="127.0.0.1",
               ADMIN_TOKEN=ADMIN, RATE_LIMIT_EXEMPT="127.0.0.1", RATE_LIMIT_ORDERS_PER_SEC="0", RUST_LOG="warn")
    backend = subprocess.Popen([backend_path], env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        def call(method, path, body=None, token=None):
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            data = json.dumps(body).encode() if body is not None else None
            with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method)) as r:
                return json.loads(r.read() or b"null")

        def used_memory():
            info = subprocess.run(["redis-cli", "-p", str(redis_port), "info", "memory"], capture_output=True,
                                  text=True, check=True).stdout
            return int(next(l for l in info.splitlines() if l.startswith("used_memory:")).split(":")[1])

        for _ in range(150):
            try:
                call("GET", "/health")
                break
            except OSError:
                time.sleep(0.2)
        tokens = []
        for u in range(USERS):
            name = f"sparse{u}"
            call("POST", "/auth/register", {"username": name, "password": "sparse-book-password"})
            login = call("POST", "/auth/login", {"username": name, "password": "sparse-book-password"})
            tokens.append(login["access_token"])
            call("POST", "/admin/deposits", {"username": name, "asset": "USD", "amount": 10_000_000,
                                             "reference": f"sparse-{u}"}, ADMIN)
        rng = random.Random(7)
        orders = [(t, f"{rng.randint(10_000, 99_999) / 100:.2f}") for t in tokens for _ in range(ORDERS_PER_USER)]

        def place(order):
            token, price = order
            call("POST", "/orders/", {"symbol": "BTC/USD", "side": "buy", "order_type": "limit",
                                      "quantity": "0.001", "price": price}, token)

        before, started = used_memory(), time.time()
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(place, orders))
        grown = used_memory() - before
        levels = len({price for _, price in orders})
        print(f"{len(orders)} resting orders on {levels} levels, placed in {time.time() - started:.1f} s: "
              f"{grown / len(orders):.1f} bytes of Redis memory per order")
        book = call("GET", "/orders/book/BTC-USD?depth=3")
        print("best bids:", [(l["price"], l["quantity"], l["order_count"]) for l in book["bids"]])
    finally:
        backend.terminate()
        redis.terminate()
        backend.wait()
        redis.wait()
        subprocess.run(["rm", "-rf", data], check=False)


if __name__ == "__main__":
    main()
