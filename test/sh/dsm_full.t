#!/usr/bin/env bash
# A refused registration when no shared memory is left for its audit
# writer: the refusal is still DV001 (with a WARNING), and the next one,
# once memory is back, has its row.  Runs a cluster of its own in a mount
# namespace whose /dev/shm is a full 8 MB tmpfs; needs root and unshare.
# Its binaries are the first initdb and pg_ctl in PATH (tools/cluster's
# private PostgreSQL), so that it loads the dvflag under test.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 3
command -v initdb >/dev/null || skip_rest "no initdb in PATH (run under tools/cluster)"
[ "$(id -u)" = 0 ] || skip_rest "needs root (a mount namespace and a cluster of its own)"
unshare -m true 2>/dev/null || skip_rest "unshare -m is not permitted here"
tmp=$(mktemp -d)
chown postgres "$tmp"
trap 'rm -rf "$tmp"' EXIT
unshare -m bash -c '
  set -u
  tmp=$1
  mount -t tmpfs -o size=8m tmpfs /dev/shm || exit 2
  as() { runuser -u postgres -- "$@"; }
  as initdb -D "$tmp/data" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null || exit 2
  as pg_ctl -D "$tmp/data" -l "$tmp/log" -w -o "-p 5497 -k $tmp -c listen_addresses= -c shared_preload_libraries=dvflag -c dynamic_shared_memory_type=posix" start >/dev/null || exit 2
  export PGHOST=$tmp PGPORT=5497 PGUSER=postgres
  psql -X -q -d postgres -c "CREATE DATABASE t ENCODING '"'"'UTF8'"'"' TEMPLATE template0 LC_COLLATE '"'"'C.UTF-8'"'"' LC_CTYPE '"'"'C.UTF-8'"'"'" &&
    psql -X -q -d t -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql >/dev/null || exit 2
  dd if=/dev/zero of=/dev/shm/filler bs=64k 2>/dev/null   # until it is full
  psql -X -d t -v VERBOSITY=verbose -c "SELECT dvflag.register_card('"'"'SHM-FULL'"'"', '"'"'131136'"'"', NULL, '"'"'1002'"'"', '"'"'00'"'"')" > "$tmp/full.out" 2>&1
  rm -f /dev/shm/filler
  psql -X -d t -v VERBOSITY=verbose -c "SELECT dvflag.register_card('"'"'SHM-BACK'"'"', '"'"'131136'"'"', NULL, '"'"'1002'"'"', '"'"'00'"'"')" > "$tmp/back.out" 2>&1
  psql -X -At -d t -c "SELECT string_agg(detail->>'"'"'card_serial'"'"', '"'"','"'"' ORDER BY id) FROM dvflag.audit WHERE action = '"'"'card_register_refused'"'"'" > "$tmp/rows.out"
  as pg_ctl -D "$tmp/data" -m fast stop >/dev/null
' bash "$tmp"
status=$?
[ $status = 2 ] && skip_rest "could not start a cluster in the namespace"
grep -q "ERROR:  DV001" "$tmp/full.out" && grep -q "WARNING:.*could not write the card_register_refused audit row" "$tmp/full.out"
ok $? "no shared memory left: the refusal is still DV001, with a WARNING"
grep -q "ERROR:  DV001" "$tmp/back.out" && ! grep -q WARNING "$tmp/back.out"
ok $? "memory back: DV001 and no WARNING"
[ "$(cat "$tmp/rows.out")" = "SHM-BACK" ]
ok $? "only the second refusal has its row"
[ "$(cat "$tmp/rows.out")" = "SHM-BACK" ] || sed 's/^/# /' "$tmp/full.out" "$tmp/back.out" "$tmp/rows.out"
