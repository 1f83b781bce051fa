#!/usr/bin/env bash
# Backups: pg_dump (custom and plain format) and the restores every DBA
# types (pg_restore -d with default options, with -j 2, with
# --single-transaction; psql -f of a plain dump), into a fresh database,
# keep every row of every dvflag table, the flags' effect on every read
# path, the insurer-staff mapping and the identities' positions, with the
# triggers ALWAYS and check() clean, and no step after.  A restore adds no
# audit row and asks no reason; only a superuser can restore.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 20
src=dvflag_backup_src
dst=dvflag_backup_custom
dst2=dvflag_backup_plain
staff=t_backup_staff_$$
admin=t_backup_admin_$$
tmp=$(mktemp -d)
cleanup() {
  for db in $src $dst $dst2; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $staff, $admin" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
for db in $src $dst $dst2; do
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  psql -X -q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null
done

# data in every table: the worked examples, a proxy, a disaster, a stopped
# card, a staff mapping, item flags, 副本, requests, records and a mark,
# health records (RULES.md §3a)
q -d $src -c "CREATE EXTENSION dvflag" -c "CREATE ROLE $staff LOGIN IN ROLE dvflag_insurer" \
  -c "CREATE ROLE $admin LOGIN IN ROLE dvflag_admin" \
  -f test/fixtures/worked_examples.sql -f test/fixtures/health_records.sql -c "
  SELECT dvflag.grant_insurer('$staff', '131136');
  SELECT dvflag.set_proxy('CARD-SB-AT-B', 'NO-FLAG');
  SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'backup test');
  SELECT dvflag.stop_card('CARD-ND-AT-A', 'lost');
  SELECT dvflag.set_item_flag('131136', 'TM02', 'ar', true, 'review');
  SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM01', '{\"b\": 1}');
  SELECT status FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01');
  SELECT status FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01', ndc => true);
  SELECT status FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM02');
  SELECT dvflag.mark_record(1, 'backup test');" >/dev/null
ok $? "a database with rows in every dvflag table"

state="
SELECT string_agg(t || '=' || c, ' ' ORDER BY t) FROM (
  SELECT 'insurer' t, count(*) c FROM dvflag.insurer UNION ALL SELECT 'enrollment', count(*) FROM dvflag.enrollment
  UNION ALL SELECT 'person', count(*) FROM dvflag.person UNION ALL SELECT 'card', count(*) FROM dvflag.card
  UNION ALL SELECT 'proxy', count(*) FROM dvflag.proxy UNION ALL SELECT 'disaster', count(*) FROM dvflag.disaster
  UNION ALL SELECT 'insurer_staff', count(*) FROM dvflag.insurer_staff
  UNION ALL SELECT 'audit', count(*) FROM dvflag.audit WHERE action NOT IN ('disaster_search', 'clinic_health_by_card')
  UNION ALL SELECT 'item_flag', count(*) FROM dvflag.item_flag UNION ALL SELECT 'item_copy', count(*) FROM dvflag.item_copy
  UNION ALL SELECT 'provision_request', count(*) FROM dvflag.provision_request
  UNION ALL SELECT 'provision_record', count(*) FROM dvflag.provision_record
  UNION ALL SELECT 'provision_mark', count(*) FROM dvflag.provision_mark
  UNION ALL SELECT 'health_record', count(*) FROM dvflag.health_record) x;
-- (each run of these reads audits a disaster search and clinic health reads: those rows are left out)
SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) FROM dvflag.audit a
 WHERE a.action NOT IN ('disaster_search', 'clinic_health_by_card');
SELECT md5(string_agg(h::text, '|' ORDER BY h.id)), (SELECT last_value FROM dvflag.health_record_id_seq)
  FROM dvflag.health_record h;
SELECT md5(string_agg(p::text, '|' ORDER BY p.link_no)) FROM dvflag.person p;
SELECT string_agg(format('%s %s %s', e.number, q.address, q.postcode), ', ' ORDER BY e.id)
  FROM dvflag.enrollment e, dvflag.clinic_by_insurance_card(e.insurer_no, e.symbol, e.number, e.branch) q;
SELECT string_agg(format('%s %s %s %s', c.card_serial, (SELECT count(*) FROM dvflag.portal_qualifications(c.card_serial)),
                         (SELECT count(*) FROM dvflag.clinic_by_card(c.card_serial)),
                         (SELECT count(*) FROM dvflag.portal_exchange_history(c.card_serial))), ', ' ORDER BY c.card_serial)
  FROM dvflag.card c;
