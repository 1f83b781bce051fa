#!/usr/bin/env bash
# An audited event whose transaction rolls back cannot keep its row in
# dvflag.audit; it must survive in the server log as one line
#   dvflag audit: {json}
# (API.md "Audit").  Shown here for a disaster search rolled back, one in a
# savepoint rolled back, a refused initial registration (DV001) and refused
# searches (DV002, DV003); a committed search has the same event id in its
# log line and in its table row.  Health reads at the clinic and in
# disaster mode (RULES.md §3a) are audited the same way: rolled back,
# refused without consent or outside a disaster, committed.  Runs against the cluster of the PG*
# environment, in a database of its own, and finds the server log itself:
# the log file of tools/cluster (DVFLAG_SERVER_LOG), else the logging
# collector's current file, the cluster's log file (Debian's
# pg_lsclusters), or the postmaster's stderr.
set -u
cd "$(dirname "$0")/../.."

db="dvflag_audit_log_$$"
tag="audit-log-t-$$-$RANDOM"
r_disaster="t_log_disaster_$$"
r_portal="t_log_portal_$$"
r_clinic="t_log_clinic_$$"
r_req="t_log_req_$$"
r_staff="t_log_staff_$$"
tmp=$(mktemp -d)

cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r_disaster, $r_portal, $r_clinic, $r_req, $r_staff" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT

planned=36
echo "1..$planned"
n=0
check() { # description, command...: ok when the command succeeds
  local d=$1
  shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fi
}
skip_rest() {
  while [ "$n" -lt "$planned" ]; do n=$((n + 1)); echo "ok $n # SKIP $1"; done
  exit 0
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
setting() { q -d postgres -c "SELECT setting FROM pg_settings WHERE name = '$1'"; }

# --- the database --------------------------------------------------------
q -d postgres -c "CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" >/dev/null &&
  q -d "$db" -c "CREATE EXTENSION dvflag" >/dev/null &&
  q -d "$db" -f test/fixtures/worked_examples.sql -f test/fixtures/health_records.sql >/dev/null &&
  q -d postgres -c "CREATE ROLE $r_disaster IN ROLE dvflag_disaster; CREATE ROLE $r_portal IN ROLE dvflag_portal; CREATE ROLE $r_clinic IN ROLE dvflag_clinic; CREATE ROLE $r_req IN ROLE dvflag_requester; CREATE ROLE $r_staff IN ROLE dvflag_insurer" >/dev/null ||
  { echo "Bail out! could not create the test database $db"; exit 1; }

# --- where the server log is ---------------------------------------------
datadir=$(setting data_directory)
candidates=()
[ -z "${DVFLAG_SERVER_LOG:-}" ] || candidates+=("stderr|$DVFLAG_SERVER_LOG")
if [ "$(setting logging_collector)" = on ]; then
  for fmt in stderr jsonlog csvlog; do
    f=$(q -d postgres -c "SELECT pg_current_logfile('$fmt')" 2>/dev/null)
    if [ -n "$f" ]; then
      case $f in /*) ;; *) f="$datadir/$f" ;; esac
      candidates+=("$fmt|$f")
    fi
  done
fi
port=$(setting port)
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r f; do
    [ -n "$f" ] && candidates+=("stderr|$f")
  done < <(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p { print $7 }')
fi
cluster=$(setting cluster_name) # Debian: "15/main"
if [ -n "$cluster" ] && [ "${cluster#*/}" != "$cluster" ]; then
  for d in ${PG_CLUSTER_CONF_ROOT:+"$(dirname "$PG_CLUSTER_CONF_ROOT")/log"} /var/log/postgresql; do
    candidates+=("stderr|$d/postgresql-${cluster%%/*}-${cluster#*/}.log")
  done
