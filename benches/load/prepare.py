#!/usr/bin/env python3
"""Prepare a running cribs server for the load run: register N eligible families (checked and
educated), restock site 1, and write the (family_id, infant_id) pairs for the handout Lua
script. Standard library only; N requests in parallel threads."""
import json
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def call(method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


staff = call("POST", "/api/v1/tokens", {"email": "staff@demo.cribs", "password": "cribs-demo"})["token"]
manager = call("POST", "/api/v1/tokens", {"email": "manager@demo.cribs", "password": "cribs-demo"})["token"]


def one(i):
    fam = {
        "caregiver": {"first_name": "Load", "last_name": f"Family{i}", "date_of_birth": "1995-01-01", "phone": f"410{i:07d}"},
        "address": {"line1": f"{i} Load St", "city": "Baltimore", "state": "MD", "zip": "21217", "neighborhood_id": 65},
        "household_size": 3, "annual_income": "20000.00", "enrollments": ["WIC"], "has_safe_sleep_space": False,
        "infants": [{"date_of_birth": __import__("datetime").date.today().isoformat()}], "confirm_not_duplicate": True,
    }
    f = call("POST", "/api/v1/families", fam, staff)
    call("POST", f"/api/v1/families/{f['id']}/eligibility-checks", {}, staff)
    call("POST", f"/api/v1/families/{f['id']}/education",
         {"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Load Parent"}, staff)
    return f["id"], f["infant_ids"][0]


with ThreadPoolExecutor(max_workers=8) as pool:
    pairs = list(pool.map(one, range(n)))
call("POST", "/api/v1/sites/1/receipts", {"crib_model_id": 1, "quantity": 10000}, manager)
call("POST", "/api/v1/sites/1/receipts", {"crib_model_id": 1, "quantity": 10000}, manager)
with open(out, "w") as fh:
    for fid, iid in pairs:
        fh.write(f"{fid} {iid}\n")
print(staff)
