#!/usr/bin/env python3
"""`make test-docker`: the compose stack, built and run for real, checked from outside.

1. A Docker engine: the one that answers, or `dockerd` started here (and stopped at the end).
2. The base images the Dockerfile and the compose file name: where one is missing, a stand-in is built
   under its tag from Debian's packages (scripts/standins/README.md).
3. `compose build` (timed: the cold build), `compose up -d`, both services healthy; then, only through
   the port published on 127.0.0.1: the README's API examples, an order of our own, and the screen in
   headless Chromium showing it on the book.
4. `compose down` (volumes kept) and `up` again, now with DEMO=true: the orders are still there (AOF on
   the named volume), and the demo market trades on a live screen.
5. The image: runs as a non-root user, carries no build toolchain, has a passing HEALTHCHECK; its size.
6. A build after a source change (timed: the warm build), `compose down -v`.

Figures go to target/docker/results.json. Compose is `docker compose` where the plugin is installed,
else `docker-compose`.
"""
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "docker")
STANDINS = os.path.join(ROOT, "scripts", "standins")
PROJECT = "exchange-test"
# The runtime image's size the issue set as the target (bytes).
IMAGE_TARGET = 150 * 1000 * 1000
# What a build toolchain leaves on PATH; none of it may be in the runtime image.
TOOLCHAIN = ["cargo", "rustc", "rustup", "gcc", "cc", "ld", "make", "trunk", "wasm-bindgen"]
# The official slim image's trimming, as dpkg path filters (and what it removes from the root file system).
SLIM_DPKG = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
"""
# The official image's apt settings (/etc/apt/apt.conf.d/docker-*): no package caches or downloaded
# packages left in a layer, no translations, no suggested packages kept.
SLIM_APT = {
    "docker-clean": 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb '
                    '/var/cache/apt/*.bin || true"; };\n'
                    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
                    '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
                    'Dir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n',
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import readme_examples  # noqa: E402


def say(text):
    print(f"==> {text}", flush=True)


def run(cmd, **kw):
    """Runs `cmd` (a list), failing the test with its output when it fails; returns its stdout."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.exit(f"`{' '.join(cmd)}` failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result.stdout


def ok(cmd):
    return subprocess.run(cmd, capture_output=True).returncode == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# 1. The engine.

def start_engine():
    """Returns the dockerd process started here, or None when an engine already answered."""
    if ok(["docker", "info"]):
        return None
    say("no Docker engine answers: starting dockerd")
    os.makedirs(WORK, exist_ok=True)
    log = open(os.path.join(WORK, "dockerd.log"), "w")
    daemon = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT)
    for _ in range(120):
        if ok(["docker", "info"]):
            return daemon
        if daemon.poll() is not None:
            break
        time.sleep(0.5)
    sys.exit(f"dockerd did not start: see {log.name}")


def stop_engine(daemon):
    if daemon:
        say("stopping the dockerd started here")
        daemon.terminate()
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()


# 2. Base images.

def base_images():
    """The images the Dockerfile builds from and the compose file runs, by tag."""
    dockerfile = open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8").read()
    compose = open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8").read()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.M | re.I)
    names = {alias for _, alias in stages if alias}
    images = [image for image, _ in stages if image not in names]
    images += re.findall(r"^\s+image:\s*(\S+)", compose, re.M)
    return list(dict.fromkeys(images))


def have_image(tag):
    return ok(["docker", "image", "inspect", tag])


