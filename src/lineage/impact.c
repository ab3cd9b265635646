/*-------------------------------------------------------------------------
 *
 * impact.c
 *	  impact_of() and lineage_of(): transitive questions over the lineage
 *	  catalog, downstream and upstream, breadth first.
 *
 * A node of the walk is a column (pg_class, relation, attnum) or a function
 * (pg_proc, oid, 0).  Downstream, each edge leaving a node is one result
 * row (depth = distance from the target, via = the node); a dependent
 * column or function is a next node; a view that uses a node as a whole (it
 * filters on the column without outputting it) makes every column of that
 * view a next node, since all its rows are shaped by it; other dependents
 * (an index, a trigger, a policy...) end the path.  Upstream is the mirror
 * image; the edges into a relation as a whole (row-shaping sources) are
 * reported once per relation.  Each node is expanded once, at its smallest
 * depth, so cycles (recursive functions) cannot loop.
 *
 * The catalog is read with index scans, one per object on each level (all
 * of a view's reached columns together), under the caller's own rights.
 * Rows whose object lies in a schema the caller has no USAGE on are left
 * out, and a "via" in such a schema is shown as NULL, so no name leaks from
 * a schema the caller cannot see; the walk still goes through such objects,
 * so depths stay true.  Names, types and visibility are computed once per
 * object: a large answer names the same few thousand objects many times.
 * lineage_walk() gives the same rows as data (lineage.h), for the picture
 * (graph.c) and the guard's impact report.
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
#include "catalog/pg_proc.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "lineage/internal.h"

/* A node of the walk; also the key of the visited set (no padding). */
typedef struct NodeKey
{
	Oid			classid;
	Oid			objid;
	int32		subid;			/* column number; 0: the object as a whole */
} NodeKey;

/* One result row before it is turned into text. */
typedef struct LineageRow
{
	int			depth;
	NodeKey		object;			/* the row's object [column] */
	const char *usage;
	NodeKey		via;
} LineageRow;

/*
 * What a result row shows of an object: its type and identity (those of
 * pg_identify_object), its column name, and whether the caller may see its
 * schema; for a relation, also its kind and columns once they are needed.
 */
typedef struct ObjectNames
{
	NodeKey		key;
	bool		exists;
	bool		visible;
	char		relkind;		/* relations only */
	char	   *type;
	char	   *identity;
	char	   *column;
	struct ObjectNames *whole;	/* for a column: its relation's entry */
	bool		columns_loaded;
	int			ncolumns;
	AttrNumber *attnums;		/* its live columns */
	char	  **attnames;		/* their names, indexed by attnum */
	int			maxattnum;
} ObjectNames;

typedef struct NameCache
{
	HTAB	   *hash;
	MemoryContext cxt;			/* where the names live */
	MemoryContext scratch;		/* what the catalog look-ups leave behind */
} NameCache;

typedef struct Traversal
{
	bool		downstream;
	Relation	edges;
	Oid			source_index;	/* (source_classid, source_objid, subid) */
	Oid			dependent_index;	/* (dependent_classid, objid, subid) */
	NameCache  *names;
	HTAB	   *visited;		/* NodeKey: expanded or queued */
	HTAB	   *wholes;			/* NodeKey (subid 0): whole-object edges read */
	HTAB	   *expanded;		/* NodeKey (subid 0): all columns queued */
	NodeKey    *next;			/* to expand at depth + 1 */
	int			nnext;
	int			maxnext;
	LineageRow *rows;
	int			nrows;
	int			maxrows;
} Traversal;

static NodeKey
node(Oid classid, Oid objid, int32 subid)
{
	NodeKey		key;

	memset(&key, 0, sizeof(key));
	key.classid = classid;
	key.objid = objid;
	key.subid = subid;
	return key;
}

static char *
copy_in(MemoryContext cxt, const char *s)
{
	return s ? MemoryContextStrdup(cxt, s) : NULL;
}

/* Read a relation's live columns and their names (once). */
static void
load_columns(NameCache *cache, ObjectNames *whole)
{
	MemoryContext oldcxt;
	char	  **names;
	int			k;

	if (whole->columns_loaded)
		return;
	oldcxt = MemoryContextSwitchTo(cache->cxt);
	whole->ncolumns = whole->exists
		? lineage_relation_attributes(whole->key.objid, &whole->attnums, &names)
		: 0;
	whole->maxattnum = 0;
	for (k = 0; k < whole->ncolumns; k++)
		whole->maxattnum = Max(whole->maxattnum, whole->attnums[k]);
	whole->attnames = palloc0(sizeof(char *) * (whole->maxattnum + 1));
	for (k = 0; k < whole->ncolumns; k++)
		whole->attnames[whole->attnums[k]] = names[k];
	whole->columns_loaded = true;
	MemoryContextSwitchTo(oldcxt);
}

