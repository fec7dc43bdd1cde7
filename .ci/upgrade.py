#!/usr/bin/env python3
"""The upgrade test (issue 24): a database made by the program as it was at an earlier
release, filled with `cribs generate`, upgraded by the current program's migrations, must
read the same: every report's numbers, every stock balance, and `check-ledger` no drift.

Usage: upgrade.py OLD_CRIBS NEW_CRIBS [--database-url URL]

Without --database-url it works on a fresh SQLite file in a temporary directory; with one
(a PostgreSQL database that exists and is empty) it works there. Standard library only.
It prints one line per step and the time the migration took; the first difference fails
it (exit 1) with both answers.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SPAN = "from=2016-01-01&to=2034-12-31"
# Every report the release has, each over every year, in every grouping it offers.
REPORTS = [
    f"/api/v1/reports/distribution-by-neighborhood?{SPAN}",
    f"/api/v1/reports/distribution-by-neighborhood?{SPAN}&group=neighborhood",
    f"/api/v1/reports/distribution-by-neighborhood?{SPAN}&site_id=1",
    f"/api/v1/reports/equity?{SPAN}",
    f"/api/v1/reports/education?{SPAN}",
    f"/api/v1/reports/eligibility?{SPAN}",
    f"/api/v1/reports/referrals?{SPAN}",
    f"/api/v1/reports/follow-ups?{SPAN}",
    f"/api/v1/reports/stock?{SPAN}",
    f"/api/v1/reports/safe-sleep?{SPAN}&round=1&group=csa",
    f"/api/v1/reports/safe-sleep?{SPAN}&round=3&group=race_ethnicity",
    "/api/v1/sites",
]


def fail(msg):
    print(f"FAIL  {msg}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, env, log):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full = dict(env, ROCKET_ADDRESS="127.0.0.1", ROCKET_PORT=str(self.port), ROCKET_LOG_LEVEL="off")
        self.proc = subprocess.Popen([binary, "serve"], env=full, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                fail(f"{binary} serve exited with {self.proc.returncode} (log: {log.name})")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        fail(f"{binary} serve did not answer /healthz in 120 s (log: {log.name})")

    def token(self, email):
        req = urllib.request.Request(
            self.base + "/api/v1/tokens",
            data=json.dumps({"email": email, "password": "cribs-demo"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)["token"]

    def get(self, path, token):
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            fail(f"GET {path}: {e.code} {e.read()[:300]!r}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(binary, args, env, what):
    started = time.time()
    out = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    took = time.time() - started
    if out.returncode != 0:
        fail(f"{what}: exit {out.returncode}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return out.stdout, took


def snapshot(binary, env, log):
    server = Server(binary, env, log)
    try:
        token = server.token("manager@demo.cribs")
        return {path: server.get(path, token) for path in REPORTS}
    finally:
        server.stop()


def first_difference(a, b, where=""):
    if type(a) is not type(b):
        return where or "/", a, b
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}/{k}", a.get(k, "(absent)"), b.get(k, "(absent)")
            d = first_difference(a[k], b[k], f"{where}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where} (length)", len(a), len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None
    return None if a == b else (where or "/", a, b)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        sys.exit(2)
    old, new = os.path.abspath(args[0]), os.path.abspath(args[1])
    url = None
    if "--database-url" in args:
        url = args[args.index("--database-url") + 1]
    tmp = tempfile.mkdtemp(prefix="cribs-upgrade-")
    if url is None:
        url = f"sqlite://{tmp}/cribs.db?mode=rwc"
    kind = "postgres" if url.startswith("postgres") else "sqlite"
    env = dict(
        os.environ,
        DATABASE_URL=url,
        CRIBS_DATA_DIR=tmp,
        CRIBS_DEMO="1",
        CRIBS_DEMO_HISTORY="0",
        CRIBS_SECOND_FACTOR="optional",
        CRIBS_OUTBOX_POLL_SECONDS="0",
        ROCKET_SECRET_KEY="hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=",
        RUST_LOG="error",
    )
    env.pop("CRIBS_TEST_CLOCK", None)
    log = open(os.path.join(tmp, "servers.log"), "w")
    print(f"upgrade: {old} → {new} on {kind}", flush=True)

    # The release makes the database (its demo accounts and sites), and fills it.
    Server(old, env, log).stop()
    out, took = run(old, ["generate", "--families", "4000", "--years", "2", "--seed", "24"], env, "generate (the release)")
    print(f"ok    1  the release made the database and filled it: {out.strip()}", flush=True)
    before = snapshot(old, env, log)
    ledger, _ = run(old, ["check-ledger"], env, "check-ledger (the release)")
    if "drift 0" not in ledger:
        fail(f"the release's own ledger drifts: {ledger}")
    totals = before[REPORTS[0]].get("totals")
    print(f"ok    2  the release's reports read ({len(REPORTS)} answers; distribution totals {totals}); ledger: drift 0", flush=True)

    # The current program's migrations, then the same questions.
    out, took = run(new, ["migrate"], env, "migrate (the current program)")
    if "applied" not in out:
        print("note     no migration between the release and this tree: the comparison still runs", flush=True)
    print(f"ok    3  the current program's migrations ran ({took:.2f} s with the start): {out.strip()[-300:]}", flush=True)
    after = snapshot(new, env, log)
    for path in REPORTS:
        d = first_difference(before[path], after[path])
        if d:
            fail(f"GET {path} changed with the upgrade at {d[0]}: before {json.dumps(d[1])[:300]}, after {json.dumps(d[2])[:300]}")
    ledger, _ = run(new, ["check-ledger"], env, "check-ledger (the current program)")
    if "drift 0" not in ledger:
        fail(f"the ledger drifts after the upgrade: {ledger}")
    print(f"ok    4  after the upgrade every report and every balance reads the same ({len(REPORTS)} answers); ledger: drift 0", flush=True)
    print("upgrade: every step passed", flush=True)


if __name__ == "__main__":
    main()
