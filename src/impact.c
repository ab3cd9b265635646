/*-------------------------------------------------------------------------
 *
 * impact.c
 *	  impact_of() and lineage_of(): transitive questions over the lineage
 *	  catalog, downstream and upstream, breadth first.
 *
 * Downstream, a node is a relation column.  Each edge leaving it is one
 * result row (depth = distance from the target, via = the node).  A
 * dependent column is the next node; a dependent relation as a whole (a view
 * that filters on the column without outputting it) makes every column of
 * that relation a next node, since all its rows are shaped by the column.
 * Upstream is the mirror image; a column's row-shaping sources (edges to its
 * relation as a whole) are reported once per relation.  Each node is
 * expanded once, at its smallest depth, so cycles cannot loop.
 *
 * The catalog is read with index scans (no SPI: one scan per node keeps a
 * thousand-node answer fast) under the caller's own rights.  Rows whose
 * object lies in a schema the caller has no USAGE on are left out, and a
 * "via" in such a schema is shown as NULL, so no name leaks from a schema
 * the caller cannot see; the traversal still goes through such objects, so
 * depths stay true.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "schemaguard.h"

typedef struct ColumnKey
{
	Oid			relid;
	int32		attnum;			/* 0: the relation as a whole */
} ColumnKey;

/* One result row before it is turned into text. */
typedef struct LineageRow
{
	int			depth;
	ObjectAddress object;		/* objectSubId: the column, or 0 */
	const char *usage;
	ColumnKey	via;
} LineageRow;

/* One result row as text, ready to sort and return. */
typedef struct OutputRow
{
	int			depth;
	char	   *object_type;
	char	   *object_identity;
	char	   *column_name;
	const char *usage;
	char	   *via;
} OutputRow;

typedef struct Traversal
{
	bool		downstream;
	Relation	edges;
	Oid			source_index;	/* (source_relid, source_attnum, ...) */
	Oid			dependent_index;	/* (dependent_classid, objid, objsubid) */
	HTAB	   *visited;		/* ColumnKey: expanded or queued */
	List	   *next;			/* ColumnKey * to expand at depth + 1 */
	LineageRow *rows;
	int			nrows;
	int			maxrows;
} Traversal;

static void
open_catalog(Traversal *tr)
{
	Oid			table;

	if (!lineage_catalog_oids(&table, &tr->source_index, &tr->dependent_index))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("lineage catalog of schemaguard is incomplete"),
				 errdetail("Table schemaguard.column_edge or one of its indexes is missing."),
				 errhint("Reinstall the extension with DROP EXTENSION schemaguard; CREATE EXTENSION schemaguard.")));
	tr->edges = table_open(table, AccessShareLock);
}

/* Queue a column for expansion unless it was queued before. */
static void
enqueue(Traversal *tr, Oid relid, int32 attnum)
{
	ColumnKey	key;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.relid = relid;
	key.attnum = attnum;
	(void) hash_search(tr->visited, &key, HASH_ENTER, &found);
	if (!found)
	{
		ColumnKey  *copy = palloc(sizeof(ColumnKey));

		*copy = key;
		tr->next = lappend(tr->next, copy);
	}
}

/* Queue every live column of a relation. */
static void
enqueue_all_columns(Traversal *tr, Oid relid)
{
	ListCell   *lc;

	foreach(lc, lineage_relation_columns(relid))
		enqueue(tr, relid, lfirst_int(lc));
}

/* The stored usage as one of the static names (no copy per edge). */
static const char *
usage_name(Datum value)
{
	text	   *t = DatumGetTextPP(value);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i;

	for (i = 0; i < LINEAGE_NUM_USAGES; i++)
	{
		if (strlen(lineage_usage_names[i]) == len &&
			memcmp(lineage_usage_names[i], VARDATA_ANY(t), len) == 0)
			return lineage_usage_names[i];
	}
	return text_to_cstring(t);
}

static void
add_row(Traversal *tr, int depth, Oid classid, Oid objid, int32 objsubid,
		const char *usage, ColumnKey via)
{
	LineageRow *row;

	if (tr->nrows >= tr->maxrows)
	{
		tr->maxrows = Max(tr->maxrows * 2, 64);
		tr->rows = tr->rows ? repalloc(tr->rows, sizeof(LineageRow) * tr->maxrows)
			: palloc(sizeof(LineageRow) * tr->maxrows);
	}
	row = &tr->rows[tr->nrows++];
	row->depth = depth;
	row->object.classId = classid;
	row->object.objectId = objid;
	row->object.objectSubId = objsubid;
	row->usage = usage;
	row->via = via;
}

/*
 * expand
 *		Read the edges of one node, add a row for each, and queue the nodes
 *		they lead to.  "whole_relation" (upstream only) reads the edges into
 *		the node's relation as a whole instead of into the column.
 */
