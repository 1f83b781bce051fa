/*
 * paths.h — what every read path shares (paths.c): its result in
 * materialize mode, the person a card call is about, and the wrapper that
 * keeps its reads out of the caller's statistics.
 */
#ifndef DVFLAG_PATHS_H
#define DVFLAG_PATHS_H

#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"

/* Set up materialize mode; the tuplestore lives in the per-query context. */
extern ReturnSetInfo *dv_begin_result(FunctionCallInfo fcinfo);

/*
 * The person a card call is about (argument 0 the card serial; on a portal
 * path argument 1 the principal of a proxy), or NULL: nothing to show.
 * 22023 for a missing card serial or a blank principal.
 */
extern char *dv_card_person(FunctionCallInfo fcinfo, bool portal);

/*
 * Run a path's body with its reads kept out of the caller's buffer and WAL
 * usage (store.h: DvQuiet); the scans keep the relations' counters.
 */
typedef void (*DvPathBody) (FunctionCallInfo fcinfo, int variant);
extern Datum dv_quietly(FunctionCallInfo fcinfo, DvPathBody body, int variant);

#endif
