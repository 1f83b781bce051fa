#!/usr/bin/env bash
# dvflag not in shared_preload_libraries.  PostgreSQL refuses COPY FROM
# into a table under row-level security before any code of dvflag's runs,
# unless dvflag's library is already loaded in the session (its hook then
# stages the COPY).  So CREATE EXTENSION warns, with a hint, and has the
# database load dvflag at each session's start (session_preload_libraries),
# where the database sets nothing else there: insurer staff's COPY then
# works in a new session.  DROP EXTENSION takes the setting out again.  A
# database with a session_preload_libraries of its own is left alone: the
# warning says so, and a staff COPY in a fresh session fails with
# PostgreSQL's own error (the limit the README states).
# Runs a cluster of its own, without preload; needs initdb and pg_ctl on
# PATH, and runs the server as postgres when root.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 11
command -v initdb >/dev/null || skip_rest "no initdb on PATH"
tmp=$(mktemp -d)
as() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$tmp"
port=$(( 20000 + RANDOM % 20000 ))
trap 'as pg_ctl -D "$tmp/data" -m fast stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
as initdb -D "$tmp/data" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null &&
  as pg_ctl -D "$tmp/data" -l "$tmp/log" -w -t 60 -o "-p $port -k $tmp -c listen_addresses=" start >/dev/null
rc=$?
ok $rc "a cluster without dvflag in shared_preload_libraries"
[ $rc = 0 ] || { tail -5 "$tmp/log" | sed 's/^/# /'; skip_rest "no cluster"; }
export PGHOST=$tmp PGPORT=$port PGUSER=postgres
psql=(psql -X -q -At -v VERBOSITY=default)
setting() { "${psql[@]}" -d postgres -c "SELECT coalesce(string_agg(c, ','), 'none') FROM pg_db_role_setting s, unnest(s.setconfig) c
                                         WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = '$1')"; }
staff_copy() { # database, link_no: a staff COPY in a new session
  "${psql[@]}" -d "$1" -U t_staff 2>&1 <<SQL
COPY dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on) FROM STDIN WITH (FORMAT csv);
$2,131136,$2,00,2024-04-01
\.
SQL
}
q -d postgres -c "CREATE ROLE t_staff LOGIN" \
  -c "CREATE DATABASE a ENCODING 'UTF8' TEMPLATE template0" \
  -c "CREATE DATABASE b ENCODING 'UTF8' TEMPLATE template0" \
  -c "ALTER DATABASE b SET session_preload_libraries = 'auto_explain'" >/dev/null

out=$("${psql[@]}" -d a -c "CREATE EXTENSION dvflag" 2>&1)
echo "$out" | grep -q '^WARNING:  dvflag is not in shared_preload_libraries' &&
  echo "$out" | grep -q '^HINT:  Add dvflag to shared_preload_libraries in postgresql.conf and restart the server.$'
ok $? "CREATE EXTENSION warns that dvflag is not preloaded, and the hint says what to do"
echo "$out" | grep -q '^DETAIL:  This database loads dvflag at the start of each session'
ok $? "and says that the database now loads dvflag at each session's start"
[ "$(setting a)" = "session_preload_libraries=dvflag" ]
ok $? "the database's session_preload_libraries is dvflag"

q -d a -f test/fixtures/worked_examples.sql -c "GRANT dvflag_insurer TO t_staff" \
  -c "SELECT dvflag.grant_insurer('t_staff', '131136')" >/dev/null 2>&1
out=$(staff_copy a N-1)
[ "$out" = "" ] && [ "$(q -d a -c "SELECT count(*) FROM dvflag.enrollment WHERE link_no = 'N-1'")" = 1 ]
ok $? "insurer staff's COPY into dvflag.enrollment works in a new session"
[ -z "$out" ] || echo "$out" | sed 's/^/# /'
q -d a -c "SELECT detail FROM dvflag.check() WHERE problem = 'not_preloaded'" | grep -q 'works as this database loads dvflag per session'
ok $? "check() reports not_preloaded, and that the database loads dvflag per session"
q -d a -c "SET dvflag.allow_drop = on" -c "DROP EXTENSION dvflag" >/dev/null 2>&1 && [ "$(setting a)" = none ]
ok $? "DROP EXTENSION takes the setting out again"

out=$("${psql[@]}" -d b -c "CREATE EXTENSION dvflag" 2>&1)
echo "$out" | grep -q '^WARNING:  dvflag is not in shared_preload_libraries' &&
  echo "$out" | grep -q "^HINT:  .*or add it to this database's session_preload_libraries"
ok $? "a database with a session_preload_libraries of its own: the warning's hint names both settings"
[ "$(setting b)" = "session_preload_libraries=auto_explain" ]
ok $? "and its setting is left as it was"
q -d b -f test/fixtures/worked_examples.sql -c "SELECT dvflag.grant_insurer('t_staff', '131136')" >/dev/null 2>&1
out=$(staff_copy b N-2)
echo "$out" | grep -q 'COPY FROM not supported with row-level security'
ok $? "there, a staff COPY in a fresh session fails with PostgreSQL's error (the documented limit)"
out=$("${psql[@]}" -d b -U t_staff 2>&1 <<'SQL'
SELECT count(*) >= 0 FROM dvflag.enrollment;
COPY dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on) FROM STDIN WITH (FORMAT csv);
N-3,131136,N-3,00,2024-04-01
\.
SQL
)
[ "$out" = "t" ] && [ "$(q -d b -c "SELECT count(*) FROM dvflag.enrollment WHERE link_no = 'N-3'")" = 1 ]
ok $? "and works once the session has loaded dvflag (here through the policy's staff_insurers())"
[ "$out" = "t" ] || echo "$out" | sed 's/^/# /'
q -d b -c "SET dvflag.allow_drop = on" -c "DROP EXTENSION dvflag" >/dev/null 2>&1
q -d postgres -c "DROP DATABASE a" -c "DROP DATABASE b" -c "DROP ROLE t_staff" >/dev/null 2>&1
exit 0
