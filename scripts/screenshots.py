#!/usr/bin/env python3
"""`make screenshots`: the README's pictures of the trading screen, taken from the real thing.

Starts the release backend (its own embedded Redis in a temporary directory, faucet on) and the demo
bots on a free port, lets the market trade for a while so the chart has candles, then in headless
Chromium (over chromedriver's W3C WebDriver API) registers a trader, takes test funds, rests a buy
order under the market, and saves docs/screen-desktop.png (1440x900) and docs/screen-phone.png
(390x844). Everything it started is stopped and removed at the end.

Build first (the make target does): trunk build --release; cargo build --release -p backend -p tools
"""
import argparse
import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C key of an element reference


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {seconds} s")


class Browser:
    """One headless Chromium session over chromedriver's HTTP API."""

    def __init__(self, driver_port, width, height):
        self.base = f"http://127.0.0.1:{driver_port}"
        options = {"binary": shutil.which("chromium") or "/usr/bin/chromium",
                   "args": ["--headless=new", "--no-sandbox", "--hide-scrollbars", f"--window-size={width},{height}"]}
        if width < 500:
            # A phone's width is below a window's least (about 500 px): emulated as a phone, with touch.
            options["mobileEmulation"] = {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0,
                                                            "touch": True}}
        self.session = self.call("POST", "/session",
                                 {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.load(r)["value"]

    def at(self, path, body=None, method="POST"):
        return self.call(method, f"/session/{self.session}{path}", body)

    def find(self, css, seconds=20):
        deadline = time.time() + seconds
        while True:
            found = self.at("/elements", {"using": "css selector", "value": css})
            if found:
                return found[0][ELEMENT]
            if time.time() > deadline:
                sys.exit(f"no element matches {css}")
            time.sleep(0.2)

    def text(self, css):
        return self.at(f"/element/{self.find(css)}/text", method="GET")

    def wait_text(self, css, ok, seconds=20):
        deadline = time.time() + seconds
        while not ok(self.text(css)):
            if time.time() > deadline:
                sys.exit(f"{css}: never as expected (last: {self.text(css)!r})")
            time.sleep(0.2)

    def click(self, css):
        self.at(f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        element = self.find(css)
        self.at(f"/element/{element}/clear", {})
        self.at(f"/element/{element}/value", {"text": text})

    def save(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.at("/screenshot", method="GET")))
        print(f"wrote {os.path.relpath(path, ROOT)}")

    def close(self):
        self.at("", method="DELETE")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150,
                        help="how long the demo market trades first (the chart gets a candle a minute)")
    args = parser.parse_args()
    port, driver_port = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="screenshots-")
    env = dict(os.environ, PORT=str(port), FAUCET="true", DATA_DIR=data,
               ADMIN_TOKEN="shots-" + secrets.token_hex(16))
    env.pop("REDIS_URL", None)
    env.pop("REDIS_HOST", None)
    started = []
    try:
        started.append(subprocess.Popen([os.path.join(RELEASE, "backend")], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/api/v1/health")
        started.append(subprocess.Popen([os.path.join(RELEASE, "demo_bot"), url], env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        started.append(subprocess.Popen(["chromedriver", f"--port={driver_port}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(f"http://127.0.0.1:{driver_port}/status")
        print(f"the demo market trades for {args.seconds:.0f} s ...", flush=True)
        time.sleep(args.seconds)

        desktop = Browser(driver_port, 1440, 900)
        try:
            desktop.at("/url", {"url": f"{url}/"})
            desktop.wait_text(".status", lambda t: "live" in t)
            desktop.type("input[name=username]", "trader")
            desktop.type("input[name=password]", "trader-password-1")
            desktop.click("button[name=register]")
            desktop.wait_text(".signed-in", lambda t: "trader" in t)
            desktop.click("button[name=faucet]")
            desktop.wait_text(".balances", lambda t: any(ch.isdigit() and ch != "0" for ch in t))
            # A buy resting a little under the best bid: "my open orders" shows one.
            best_bid = float(desktop.text(".ladder.bids .row .price").replace(",", ""))
            desktop.click("button[name=buy]")
            desktop.type("input[name=price]", f"{best_bid * 0.995:.2f}")
            desktop.type("input[name=quantity]", "0.05")
            desktop.click("button[name=place]")
            desktop.wait_text(".mine .row.orders.open[data-order-id]", lambda t: "0.05" in t)
            time.sleep(2)
            desktop.save(os.path.join(ROOT, "docs", "screen-desktop.png"))
        finally:
            desktop.close()
        phone = Browser(driver_port, 390, 844)
        try:
            phone.at("/url", {"url": f"{url}/"})
            phone.wait_text(".status", lambda t: "live" in t)
            time.sleep(3)
            phone.save(os.path.join(ROOT, "docs", "screen-phone.png"))
        finally:
            phone.close()
    finally:
        for p in reversed(started):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