/*
 * object_names
 *		The cached names of an object or column.  (dynahash never moves an
 *		entry, so a returned pointer stays valid.)
 */
static ObjectNames *
object_names(NameCache *cache, Oid classid, Oid objid, int32 subid)
{
	NodeKey		key = node(classid, objid, subid);
	ObjectNames *entry;
	bool		found;
	MemoryContext oldcxt;

	entry = hash_search(cache->hash, &key, HASH_ENTER, &found);
	if (found)
		return entry;
	entry->columns_loaded = false;
	entry->column = NULL;

	if (classid == RelationRelationId && subid > 0)
	{
		/*
		 * A column: its relation's names plus the quoted column name, as
		 * getObjectIdentity() would build them, without looking the
		 * relation up again.
		 */
		ObjectNames *whole = object_names(cache, classid, objid, 0);

		load_columns(cache, whole);
		entry->whole = whole;
		entry->column = (whole->exists && subid <= whole->maxattnum)
			? whole->attnames[subid] : NULL;
		entry->exists = (entry->column != NULL);
		entry->visible = entry->exists && whole->visible;
		entry->type = whole->type;
		entry->relkind = whole->relkind;
		entry->identity = NULL;
		if (entry->exists)
		{
			oldcxt = MemoryContextSwitchTo(cache->scratch);
			entry->identity = copy_in(cache->cxt,
									  psprintf("%s.%s", whole->identity,
											   quote_identifier(entry->column)));
			MemoryContextSwitchTo(oldcxt);
		}
	}
	else
	{
		ObjectAddress address;
		Oid			nspid;

		ObjectAddressSet(address, classid, objid);
		oldcxt = MemoryContextSwitchTo(cache->scratch);
		entry->whole = entry;
		entry->identity = copy_in(cache->cxt, getObjectIdentity(&address, true));
		entry->exists = (entry->identity != NULL);
		entry->type = entry->exists
			? copy_in(cache->cxt, getObjectTypeDescription(&address, true)) : NULL;
		entry->relkind = (entry->exists && classid == RelationRelationId)
			? get_rel_relkind(objid) : '\0';
		nspid = entry->exists ? lineage_object_schema(&address) : InvalidOid;
		entry->visible = entry->exists &&
			(!OidIsValid(nspid) ||
			 pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK);
		MemoryContextSwitchTo(oldcxt);
	}
	MemoryContextReset(cache->scratch);
	return entry;
}

static void
open_catalog(Traversal *tr)
{
	Oid			table;

	lineage_require_catalog(&table, &tr->source_index, &tr->dependent_index);
	tr->edges = table_open(table, AccessShareLock);
}

/* Queue a node for expansion unless it was queued before. */
static void
enqueue(Traversal *tr, NodeKey key)
{
	bool		found;

	(void) hash_search(tr->visited, &key, HASH_ENTER, &found);
	if (found)
		return;
	if (tr->nnext >= tr->maxnext)
	{
		tr->maxnext = Max(tr->maxnext * 2, 64);
		tr->next = tr->next ? repalloc(tr->next, sizeof(NodeKey) * tr->maxnext)
			: palloc(sizeof(NodeKey) * tr->maxnext);
	}
	tr->next[tr->nnext++] = key;
}

/* Add an object to a set; true if it was not there yet. */
static bool
first_sight(HTAB *set, Oid classid, Oid objid)
{
	NodeKey		key = node(classid, objid, 0);
	bool		found;

	(void) hash_search(set, &key, HASH_ENTER, &found);
	return !found;
}

/* Queue every live column of a relation (once per relation). */
static void
enqueue_all_columns(Traversal *tr, Oid relid)
{
	ObjectNames *whole;
	int			k;

	if (!first_sight(tr->expanded, RelationRelationId, relid))
		return;
	whole = object_names(tr->names, RelationRelationId, relid, 0);
	load_columns(tr->names, whole);
	for (k = 0; k < whole->ncolumns; k++)
		enqueue(tr, node(RelationRelationId, relid, whole->attnums[k]));
}

