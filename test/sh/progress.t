#!/usr/bin/env bash
# A person loading a million rows, or purging them, sees it move: a staff
# COPY into dvflag.enrollment and dvflag.purge() send a NOTICE every
# dvflag.progress_rows rows, and the COPY shows in pg_stat_progress_copy
# while its rows are written into dvflag.enrollment (seen here while the
# statement waits for a lock on a person, with every row in).
# Uses its own database and role (t_progress), removed at the end.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 7
db=dvflag_progress
cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS t_progress, t_progress_admin" >/dev/null 2>&1
}
cleanup
trap cleanup EXIT
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d $db -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql \
    -c "CREATE ROLE t_progress LOGIN IN ROLE dvflag_insurer" -c "CREATE ROLE t_progress_admin LOGIN IN ROLE dvflag_admin" \
    -c "SELECT dvflag.grant_insurer('t_progress', '131136')" >/dev/null
ok $? "a database with the worked examples, staff of C and an admin"

rows() { for i in $(seq 1 "$1"); do echo "$2-$i,131136,$2-$i,00,2024-04-01"; done; }
copy_sql() { # rows, prefix
  printf '%s\n' "SET dvflag.progress_rows = 2;" \
    "COPY dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on) FROM STDIN WITH (FORMAT csv);"
  rows "$1" "$2"
  printf '%s\n' '\.'
}
out=$(copy_sql 5 P | psql -X -q -d $db -U t_progress 2>&1)
notices=$(printf '%s\n' "$out" | grep '^NOTICE:' | tr '\n' '|')
[ "$notices" = "NOTICE:  dvflag: 5 rows read, now written into dvflag.enrollment|NOTICE:  dvflag: 2 of 5 rows written into dvflag.enrollment|NOTICE:  dvflag: 4 of 5 rows written into dvflag.enrollment|" ]
ok $? "a staff COPY of 5 rows, dvflag.progress_rows = 2: the rows read, then every second row written"
[ "$(q -d $db -c "SELECT count(*) FROM dvflag.enrollment WHERE link_no LIKE 'P-%'")" = 5 ]
ok $? "and the rows are there"
case $notices in *"4 of 5"*) ;; *) echo "$out" | sed 's/^/# /' ;; esac

# a COPY that waits, its rows written, for a person another session holds
psql -X -q -d $db -c "BEGIN" -c "SELECT 1 FROM dvflag.person WHERE link_no = 'NO-FLAG' FOR UPDATE" \
  -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &
holder=$!
sleep 0.5
{ printf '%s\n' "COPY dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on) FROM STDIN WITH (FORMAT csv);"
  rows 3 W; echo "NO-FLAG,131136,W-NO-FLAG,00,2025-04-01"; printf '%s\n' '\.'; } |
  psql -X -q -d $db -U t_progress >/dev/null 2>&1 &
copier=$!
seen=""
for _ in $(seq 1 30); do
  seen=$(q -d $db -c "SELECT relid::regclass || ' ' || command || ' ' || type || ' ' || tuples_processed
                        FROM pg_stat_progress_copy WHERE relid = 'dvflag.enrollment'::regclass")
  [ "$seen" = "dvflag.enrollment COPY FROM PIPE 4" ] && break
  sleep 0.1
done
[ "$seen" = "dvflag.enrollment COPY FROM PIPE 4" ]
ok $? "pg_stat_progress_copy shows the COPY writing into dvflag.enrollment, with its rows counted ($seen)"
wait "$holder" "$copier"
ok $? "and it ends when the person is free"

# purge(): old audit rows, deleted two by two
q -d $db -c "INSERT INTO dvflag.audit (at, actor, action) SELECT now() - interval '30 years', 'test', 'old event'
             FROM generate_series(1, 5)" >/dev/null
out=$(psql -X -q -At -d $db -U t_progress_admin -c "SET dvflag.progress_rows = 2" \
        -c "SELECT rows FROM dvflag.purge() WHERE purged = 'audit'" 2>&1)
[ "$(printf '%s\n' "$out" | tr '\n' '|')" = "NOTICE:  dvflag: 2 rows deleted from dvflag.audit by dvflag.purge()|NOTICE:  dvflag: 4 rows deleted from dvflag.audit by dvflag.purge()|5|" ]
rc=$?
ok $rc "purge(): a NOTICE every second audit row deleted, and the count"
[ $rc = 0 ] || echo "$out" | sed 's/^/# /'
out=$(psql -X -q -At -d $db -U t_progress_admin -c "SELECT count(*) FROM dvflag.purge()" 2>&1)
[ "$out" = 8 ]
ok $? "with dvflag.progress_rows at its default, a small purge says nothing but its answer"
