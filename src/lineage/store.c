/*-------------------------------------------------------------------------
 *
 * store.c
 *	  The lineage catalog, schemaguard.lineage_edge: replacing the edges of
 *	  some objects, forgetting dropped ones, and rebuilding every edge of
 *	  the database.
 *
 * Both upkeep and rebuild compute an object's edges with the same function
 * (object_lineage), so a rebuild from scratch stores exactly what
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
#include "access/relscan.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

/*
 * The OIDs of the extension's catalog tables and indexes, looked up once
 * and kept until a pg_class row with one of their names, or any schema,
 * changes (upkeep asks for them several times in every DDL command).  Only
 * a complete set is kept; while one is missing (the extension being
 * created or dropped) every call looks them up again.
 */
typedef struct CatalogOids
{
	bool		valid;
	Oid			namespace;
	Oid			oids[5];		/* in the order of catalog_names */
	uint32		hashes[5];		/* their RELNAMENSP hash values */
} CatalogOids;

static const char *const catalog_names[5] = {
	"lineage_edge", "lineage_edge_source_idx", "lineage_edge_dependent_idx",
	"unresolved_reference", "unresolved_reference_object_idx"
};

static CatalogOids catalog = {false};
static bool catalog_callbacks = false;
static uint64 catalog_generation = 0;	/* invalidations seen */

static void
forget_catalog_oids(Datum arg, int cacheid, uint32 hashvalue)
{
	for (int i = 0; i < lengthof(catalog.hashes); i++)
	{
		if (cacheid != RELNAMENSP || hashvalue == 0 || catalog.hashes[i] == hashvalue)
		{
			catalog.valid = false;
			catalog_generation++;
			return;
		}
	}
}

/* The catalog's OIDs as they are now (looked up at most once per change). */
static const CatalogOids *
catalog_oids(void)
{
	if (!catalog_callbacks)
	{
		CacheRegisterSyscacheCallback(RELNAMENSP, forget_catalog_oids, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACENAME, forget_catalog_oids, (Datum) 0);
		catalog_callbacks = true;
	}
	if (!catalog.valid)
	{
		uint64		generation = catalog_generation;
		bool		complete;

		catalog.namespace = get_namespace_oid(SCHEMAGUARD_SCHEMA, true);
		complete = OidIsValid(catalog.namespace);
		for (int i = 0; i < lengthof(catalog.oids); i++)
		{
			catalog.oids[i] = complete
				? get_relname_relid(catalog_names[i], catalog.namespace) : InvalidOid;
			catalog.hashes[i] = complete
				? GetSysCacheHashValue2(RELNAMENSP, CStringGetDatum(catalog_names[i]),
										ObjectIdGetDatum(catalog.namespace))
				: 0;
			complete &= OidIsValid(catalog.oids[i]);
		}
		/* kept unless an invalidation came while they were looked up */
		catalog.valid = complete && generation == catalog_generation;
	}
	return &catalog;
}

/*
 * lineage_catalog_oids
 *		OIDs of schemaguard.lineage_edge and of its two indexes.  Returns false
 *		(and InvalidOids) while the extension is being dropped.
 */
bool
lineage_catalog_oids(Oid *table, Oid *source_index, Oid *dependent_index)
{
	const CatalogOids *c = catalog_oids();

	*table = c->oids[0];
	*source_index = c->oids[1];
	*dependent_index = c->oids[2];
	return OidIsValid(*table) && OidIsValid(*source_index) &&
		OidIsValid(*dependent_index);
}

/* The error for a damaged catalog, saying how to repair it. */
static void
catalog_incomplete(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_TABLE),
			 errmsg("lineage catalog of schemaguard is incomplete"),
			 errdetail("%s is missing.", what),
			 errhint("Reinstall the extension with DROP EXTENSION schemaguard; CREATE EXTENSION schemaguard.")));
}

/* The edge table and its indexes, or that error. */
void
lineage_require_catalog(Oid *table, Oid *source_index, Oid *dependent_index)
{
	if (!lineage_catalog_oids(table, source_index, dependent_index))
		catalog_incomplete("Table schemaguard.lineage_edge or one of its indexes");
}

/* The table of unresolved references and its index, or that error. */
Oid
lineage_unresolved_table(Oid *index)
{
	const CatalogOids *c = catalog_oids();
	Oid			table = c->oids[3];

	if (!OidIsValid(c->namespace))
		(void) get_namespace_oid(SCHEMAGUARD_SCHEMA, false);	/* its error */
	*index = c->oids[4];
	if (!OidIsValid(table) || !OidIsValid(*index))
		catalog_incomplete("Table schemaguard.unresolved_reference or its index");
	return table;
}

/*
 * The table of unresolved references and its index on (classid, objid).
 * It is opened and closed together with the edge table by its callers.
 */
typedef struct UnresolvedTable
{
	Relation	rel;
	Oid			index;
	CatalogIndexState indstate;
} UnresolvedTable;

static void
open_unresolved(UnresolvedTable *ut, LOCKMODE lockmode)
{
	Oid			table = lineage_unresolved_table(&ut->index);

	ut->rel = table_open(table, lockmode);
	ut->indstate = CatalogOpenIndexes(ut->rel);
}

static void
close_unresolved(UnresolvedTable *ut)
{
	CatalogCloseIndexes(ut->indstate);
	table_close(ut->rel, NoLock);
}

static void
insert_unresolved(UnresolvedTable *ut, List *refs)
{
	ListCell   *lc;

	foreach(lc, refs)
	{
		UnresolvedRef *ref = (UnresolvedRef *) lfirst(lc);
		Datum		values[Natts_unresolved];
		bool		nulls[Natts_unresolved] = {false};
		HeapTuple	tuple;

		values[Anum_unresolved_classid - 1] = ObjectIdGetDatum(ref->object.classId);
		values[Anum_unresolved_objid - 1] = ObjectIdGetDatum(ref->object.objectId);
		values[Anum_unresolved_reference - 1] = CStringGetTextDatum(ref->reference);
		values[Anum_unresolved_reason - 1] = CStringGetTextDatum(ref->reason);
		tuple = heap_form_tuple(RelationGetDescr(ut->rel), values, nulls);
		CatalogTupleInsertWithInfo(ut->rel, tuple, ut->indstate);
		heap_freetuple(tuple);
	}
}

/*
 * Store n edges; the relation is open in RowExclusiveLock mode or stronger.
 * They go to the heap in batches (heap_multi_insert, as pg_depend's rows of
 * one object do: one WAL record per page, not per row), then to the indexes.
 */