/*
 * follow
 *		Where the walk goes from an object reached by an edge: a column or a
 *		function is a next node; a view or materialized view used as a whole
 *		makes all its columns next nodes; anything else ends the path.
 */
static void
follow(Traversal *tr, ObjectNames *object, NodeKey key)
{
	if (key.classid == ProcedureRelationId)
		enqueue(tr, node(ProcedureRelationId, key.objid, 0));
	else if (key.classid == RelationRelationId && key.subid > 0)
		enqueue(tr, key);
	else if (key.classid == RelationRelationId && tr->downstream &&
			 (object->relkind == RELKIND_VIEW || object->relkind == RELKIND_MATVIEW))
		enqueue_all_columns(tr, key.objid);
}

/* The stored usage as one of the static names (no copy per edge). */
static const char *
usage_name(Datum value)
{
	int			usage = lineage_usage_of(value);

	return usage >= 0 ? lineage_usage_names[usage]
		: text_to_cstring(DatumGetTextPP(value));
}

static void
add_row(Traversal *tr, int depth, NodeKey object, const char *usage,
		NodeKey via)
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
	row->object = object;
	row->usage = usage;
	row->via = via;
}

/*
 * expand_object
 *		Read, with one index scan, the edges of the frontier nodes of one
 *		object (the column numbers in "subids"; {0} for a function); add a
 *		row for each and queue what they lead to.  The edges of the object as
 *		a whole (subid 0: a relation named by dynamic SQL downstream, a
 *		view's row-shaping sources upstream) are read the first time the
 *		object is expanded.
 */
static void
expand_object(Traversal *tr, Oid classid, Oid objid, Bitmapset *subids,
			  int depth)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	TupleDesc	desc = RelationGetDescr(tr->edges);
	bool		whole = first_sight(tr->wholes, classid, objid) ||
		bms_is_member(0, subids);

	ScanKeyInit(&keys[0],
				tr->downstream ? Anum_edge_source_classid : Anum_edge_dependent_classid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&keys[1],
				tr->downstream ? Anum_edge_source_objid : Anum_edge_dependent_objid,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(tr->edges,
							  tr->downstream ? tr->source_index : tr->dependent_index,
							  true, GetActiveSnapshot(), 2, keys);

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Datum		values[Natts_lineage_edge];
		bool		nulls[Natts_lineage_edge];
		NodeKey		here;
		NodeKey		there;
		ObjectNames *names;

		heap_deform_tuple(tuple, desc, values, nulls);
		if (tr->downstream)
		{
			here = node(classid, objid, DatumGetInt32(values[Anum_edge_source_objsubid - 1]));
			there = node(DatumGetObjectId(values[Anum_edge_dependent_classid - 1]),
						 DatumGetObjectId(values[Anum_edge_dependent_objid - 1]),
						 DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]));
		}
		else
		{
			here = node(classid, objid, DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]));
			there = node(DatumGetObjectId(values[Anum_edge_source_classid - 1]),
						 DatumGetObjectId(values[Anum_edge_source_objid - 1]),
						 DatumGetInt32(values[Anum_edge_source_objsubid - 1]));
		}

		/* only this level's frontier (the object as a whole: once) */
		if (here.subid == 0 ? !whole : !bms_is_member(here.subid, subids))
			continue;

		/* an edge left behind by a lost event: ignore it */
		names = object_names(tr->names, there.classid, there.objid, 0);
		if (!names->exists)
			continue;

		follow(tr, names, there);
		add_row(tr, depth, there, usage_name(values[Anum_edge_usage - 1]), here);
	}
	systable_endscan(scan);
}

static int
compare_nodes(const void *pa, const void *pb)
{
	const NodeKey *a = (const NodeKey *) pa;
	const NodeKey *b = (const NodeKey *) pb;

	if (a->classid != b->classid)
		return a->classid < b->classid ? -1 : 1;
	if (a->objid != b->objid)
		return a->objid < b->objid ? -1 : 1;
	return (a->subid > b->subid) - (a->subid < b->subid);
}

/*
 * traverse
 *		Breadth-first walk from the target, up to max_depth levels (0: no
 *		limit).  Each level's frontier is grouped by object, so a view whose
 *		columns are all reached costs one index scan, not one per column.
 */
