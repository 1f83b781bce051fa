#!/usr/bin/env bash
# README's "Using dvflag from an application": its psycopg 3 and
# node-postgres programs, taken from README.md as they stand (the fenced
# blocks whose info string is `name=dvflag_app.py`, `name=dvflag_app.js`,
# and the output of their first run, `name=dvflag_app.out`), so the README
# and what is tested cannot drift apart.  Each runs in a database of its own
# with the worked examples and the logins it uses: first with no disaster
# declared (DV002; its output must be the README's), then during one (the
# search answers, the address hidden), then with more than 20 look-alike
# candidates (DV003).  The audit must hold the operators and reasons they set.
#
# Installs what it needs: Debian's python3-psycopg, node and npm (with
# tools/prepare), and the pg package from the npm registry into build/drivers/
# (ignored by git; kept between runs).  A failed install fails the test.  The
# one exception, outside CI only: an install that failed for want of a
# network skips the rest, saying so.
set -u
cd "$(dirname "$0")/../.."
. test/sh/tap.sh
plan 14
top=$(pwd)
tmp=$(mktemp -d)
dbs="dvflag_drivers_py dvflag_drivers_js"
logins="clinic_app kyokai_tokyo_staff disaster_app portal_app"
created=""
cleanup() {
  for d in $dbs; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
  for r in $created; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the README's blocks ----------------------------------------------------
# extract NAME: the one block fenced with ```LANG name=NAME, closed by ```
extract() {
  awk -v want="name=$1" '
    open && /^```$/ { open = 0; next }
    open { print; next }
    /^```[a-z]+ / && substr($0, index($0, " ") + 1) == want { open = 1; found++ }
    END { exit !(found == 1 && !open) }' README.md
}
extract dvflag_app.py > "$tmp/dvflag_app.py" &&
  extract dvflag_app.js > "$tmp/dvflag_app.js" &&
  extract dvflag_app.out > "$tmp/expected1" &&
  [ -s "$tmp/dvflag_app.py" ] && [ -s "$tmp/dvflag_app.js" ] && [ -s "$tmp/expected1" ]
ok $? "README.md has one block each of dvflag_app.py, dvflag_app.js and their output"

# --- what they need ---------------------------------------------------------
# install WHAT COMMAND...: run it; when it fails, show why and return 1 (the
# check after it fails), or, outside CI and for want of a network, skip the rest
install() {
  local what=$1; shift
  "$@" > "$tmp/install.out" 2>&1 && return 0
  sed 's/^/# /' "$tmp/install.out" | tail -20
  if [ "${CI:-}" != true ] &&
     grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|Temporary failure resolving|Could not resolve|Network is unreachable' "$tmp/install.out"; then
    skip_rest "no network to install $what"
  fi
  return 1
}
# psycopg is Debian's package, for Debian's python3 (not another one first in PATH)
python=/usr/bin/python3
"$python" -c 'import psycopg' 2>/dev/null || install python3-psycopg ./tools/prepare python3-psycopg
psycopg_version=$("$python" -c 'import psycopg; print(psycopg.__version__)' 2>/dev/null)
[ -n "$psycopg_version" ]
ok $? "python3 with psycopg $psycopg_version"
[ -n "$psycopg_version" ] || exit 1

# node and npm: Debian's packages, unless the machine has both already
command -v node >/dev/null && command -v npm >/dev/null || install "node and npm" ./tools/prepare nodejs npm
modules=$top/build/drivers/node_modules
[ -f "$modules/pg/package.json" ] ||
  install "the pg package" npm install --prefix "$top/build/drivers" --no-save --no-package-lock \
    --no-audit --no-fund --loglevel=error pg@8
export NODE_PATH=$modules
pg_version=$(node -p "require('pg/package.json').version" 2>/dev/null)
[ -n "$pg_version" ]
ok $? "node $(node --version 2>/dev/null) with pg $pg_version"
[ -n "$pg_version" ] || exit 1

# --- the databases and logins -------------------------------------------------
setup() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1
  q -d postgres -c "CREATE DATABASE $1 ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'" &&
    q -d "$1" -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql >/dev/null || return 1
  # the audience roles exist once a database has the extension; the logins are the cluster's
  for r in $logins; do
    [ "$(q -d "$1" -c "SELECT count(*) FROM pg_roles WHERE rolname = '$r'")" = 1 ] && continue
    q -d "$1" -c "CREATE ROLE $r LOGIN" && created="$created $r" || return 1
  done
  q -d "$1" -c "GRANT dvflag_clinic TO clinic_app" -c "GRANT dvflag_insurer TO kyokai_tokyo_staff" \
    -c "GRANT dvflag_disaster TO disaster_app" -c "GRANT dvflag_portal TO portal_app" \
    -c "SELECT dvflag.grant_insurer('kyokai_tokyo_staff', '01130012')" >/dev/null 2>&1
}
status=0
for d in $dbs; do setup $d || status=1; done
ok $status "two databases with the worked examples, and the programs' logins"

