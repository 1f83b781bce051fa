#!/usr/bin/env bash
# Backups: pg_dump (custom and plain format) and a restore into a fresh
# database keep every row of every dvflag table, the flags' effect on every
# read path, the insurer-staff mapping, and the identities' positions.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 12
src=dvflag_backup_src
dst=dvflag_backup_custom
dst2=dvflag_backup_plain
staff=t_backup_staff_$$
tmp=$(mktemp -d)
cleanup() {
  for db in $src $dst $dst2; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1; done
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $staff" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
for db in $src $dst $dst2; do
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  psql -X -q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null
done

# data in every table: the worked examples, a proxy, a disaster, a stopped
# card, a staff mapping, item flags, 副本, requests, records and a mark
q -d $src -c "CREATE EXTENSION dvflag" -c "CREATE ROLE $staff LOGIN IN ROLE dvflag_insurer" \
  -f test/fixtures/worked_examples.sql -c "
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
  UNION ALL SELECT 'audit', count(*) FROM dvflag.audit WHERE action <> 'disaster_search'
  UNION ALL SELECT 'item_flag', count(*) FROM dvflag.item_flag UNION ALL SELECT 'item_copy', count(*) FROM dvflag.item_copy
  UNION ALL SELECT 'provision_request', count(*) FROM dvflag.provision_request
  UNION ALL SELECT 'provision_record', count(*) FROM dvflag.provision_record
  UNION ALL SELECT 'provision_mark', count(*) FROM dvflag.provision_mark) x;
-- (each run of these reads audits one disaster search: those rows are left out)
SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) FROM dvflag.audit a WHERE a.action <> 'disaster_search';
SELECT md5(string_agg(p::text, '|' ORDER BY p.link_no)) FROM dvflag.person p;
SELECT string_agg(format('%s %s %s', e.number, q.address, q.postcode), ', ' ORDER BY e.id)
  FROM dvflag.enrollment e, dvflag.clinic_by_insurance_card(e.insurer_no, e.symbol, e.number, e.branch) q;
SELECT string_agg(format('%s %s %s %s', c.card_serial, (SELECT count(*) FROM dvflag.portal_qualifications(c.card_serial)),
                         (SELECT count(*) FROM dvflag.clinic_by_card(c.card_serial)),
                         (SELECT count(*) FROM dvflag.portal_exchange_history(c.card_serial))), ', ' ORDER BY c.card_serial)
  FROM dvflag.card c;
SELECT count(*) FROM dvflag.portal_qualifications('CARD-NO-FLAG', 'SB-AT-B');
SELECT string_agg(coalesce(address, '-'), ',' ORDER BY insurer_no)
  FROM dvflag.disaster_search('1978-11-23', kana => 'スズキ イチロウ', insurer_name => '保険');"
before=$(q -d $src -c "$state")
staff_view="SET ROLE $staff; SELECT count(*) FROM dvflag.enrollment; SELECT request_id FROM dvflag.pending_requests();"
staff_before=$(q -d $src -c "$staff_view")

# custom format, the whole database, restored in its three sections: the
# data with triggers disabled (it holds the derived rows and the audit)
pg_dump -Fc -f "$tmp/dump.custom" $src
ok $? "pg_dump -Fc"
pg_restore --section=pre-data -d $dst "$tmp/dump.custom" 2> "$tmp/restore.err" &&
  pg_restore --section=data --disable-triggers -d $dst "$tmp/dump.custom" 2>> "$tmp/restore.err" &&
  pg_restore --section=post-data -d $dst "$tmp/dump.custom" 2>> "$tmp/restore.err"
ok $? "pg_restore into an empty database: pre-data, data with --disable-triggers, post-data"
grep -i error "$tmp/restore.err" | sed 's/^/# /' | head -5
armed="SELECT count(*) FILTER (WHERE g.tgenabled <> 'A') FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = 'dvflag'::regnamespace AND NOT g.tgisinternal"
rearmed=$(q -d $dst -c "SELECT dvflag.rearm_triggers()")
[ "$rearmed" -gt 0 ] && [ "$(q -d $dst -c "$armed")" = 0 ]
ok $? "dvflag.rearm_triggers() puts the $rearmed triggers the restore re-enabled as ordinary ones back to ENABLE ALWAYS"
after=$(q -d $dst -c "$state")
[ "$before" = "$after" ]
ok $? "every row of every table is back (counts, the audit and the person rows byte for byte), and every read path answers as before"
[ "$before" = "$after" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/# /' | head -10
[ "$(q -d $dst -c "$staff_view")" = "$staff_before" ]
ok $? "the staff mapping holds: the staff see the same enrollments and pending requests"

# the restored database goes on: new rows take new ids, changes are audited
q -d $dst -c "SELECT dvflag.set_flag('131136', NULL, '1005', '00', 'nd', true, 'after restore')" >/dev/null &&
  [ "$(q -d $dst -c "SELECT (SELECT max(id) FROM dvflag.audit) > (SELECT count(*) FROM dvflag.audit) - 1
                   AND EXISTS (SELECT FROM dvflag.audit WHERE detail->>'reason' = 'after restore')
                   AND (SELECT nd_eff FROM dvflag.person WHERE link_no = 'NO-FLAG')")" = t ] &&
  q -d $dst -c "SELECT status FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01')" >/dev/null
ok $? "after the restore, flags change with their audit and new requests get new ids"
[ "$(q -d $dst -c "SELECT address IS NULL FROM dvflag.clinic_by_insurance_card('131136', NULL, '1005', '00')")" = t ]
ok $? "and the new ND hides the address"

# plain format: the schema, then the data with triggers disabled
pg_dump --schema-only -f "$tmp/schema.sql" $src && pg_dump --data-only --disable-triggers -f "$tmp/data.sql" $src
ok $? "pg_dump --schema-only and --data-only --disable-triggers, plain format"
psql -X -q -v ON_ERROR_STOP=1 -d $dst2 -f "$tmp/schema.sql" > "$tmp/plain.out" 2>&1 &&
  psql -X -q -v ON_ERROR_STOP=1 -d $dst2 -f "$tmp/data.sql" >> "$tmp/plain.out" 2>&1
rc=$?
ok $rc "both load into an empty database with psql"
[ $rc = 0 ] || grep -i error "$tmp/plain.out" | sed 's/^/# /' | head -5
q -d $dst2 -c "SELECT dvflag.rearm_triggers()" >/dev/null && [ "$(q -d $dst2 -c "$armed")" = 0 ]
ok $? "and its triggers are re-armed"
[ "$(q -d $dst2 -c "$state")" = "$before" ]
ok $? "the plain restore holds every row and answers as before"
