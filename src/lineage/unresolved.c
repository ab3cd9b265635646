/*-------------------------------------------------------------------------
 *
 * unresolved.c
 *	  unresolved_references(): the objects whose definitions use names that
 *	  do not resolve -- functions already broken by past changes, or
 *	  waiting for a table that does not exist yet.
 *
 * The rows are kept current by upkeep (the analyzers note them, notes.c, while
 * an object is analyzed; ddl_events.c analyzes again what a new, renamed
 * or dropped name may fix or break).  As in impact_of(), an object in a
 * schema the caller has no USAGE on is left out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "lineage/internal.h"

PG_FUNCTION_INFO_V1(schemaguard_unresolved_references);

/*
 * unresolved_references() RETURNS TABLE (object_type text,
 *		object_identity text, reference text, reason text)
 */
Datum
schemaguard_unresolved_references(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			index;
	Oid			table;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	bool		rebuilt;

	InitMaterializedSRF(fcinfo, 0);
	table = lineage_unresolved_table(&index);
	/* a catalog just rebuilt (origin.c) is read under a snapshot that sees it */
	rebuilt = lineage_ensure_current();
	if (rebuilt)
		PushActiveSnapshot(GetTransactionSnapshot());

	rel = table_open(table, AccessShareLock);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		Datum		row[Natts_unresolved];
		bool		isnull[Natts_unresolved];
		ObjectAddress object;
		Oid			schema;
		char	   *identity;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		heap_deform_tuple(tuple, RelationGetDescr(rel), row, isnull);
		ObjectAddressSet(object, DatumGetObjectId(row[Anum_unresolved_classid - 1]),
						 DatumGetObjectId(row[Anum_unresolved_objid - 1]));
		identity = getObjectIdentity(&object, true);
		if (identity == NULL)
			continue;			/* dropped concurrently */
		schema = lineage_object_schema(&object);
		if (OidIsValid(schema) &&
			pg_namespace_aclcheck(schema, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
			continue;

		values[0] = CStringGetTextDatum(getObjectTypeDescription(&object, true));
		values[1] = CStringGetTextDatum(identity);
		values[2] = row[Anum_unresolved_reference - 1];
		values[3] = row[Anum_unresolved_reason - 1];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	if (rebuilt)
		PopActiveSnapshot();
	return (Datum) 0;
}
