#!/usr/bin/env bash
# Pooling-safe identity, through a real pgbouncer in transaction mode with
# one server connection for two clients.  Client A sets dvflag.client at
# session level (SET, not SET LOCAL) and leaves; pgbouncer keeps the server
# connection, and the setting with it, for client B.  Under
# dvflag.client_scope = 'session' B's disaster search is recorded as A's
# operator: the misattribution.  Under 'transaction' an identity counts only
# when the event's own transaction set it: B's search records that none was
# given, and set_config('dvflag.client', ..., true) in B's transaction is
# recorded as B's.  Needs pgbouncer (Debian's package); runs it as the
# server's OS user when root.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 6
command -v pgbouncer >/dev/null || skip_rest "no pgbouncer"
db=dvflag_pooler
tmp=$(mktemp -d)
chmod 755 "$tmp"
os_user=$(stat -c %U "$(q -d postgres -c "SHOW data_directory")" 2>/dev/null)
as() { if [ "$(id -u)" = 0 ]; then runuser -u "$os_user" -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown "$os_user" "$tmp"
bport=$(( 20000 + RANDOM % 20000 ))
cleanup() {
  [ -f "$tmp/pgbouncer.pid" ] && kill "$(cat "$tmp/pgbouncer.pid")" 2>/dev/null
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d $db -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql \
    -c "SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'pooler test')" >/dev/null
ok $? "a database with a declared disaster"

user=$(q -d postgres -c "SELECT current_user")
host=${PGHOST:-/var/run/postgresql}
case $host in /*) ;; *) host=localhost ;; esac
cat > "$tmp/pgbouncer.ini" <<INI
[databases]
$db = host=$host port=${PGPORT:-5432} dbname=$db user=$user
[pgbouncer]
listen_addr =
unix_socket_dir = $tmp
listen_port = $bport
auth_type = any
pool_mode = transaction
default_pool_size = 1
max_client_conn = 10
pidfile = $tmp/pgbouncer.pid
logfile = $tmp/pgbouncer.log
INI
as pgbouncer -d "$tmp/pgbouncer.ini" >/dev/null 2>&1
for _ in $(seq 1 50); do [ -S "$tmp/.s.PGSQL.$bport" ] && break; sleep 0.1; done
bq() { psql -X -q -At -h "$tmp" -p "$bport" -U "$user" -d $db "$@"; }
[ "$(bq -c "SELECT 1")" = 1 ]
ok $? "pgbouncer in transaction mode, one server connection"

search="SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカケン', address => '新宿')"
last_search="SELECT coalesce(client, '(none)') || ' ' || coalesce(detail ->> 'client_given', '-')
               FROM dvflag.audit WHERE action = 'disaster_search' ORDER BY id DESC LIMIT 1"
last() { # the last search's audit row, once the audit writer's queue is in
  q -d $db -c "SELECT dvflag.audit_flush()" >/dev/null
  q -d $db -c "$last_search"
}
same_backend=$(bq -c "SELECT pg_backend_pid()")

# session scope: A's SET stays on the server connection and is B's too
bq -c "SET dvflag.client = 'operator A'" >/dev/null
[ "$(bq -c "SELECT pg_backend_pid()")" = "$same_backend" ] && bq -c "$search" >/dev/null &&
  [ "$(last)" = "operator A -" ]
ok $? "client_scope session: B's search, on A's server connection, is recorded as A's operator (the misattribution)"

# transaction scope: only an identity of the event's own transaction counts
q -d postgres -c "ALTER DATABASE $db SET dvflag.client_scope = 'transaction'" >/dev/null
bq -c "SELECT pg_terminate_backend(pg_backend_pid())" >/dev/null 2>&1   # a new server connection takes the setting
bq -c "SET dvflag.client = 'operator A'" >/dev/null
bq -c "SHOW dvflag.client_scope" | grep -q transaction && bq -c "$search" >/dev/null &&
  [ "$(last)" = "(none) false" ]
ok $? "client_scope transaction: A's session SET is not recorded for B; the audit says none was given"
bq -c "BEGIN" -c "SELECT set_config('dvflag.client', 'operator B', true)" -c "$search" -c "COMMIT" >/dev/null &&
  [ "$(last)" = "operator B -" ]
ok $? "set_config(..., true) in B's own transaction is recorded as B's operator"
bq -c "BEGIN" -c "SET LOCAL dvflag.client = 'operator C'" -c "COMMIT" >/dev/null && bq -c "$search" >/dev/null &&
  [ "$(last)" = "(none) false" ]
ok $? "and a SET LOCAL of an earlier transaction is not carried into the next"