fi
pid=$(head -1 "$datadir/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ] && f=$(readlink "/proc/$pid/fd/2" 2>/dev/null) && [ -f "$f" ]; then
  candidates+=("stderr|$f")
fi
candidates+=("stderr|/proc/self/fd/2") # a backend's stderr, read through SQL

log_size() { # path: its size in bytes, or nothing
  local s
  if [ "$1" != /proc/self/fd/2 ] && [ -r "$1" ]; then
    stat -L -c %s "$1" 2>/dev/null
    return
  fi
  s=$(q -d postgres -c "SELECT size FROM pg_stat_file('$1', true) WHERE NOT isdir" 2>/dev/null)
  [ -n "$s" ] && echo "$s"
}
log_read() { # path offset: its bytes from offset on
  if [ "$1" != /proc/self/fd/2 ] && [ -r "$1" ]; then
    tail -c +"$(($2 + 1))" "$1"
    return
  fi
  q -d postgres -c "SELECT encode(pg_read_binary_file('$1', $2, greatest(size - $2, 0)), 'base64')
                      FROM pg_stat_file('$1')" 2>/dev/null | base64 -d 2>/dev/null
}

declare -A start
for c in "${candidates[@]}"; do start[$c]=$(log_size "${c#*|}"); done
marker="dvflag-audit-log-marker-$tag"
q -d postgres -c "DO \$\$BEGIN RAISE LOG '$marker'; END\$\$" >/dev/null 2>&1
found=""
for _ in $(seq 1 50); do
  for c in "${candidates[@]}"; do
    [ -n "${start[$c]}" ] || continue
    if log_read "${c#*|}" "${start[$c]}" | grep -aqF "$marker"; then
      found=$c
      break 2
    fi
  done
  sleep 0.2
done
if [ -z "$found" ]; then
  check "the server log is found" false
  echo "# looked in: ${candidates[*]}"
  skip_rest "no server log to read"
fi
fmt=${found%%|*}
logfile=${found#*|}
offset=${start[$found]}
check "the server log is found" true
echo "# server log: $logfile ($fmt), from byte $offset"

# --- reading the audit lines ---------------------------------------------
cat >"$tmp/extract.py" <<'PY'
# stdin: the server log from some offset on; argv: format, client.
# Prints a JSON array of the audit events of that client; exits 2 when an
# audit line does not parse as JSON.
import csv, io, json, sys
fmt, client = sys.argv[1], sys.argv[2]
raw = sys.stdin.buffer.read().decode("utf-8", "replace")
prefix = "dvflag audit: "
messages = []
if fmt == "csvlog":
    for rec in csv.reader(io.StringIO(raw)):
        if len(rec) > 13 and rec[13].startswith(prefix):
            messages.append(rec[13][len(prefix):])
elif fmt == "jsonlog":
    for line in raw.splitlines():
        try:
            m = json.loads(line).get("message", "")
        except ValueError:
            continue
        if m.startswith(prefix):
            messages.append(m[len(prefix):])
else:
    for line in raw.splitlines():
        i = line.find(prefix)
        if i >= 0:
            messages.append(line[i + len(prefix):])
events, bad = [], []
for m in messages:
    try:
        e = json.loads(m)
    except ValueError:
        bad.append(m)
        continue
    if client == "*" or (isinstance(e, dict) and e.get("client") == client):
        events.append(e)
print(json.dumps(events, ensure_ascii=False))
for m in bad:
    print("# not JSON: " + m)
sys.exit(2 if bad else 0)
PY

events_of() { # client: its events as a JSON array, waiting for the log to catch up
  local out
  for _ in $(seq 1 50); do
    out=$(log_read "$logfile" "$offset" | python3 "$tmp/extract.py" "$fmt" "$1")
    [ "$out" != "[]" ] && break
    sleep 0.2
  done
  printf '%s\n' "$out"
}
expect_events() { # client python-expression-over-e: true when it holds
  local out
  out=$(events_of "$1")
  if python3 -c 'import json, sys; e = json.loads(sys.argv[1].splitlines()[0]); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' \
    "$out" "$2" 2>/dev/null; then
    return 0
  fi
  printf '%s\n' "$out" | sed 's/^/# events: /'
  return 1
}
event_id() { # client: the event id of its one event
  events_of "$1" | head -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["detail"]["event"])' 2>/dev/null
}
table_rows() { # SQL condition on dvflag.audit a: how many rows, once the audit writer's queue is in
  q -d "$db" -c "SELECT dvflag.audit_flush()" >/dev/null
  q -d "$db" -c "SELECT count(*) FROM dvflag.audit a WHERE $1"
}
run() { # SQL on stdin, in the test database; stdout and stderr together
  psql -X -q -At -v VERBOSITY=verbose -d "$db" 2>&1
}

# --- DV002: a search with no disaster declared ---------------------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/dv002';
SELECT count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険');
ROLLBACK;
SQL
)
check "DV002: the search is refused with DV002" grep -q "DV002" <<<"$out"
check "DV002: one log line, JSON, action disaster_search, outcome no_disaster, the criteria" \
  expect_events "$tag/dv002" "len(e) == 1 and e[0]['action'] == 'disaster_search' and e[0]['actor'] == '$r_disaster'
    and e[0]['detail']['outcome'] == 'no_disaster' and e[0]['detail']['result_count'] is None
    and e[0]['detail']['criteria'] == {'birth_date': '1970-05-05', 'kana': 'タナカ ケン', 'insurer_name': '保険'}"

