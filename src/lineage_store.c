/*-------------------------------------------------------------------------
 *
 * lineage_store.c
 *	  The lineage catalog, schemaguard.column_edge: replacing the edges of
 *	  some relations, forgetting dropped ones, and rebuilding every edge of
 *	  the database.
 *
 * Both upkeep and rebuild compute a view's edges with the same function
 * (view_lineage_edges), so a rebuild from scratch stores exactly what
 * incremental upkeep stored.
 *
 * The table is written with heap and index calls, as the server writes its
 * own catalogs (CatalogTupleInsert), not through SQL: upkeep runs inside
 * every view DDL command, and this keeps its cost to a few index probes.  It
 * also means no SQL runs on behalf of the role whose DDL fired the event
 * trigger, so nothing depends on that role's search_path or privileges.
 * The table has only plain btree indexes, as CatalogTupleInsert requires.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "schemaguard.h"

/*
 * lineage_catalog_oids
 *		OIDs of schemaguard.column_edge and of its two indexes.  Returns false
 *		(and InvalidOids) while the extension is being dropped.
 */
bool
lineage_catalog_oids(Oid *table, Oid *source_index, Oid *dependent_index)
{
	Oid			nspid = get_namespace_oid(SCHEMAGUARD_SCHEMA, true);

	*table = *source_index = *dependent_index = InvalidOid;
	if (!OidIsValid(nspid))
		return false;
	*table = get_relname_relid("column_edge", nspid);
	*source_index = get_relname_relid("column_edge_source_idx", nspid);
	*dependent_index = get_relname_relid("column_edge_dependent_idx", nspid);
	return OidIsValid(*table) && OidIsValid(*source_index) &&
		OidIsValid(*dependent_index);
}

/* The catalog, or an error saying how to repair it. */
static void
require_catalog(Oid *table, Oid *source_index, Oid *dependent_index)
{
	if (!lineage_catalog_oids(table, source_index, dependent_index))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("lineage catalog of schemaguard is incomplete"),
				 errdetail("Table schemaguard.column_edge or one of its indexes is missing."),
				 errhint("Reinstall the extension with DROP EXTENSION schemaguard; CREATE EXTENSION schemaguard.")));
}

/* Store n edges; the relation is open in RowExclusiveLock mode or stronger. */
static void
insert_edges(Relation rel, CatalogIndexState indstate, LineageEdge *edges, int n)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Datum		usage_text[LINEAGE_NUM_USAGES] = {0};
	int			i;

	for (i = 0; i < n; i++)
	{
		Datum		values[Natts_column_edge];
		bool		nulls[Natts_column_edge] = {false};
		HeapTuple	tuple;

		if (usage_text[edges[i].usage] == (Datum) 0)
			usage_text[edges[i].usage] =
				CStringGetTextDatum(lineage_usage_names[edges[i].usage]);

		values[Anum_edge_source_relid - 1] = ObjectIdGetDatum(edges[i].source_relid);
		values[Anum_edge_source_attnum - 1] = Int16GetDatum(edges[i].source_attnum);
		values[Anum_edge_dependent_classid - 1] = ObjectIdGetDatum(edges[i].dep_classid);
		values[Anum_edge_dependent_objid - 1] = ObjectIdGetDatum(edges[i].dep_objid);
		values[Anum_edge_dependent_objsubid - 1] = Int32GetDatum(edges[i].dep_objsubid);
		values[Anum_edge_usage - 1] = usage_text[edges[i].usage];

		tuple = heap_form_tuple(desc, values, nulls);
		CatalogTupleInsertWithInfo(rel, tuple, indstate);
		heap_freetuple(tuple);
	}
}

/*
 * delete_matching
 *		Delete the edges an index scan with these keys finds.  A fresh MVCC
 *		snapshot sees what earlier commands of this transaction stored; the
 *		deletions are made visible at once, because one DROP can reach the
 *		same edge twice (from a view and from the view built on it).
 */
static void
delete_matching(Relation rel, Oid indexid, ScanKey keys, int nkeys)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		deleted = false;

	scan = systable_beginscan(rel, indexid, true, snapshot, nkeys, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		CatalogTupleDelete(rel, &tuple->t_self);
		deleted = true;
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	if (deleted)
		CommandCounterIncrement();
}

