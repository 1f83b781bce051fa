#!/usr/bin/env bash
# Attack: COPY ... FROM STDIN into dvflag.enrollment (and, 23-29, into
# dvflag.health_record) by insurer staff.
# PostgreSQL cannot COPY into a table under row-level security, so dvflag
# handles this COPY itself; it must accept exactly what an INSERT by the
# same login would: rows of the staff's own insurers, flag changes with a
# reason, nothing else.  It must not let the COPY reach another table, run
# anything with another role's rights, or take the server down.
# Its errors are those of the staff's COPY: they name dvflag.enrollment,
# never the staging table, a row's error names its input line, and each
# says what the columns are.
# Uses its own database and roles (t_copy_*), removed at the end.
set -u
db=dvflag_copy_scope
n=0
failed=0
echo "1..37"

ok() {  # ok <condition exit status> <description> [output to show on failure]
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    failed=1
    echo "not ok $n - $2"
    [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
  fi
}
su_sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "$1" 2>&1; }
# as <role>: run the SQL on stdin in one session of that login
as() { psql -X -q -At -v VERBOSITY=verbose -d "$db" -c "SET SESSION AUTHORIZATION $1" -f - 2>&1; }
state() { printf '%s\n' "$1" | grep -o 'ERROR:  [0-9A-Z]\{5\}' | head -1 | cut -c9-; }

cleanup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  for r in t_copy_b t_copy_none t_copy_clinic; do
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1
  done
}
cleanup
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 -d postgres >/dev/null 2>&1 <<SQL || { echo "Bail out! cannot set up $db"; exit 1; }
CREATE DATABASE $db ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
CREATE ROLE t_copy_b LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_copy_none LOGIN IN ROLE dvflag_insurer;
CREATE ROLE t_copy_clinic LOGIN IN ROLE dvflag_clinic;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null 2>&1 <<'SQL' || { echo "Bail out! cannot set up the data"; exit 1; }
CREATE EXTENSION dvflag;
INSERT INTO dvflag.insurer VALUES ('01130012', 'A 保険'), ('06132013', 'B 保険');
SELECT dvflag.grant_insurer('t_copy_b', '06132013');
-- another application's table of the same name, in a schema the staff may not use
CREATE SCHEMA secret;
CREATE TABLE secret.enrollment (link_no text, note text);
INSERT INTO secret.enrollment VALUES ('original', 'only its owner writes here');
SQL

cols='(link_no, insurer_no, symbol, number, branch, acquired_on, address)'

# 1-2: rows of the staff's own insurer go in
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-1,06132013,B2,b1,00,2024-04-01,横浜市1
B-2,06132013,B2,b2,00,2024-04-01,横浜市2
\.
SQL
)
ok $? "staff of B: COPY FROM STDIN of two rows of B works" "$out"
got=$(su_sql "SELECT count(*) FROM dvflag.enrollment WHERE link_no IN ('B-1', 'B-2')")
[ "$got" = 2 ]; ok $? "both rows are there" "$got"

# 3-5: a row of another insurer is refused, alone or after a row of B
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
A-1,01130012,A1,a1,00,2024-04-01,東京都1
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "staff of B: COPY of a row of insurer A is refused with 42501" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-3,06132013,B2,b3,00,2024-04-01,横浜市3
A-2,01130012,A1,a2,00,2024-04-01,東京都2
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "staff of B: a row of A after a row of B is refused with 42501" "$out"
got=$(su_sql "SELECT count(*) FROM dvflag.enrollment WHERE link_no IN ('A-1', 'A-2', 'B-3')")
[ "$got" = 0 ]; ok $? "and none of those rows is there, not even B's" "$got"

# 6-7: staff mapped to no insurer, and a clinic
out=$(as t_copy_none <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-4,06132013,B2,b4,00,2024-04-01,横浜市4
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "staff mapped to no insurer: COPY of a row of B is refused with 42501" "$out"
out=$(as t_copy_clinic <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-5,06132013,B2,b5,00,2024-04-01,横浜市5
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "a clinic: COPY into enrollment is refused with 42501" "$out"

# 8-10: a flag needs a reason, and the audit names the login
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, nd) FROM STDIN WITH (FORMAT csv);
B-6,06132013,B2,b6,00,2024-04-01,true
\.
SQL
)
[ "$(state "$out")" = 22023 ]; ok $? "staff of B: COPY of a row with ND and no reason is refused with 22023" "$out"
out=$(as t_copy_b <<SQL
SET dvflag.reason = 'copy test';
COPY dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, nd) FROM STDIN WITH (FORMAT csv);
B-7,06132013,B2,b7,00,2024-04-01,true
\.
SQL
)
ok $? "with dvflag.reason set it works" "$out"
got=$(su_sql "SELECT actor || ' ' || (detail->>'reason') || ' ' || (detail->>'new') FROM dvflag.audit WHERE target = '06132013/B2/b7/00'")
[ "$got" = "t_copy_b copy test true" ]; ok $? "the audit names the staff login and the reason" "$got"

