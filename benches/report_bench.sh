#!/usr/bin/env bash
# The distribution report at scale, side by side with the same GROUP BY run by the database's
# own command-line tool on the same data.
#
#   benches/report_bench.sh [HANDOUTS ...]        (default: 10000 100000 1000000)
#
# For each size: a fresh SQLite file (and, when DATABASE_URL_PG is set, a fresh PostgreSQL
# database `cribs_bench_<size>` on that server — DATABASE_URL_PG names a database the
# script connects to in order to create it, e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)
# gets the reference and demo data (`cribs seed`) and synthetic handouts over three years
# (`cribs generate --seed 1 --end 2026-06-30`); then, for the year 2025-07-01..2026-06-30:
#   store  = `cribs report-timing` (the store function: the one statement through SeaORM/sqlx,
#            plus the zero rows merged in Rust), median of 7 runs after a warm-up;
#   raw    = the same statement (`cribs report-timing --print-sql`) in `sqlite3` (.timer) or
#            `psql` (\timing), median of 7 runs after a warm-up;
#   one site = the store report for the first demo site only (`--site-id 1`);
#   equity = the equity report (race/ethnicity and race/ethnicity × CSA) through the store.
# Needs a release build (cargo build --release) and sqlite3 (apt-get install -y sqlite3).
# Environment: CRIBS_BIN (default: $CARGO_TARGET_DIR/release/cribs or target/release/cribs),
# BENCH_DIR (default /tmp/cribs-bench; the files are left there), RUNS (default 7).
set -euo pipefail

SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(10000 100000 1000000)
BIN=${CRIBS_BIN:-${CARGO_TARGET_DIR:-target}/release/cribs}
DIR=${BENCH_DIR:-/tmp/cribs-bench}
RUNS=${RUNS:-7}
FROM=2025-07-01
TO=2026-06-30
# Handouts per generated family (twins, later siblings, re-issued voids), measured.
PER_FAMILY=1.055

[ -x "$BIN" ] || { echo "no cribs binary at $BIN: cargo build --release (or set CRIBS_BIN)" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is missing: apt-get install -y sqlite3" >&2; exit 1; }
mkdir -p "$DIR"

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else print a[int((NR + 1) / 2)] }'; }

ROWS=()

run_backend() { # backend url size
  local backend=$1 url=$2 size=$3
  local families
  families=$(awk -v n="$size" -v k="$PER_FAMILY" 'BEGIN { printf "%d", n / k }')
  export DATABASE_URL=$url CRIBS_DEMO=1
  "$BIN" seed >/dev/null
  local gen t0 t1
  t0=$(date +%s.%N)
  gen=$("$BIN" generate --families "$families" --seed 1 --years 3 --end 2026-06-30)
  t1=$(date +%s.%N)
  echo "  $gen" >&2
  "$BIN" check-ledger >&2
  local handouts
  handouts=$(echo "$gen" | sed -E 's/.* ([0-9]+) handouts.*/\1/')
  local timing store sql raw
  timing=$("$BIN" report-timing --from "$FROM" --to "$TO" --runs "$RUNS")
  echo "  $timing" | tr '\n' ' ' >&2; echo >&2
  store=$(echo "$timing" | sed -nE 's/.*median_ms=([0-9.]+).*/\1/p')
  sql=$("$BIN" report-timing --from "$FROM" --to "$TO" --print-sql)
  if [ "$backend" = sqlite ]; then
    local file=${url#sqlite://}; file=${file%%\?*}
    raw=$( { echo ".timer on"; echo ".output /dev/null"; for _ in $(seq 0 "$RUNS"); do echo "$sql"; done; } \
      | sqlite3 "$file" 2>&1 | sed -nE 's/^Run Time: real ([0-9.]+).*/\1/p' | tail -n "$RUNS" \
      | awk '{ printf "%.3f\n", $1 * 1000 }' | median)
  else
    raw=$( { echo '\timing on'; echo '\o /dev/null'; for _ in $(seq 0 "$RUNS"); do echo "$sql"; done; } \
      | psql -X -q "$url" 2>&1 | sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' | tail -n "$RUNS" | median)
  fi
  local site eq
  site=$("$BIN" report-timing --from "$FROM" --to "$TO" --runs "$RUNS" --site-id 1 | sed -nE 's/.*median_ms=([0-9.]+).*/\1/p')
  eq=$("$BIN" report-timing --from "$FROM" --to "$TO" --runs "$RUNS" --report equity | sed -nE 's/.*median_ms=([0-9.]+).*/\1/p')
  local ratio
  ratio=$(awk -v s="$store" -v r="$raw" 'BEGIN { if (r > 0) printf "%.2f", s / r; else print "n/a" }')
  local gen_s
  gen_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
  ROWS+=("$(printf '| %-10s | %9s | %8s | %10s | %10s | %5s | %10s | %10s |' "$backend" "$handouts" "${gen_s} s" "$store" "$raw" "$ratio" "$site" "$eq")")
}

for size in "${SIZES[@]}"; do
  echo "== $size handouts: SQLite" >&2
  db="$DIR/bench-$size.db"
  rm -f "$db" "$db-wal" "$db-shm"
  run_backend sqlite "sqlite://$db?mode=rwc" "$size"
  if [ -n "${DATABASE_URL_PG:-}" ]; then
    echo "== $size handouts: PostgreSQL" >&2
    command -v psql >/dev/null || { echo "psql is missing" >&2; exit 1; }
    name="cribs_bench_$size"
    psql -X -q "$DATABASE_URL_PG" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    run_backend postgres "${DATABASE_URL_PG%/*}/$name" "$size"
  fi
done

echo
echo "Distribution report by CSA, $FROM..$TO, median of $RUNS runs (ms); raw = same SQL in the CLI"
echo "(sqlite3 $(sqlite3 --version | cut -d' ' -f1) from the OS; the app links its own bundled SQLite)."
echo
echo "| backend    |  handouts | generate | store (ms) |   raw (ms) | ratio |  one site  |   equity   |"
echo "| ---------- | --------: | -------: | ---------: | ---------: | ----: | ---------: | ---------: |"
printf '%s\n' "${ROWS[@]}"
