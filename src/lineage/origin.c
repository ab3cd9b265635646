/*-------------------------------------------------------------------------
 *
 * origin.c
 *	  The cluster the lineage catalog was computed in, and its rebuild when
 *	  that is not this one (pg_upgrade).
 *
 * Edges are keyed by object ids.  pg_upgrade keeps those of relations (and
 * types, and attribute numbers) but not those of functions, constraints,
 * triggers, policies, rules, defaults or statistics objects, and it copies
 * the extension's tables as they are: the edges of the old cluster would
 * name the wrong objects, or none.  rebuild() records the cluster's system
 * identifier (a new cluster, initdb's or pg_upgrade's, has a new one; a
 * physical copy of the same cluster, with the same OIDs, has the same) in
 * schemaguard.lineage_origin; before the catalog is read or kept up, it
 * is compared with this cluster's, and a catalog from another cluster is
 * rebuilt from the catalogs, in the transaction that found it, once.
 *
 * pg_dump does not dump lineage_origin: a restore's CREATE EXTENSION
 * computes the catalog (and its origin) anew.  Each backend remembers that
 * the origin was right, so the check costs one small table read per
 * session; a rebuild's own transaction trusts it only until it ends (it may
 * roll back).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "lineage/internal.h"

/* The origin was found right: for good, or only in this transaction. */
static bool origin_ok = false;
static LocalTransactionId origin_ok_lxid = InvalidLocalTransactionId;

static Oid
origin_table(void)
{
	Oid			nspid = get_namespace_oid(SCHEMAGUARD_SCHEMA, true);

	return OidIsValid(nspid) ? get_relname_relid("lineage_origin", nspid) : InvalidOid;
}

/*
 * read_origin
 *		The system identifier stored in lineage_origin (latest snapshot);
 *		*found false if the table holds none.
 */
static uint64
read_origin(Relation rel, bool *found)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	HeapTuple	tuple;
	uint64		sysid = 0;

	*found = false;
	if ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		value = heap_getattr(tuple, 1, RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			sysid = (uint64) DatumGetInt64(value);
			*found = true;
		}
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	return sysid;
}

/*
 * lineage_origin_set
 *		Record this cluster as the one the catalog was computed in (at the
 *		end of a rebuild).  Nothing while the table does not exist yet (the
 *		install scripts of 0.1.0 and 0.2.0 run before the one creating it).
 */
void
lineage_origin_set(void)
{
	Oid			table = origin_table();
	Relation	rel;
	Snapshot	snapshot;
	TableScanDesc scan;
	HeapTuple	tuple;
	Datum		value;
	bool		isnull = false;

	if (!OidIsValid(table))
		return;
	rel = table_open(table, RowExclusiveLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
		simple_heap_delete(rel, &tuple->t_self);
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	value = Int64GetDatum((int64) GetSystemIdentifier());
	tuple = heap_form_tuple(RelationGetDescr(rel), &value, &isnull);
	simple_heap_insert(rel, tuple);
	heap_freetuple(tuple);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	origin_ok = true;
	origin_ok_lxid = MyProc->lxid;
}

/*
 * lineage_ensure_current
 *		Make sure the lineage catalog was computed in this cluster: if it
 *		was computed in another (pg_upgrade), rebuild it now.  Returns true
 *		if this transaction rebuilt it (now, or earlier in the same
 *		statement: impact_of() called once per row): a caller reading under
 *		the statement's snapshot must take a new one, which sees the new
 *		edges and not the old ones.  In a read-only transaction or
 *		on a standby the catalog cannot be rebuilt: an error says so rather
 *		than answering from the other cluster's object ids.
 */
bool
lineage_ensure_current(void)
{
	Oid			table;
	Oid			edges,
				source_index,
				dependent_index;
	Relation	rel;
	bool		found;
	uint64		sysid;

	if (origin_ok && origin_ok_lxid == InvalidLocalTransactionId)
		return false;
	/* rebuilt by this transaction: the statement's snapshot predates it */
	if (origin_ok && origin_ok_lxid == MyProc->lxid)
		return true;
	if (IsBinaryUpgrade || !OidIsValid(table = origin_table()) ||
		!lineage_catalog_oids(&edges, &source_index, &dependent_index))
		return false;

	rel = table_open(table, AccessShareLock);
	sysid = read_origin(rel, &found);
	table_close(rel, AccessShareLock);
	if (found && sysid == GetSystemIdentifier())
	{
		origin_ok = true;
		origin_ok_lxid = InvalidLocalTransactionId;
		return false;
	}

	if (RecoveryInProgress() || XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("lineage catalog of schemaguard was computed in another cluster"),
				 errdetail("It names objects by the object ids of the cluster it was computed in (system identifier %llu); this cluster's is %llu, as after pg_upgrade.",
						   (unsigned long long) sysid,
						   (unsigned long long) GetSystemIdentifier()),
				 errhint("Rebuild it in a read-write transaction on the primary: SELECT schemaguard.rebuild();")));

	/* one rebuild for sessions finding it at once: the first one's */
	LockRelationOid(edges, ShareRowExclusiveLock);
	rel = table_open(table, AccessShareLock);
	sysid = read_origin(rel, &found);
	table_close(rel, AccessShareLock);
	if (found && sysid == GetSystemIdentifier())
	{
		origin_ok = true;
		origin_ok_lxid = InvalidLocalTransactionId;
		return false;
	}
	ereport(NOTICE,
			(errmsg("rebuilding the lineage catalog of schemaguard, computed in another cluster"),
			 errdetail("pg_upgrade keeps the object ids of relations but not those of functions, constraints, triggers, policies and rules.")));
	(void) lineage_store_rebuild();
	return true;
}