static void
expand(Traversal *tr, ColumnKey *node, int depth, bool whole_relation)
{
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;
	TupleDesc	desc = RelationGetDescr(tr->edges);
	ColumnKey	via = *node;

	if (tr->downstream)
	{
		ScanKeyInit(&keys[0], Anum_edge_source_relid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(node->relid));
		ScanKeyInit(&keys[1], Anum_edge_source_attnum, BTEqualStrategyNumber,
					F_INT2EQ, Int16GetDatum((int16) node->attnum));
		scan = systable_beginscan(tr->edges, tr->source_index, true,
								  GetActiveSnapshot(), 2, keys);
	}
	else
	{
		if (whole_relation)
			via.attnum = 0;
		ScanKeyInit(&keys[0], Anum_edge_dependent_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
		ScanKeyInit(&keys[1], Anum_edge_dependent_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(node->relid));
		ScanKeyInit(&keys[2], Anum_edge_dependent_objsubid, BTEqualStrategyNumber,
					F_INT4EQ, Int32GetDatum(via.attnum));
		scan = systable_beginscan(tr->edges, tr->dependent_index, true,
								  GetActiveSnapshot(), 3, keys);
	}

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		const char *usage = usage_name(heap_getattr(tuple, Anum_edge_usage,
													desc, &isnull));

		if (tr->downstream)
		{
			Oid			classid = DatumGetObjectId(heap_getattr(tuple, Anum_edge_dependent_classid, desc, &isnull));
			Oid			objid = DatumGetObjectId(heap_getattr(tuple, Anum_edge_dependent_objid, desc, &isnull));
			int32		objsubid = DatumGetInt32(heap_getattr(tuple, Anum_edge_dependent_objsubid, desc, &isnull));

			if (classid == RelationRelationId)
			{
				/* an edge left behind by a lost event: ignore it */
				if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(objid)))
					continue;
				if (objsubid > 0)
					enqueue(tr, objid, objsubid);
				else
					enqueue_all_columns(tr, objid);
			}
			add_row(tr, depth, classid, objid, objsubid, usage, via);
		}
		else
		{
			Oid			relid = DatumGetObjectId(heap_getattr(tuple, Anum_edge_source_relid, desc, &isnull));
			int16		attnum = DatumGetInt16(heap_getattr(tuple, Anum_edge_source_attnum, desc, &isnull));

			if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
				continue;
			enqueue(tr, relid, attnum);
			add_row(tr, depth, RelationRelationId, relid, attnum, usage, via);
		}
	}
	systable_endscan(scan);
}

/*
 * traverse
 *		Breadth-first walk from the target, up to max_depth levels (0: no
 *		limit).
 */
