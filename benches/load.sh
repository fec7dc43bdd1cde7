#!/usr/bin/env bash
# Load figures for the README: a release build on a fresh database, on SQLite and (when one
# answers on 127.0.0.1:5432) PostgreSQL, measured with wrk on loopback:
#   (a) GET /healthz (the ceiling), (b) the check-in search, (c) POST /api/v1/handouts, each
#   request a different eligible infant, and the server's peak RSS. Bounded: each run lasts
#   DURATION seconds. Usage: benches/load.sh [DURATION=10] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-10}
CONNS=${2:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN=target/release/cribs
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

measure() { # name url [lua] -> "rps p99"
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency ${3:+-s "$3"} "$2")
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '/LATENCY_P99_MS/{print $2}')
  [ -n "$p99" ] || p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$rps $p99"
}

run_backend() { # label database_url
  local label=$1 url=$2 port pid
  port=$(free_port)
  DATABASE_URL="$url" ROCKET_PORT=$port ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
    ROCKET_SECRET_KEY=$(python3 -c 'import os,base64;print(base64.b64encode(os.urandom(64)).decode())') \
    "$BIN" serve >"$work/$label.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port"
  local token
  token=$(python3 benches/load/prepare.py "$base" 4000 "$work/pairs-$label.txt" | tail -1)
  export CRIBS_TOKEN=$token CRIBS_PAIRS="$work/pairs-$label.txt"
  read -r h_rps h_p99 < <(measure healthz "$base/healthz" benches/load/auth_get.lua)
  read -r s_rps s_p99 < <(measure search "$base/api/v1/families?q=Family12" benches/load/auth_get.lua)
  read -r o_rps o_p99 < <(measure handout "$base/api/v1/handouts" benches/load/handout.lua)
  local rss
  rss=$(awk '/VmHWM/{printf "%.1f", $2/1024}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  DATABASE_URL="$url" "$BIN" check-ledger >/dev/null || { echo "ledger drift after the $label run"; exit 1; }
  printf "| %s | %s req/s, p99 %s ms | %s req/s, p99 %s ms | %s req/s, p99 %s ms | %s MiB |\n" \
    "$label" "$h_rps" "$h_p99" "$s_rps" "$s_p99" "$o_rps" "$o_p99" "$rss"
}

echo "load run $(date -u +%F) on $(nproc) cores, $CONNS connections, ${DURATION}s each"
echo "| database | GET /healthz | check-in search | POST handout | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
run_backend sqlite "sqlite://$work/load.db?mode=rwc"
if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  db="cribs_load_$$"
  su postgres -c "createdb $db"
  run_backend postgres "postgres://postgres:postgres@127.0.0.1:5432/$db"
  su postgres -c "dropdb $db"
fi