static void
insert_edges(Relation rel, CatalogIndexState indstate, LineageEdge *edges, int n)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Datum		usage_text[LINEAGE_NUM_USAGES] = {0};
	/* a row is about 64 bytes: six OIDs and integers, a short text */
	int			max_slots = Min(n, MAX_CATALOG_MULTI_INSERT_BYTES / 64);
	TupleTableSlot **slots;
	int			nslots = 0;
	int			i;

	if (n <= 0)
		return;
	slots = palloc(sizeof(TupleTableSlot *) * max_slots);
	for (i = 0; i < max_slots; i++)
		slots[i] = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	for (i = 0; i < n; i++)
	{
		TupleTableSlot *slot = slots[nslots];
		Datum	   *values = slot->tts_values;

		if (usage_text[edges[i].usage] == (Datum) 0)
			usage_text[edges[i].usage] =
				CStringGetTextDatum(lineage_usage_names[edges[i].usage]);

		ExecClearTuple(slot);
		memset(slot->tts_isnull, false, sizeof(bool) * desc->natts);
		values[Anum_edge_source_classid - 1] = ObjectIdGetDatum(edges[i].source.classId);
		values[Anum_edge_source_objid - 1] = ObjectIdGetDatum(edges[i].source.objectId);
		values[Anum_edge_source_objsubid - 1] = Int32GetDatum(edges[i].source.objectSubId);
		values[Anum_edge_dependent_classid - 1] = ObjectIdGetDatum(edges[i].dependent.classId);
		values[Anum_edge_dependent_objid - 1] = ObjectIdGetDatum(edges[i].dependent.objectId);
		values[Anum_edge_dependent_objsubid - 1] = Int32GetDatum(edges[i].dependent.objectSubId);
		values[Anum_edge_usage - 1] = usage_text[edges[i].usage];
		ExecStoreVirtualTuple(slot);
		if (++nslots == max_slots)
		{
			CatalogTuplesMultiInsertWithInfo(rel, slots, nslots, indstate);
			nslots = 0;
		}
	}
	if (nslots > 0)
		CatalogTuplesMultiInsertWithInfo(rel, slots, nslots, indstate);
	for (i = 0; i < max_slots; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	pfree(slots);
}

/* The object at one end of a stored edge, as a whole (objectSubId 0). */
static ObjectAddress
edge_end(HeapTuple tuple, TupleDesc desc, bool source)
{
	ObjectAddress end;
	bool		isnull;

	end.classId = DatumGetObjectId(heap_getattr(tuple, source ? Anum_edge_source_classid
												: Anum_edge_dependent_classid,
												desc, &isnull));
	end.objectId = DatumGetObjectId(heap_getattr(tuple, source ? Anum_edge_source_objid
												 : Anum_edge_dependent_objid,
												 desc, &isnull));
	end.objectSubId = 0;
	return end;
}

/*
 * The six fixed-width columns that open an edge row, as they lie in it (all
 * NOT NULL, four bytes wide and aligned: no padding between them).
 */
typedef struct EdgeRowHead
{
	Oid			source_classid;
	Oid			source_objid;
	int32		source_objsubid;
	Oid			dependent_classid;
	Oid			dependent_objid;
	int32		dependent_objsubid;
} EdgeRowHead;

/* A stored edge row as a LineageEdge (zeroed first: compared as bytes). */
static bool
edge_of_tuple(HeapTuple tuple, TupleDesc desc, LineageEdge *edge)
{
	Datum		values[Natts_lineage_edge];
	bool		nulls[Natts_lineage_edge];
	int			usage;

	memset(edge, 0, sizeof(LineageEdge));
	if (!HeapTupleHasNulls(tuple) && desc->natts == Natts_lineage_edge)
	{
		/* the row as it always is: read in place, the text by its offset */
		EdgeRowHead *head = (EdgeRowHead *) GETSTRUCT(tuple);
		bool		isnull;

		edge->source.classId = head->source_classid;
		edge->source.objectId = head->source_objid;
		edge->source.objectSubId = head->source_objsubid;
		edge->dependent.classId = head->dependent_classid;
		edge->dependent.objectId = head->dependent_objid;
		edge->dependent.objectSubId = head->dependent_objsubid;
		usage = lineage_usage_of(fastgetattr(tuple, Anum_edge_usage, desc, &isnull));
	}
	else
	{
		heap_deform_tuple(tuple, desc, values, nulls);
		usage = lineage_usage_of(values[Anum_edge_usage - 1]);
		edge->source.classId = DatumGetObjectId(values[Anum_edge_source_classid - 1]);
		edge->source.objectId = DatumGetObjectId(values[Anum_edge_source_objid - 1]);
		edge->source.objectSubId = DatumGetInt32(values[Anum_edge_source_objsubid - 1]);
		edge->dependent.classId = DatumGetObjectId(values[Anum_edge_dependent_classid - 1]);
		edge->dependent.objectId = DatumGetObjectId(values[Anum_edge_dependent_objid - 1]);
		edge->dependent.objectSubId = DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]);
	}
	edge->usage = (LineageUsage) Max(usage, 0);
	return usage >= 0;
}

static int
edge_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(LineageEdge));
}

/*
 * Delete a row of our catalogs found under a snapshot, never waiting for a
 * transaction that is deleting it too: TM_BeingModified says so
 * (simple_heap_delete without its error, and without its wait).
 */
static TM_Result
delete_row(Relation rel, ItemPointer tid)
{
	TM_FailureData tmfd;

	return heap_delete(rel, tid, GetCurrentCommandId(true), InvalidSnapshot,
					   false, &tmfd, false);
}

/* What delete_matching met besides the rows it deleted. */
#define DELETE_CONCURRENT	0x01	/* rows another transaction deleted, committed */
#define DELETE_BUSY			0x02	/* rows another transaction is deleting now */

/* Add the object to a list of functions, if it is one and is not there. */
static List *
add_function(List *functions, const ObjectAddress *object)
{
	ListCell   *lc;
	ObjectAddress *f;

	if (object->classId != ProcedureRelationId)
		return functions;
	foreach(lc, functions)
	{
		if (((ObjectAddress *) lfirst(lc))->objectId == object->objectId)
			return functions;
	}
	f = palloc(sizeof(ObjectAddress));
	*f = *object;
	return lappend(functions, f);
}

