#!/usr/bin/env bash
# API throughput on this machine: livecut serve (release, API only, SQLite, rate limits off)
# and the load generator share the machine, as on the 2-core target. Prints one JSON line per
# action: calls per second and p50/p99 latency.
#
#   bench/api_throughput.sh [seconds] [connections]
#
# With LIVECUT_DATABASE_URL=postgres://… in the environment the server uses that PostgreSQL
# database instead of SQLite (every livecut command reads the variable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-10}
connections=${2:-32}
target=${CARGO_TARGET_DIR:-$HOME/.cache/livecut-target}
cargo build --release -q -p livecut -p livecut-testkit --bin livecut --bin livecut-api-load
livecut=$target/release/livecut
load=$target/release/livecut-api-load
data=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
key=$("$livecut" --data-dir "$data" keys create --actions 'ice:*' --json)
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["AccessKeyId"])' "$key")
export LOAD_SECRET
LOAD_SECRET=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["AccessKeySecret"])' "$key")
"$livecut" --data-dir "$data" serve --listen 127.0.0.1:0 --workers 0 \
  --rate-per-address 0 --rate-per-key 0 > "$data/serve.out" 2> "$data/serve.err" &
server=$!
for _ in $(seq 100); do grep -q listening "$data/serve.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/.*http:\/\/\([^ ]*\).*/\1/p' "$data/serve.out" | head -1)
clips='[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:03Z"}]'
stream='{"DomainName":"livecut.test","AppName":"live","StreamName":"cam1"}'
"$load" --endpoint "$endpoint" --key-id "$id" --secret-env LOAD_SECRET \
  --action SubmitLiveEditingJob --param "Clips=$clips" --param "LiveStreamConfig=$stream" \
  --param 'OutputMediaConfig={"MediaURL":"oss://load/{n}.mp4"}' \
  --connections "$connections" --seconds "$seconds"
if [[ -n "${LIVECUT_DATABASE_URL:-}" ]]; then
  job=$(psql -At "$LIVECUT_DATABASE_URL" -c 'select job_id from jobs limit 1')
else
  job=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select job_id from jobs limit 1").fetchone()[0])' "$data/livecut.db")
fi
"$load" --endpoint "$endpoint" --key-id "$id" --secret-env LOAD_SECRET \
  --action GetLiveEditingJob --param "JobId=$job" \
  --connections "$connections" --seconds "$seconds"