def standin_debian(tag):
    rootfs = os.path.join(WORK, "rootfs")
    if not os.path.isdir(os.path.join(rootfs, "usr")):
        say("debootstrap --variant=minbase bookworm (the debian:bookworm-slim stand-in)")
        shutil.rmtree(rootfs, ignore_errors=True)
        run(["debootstrap", "--variant=minbase", "bookworm", rootfs, "http://deb.debian.org/debian"])
        with open(os.path.join(rootfs, "etc/dpkg/dpkg.cfg.d/docker-slim"), "w") as f:
            f.write(SLIM_DPKG)
        for name, text in SLIM_APT.items():
            with open(os.path.join(rootfs, "etc/apt/apt.conf.d", name), "w") as f:
                f.write(text)
        for trimmed in ["usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/lib/apt/lists",
                        "var/cache/apt"]:
            shutil.rmtree(os.path.join(rootfs, trimmed), ignore_errors=True)
        os.makedirs(os.path.join(rootfs, "var/lib/apt/lists/partial"), exist_ok=True)
        os.makedirs(os.path.join(rootfs, "var/cache/apt/archives/partial"), exist_ok=True)
    tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
    run(["docker", "import", "--change", 'CMD ["bash"]', "-", tag], stdin=tar.stdout)
    tar.wait()


def standin_redis(tag):
    run(["docker", "build", "-t", tag, os.path.join(STANDINS, "redis")])


def standin_rust(tag):
    version = re.match(r"rust:(\d+\.\d+)", tag).group(1)
    rustc = run(["rustc", "--version"])
    if not rustc.startswith(f"rustc {version}."):
        sys.exit(f"{tag} is missing and this machine's {rustc.strip()} cannot stand in for it")
    sysroot = run(["rustc", "--print", "sysroot"]).strip()
    full = rustc.split()[1]
    toolchain = f"{full}-x86_64-unknown-linux-gnu"
    context = os.path.join(WORK, "rust-standin")
    shutil.rmtree(context, ignore_errors=True)
    shutil.copytree(os.path.join(STANDINS, "rust"), context)
    # The toolchain without its documentation, as rustup's minimal profile would have it.
    shutil.copytree(sysroot, os.path.join(context, "rustup", "toolchains", toolchain), symlinks=True,
                    ignore=shutil.ignore_patterns("doc"))
    with open(os.path.join(context, "rustup", "settings.toml"), "w") as f:
        f.write(f'version = "12"\ndefault_toolchain = "{toolchain}"\nprofile = "minimal"\n'
                'auto_self_update = "disable"\n\n[overrides]\n')
    bin_dir = os.path.join(context, "cargo", "bin")
    os.makedirs(bin_dir)
    rustup = shutil.which("rustup")
    shutil.copy2(os.path.realpath(rustup), os.path.join(bin_dir, "rustup"))
    for proxy in ["cargo", "rustc", "rustdoc", "rustfmt", "cargo-fmt", "cargo-clippy", "clippy-driver", "rust-gdb"]:
        os.link(os.path.join(bin_dir, "rustup"), os.path.join(bin_dir, proxy))
    carry_build_tools(os.path.join(context, "cargo"))
    certificates = os.path.join(context, "certificates")
    os.makedirs(certificates)
    local = "/usr/local/share/ca-certificates"
    for name in (os.listdir(local) if os.path.isdir(local) else []):
        if name.endswith(".crt"):
            shutil.copy2(os.path.join(local, name), certificates)
    run(["docker", "build", "--build-arg", f"RUST_VERSION={full}", "-t", tag, context])
    shutil.rmtree(context, ignore_errors=True)


def carry_build_tools(cargo_home):
    """Puts this machine's trunk and wasm-bindgen-cli (installed by scripts/prereqs.sh at the versions
    the Dockerfile pins) into a stand-in's CARGO_HOME, recorded as cargo records what it installs: the
    Dockerfile's `cargo install` of them then finds them installed instead of building them again, which
    takes about nine minutes of a test run. (The real image does not carry them: a user's first build
    installs them, and later builds reuse that layer.)"""
    home = os.path.expanduser("~/.cargo")
    try:
        installs = json.load(open(os.path.join(home, ".crates2.json")))["installs"]
    except (OSError, ValueError, KeyError):
        return
    carried = {key: entry for key, entry in installs.items() if key.split()[0] in ("trunk", "wasm-bindgen-cli")
               and all(os.path.isfile(os.path.join(home, "bin", b)) for b in entry["bins"])}
    for entry in carried.values():
        for name in entry["bins"]:
            shutil.copy2(os.path.join(home, "bin", name), os.path.join(cargo_home, "bin", name))
    with open(os.path.join(cargo_home, ".crates2.json"), "w") as f:
        json.dump({"installs": carried}, f)
    with open(os.path.join(cargo_home, ".crates.toml"), "w") as f:
        f.write("[v1]\n" + "".join(f'"{key}" = {json.dumps(entry["bins"])}\n' for key, entry in carried.items()))


