#!/usr/bin/env bash
# API fuzzing with schemathesis 4.x (PyPI, in a venv under target/): builds and starts
# `cribs serve` on a fresh temporary SQLite database, or on PostgreSQL when
# FUZZ_DATABASE_URL names an empty database (demo data asked for, random secret key, a free
# port), waits for /healthz, takes a program manager's bearer token, and runs schemathesis
# against /api/openapi.json with the checks `not_a_server_error` and
# `response_schema_conformance`: no input may give a 5xx, and every answer (4xx included)
# must be documented with its schema. The server is stopped on exit; its log is printed
# when the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-target}
venv=$PWD/target/venv-schemathesis

if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "installing schemathesis 4.x into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis>=4,<5'
fi
"$venv/bin/schemathesis" --version

# The binary `cargo test` builds (same features as the test build: no second compile of the
# dependency tree with other features, as a plain `cargo build` would do after the tests).
cargo test --quiet --no-run

tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export DATABASE_URL=${FUZZ_DATABASE_URL:-"sqlite://$tmp/cribs.db?mode=rwc"}
export CRIBS_DEMO=1
echo "fuzzing on ${DATABASE_URL%%:*}"
export ROCKET_ADDRESS=127.0.0.1 ROCKET_PORT=$port ROCKET_LOG_LEVEL=critical
ROCKET_SECRET_KEY=$(python3 -c 'import base64, secrets; print(base64.b64encode(secrets.token_bytes(64)).decode())')
export ROCKET_SECRET_KEY
"$target_dir/debug/cribs" serve >"$tmp/server.log" 2>&1 &
server=$!
status=1
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "---- server log (last 40 lines)"
    tail -n 40 "$tmp/server.log" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 - "$base" <<'EOF'
import sys, time, urllib.request
base = sys.argv[1]
deadline = time.time() + 60
while True:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
            if r.status == 200:
                break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("cribs serve did not answer /healthz within 60 s")
    time.sleep(0.2)
EOF

# A bearer token for a demo account.
token_for() {
  python3 - "$base" "$1" <<'EOF'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/v1/tokens", method="POST",
    data=json.dumps({"email": sys.argv[2], "password": "cribs-demo"}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as r:
    print(json.load(r)["token"])
EOF
}
manager=$(token_for manager@demo.cribs)
nurse=$(token_for nurse@demo.cribs)
admin=$(token_for admin@demo.cribs)

# Run from the temporary directory: schemathesis and hypothesis leave caches in the working
# directory.
fuzz() {
  (cd "$tmp" && "$venv/bin/schemathesis" --no-color run "$base/api/openapi.json" \
    --url "$base" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples 50 --seed 1 --generation-database none \
    --exclude-path /api/v1/tokens/current \
    --exclude-path /api/v1/account/password \
    "$@")
}

# NOTE: DELETE /api/v1/tokens/current is left out: it would revoke the fuzzer's own token
# and leave every later request a 401 (tests/it/security.rs covers it); so is POST
# /api/v1/account/password: five wrong current passwords end every session and token of the
# fuzzer's account (tests/it/passwords.rs covers it).
echo "== schemathesis: every operation, as a program manager"
fuzz --header "Authorization: Bearer $manager"
# Requests come from hospitals: with a manager's token these answer only 403, so the nurse's
# operations are fuzzed again with a nurse's token.
echo "== schemathesis: the nurse's operations (referrals, FHIR), as a nurse"
fuzz --header "Authorization: Bearer $nurse" --include-path-regex '^/(api/v1/referrals|fhir/r4/)'
# Hospital systems are registered by administrators only: fuzzed again with an
# administrator's token (the demo database lets an administrator in without a second step).
echo "== schemathesis: registering hospital systems, as an administrator"
fuzz --header "Authorization: Bearer $admin" --include-path-regex '^/api/v1/fhir-clients'
status=0