/* Delete the edges whose dependent is (classid, objid [, objsubid]). */
static void
delete_dependent_edges(Relation rel, Oid indexid, Oid classid, Oid objid,
					   int32 objsubid)
{
	ScanKeyData keys[3];

	ScanKeyInit(&keys[0], Anum_edge_dependent_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&keys[1], Anum_edge_dependent_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	ScanKeyInit(&keys[2], Anum_edge_dependent_objsubid, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(objsubid));
	delete_matching(rel, indexid, keys, objsubid != 0 ? 3 : 2);
}

/* Delete the edges whose source is relid [column attnum]. */
static void
delete_source_edges(Relation rel, Oid indexid, Oid relid, AttrNumber attnum)
{
	ScanKeyData keys[2];

	ScanKeyInit(&keys[0], Anum_edge_source_relid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_edge_source_attnum, BTEqualStrategyNumber,
				F_INT2EQ, Int16GetDatum(attnum));
	delete_matching(rel, indexid, keys, attnum != 0 ? 2 : 1);
}

/* Copy a List of LineageEdge pointers into a flat, growing array. */
static void
append_edges(List *list, LineageEdge **buf, int *n, int *cap)
{
	ListCell   *lc;

	foreach(lc, list)
	{
		if (*n >= *cap)
		{
			*cap = Max(*cap * 2, 256);
			*buf = *buf ? repalloc(*buf, sizeof(LineageEdge) * *cap)
				: palloc(sizeof(LineageEdge) * *cap);
		}
		(*buf)[(*n)++] = *(LineageEdge *) lfirst(lc);
	}
}

/*
 * lineage_store_refresh_relations
 *		Replace the stored edges whose dependent is one of these relations
 *		with freshly computed ones (none if the relation is not a tracked
 *		view).  Runs in the caller's transaction, so a rollback undoes it.
 */
void
lineage_store_refresh_relations(List *relids)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	CatalogIndexState indstate;
	MemoryContext cxt;
	MemoryContext oldcxt;
	ListCell   *lc;

	if (relids == NIL)
		return;
	require_catalog(&table, &source_index, &dependent_index);

	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"schemaguard lineage refresh",
								ALLOCSET_DEFAULT_SIZES);
	rel = table_open(table, RowExclusiveLock);
	indstate = CatalogOpenIndexes(rel);

	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		LineageEdge *buf = NULL;
		int			n = 0;
		int			cap = 0;

		oldcxt = MemoryContextSwitchTo(cxt);
		delete_dependent_edges(rel, dependent_index, RelationRelationId, relid, 0);
		if (view_lineage_tracked(relid))
			append_edges(view_lineage_edges(relid), &buf, &n, &cap);
		insert_edges(rel, indstate, buf, n);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cxt);
	}

	CatalogCloseIndexes(indstate);
	table_close(rel, NoLock);
	MemoryContextDelete(cxt);
}

/*
 * lineage_store_forget
 *		Delete every edge from or to a dropped relation (attnum 0) or column.
 */
void
lineage_store_forget(Oid relid, AttrNumber attnum)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;

	/* DROP EXTENSION schemaguard itself: nothing left to maintain */
	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return;

	rel = table_open(table, RowExclusiveLock);
	delete_source_edges(rel, source_index, relid, attnum);
	delete_dependent_edges(rel, dependent_index, RelationRelationId, relid, attnum);
	table_close(rel, NoLock);
}

/*
 * lineage_store_rebuild
 *		Forget every edge and recompute them for the whole database.  Returns
 *		the number of edges stored.
 *
 * The edge table is locked against concurrent upkeep first (upkeep takes
 * ROW EXCLUSIVE), and only then are the views listed, so a view committed
 * by a concurrent transaction is either seen here or written afterwards by
 * its own event trigger.  Each view is locked only while it is read, so a
 * database with many thousands of views does not exhaust the lock table.
 */
int64
lineage_store_rebuild(void)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	Relation	pg_class;
	CatalogIndexState indstate;
	TableScanDesc heapscan;
	SysScanDesc scan;
	Snapshot	snapshot;
	HeapTuple	tuple;
	List	   *relids = NIL;
	ListCell   *lc;
	MemoryContext viewcxt;
	MemoryContext oldcxt;
	int64		total = 0;

	require_catalog(&table, &source_index, &dependent_index);
	rel = table_open(table, ShareRowExclusiveLock);

	pg_class = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (form->relkind == RELKIND_VIEW || form->relkind == RELKIND_MATVIEW)
			relids = lappend_oid(relids, form->oid);
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);

	/* forget everything */
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	heapscan = table_beginscan(rel, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(heapscan, ForwardScanDirection)))
		CatalogTupleDelete(rel, &tuple->t_self);
	table_endscan(heapscan);
	UnregisterSnapshot(snapshot);

	indstate = CatalogOpenIndexes(rel);
	viewcxt = AllocSetContextCreate(CurrentMemoryContext,
									"schemaguard rebuild view",
									ALLOCSET_DEFAULT_SIZES);
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);

		CHECK_FOR_INTERRUPTS();
		LockRelationOid(relid, AccessShareLock);
		if (view_lineage_tracked(relid))
		{
			LineageEdge *buf = NULL;
			int			n = 0;
			int			cap = 0;

			oldcxt = MemoryContextSwitchTo(viewcxt);
			append_edges(view_lineage_edges(relid), &buf, &n, &cap);
			insert_edges(rel, indstate, buf, n);
			total += n;
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(viewcxt);
		}
		UnlockRelationOid(relid, AccessShareLock);
	}
	MemoryContextDelete(viewcxt);
	CatalogCloseIndexes(indstate);
	table_close(rel, NoLock);
	return total;
}

PG_FUNCTION_INFO_V1(schemaguard_rebuild);

/* rebuild() : recompute the whole lineage catalog; returns the edges stored. */
Datum
schemaguard_rebuild(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(lineage_store_rebuild());
}
