/*-------------------------------------------------------------------------
 *
 * ddl_events.c
 *	  Event triggers that keep the lineage catalog current, in the same
 *	  transaction as the DDL that changed it.
 *
 * ddl_command_end: every relation a command created or altered gets its
 * edges recomputed (a CREATE OR REPLACE VIEW replaces them; a rename
 * changes nothing stored, since edges are keyed by OID and attnum).
 * sql_drop: edges from or to a dropped relation or column are deleted.
 *
 * Both functions are declared SECURITY DEFINER with a pinned search_path
 * (see the install script): any role that may create a view must be able to
 * record its lineage, while the catalog itself stays closed to them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"

#include "schemaguard.h"

/*
 * The relations a command created or altered.  A CREATE RULE "_RETURN"
 * reports the rule: its relation is the view.
 */
static const char *const commands_sql =
"SELECT DISTINCT CASE WHEN c.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass"
"  THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite r WHERE r.oid = c.objid)"
"  ELSE c.objid END"
" FROM pg_catalog.pg_event_trigger_ddl_commands() c"
" WHERE c.classid IN ('pg_catalog.pg_class'::pg_catalog.regclass,"
"                     'pg_catalog.pg_rewrite'::pg_catalog.regclass)";

/*
 * A dropped relation (objsubid 0) takes every edge from or to it; a dropped
 * column only its own.  Two statements, so that each side is found through
 * its own index.
 */
static const char *const drop_sources_sql =
"DELETE FROM schemaguard.column_edge e"
" USING pg_catalog.pg_event_trigger_dropped_objects() d"
" WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"   AND e.source_relid = d.objid"
"   AND (d.objsubid = 0 OR e.source_attnum = d.objsubid)";

static const char *const drop_dependents_sql =
"DELETE FROM schemaguard.column_edge e"
" USING pg_catalog.pg_event_trigger_dropped_objects() d"
" WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
"   AND e.dependent_classid = d.classid"
"   AND e.dependent_objid = d.objid"
"   AND (d.objsubid = 0 OR e.dependent_objsubid = d.objsubid)";

static SPIPlanPtr commands_plan = NULL;
static SPIPlanPtr drop_sources_plan = NULL;
static SPIPlanPtr drop_dependents_plan = NULL;

PG_FUNCTION_INFO_V1(schemaguard_on_ddl_command_end);
PG_FUNCTION_INFO_V1(schemaguard_on_sql_drop);

static void
check_event_trigger_call(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by event trigger manager",
						name)));
}

/* Run a kept parameterless plan; the caller is connected to SPI. */
static void
run_plan(SPIPlanPtr *plan, const char *sql, int expected)
{
	int			rc = SPI_execute_plan(lineage_saved_plan(plan, sql, 0, NULL),
									  NULL, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "lineage upkeep query failed: %s", SPI_result_code_string(rc));
}

/*
 * Commands that can create or change the stored query of a view or
 * materialized view (ALTER forms can address a view too; recomputing an
 * unchanged view is harmless).  Anything else returns at once.
 */
static bool
command_may_change_lineage(CommandTag tag)
{
	switch (tag)
	{
		case CMDTAG_CREATE_VIEW:
		case CMDTAG_ALTER_VIEW:
		case CMDTAG_CREATE_MATERIALIZED_VIEW:
		case CMDTAG_ALTER_MATERIALIZED_VIEW:
		case CMDTAG_CREATE_RULE:
		case CMDTAG_CREATE_SCHEMA:
		case CMDTAG_ALTER_TABLE:
			return true;
		default:
			return false;
	}
}

Datum
schemaguard_on_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	List	   *relids = NIL;
	uint64		i;

	check_event_trigger_call(fcinfo, "schemaguard.on_ddl_command_end");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!command_may_change_lineage(trigdata->tag))
		PG_RETURN_NULL();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/*
	 * Not read-only, so that SPI makes the command's last catalog changes
	 * (e.g. the relkind of a table just turned into a view) visible first.
	 */
	run_plan(&commands_plan, commands_sql, SPI_OK_SELECT);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		relid = SPI_getbinval(SPI_tuptable->vals[i],
										  SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			relids = lappend_oid(relids, DatumGetObjectId(relid));
	}

	lineage_store_refresh_relations(relids);
	SPI_finish();
	PG_RETURN_NULL();
}

Datum
schemaguard_on_sql_drop(PG_FUNCTION_ARGS)
{
	check_event_trigger_call(fcinfo, "schemaguard.on_sql_drop");

	/* DROP EXTENSION schemaguard itself: nothing left to maintain */
	if (!OidIsValid(lineage_store_edge_table()))
		PG_RETURN_NULL();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	run_plan(&drop_sources_plan, drop_sources_sql, SPI_OK_DELETE);
	run_plan(&drop_dependents_plan, drop_dependents_sql, SPI_OK_DELETE);
	SPI_finish();
	PG_RETURN_NULL();
}
