#!/usr/bin/env bash
# Load figures for the README: a release build on a fresh database filled with `cribs generate`
# data, on SQLite and on PostgreSQL one after the other in one run, measured with wrk on loopback:
#   (a) GET /healthz (the ceiling); (b) the check-in search GET /api/v1/families?q=<a generated
#   family's last name>; (c) POST /api/v1/handouts, each request a different eligible infant
#   (prepared through the API by benches/load/prepare.py); (d) the distribution report
#   GET /api/v1/reports/distribution-by-neighborhood for one year (a third of the handouts);
#   the server's peak RSS (VmHWM, the whole run: preparation and every wrk run). Before each wrk
#   run the script waits until the server has drained what the previous one left queued
#   (/healthz fast three times in a row), and it also runs the search from one connection
#   alone, to show the cost of one search without queueing. Then, with the
#   server stopped, `cribs take-timing` (the bare "take one crib + one ledger row" transaction,
#   same pool, same database, CONNECTIONS tasks) and `cribs check-ledger`.
# Prints a markdown table and the ratios against the targets (handout ≥ 50 % of take-one-crib,
# check-in p99 ≤ 5 × healthz p99, RSS ≤ 64 MiB). Every non-2xx answer is counted and shown;
# a run with errors is labelled as such, never hidden.
#
#   benches/load.sh                        # 947,867 families ≈ 1,000,000 handouts (the README run)
#   LOAD_FAMILIES=20000 DURATION=5 benches/load.sh     # a quick try
#
# Environment: DURATION (seconds per wrk run, default 10), CONNECTIONS (default 32),
# TAKE_RUNS (take-timing runs of DURATION seconds, default 3: the median is the baseline),
# REPORT_CONNECTIONS (default 4: the report takes ~0.2–0.5 s per request at 1M handouts),
# LOAD_FAMILIES (default 947867), LOAD_INFANTS (infants to prepare, default 4000 × DURATION: SQLite hands out ~2,400 /s),
# PREPARE_SECONDS (bound on the preparation, default 300), BACKENDS ("sqlite postgres"),
# DATABASE_URL_PG (an existing database to connect to for CREATE/DROP DATABASE, default
# postgres://postgres:postgres@127.0.0.1:5432/postgres; PostgreSQL is started with
# .ci/postgres.sh when none answers), SETTLE_SECONDS (bound on each wait for the server to
# drain, default 300), SERVER_RUST_LOG (the server's log filter, default the server's own default:
# one access-log line per request, written to a file), CRIBS_BIN (a release binary to use instead of building one), TMPDIR (where the scratch directory cribs-load.XXXXXX is made).
# Everything it creates (the SQLite file, the PostgreSQL database, the servers) is removed
# on exit, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNECTIONS:-32}
REPORT_CONNS=${REPORT_CONNECTIONS:-4}
FAMILIES=${LOAD_FAMILIES:-947867}
INFANTS=${LOAD_INFANTS:-$((4000 * DURATION))}
PREPARE_SECONDS=${PREPARE_SECONDS:-300}
SETTLE_SECONDS=${SETTLE_SECONDS:-300}
TAKE_RUNS=${TAKE_RUNS:-3}
SETTLE_FAILED=0
BACKENDS=${BACKENDS:-sqlite postgres}
PG_ADMIN=${DATABASE_URL_PG:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
export PGOPTIONS="-c client_min_messages=warning"
WRK_THREADS=2
# generate's three years end on END; the report covers its last year (as benches/report_bench.sh).
END=2026-06-30
FROM=2025-07-01
RSS_TARGET_MIB=64

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
command -v psql >/dev/null || [ "$BACKENDS" = sqlite ] || bash .ci/postgres.sh >&2
if [ -n "${CRIBS_BIN:-}" ]; then BIN=$CRIBS_BIN; else cargo build --release --quiet; BIN=${CARGO_TARGET_DIR:-target}/release/cribs; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cribs-load.XXXXXX")
SERVER_PID=""
PG_DB=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_DB" ]; then psql -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$*" >&2; }

# Start the server on a free port; sets SERVER_PID and BASE.
start_server() { # label url
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  DATABASE_URL="$2" ROCKET_PORT=$port ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off CRIBS_DEMO=0 \
    ROCKET_SECRET_KEY=$(openssl rand -base64 64 | tr -d '\n') RUST_LOG="${SERVER_RUST_LOG:-warn,cribs=info}" \
    "$BIN" serve >"$WORK/$1-server.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  log "the $1 server did not answer /healthz within 30 s:"; cat "$WORK/$1-server.log" >&2
  exit 1
}

