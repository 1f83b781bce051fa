#!/usr/bin/env bash
# kill -9 of the server during a bulk load with flags, then restart: every
# committed batch of enrollments is there with every audit row of its flag
# changes and its persons' state; nothing of an uncommitted batch is.
# Needs to kill and restart the cluster: runs only under tools/cluster
# (DVFLAG_PGDATA, DVFLAG_SERVER_LOG), as the data directory's owner or root.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
. test/sh/server.sh
plan 6

server_check
db=dvflag_crash
tmp=$(mktemp -d)
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d $db -c "CREATE EXTENSION dvflag" \
    -c "INSERT INTO dvflag.insurer VALUES ('01130012', 'A'), ('06132013', 'B'), ('131136', 'C')" >/dev/null
ok $? "a database to load"

# batches of 2,000 enrollments in 1,000 persons: the second enrollment of a
# person moves them to another insurer; every 50th row has ND, every 70th SB
load_batch() {
  q -d $db -c "SET dvflag.reason = 'crash test batch $1';
    INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, lost_on, nd, sb)
    SELECT 'B$1-' || (g / 2), CASE WHEN g % 2 = 0 THEN '01130012' ELSE '131136' END, 'B$1-' || g, '00',
           CASE WHEN g % 2 = 0 THEN date '2010-04-01' ELSE date '2020-04-01' END,
           CASE WHEN g % 2 = 0 THEN date '2020-04-01' END, g % 50 = 0, g % 70 = 1
      FROM generate_series(0, 1999) AS g" >/dev/null 2>&1
}
: > "$tmp/committed"
(
  for b in $(seq 1 100000); do
    load_batch "$b" || break
    echo "$b" >> "$tmp/committed"   # only once the COMMIT was acknowledged
  done
) &
loader=$!
for _ in $(seq 1 100); do [ "$(wc -l < "$tmp/committed")" -ge 5 ] && break; sleep 0.1; done
sleep 0.3
server_kill
wait $loader 2>/dev/null
committed=$(wc -l < "$tmp/committed")
[ "$committed" -ge 5 ]
ok $? "kill -9 of the postmaster and its backends in the middle of the load ($committed batches acknowledged)"

# restart: crash recovery
server_start "$tmp/start.out"
rc=$?
ok $rc "the server comes back through crash recovery"
[ $rc = 0 ] || { sed 's/^/# /' "$tmp/start.out"; skip_rest "no server"; }

counts=$(q -d $db -c "SELECT coalesce(string_agg(b || ':' || c, ' ' ORDER BY b), '')
                        FROM (SELECT split_part(split_part(link_no, '-', 1), 'B', 2)::int AS b, count(*) AS c
                                FROM dvflag.enrollment GROUP BY 1) x")
bad=$(echo "$counts" | tr ' ' '\n' | awk -F: -v k="$committed" '$2 != 2000 || $1 > k + 1 {print}')
present=$(echo "$counts" | tr ' ' '\n' | grep -c ':2000$')
[ -z "$bad" ] && [ "$present" -ge "$committed" ] && [ "$present" -le $((committed + 1)) ]
ok $? "every acknowledged batch is there in full, and no batch is there in part ($present batches of 2,000 rows)"
[ -z "$bad" ] || echo "# partial or unexpected: $bad"

q -d $db -c "SELECT (SELECT count(*) FROM dvflag.enrollment e, LATERAL (VALUES ('nd', e.nd), ('sb', e.sb)) f(flag, v) WHERE f.v)
               = (SELECT count(*) FROM dvflag.audit WHERE action = 'flag_change' AND detail->>'via' = 'INSERT')" | grep -qx t
ok $? "every flag of every enrollment there has its audit row, and no audit row is left of a lost batch"

q -d $db -f test/fixtures/rules_in_sql.sql \
  -c "SELECT pg_temp.persons_against_rules() + (SELECT count(*) FROM dvflag.person p
        WHERE NOT EXISTS (SELECT FROM dvflag.enrollment e WHERE e.link_no = p.link_no COLLATE \"default\"))" | grep -qx 0
ok $? "every person's state agrees with their enrollments: nothing half-applied"