static void
traverse(Traversal *tr, Oid relid, AttrNumber attnum, int max_depth)
{
	HASHCTL		ctl;
	HTAB	   *relations_done = NULL;
	int			depth = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ColumnKey);
	ctl.entrysize = sizeof(ColumnKey);
	ctl.hcxt = CurrentMemoryContext;
	tr->visited = hash_create("schemaguard lineage nodes", 256, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	if (!tr->downstream)
	{
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		relations_done = hash_create("schemaguard lineage relations", 64, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	if (attnum > 0)
		enqueue(tr, relid, attnum);
	else
		enqueue_all_columns(tr, relid);

	while (tr->next != NIL && (max_depth == 0 || depth < max_depth))
	{
		List	   *frontier = tr->next;
		ListCell   *lc;

		tr->next = NIL;
		depth++;
		foreach(lc, frontier)
		{
			ColumnKey  *node = (ColumnKey *) lfirst(lc);

			CHECK_FOR_INTERRUPTS();
			expand(tr, node, depth, false);
			if (!tr->downstream)
			{
				bool		found;

				(void) hash_search(relations_done, &node->relid, HASH_ENTER,
								   &found);
				if (!found)
					expand(tr, node, depth, true);
			}
		}
		list_free_deep(frontier);
	}
}

/*
 * What a result row shows of an object: its type and identity (those of
 * pg_identify_object), its column name, and whether the caller may see its
 * schema.  Computed once per object and call: a large answer names the same
 * few thousand objects tens of thousands of times.
 */
typedef struct ObjectNames
{
	ObjectAddress key;
	bool		exists;
	bool		visible;
	char	   *type;
	char	   *identity;
	char	   *column;
} ObjectNames;

typedef struct NameCache
{
	HTAB	   *hash;
	MemoryContext cxt;			/* where the names live */
	MemoryContext scratch;		/* what the catalog look-ups leave behind */
} NameCache;

static char *
copy_in(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

static ObjectNames *
object_names(NameCache *cache, Oid classid, Oid objid, int32 objsubid)
{
	ObjectAddress key;
	ObjectNames *entry;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.classId = classid;
	key.objectId = objid;
	key.objectSubId = objsubid;
	entry = hash_search(cache->hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		MemoryContext cxt = cache->cxt;
		MemoryContext oldcxt = MemoryContextSwitchTo(cache->scratch);
		ObjectAddress whole = key;
		Oid			nspid;

		whole.objectSubId = 0;
		entry->identity = copy_in(cxt, getObjectIdentity(&key, true));
		entry->exists = (entry->identity != NULL);
		entry->type = entry->exists
			? copy_in(cxt, getObjectTypeDescription(&whole, true)) : NULL;
		entry->column = (entry->exists && classid == RelationRelationId && objsubid > 0)
			? copy_in(cxt, get_attname(objid, objsubid, true)) : NULL;
		nspid = entry->exists ? get_object_namespace(&whole) : InvalidOid;
		entry->visible = entry->exists &&
			(!OidIsValid(nspid) ||
			 pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cache->scratch);
	}
	return entry;
}

static int
compare_strings(const char *a, const char *b)
{
	/* NULL (no column) sorts first */
	if (a == NULL)
		return b == NULL ? 0 : -1;
	if (b == NULL)
		return 1;
	return strcmp(a, b);
}

static int
compare_output_rows(const void *pa, const void *pb)
{
	const OutputRow *a = (const OutputRow *) pa;
	const OutputRow *b = (const OutputRow *) pb;
	int			c;

	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if ((c = compare_strings(a->object_identity, b->object_identity)) != 0)
		return c;
	if ((c = compare_strings(a->column_name, b->column_name)) != 0)
		return c;
	if ((c = compare_strings(a->usage, b->usage)) != 0)
		return c;
	return compare_strings(a->via, b->via);
}

/*
 * lineage_query
 *		The body of impact_of() and lineage_of().
 */
static Datum
lineage_query(FunctionCallInfo fcinfo, bool downstream)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Traversal	tr;
	Oid			relid;
	AttrNumber	attnum;
	int			max_depth = 0;
	OutputRow  *out;
	int			nout = 0;
	int			i;
	HASHCTL		ctl;
	NameCache	names;
	MemoryContext rowcxt;
	MemoryContext oldcxt = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);

	/* NULL in, nothing out */
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (!PG_ARGISNULL(1))
	{
		max_depth = PG_GETARG_INT32(1);
		if (max_depth < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_depth must be at least 1"),
					 errdetail("The value given was %d.", max_depth),
					 errhint("Pass NULL for no limit, or 1 for direct dependencies only.")));
	}

	lineage_resolve_target(text_to_cstring(PG_GETARG_TEXT_PP(0)), &relid, &attnum);

	memset(&tr, 0, sizeof(tr));
	tr.downstream = downstream;
	open_catalog(&tr);
	traverse(&tr, relid, attnum, max_depth);
	table_close(tr.edges, AccessShareLock);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ObjectAddress);
	ctl.entrysize = sizeof(ObjectNames);
	ctl.hcxt = CurrentMemoryContext;
	names.hash = hash_create("schemaguard object names", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	names.cxt = CurrentMemoryContext;
	names.scratch = AllocSetContextCreate(CurrentMemoryContext,
										  "schemaguard name look-ups",
										  ALLOCSET_SMALL_SIZES);

	out = palloc(sizeof(OutputRow) * Max(tr.nrows, 1));
	for (i = 0; i < tr.nrows; i++)
	{
		LineageRow *row = &tr.rows[i];
		ObjectNames *object;
		ObjectNames *whole;
		ObjectNames *via;
		OutputRow  *o = &out[nout];

		/* the object's names, and its column's (if the row has one) */
		whole = object_names(&names, row->object.classId,
							 row->object.objectId, 0);
		if (!whole->exists || !whole->visible)
			continue;
		object = row->object.objectSubId == 0 ? whole
			: object_names(&names, row->object.classId, row->object.objectId,
						   row->object.objectSubId);
		via = object_names(&names, RelationRelationId, row->via.relid,
						   row->via.attnum);

		o->depth = row->depth;
		o->object_type = whole->type;
		o->object_identity = whole->identity;
		o->column_name = object->column;
		o->usage = row->usage;
		o->via = via->visible ? via->identity : NULL;
		nout++;
	}
	qsort(out, nout, sizeof(OutputRow), compare_output_rows);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard result row",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < nout; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		MemoryContextSwitchTo(rowcxt);
		values[0] = Int32GetDatum(out[i].depth);
		values[1] = CStringGetTextDatum(out[i].object_type);
		values[2] = CStringGetTextDatum(out[i].object_identity);
		if (out[i].column_name)
			values[3] = CStringGetTextDatum(out[i].column_name);
		else
			nulls[3] = true;
		values[4] = CStringGetTextDatum(out[i].usage);
		if (out[i].via)
			values[5] = CStringGetTextDatum(out[i].via);
		else
			nulls[5] = true;
		MemoryContextSwitchTo(oldcxt);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(schemaguard_impact_of);
PG_FUNCTION_INFO_V1(schemaguard_lineage_of);

/*
 * impact_of(target text, max_depth int) : everything that depends on the
 * target column(s), transitively.
 */
Datum
schemaguard_impact_of(PG_FUNCTION_ARGS)
{
	return lineage_query(fcinfo, true);
}

/*
 * lineage_of(target text, max_depth int) : everything the target column(s)
 * derive from, transitively.
 */
Datum
schemaguard_lineage_of(PG_FUNCTION_ARGS)
{
	return lineage_query(fcinfo, false);
}
