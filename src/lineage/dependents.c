/*-------------------------------------------------------------------------
 *
 * dependents.c
 *	  What the lineage catalog offers the migration engine: the objects
 *	  that read one column, each with the sub-object (a view's column, a
 *	  generated column) and how it reads it; and analyzing objects again
 *	  once the columns they name have moved.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "lineage/internal.h"

/*
 * lineage_column_readers
 *		Every stored edge from this column (relid, attnum): LineageReader
 *		pointers, dependents that no longer exist left out.
 */
List *
lineage_column_readers(Oid relid, AttrNumber attnum)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	List	   *result = NIL;

	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return NIL;
	rel = table_open(table, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_edge_source_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_edge_source_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[2], Anum_edge_source_objsubid, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(attnum));
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, source_index, true, snapshot, 3, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		LineageReader *reader = palloc(sizeof(LineageReader));
		ObjectAddress whole;
		char	   *usage;

		reader->object.classId = DatumGetObjectId(heap_getattr(tuple, Anum_edge_dependent_classid,
															   desc, &isnull));
		reader->object.objectId = DatumGetObjectId(heap_getattr(tuple, Anum_edge_dependent_objid,
																desc, &isnull));
		reader->object.objectSubId = DatumGetInt32(heap_getattr(tuple, Anum_edge_dependent_objsubid,
																desc, &isnull));
		usage = TextDatumGetCString(heap_getattr(tuple, Anum_edge_usage, desc, &isnull));
		reader->usage = USAGE_DYNAMIC;
		for (int i = 0; i < LINEAGE_NUM_USAGES; i++)
			if (strcmp(lineage_usage_names[i], usage) == 0)
				reader->usage = (LineageUsage) i;
		whole = reader->object;
		whole.objectSubId = 0;
		if (getObjectDescription(&whole, true) != NULL)
			result = lappend(result, reader);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * lineage_refresh_objects
 *		Analyze these objects (ObjectAddress pointers) again and store what
 *		they read now, in the caller's transaction: after a migration moved
 *		the columns their bodies name.
 */
void
lineage_refresh_objects(List *objects)
{
	lineage_store_refresh(objects);
}