# --- DV002: disaster-mode health information with no disaster declared --
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/health-dv002';
SELECT count(*) FROM dvflag.disaster_health('131136', NULL, '1002', '00', true, 'medication');
ROLLBACK;
SQL
)
check "health DV002: disaster_health is refused with DV002" grep -q "DV002" <<<"$out"
check "health DV002: one log line, action disaster_health, outcome no_disaster, the enrollment, consent and kinds" \
  expect_events "$tag/health-dv002" "len(e) == 1 and e[0]['action'] == 'disaster_health' and e[0]['actor'] == '$r_disaster'
    and e[0]['target'] == '131136//1002/00' and e[0]['detail']['outcome'] == 'no_disaster'
    and e[0]['detail']['result_count'] is None and e[0]['detail']['consent'] is True
    and e[0]['detail']['kinds'] == ['medication']"

q -d "$db" -c "SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'audit log test')" >/dev/null

# --- a search, rolled back -----------------------------------------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/rollback';
SELECT 'rows=' || count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン',
                                                       address => 'zz-$tag', insurer_name => '保険');
ROLLBACK;
SQL
)
check "rolled back: the search answered 3 rows" grep -qx "rows=3" <<<"$out"
check "rolled back: one log line, JSON, with actor, client, action, criteria and result_count 3" \
  expect_events "$tag/rollback" "len(e) == 1 and e[0]['action'] == 'disaster_search' and e[0]['actor'] == '$r_disaster'
    and e[0]['client'] == '$tag/rollback' and e[0]['standby'] is False and bool(e[0]['at'])
    and e[0]['detail']['outcome'] == 'answered' and e[0]['detail']['result_count'] == 3
    and e[0]['detail']['criteria'] == {'birth_date': '1970-05-05', 'kana': 'タナカ ケン',
                                       'address': 'zz-$tag', 'insurer_name': '保険'}"
ev=$(event_id "$tag/rollback")
check "rolled back: its row is in dvflag.audit all the same (the audit writer's, 1.3), with the log line's event id" \
  test "$(table_rows "a.detail->>'event' = '${ev:-none}' AND a.client = '$tag/rollback'")" = 1

# --- a search in a savepoint rolled back, the transaction committed --------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/savepoint';
SAVEPOINT s;
SELECT 'rows=' || count(*) FROM dvflag.disaster_search('1982-02-14', name => '高橋由美', insurer_name => '健康保険');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SQL
)
check "savepoint: the search answered 3 rows" grep -qx "rows=3" <<<"$out"
check "savepoint: one log line, JSON, with the criteria and result_count 3" \
  expect_events "$tag/savepoint" "len(e) == 1 and e[0]['action'] == 'disaster_search'
    and e[0]['detail']['result_count'] == 3
    and e[0]['detail']['criteria'] == {'birth_date': '1982-02-14', 'name': '高橋由美', 'insurer_name': '健康保険'}"
ev=$(event_id "$tag/savepoint")
check "savepoint: its row is in dvflag.audit all the same" test "$(table_rows "a.detail->>'event' = '${ev:-none}'")" = 1