/*
 * delete_matching
 *		Delete the rows an index scan with these keys finds.  A fresh MVCC
 *		snapshot sees what earlier commands of this transaction stored; the
 *		deletions are made visible at once, because one DROP can reach the
 *		same edge twice (from a view and from the view built on it).  If
 *		busy is not NULL, the rows another transaction is deleting now are
 *		appended to it (ObjectAddress of the edge's dependent end).  If
 *		readers is not NULL, the functions at the dependent end of the rows
 *		found are added to it, each once (add_function).
 *
 * Nothing here waits.  A row another transaction deleted and committed
 * since our snapshot (two sessions each creating a table that one function
 * names) is gone: that is not an error -- the user's DDL must not fail for
 * our bookkeeping --, and DELETE_CONCURRENT tells the caller to work again
 * from what the other transaction committed.  A row another transaction is
 * deleting now (DELETE_BUSY) is left to it: if it rolls back, the row stays,
 * and the caller has its owner analyzed again later (store.c's markers).
 */
static int
delete_matching(Relation rel, Oid indexid, ScanKey keys, int nkeys, List **busy,
				List **readers)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		deleted = false;
	int			met = 0;

	scan = systable_beginscan(rel, indexid, true, snapshot, nkeys, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TM_Result	result;

		if (readers != NULL)
		{
			ObjectAddress end = edge_end(tuple, RelationGetDescr(rel), false);

			*readers = add_function(*readers, &end);
		}
		result = delete_row(rel, &tuple->t_self);
		switch (result)
		{
			case TM_Ok:
				deleted = true;
				break;
			case TM_SelfModified:
				break;			/* this command deleted it already */
			case TM_Updated:
			case TM_Deleted:
				met |= DELETE_CONCURRENT;	/* by a transaction that has committed */
				break;
			case TM_BeingModified:
				met |= DELETE_BUSY;
				if (busy != NULL)
				{
					ObjectAddress *end = palloc(sizeof(ObjectAddress));

					*end = edge_end(tuple, RelationGetDescr(rel), false);
					*busy = lappend(*busy, end);
				}
				break;
			default:
				elog(ERROR, "unexpected heap_delete status %u on a schemaguard catalog",
					 (unsigned) result);
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	if (deleted || met)
		CommandCounterIncrement();
	return met;
}

/*
 * delete_edges
 *		Delete the edges whose source (from_source) or dependent is this
 *		object; objectSubId 0 means every sub-object (all columns) too.
 */
static int
delete_edges(Relation rel, Oid indexid, const ObjectAddress *object,
			 bool from_source, List **busy, List **readers)
{
	ScanKeyData keys[3];

	ScanKeyInit(&keys[0], from_source ? Anum_edge_source_classid : Anum_edge_dependent_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(object->classId));
	ScanKeyInit(&keys[1], from_source ? Anum_edge_source_objid : Anum_edge_dependent_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(object->objectId));
	ScanKeyInit(&keys[2], from_source ? Anum_edge_source_objsubid : Anum_edge_dependent_objsubid,
				BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(object->objectSubId));
	return delete_matching(rel, indexid, keys, object->objectSubId != 0 ? 3 : 2, busy,
						   readers);
}

/* Delete the unresolved references of an object. */
static int
delete_unresolved(UnresolvedTable *ut, const ObjectAddress *object)
{
	ScanKeyData keys[2];

	ScanKeyInit(&keys[0], Anum_unresolved_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->classId));
	ScanKeyInit(&keys[1], Anum_unresolved_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->objectId));
	return delete_matching(ut->rel, ut->index, keys, 2, NULL, NULL);
}

/*
 * sync_edges
 *		Make the stored edges of one dependent (with objectSubId 0: of all
 *		its columns too) those of "edges" (n, sorted with edge_cmp, each
 *		once) that belong to it: a row that is one of them is kept and its
 *		kept[] set, any other is deleted, as delete_matching() deletes them.
 *		The caller inserts the edges not kept.  A refresh that changes
 *		nothing (CREATE OR REPLACE VIEW with the same query) writes nothing.
 */
static int
sync_edges(Relation rel, Oid indexid, const ObjectAddress *object,
		   LineageEdge *edges, int n, bool *kept)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		deleted = false;
	int			met = 0;

	ScanKeyInit(&keys[0], Anum_edge_dependent_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->classId));
	ScanKeyInit(&keys[1], Anum_edge_dependent_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(object->objectId));
	scan = systable_beginscan(rel, indexid, true, snapshot, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		LineageEdge edge;
		LineageEdge *match = NULL;

		if (edge_of_tuple(tuple, RelationGetDescr(rel), &edge))
			match = bsearch(&edge, edges, n, sizeof(LineageEdge), edge_cmp);
		if (match != NULL && !kept[match - edges])
		{
			kept[match - edges] = true;
			continue;
		}
		switch (delete_row(rel, &tuple->t_self))
		{
			case TM_Ok:
				deleted = true;
				break;
			case TM_SelfModified:
				break;
			case TM_Updated:
			case TM_Deleted:
				met |= DELETE_CONCURRENT;
				break;
			case TM_BeingModified:
				met |= DELETE_BUSY;
				break;
			default:
				elog(ERROR, "unexpected heap_delete status on a schemaguard catalog");
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	if (deleted || met)
		CommandCounterIncrement();
	return met;
}

/* Does the object exist (a row of its catalog with its OID)? */
static bool
object_exists(const ObjectAddress *object)
{
	Relation	catalog;
	bool		found;

	/* the common ones from the caches */
	if (object->classId == RelationRelationId)
		return SearchSysCacheExists1(RELOID, ObjectIdGetDatum(object->objectId));
	if (object->classId == ProcedureRelationId)
		return SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(object->objectId));
	if (object->classId == ConstraintRelationId)
		return SearchSysCacheExists1(CONSTROID, ObjectIdGetDatum(object->objectId));
	/* pg_attrdef and the like have no entry in objectaddress.c's table */
	if (!is_objectclass_supported(object->classId))
		return getObjectDescription(object, true) != NULL;
	catalog = table_open(object->classId, AccessShareLock);
	found = get_catalog_object_by_oid(catalog, get_object_attnum_oid(object->classId),
									  object->objectId) != NULL;
	table_close(catalog, AccessShareLock);
	return found;
}

/*
 * lineage_store_forget_vanished
 *		Delete the edges from a table's columns to objects that no longer
 *		exist, and the other edges to those objects (from the functions an
 *		index expression, a CHECK or a statistics object calls).  ALTER
 *		COLUMN TYPE rebuilds the indexes, constraints, defaults and
 *		statistics objects on the column under new OIDs, and drops the old
 *		ones internally, which no sql_drop event reports.
 */
