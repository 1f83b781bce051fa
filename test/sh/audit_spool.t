#!/usr/bin/env bash
# A disaster search's audit row goes to the audit writer through shared
# memory, which a crash of the server empties; the spool file in the data
# directory keeps it (src/spool.c).  With the writer stopped (SIGSTOP, so
# that nothing it was given is written), searches answer; then kill -9 of
# the whole server and a restart: every search has exactly one row (those
# written before the crash are not written twice), with the event id of its
# log line, and the spool of the last run is removed.  A row of a database
# that no longer takes connections is counted lost, not retried for ever.
# (A stopped process holds up DROP DATABASE, which waits for every process
# to close the database's files: hence ALLOW_CONNECTIONS false.)
# Needs to kill and restart the cluster: runs only under tools/cluster.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
. test/sh/server.sh
plan 12

server_check
db=dvflag_spool
db2=dvflag_spool_gone
tmp=$(mktemp -d)
writer=
trap '[ -n "$writer" ] && kill -CONT "$writer" 2>/dev/null
      psql -X -q -d postgres -c "ALTER DATABASE $db2 ALLOW_CONNECTIONS true" >/dev/null 2>&1
      for d in $db $db2; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
      rm -rf "$tmp"' EXIT
setup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
  q -d postgres -c "CREATE DATABASE $1 ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
    q -d "$1" -c "CREATE EXTENSION dvflag" \
      -c "SET dvflag.reason = 'spool test'" \
      -c "INSERT INTO dvflag.insurer VALUES ('06132013', 'Tokyo Health')" \
      -c "INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address)
          VALUES ('P', '06132013', 'b', '2', '00', '2015-01-01', 'Yamada Hanako', 'ヤマダ ハナコ', 2, '1980-05-05', 'Chiyoda 1-1-1')" \
      -c "SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'spool test')" >/dev/null
}
search() { q -d "$1" -c "SELECT count(*) FROM dvflag.disaster_search('1980-05-05', name => 'Yamada Hanako', insurer_name => 'Tokyo')"; }
rows() { q -d $db -c "SELECT count(*) || ' ' || count(DISTINCT detail->>'event') FROM dvflag.audit WHERE action = 'disaster_search'"; }
setup $db && setup $db2
ok $? "two databases with a person and a declared disaster"

for i in 1 2 3 4 5; do search $db >/dev/null; done
[ "$(q -d $db -c "SELECT dvflag.audit_flush()")" = t ] && [ "$(rows)" = "5 5" ]
ok $? "five searches written by the writer before the crash"

writer=$(pgrep -f -P "$(head -1 "$datadir/postmaster.pid")" "dvflag audit writer" | head -1)
[ -n "$writer" ] && kill -STOP "$writer"
ok $? "the audit writer is stopped (pid ${writer:-none})"

answered=0
for i in $(seq 1 20); do [ "$(search $db)" = 1 ] && answered=$((answered + 1)); done
[ "$(search $db2)" = 1 ] && psql -X -q -d postgres -c "ALTER DATABASE $db2 ALLOW_CONNECTIONS false" >/dev/null 2>&1
closed=$?
[ $answered = 20 ] && [ $closed = 0 ] && [ "$(rows)" = "5 5" ]
ok $? "twenty more searches answer with the writer stopped, none of their rows is in yet; a search in a database then closed to connections"

ls "$datadir"/dvflag_audit.spool.* > "$tmp/spool_before" 2>/dev/null
server_kill
writer=
server_start "$tmp/start.out"
rc=$?
ok $rc "kill -9 of the server, and it comes back through crash recovery"
[ $rc = 0 ] || { sed 's/^/# /' "$tmp/start.out"; skip_rest "no server"; }

[ "$(q -d $db -c "SELECT dvflag.audit_flush()")" = t ] && [ "$(rows)" = "25 25" ]
ok $? "after the restart: 25 searches, 25 rows, 25 events: none lost, none twice ($(rows))"

# every event of the log is in the table
grep -o '"action":"disaster_search","target":null,"standby":false,"detail":{"event":"[^"]*"' "$DVFLAG_SERVER_LOG" |
  sed 's/.*"event":"//; s/"$//' | sort -u > "$tmp/logged"
q -d $db -c "SELECT detail->>'event' FROM dvflag.audit WHERE action = 'disaster_search' ORDER BY 1" | sort -u > "$tmp/rows"
comm -23 "$tmp/rows" "$tmp/logged" > "$tmp/unlogged"
[ -s "$tmp/rows" ] && [ ! -s "$tmp/unlogged" ] && [ "$(comm -12 "$tmp/rows" "$tmp/logged" | wc -l)" = 25 ]
ok $? "each row has the event id of a log line of the search"

lost=$(q -d $db -c "SELECT dvflag.audit_rows_lost()")
q -d $db -c "SELECT count(*) FROM dvflag.check() WHERE problem = 'audit_rows_lost'" | grep -qx 1
ok $? "the row of the closed database is counted lost ($lost) and check() says so"

for _ in $(seq 1 50); do
  left=$(ls "$datadir"/dvflag_audit.spool.* 2>/dev/null | grep -Fxf "$tmp/spool_before")
  [ -z "$left" ] && break
  sleep 0.2
done
[ -s "$tmp/spool_before" ] && [ -z "$left" ]
ok $? "the spool files of the last run ($(wc -l < "$tmp/spool_before")) are removed once their rows are in"

# a small dvflag.audit_spool_size: the writer moves on to new files and
# removes each old one once its rows are in
q -d postgres -c "ALTER SYSTEM SET dvflag.audit_spool_size = '8kB'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
for i in $(seq 1 100); do search $db >/dev/null; done
most=0
for _ in $(seq 1 50); do
  files=$(ls "$datadir"/dvflag_audit.spool.* 2>/dev/null | wc -l)
  [ "$files" -gt "$most" ] && most=$files
  [ "$(q -d $db -c "SELECT dvflag.audit_flush()")" = t ] && [ "$files" -le 2 ] && break
  sleep 0.2
done
last_gen=$(ls "$datadir"/dvflag_audit.spool.* 2>/dev/null | sed 's/.*\.//' | sort -n | tail -1)
[ "$(rows)" = "125 125" ] && [ "$files" -le 2 ] && [ "${last_gen:-0}" -gt "$(sed 's/.*\.//' "$tmp/spool_before" | sort -n | tail -1)" ]
ok $? "100 searches with 8 kB spool files: every row in ($(rows)), the spool moved on to file ${last_gen:-none}, $files file(s) left"
q -d postgres -c "ALTER SYSTEM RESET dvflag.audit_spool_size" -c "SELECT pg_reload_conf()" >/dev/null
[ "$(q -d postgres -c "SHOW dvflag.audit_spool_size")" = 16MB ]
ok $? "dvflag.audit_spool_size is 16MB by default"

# the count of lost rows is the running server's: a clean restart starts
# it again at zero (the server log keeps the warning), and the tests that
# follow find check() clean
server_restart "$tmp/restart.out"
[ "$(q -d $db -c "SELECT dvflag.audit_rows_lost()")" = 0 ] && [ "$(rows)" = "125 125" ] \
  && [ "$(q -d $db -c "SELECT count(*) FROM dvflag.check()")" = 0 ]
ok $? "after a clean restart no row is lost, every row stays, check() is clean"