# --- a search committed: log line and table row, one event ---------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/commit';
SELECT 'rows=' || count(*) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険');
COMMIT;
SQL
)
ev=$(event_id "$tag/commit")
check "committed: the log line and the table row carry the same event id" \
  test "$(table_rows "a.detail->>'event' = '${ev:-none}' AND a.action = 'disaster_search' AND a.client = '$tag/commit'
                      AND a.actor = '$r_disaster' AND (a.detail->>'result_count')::int = 3")" = 1

# --- health information: a clinic read rolled back, one refused without
# consent, a disaster read committed ---------------------------------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_clinic;
SET dvflag.client = '$tag/health-rollback';
SELECT 'rows=' || count(*) FROM dvflag.clinic_health_by_card('CARD-ND-AT-B', true);
ROLLBACK;
SQL
)
check "health rolled back: the clinic read answered 3 rows" grep -qx "rows=3" <<<"$out"
check "health rolled back: one log line with actor, client, card, consent, kinds, person and result_count 3" \
  expect_events "$tag/health-rollback" "len(e) == 1 and e[0]['action'] == 'clinic_health_by_card' and e[0]['actor'] == '$r_clinic'
    and e[0]['client'] == '$tag/health-rollback' and e[0]['target'] == 'CARD-ND-AT-B'
    and e[0]['detail']['outcome'] == 'answered' and e[0]['detail']['result_count'] == 3
    and e[0]['detail']['consent'] is True and e[0]['detail']['kinds'] == ['medication', 'checkup']
    and e[0]['detail']['link_no'] == 'ND-AT-B'"
ev=$(event_id "$tag/health-rollback")
check "health rolled back: its row is in dvflag.audit all the same, with the log line's event id" \
  test "$(table_rows "a.detail->>'event' = '${ev:-none}' AND a.action = 'clinic_health_by_card'")" = 1
out=$(run <<SQL
SET SESSION AUTHORIZATION $r_clinic;
SET dvflag.client = '$tag/health-no-consent';
SELECT count(*) FROM dvflag.clinic_health_by_card('CARD-NO-FLAG', false);
SQL
)
check "health without consent: refused with 22023" grep -q "22023" <<<"$out"
check "health without consent: one log line, outcome no_consent, consent false, no count" \
  expect_events "$tag/health-no-consent" "len(e) == 1 and e[0]['action'] == 'clinic_health_by_card'
    and e[0]['detail']['outcome'] == 'no_consent' and e[0]['detail']['consent'] is False
    and e[0]['detail']['result_count'] is None and e[0]['target'] == 'CARD-NO-FLAG'"
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/health-commit';
SELECT 'rows=' || count(*) FROM dvflag.disaster_health('131136', NULL, '1002', '00', true);
COMMIT;
SQL
)
check "health committed: disaster_health shows the records of a person under SB (3 rows)" grep -qx "rows=3" <<<"$out"
ev=$(event_id "$tag/health-commit")
check "health committed: the log line and the table row carry the same event id" \
  test "$(table_rows "a.detail->>'event' = '${ev:-none}' AND a.action = 'disaster_health' AND a.client = '$tag/health-commit'
                      AND a.actor = '$r_disaster' AND a.target = '131136//1002/00' AND (a.detail->>'result_count')::int = 3")" = 1

# --- DV001: initial registration refused ---------------------------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_portal;
SET dvflag.client = '$tag/dv001';
SELECT dvflag.register_card('LOG-CARD-$tag', '131136', NULL, '1002', '00');
ROLLBACK;
SQL
)
check "DV001: the registration is refused with DV001" grep -q "DV001" <<<"$out"
check "DV001: one log line, JSON, action card_register_refused, with the card, the person and the actor" \
  expect_events "$tag/dv001" "len(e) == 1 and e[0]['action'] == 'card_register_refused' and e[0]['actor'] == '$r_portal'
    and e[0]['target'] == '131136//1002/00' and e[0]['detail']['card_serial'] == 'LOG-CARD-$tag'
    and e[0]['detail']['link_no'] == 'SB-AT-C'"
