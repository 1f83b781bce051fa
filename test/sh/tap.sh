# Sourced by the shell TAP tests: the plan, one result per check, skipping
# what is left, and psql for queries.
#   plan N; ok <exit status> <description>; skip_rest <why>; q <psql args>
n=0
planned=0
plan() { planned=$1; echo "1..$1"; }
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
skip_rest() { while [ "$n" -lt "$planned" ]; do n=$((n + 1)); echo "ok $n # SKIP $1"; done; exit 0; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