void
lineage_store_forget_vanished(Oid relid)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	Snapshot	snapshot;
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		deleted = false;
	List	   *vanished = NIL;
	ListCell   *lc;

	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return;
	rel = table_open(table, RowExclusiveLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyInit(&keys[0], Anum_edge_source_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&keys[1], Anum_edge_source_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, source_index, true, snapshot, 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		ObjectAddress dependent = edge_end(tuple, RelationGetDescr(rel), false);

		if (object_exists(&dependent))
			continue;
		/* one deleted concurrently is gone all the same */
		if (delete_row(rel, &tuple->t_self) == TM_Ok)
			deleted = true;
		foreach(lc, vanished)
		{
			ObjectAddress *v = (ObjectAddress *) lfirst(lc);

			if (v->classId == dependent.classId && v->objectId == dependent.objectId)
				break;
		}
		if (lc == NULL)
		{
			ObjectAddress *v = palloc(sizeof(ObjectAddress));

			ObjectAddressSet(*v, dependent.classId, dependent.objectId);
			vanished = lappend(vanished, v);
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, NoLock);
	if (deleted)
		CommandCounterIncrement();
	foreach(lc, vanished)
		lineage_store_forget((ObjectAddress *) lfirst(lc), NULL, true);
	list_free_deep(vanished);
}

/*
 * lineage_store_forget_vanished_class
 *		Delete the edges and unresolved references of objects of one catalog
 *		(pg_trigger) that no longer exist.  DETACH PARTITION drops the
 *		triggers it had cloned onto the partition internally, unreported;
 *		their edges include calls of their function, which no column of the
 *		partition leads to.
 */
void
lineage_store_forget_vanished_class(Oid classid)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	Snapshot	snapshot;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	UnresolvedTable ut;
	List	   *gone = NIL;
	ListCell   *lc;

	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return;
	rel = table_open(table, RowExclusiveLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ScanKeyInit(&key, Anum_edge_dependent_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	scan = systable_beginscan(rel, dependent_index, true, snapshot, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		ObjectAddress dependent = edge_end(tuple, RelationGetDescr(rel), false);

		if (object_exists(&dependent))
			continue;
		(void) delete_row(rel, &tuple->t_self);
		if (!list_member_oid(gone, dependent.objectId))
			gone = lappend_oid(gone, dependent.objectId);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	open_unresolved(&ut, RowExclusiveLock);
	foreach(lc, gone)
	{
		ObjectAddress object;

		ObjectAddressSet(object, classid, lfirst_oid(lc));
		(void) delete_unresolved(&ut, &object);
	}
	close_unresolved(&ut);
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
 * Deferred analysis
 *
 * Upkeep never waits for another transaction.  When part of an object
 * could not be analyzed now -- a relation it names is locked by another
 * transaction (names.c), another transaction is updating the object's own
 * lineage rows, or deleting some of them -- a marker is stored with its
 * unresolved references: reason "could not analyze now: ...".  Objects with
 * a marker are analyzed again before this transaction commits (the
 * XactCallback below, if what held them is gone by then), and by the next
 * command that changes lineage in any session (ddl_events.c), and by
 * rebuild().  Until then unresolved_references() shows the marker.
 */

/* The transaction that did lineage upkeep (it finishes at commit). */
static LocalTransactionId upkeep_lxid = InvalidLocalTransactionId;
static bool callback_registered = false;

static void lineage_xact_callback(XactEvent event, void *arg);

static void
upkeep_done(void)
{
	if (!callback_registered)
	{
		RegisterXactCallback(lineage_xact_callback, NULL);
		callback_registered = true;
	}
	upkeep_lxid = MyProc->lxid;
}

/* Store a marker: this object could not be analyzed now. */
static void
insert_marker(UnresolvedTable *ut, const ObjectAddress *object, const char *why)
{
	UnresolvedRef ref;

	ref.object = *object;
	ref.object.objectSubId = 0;
	ref.reference = "(lineage)";
	ref.reason = psprintf("%s%s", LINEAGE_DEFERRED_PREFIX, why);
	ref.deferred = true;
	insert_unresolved(ut, list_make1(&ref));
}

/*
 * Was the catalog row of this object inserted by this transaction (a new
 * object, which no other transaction can see, so whose lineage no other
 * transaction updates)?
 */
static bool
created_here(const ObjectAddress *object)
{
	HeapTuple	tuple;
	bool		mine;

	if (object->classId == RelationRelationId)
	{
		/* the relcache knows; its pg_class row is updated as it is built */
		Relation	rel = RelationIdGetRelation(object->objectId);

		if (!RelationIsValid(rel))
			return false;
		mine = rel->rd_createSubid != InvalidSubTransactionId;
		RelationClose(rel);
		return mine;
	}
	if (object->classId == ProcedureRelationId)
		tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(object->objectId));
	else
		return false;
	if (!HeapTupleIsValid(tuple))
		return false;
	/* inserted here, not a new version of a row others see */
	mine = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)) &&
		!(tuple->t_data->t_infomask & HEAP_UPDATED);
	ReleaseSysCache(tuple);
	return mine;
}

/*
 * lock_lineage_of
 *		Lock an object's lineage rows for this transaction, if no other
 *		transaction holds them: two transactions updating the lineage of the
 *		same object would otherwise meet on its rows, one waiting for the
 *		other.  An object new in this transaction needs no lock (and a
 *		transaction creating thousands takes none).  The lock is on the
 *		object, with the edge table as its class: it shows in pg_locks as
 *		an object lock of classid schemaguard.lineage_edge.
 */
static bool
lock_lineage_of(Oid table, const ObjectAddress *object)
{
	LOCKTAG		tag;

	if (created_here(object))
		return true;
	SET_LOCKTAG_OBJECT(tag, MyDatabaseId, table, object->objectId,
					   (uint16) object->classId);
	if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
		return false;
	/* what the transaction that held it committed */
	AcceptInvalidationMessages();
	return true;
}

/*
 * drop_temporary_sources
 *		Lineage is never bound to a temporary relation: it is this session's
 *		alone and vanishes without an event.  A body that reads one (a
 *		function creating and dropping a temporary table while a table of
 *		that name exists) keeps the name as an unresolved reference instead,
 *		which a permanent table of that name resolves when it appears.
 */
static List *
drop_temporary_sources(List *edges, List **unresolved)
{
	ListCell   *lc;
	Oid			last = InvalidOid;	/* an object's edges come by relation */
	bool		last_temporary = false;

	foreach(lc, edges)
	{
		LineageEdge *edge = (LineageEdge *) lfirst(lc);
		char	   *name;
		UnresolvedRef *ref;
		ListCell   *lu;
		bool		known = false;

		if (edge->source.classId != RelationRelationId)
			continue;
		if (edge->source.objectId != last)
		{
			last = edge->source.objectId;
			last_temporary = get_rel_persistence(last) == RELPERSISTENCE_TEMP;
		}
		if (!last_temporary)
			continue;
		name = get_rel_name(edge->source.objectId);
		ref = palloc0(sizeof(UnresolvedRef));
		ObjectAddressSet(ref->object, edge->dependent.classId, edge->dependent.objectId);
		ref->reference = name;
		ref->reason = psprintf(LINEAGE_TEMPORARY_REASON, name);
		foreach(lu, *unresolved)
		{
			UnresolvedRef *other = (UnresolvedRef *) lfirst(lu);

			if (other->object.objectId == ref->object.objectId &&
				strcmp(other->reference, name) == 0)
				known = true;
		}
		if (!known)
			*unresolved = lappend(*unresolved, ref);
		edges = foreach_delete_current(edges, lc);
	}
	return edges;
}

/*
 * refresh_one
 *		Replace the stored edges of every dependent an object owns with
 *		freshly computed ones (a relation or a function: refreshed_objects()
 *		maps the others to their owner).  If another
 *		transaction is updating the object's lineage, nothing is changed and
 *		a marker says so.  If a transaction deleted some of its rows and
 *		committed meanwhile (delete_matching), it has committed catalog
 *		changes this one did not see when it computed the edges: they are
 *		computed again, with those changes.
 */
static void
refresh_one(Relation rel, CatalogIndexState indstate, Oid dependent_index,
			UnresolvedTable *ut, const ObjectAddress *given, MemoryContext cxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	ObjectAddress object = *given;
	List	   *owned;
	List	   *unresolved;
	List	   *edges;
	LineageEdge *buf = NULL;
	bool	   *kept;
	int			n = 0;
	int			cap = 0;
	int			fresh;
	int			i;
	ListCell   *lc;
	int			met;

	if (OidIsValid(object.objectId))
	{
		if (!lock_lineage_of(RelationGetRelid(rel), &object))
			insert_marker(ut, &object, "its lineage is being updated by another transaction");
		else
		{
			do
			{
				owned = NIL;
				unresolved = NIL;
				edges = drop_temporary_sources(object_lineage(&object, &owned, &unresolved),
											   &unresolved);
				n = 0;
				append_edges(edges, &buf, &n, &cap);
				qsort(buf, n, sizeof(LineageEdge), edge_cmp);
				kept = palloc0(sizeof(bool) * Max(n, 1));
				met = 0;
				foreach(lc, owned)
				{
					met |= sync_edges(rel, dependent_index, (ObjectAddress *) lfirst(lc),
									  buf, n, kept);
					met |= delete_unresolved(ut, (ObjectAddress *) lfirst(lc));
				}
				/* what the other transaction committed, names it created included */
				if (met & DELETE_CONCURRENT)
					AcceptInvalidationMessages();
			} while (met & DELETE_CONCURRENT);
			/* the edges not stored already */
			for (i = 0, fresh = 0; i < n; i++)
			{
				if (!kept[i])
					buf[fresh++] = buf[i];
			}
			insert_edges(rel, indstate, buf, fresh);
			insert_unresolved(ut, unresolved);
			/* rows another transaction is deleting: look again later */
			if (met & DELETE_BUSY)
				insert_marker(ut, &object, "some of its lineage is being deleted by another transaction");
		}
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(cxt);
}

/* Add an object (as a whole) to the list of those refreshed, once. */
static List *
add_refreshed(List *result, ObjectAddress object)
{
	ListCell   *rc;
	ObjectAddress *copy;

	if (!OidIsValid(object.objectId))
		return result;
	foreach(rc, result)
	{
		ObjectAddress *o = (ObjectAddress *) lfirst(rc);

		if (o->classId == object.classId && o->objectId == object.objectId)
			return result;
	}
	copy = palloc(sizeof(ObjectAddress));
	*copy = object;
	copy->objectSubId = 0;
	return lappend(result, copy);
}

/*
 * refreshed_objects
 *		The objects whose lineage is computed for these: each once, a catalog
 *		entry with unresolved references of its own (a trigger) as its
 *		owner -- and a trigger's function too: the function's own edges (the
 *		functions it calls) come from reading it with the trigger's NEW and
 *		OLD, so what resolves a trigger's reference (the function it calls,
 *		created since) changes them as well.  (An object refreshed twice in
 *		one command would not see its first refresh's rows, and keep both.)
 */
static List *
refreshed_objects(List *objects)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, objects)
	{
		ObjectAddress object = *(ObjectAddress *) lfirst(lc);

		if (object.classId == TriggerRelationId)
		{
			ObjectAddress function;

			ObjectAddressSet(function, ProcedureRelationId,
							 lineage_trigger_function(&object));
			if (OidIsValid(function.objectId) && lineage_function_tracked(function.objectId))
				result = add_refreshed(result, function);
		}
		if (object.classId != RelationRelationId && object.classId != ProcedureRelationId)
			object = lineage_owner(&object);
		result = add_refreshed(result, object);
	}
	return result;
}

