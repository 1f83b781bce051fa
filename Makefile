# dvflag — PGXS build.  The current version is written once, in
# dvflag.control; everything that needs it reads it from there.
# The source tree: this Makefile's directory.  Debian's pg_buildext builds
# in a directory per PostgreSQL version (make -f ../Makefile VPATH=..), so
# every source path below is relative to it.
here := $(dir $(firstword $(MAKEFILE_LIST)))

EXTENSION  = dvflag
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'$$/\1/p" $(here)$(EXTENSION).control)

MODULE_big = dvflag
OBJS = src/dvflag.o src/args.o src/copy.o src/guard.o src/fold.o src/checkdigit.o src/rules.o \
       src/spi_util.o src/store.o src/audit.o src/durable.o src/spool.o src/person.o src/scope.o \
       src/flags.o src/cards.o src/sb_clearing.o src/paths.o src/disasters.o \
       src/provision.o src/inquiry.o src/purge.o src/health.o src/progress.o

# The current version's install script is built from sql/, the full
# definition of the schema, one file per concern, in the order of their
# names.  The update scripts from each earlier version, and 1.0's install
# script as released, are tracked beside it in extension/.  A fresh install
# and an upgraded one must be the same: test/sh/upgrade.t compares them.
SQL_SOURCES = $(sort $(wildcard $(here)sql/*.sql))
DATA_built  = extension/$(EXTENSION)--$(EXTVERSION).sql
DATA        = extension/$(EXTENSION)--1.0.sql \
              $(patsubst $(here)%,%,$(wildcard $(here)extension/$(EXTENSION)--*--*.sql))

# make installcheck, the PGXS convention, against an installed server (the
# settings PG* say which): the pg_regress suite (test/sql, test/expected) and
# the isolation specs (test/isolation), each in a UTF8 database of its own.
# make test runs these and everything else.
REGRESS      = worked_examples index_only
REGRESS_OPTS = --inputdir=$(here)test --encoding=UTF8
REGRESS_PREP = isolation-output
ISOLATION      = $(basename $(notdir $(wildcard $(here)test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=$(here)test/isolation --outputdir=test/isolation/output_iso \
                 --encoding=UTF8 --load-extension=dvflag

# Our code compiles with -Wall -Wextra -Werror; the server's headers are
# included as system headers so that their unused parameters do not count.
PG_CPPFLAGS = -I$(here)src -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
PG_CFLAGS   = -Wall -Wextra -Werror

# Rebuild an object when a header it includes changes.
override autodepend = yes

# PostgreSQL 15's pg_config when installed, else the one on PATH.  Without
# any (a fresh machine), only the demo and test targets exist: they install
# PostgreSQL 15 first.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

extension/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) $(EXTENSION).control
	@mkdir -p extension
	( echo '-- dvflag $(EXTVERSION): built from sql/ by make; edit those files (and the update script), not this one.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION dvflag" to load this file. \quit'; \
	  for f in $(SQL_SOURCES); do echo; echo "-- $${f#$(here)}"; cat $$f; done ) > $@

# pg_regress makes its output directory, but not the ones above it (a
# build directory has no test/isolation/); the objects go to src/ there too.
.PHONY: isolation-output
isolation-output:
	@mkdir -p test/isolation
ifneq ($(here),./)
$(shell mkdir -p src)
endif

.PHONY: test demo
test:
	./test/run
demo:
	./demo/run

# The Debian package, postgresql-15-dvflag_<version>-1_<arch>.deb, in
# DEB_DIR (default build/deb/; tools/deb installs its build tools with apt).
.PHONY: deb
deb:
	./tools/deb $(DEB_DIR)
