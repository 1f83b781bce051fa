#!/usr/bin/env bash
# CREATE EXTENSION dvflag refuses a database that is not UTF8.
set -u
echo "1..2"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS dvflag_latin1" >/dev/null 2>&1
psql -X -q -d postgres -c "CREATE DATABASE dvflag_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null
out=$(psql -X -q -d dvflag_latin1 -v VERBOSITY=verbose -c "CREATE EXTENSION dvflag" 2>&1)
if echo "$out" | grep -q "requires a UTF8 database"; then echo "ok 1 - refused with a clear message"; else echo "not ok 1 - refused with a clear message"; echo "# $out"; fi
if echo "$out" | grep -q "0A000"; then echo "ok 2 - with SQLSTATE 0A000"; else echo "not ok 2 - with SQLSTATE 0A000"; fi
psql -X -q -d postgres -c "DROP DATABASE dvflag_latin1" >/dev/null
