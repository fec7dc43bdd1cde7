#!/usr/bin/env python3
"""Prepare a running cribs server for the load run (benches/load.sh).

Registers up to N families through the API, each with one infant born today, and gives each
a passing eligibility check and safe-sleep education, so that every infant is eligible for a
handout at the demo site Druid Heights (the site of staff@demo.cribs). Restocks that site
through the API so the handout run cannot run out of cribs. Bounded: it stops registering
after SECONDS (and after N families), and stops at the first failure of any kind.

    prepare.py BASE_URL N SECONDS OUT_DIR

Writes OUT_DIR/pairs.txt ("family_id infant_id" per line, only families whose check said
"eligible"), OUT_DIR/env (SITE_ID, MODEL_ID, STAFF_TOKEN, MANAGER_TOKEN, PREPARED) for the
shell, and a summary on stderr. Exit 1 when nothing could be prepared or anything failed.
Standard library only; keep-alive connections, one per worker thread.
"""
import datetime
import http.client
import json
import sys
import threading
import time
import urllib.parse
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

WORKERS = 8
SITE_CODE = "druid-heights"
MODEL_CODE = "play-yard-standard"
NEIGHBORHOOD = "Druid Heights"
RECEIPT_MAX = 10_000  # the API's bound on one receipt


class Failure(Exception):
    """An answer that was not the one the preparation needs."""


class Client:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def call(self, method, path, body=None, token=None, want=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = json.dumps(body) if body is not None else None
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read()
        if resp.status not in want:
            raise Failure(f"{method} {path} -> {resp.status}: {text[:300]!r}")
        return json.loads(text or b"null")


def lookup(client, manager):
    """The demo site, crib model and neighborhood ids (never assumed)."""
    sites = client.call("GET", "/api/v1/sites", token=manager)
    site = next(s for s in sites if s["code"] == SITE_CODE)
    models = client.call("GET", "/api/v1/crib-models", token=manager)
    model = next(m for m in models if m["code"] == MODEL_CODE)
    hoods = client.call("GET", "/api/v1/neighborhoods?q=" + urllib.parse.quote(NEIGHBORHOOD), token=manager)
    hood = next(h for h in hoods if h["name"] == NEIGHBORHOOD)
    return site["id"], model["id"], hood["id"]


def family_body(i, neighborhood_id):
    # The program's calendar is New York's: a UTC date can be tomorrow there.
    today = datetime.datetime.now(zoneinfo.ZoneInfo("America/New_York")).date().isoformat()
    # Each mother her own birth date (a day apart from 1900 on): mothers who share a birth
    # date and a baby's birth date are possible duplicates, and their babies possibly one
    # baby whose hand-out waits for staff (issue 19); these families are all different.
    born = (datetime.date(1900, 1, 1) + datetime.timedelta(days=i)).isoformat()
    return {
        "caregiver": {"first_name": "Load", "last_name": f"Family{i}", "date_of_birth": born,
                      "phone": f"443{i:07d}"},
        "address": {"line1": f"{i} Load St", "city": "Baltimore", "state": "MD", "zip": "21217",
                    "neighborhood_id": neighborhood_id},
        "household_size": 3, "annual_income": "20000.00", "enrollments": ["WIC"],
        "has_safe_sleep_space": False, "infants": [{"date_of_birth": today}], "confirm_not_duplicate": True,
    }


EDUCATION = {"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"],
             "caregiver_attestation": "Load Parent"}


def prepare_one(client, staff, i, neighborhood_id):
    """Register, check and educate family i; returns (family_id, infant_id)."""
    fam = client.call("POST", "/api/v1/families", family_body(i, neighborhood_id), staff, want=(201,))
    fid, iid = fam["id"], fam["infant_ids"][0]
    check = client.call("POST", f"/api/v1/families/{fid}/eligibility-checks", {}, staff, want=(201,))
    if check.get("result") != "eligible":
        failed = [r["explanation"] for r in check.get("rules", []) if not r.get("passed")]
        raise Failure(f"family {fid} is {check.get('result')}: {failed}")
    client.call("POST", f"/api/v1/families/{fid}/education", EDUCATION, staff, want=(201,))
    return fid, iid


class Work:
    """The shared counter, deadline and results of the worker threads."""

    def __init__(self, n, seconds):
        self.n, self.deadline = n, time.monotonic() + seconds
        self.next, self.pairs, self.failures = 0, [], []
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if self.next >= self.n or self.failures or time.monotonic() >= self.deadline:
                return None
            self.next += 1
            return self.next


def worker(base, staff, hood, work):
    client = Client(base)
    while (i := work.take()) is not None:
        try:
            pair = prepare_one(client, staff, i, hood)
        except (Failure, OSError, http.client.HTTPException, KeyError, ValueError) as e:
            with work.lock:
                work.failures.append(f"family {i}: {e}")
            return
        with work.lock:
            work.pairs.append(pair)


def restock(client, manager, site_id, model_id, quantity):
    while quantity > 0:
        q = min(quantity, RECEIPT_MAX)
        client.call("POST", f"/api/v1/sites/{site_id}/receipts", {"crib_model_id": model_id, "quantity": q},
                    manager, want=(201,))
        quantity -= q


def main():
    base, n, seconds, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    client = Client(base)
    login = lambda email: client.call("POST", "/api/v1/tokens", {"email": email, "password": "cribs-demo"},
                                      want=(201,))["token"]
    staff, manager = login("staff@demo.cribs"), login("manager@demo.cribs")
    site_id, model_id, hood = lookup(client, manager)
    started = time.monotonic()
    work = Work(n, seconds)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for _ in range(WORKERS):
            pool.submit(worker, base, staff, hood, work)
    took = time.monotonic() - started
    restock(client, manager, site_id, model_id, len(work.pairs) + 1_000)
    with open(f"{out}/pairs.txt", "w") as fh:
        fh.writelines(f"{fid} {iid}\n" for fid, iid in sorted(work.pairs))
    with open(f"{out}/env", "w") as fh:
        fh.write(f"SITE_ID={site_id}\nMODEL_ID={model_id}\nSTAFF_TOKEN={staff}\nMANAGER_TOKEN={manager}\n"
                 f"PREPARED={len(work.pairs)}\nNEIGHBORHOOD_ID={hood}\n")
    print(f"prepare: {len(work.pairs)} eligible, educated infants in {took:.0f} s "
          f"({len(work.pairs) / max(took, 1e-9):.0f} families/s, 3 requests each); site {SITE_CODE} = {site_id}, "
          f"model {MODEL_CODE} = {model_id}, neighborhood {NEIGHBORHOOD} = {hood}", file=sys.stderr)
    for f in work.failures:
        print(f"prepare: FAILED {f}", file=sys.stderr)
    sys.exit(1 if work.failures or not work.pairs else 0)


if __name__ == "__main__":
    main()