/*
 * lineage_store_refresh
 *		Recompute the edges of these objects (ObjectAddress pointers: views,
 *		tables, functions, ...).  Runs in the caller's transaction, so a
 *		rollback undoes it.
 */
void
lineage_store_refresh(List *objects)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	CatalogIndexState indstate;
	UnresolvedTable ut;
	MemoryContext cxt;
	ListCell   *lc;

	if (objects == NIL)
		return;
	lineage_require_catalog(&table, &source_index, &dependent_index);
	upkeep_done();

	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"schemaguard lineage refresh",
								ALLOCSET_DEFAULT_SIZES);
	rel = table_open(table, RowExclusiveLock);
	indstate = CatalogOpenIndexes(rel);
	open_unresolved(&ut, RowExclusiveLock);
	foreach(lc, refreshed_objects(objects))
		refresh_one(rel, indstate, dependent_index, &ut,
					(ObjectAddress *) lfirst(lc), cxt);
	close_unresolved(&ut);
	CatalogCloseIndexes(indstate);
	table_close(rel, NoLock);
	MemoryContextDelete(cxt);
}

/*
 * lineage_deferred_objects
 *		The objects with a marker (see above), each once: what could not be
 *		analyzed before, and is tried again now.  If any is not NULL, it is
 *		set to whether there is any unresolved reference at all (read in
 *		the same scan).
 */