stop_server() {
  kill "$SERVER_PID"
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# One wrk run; prints "rps p99_ms answers_2xx other exhausted socket_errors" and keeps the output.
measure() { # name conns url lua
  local out rps p99 ok other exhausted sock threads=$WRK_THREADS
  [ "$2" -ge "$threads" ] || threads=$2
  out=$(wrk -t"$threads" -c"$2" -d"${DURATION}s" --timeout 30s --latency -s "$4" "$3")
  echo "$out" >"$WORK/$CURRENT-$1.wrk"
  rps=$(echo "$out" | awk '/^Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '/^LATENCY_P99_MS/{print $2}')
  ok=$(echo "$out" | awk '/^ANSWERS_2XX/{print $2}')
  other=$(echo "$out" | awk '/^ANSWERS_OTHER/{print $2}')
  exhausted=$(echo "$out" | awk '/^EXHAUSTED/{print $2}')
  sock=$(echo "$out" | awk '/Socket errors/{gsub(",", ""); print $4 + $6 + $8 + $10}')
  if [ "${other:-0}" != 0 ] || [ -n "$sock" ] || [ "${exhausted:-0}" != 0 ]; then
    log "  $1: ${other:-0} non-2xx answers, socket errors ${sock:-0}, infants exhausted ${exhausted:-0}"
    echo "$out" | grep -E '^FIRST_OTHER|Socket errors|Non-2xx' >&2 || true
  fi
  log "  $1: $rps req/s, p99 $p99 ms (${ok:-?} 2xx, ${other:-?} other)"
  echo "$rps $p99 ${ok:-0} ${other:-0} ${exhausted:-0} ${sock:-0}"
}

# "12345 /s · p99 6.1 ms", with the errors written out when there were any.
cell() { # rps p99 ok other exhausted sock
  local c
  c=$(awk -v r="$1" -v p="$2" 'BEGIN { printf (r < 10 ? "%.2f" : "%.0f") " /s · p99 %s ms", r, p }')
  local errors=$(( $4 + $6 ))
  [ "$3" != 0 ] || c="**no successful answer** · $c"
  [ "$errors" = 0 ] || c="$c · **$errors errors**"
  [ "$5" = 0 ] || c="$c · **ran out of infants ($5)**"
  echo "$c"
}

# CPU time a process has used so far (user + system), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICKS_PER_S=$(getconf CLK_TCK)

# Milliseconds of CPU per request: ticks used / requests answered.
cpu_ms_per() { awk -v t="$1" -v n="$2" -v hz="$TICKS_PER_S" 'BEGIN { if (n > 0) printf "%.3f", t * 1000 / hz / n; else print "n/a" }'; }

# Peak and current RSS of the server so far, in MiB: "peak now".
rss() { awk '/VmHWM/{p=$2} /VmRSS/{r=$2} END {printf "%.1f %.1f", p/1024, r/1024}' "/proc/$SERVER_PID/status"; }

# Wait until the server has finished the work the previous run left queued (wrk stops
# sending, the server does not stop working): /healthz, which takes a pool connection, must
# answer within 0.1 s three times in a row. Bounded by SETTLE_SECONDS.
settle() {
  local fast=0 t0=$SECONDS t
  while [ $((SECONDS - t0)) -lt "$SETTLE_SECONDS" ]; do
    t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 5 "$BASE/healthz" || echo 5)
    if awk -v t="$t" 'BEGIN { exit !(t < 0.1) }'; then fast=$((fast + 1)); else fast=0; fi
    [ "$fast" -ge 3 ] && { log "  (idle after $((SECONDS - t0)) s; server RSS peak/now MiB: $(rss))"; return 0; }
    sleep 0.5
  done
  log "  the server was still busy after $SETTLE_SECONDS s: the next figures overlap the previous run"
  SETTLE_FAILED=1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "met" : "NOT met" }'; }

ROWS=()
RATIOS=()

run_backend() { # label url
  local label=$1 url=$2
  CURRENT=$label
  SETTLE_FAILED=0
  log "== $label: seed and generate $FAMILIES families"
  DATABASE_URL="$url" CRIBS_DEMO=1 "$BIN" seed >/dev/null
  local gen t0 t1 handouts
  t0=$(date +%s)
  gen=$(DATABASE_URL="$url" "$BIN" generate --families "$FAMILIES" --seed 1 --years 3 --end "$END")
  t1=$(date +%s)
  log "  $gen"
  handouts=$(echo "$gen" | sed -E 's/.* ([0-9]+) handouts.*/\1/')
  start_server "$label" "$url"
  log "== $label: prepare up to $INFANTS eligible infants (at most $PREPARE_SECONDS s)"
  python3 benches/load/prepare.py "$BASE" "$INFANTS" "$PREPARE_SECONDS" "$WORK" || { log "prepare failed"; exit 1; }
  # shellcheck disable=SC1091
  source "$WORK/env"
  # A check-in: the last name of a family registered in the middle of the generated years.
  local q
  q=$(curl -sf -H "Authorization: Bearer $STAFF_TOKEN" "$BASE/api/v1/families/$((FAMILIES / 2))" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["caregiver"]["last_name"])' 2>/dev/null \
    || echo "Johnson-$((FAMILIES / 2))")
  log "== $label: wrk, ${DURATION} s each, $CONNS connections (report: $REPORT_CONNS); search q=$q"
  local h s o r s1
  settle
  h=$(CRIBS_TOKEN="" measure healthz "$CONNS" "$BASE/healthz" benches/load/auth_get.lua)
  settle
  s=$(CRIBS_TOKEN=$STAFF_TOKEN measure search "$CONNS" "$BASE/api/v1/families?q=$q" benches/load/auth_get.lua)
  settle
  s1=$(CRIBS_TOKEN=$STAFF_TOKEN measure search-1 1 "$BASE/api/v1/families?q=$q" benches/load/auth_get.lua)
  settle
  local cpu0 cpu1
  cpu0=$(cpu_ticks "$SERVER_PID")
  o=$(CRIBS_TOKEN=$STAFF_TOKEN CRIBS_PAIRS="$WORK/pairs.txt" CRIBS_SITE_ID=$SITE_ID CRIBS_MODEL_ID=$MODEL_ID \
    CRIBS_THREADS=$WRK_THREADS measure handout "$CONNS" "$BASE/api/v1/handouts" benches/load/handout.lua)
  cpu1=$(cpu_ticks "$SERVER_PID")
  # The server's CPU per handout (what bounds the handout when the cores are busy), against
  # the bare take's CPU per take below: the two sides of the ratio, in the same unit.
  HANDOUT_CPU_MS=$(cpu_ms_per $((cpu1 - cpu0)) "$(echo "$o" | cut -d' ' -f3)")
  log "  handout: server CPU $HANDOUT_CPU_MS ms per handout"
  settle
  r=$(CRIBS_TOKEN=$MANAGER_TOKEN measure report "$REPORT_CONNS" \
    "$BASE/api/v1/reports/distribution-by-neighborhood?from=$FROM&to=$END" benches/load/auth_get.lua)
  settle
  local rss
  rss=$(rss | cut -d' ' -f1)
  stop_server
  log "== $label: take-timing, $TAKE_RUNS × ${DURATION} s, $CONNS tasks (server stopped)"
  local take take_rps take_p99 takes=()
  local took_s took_n take_cpu=()
  for _ in $(seq 1 "$TAKE_RUNS"); do
    take=$(DATABASE_URL="$url" /usr/bin/time -f "%U %S" -o "$WORK/take.cpu" "$BIN" take-timing \
      --seconds "$DURATION" --concurrency "$CONNS" --site-id "$SITE_ID" --crib-model-id "$MODEL_ID") \
      || { log "$take"; log "take-timing failed"; exit 1; }
    took_n=$(echo "$take" | sed -nE 's/.*take_rps=([0-9.]+) .*/\1/p' | awk -v d="$DURATION" '{ printf "%d", $1 * d }')
    take_cpu+=("$(awk -v n="$took_n" '{ if (n > 0) printf "%.3f", ($1 + $2) * 1000 / n; else print "n/a" }' "$WORK/take.cpu")")
    log "  $take (CPU ${take_cpu[-1]} ms per take, the process's whole time over its takes)"
    takes+=("$(echo "$take" | sed -nE 's/.*take_rps=([0-9.]+) .* p99_ms=([0-9.]+).*/\1 \2/p')")
  done
  # The median run by throughput (the runs differ by up to 2× on this machine), and the range.
  read -r take_rps take_p99 < <(printf '%s\n' "${takes[@]}" | sort -g | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
  TAKE_RANGE=$(printf '%s\n' "${takes[@]}" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f /s", lo, hi }')
  DATABASE_URL="$url" "$BIN" check-ledger >&2 || { log "ledger drift after the $label run"; exit 1; }
  read -r h_rps h_p99 _ h_bad h_ex h_sock <<<"$h"
  read -r s_rps s_p99 _ s_bad s_ex s_sock <<<"$s"
  read -r o_rps o_p99 _ o_bad o_ex o_sock <<<"$o"
  read -r r_rps r_p99 _ r_bad r_ex r_sock <<<"$r"
  read -r s1_rps s1_p99 s1_ok s1_bad _ _ <<<"$s1"
  local h_ok s_ok o_ok r_ok
  h_ok=$(echo "$h" | cut -d' ' -f3); s_ok=$(echo "$s" | cut -d' ' -f3)
  o_ok=$(echo "$o" | cut -d' ' -f3); r_ok=$(echo "$r" | cut -d' ' -f3)
  ROWS+=("| $label | $handouts (generate $((t1 - t0)) s) | $(cell "$h_rps" "$h_p99" "$h_ok" "$h_bad" "$h_ex" "$h_sock") \
| $(cell "$s_rps" "$s_p99" "$s_ok" "$s_bad" "$s_ex" "$s_sock") | $(cell "$o_rps" "$o_p99" "$o_ok" "$o_bad" "$o_ex" "$o_sock") \
| $(cell "$r_rps" "$r_p99" "$r_ok" "$r_bad" "$r_ex" "$r_sock") | $(cell "$take_rps" "$take_p99" 1 0 0 0) | $rss MiB |")
  local ho ck rs
  ho=$(ratio "$o_rps" "$take_rps"); ck=$(ratio "$s_p99" "$h_p99"); rs=$(ratio "$rss" "$RSS_TARGET_MIB")
  local note=""
  [ $((h_bad + h_sock + s_bad + s_sock + o_bad + o_sock + o_ex + r_bad + r_sock)) = 0 ] || note=" — this run had errors (see the table)"
  [ "$o_ok" != 0 ] || note="$note — no handout succeeded: the ratio means nothing"
  [ "$SETTLE_FAILED" = 0 ] || note="$note — the server had not settled between runs"
  RATIOS+=("- **$label**: handout / take-one-crib = $ho (target ≥ 0.50: $(verdict "$ho" 0.5 ge)); \
check-in p99 / healthz p99 = $ck (target ≤ 5: $(verdict "$ck" 5 le)); \
peak RSS $rss MiB = $rs × 64 MiB (target ≤ 1: $(verdict "$rss" "$RSS_TARGET_MIB" le)); \
check-in search alone (1 connection): $(cell "$s1_rps" "$s1_p99" "$s1_ok" "$s1_bad" 0 0); \
take one crib: median of $TAKE_RUNS runs, range $TAKE_RANGE; \
CPU per handout (server) $HANDOUT_CPU_MS ms, per take $(printf '%s ' "${take_cpu[@]}")ms$note")
}

for backend in $BACKENDS; do
  case $backend in
    sqlite)
      run_backend sqlite "sqlite://$WORK/load.db?mode=rwc"
      rm -f "$WORK"/load.db*
      ;;
    postgres)
      pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || bash .ci/postgres.sh >&2
      PG_DB="cribs_load_$$"
      psql -X -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" -c "CREATE DATABASE $PG_DB" >/dev/null
      run_backend postgres "${PG_ADMIN%/*}/$PG_DB"
      psql -X -q "$PG_ADMIN" -c "DROP DATABASE $PG_DB" >/dev/null
      PG_DB=""
      ;;
    *) log "unknown backend $backend (use sqlite, postgres)"; exit 2 ;;
  esac
done

echo
echo "Load run $(date -u +%F), $(nproc) cores, wrk -t$WRK_THREADS -c$CONNS (report -c$REPORT_CONNS), ${DURATION} s per run,"
echo "$FAMILIES generated families; search q = a generated family's last name; report $FROM..$END;"
echo "take one crib = \`cribs take-timing --concurrency $CONNS\` on the same database, server stopped (median of $TAKE_RUNS)."
echo
echo "| database | handouts in the database | GET /healthz | check-in search | POST handout | report (1 year) | take one crib (bare) | peak RSS |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${ROWS[@]}"
echo
printf '%s\n' "${RATIOS[@]}"