# 11-12: after a COPY, good or bad, the session is still the staff's own
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-8,06132013,B2,b8,00,2024-04-01,横浜市8
\.
SELECT current_user || ' ' || current_setting('is_superuser');
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
A-3,01130012,A1,a3,00,2024-04-01,東京都3
\.
SELECT current_user || ' ' || current_setting('is_superuser');
SQL
)
[ "$(printf '%s\n' "$out" | grep -c '^t_copy_b off$')" = 2 ]
ok $? "after a COPY that worked and one that failed, current_user is the staff, not a superuser" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-9,06132013,B2,b9,00,2024-04-01,横浜市9
\.
COPY dvflag.enrollment FROM '/etc/passwd';
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "and a COPY from a server file right after is refused with 42501" "$out"

# 13-15: reading back with COPY TO shows B's rows only
su_sql "SET dvflag.reason = 'copy test'; INSERT INTO dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, address, nd)
        VALUES ('A-9', '01130012', 'A1', 'a9', '00', '2020-04-01', '東京都の秘密の住所', true)" >/dev/null
out=$(as t_copy_b <<'SQL'
COPY dvflag.enrollment TO STDOUT WITH (FORMAT csv);
SQL
)
! printf '%s\n' "$out" | grep -q -e 01130012 -e 秘密 && [ "$(printf '%s\n' "$out" | grep -c ',06132013,')" = 5 ]
ok $? "staff of B: COPY enrollment TO STDOUT gives B's five rows and nothing of A" "$out"
out=$(as t_copy_b <<'SQL'
COPY (SELECT * FROM dvflag.enrollment) TO STDOUT WITH (FORMAT csv);
SQL
)
! printf '%s\n' "$out" | grep -q -e 01130012 -e 秘密 && [ "$(printf '%s\n' "$out" | grep -c ',06132013,')" = 5 ]
ok $? "staff of B: COPY (SELECT ...) TO STDOUT likewise" "$out"
out=$(as t_copy_b <<'SQL'
COPY dvflag.audit TO STDOUT;
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "staff of B: COPY audit TO STDOUT is refused with 42501" "$out"

# 16: COPY into the audit
out=$(as t_copy_b <<'SQL'
COPY dvflag.audit (actor, action) FROM STDIN WITH (FORMAT csv);
someone,forged
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "staff of B: COPY into the audit is refused with 42501" "$out"

# 17-18: a mapping revoked between two COPYs of one session takes effect
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-10,06132013,B2,b10,00,2024-04-01,横浜市10
\.
\! psql -X -q -d $db -c "SELECT dvflag.revoke_insurer('t_copy_b', '06132013')" >/dev/null
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-11,06132013,B2,b11,00,2024-04-01,横浜市11
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "after revoke_insurer in another session, the next COPY of a row of B is refused" "$out"
got=$(su_sql "SELECT string_agg(link_no, ',' ORDER BY link_no) FROM dvflag.enrollment WHERE link_no IN ('B-10', 'B-11')")
[ "$got" = B-10 ]; ok $? "only the row copied before the revoke is there" "$got"
su_sql "SELECT dvflag.grant_insurer('t_copy_b', '06132013')" >/dev/null

# 19-20: a row without insurer_no is an error, not a crash
out=$(as t_copy_b <<'SQL'
COPY dvflag.enrollment (link_no, number, branch, acquired_on) FROM STDIN WITH (FORMAT csv);
B-12,b12,00,2024-04-01
\.
SELECT 'still connected';
SQL
)
s=$(state "$out")
{ [ "$s" = 23502 ] || [ "$s" = 42501 ]; } && printf '%s\n' "$out" | grep -q '^still connected$'
ok $? "staff of B: COPY of a row without insurer_no fails with 23502 or 42501 and the session survives" "$out"
got=$(su_sql "SELECT 'server up'")
[ "$got" = "server up" ]; ok $? "and the server is still up" "$got"
# (after a crash, wait for recovery so that the rest can run)
for _ in $(seq 1 30); do su_sql "SELECT 1" >/dev/null && break; sleep 1; done

# 21: the name enrollment, resolved through a schema the staff may not use
out=$(as t_copy_b <<'SQL'
SET search_path = secret, dvflag, public;
COPY enrollment (link_no) FROM STDIN;
written by staff
\.
SQL
)
got=$(su_sql "SELECT string_agg(link_no, ',') FROM secret.enrollment")
[ "$got" = original ]
ok $? "staff of B: an unqualified COPY enrollment never writes into secret.enrollment, a table they may not use" "$out
secret.enrollment: $got"

# 22: a trigger of the staff's own never runs with another role's rights
su_sql "GRANT CREATE ON DATABASE $db TO t_copy_b" >/dev/null
out=$(as t_copy_b <<'SQL'
CREATE SCHEMA mine;
CREATE TABLE mine.enrollment (link_no text, ran_as text);
CREATE FUNCTION mine.who() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.ran_as := current_user; RETURN NEW; END$$;
CREATE TRIGGER who BEFORE INSERT ON mine.enrollment FOR EACH ROW EXECUTE FUNCTION mine.who();
REVOKE USAGE ON SCHEMA mine FROM t_copy_b;
SET search_path = mine, dvflag, public;
COPY enrollment (link_no) FROM STDIN;
written by staff
\.
SQL
)
got=$(su_sql "SELECT coalesce(string_agg(ran_as, ','), 'no row') FROM mine.enrollment WHERE ran_as <> 't_copy_b'")
[ "$got" = "no row" ]
ok $? "staff of B: COPY never runs the staff's own trigger as another role" "$out
rows written as another role: $got"

# 23-29: health records, loaded by COPY like enrollments (RULES.md §3a)
b1=$(su_sql "SELECT id FROM dvflag.enrollment WHERE link_no = 'B-1'")
a9=$(su_sql "SELECT id FROM dvflag.enrollment WHERE link_no = 'A-9'")
hcols='(enrollment_id, kind, service_date, institution_code, institution_name, content)'
out=$(as t_copy_b <<SQL
COPY dvflag.health_record $hcols FROM STDIN WITH (FORMAT csv);
$b1,medication,2024-05-01,1410000022,横浜中央薬局,"{""drug"": ""x""}"
$b1,checkup,2024-06-01,,,"{""bmi"": 21}"
\.
SQL
)
ok $? "staff of B: COPY FROM STDIN of two health records of B's enrollment works" "$out"
got=$(su_sql "SELECT string_agg(concat_ws(' ', kind, institution_name, content), ', ' ORDER BY service_date) FROM dvflag.health_record WHERE enrollment_id = $b1")
[ "$got" = 'medication 横浜中央薬局 {"drug": "x"}, checkup {"bmi": 21}' ]
ok $? "both are there, as loaded" "$got"
out=$(as t_copy_b <<SQL
COPY dvflag.health_record $hcols FROM STDIN WITH (FORMAT csv);
$b1,medication,2024-07-01,1410000022,横浜中央薬局,{}
$a9,medication,2024-07-01,1310000011,西新宿クリニック,{}
\.
SQL
)
[ "$(state "$out")" = 42501 ] && [ "$(su_sql "SELECT count(*) FROM dvflag.health_record WHERE service_date = '2024-07-01'")" = 0 ]
ok $? "staff of B: a record of A's enrollment after one of B's is refused with 42501, and neither is there" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.health_record (id, enrollment_id, kind, service_date, content) FROM STDIN WITH (FORMAT csv);
900,$b1,medication,2024-08-01,{}
\.
SQL
)
printf '%s\n' "$out" | grep -q "COPY into dvflag.health_record with its id column is a restore, and only a superuser restores"
ok $? "staff of B: a COPY of health records with their ids (a restore's) is refused with 42501" "$out"
out=$(as t_copy_clinic <<SQL
COPY dvflag.health_record $hcols FROM STDIN WITH (FORMAT csv);
$b1,medication,2024-09-01,,,{}
\.
SQL
)
[ "$(state "$out")" = 42501 ]; ok $? "a clinic: COPY into health_record is refused with 42501" "$out"
out=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" 2>&1 <<SQL
COPY dvflag.health_record (id, enrollment_id, kind, service_date, institution_code, institution_name, content) FROM STDIN;
900	$a9	checkup	2020-02-02	\N	\N	{"restored": true}
\.
SQL
)
[ "$(su_sql "SELECT id || ' ' || (content->>'restored') FROM dvflag.health_record WHERE id = 900")" = "900 true" ]
ok $? "a superuser's COPY with the ids is a restore: the row keeps its id" "$out"
out=$(as t_copy_b <<'SQL'
COPY dvflag.health_record TO STDOUT WITH (FORMAT csv);
SQL
)
! printf '%s\n' "$out" | grep -q -e 西新宿 -e restored && [ "$(printf '%s\n' "$out" | grep -c .)" = 2 ]
ok $? "staff of B: COPY health_record TO STDOUT gives B's two records and nothing of A" "$out"

