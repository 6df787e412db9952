#!/usr/bin/env python3
"""Runs the README's usage examples against a live server, so the docs cannot rot.

Every fenced block whose info string is `sh example` or `python example` runs, in order, against a
backend started here (release build, its own embedded redis-server and data directory, a free port), or
with `--base http://HOST:PORT` against a server already running there (the compose stack's, in
scripts/docker_test.py); `localhost:8000` in the examples (http:// and ws://) is pointed at it. A block
passes when it exits with 0.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base, deadline=30):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("the backend did not become healthy")


def run_examples(host_port):
    """Runs every example against the server at `host_port`; returns (passed, failed)."""
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = re.findall(r"```(sh|python) example\n(.*?)```", readme, re.S)
    if not blocks:
        sys.exit("no examples found in README.md")
    passed = failed = 0
    for n, (lang, code) in enumerate(blocks, 1):
        code = code.replace("localhost:8000", host_port)
        cmd = ["bash", "-euo", "pipefail", "-c", code] if lang == "sh" else [sys.executable, "-c", code]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        ok = result.returncode == 0
        passed, failed = passed + ok, failed + (not ok)
        print(f"example {n} ({lang}): {'ok' if ok else 'FAILED'}")
        if not ok:
            print(result.stdout, result.stderr, sep="\n")
    print(f"readme examples: {passed} passed, {failed} failed")
    return passed, failed


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--base":
        base = sys.argv[2].rstrip("/")
        wait_healthy(base)
        _, failed = run_examples(base.split("://", 1)[1])
        sys.exit(1 if failed else 0)
    port, data = free_port(), tempfile.mkdtemp(prefix="readme-examples-")
    base = f"http://127.0.0.1:{port}"
    # As `make run` does: the demo faucet on, so the examples can take test funds.
    env = dict(os.environ, PORT=str(port), DATA_DIR=data, RUST_LOG="warn", FAUCET="true")
    for var in ("REDIS_URL", "REDIS_HOST"):
        env.pop(var, None)
    server = subprocess.Popen([os.path.join(ROOT, "target/release/backend")], cwd=ROOT, env=env)
    try:
        wait_healthy(base)
        _, failed = run_examples(f"127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