List *
lineage_deferred_objects(bool *any)
{
	UnresolvedTable ut;
	TableScanDesc scan;
	HeapTuple	tuple;
	List	   *objects = NIL;
	size_t		prefix = strlen(LINEAGE_DEFERRED_PREFIX);
	Oid			index;
	Relation	rel = table_open(lineage_unresolved_table(&index), AccessShareLock);
	Snapshot	snapshot;

	if (any != NULL)
		*any = false;
	/* most of the time it has never held a row: nothing to read */
	if (RelationGetNumberOfBlocks(rel) == 0)
	{
		table_close(rel, AccessShareLock);
		return NIL;
	}
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	ut.rel = rel;
	scan = table_beginscan(ut.rel, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		bool		isnull;
		text	   *reason;
		ObjectAddress object;
		ListCell   *lc;
		bool		seen = false;

		if (any != NULL)
			*any = true;
		reason = DatumGetTextPP(heap_getattr(tuple, Anum_unresolved_reason,
											 RelationGetDescr(ut.rel), &isnull));
		if (VARSIZE_ANY_EXHDR(reason) < prefix ||
			memcmp(VARDATA_ANY(reason), LINEAGE_DEFERRED_PREFIX, prefix) != 0)
			continue;
		ObjectAddressSet(object,
						 DatumGetObjectId(heap_getattr(tuple, Anum_unresolved_classid,
													   RelationGetDescr(ut.rel), &isnull)),
						 DatumGetObjectId(heap_getattr(tuple, Anum_unresolved_objid,
													   RelationGetDescr(ut.rel), &isnull)));
		foreach(lc, objects)
		{
			ObjectAddress *o = (ObjectAddress *) lfirst(lc);

			seen |= (o->classId == object.classId && o->objectId == object.objectId);
		}
		if (!seen)
		{
			ObjectAddress *copy = palloc(sizeof(ObjectAddress));

			*copy = object;
			objects = lappend(objects, copy);
		}
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(ut.rel, AccessShareLock);
	return objects;
}

/*
 * lineage_xact_callback
 *		Before a transaction that did lineage upkeep commits (or prepares),
 *		analyze again what it could not analyze then, and what other
 *		transactions could not analyze because this one held it and have
 *		committed since: the locks are gone now unless a third transaction
 *		holds them.  Like a deferred trigger, it runs in the transaction.
 */
static void
lineage_xact_callback(XactEvent event, void *arg)
{
	Oid			table,
				source_index,
				dependent_index;
	List	   *objects;

	if ((event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE) ||
		upkeep_lxid != MyProc->lxid)
		return;
	upkeep_lxid = InvalidLocalTransactionId;
	/* the extension dropped in this transaction: nothing to maintain */
	if (!lineage_catalog_oids(&table, &source_index, &dependent_index) ||
		!OidIsValid(catalog_oids()->oids[3]))
		return;
	/* this transaction's own markers too */
	CommandCounterIncrement();
	objects = lineage_deferred_objects(NULL);
	/* mostly none: then no snapshot for the analysis either */
	if (objects != NIL)
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		lineage_store_refresh(objects);
		PopActiveSnapshot();
	}
	upkeep_lxid = InvalidLocalTransactionId;
}

/*
 * lineage_store_forget
 *		Delete every edge from or to a dropped object (with objectSubId 0, a
 *		relation and all its columns) or a dropped column; the edges to it
 *		only if as_dependent (the caller knows when there can be none).  If readers is
 *		not NULL, the functions that read the object (the dependent ends of
 *		the edges from it that are deleted, as lineage_functions_reading()
 *		would have found them before) are added to it, each once: the same
 *		index scan finds and deletes them.
 */
void
lineage_store_forget(const ObjectAddress *object, List **readers, bool as_dependent)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	List	   *busy = NIL;

	/* DROP EXTENSION schemaguard itself: nothing left to maintain */
	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return;
	upkeep_done();

	/* again while another transaction's rows turn up (delete_matching) */
	rel = table_open(table, RowExclusiveLock);
	while (delete_edges(rel, source_index, object, true, &busy, readers) &
		   DELETE_CONCURRENT)
		;
	while (as_dependent &&
		   (delete_edges(rel, dependent_index, object, false, NULL, NULL) &
			DELETE_CONCURRENT))
		;
	table_close(rel, NoLock);
	if (object->objectSubId == 0 || busy != NIL)
	{
		UnresolvedTable ut;
		ListCell   *lc;

		open_unresolved(&ut, RowExclusiveLock);
		while (object->objectSubId == 0 &&
			   (delete_unresolved(&ut, object) & DELETE_CONCURRENT))
			;
		/* edges another transaction is deleting: their owners, later */
		foreach(lc, busy)
			insert_marker(&ut, (ObjectAddress *) lfirst(lc),
						  "some of its lineage is being deleted by another transaction");
		close_unresolved(&ut);
	}
}

static List *functions_linked(const ObjectAddress *object, bool called_by);

/*
 * lineage_functions_reading
 *		The functions with an edge from this object (any of its columns),
 *		each once: what a rename or drop of it may break.  With called_by, the other
 *		way round: the functions this object calls (a trigger's function,
 *		whose NEW and OLD lose their table when the trigger goes).
 */
List *
lineage_functions_reading(const ObjectAddress *object)
{
	return functions_linked(object, false);
}

List *
lineage_functions_called_by(const ObjectAddress *object)
{
	return functions_linked(object, true);
}

static List *
functions_linked(const ObjectAddress *object, bool called_by)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	Snapshot	snapshot;
	List	   *functions = NIL;

	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return NIL;
	rel = table_open(table, AccessShareLock);
	ScanKeyInit(&keys[0], called_by ? Anum_edge_dependent_classid : Anum_edge_source_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(object->classId));
	ScanKeyInit(&keys[1], called_by ? Anum_edge_dependent_objid : Anum_edge_source_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(object->objectId));
	ScanKeyInit(&keys[2], called_by ? Anum_edge_dependent_objsubid : Anum_edge_source_objsubid,
				BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(object->objectSubId));
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	/* a column: what reads that column; an object: what reads any part */
	scan = systable_beginscan(rel, called_by ? dependent_index : source_index,
							  true, snapshot, object->objectSubId != 0 ? 3 : 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		ObjectAddress other = edge_end(tuple, RelationGetDescr(rel), called_by);

		/* each function once, however many of the columns it reads */
		functions = add_function(functions, &other);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return functions;
}