check "DV001: its row in dvflag.audit outlives the rollback, with the log line's event id; no card" \
  test "$(table_rows "a.action = 'card_register_refused' AND a.detail->>'card_serial' = 'LOG-CARD-$tag'
                      AND a.actor = '$r_portal' AND a.client = '$tag/dv001' AND a.target = '131136//1002/00'
                      AND a.detail->>'event' = '$(event_id "$tag/dv001")'")/$(q -d "$db" -c "SELECT count(*) FROM dvflag.card WHERE card_serial = 'LOG-CARD-$tag'")" = 1/0

# --- DV001 whose caller is cancelled while the row is being written -------
# Another session holds the audit table for 3 s; the caller gives up after
# 1 s (57014).  The writer waits for the lock (at most 5 s) and still writes
# the row: its shared memory outlives the caller's error.
( q -d "$db" -c "BEGIN; LOCK TABLE dvflag.audit IN SHARE MODE; SELECT pg_sleep(3); COMMIT;" >/dev/null 2>&1 ) &
locker=$!
sleep 0.5
out=$(run <<SQL
SET statement_timeout = '1s';
SET SESSION AUTHORIZATION $r_portal;
SET dvflag.client = '$tag/dv001-cancel';
SELECT dvflag.register_card('LOG-CARD-CANCEL-$tag', '131136', NULL, '1002', '00');
SQL
)
wait $locker
sleep 1
check "DV001 cancelled: the caller stopped waiting for the writer (57014)" grep -q "57014" <<<"$out"
check "DV001 cancelled: the writer still wrote the row once the lock was released" \
  test "$(table_rows "a.action = 'card_register_refused' AND a.detail->>'card_serial' = 'LOG-CARD-CANCEL-$tag'
                      AND a.client = '$tag/dv001-cancel'")" = 1

# --- DV003: more than 20 candidates --------------------------------------
out=$(run <<SQL
BEGIN;
INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, name, kana, sex, birth_date, address)
SELECT 'MANY-' || g, '01130012', 'M', 'M' || g, '00', date '2020-04-01', '同 名', 'ドウ メイ', 1, date '2000-01-01', '東京都'
  FROM generate_series(1, 21) AS g;
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/dv003';
SELECT count(*) FROM dvflag.disaster_search('2000-01-01', kana => 'ドウメイ', insurer_name => '保険');
ROLLBACK;
SQL
)
check "DV003: the search is refused with DV003" grep -q "DV003" <<<"$out"
check "DV003: one log line, JSON, outcome too_many, result_count 21, the criteria" \
  expect_events "$tag/dv003" "len(e) == 1 and e[0]['action'] == 'disaster_search'
    and e[0]['detail']['outcome'] == 'too_many' and e[0]['detail']['result_count'] == 21
    and e[0]['detail']['criteria'] == {'birth_date': '2000-01-01', 'kana': 'ドウメイ', 'insurer_name': '保険'}"

# --- a search whose statement is cancelled while it delivers its rows ---
(run <<SQL
SET SESSION AUTHORIZATION $r_disaster;
SET dvflag.client = '$tag/cancel';
SELECT d.number, pg_sleep(2) FROM dvflag.disaster_search('1970-05-05', kana => 'タナカ ケン', insurer_name => '保険') d;
SQL
) > "$tmp/cancel.out" 2>&1 &
bg=$!
for _ in $(seq 1 50); do
  cpid=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()")
  [ -n "$cpid" ] && break
  sleep 0.1
done
sleep 0.5
q -d postgres -c "SELECT pg_cancel_backend(${cpid:-0})" >/dev/null 2>&1
wait $bg
check "cancelled: the statement was cancelled (57014) after the search ran, while its rows were being produced" grep -q "57014" "$tmp/cancel.out"
check "cancelled: the search is in the log, with its result count" \
  expect_events "$tag/cancel" "len(e) == 1 and e[0]['action'] == 'disaster_search' and e[0]['detail']['result_count'] == 3"

