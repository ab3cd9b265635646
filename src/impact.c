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
	struct ObjectNames *whole;	/* for a column: its relation's entry */
	/* for a relation, once its columns were needed (load_columns): */
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
	Oid			source_index;	/* (source_relid, source_attnum) */
	Oid			dependent_index;	/* (dependent_classid, objid, objsubid) */
	HTAB	   *visited;		/* ColumnKey: expanded or queued */
	HTAB	   *relations;		/* Oid: all columns queued (downstream) or
								 * whole-relation edges read (upstream) */
	NameCache  *names;			/* relations' columns, names of results */
	ColumnKey  *next;			/* to expand at depth + 1 */
	int			nnext;
	int			maxnext;
	LineageRow *rows;
	int			nrows;
	int			maxrows;
} Traversal;

static ObjectNames *object_names(NameCache *cache, Oid classid, Oid objid,
								 int32 objsubid);

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
		? lineage_relation_attributes(whole->key.objectId, &whole->attnums, &names)
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
	if (found)
		return;
	if (tr->nnext >= tr->maxnext)
	{
		tr->maxnext = Max(tr->maxnext * 2, 64);
		tr->next = tr->next ? repalloc(tr->next, sizeof(ColumnKey) * tr->maxnext)
			: palloc(sizeof(ColumnKey) * tr->maxnext);
	}
	tr->next[tr->nnext++] = key;
}

/* First time this relation is seen in tr->relations? */
static bool
first_sight(Traversal *tr, Oid relid)
{
	bool		found;

	(void) hash_search(tr->relations, &relid, HASH_ENTER, &found);
	return !found;
}

/* Queue every live column of a relation (once per relation). */
static void
enqueue_all_columns(Traversal *tr, Oid relid)
{
	ObjectNames *whole;
	int			k;

	if (!first_sight(tr, relid))
		return;
	whole = object_names(tr->names, RelationRelationId, relid, 0);
	load_columns(tr->names, whole);
	for (k = 0; k < whole->ncolumns; k++)
		enqueue(tr, relid, whole->attnums[k]);
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
		const char *usage, Oid via_relid, int32 via_attnum)
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
	row->via.relid = via_relid;
	row->via.attnum = via_attnum;
}

/*
 * expand_relation
 *		Read, with one index scan, the edges of the frontier columns "cols"
 *		of one relation; add a row for each and queue what they lead to.
 *		Upstream, the edges into the relation as a whole (row-shaping
 *		sources) are read the first time the relation is expanded.
 */
static void
expand_relation(Traversal *tr, Oid relid, Bitmapset *cols, int depth)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	TupleDesc	desc = RelationGetDescr(tr->edges);
	bool		whole_relation = false;

	if (tr->downstream)
	{
		ScanKeyInit(&keys[0], Anum_edge_source_relid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(tr->edges, tr->source_index, true,
								  GetActiveSnapshot(), 1, keys);
	}
	else
	{
		whole_relation = first_sight(tr, relid);
		ScanKeyInit(&keys[0], Anum_edge_dependent_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
		ScanKeyInit(&keys[1], Anum_edge_dependent_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(relid));
		scan = systable_beginscan(tr->edges, tr->dependent_index, true,
								  GetActiveSnapshot(), 2, keys);
	}

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Datum		values[Natts_column_edge];
		bool		nulls[Natts_column_edge];

		heap_deform_tuple(tuple, desc, values, nulls);

		if (tr->downstream)
		{
			int32		attnum = DatumGetInt16(values[Anum_edge_source_attnum - 1]);
			Oid			classid = DatumGetObjectId(values[Anum_edge_dependent_classid - 1]);
			Oid			objid = DatumGetObjectId(values[Anum_edge_dependent_objid - 1]);
			int32		objsubid = DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]);

			if (!bms_is_member(attnum, cols))
				continue;		/* not on this level's frontier */
			if (classid == RelationRelationId)
			{
				/* an edge left behind by a lost event: ignore it */
				if (!object_names(tr->names, classid, objid, 0)->exists)
					continue;
				if (objsubid > 0)
					enqueue(tr, objid, objsubid);
				else
					enqueue_all_columns(tr, objid);
			}
			add_row(tr, depth, classid, objid, objsubid,
					usage_name(values[Anum_edge_usage - 1]), relid, attnum);
		}
		else
		{
			int32		objsubid = DatumGetInt32(values[Anum_edge_dependent_objsubid - 1]);
			Oid			source = DatumGetObjectId(values[Anum_edge_source_relid - 1]);
			int16		attnum = DatumGetInt16(values[Anum_edge_source_attnum - 1]);

			if (objsubid == 0 ? !whole_relation : !bms_is_member(objsubid, cols))
				continue;
			if (!object_names(tr->names, RelationRelationId, source, 0)->exists)
				continue;
			enqueue(tr, source, attnum);
			add_row(tr, depth, RelationRelationId, source, attnum,
					usage_name(values[Anum_edge_usage - 1]), relid, objsubid);
		}
	}
	systable_endscan(scan);
}