/*
 * lineage_functions_maybe_reading
 *		The functions lineage_edge_source_idx lists at the dependent end of
 *		an edge from this object (any of its columns), each once, read from
 *		the index entries' INCLUDE columns without visiting the edge rows:
 *		every entry the index holds, so those of edges deleted since the
 *		last VACUUM or not committed yet too.  A superset of
 *		lineage_functions_reading()'s answer, for a caller that looks at
 *		each function's catalog row next (one not visible to it is gone, or
 *		another transaction's) and at worst analyzes again a function that
 *		read the object before: its edges come out as they are.  One index
 *		descent instead of a heap visit per edge (the edges of a function
 *		reading ten columns of a table are ten).  A catalog whose index has
 *		no INCLUDE columns (made before 0.3.0's) is read as
 *		lineage_functions_reading() does.
 */
List *
lineage_functions_maybe_reading(const ObjectAddress *object)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	Relation	irel;
	ScanKeyData keys[3];
	IndexScanDesc scan;
	Snapshot	snapshot;
	int			nkeys = object->objectSubId != 0 ? 3 : 2;
	List	   *functions = NIL;

	if (!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return NIL;
	rel = table_open(table, AccessShareLock);
	irel = index_open(source_index, AccessShareLock);
	if (IndexRelationGetNumberOfKeyAttributes(irel) != 3 ||
		IndexRelationGetNumberOfAttributes(irel) != 5)
	{
		index_close(irel, AccessShareLock);
		table_close(rel, AccessShareLock);
		return functions_linked(object, false);
	}
	/* the index's own column numbers: its keys are the source's three */
	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(object->classId));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(object->objectId));
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_INT4EQ,
				Int32GetDatum(object->objectSubId));
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = index_beginscan(rel, irel, snapshot, nkeys, 0);
	scan->xs_want_itup = true;	/* before the rescan, as nodeIndexonlyscan.c */
	index_rescan(scan, keys, nkeys, NULL, 0);
	while (index_getnext_tid(scan, ForwardScanDirection) != NULL)
	{
		ObjectAddress other;
		bool		isnull;

		other.classId = DatumGetObjectId(index_getattr(scan->xs_itup, 4,
													   scan->xs_itupdesc, &isnull));
		other.objectId = DatumGetObjectId(index_getattr(scan->xs_itup, 5,
														scan->xs_itupdesc, &isnull));
		other.objectSubId = 0;
		functions = add_function(functions, &other);
	}
	index_endscan(scan);
	UnregisterSnapshot(snapshot);
	index_close(irel, AccessShareLock);
	table_close(rel, AccessShareLock);
	return functions;
}

/*
 * lineage_dependents
 *		The objects with an edge from this source: from that column, or with
 *		objectSubId 0 from the object as a whole and any of its columns.
 *		Each dependent once, as an object (objectSubId 0), in no particular
 *		order, objects that no longer exist left out.  What the DDL guard
 *		shows before a drop or rename.
 */
List *
lineage_dependents(const ObjectAddress *source)
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
	(void) lineage_ensure_current();	/* after pg_upgrade */
	rel = table_open(table, AccessShareLock);
	ScanKeyInit(&keys[0], Anum_edge_source_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(source->classId));
	ScanKeyInit(&keys[1], Anum_edge_source_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(source->objectId));
	ScanKeyInit(&keys[2], Anum_edge_source_objsubid, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum(source->objectSubId));
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(rel, source_index, true, snapshot,
							  source->objectSubId != 0 ? 3 : 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		ObjectAddress dependent = edge_end(tuple, RelationGetDescr(rel), false);
		ListCell   *lc;
		bool		seen = false;

		foreach(lc, result)
		{
			ObjectAddress *known = lfirst(lc);

			if (known->classId == dependent.classId &&
				known->objectId == dependent.objectId)
			{
				seen = true;
				break;
			}
		}
		/* an edge left by an object that no longer exists names nothing */
		if (!seen && object_exists(&dependent))
		{
			ObjectAddress *copy = palloc(sizeof(ObjectAddress));

			*copy = dependent;
			result = lappend(result, copy);
		}
	}
	systable_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * lineage_has_unresolved
 *		Is there any unresolved reference at all?  (Most databases have
 *		none: then a new name needs no look-up.)
 */
bool
lineage_has_unresolved(void)
{
	UnresolvedTable ut;
	TableScanDesc scan;
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	bool		any;

	open_unresolved(&ut, AccessShareLock);
	scan = table_beginscan(ut.rel, snapshot, 0, NULL);
	any = HeapTupleIsValid(heap_getnext(scan, ForwardScanDirection));
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	CatalogCloseIndexes(ut.indstate);
	table_close(ut.rel, AccessShareLock);
	return any;
}

/*
 * Could this unresolved reference be one of these names?  Any of its dotted
 * parts may be (schema.table, table, column, function(args)).
 */
static bool
reference_matches(const char *reference, List *names)
{
	char	   *copy = pstrdup(reference);
	char	   *part;
	char	   *save = NULL;

	for (part = strtok_r(copy, ".", &save); part; part = strtok_r(NULL, ".", &save))
	{
		char	   *paren = strchr(part, '(');
		ListCell   *lc;

		if (paren)
			*paren = '\0';
		foreach(lc, names)
		{
			if (strcmp(part, strVal(lfirst(lc))) == 0)
				return true;
		}
	}
	return false;
}

/*
 * lineage_unresolved_objects
 *		The objects with an unresolved reference that could be one of these
 *		names (String nodes): what a new or renamed table, column, function
 *		or schema may resolve.
 */
List *
lineage_unresolved_objects(List *names)
{
	UnresolvedTable ut;
	TableScanDesc scan;
	HeapTuple	tuple;
	List	   *objects = NIL;
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());

	open_unresolved(&ut, AccessShareLock);
	scan = table_beginscan(ut.rel, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		bool		isnull;
		ObjectAddress *object;

		if (!reference_matches(TextDatumGetCString(heap_getattr(tuple, Anum_unresolved_reference,
																RelationGetDescr(ut.rel), &isnull)),
							   names))
			continue;
		object = palloc(sizeof(ObjectAddress));
		ObjectAddressSet(*object,
						 DatumGetObjectId(heap_getattr(tuple, Anum_unresolved_classid,
													   RelationGetDescr(ut.rel), &isnull)),
						 DatumGetObjectId(heap_getattr(tuple, Anum_unresolved_objid,
													   RelationGetDescr(ut.rel), &isnull)));
		objects = lappend(objects, object);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	CatalogCloseIndexes(ut.indstate);
	table_close(ut.rel, AccessShareLock);
	return objects;
}

/*
 * The hash of an edge: its seven fields mixed (hash_bytes() of its 28 bytes
 * cost twice as much, for a rebuild that hashes every edge twice).
 */