def ensure_base_images():
    images = base_images()
    # The stand-ins for redis and rust build on the Debian one: it comes first.
    for tag in sorted(images, key=lambda i: 0 if i.startswith("debian:") else 1):
        if have_image(tag):
            print(f"base image {tag}: present")
            continue
        started = time.time()
        if tag.startswith("debian:bookworm"):
            standin_debian(tag)
        elif tag.startswith("redis:7"):
            if not have_image("debian:bookworm-slim"):
                standin_debian("debian:bookworm-slim")
            standin_redis(tag)
        elif re.match(r"rust:\d+\.\d+(\.\d+)?-bookworm$", tag):
            if not have_image("debian:bookworm-slim"):
                standin_debian("debian:bookworm-slim")
            standin_rust(tag)
        else:
            sys.exit(f"base image {tag} is missing and no stand-in is known for it")
        print(f"base image {tag}: stand-in built from Debian's packages in {time.time() - started:.0f} s")


# 3. The stack.

def compose_command():
    if ok(["docker", "compose", "version"]):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    sys.exit("neither `docker compose` nor `docker-compose` is installed")


class Stack:
    def __init__(self, port):
        self.port = port
        self.env_file = os.path.join(WORK, "test.env")
        self.password = secrets.token_hex(24)
        self.settings(demo=False)
        self.compose = compose_command() + ["--project-name", PROJECT, "--env-file", self.env_file,
                                            "--file", os.path.join(ROOT, "docker-compose.yml")]
        self.base = f"http://127.0.0.1:{port}"

    def settings(self, demo):
        """Writes the stack's .env: a Redis password, the published port, and whether the demo runs."""
        with open(self.env_file, "w") as f:
            f.write(f"REDIS_PASSWORD={self.password}\nPORT={self.port}\nRUST_LOG=warn\n"
                    f"DEMO={'true' if demo else 'false'}\n")

    def __call__(self, *args, **kw):
        return run(self.compose + list(args), cwd=ROOT, **kw)

    def container(self, service):
        return self("ps", "-q", service).strip()

    def wait_healthy(self, deadline=180):
        end = time.time() + deadline
        states = {}
        while time.time() < end:
            states = {}
            for service in ("redis", "exchange"):
                cid = self.container(service)
                states[service] = run(["docker", "inspect", "--format", "{{.State.Health.Status}}", cid]).strip() \
                    if cid else "absent"
            if all(s == "healthy" for s in states.values()):
                return
            time.sleep(1)
        print(self("logs", "--tail", "50"))
        sys.exit(f"the stack did not become healthy: {states}")


