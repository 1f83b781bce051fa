#!/usr/bin/env bash
# The audit writer inserts the queued rows of audited reads (disaster
# searches) into dvflag.audit itself, by the table's heap and indexes
# (src/durable.c), when the table is as dvflag made it.  What an INSERT
# would do must still happen: each row with every field of its log line,
# its identity in order, the table's constraints checked.  A table an
# administrator has changed gets an INSERT statement instead: a trigger
# of theirs fires, a column of theirs gets its default.  Restarts the
# server at the end (a row refused by a constraint is counted lost until
# then): runs only under tools/cluster.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
. test/sh/server.sh
plan 8

server_check

db=dvflag_writer
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1' EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d $db -c "CREATE EXTENSION dvflag" \
    -c "SET dvflag.reason = 'writer test'" \
    -c "INSERT INTO dvflag.insurer VALUES ('06132013', 'Tokyo Health')" \
    -c "INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address)
        VALUES ('P', '06132013', 'b', '2', '00', '2015-01-01', 'Yamada Hanako', 'ヤマダ ハナコ', 2, '1980-05-05', 'Chiyoda 1-1-1')" \
    -c "SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'writer test')" >/dev/null
ok $? "a database with a person and a declared disaster"
[ $? = 0 ] || skip_rest "no database"

search() {
  q -d $db -c "SELECT set_config('dvflag.client', 'clerk $1', false)" \
    -c "SELECT count(*) FROM dvflag.disaster_search('1980-05-05', name => 'Yamada Hanako', insurer_name => 'Tokyo')"
}
flush() { [ "$(q -d $db -c "SELECT dvflag.audit_flush()")" = t ]; }
searched() { q -d $db -c "SELECT count(*) FROM dvflag.audit WHERE action = 'disaster_search'"; }

for i in 1 2 3 4 5; do search $i >/dev/null; done
flush && [ "$(searched)" = 5 ]
ok $? "five searches, five rows written by the writer"

# each row as its search was: the login, the client, the criteria, no target; ids in the order of at
bad=$(q -d $db -c "
  SELECT count(*) FROM (
    SELECT *, row_number() OVER (ORDER BY id) AS by_id, row_number() OVER (ORDER BY at) AS by_at
      FROM dvflag.audit WHERE action = 'disaster_search') a
   WHERE actor <> current_user OR client !~ '^clerk [1-5]$' OR target IS NOT NULL
      OR detail->>'outcome' <> 'answered' OR (detail->>'result_count')::int <> 1
      OR detail->'criteria'->>'name' <> 'Yamada Hanako' OR detail->>'event' IS NULL
      OR by_id <> by_at OR at > now()")
clients=$(q -d $db -c "SELECT string_agg(client, ',' ORDER BY id) FROM dvflag.audit WHERE action = 'disaster_search'")
[ "$bad" = 0 ] && [ "$clients" = "clerk 1,clerk 2,clerk 3,clerk 4,clerk 5" ]
ok $? "each row has its search's login, client, criteria and event, ids in order ($clients)"

# each event once
q -d $db -c "SELECT count(DISTINCT detail->>'event') FROM dvflag.audit WHERE action = 'disaster_search'" | grep -qx 5
ok $? "five distinct events"

# a constraint of the table is checked on the rows the writer inserts
lost=$(q -d $db -c "SELECT dvflag.audit_rows_lost()")
q -d $db -c "ALTER TABLE dvflag.audit ADD CONSTRAINT no_searches CHECK (action <> 'disaster_search') NOT VALID" &&
  search 6 >/dev/null && flush
after=$(q -d $db -c "SELECT dvflag.audit_rows_lost()")
[ "$(searched)" = 5 ] && [ "$after" = $((lost + 1)) ]
ok $? "a CHECK constraint on dvflag.audit refuses the writer's row: counted lost ($lost -> $after)"
q -d $db -c "ALTER TABLE dvflag.audit DROP CONSTRAINT no_searches"

# an administrator's trigger fires for the writer's rows, and a column they added gets its default
q -d $db -c "CREATE TABLE public.audit_copy (id bigint, action text, note text)" \
  -c "CREATE FUNCTION public.copy_audit() RETURNS trigger LANGUAGE plpgsql AS
      \$\$BEGIN INSERT INTO public.audit_copy VALUES (NEW.id, NEW.action, NULL); RETURN NEW; END\$\$" \
  -c "CREATE TRIGGER copy_audit AFTER INSERT ON dvflag.audit FOR EACH ROW EXECUTE FUNCTION public.copy_audit()" &&
  search 7 >/dev/null && flush
[ "$(q -d $db -c "SELECT count(*) FROM public.audit_copy a JOIN dvflag.audit d USING (id) WHERE d.action = 'disaster_search'")" = 1 ]
ok $? "an AFTER INSERT trigger on dvflag.audit fires for a queued row"

q -d $db -c "DROP TRIGGER copy_audit ON dvflag.audit" \
  -c "ALTER TABLE dvflag.audit ADD COLUMN site text NOT NULL DEFAULT 'tokyo'" &&
  search 8 >/dev/null && flush
[ "$(q -d $db -c "SELECT string_agg(site, ',') FROM dvflag.audit WHERE action = 'disaster_search' AND client = 'clerk 8'")" = tokyo ] &&
  [ "$(searched)" = 7 ]
ok $? "a column added to dvflag.audit gets its default in a queued row"

# the count of lost rows is the running server's: a clean restart starts
# it again at zero, and the tests that follow find check() clean
server_restart /dev/null
[ "$(q -d $db -c "SELECT dvflag.audit_rows_lost()")" = 0 ] && [ "$(q -d $db -c "SELECT count(*) FROM dvflag.check()")" = 0 ]
ok $? "after a clean restart no row is counted lost, check() is clean"
