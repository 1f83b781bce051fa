/*
 * guard.c — nothing lost by accident: DROP EXTENSION dvflag and DROP SCHEMA
 * dvflag (CASCADE) are refused while the audit or the provision records
 * hold rows (RULES.md §8 keeps them for years; they are append-only, and
 * dropping the extension would drop them with it).  A superuser who means
 * it sets dvflag.allow_drop for the transaction; the drop is then written
 * to the server log as an audit line, since the table goes with it.
 *
 * DROP EXTENSION dvflag also resets the database's session_preload_libraries
 * when it is the 'dvflag' that CREATE EXTENSION set (sql/90_operations.sql):
 * were the library then uninstalled, every connection to the database
 * would fail.
 */
#include "dvflag.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

bool		dv_allow_drop = false;

/* The tables whose rows must not go by accident, and what they are. */
static const char *const kept_tables[] = {"audit", "provision_record", "provision_mark"};

/* Does this DROP name dvflag's extension or schema? */
static bool
drops_dvflag(DropStmt *stmt)
{
	ListCell   *lc;

	if (stmt->removeType != OBJECT_EXTENSION && stmt->removeType != OBJECT_SCHEMA)
		return false;
	foreach(lc, stmt->objects)
	{
		Node	   *name = lfirst(lc);

		if (IsA(name, String) && strcmp(strVal(name), "dvflag") == 0)
			return true;
	}
	return false;
}

/* The database setting CREATE EXTENSION makes without preload, reset. */
static void
forget_session_preload(void)
{
	char	   *reset = NULL;

	dv_spi_connect();
	if (SPI_execute("SELECT pg_catalog.format('ALTER DATABASE %I RESET session_preload_libraries', d.datname)"
					"  FROM pg_catalog.pg_db_role_setting s"
					"  JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase"
					" WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()"
					"   AND s.setrole OPERATOR(pg_catalog.=) 0"
					"   AND 'session_preload_libraries=dvflag' OPERATOR(pg_catalog.=) ANY (s.setconfig)",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dvflag: could not read the database's settings");
	if (SPI_processed == 1)
		reset = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (reset != NULL && SPI_execute(reset, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "dvflag: could not run: %s", reset);
	SPI_finish();
}

void
dv_guard_drop(Node *parsetree)
{
	StringInfoData counts;
	bool		held = false;

	if (!IsA(parsetree, DropStmt) || !drops_dvflag((DropStmt *) parsetree))
		return;
	if (((DropStmt *) parsetree)->removeType == OBJECT_EXTENSION)
		forget_session_preload();
	initStringInfo(&counts);
	appendStringInfoChar(&counts, '{');
	dv_spi_connect();
	for (int i = 0; i < (int) lengthof(kept_tables); i++)
	{
		int64		n = 0;

		if (dv_relation_exists(kept_tables[i]) &&
			SPI_execute(psprintf("SELECT pg_catalog.count(*) FROM dvflag.%s", kept_tables[i]), true, 0) == SPI_OK_SELECT)
			n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &(bool){0}));
		held |= n > 0;
		dv_json_field_raw(&counts, kept_tables[i], psprintf(INT64_FORMAT, n));
	}
	SPI_finish();
	appendStringInfoChar(&counts, '}');
	if (!held)
		return;
	if (!dv_allow_drop)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("dvflag's audit and provision records hold rows, which dropping dvflag would lose"),
				 errdetail("Rows: %s.", counts.data),
				 errhint("Keep them first (pg_dump). To drop anyway, a superuser runs SET LOCAL dvflag.allow_drop = on in the same transaction.")));
	dv_audit(DV_AUDIT_LOG, InvalidOid, "extension_drop", "dvflag", counts.data);
}
