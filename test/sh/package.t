#!/usr/bin/env bash
# The Debian package: make deb builds postgresql-15-dvflag_<version>-1 (its
# own build runs make installcheck against what it built), the versions
# written in debian/changelog and META.json agree with dvflag.control, and
# the package's files serve a clean cluster that preloads dvflag: CREATE
# EXTENSION, the worked examples, check(), and the autopkgtest's make
# installcheck.  The package is not installed into the system: installing
# it (dpkg -i) would change the system PostgreSQL that the suite and
# tools/cluster copy from, and dpkg --root would want a dpkg database of
# its own.  Instead dpkg-deb -x extracts its files, and tools/cluster -p
# puts them, in place of this tree's build, into its run's private copy of
# PostgreSQL, as it does for every run.  Everything is built and run in a
# temporary directory (readable by the postgres user, as the build's own
# cluster needs), removed at the end: the tree is left as it was.
set -u
. test/sh/tap.sh
plan 9
version=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" dvflag.control)
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
# what is in the tree beside its own files, but for what make and
# tools/cluster build there (which another run may rebuild meanwhile)
tree_state() {
  git status --porcelain --ignored 2>/dev/null |
    grep -v -e '^!! tmp_install/$' -e '\.o$' -e '\.bc$' -e '^!! dvflag\.so$' -e '^!! extension/dvflag--[0-9.]*\.sql$' |
    sort
}
before=$(tree_state)

[ "$(dpkg-parsechangelog -S Version | sed 's/-[^-]*$//')" = "$version" ]
ok $? "debian/changelog is at dvflag.control's version $version"
[ "$(python3 -c 'import json, sys; m = json.load(open("META.json"))
print(m["version"], m["provides"]["dvflag"]["version"])')" = "$version.0 $version.0" ]
ok $? "META.json's version and the version it provides are $version.0"

deb=$(make -s deb DEB_DIR="$tmp/deb" 2>"$tmp/deb.err")
ok $? "make deb builds the package"
added=$(tree_state | grep -vxF -f <(echo "$before"))
[ -z "$added" ]
ok $? "and leaves nothing in the tree"
[ -z "$added" ] || echo "$added" | sed 's/^/# /'
[ -f "$deb" ] || { sed 's/^/# /' "$tmp/deb.err" | tail -30; skip_rest "no package was built"; }
case $deb in */postgresql-15-dvflag_"$version"-*_*.deb) true ;; *) false ;; esac
ok $? "it is postgresql-15-dvflag at $version ($(basename "$deb"))"

dpkg-deb -x "$deb" "$tmp/root"
[ "$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$tmp/root/usr/share/postgresql/15/extension/dvflag.control")" = "$version" ] &&
  [ -f "$tmp/root/usr/share/postgresql/15/extension/dvflag--$version.sql" ] &&
  [ -f "$tmp/root/usr/lib/postgresql/15/lib/dvflag.so" ] &&
  [ -f "$tmp/root/usr/share/postgresql/15/extension/dvflag--1.2--$version.sql" ] &&
  [ -f "$tmp/root/usr/share/doc/postgresql-15-dvflag/README.md.gz" ] &&
  [ -f "$tmp/root/usr/share/doc/postgresql-15-dvflag/copyright" ]
ok $? "it holds the library, the control file, the install script, the updates and the documentation"
dpkg-deb -f "$deb" Depends | grep -q 'postgresql-15' &&
  ! dpkg-deb -c "$deb" | grep -q -e '/test/' -e '\.c$' -e '\.o$' -e 'tmp_install'
ok $? "it depends on postgresql-15 and carries no sources, objects or tests"

# a clean cluster on the package's files
cat > "$tmp/in_cluster" <<'SH'
set -eu
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
  -c "CREATE DATABASE dvflag_package ENCODING 'UTF8' TEMPLATE template0 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
psql -X -q -At -v ON_ERROR_STOP=1 -d dvflag_package -c "CREATE EXTENSION dvflag" -f test/fixtures/worked_examples.sql \
  -c "SELECT extversion FROM pg_extension WHERE extname = 'dvflag'" \
  -c "SELECT string_agg(coalesce(q.address, '-'), ', ' ORDER BY e.number)
        FROM dvflag.enrollment e, dvflag.clinic_by_insurance_card(e.insurer_no, e.symbol, e.number, e.branch) q
       WHERE e.insurer_no = '131136'" \
  -c "SELECT count(*) FROM dvflag.check()" > "$1/answers" 2>&1
make -s -C "$2" installcheck > "$1/installcheck" 2>&1
SH
./tools/cluster -p "$tmp/root" -o shared_preload_libraries=dvflag \
  bash "$tmp/in_cluster" "$tmp" "$(dirname "$deb")/dvflag-$version" > "$tmp/cluster.out" 2>&1
status=$?
answers=$(grep -v '^$' "$tmp/answers" 2>/dev/null | tail -3 | tr '\n' ' ')
# at C: SB at B shows the address, SB at C, ND at B and ND at A hide it
grep -q "^$version\$" "$tmp/answers" 2>/dev/null && grep -q '^0$' "$tmp/answers" &&
  grep -qxF "大阪府大阪市北区梅田1-1-1, -, -, -, 大阪府大阪市北区梅田5-5-5" "$tmp/answers"
ok $? "the package's dvflag installs in a clean cluster, answers the worked examples, and check() finds nothing ($answers)"
[ "$status" = 0 ] && grep -q 'passed' "$tmp/installcheck"
ok $? "make installcheck (the autopkgtest) passes against the package"
[ "$status" = 0 ] || { sed 's/^/# /' "$tmp/cluster.out" "$tmp/answers" "$tmp/installcheck" 2>/dev/null | tail -30; }