# 30-37: the errors say where and what
all_out=""
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv, HEADER);
link_no,insurer_no,symbol,number,branch,acquired_on,address
B-20,06132013,B2,b20,00,2024-04-01,横浜市20
B-21,06132013,B2,b21,00,2024-04-01
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 22P04 ] && printf '%s\n' "$out" | grep -q '^CONTEXT:  COPY dvflag.enrollment, line 3: "B-21,06132013,B2,b21,00,2024-04-01"$' &&
  printf '%s\n' "$out" | grep -q '^HINT:  Each input line holds the columns this COPY names, in that order (link_no, insurer_no, symbol, number, branch, acquired_on, address); dvflag.enrollment has link_no, insurer_no, '
ok $? "a line short of a column names dvflag.enrollment and its input line (after the header), and the hint the columns" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-22,06132013,B2,b22,00,2024-04-01,横浜市22
A-22,01130012,A1,a22,00,2024-04-01,東京都22
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 42501 ] && printf '%s\n' "$out" | grep -q '^CONTEXT:  COPY dvflag.enrollment, line 2$'
ok $? "a row of another insurer is refused with the input line it is on" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-23,06132013,B2,b23,00,2024-04-01,横浜市23
B-24,06132013,B2,b24,0,2024-04-01,横浜市24
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 23514 ] && printf '%s\n' "$out" | grep -q '^CONTEXT:  COPY dvflag.enrollment, line 2$'
ok $? "a CHECK it breaks names the line too" "$out"
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment (link_no, insurer_no, symbol, number, branch, acquired_on, nd) FROM STDIN WITH (FORMAT csv);
B-25,06132013,B2,b25,00,2024-04-01,true
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 22023 ] && printf '%s\n' "$out" | grep -q '^CONTEXT:  COPY dvflag.enrollment$' &&
  printf '%s\n' "$out" | grep -q "^HINT:  Use dvflag.set_flag(..., reason), or SET LOCAL dvflag.reason"
