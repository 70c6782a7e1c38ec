#!/usr/bin/env bash
# PostgreSQL's own limit for the hold transaction on this machine (see bench/hold_transaction.sql).
# Usage: bench/pgbench_hold.sh DATABASE_URL SHOW_ID [CLIENTS] [SECONDS]
set -euo pipefail
url=$1 show=$2 clients=${3:-8} seconds=${4:-10}
read -r min max < <(psql "$url" -Atc "SELECT min(id), max(id) FROM booking_showseat WHERE show_id = $show" | tr '|' ' ')
pgbench -n -f "$(dirname "$0")/hold_transaction.sql" -c "$clients" -j 2 -T "$seconds" \
  -D min_id="$min" -D max_id="$max" -D show="$show" "$url" | grep -E "^(tps|latency average|number of transactions actually)"
