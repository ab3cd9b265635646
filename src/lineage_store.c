/*-------------------------------------------------------------------------
 *
 * lineage_store.c
 *	  The lineage catalog, schemaguard.column_edge: replacing the edges of
 *	  some relations, and rebuilding every edge of the database.
 *
 * Both paths compute a view's edges with the same function
 * (view_lineage_edges), so a rebuild from scratch stores exactly what
 * incremental upkeep stored.  Writes go through SPI with saved plans that
 * take whole arrays, one statement per relation (upkeep) or per batch
 * (rebuild), so the cost does not grow with the number of rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "fmgr.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* Edges written by one INSERT during a rebuild. */
#define REBUILD_BATCH_EDGES 20000

static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr delete_plan = NULL;

/*
 * lineage_store_edge_table
 *		OID of schemaguard.column_edge, or InvalidOid while the extension is
 *		being dropped.
 */
Oid
lineage_store_edge_table(void)
{
	Oid			nspid = get_namespace_oid(SCHEMAGUARD_SCHEMA, true);

	if (!OidIsValid(nspid))
		return InvalidOid;
	return get_relname_relid("column_edge", nspid);
}

/*
 * lineage_saved_plan
 *		Prepare and keep an SPI plan the first time it is needed (the caller
 *		is connected to SPI).  The plan cache re-plans it by itself if the
 *		objects it reads are dropped and created again.
 */
SPIPlanPtr
lineage_saved_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes)
{
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(sql, nargs, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*plan = p;
	}
	return *plan;
}

/*
 * insert_edges
 *		Store n edges with one INSERT ... SELECT FROM unnest(arrays).  The
 *		caller is connected to SPI.
 */
static void
insert_edges(LineageEdge *edges, int n)
{
	static Oid	argtypes[6] = {OIDARRAYOID, INT2ARRAYOID, OIDARRAYOID,
	OIDARRAYOID, INT4ARRAYOID, TEXTARRAYOID};
	Datum	   *cols[6];
	Datum		values[6];
	int			i;
	int			rc;

	if (n == 0)
		return;

	for (i = 0; i < 6; i++)
		cols[i] = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
	{
		cols[0][i] = ObjectIdGetDatum(edges[i].source_relid);
		cols[1][i] = Int16GetDatum(edges[i].source_attnum);
		cols[2][i] = ObjectIdGetDatum(edges[i].dep_classid);
		cols[3][i] = ObjectIdGetDatum(edges[i].dep_objid);
		cols[4][i] = Int32GetDatum(edges[i].dep_objsubid);
		cols[5][i] = CStringGetTextDatum(lineage_usage_names[edges[i].usage]);
	}
	values[0] = PointerGetDatum(construct_array(cols[0], n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[1] = PointerGetDatum(construct_array(cols[1], n, INT2OID, sizeof(int16), true, TYPALIGN_SHORT));
	values[2] = PointerGetDatum(construct_array(cols[2], n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_array(cols[3], n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(cols[4], n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	values[5] = PointerGetDatum(construct_array(cols[5], n, TEXTOID, -1, false, TYPALIGN_INT));

	rc = SPI_execute_plan(lineage_saved_plan(&insert_plan,
									 "INSERT INTO schemaguard.column_edge"
									 " (source_relid, source_attnum, dependent_classid,"
									 "  dependent_objid, dependent_objsubid, usage)"
									 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
									 " pg_catalog.unnest($3), pg_catalog.unnest($4),"
									 " pg_catalog.unnest($5), pg_catalog.unnest($6))",
									 6, argtypes),
						  values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "inserting lineage edges failed: %s",
			 SPI_result_code_string(rc));
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
	static Oid	delete_types[1] = {OIDOID};
	MemoryContext cxt;
	MemoryContext oldcxt;
	ListCell   *lc;

	if (relids == NIL)
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"schemaguard lineage refresh",
								ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		Datum		arg = ObjectIdGetDatum(relid);
		LineageEdge *buf = NULL;
		int			n = 0;
		int			cap = 0;
		int			rc;

		oldcxt = MemoryContextSwitchTo(cxt);
		rc = SPI_execute_plan(lineage_saved_plan(&delete_plan,
										 "DELETE FROM schemaguard.column_edge"
										 " WHERE dependent_classid = 'pg_catalog.pg_class'::pg_catalog.regclass"
										 "   AND dependent_objid = $1",
										 1, delete_types),
							  &arg, NULL, false, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "deleting lineage edges failed: %s",
				 SPI_result_code_string(rc));
		if (view_lineage_tracked(relid))
			append_edges(view_lineage_edges(relid), &buf, &n, &cap);
		insert_edges(buf, n);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(cxt);
	}

	SPI_finish();
	MemoryContextDelete(cxt);
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
	Oid			edge_table = lineage_store_edge_table();
	Relation	pg_class;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *relids = NIL;
	ListCell   *lc;
	MemoryContext batchcxt;
	MemoryContext viewcxt;
	MemoryContext oldcxt;
	LineageEdge *buf = NULL;
	int			n = 0;
	int			cap = 0;
	int64		total = 0;

	if (!OidIsValid(edge_table))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("lineage catalog schemaguard.column_edge does not exist"),
				 errhint("Reinstall the extension with DROP EXTENSION schemaguard; CREATE EXTENSION schemaguard.")));
	LockRelationOid(edge_table, ShareRowExclusiveLock);

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

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute("DELETE FROM schemaguard.column_edge", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "clearing the lineage catalog failed");

	batchcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "schemaguard rebuild batch",
									 ALLOCSET_DEFAULT_SIZES);
	viewcxt = AllocSetContextCreate(CurrentMemoryContext,
									"schemaguard rebuild view",
									ALLOCSET_DEFAULT_SIZES);
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		List	   *edges;

		CHECK_FOR_INTERRUPTS();
		LockRelationOid(relid, AccessShareLock);
		if (view_lineage_tracked(relid))
		{
			oldcxt = MemoryContextSwitchTo(viewcxt);
			edges = view_lineage_edges(relid);
			MemoryContextSwitchTo(batchcxt);
			append_edges(edges, &buf, &n, &cap);
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(viewcxt);
		}
		UnlockRelationOid(relid, AccessShareLock);

		if (n >= REBUILD_BATCH_EDGES)
		{
			oldcxt = MemoryContextSwitchTo(batchcxt);
			insert_edges(buf, n);
			MemoryContextSwitchTo(oldcxt);
			total += n;
			MemoryContextReset(batchcxt);
			buf = NULL;
			n = cap = 0;
		}
	}
	oldcxt = MemoryContextSwitchTo(batchcxt);
	insert_edges(buf, n);
	MemoryContextSwitchTo(oldcxt);
	total += n;

	MemoryContextDelete(viewcxt);
	MemoryContextDelete(batchcxt);
	SPI_finish();
	return total;
}

PG_FUNCTION_INFO_V1(schemaguard_rebuild);

/* rebuild() : recompute the whole lineage catalog; returns the edges stored. */
Datum
schemaguard_rebuild(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(lineage_store_rebuild());
}