ok $? "an error of the whole statement (a flag without a reason) names no line, and keeps its own hint" "$out"
out=$(as t_copy_b <<'SQL'
COPY dvflag.enrollment FROM STDIN;
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 428C9 ] && printf '%s\n' "$out" | grep -q '^HINT:  Name the columns of each line, without id'
ok $? "a COPY without a column list is refused before it reads, with a hint" "$out"
out=$(as t_copy_b <<'SQL'
COPY dvflag.enrollment (link_no, adress) FROM STDIN;
\.
SQL
)
all_out+=$out
[ "$(state "$out")" = 42703 ] && printf '%s\n' "$out" | grep -q 'column "adress" of relation "dvflag.enrollment" does not exist'
ok $? "an unknown column is named as dvflag.enrollment's" "$out"
su_sql "REVOKE TEMP ON DATABASE $db FROM PUBLIC" >/dev/null
out=$(as t_copy_b <<SQL
COPY dvflag.enrollment $cols FROM STDIN WITH (FORMAT csv);
B-26,06132013,B2,b26,00,2024-04-01,横浜市26
\.
SQL
)
su_sql "GRANT TEMP ON DATABASE $db TO PUBLIC" >/dev/null
all_out+=$out
[ "$(state "$out")" = 42501 ] && printf '%s\n' "$out" | grep -q 'needs the TEMP privilege on this database' &&
  printf '%s\n' "$out" | grep -q "^HINT:  GRANT TEMP ON DATABASE $db TO the role"
ok $? "without the TEMP privilege, the refusal says so and what to grant" "$out"
! printf '%s\n' "$all_out" | grep -q -E 'dvflag_copy($|[^_])'
ok $? "no error names the staging table" "$(printf '%s\n' "$all_out" | grep -E 'dvflag_copy($|[^_])')"

exit $failed