# --- a provision whose requester rolls back after reading the content -----
q -d "$db" -c "SELECT dvflag.register_item_copy('131136', NULL, '1005', '00', 'TM01', '{\"benefit\": 7}');
               SELECT dvflag.grant_insurer('$r_staff', '131136')" >/dev/null
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_req;
SET dvflag.client = '$tag/provision';
SELECT 'content=' || content::text FROM dvflag.request_information('131136', NULL, '1005', '00', 'TM01');
ROLLBACK;
SQL
)
check "provision rolled back: the requester read the content" grep -qx 'content={"benefit": 7}' <<<"$out"
check "provision rolled back: its completion is in the log, with outcome, item and person" \
  expect_events "$tag/provision" "len(e) == 1 and e[0]['action'] == 'provision_completed' and e[0]['actor'] == '$r_req'
    and e[0]['detail']['outcome'] == 'provided' and e[0]['detail']['item_code'] == 'TM01'
    and e[0]['detail']['link_no'] == 'NO-FLAG'"

# --- an inquiry without My Number, rolled back ----------------------------
out=$(run <<SQL
BEGIN;
SET SESSION AUTHORIZATION $r_staff;
SET dvflag.client = '$tag/inquiry';
SELECT 'status=' || status FROM dvflag.inquiry_without_my_number('タナカ ケン', '1970-05-05', 1, '横浜市', '介護保険課', '山本');
ROLLBACK;
SQL
)
check "inquiry rolled back: it answered" grep -qx "status=match" <<<"$out"
check "inquiry rolled back: in the log with the inquirer's institution, department and name" \
  expect_events "$tag/inquiry" "len(e) == 1 and e[0]['action'] == 'inquiry_without_my_number'
    and e[0]['detail']['institution'] == '横浜市' and e[0]['detail']['department'] == '介護保険課'
    and e[0]['detail']['inquirer'] == '山本' and e[0]['detail']['status'] == 'match'"

# --- no refused (but DV001) or rolled-back event left a row ----------------
check "no row in dvflag.audit for the refused searches and the rolled-back provision and inquiry" \
  test "$(table_rows "a.client IN ('$tag/dv002', '$tag/dv003', '$tag/provision', '$tag/inquiry',
                                   '$tag/health-dv002', '$tag/health-no-consent')")" = 0
all_parse() { # every audit line since the offset parses; at least the six above
  local out
  out=$(log_read "$logfile" "$offset" | python3 "$tmp/extract.py" "$fmt" "*") || {
    printf '%s\n' "$out" | grep '^# '
    return 1
  }
  python3 -c 'import json, sys; sys.exit(0 if len(json.loads(sys.argv[1])) >= 6 else 1)' "$out"
}
check "every dvflag audit line written during this test parses as JSON" all_parse

# --- a forged line: anyone can RAISE LOG one, only genuine ones verify ----
# (the cluster's key, read as the superuser this test runs as)
q -d postgres -c "SELECT encode(pg_read_binary_file('dvflag_audit.key'), 'hex')" 2>/dev/null |
  python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' > "$tmp/key"
out=$(run <<SQL
SET SESSION AUTHORIZATION $r_portal;
DO \$\$BEGIN RAISE LOG 'dvflag audit: {"at":"2026-01-01 00:00:00+00","actor":"$r_disaster","client":"$tag/forged","action":"disaster_search","target":null,"standby":false,"detail":{"event":"forged.1","outcome":"answered","result_count":0,"criteria":{}}}'; END\$\$;
SQL
)
verified() { # the verified events of the log since the offset; stderr in $tmp/rejected
  for _ in $(seq 1 50); do
    log_read "$logfile" "$offset" | tools/audit-log --key "$tmp/key" --format "$fmt" > "$tmp/verified" 2> "$tmp/rejected"
    [ $? = 3 ] && grep -q "$tag/forged" "$tmp/rejected" && return 0
    sleep 0.2
  done
  return 1
}
check "tools/audit-log rejects the line a login wrote with RAISE LOG in another actor's name (exit 3)" verified
check "and verifies every genuine line: the rolled-back search and the refusals are there, the forgery is not" \
  python3 -c 'import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
clients = {e.get("client") for e in events}
sys.exit(0 if {sys.argv[2] + "/rollback", sys.argv[2] + "/dv001", sys.argv[2] + "/dv003",
               sys.argv[2] + "/health-rollback", sys.argv[2] + "/health-no-consent"} <= clients
         and sys.argv[2] + "/forged" not in clients and all(len(e.get("mac", "")) == 64 for e in events) else 1)' \
  "$tmp/verified" "$tag"
