#!/usr/bin/env bash
# A streaming replica (pg_basebackup -R) answers every read path with the
# same masking as the primary; a flag set on the primary hides the address
# on the standby once replayed; a disaster search on the standby works and
# its audit goes to the standby's server log (the table cannot take it), and
# so does a health read in disaster mode (RULES.md §3a); a write path on the
# standby fails with a clear error.
# Needs to start a second server: as root it runs it as the cluster's owner.
# Its binaries are the first pg_ctl in PATH (tools/cluster's private
# PostgreSQL), so that it loads the dvflag under test.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 11
command -v pg_ctl >/dev/null || skip_rest "no pg_ctl in PATH (run under tools/cluster)"

db=dvflag_standby
owner=$(q -d postgres -c "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'template0'" 2>/dev/null)
datadir=$(q -d postgres -c "SHOW data_directory")
os_owner=$(stat -c %U "$datadir" 2>/dev/null)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$os_owner" -- "$@"; else "$@"; fi; }
[ -n "$os_owner" ] || skip_rest "cannot find the cluster's data directory"
sport=$(( ${PGPORT:-5432} + 107 ))
sdir=$(mktemp -d)
chown "$os_owner" "$sdir" 2>/dev/null; chmod 700 "$sdir"
cleanup() {
  as_owner pg_ctl -D "$sdir/data" -m immediate stop >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$sdir"
}
trap cleanup EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d $db -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql -f test/fixtures/health_records.sql \
    -c "SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'standby test')" >/dev/null
ok $? "the primary has the worked examples and a declared disaster"

# the replica, streaming, with its own log
as_owner pg_basebackup -D "$sdir/data" -R -X stream -c fast -h "${PGHOST:-localhost}" -p "${PGPORT:-5432}" -U "$owner" \
  > "$sdir/basebackup.out" 2>&1 &&
  # Debian keeps the configuration outside the data directory: give the
  # copy its own (settings on the command line, local sockets only)
  as_owner sh -c "touch '$sdir/data/postgresql.conf' '$sdir/data/pg_ident.conf' &&
                  echo 'local all all trust' > '$sdir/data/pg_hba.conf'" &&
  as_owner pg_ctl -D "$sdir/data" -l "$sdir/standby.log" -w -t 60 \
    -o "-p $sport -c hot_standby=on -c shared_preload_libraries=dvflag -c log_min_messages=warning -c cluster_name=dvflag_standby -c unix_socket_directories=$sdir -c listen_addresses=" \
    start > "$sdir/start.out" 2>&1
rc=$?
ok $rc "pg_basebackup -R and a hot standby started"
if [ $rc != 0 ]; then sed "s/^/# /" "$sdir/basebackup.out" "$sdir/start.out" "$sdir/standby.log" 2>/dev/null | tail -8; skip_rest "no standby"; fi
sq() { q -h "$sdir" -p $sport -U "$owner" -d $db "$@"; }
wait_replay() {
  local lsn
  lsn=$(q -d $db -c "SELECT pg_current_wal_lsn()")
  for _ in $(seq 1 100); do
    [ "$(sq -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" = t ] && return 0
    sleep 0.1
  done
  return 1
}
wait_replay

answers="
SELECT string_agg(format('%s %s %s', e.number, q.address, q.postcode), ', ' ORDER BY e.id)
  FROM dvflag.enrollment e, dvflag.clinic_by_insurance_card(e.insurer_no, e.symbol, e.number, e.branch) q;
SELECT string_agg(format('%s %s %s %s', c.card_serial, (SELECT count(*) FROM dvflag.portal_qualifications(c.card_serial)),
                         (SELECT count(*) FROM dvflag.portal_self_info(c.card_serial)),
                         (SELECT count(*) FROM dvflag.clinic_by_card(c.card_serial))), ', ' ORDER BY c.card_serial)
  FROM dvflag.card c;
SELECT string_agg(format('%s %s %s', c.card_serial, (SELECT count(*) FROM dvflag.portal_health(c.card_serial)),
                         (SELECT string_agg(coalesce(h.institution_code, '-'), ' ')
                            FROM dvflag.clinic_health_by_card(c.card_serial, true) h)), ', ' ORDER BY c.card_serial)
  FROM dvflag.card c;
SELECT string_agg(p.link_no || ' ' || dvflag.protected(p.link_no), ', ' ORDER BY p.link_no) FROM dvflag.person p;"
primary=$(q -d $db -c "$answers")
standby=$(sq -c "$answers" 2>&1)
[ -n "$primary" ] && [ "$primary" = "$standby" ] && echo "$standby" | grep -q "1003  ,"
ok $? "every read path answers on the standby as on the primary, addresses hidden alike"
[ "$primary" = "$standby" ] || { echo "# primary: $primary" | head -3; echo "# standby: $standby" | head -3; }

[ "$(sq -c "SELECT coalesce(address, '-') FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00')")" != "-" ]
ok $? "NO-FLAG's address shows on the standby"
q -d $db -c "SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', true, 'standby test')" >/dev/null && wait_replay &&
  [ "$(sq -c "SELECT coalesce(address, '-') FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00')")" = "-" ]
ok $? "ND set on the primary hides it on the standby once replayed"

standby_line() { # client action: the standby's last audit line of them, marked standby, waiting for the log
  local line
  for _ in $(seq 1 50); do
    line=$(grep -a 'dvflag audit: ' "$sdir/standby.log" | grep -a "\"client\":\"$1\"" | grep -a '"standby":true' |
             grep -a "\"action\":\"$2\"" | tail -1 | sed 's/.*dvflag audit: //')
    [ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
    sleep 0.1
  done
  return 1
}

out=$(sq -c "SET dvflag.client = 'standby-test'; SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険')" 2>&1)
[ "$out" = 3 ]
ok $? "a disaster search works on the standby"
[ "$out" = 3 ] || echo "# $out"
line=$(standby_line standby-test disaster_search)
ok $? "its audit is in the standby's server log as a dvflag audit line marked standby"
python3 -c 'import json, sys; e = json.loads(sys.argv[1]); sys.exit(0 if e["detail"]["result_count"] == 3 and e["detail"]["criteria"]["kana"] == "タナカ ケン" else 1)' "$line" 2>/dev/null
ok $? "the line is JSON with the criteria and the result count"

out=$(sq -c "SET dvflag.client = 'standby-health'; SELECT count(*) FROM dvflag.disaster_health('131136', NULL, '1002', '00', true)" 2>&1)
[ "$out" = 3 ]
ok $? "disaster_health works on the standby (a person under SB: the records)"
[ "$out" = 3 ] || echo "# $out"
line=$(standby_line standby-health disaster_health) &&
  python3 -c 'import json, sys; e = json.loads(sys.argv[1]); sys.exit(0 if e["detail"]["result_count"] == 3 and e["target"] == "131136//1002/00" else 1)' "$line" 2>/dev/null
ok $? "its audit is in the standby's server log, marked standby, with the enrollment and the result count"

out=$(sq -v VERBOSITY=verbose -c "SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', false, 'on a standby')" 2>&1)
echo "$out" | grep -q "25006"
ok $? "a write path on the standby fails with SQLSTATE 25006 (read-only transaction)"
echo "$out" | grep -q "25006" || echo "# $out" | head -3