def api(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}/api/v1{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def login(base, username, password):
    status, answer = api(base, "POST", "/auth/login", {"username": username, "password": password})
    if status != 200:
        sys.exit(f"login as {username}: {status} {answer}")
    return answer["access_token"]


def place_our_order(base):
    """A resting bid at a price nothing else uses; returns (token, order id)."""
    api(base, "POST", "/auth/register", {"username": "docker-check", "password": "docker-check-password"})
    token = login(base, "docker-check", "docker-check-password")
    api(base, "POST", "/account/faucet", token=token)
    status, order = api(base, "POST", "/orders/", {"symbol": "BTC/USD", "side": "buy", "order_type": "limit",
                                                   "quantity": 0.25, "price": 12345.67}, token)
    if status != 201 or order["status"] != "open":
        sys.exit(f"placing a resting order: {status} {order}")
    return order["id"]


class Browser:
    """Headless Chromium through chromedriver's W3C WebDriver endpoint (plain HTTP, no client library)."""

    def __init__(self):
        self.port = free_port()
        self.profile = os.path.join(WORK, "chromium-profile")
        shutil.rmtree(self.profile, ignore_errors=True)
        self.driver = subprocess.Popen(["chromedriver", f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1440,900", f"--user-data-dir={self.profile}"]
        capabilities = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": shutil.which("chromium") or "/usr/bin/chromium", "args": args}}}}
        for _ in range(50):
            try:
                self.session = self.call("POST", "/session", capabilities)["sessionId"]
                return
            except OSError:
                time.sleep(0.2)
        sys.exit("chromedriver did not start")

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as r:
            return json.loads(r.read())["value"]

    def go(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def text(self, css):
        """The text of the first element matching `css`, or None."""
        try:
            found = self.call("POST", f"/session/{self.session}/element", {"using": "css selector", "value": css})
        except urllib.error.HTTPError:
            return None
        element = next(iter(found.values()))
        return self.call("GET", f"/session/{self.session}/element/{element}/text")

    def screenshot(self, path):
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", f"/session/{self.session}/screenshot")))

    def close(self):
        try:
            self.call("DELETE", f"/session/{self.session}")
        finally:
            self.driver.terminate()
            self.driver.wait(timeout=10)
            shutil.rmtree(self.profile, ignore_errors=True)


def check_screen(base, shot, seen, what):
    """Opens the BTC/USD screen and waits until its `css` element's text passes `seen`; screenshot `shot`."""
    css, test = seen
    browser = Browser()
    try:
        browser.go(f"{base}/trade/BTC-USD")
        text = None
        for _ in range(300):
            text = browser.text(css)
            if text and test(text):
                break
            time.sleep(0.2)
        # (A moment more, for the chart and the depth to draw what came with it.)
        time.sleep(2)
        browser.screenshot(shot)
        if not text or not test(text):
            sys.exit(f"the screen does not show {what} ({css}: {text!r}; see {shot})")
        print(f"screen: {what} (screenshot {shot})")
    finally:
        browser.close()


def check_ui_compression(base):
    """The UI's module travels brotli-compressed to a browser that takes it, gzip-compressed otherwise."""
    with urllib.request.urlopen(f"{base}/trade/BTC-USD", timeout=10) as r:
        page = r.read().decode()
    wasm = re.search(r'[\w-]+_bg\.wasm', page)
    if not wasm:
        sys.exit("the page names no wasm module")
    sizes = {}
    for encoding in ("br", "gzip"):
        request = urllib.request.Request(f"{base}/{wasm.group(0)}", headers={"Accept-Encoding": encoding})
        with urllib.request.urlopen(request, timeout=10) as r:
            got = r.headers.get("Content-Encoding")
            sizes[encoding] = len(r.read())
        if got != encoding:
            sys.exit(f"asked for {encoding}, the module came as {got!r}")
    print(f"ui: the module travels as brotli ({sizes['br'] / 1e3:.0f} KB) or gzip ({sizes['gzip'] / 1e3:.0f} KB)")


def wait_for_demo_trades(base, deadline=90):
    """The demo market's bots trade: recent trades appear on BTC/USD."""
    end = time.time() + deadline
    while time.time() < end:
        status, trades = api(base, "GET", "/orders/trades/BTC%2FUSD?limit=50")
        if status == 200 and len(trades) >= 10:
            print(f"demo: {len(trades)} recent trades on BTC/USD")
            return
        time.sleep(1)
    sys.exit("the demo market did not trade")


# 5. The image.

def check_image(stack):
    image = run(["docker", "inspect", "--format", "{{.Image}}", stack.container("exchange")]).strip()
    config = json.loads(run(["docker", "image", "inspect", image]))[0]
    user = config["Config"].get("User", "")
    if user in ("", "root", "0") or user.startswith("0:"):
        sys.exit(f"the image runs as {user or 'root'}")
    health = config["Config"].get("Healthcheck") or {}
    if not health.get("Test"):
        sys.exit("the image has no HEALTHCHECK")
    found = subprocess.run(["docker", "run", "--rm", "--entrypoint", "sh", image, "-c",
                            "for c in " + " ".join(TOOLCHAIN) + "; do command -v $c; done; true"],
                           capture_output=True, text=True).stdout.split()
    if found:
        sys.exit(f"the runtime image carries build tools: {found}")
    size = config["Size"]
    print(f"image: runs as {user}, HEALTHCHECK {' '.join(health['Test'])} passing, no build toolchain, "
          f"{size / 1e6:.1f} MB (target <= {IMAGE_TARGET / 1e6:.0f} MB)")
    if size > IMAGE_TARGET:
        sys.exit("the runtime image is larger than its target")
    return size


# 6. A build after a source change.

def warm_build():
    """Builds the image from the repository's files with one source file changed; returns seconds."""
    context = os.path.join(WORK, "warm-context")
    shutil.rmtree(context, ignore_errors=True)
    for name in filter(None, run(["git", "ls-files", "-z"], cwd=ROOT).split("\0")):
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(context, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(context, name))
    with open(os.path.join(context, "backend/src/main.rs"), "a") as f:
        f.write("\n// a source change, made by scripts/docker_test.py for its warm build\n")
    started = time.time()
    run(["docker", "build", "-t", f"{PROJECT}-warm", context])
    seconds = time.time() - started
    run(["docker", "image", "rm", f"{PROJECT}-warm"])
    shutil.rmtree(context, ignore_errors=True)
    return seconds


def main():
    os.makedirs(WORK, exist_ok=True)
    daemon = start_engine()
    stack = None
    results = {}
    try:
        ensure_base_images()
        stack = Stack(free_port())
        say("compose build (cold, unless an earlier run's layers are cached)")
        started = time.time()
        stack("build")
        results["build_seconds"] = round(time.time() - started, 1)
        print(f"build: {results['build_seconds']:.0f} s")
        say("up -d, waiting for both services to be healthy")
        stack("up", "-d")
        stack.wait_healthy()
        say(f"the README's examples against {stack.base}")
        _, failed = readme_examples.run_examples(stack.base.split("://", 1)[1])
        if failed:
            sys.exit("a README example failed against the stack")
        order_id = place_our_order(stack.base)
        check_ui_compression(stack.base)
        say("the screen in headless Chromium")
        check_screen(stack.base, os.path.join(WORK, "screen.png"),
                     (".ladder.bids", lambda t: "12,345.67" in t), "our bid at 12,345.67 on the book")
        say("down (volumes kept), up again with DEMO=true: the orders are still there, the demo trades")
        stack("down")
        stack.settings(demo=True)
        stack("up", "-d")
        stack.wait_healthy()
        token = login(stack.base, "docker-check", "docker-check-password")
        status, order = api(stack.base, "GET", f"/orders/{order_id}", token=token)
        if status != 200 or order["status"] != "open":
            sys.exit(f"after down and up, our order reads {status} {order}")
        status, book = api(stack.base, "GET", "/orders/book/BTC%2FUSD")
        if not any(level["price"] in (12345.67, "12345.67") for level in book["bids"]):
            sys.exit(f"after down and up, the book lost our bid: {book['bids']}")
        print(f"restart: order {order_id} still open and on the book")
        wait_for_demo_trades(stack.base)
        check_screen(stack.base, os.path.join(WORK, "screen-demo.png"),
                     (".tape", lambda t: t.count(":") >= 20), "the demo market trading live")
        say("the image")
        results["image_bytes"] = check_image(stack)
        say("a build after a source change")
        results["warm_build_seconds"] = round(warm_build(), 1)
        print(f"build after a source change: {results['warm_build_seconds']:.0f} s")
    finally:
        if stack:
            subprocess.run(stack.compose + ["down", "-v"], cwd=ROOT, capture_output=True)
        stop_engine(daemon)
    with open(os.path.join(WORK, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"docker test: ok — cold build {results['build_seconds']:.0f} s, warm {results['warm_build_seconds']:.0f} s, "
          f"image {results['image_bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