# --- the runs ------------------------------------------------------------------
# the same program after a disaster is declared, and with 21 look-alikes
sed -e 's/^set_flag ar 1005: changed$/set_flag ar 1005: unchanged/' \
    -e 's/^disaster search: .*/disaster search: 鈴木 一郎 (hidden) 渋谷区 国民健康保険/' \
    "$tmp/expected1" > "$tmp/expected2"
sed -e 's/^disaster search: .*/disaster search: DV003 more than 20 candidates: narrow the search/' \
    "$tmp/expected2" > "$tmp/expected3"
declare_disaster="SELECT dvflag.declare_disaster(now() - interval '1 hour', now() + interval '1 day', 'drivers test')"
lookalikes="INSERT INTO dvflag.enrollment (link_no, insurer_no, number, branch, acquired_on, name, kana, sex, birth_date, address)
  SELECT 'LOOKALIKE-' || i, '131136', (2000 + i)::text, '00', '2021-04-01', '鈴木 一郎', 'スズキ イチロウ', 1, '1978-11-23', '東京都渋谷区'
  FROM generate_series(1, 21) AS i"

# compare WHAT EXPECTED ACTUAL: ok when the same; the difference otherwise
compare() {
  if cmp -s "$2" "$3"; then ok 0 "$1"; else
    ok 1 "$1"; diff "$2" "$3" | sed 's/^/# /'; sed 's/^/# /' "$3.err" 2>/dev/null | tail -20
  fi
}
# same WHAT EXPECTED ACTUAL: ok when the two texts are the same; both otherwise
same() {
  if [ "$2" = "$3" ]; then ok 0 "$1"; else
    ok 1 "$1"; printf '%s\n' "# expected:" "$2" "# got:" "$3" | sed '/^# /!s/^/#   /'
  fi
}
# audit DB SQL: one value from the audit, once the audit writer's queue is in
audit() { q -d "$1" -c "SELECT dvflag.audit_flush()" >/dev/null && q -d "$1" -c "$2"; }

for lang in py js; do
  db=dvflag_drivers_$lang
  case $lang in py) cmd=("$python" "$tmp/dvflag_app.py") ;; js) cmd=(node "$tmp/dvflag_app.js") ;; esac
  for step in 1 2 3; do
    case $step in
      2) q -d $db -c "$declare_disaster" >/dev/null ;;
      3) q -d $db -c "$lookalikes" >/dev/null ;;
    esac
    PGDATABASE=$db "${cmd[@]}" > "$tmp/$lang.$step" 2> "$tmp/$lang.$step.err"
    case $step in
      1) what="no disaster declared: what README.md shows (DV002, DV001)" ;;
      2) what="during a disaster: the search answers, the address hidden" ;;
      3) what="with 21 look-alikes: DV003" ;;
    esac
    compare "$lang: $what" "$tmp/expected$step" "$tmp/$lang.$step"
  done

  flags=$(audit $db "SELECT string_agg(concat_ws(' | ', target, actor, client, detail ->> 'via', detail ->> 'reason'), E'\n' ORDER BY id)
                       FROM dvflag.audit WHERE action = 'flag_change' AND actor <> current_user")
  same "$lang: each flag change once, with the operator and the reason set in its transaction" "01130012/A1/1005/00 | kyokai_tokyo_staff | kyokai tokyo / staff 7 | set_flag | asked for no automatic answers, case 17
01130012/A1/1004/00 | kyokai_tokyo_staff | kyokai tokyo / staff 7 | UPDATE | asked for no automatic answers, case 18" "$flags"

  others=$(audit $db "SELECT string_agg(concat_ws(' | ', action, actor, client, result_count, n), E'\n' ORDER BY action)
                        FROM (SELECT action, actor, client, detail ->> 'result_count' AS result_count, count(*) AS n
                                FROM dvflag.audit WHERE action IN ('card_register_refused', 'disaster_search')
                               GROUP BY 1, 2, 3, 4) AS a")
  same "$lang: the refused registrations and the answered search, with their operators" "card_register_refused | portal_app | portal session 9f2c | 3
disaster_search | disaster_app | shelter clinic 2 / dr 3 | 1 | 1" "$others"
done
