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
 * The command lists come from the server's own pg_event_trigger_ddl_commands()
 * and pg_event_trigger_dropped_objects(), called through fmgr rather than
 * SQL, and the catalog is written with heap calls (lineage_store.c): no SQL
 * runs inside the user's DDL, so these functions need neither SECURITY
 * DEFINER nor a pinned search_path, and add only a few index probes to it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_rewrite.h"
#include "commands/event_trigger.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "tcop/cmdtag.h"
#include "utils/fmgroids.h"
#include "utils/tuplestore.h"

#include "schemaguard.h"

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

/*
 * event_objects
 *		Call one of the server's event-trigger set-returning functions (no
 *		arguments, materialize mode) and return its (classid, objid,
 *		objsubid) rows -- their first three columns -- as a flat array of
 *		ObjectAddress; *n is set to their number.
 */
static ObjectAddress *
event_objects(Oid funcid, int *n)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 0);
	ReturnSetInfo rsinfo;
	ExprContext *econtext = CreateStandaloneExprContext();
	TupleTableSlot *slot;
	ObjectAddress *objects;
	int			cap = 16;

	fmgr_info(funcid, &flinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = (int) SFRM_Materialize;
	rsinfo.returnMode = SFRM_ValuePerCall;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL,
							 (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);

	*n = 0;
	objects = palloc(sizeof(ObjectAddress) * cap);
	if (rsinfo.returnMode == SFRM_Materialize && rsinfo.setResult != NULL)
	{
		slot = MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple);
		while (tuplestore_gettupleslot(rsinfo.setResult, true, false, slot))
		{
			bool		isnull;

			if (*n >= cap)
			{
				cap *= 2;
				objects = repalloc(objects, sizeof(ObjectAddress) * cap);
			}
			objects[*n].classId = DatumGetObjectId(slot_getattr(slot, 1, &isnull));
			objects[*n].objectId = DatumGetObjectId(slot_getattr(slot, 2, &isnull));
			objects[*n].objectSubId = DatumGetInt32(slot_getattr(slot, 3, &isnull));
			(*n)++;
		}
		ExecDropSingleTupleTableSlot(slot);
		tuplestore_end(rsinfo.setResult);
	}
	FreeExprContext(econtext, true);
	return objects;
}

/* The relation a rule belongs to (a CREATE RULE reports the rule). */
static Oid
rule_relation(Oid ruleid)
{
	Relation	rewrite = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;

	ScanKeyInit(&key, Anum_pg_rewrite_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(ruleid));
	scan = systable_beginscan(rewrite, RewriteOidIndexId, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
		relid = ((Form_pg_rewrite) GETSTRUCT(tuple))->ev_class;
	systable_endscan(scan);
	table_close(rewrite, AccessShareLock);
	return relid;
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
	ObjectAddress *objects;
	List	   *relids = NIL;
	int			n;
	int			i;

	check_event_trigger_call(fcinfo, "schemaguard.on_ddl_command_end");
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!command_may_change_lineage(trigdata->tag))
		PG_RETURN_NULL();

	/*
	 * Make the command's last catalog changes visible (e.g. the relkind of a
	 * table just turned into a view by CREATE RULE "_RETURN").
	 */
	CommandCounterIncrement();

	objects = event_objects(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &n);
	for (i = 0; i < n; i++)
	{
		Oid			relid = InvalidOid;

		if (objects[i].classId == RelationRelationId)
			relid = objects[i].objectId;
		else if (objects[i].classId == RewriteRelationId)
			relid = rule_relation(objects[i].objectId);
		if (OidIsValid(relid))
			relids = list_append_unique_oid(relids, relid);
	}

	lineage_store_refresh_relations(relids);
	PG_RETURN_NULL();
}

Datum
schemaguard_on_sql_drop(PG_FUNCTION_ARGS)
{
	ObjectAddress *objects;
	int			n;
	int			i;

	check_event_trigger_call(fcinfo, "schemaguard.on_sql_drop");

	objects = event_objects(F_PG_EVENT_TRIGGER_DROPPED_OBJECTS, &n);
	for (i = 0; i < n; i++)
	{
		if (objects[i].classId == RelationRelationId)
			lineage_store_forget(objects[i].objectId,
								 (AttrNumber) objects[i].objectSubId);
	}
	PG_RETURN_NULL();
}