static int
compare_column_keys(const void *pa, const void *pb)
{
	const ColumnKey *a = (const ColumnKey *) pa;
	const ColumnKey *b = (const ColumnKey *) pb;

	if (a->relid != b->relid)
		return a->relid < b->relid ? -1 : 1;
	return (a->attnum > b->attnum) - (a->attnum < b->attnum);
}

/*
 * traverse
 *		Breadth-first walk from the target, up to max_depth levels (0: no
 *		limit).  Each level's frontier is grouped by relation, so a view
 *		whose columns are all reached costs one index scan, not one per
 *		column.
 */
static void
traverse(Traversal *tr, Oid relid, AttrNumber attnum, int max_depth)
{
	HASHCTL		ctl;
	int			depth = 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ColumnKey);
	ctl.entrysize = sizeof(ColumnKey);
	ctl.hcxt = CurrentMemoryContext;
	tr->visited = hash_create("schemaguard lineage nodes", 1024, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Oid);
	tr->relations = hash_create("schemaguard lineage relations", 256, &ctl,
								HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (attnum > 0)
		enqueue(tr, relid, attnum);
	else
	{
		ListCell   *lc;

		/* every column; upstream, the relation itself stays unread */
		foreach(lc, lineage_relation_columns(relid))
			enqueue(tr, relid, lfirst_int(lc));
	}

	while (tr->nnext > 0 && (max_depth == 0 || depth < max_depth))
	{
		ColumnKey  *frontier = tr->next;
		int			n = tr->nnext;
		int			i = 0;

		tr->next = NULL;
		tr->nnext = tr->maxnext = 0;
		depth++;
		qsort(frontier, n, sizeof(ColumnKey), compare_column_keys);
		while (i < n)
		{
			Oid			rel = frontier[i].relid;
			Bitmapset  *cols = NULL;

			CHECK_FOR_INTERRUPTS();
			for (; i < n && frontier[i].relid == rel; i++)
				cols = bms_add_member(cols, frontier[i].attnum);
			expand_relation(tr, rel, cols, depth);
			bms_free(cols);
		}
		pfree(frontier);
	}
}

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
	if (found)
		return entry;

	if (classid == RelationRelationId && objsubid > 0)
	{
		/*
		 * A column: its relation's names plus the quoted column name, as
		 * getObjectIdentity() would build them.  The relation's column names
		 * are read once, all together.  (dynahash never moves an entry, so
		 * "entry" stays valid across the nested look-up.)
		 */
		ObjectNames *whole = object_names(cache, classid, objid, 0);
		char	   *attname;

		load_columns(cache, whole);
		attname = (whole->exists && objsubid <= whole->maxattnum)
			? whole->attnames[objsubid] : NULL;
		entry->whole = whole;
		entry->columns_loaded = false;
		entry->exists = (attname != NULL);
		entry->visible = entry->exists && whole->visible;
		entry->type = whole->type;
		entry->column = attname;
		entry->identity = NULL;
		if (attname)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(cache->scratch);

			entry->identity = MemoryContextStrdup(cache->cxt,
												  psprintf("%s.%s", whole->identity,
														   quote_identifier(attname)));
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(cache->scratch);
		}
		return entry;
	}
	else
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cache->scratch);
		Oid			nspid;

		entry->identity = copy_in(cache->cxt, getObjectIdentity(&key, true));
		entry->exists = (entry->identity != NULL);
		entry->type = entry->exists
			? copy_in(cache->cxt, getObjectTypeDescription(&key, true)) : NULL;
		entry->column = NULL;
		entry->whole = entry;
		entry->columns_loaded = false;
		nspid = entry->exists ? get_object_namespace(&key) : InvalidOid;
		entry->visible = entry->exists &&
			(!OidIsValid(nspid) ||
			 pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) == ACLCHECK_OK);
		MemoryContextSwitchTo(oldcxt);
	}
	MemoryContextReset(cache->scratch);
	return entry;
}

static int
compare_strings(const char *a, const char *b)
{
	if (a == b)
		return 0;				/* mostly the same cached string */
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
	ObjectNames *via = NULL;

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

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ObjectAddress);
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

	out = palloc(sizeof(OutputRow) * Max(tr.nrows, 1));
	for (i = 0; i < tr.nrows; i++)
	{
		LineageRow *row = &tr.rows[i];
		ObjectNames *object;
		OutputRow  *o = &out[nout];

		object = object_names(&names, row->object.classId,
							  row->object.objectId, row->object.objectSubId);
		if (!object->whole->exists || !object->whole->visible)
			continue;
		/* rows of one expanded column come together: reuse its names */
		if (via == NULL || via->key.objectId != row->via.relid ||
			via->key.objectSubId != row->via.attnum)
			via = object_names(&names, RelationRelationId, row->via.relid,
							   row->via.attnum);

		o->depth = row->depth;
		o->object_type = object->whole->type;
		o->object_identity = object->whole->identity;
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
