#!/usr/bin/env bash
# The upgrade test (issue 24): build the program as it was at the release named in
# .ci/upgrade-from (its source from git, its dependencies' builds shared with this tree's by
# hard links), let it make and fill a database, run this tree's migrations on it and check
# that every report, every balance and the ledger read the same (.ci/upgrade.py). On SQLite,
# and on PostgreSQL when TEST_DATABASE_URL names one (a fresh database `cribs_upgrade` on
# that server). Needs this tree's `target/debug/cribs` (built by `cargo test`).
set -euo pipefail
cd "$(dirname "$0")/.."
tag=$(sed -n 's/^tag //p' .ci/upgrade-from)
commit=$(sed -n 's/^commit //p' .ci/upgrade-from)
ref=$(git rev-parse -q --verify "refs/tags/$tag^{commit}" || true)
[ -n "$ref" ] || ref=$(git rev-parse -q --verify "$commit^{commit}" || true)
if [ -z "$ref" ]; then
  echo "the release to upgrade from ($tag, $commit) is not in this clone: clone with its history"
  exit 1
fi
new=$(pwd)/target/debug/cribs
[ -x "$new" ] || { echo "$new is missing: run cargo test first"; exit 1; }
work=$(pwd)/target/upgrade
rm -rf "$work/src"
mkdir -p "$work/src" "$work/target"
git archive "$ref" | tar -x -C "$work/src"
if [ ! -d "$work/target/debug" ]; then
  cp -al target/debug "$work/target/debug"
  # Never the hard links of this tree's own program: the release's build writes its own.
  rm -rf "$work/target/debug/cribs" "$work/target/debug/deps/cribs-"* "$work/target/debug/deps/libcribs-"* \
    "$work/target/debug/deps/migrations-"* "$work/target/debug/deps/libmigrations-"* "$work/target/debug/incremental"
fi
started=$SECONDS
(cd "$work/src" && CARGO_TARGET_DIR="$work/target" cargo build --quiet --bin cribs)
echo "built the release $tag (${ref:0:12}) in $((SECONDS - started)) s"
old="$work/target/debug/cribs"
python3 .ci/upgrade.py "$old" "$new"
if [[ "${TEST_DATABASE_URL:-}" == postgres* ]]; then
  server="${TEST_DATABASE_URL%/*}"
  psql -X -q "$server/postgres" -c "DROP DATABASE IF EXISTS cribs_upgrade" -c "CREATE DATABASE cribs_upgrade"
  python3 .ci/upgrade.py "$old" "$new" --database-url "$server/cribs_upgrade"
fi