static inline uint32
edge_hash(const LineageEdge *e)
{
	uint32		h = murmurhash32(e->source.objectId);

	h = hash_combine(h, murmurhash32(e->dependent.objectId));
	h = hash_combine(h, (uint32) e->source.objectSubId);
	h = hash_combine(h, (uint32) e->dependent.objectSubId);
	h = hash_combine(h, e->source.classId ^ (e->dependent.classId << 8) ^
					 ((uint32) e->usage << 24));
	return murmurhash32(h);
}

/* An edge stored when a rebuild starts, and whether the rebuild keeps it. */
typedef struct StoredEdge
{
	LineageEdge key;			/* no padding: hashed as bytes */
	ItemPointerData tid;
	bool		wanted;
	char		status;			/* simplehash's */
} StoredEdge;

/* An open-addressing hash of them (lib/simplehash.h): a dynahash cost 10%. */
#define SH_PREFIX		stored
#define SH_ELEMENT_TYPE	StoredEdge
#define SH_KEY_TYPE		LineageEdge
#define SH_KEY			key
#define SH_HASH_KEY(tb, k) edge_hash(&(k))
#define SH_EQUAL(tb, a, b) (memcmp(&(a), &(b), sizeof(LineageEdge)) == 0)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/*
 * stored_edges
 *		Every edge stored now, in a hash keyed by the edge.  A row that
 *		repeats another, or names no known usage, is deleted here.
 */
static stored_hash *
stored_edges(Relation rel)
{
	stored_hash *hash;
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	TupleDesc	desc = RelationGetDescr(rel);
	HeapTuple	tuple;

	/* sized by the last VACUUM's count (reltuples is -1 before any) */
	hash = stored_create(CurrentMemoryContext,
						 rel->rd_rel->reltuples > 1024
						 ? (uint32) Min(rel->rd_rel->reltuples * 1.25, 1e8) : 1024,
						 NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
	{
		LineageEdge key;
		StoredEdge *entry;
		bool		found;

		if (!edge_of_tuple(tuple, desc, &key))
		{
			CatalogTupleDelete(rel, &tuple->t_self);
			continue;
		}
		entry = stored_insert(hash, key, &found);
		if (found)
		{
			CatalogTupleDelete(rel, &tuple->t_self);
			continue;
		}
		entry->tid = tuple->t_self;
		entry->wanted = false;
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	return hash;
}

/*
 * lineage_store_rebuild
 *		Compute every edge of the database again and store exactly those.
 *		Returns the number of edges stored.
 *
 * The edge table is locked against concurrent upkeep first (upkeep takes
 * ROW EXCLUSIVE), and only then are the objects listed, so an object
 * committed by a concurrent transaction is either seen here or written
 * afterwards by its own event trigger.  The relations themselves are not
 * locked: their definitions are read from the catalogs under a snapshot,
 * and no transaction that changes one can commit its upkeep while the edge
 * table is held here, so none of it is lost; and a rebuild waits for no
 * session that merely holds a table.  (Function bodies name tables, which
 * analysis locks only if they are free: see names.c.)
 *
 * What is stored already is compared, not rewritten: the stored edges are
 * read once into a hash, each edge computed that is there already is kept,
 * the others are inserted, and those no object gives any more are deleted.
 * The result is the same as forgetting everything first; a rebuild that
 * finds the catalog right writes nothing.  The unresolved references (a
 * few rows) are replaced.  The catalogs a relation's dependents live in are
 * read once each for the relations that have any (object.c).
 */
int64
lineage_store_rebuild(void)
{
	Oid			table,
				source_index,
				dependent_index;
	Relation	rel;
	CatalogIndexState indstate;
	TableScanDesc heapscan;
	Snapshot	snapshot;
	HeapTuple	tuple;
	List	   *objects;
	ListCell   *lc;
	MemoryContext cxt;
	MemoryContext oldcxt;
	UnresolvedTable ut;
	stored_hash *stored;
	stored_iterator iter;
	StoredEdge *entry;
	int64		total = 0;

	lineage_require_catalog(&table, &source_index, &dependent_index);
	upkeep_done();
	rel = table_open(table, ShareRowExclusiveLock);
	open_unresolved(&ut, ShareRowExclusiveLock);
	objects = lineage_all_objects();

	/* what is stored; the unresolved references are replaced */
	stored = stored_edges(rel);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	heapscan = table_beginscan(ut.rel, snapshot, 0, NULL);
	while (HeapTupleIsValid(tuple = heap_getnext(heapscan, ForwardScanDirection)))
		CatalogTupleDelete(ut.rel, &tuple->t_self);
	table_endscan(heapscan);
	UnregisterSnapshot(snapshot);

	indstate = CatalogOpenIndexes(rel);
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"schemaguard rebuild object",
								ALLOCSET_DEFAULT_SIZES);
	lineage_catalog_presence(true);
	PG_TRY();
	{
		foreach(lc, objects)
		{
			ObjectAddress *object = (ObjectAddress *) lfirst(lc);
			List	   *owned = NIL;
			List	   *unresolved = NIL;
			LineageEdge *buf = NULL;
			int			n = 0;
			int			cap = 0;
			int			fresh = 0;
			int			i;

			CHECK_FOR_INTERRUPTS();
			oldcxt = MemoryContextSwitchTo(cxt);
			append_edges(drop_temporary_sources(object_lineage(object, &owned, &unresolved),
												&unresolved),
						 &buf, &n, &cap);
			for (i = 0; i < n; i++)
			{
				StoredEdge *e = stored_lookup(stored, buf[i]);

				if (e != NULL && !e->wanted)
					e->wanted = true;
				else
					buf[fresh++] = buf[i];
			}
			insert_edges(rel, indstate, buf, fresh);
			insert_unresolved(&ut, unresolved);
			total += n;
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(cxt);
		}
	}
	PG_FINALLY();
	{
		lineage_catalog_presence(false);
	}
	PG_END_TRY();

	/* what no object gives any more */
	stored_start_iterate(stored, &iter);
	while ((entry = stored_iterate(stored, &iter)) != NULL)
	{
		if (!entry->wanted)
			CatalogTupleDelete(rel, &entry->tid);
	}
	stored_destroy(stored);
	MemoryContextDelete(cxt);
	CatalogCloseIndexes(indstate);
	close_unresolved(&ut);
	table_close(rel, NoLock);
	lineage_origin_set();
	return total;
}

PG_FUNCTION_INFO_V1(schemaguard_rebuild);

/* rebuild() : recompute the whole lineage catalog; returns the edges stored. */
Datum
schemaguard_rebuild(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(lineage_store_rebuild());
}