SELECT string_agg(format('%s %s %s', c.card_serial, (SELECT count(*) FROM dvflag.portal_health(c.card_serial)),
                         (SELECT string_agg(coalesce(h.institution_code, '-'), ' ')
                            FROM dvflag.clinic_health_by_card(c.card_serial, true) h)), ', ' ORDER BY c.card_serial)
  FROM dvflag.card c;
SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-B');
SELECT string_agg(coalesce(address, '-'), ',' ORDER BY insurer_no)
  FROM dvflag.disaster_search('1978-11-23', kana => 'スズキ イチロウ', insurer_name => '保険');"
before=$(q -d $src -c "$state")
staff_view="SET ROLE $staff; SELECT count(*) FROM dvflag.enrollment; SELECT request_id FROM dvflag.pending_requests();"
staff_before=$(q -d $src -c "$staff_view")

armed="SELECT count(*) FILTER (WHERE g.tgenabled <> 'A') FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = 'dvflag'::regnamespace AND NOT g.tgisinternal"
pg_dump -Fc -f "$tmp/dump.custom" $src && pg_dump -f "$tmp/dump.sql" $src
ok $? "pg_dump -Fc and plain pg_dump"

# the restores every DBA types, each into a fresh UTF8 database, as a
# superuser: no special procedure, no step after
restored() { # database, how: the checks of one restore
  local db=$1 how=$2 after
  after=$(q -d $db -c "$state")
  [ "$before" = "$after" ]
  ok $? "$how: every row of every table (the audit and the person rows byte for byte), every read path as before"
  [ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /' | head -10
  [ "$(q -d $db -c "$armed")" = 0 ] && [ "$(q -d $db -c "SELECT count(*) FROM dvflag.check()")" = 0 ] &&
    [ "$(q -d $db -c "$staff_view")" = "$staff_before" ]
  ok $? "$how: every trigger ENABLE ALWAYS, check() clean, the staff mapping holds"
  q -d $db -c "SELECT problem || ' ' || object FROM dvflag.check()" | sed 's/^/# /'
  q -d $db -c "SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', true, 'after restore')" >/dev/null &&
    [ "$(q -d $db -c "SELECT count(*) FROM dvflag.audit WHERE detail->>'reason' = 'after restore'")" = 2 ] &&
    [ "$(q -d $db -c "SELECT address IS NULL FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00')")" = t ]
  ok $? "$how: a new flag change is audited (flag and protection) and hides the address"
}
new_db() { psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
           q -d postgres -c "CREATE DATABASE $1 ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null; }
for how in default "-j 2" --single-transaction; do
  new_db $dst
  pg_restore ${how#default} -d $dst "$tmp/dump.custom" > "$tmp/restore.err" 2>&1
  ok $? "pg_restore ${how#default}${how#default:+ }-d newdb dump: no error"
  sed 's/^/# /' "$tmp/restore.err" | head -5
  restored $dst "pg_restore $how"
done
new_db $dst2
psql -X -q -v ON_ERROR_STOP=1 -d $dst2 -f "$tmp/dump.sql" > "$tmp/plain.out" 2>&1
ok $? "psql -f of a plain dump: no error"
grep -i error "$tmp/plain.out" | sed 's/^/# /' | head -5
restored $dst2 "psql -f plain dump"

# the way of 1.2 still works: data restored with triggers disabled, re-armed
new_db $dst
pg_restore --section=pre-data -d $dst "$tmp/dump.custom" 2> "$tmp/restore.err" &&
  pg_restore --section=data --disable-triggers -d $dst "$tmp/dump.custom" 2>> "$tmp/restore.err" &&
  pg_restore --section=post-data -d $dst "$tmp/dump.custom" 2>> "$tmp/restore.err" &&
  [ "$(q -d $dst -c "SELECT dvflag.rearm_triggers()")" -gt 0 ] && [ "$(q -d $dst -c "$armed")" = 0 ] &&
  [ "$(q -d $dst -c "$state")" = "$before" ]
ok $? "the sectioned restore with --disable-triggers and rearm_triggers() gives the same database"

# a restore is a superuser's: anyone else's COPY with the ids is refused
out=$(psql -X -d $dst -c "SET ROLE $admin" -c "COPY dvflag.enrollment (id, link_no, insurer_no, number, branch, acquired_on, sb) FROM stdin" 2>&1 <<'DATA'
999	SB-AT-C	131136	7777	00	2030-01-01	f
\.
DATA
)
echo "$out" | grep -q "ERROR:  COPY into dvflag.enrollment with its id column is a restore, and only a superuser restores" &&
  [ "$(q -d $dst -c "SELECT count(*) FROM dvflag.enrollment WHERE number = '7777'")" = 0 ]
ok $? "admin's COPY of enrollments with ids (a restore's data) is refused: no way to write flags without a reason"
echo "$out" | sed 's/^/# /' | head -3
