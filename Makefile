# dvflag — PGXS build. The current version is written once, in dvflag.control.
EXTENSION  = dvflag

MODULE_big = dvflag
OBJS = src/dvflag.o src/fold.o src/checkdigit.o src/rules.o src/spi_util.o src/store.o \
       src/audit.o src/person.o src/paths.o src/admin.o src/provision.o src/purge.o \
       src/durable.o

# Version 1.0's install script is built from sql/ (in dependency order by
# file name).  Every later version is an update script under updates/,
# written by hand: CREATE EXTENSION runs 1.0 and then each update in turn,
# so a fresh install and an upgraded one are the same by construction.
BASE_VERSION = 1.0
SQL_SOURCES = $(sort $(wildcard sql/*.sql))
DATA_built  = extension/$(EXTENSION)--$(BASE_VERSION).sql
DATA        = $(wildcard updates/$(EXTENSION)--*--*.sql)

# Our code compiles with -Wall -Wextra -Werror; the server's headers are
# included as system headers so that their unused parameters do not count.
PG_CPPFLAGS = -Isrc -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
PG_CFLAGS   = -Wall -Wextra -Werror

# PostgreSQL 15's pg_config when installed, else the one on PATH.  Without
# any (a fresh machine), only the demo and test targets exist: they install
# PostgreSQL 15 first.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

extension/$(EXTENSION)--$(BASE_VERSION).sql: $(SQL_SOURCES)
	@mkdir -p extension
	( echo '-- dvflag $(BASE_VERSION): built from sql/ by make; edit those files, not this one.'; \
	  printf '%s\n' '\echo Use "CREATE EXTENSION dvflag" to load this file. \quit'; \
	  for f in $(SQL_SOURCES); do echo; echo "-- $$f"; cat $$f; done ) > $@

.PHONY: test demo
test:
	./test/run
demo:
	./demo/run
