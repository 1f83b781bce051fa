#!/usr/bin/env bash
# Attack: starve the audit writer.  Any login can fill max_worker_processes
# with parallel query workers; a refused registration (DV001) then kept
# only its log line, because no worker could be started to commit its row.
# With dvflag preloaded, its audit writer has a slot of its own, registered
# at server start: with every other slot taken, the refusal keeps its row.
# Without preload (the fallback, one worker started per row) the same
# attack starves it, and the caller is warned: shown too, so that this test
# would see the reserved slot go.
# Runs a cluster of its own (max_worker_processes = 3, no logical
# replication launcher to take one of them); needs initdb and
# pg_ctl on PATH, and runs the server as postgres when root.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 7
command -v initdb >/dev/null || skip_rest "no initdb on PATH"
tmp=$(mktemp -d)
as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
port=$(( 20000 + RANDOM % 20000 ))
stop() { as pg_ctl -D "$tmp/data" -m fast stop >/dev/null 2>&1; }
trap 'stop; rm -rf "$tmp"' EXIT
start() { # extra server options
  as pg_ctl -D "$tmp/data" -l "$tmp/log" -w -t 60 \
    -o "-p $port -k $tmp -c listen_addresses= -c max_worker_processes=3 -c max_logical_replication_workers=0 -c max_parallel_workers=8 $*" start >/dev/null
}
as initdb -D "$tmp/data" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null && start "-c shared_preload_libraries=dvflag"
rc=$?
ok $rc "a cluster with dvflag preloaded and 3 worker slots"
[ $rc = 0 ] || { tail -5 "$tmp/log" | sed 's/^/# /' >&2; skip_rest "no cluster"; }
export PGHOST=$tmp PGPORT=$port PGUSER=postgres
q -d postgres -c "CREATE DATABASE t ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d t -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql \
    -c "CREATE TABLE filler AS SELECT g FROM generate_series(1, 100000) g" >/dev/null 2>&1
ok $? "the worked examples, and a table to scan in parallel"

# every slot but the writer's taken by parallel workers, for as long as the test needs
occupy() {
  q -d t -c "SET max_parallel_workers_per_gather = 8; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
             SET min_parallel_table_scan_size = 0; SET parallel_leader_participation = off;
             SELECT count(*) FROM filler WHERE pg_sleep(0.001) IS NOT NULL" >/dev/null 2>&1 &
  occupier=$!
  for _ in $(seq 1 100); do
    [ "$(q -d t -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'")" -ge "$1" ] && return 0
    sleep 0.1
  done
  return 1
}
release() {
  q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%FROM filler%' AND backend_type = 'client backend' AND pid <> pg_backend_pid()" >/dev/null
  wait "$occupier" 2>/dev/null
}
refuse() { # serial: the refusal's output
  psql -X -d t -v VERBOSITY=verbose -c "SELECT dvflag.register_card('$1', '131136', NULL, '1002', '00')" 2>&1
}
rows() { # serial: its audit rows and refusal rows
  q -d t -c "SELECT (SELECT count(*) FROM dvflag.audit WHERE action = 'card_register_refused' AND detail ->> 'card_serial' = '$1')
                    || '/' || (SELECT count(*) FROM dvflag.registration_refusal WHERE card_serial = '$1')"
}

occupy 2
ok $? "parallel workers hold the two slots that are not the audit writer's"
out=$(refuse STARVED-PRELOADED)
echo "$out" | grep -q "ERROR:  DV001" && ! echo "$out" | grep -q WARNING && [ "$(rows STARVED-PRELOADED)" = "1/1" ]
ok $? "preloaded: the refusal is DV001 and keeps its audit row and its refusal row"
echo "$out" | grep -q WARNING && echo "$out" | sed 's/^/# /'
release

# the same without preload: one worker started per row, which can be starved
stop && start ""
ok $? "the same cluster, dvflag not preloaded"
occupy 3
ok $? "parallel workers hold all three slots"
out=$(refuse STARVED-NOT-PRELOADED)
echo "$out" | grep -q "ERROR:  DV001" && echo "$out" | grep -q "WARNING:.*could not write the card_register_refused audit row" &&
  [ "$(rows STARVED-NOT-PRELOADED)" = "0/0" ]
ok $? "not preloaded: DV001, a WARNING, and only the log line (the attack the reserved slot closes)"
release
exit 0