static void
traverse(Traversal *tr, Oid relid, AttrNumber attnum, int max_depth)
{
	HASHCTL		ctl;
	int			depth = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NodeKey);
	ctl.entrysize = sizeof(NodeKey);
	ctl.hcxt = CurrentMemoryContext;
	tr->visited = hash_create("schemaguard lineage nodes", 1024, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	tr->wholes = hash_create("schemaguard lineage wholes", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	tr->expanded = hash_create("schemaguard lineage expanded", 256, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (attnum > 0)
		enqueue(tr, node(RelationRelationId, relid, attnum));
	else
	{
		ObjectNames *whole = object_names(tr->names, RelationRelationId, relid, 0);
		int			k;

		load_columns(tr->names, whole);
		for (k = 0; k < whole->ncolumns; k++)
			enqueue(tr, node(RelationRelationId, relid, whole->attnums[k]));
	}

	while (tr->nnext > 0 && (max_depth == 0 || depth < max_depth))
	{
		NodeKey    *frontier = tr->next;
		int			n = tr->nnext;
		int			i = 0;

		tr->next = NULL;
		tr->nnext = tr->maxnext = 0;
		depth++;
		qsort(frontier, n, sizeof(NodeKey), compare_nodes);
		while (i < n)
		{
			Oid			classid = frontier[i].classid;
			Oid			objid = frontier[i].objid;
			Bitmapset  *subids = NULL;

			CHECK_FOR_INTERRUPTS();
			for (; i < n && frontier[i].classid == classid &&
				 frontier[i].objid == objid; i++)
				subids = bms_add_member(subids, frontier[i].subid);
			expand_object(tr, classid, objid, subids, depth);
			bms_free(subids);
		}
		pfree(frontier);
	}
}

static int
compare_strings(const char *a, const char *b)
{
	if (a == b)
		return 0;				/* mostly the same cached string */
	/* NULL (no column) sorts first */
	if (a == NULL)
		return -1;
	if (b == NULL)
		return 1;
	return strcmp(a, b);
}

static int
compare_impact_rows(const void *pa, const void *pb)
{
	const LineageImpactRow *a = (const LineageImpactRow *) pa;
	const LineageImpactRow *b = (const LineageImpactRow *) pb;
	int			c;

	if (a->depth != b->depth)
		return a->depth < b->depth ? -1 : 1;
	if ((c = compare_strings(a->object.identity, b->object.identity)) != 0)
		return c;
	if ((c = compare_strings(a->object.column, b->object.column)) != 0)
		return c;
	if ((c = compare_strings(a->usage, b->usage)) != 0)
		return c;
	return compare_strings(a->via.visible ? a->via.name : NULL,
						   b->via.visible ? b->via.name : NULL);
}

/* What a row shows of one of its ends. */
static void
describe_node(LineageNode *node, ObjectNames *names)
{
	ObjectAddressSubSet(node->address, names->key.classid, names->key.objid,
						names->key.subid);
	node->type = names->whole->type;
	node->identity = names->whole->identity;
	node->column = names->column;
	node->name = names->identity;
	node->relkind = names->whole->relkind;
	node->visible = names->visible;
}

/*
 * lineage_walk
 *		The rows of impact_of() (downstream) or lineage_of() (upstream) of a
 *		resolved target (attnum 0: every column of relid), up to max_depth
 *		levels (0: no limit), in the order those functions return them:
 *		rows whose object the caller may not see are left out, and a "via"
 *		the caller may not see is marked so (visible false), not left out.
 *		Everything is allocated in the current memory context.
 */
LineageImpactRow *
lineage_walk(Oid relid, AttrNumber attnum, int max_depth, bool downstream,
			 int *nrows)
{
	Traversal	tr;
	LineageImpactRow *out;
	int			nout = 0;
	int			i;
	HASHCTL		ctl;
	NameCache	names;
	ObjectNames *via = NULL;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(NodeKey);
	ctl.entrysize = sizeof(ObjectNames);
	ctl.hcxt = CurrentMemoryContext;
	names.hash = hash_create("schemaguard object names", 1024, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	names.cxt = CurrentMemoryContext;
	names.scratch = AllocSetContextCreate(CurrentMemoryContext,
										  "schemaguard name look-ups",
										  ALLOCSET_SMALL_SIZES);

	memset(&tr, 0, sizeof(tr));
	tr.downstream = downstream;
	tr.names = &names;
	open_catalog(&tr);
	traverse(&tr, relid, attnum, max_depth);
	table_close(tr.edges, AccessShareLock);

	out = palloc(sizeof(LineageImpactRow) * Max(tr.nrows, 1));
	for (i = 0; i < tr.nrows; i++)
	{
		LineageRow *row = &tr.rows[i];
		ObjectNames *object;
		LineageImpactRow *o = &out[nout];

		object = object_names(&names, row->object.classid, row->object.objid,
							  row->object.subid);
		if (!object->whole->exists || !object->whole->visible)
			continue;
		/* rows of one expanded node come together: reuse its names */
		if (via == NULL || memcmp(&via->key, &row->via, sizeof(NodeKey)) != 0)
			via = object_names(&names, row->via.classid, row->via.objid,
							   row->via.subid);

		o->depth = row->depth;
		o->usage = row->usage;
		describe_node(&o->object, object);
		/* shown: its relation (or itself) is visible */
		o->object.visible = true;
		describe_node(&o->via, via);
		nout++;
	}
	qsort(out, nout, sizeof(LineageImpactRow), compare_impact_rows);
	MemoryContextDelete(names.scratch);
	*nrows = nout;
	return out;
}

/*
 * lineage_query
 *		The body of impact_of() and lineage_of().
 */
static Datum
lineage_query(FunctionCallInfo fcinfo, bool downstream)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid;
	AttrNumber	attnum;
	int			max_depth = 0;
	LineageImpactRow *rows;
	int			nrows;
	int			i;
	MemoryContext rowcxt;
	MemoryContext oldcxt = CurrentMemoryContext;

	InitMaterializedSRF(fcinfo, 0);

	/* NULL in, nothing out */
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	if (!PG_ARGISNULL(1))
		max_depth = lineage_check_max_depth(PG_GETARG_INT32(1));

	lineage_resolve_target(text_to_cstring(PG_GETARG_TEXT_PP(0)), &relid, &attnum);
	rows = lineage_walk(relid, attnum, max_depth, downstream, &nrows);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard result row",
								   ALLOCSET_SMALL_SIZES);
	for (i = 0; i < nrows; i++)
	{
		LineageImpactRow *row = &rows[i];
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		MemoryContextSwitchTo(rowcxt);
		values[0] = Int32GetDatum(row->depth);
		values[1] = CStringGetTextDatum(row->object.type);
		values[2] = CStringGetTextDatum(row->object.identity);
		if (row->object.column)
			values[3] = CStringGetTextDatum(row->object.column);
		else
			nulls[3] = true;
		values[4] = CStringGetTextDatum(row->usage);
		if (row->via.visible)
			values[5] = CStringGetTextDatum(row->via.name);
		else
			nulls[5] = true;
		MemoryContextSwitchTo(oldcxt);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(rowcxt);
	}
	return (Datum) 0;
}

/*
 * lineage_check_max_depth
 *		A max_depth argument as the walk takes it, or the error for one
 *		that is not at least 1.
 */
int
lineage_check_max_depth(int32 max_depth)
{
	if (max_depth < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_depth must be at least 1"),
				 errdetail("The value given was %d.", max_depth),
				 errhint("Pass NULL for no limit, or 1 for direct dependencies only.")));
	return max_depth;
}

PG_FUNCTION_INFO_V1(schemaguard_impact_of);
PG_FUNCTION_INFO_V1(schemaguard_lineage_of);

/*
 * lineage_query_current
 *		lineage_query() on a catalog computed in this cluster (origin.c): a
 *		catalog just rebuilt is read under a snapshot that sees it.
 */
static Datum
lineage_query_current(FunctionCallInfo fcinfo, bool downstream)
{
	Datum		result;

	if (!lineage_ensure_current())
		return lineage_query(fcinfo, downstream);
	PushActiveSnapshot(GetTransactionSnapshot());
	result = lineage_query(fcinfo, downstream);
	PopActiveSnapshot();
	return result;
}

/*
 * impact_of(target text, max_depth int) : everything that depends on the
 * target column(s), transitively.
 */
Datum
schemaguard_impact_of(PG_FUNCTION_ARGS)
{
	return lineage_query_current(fcinfo, true);
}

/*
 * lineage_of(target text, max_depth int) : everything the target column(s)
 * derive from, transitively.
 */
Datum
schemaguard_lineage_of(PG_FUNCTION_ARGS)
{
	return lineage_query_current(fcinfo, false);
}
