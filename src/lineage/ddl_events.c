/*-------------------------------------------------------------------------
 *
 * ddl_events.c
 *	  Event triggers that keep the lineage catalog current, in the same
 *	  transaction as the DDL that changed it.
 *
 * ddl_command_end: every object a command created or altered -- or, for a
 * catalog entry such as an index, trigger or policy, the relation that owns
 * it (object.c) -- gets its edges recomputed (a CREATE OR REPLACE
 * VIEW replaces them; a rename changes nothing stored, since edges are keyed
 * by OID and attnum); after ALTER COLUMN TYPE, the edges of the objects it
 * rebuilt under new OIDs are forgotten.  sql_drop: edges from or to each dropped object or
 * column are deleted.  REINDEX ... CONCURRENTLY, which fires no event
 * trigger, is followed from the guard's ProcessUtility hook
 * (lineage_before_utility, lineage_after_utility).
 *
 * The command lists come from the server's own pg_event_trigger_ddl_commands()
 * and pg_event_trigger_dropped_objects(), called through fmgr rather than
 * SQL, and the catalog is written with heap calls (store.c): no SQL
 * runs inside the user's DDL, so these functions need neither SECURITY
 * DEFINER nor a pinned search_path, and add only a few index probes to it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/index.h"
#include "catalog/partition.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/tablecmds.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "storage/sinval.h"
#include "tcop/cmdtag.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "lineage/internal.h"

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

/*
 * The table of an ALTER TABLE, looked up just before the command runs
 * (lineage_before_utility).  The command then changes the table's pg_class
 * row (an ADD COLUMN its number of columns), which takes the catalog cache
 * entry of its name with it: looked up again at ddl_command_end, the name
 * is read from the catalog a second time (about 18,000 instructions of a
 * plain ADD COLUMN).  Looked up before, it is the very entry the command
 * itself then finds.  Used only by the same command (the RangeVar's names
 * match, no other utility statement ran since, the same transaction), only
 * if no invalidation from another session arrived meanwhile (as
 * RangeVarGetRelidExtended() retries its look-up then) and only if this
 * session holds the lock the ALTER takes on that table: then the name
 * still means that table.
 */
static struct
{
	Oid			relid;			/* InvalidOid: nothing kept */
	LOCKMODE	lockmode;		/* what the ALTER locks it with */
	LocalTransactionId lxid;
	uint64		inval_count;	/* SharedInvalidMessageCounter then */
	char		schemaname[NAMEDATALEN];	/* "" if not qualified */
	char		relname[NAMEDATALEN];
}			before_alter;

/* Has a table been kept for this RangeVar, and is it still what it names? */
static bool
kept_before_alter(const RangeVar *rv)
{
	LOCKTAG		tag;

	if (!OidIsValid(before_alter.relid) || rv->catalogname != NULL ||
		before_alter.lxid != MyProc->lxid ||
		before_alter.inval_count != SharedInvalidMessageCounter ||
		strcmp(before_alter.relname, rv->relname) != 0 ||
		strcmp(before_alter.schemaname, rv->schemaname ? rv->schemaname : "") != 0)
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, before_alter.relid);
	return LockHeldByMe(&tag, before_alter.lockmode);
}

/*
 * REINDEX ... CONCURRENTLY builds each index again under a new OID, swaps
 * the names and drops the old index internally, across transactions of its
 * own; PostgreSQL 15 fires no event trigger for REINDEX.  The indexes it may
 * replace are listed before it runs (lineage_before_utility), and after it
 * (lineage_after_utility) the edges to those gone are forgotten and the
 * tables' own lineage computed again.  The tables and indexes are kept in
 * TopMemoryContext: the command commits transactions in between.
 */
static struct
{
	List	   *tables;			/* OIDs of the tables, then */
	List	   *indexes;		/* OIDs of their indexes, then */
}			reindexed_before;

static List *add_relation(List *objects, Oid relid);

/* Is this a REINDEX with CONCURRENTLY (of an index, table, schema, database)? */
static bool
reindex_concurrently(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, ReindexStmt))
		return false;
	foreach(lc, ((ReindexStmt *) parsetree)->params)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0)
			return defGetBoolean(opt);
	}
	return false;
}

/*
 * reindexed_tables
 *		The tables whose indexes a REINDEX ... CONCURRENTLY may replace, as
 *		far as lineage keeps them: the index's table, the table, or every
 *		table of the schema or database with an index; with the partitions of
 *		a partitioned one.  Looked up without an error (the command reports
 *		its own) and locked ACCESS SHARE, as reading their indexes needs.
 */
static List *
reindexed_tables(ReindexStmt *stmt)
{
	List	   *tables = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	if (stmt->kind == REINDEX_OBJECT_INDEX || stmt->kind == REINDEX_OBJECT_TABLE)
	{
		Oid			relid = RangeVarGetRelidExtended(stmt->relation, AccessShareLock,
													 RVR_MISSING_OK, NULL, NULL);

		if (OidIsValid(relid) && stmt->kind == REINDEX_OBJECT_INDEX)
		{
			char		relkind = get_rel_relkind(relid);

			relid = (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX) ?
				IndexGetRelation(relid, true) : InvalidOid;
			if (OidIsValid(relid))
				LockRelationOid(relid, AccessShareLock);
		}
		if (OidIsValid(relid))
			tables = list_make1_oid(relid);
	}
	else
	{
		Oid			nspid = InvalidOid;
		Relation	pg_class;
		TableScanDesc scan;
		HeapTuple	tuple;

		if (stmt->kind == REINDEX_OBJECT_SCHEMA)
		{
			nspid = get_namespace_oid(stmt->name, true);
			if (!OidIsValid(nspid))
				return NIL;
		}
		pg_class = table_open(RelationRelationId, AccessShareLock);
		scan = table_beginscan_catalog(pg_class, 0, NULL);
		while (HeapTupleIsValid(tuple = heap_getnext(scan, ForwardScanDirection)))
		{
			Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

			if (form->relhasindex &&
				(form->relkind == RELKIND_RELATION || form->relkind == RELKIND_MATVIEW) &&
				(!OidIsValid(nspid) || form->relnamespace == nspid))
				tables = lappend_oid(tables, form->oid);
		}
		table_endscan(scan);
		table_close(pg_class, AccessShareLock);
	}
	foreach(lc, tables)
	{
		Oid			relid = lfirst_oid(lc);

		if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP ||
			!lineage_namespace_tracked(get_rel_namespace(relid)))
			continue;
		if (stmt->kind != REINDEX_OBJECT_INDEX && stmt->kind != REINDEX_OBJECT_TABLE)
		{
			/* it may have gone since it was read */
			LockRelationOid(relid, AccessShareLock);
			if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
				continue;
		}
		result = list_concat_unique_oid(result,
										has_subclass(relid) ?
										find_all_inheritors(relid, AccessShareLock, NULL) :
										list_make1_oid(relid));
	}
	return result;
}

/* Forget what reindexed_before kept. */
static void
forget_reindexed(void)
{
	list_free(reindexed_before.tables);
	list_free(reindexed_before.indexes);
	reindexed_before.tables = NIL;
	reindexed_before.indexes = NIL;
}

/*
 * remember_reindexed
 *		Keep the tables a REINDEX ... CONCURRENTLY may reach and every index
 *		they have now (their OIDs, in TopMemoryContext).
 */
static void
remember_reindexed(ReindexStmt *stmt)
{
	List	   *tables = reindexed_tables(stmt);
	MemoryContext old;
	ListCell   *lc;

	foreach(lc, tables)
	{
		Relation	rel = relation_open(lfirst_oid(lc), NoLock);
		List	   *list = RelationGetIndexList(rel);

		old = MemoryContextSwitchTo(TopMemoryContext);
		reindexed_before.indexes = list_concat(reindexed_before.indexes, list);
		MemoryContextSwitchTo(old);
		list_free(list);
		relation_close(rel, NoLock);
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	reindexed_before.tables = list_copy(tables);
	MemoryContextSwitchTo(old);
}

/*
 * lineage_after_utility
 *		Called by the ProcessUtility hook after a utility statement ran
 *		without an error.  After REINDEX ... CONCURRENTLY, the edges to the
 *		indexes it replaced are forgotten and those of their replacements
 *		computed (see reindexed_before).  The command has committed its work
 *		and left a new transaction: a failure here is a warning, not the
 *		statement's error, and rebuild() repairs what it left (a cancel
 *		still ends the statement).
 */
void
lineage_after_utility(Node *parsetree)
{
	Oid			table,
				source_index,
				dependent_index;
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	if (reindexed_before.tables == NIL || !reindex_concurrently(parsetree) ||
		IsBinaryUpgrade || !IsTransactionState() ||
		!lineage_catalog_oids(&table, &source_index, &dependent_index))
	{
		forget_reindexed();
		return;
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	BeginInternalSubTransaction(NULL);
	PG_TRY();
	{
		List	   *owners = NIL;
		ListCell   *lc;

		foreach(lc, reindexed_before.indexes)
		{
			ObjectAddress index;

			ObjectAddressSet(index, RelationRelationId, lfirst_oid(lc));
			if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(index.objectId)))
				lineage_store_forget(&index, NULL, true);
		}
		/* the tables of then that are still there, locked as reading them needs */
		foreach(lc, reindexed_before.tables)
		{
			LockRelationOid(lfirst_oid(lc), AccessShareLock);
			if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(lfirst_oid(lc))))
				owners = add_relation(owners, lfirst_oid(lc));
		}
		lineage_store_refresh(owners);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata = lineage_catch_error(cxt);

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
			ReThrowError(edata);
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("lineage of the indexes REINDEX CONCURRENTLY replaced could not be updated: %s",
						edata->message),
				 errhint("Run SELECT schemaguard.rebuild(); to compute the lineage catalog again.")));
	}
	PG_END_TRY();
	PopActiveSnapshot();
	forget_reindexed();
}

/*
 * lineage_before_utility
 *		Called by the ProcessUtility hook before a utility statement runs:
 *		for an ALTER TABLE, look up its table now (see before_alter); for a
 *		REINDEX ... CONCURRENTLY, the tables and indexes it may replace (see
 *		reindexed_before); any other statement forgets what was kept.  An
 *		ALTER TABLE's look-up is never an error: what cannot be looked up
 *		simply (another database, a schema without USAGE, an explicit
 *		pg_temp) is left to ddl_command_end.
 */
void
lineage_before_utility(Node *parsetree)
{
	AlterTableStmt *stmt;
	RangeVar   *rv;
	Oid			relid;
	Oid			table,
				source_index,
				dependent_index;

	before_alter.relid = InvalidOid;
	forget_reindexed();
	if (reindex_concurrently(parsetree) && !IsBinaryUpgrade &&
		!IsAbortedTransactionBlockState() &&
		lineage_catalog_oids(&table, &source_index, &dependent_index))
		remember_reindexed((ReindexStmt *) parsetree);
	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt) || IsBinaryUpgrade ||
		IsAbortedTransactionBlockState())
		return;
	stmt = (AlterTableStmt *) parsetree;
	rv = stmt->relation;
	if (stmt->objtype != OBJECT_TABLE || rv == NULL || rv->catalogname != NULL ||
		strlen(rv->relname) >= NAMEDATALEN ||
		(rv->schemaname && strlen(rv->schemaname) >= NAMEDATALEN) ||
		!lineage_catalog_oids(&table, &source_index, &dependent_index))
		return;
	before_alter.inval_count = SharedInvalidMessageCounter;
	if (rv->schemaname == NULL)
		relid = RelnameGetRelid(rv->relname);
	else
	{
		Oid			nspid = get_namespace_oid(rv->schemaname, true);

		if (!OidIsValid(nspid) ||
			pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
			return;
		relid = get_relname_relid(rv->relname, nspid);
	}
	if (!OidIsValid(relid))
		return;
	before_alter.lockmode = AlterTableGetLockLevel(stmt->cmds);
	before_alter.lxid = MyProc->lxid;
	strlcpy(before_alter.schemaname, rv->schemaname ? rv->schemaname : "", NAMEDATALEN);
	strlcpy(before_alter.relname, rv->relname, NAMEDATALEN);
	before_alter.relid = relid;
}

/*
 * altered_table
 *		For ALTER TABLE and CREATE [OR REPLACE] VIEW, the object the server
 *		reports is the relation the statement names: found here from the
 *		parse tree (the command has it locked), which saves the server
 *		computing the textual identity of every reported command.  NULL for
 *		any other statement.  An ALTER's table may have been looked up
 *		before it ran (before_alter).
 */
static ObjectAddress *
altered_table(Node *parsetree, int *n)
{
	RangeVar   *rv;
	ObjectAddress *object;
	Oid			relid;

	if (parsetree != NULL && IsA(parsetree, AlterTableStmt) &&
		((AlterTableStmt *) parsetree)->objtype == OBJECT_TABLE)
		rv = ((AlterTableStmt *) parsetree)->relation;
	else if (parsetree != NULL && IsA(parsetree, ViewStmt))
		rv = ((ViewStmt *) parsetree)->view;
	else
		return NULL;
	if (rv == NULL)
		return NULL;
	/* a view is where CREATE VIEW made it, whatever a temporary one shadows */
	relid = IsA(parsetree, ViewStmt)
		? get_relname_relid(rv->relname, RangeVarGetCreationNamespace(rv))
		: kept_before_alter(rv) ? before_alter.relid
		: RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;			/* IF EXISTS, and it did not */
	object = palloc(sizeof(ObjectAddress));
	ObjectAddressSet(*object, RelationRelationId, relid);
	*n = 1;
	return object;
}

/* Add an object to a list unless it is there already. */
static List *
add_unique(List *objects, const ObjectAddress *object)
{
	ListCell   *lc;
	ObjectAddress *copy;

	foreach(lc, objects)
	{
		ObjectAddress *o = (ObjectAddress *) lfirst(lc);

		if (o->classId == object->classId && o->objectId == object->objectId)
			return objects;
	}
	copy = palloc(sizeof(ObjectAddress));
	*copy = *object;
	return lappend(objects, copy);
}

/* What a command can do, as far as lineage is concerned. */
#define CHANGES_LINEAGE		0x01	/* creates or changes a tracked object */
#define ADDS_NAMES			0x02	/* creates or renames a name bodies use */
#define ALTERS_NAMES		0x04	/* renames or changes what bodies read */

/*
 * The effects of a command, by its tag.  Commands with none return at once.
 * (The ALTER forms may change nothing that matters; recomputing is
 * harmless.)
 */
static int
command_effects(CommandTag tag)
{
	switch (tag)
	{
		case CMDTAG_ALTER_VIEW:
		case CMDTAG_ALTER_MATERIALIZED_VIEW:
		case CMDTAG_ALTER_TABLE:
		case CMDTAG_ALTER_FOREIGN_TABLE:
		case CMDTAG_ALTER_FUNCTION:
		case CMDTAG_ALTER_PROCEDURE:
			return CHANGES_LINEAGE | ADDS_NAMES | ALTERS_NAMES;
		case CMDTAG_CREATE_VIEW:
		case CMDTAG_CREATE_MATERIALIZED_VIEW:
		case CMDTAG_CREATE_TABLE:
		case CMDTAG_CREATE_TABLE_AS:
		case CMDTAG_SELECT_INTO:
		case CMDTAG_CREATE_FOREIGN_TABLE:
		case CMDTAG_CREATE_SCHEMA:
		case CMDTAG_ALTER_SCHEMA:
		case CMDTAG_IMPORT_FOREIGN_SCHEMA:
		case CMDTAG_CREATE_FUNCTION:
		case CMDTAG_CREATE_PROCEDURE:
			return CHANGES_LINEAGE | ADDS_NAMES;
		case CMDTAG_CREATE_INDEX:
		case CMDTAG_ALTER_INDEX:
		case CMDTAG_CREATE_TRIGGER:
		case CMDTAG_ALTER_TRIGGER:
		case CMDTAG_CREATE_POLICY:
		case CMDTAG_ALTER_POLICY:
		case CMDTAG_CREATE_STATISTICS:
		case CMDTAG_ALTER_STATISTICS:
		case CMDTAG_CREATE_RULE:
			return CHANGES_LINEAGE;
		default:
			return 0;
	}
}

/*
 * object_names
 *		The names a reported object brings (String nodes): a relation's name
 *		and its columns' (a rename or a new column), a function's, a
 *		schema's.
 */
static List *
object_names(const ObjectAddress *object)
{
	List	   *names = NIL;
	char	   *name = NULL;

	/* a temporary table never resolves a body's name (it is gone soon) */
	if (object->classId == RelationRelationId &&
		get_rel_persistence(object->objectId) == RELPERSISTENCE_TEMP)
		return NIL;
	if (object->classId == RelationRelationId)
	{
		AttrNumber *attnums;
		char	  **attnames;
		int			n = lineage_relation_attributes(object->objectId, &attnums,
													&attnames);
		int			i;

		for (i = 0; i < n; i++)
			names = lappend(names, makeString(attnames[i]));
		name = get_rel_name(object->objectId);
	}
	else if (object->classId == ProcedureRelationId)
		name = get_func_name(object->objectId);
	else if (object->classId == NamespaceRelationId)
		name = get_namespace_name(object->objectId);
	if (name != NULL)
		names = lappend(names, makeString(name));
	return names;
}

/* Does this ALTER TABLE change a column's type? */
static bool
alters_column_type(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		if (((AlterTableCmd *) lfirst(lc))->subtype == AT_AlterColumnType)
			return true;
	}
	return false;
}

static List *
add_all_unique(List *objects, List *more)
{
	ListCell   *lc;

	foreach(lc, more)
		objects = add_unique(objects, (ObjectAddress *) lfirst(lc));
	return objects;
}

static List *
add_relation(List *objects, Oid relid)
{
	ObjectAddress object;

	ObjectAddressSet(object, RelationRelationId, relid);
	return add_unique(objects, &object);
}

/* Lower-case ASCII letters in place (identifiers fold so; enough here). */
static char *
ascii_lower(char *s)
{
	char	   *p;

	for (p = s; *p; p++)
	{
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	}
	return s;
}

/*
 * Does this text use "*" for all columns (SELECT *, t.*, RETURNING *), not
 * as count(*) or a product?  Looked at as plain text: a "*" after "." or
 * after the words SELECT, DISTINCT, RETURNING or a ",".
 */
static bool
uses_star(const char *lower_body)
{
	const char *p;

	for (p = strchr(lower_body, '*'); p != NULL; p = strchr(p + 1, '*'))
	{
		const char *q = p;

		while (q > lower_body && isspace((unsigned char) q[-1]))
			q--;
		if (q == lower_body)
			continue;
		if (q[-1] == '.' || q[-1] == ',')
			return true;
		if ((q - lower_body >= 6 && strncmp(q - 6, "select", 6) == 0) ||
			(q - lower_body >= 8 && strncmp(q - 8, "distinct", 8) == 0) ||
			(q - lower_body >= 9 && strncmp(q - 9, "returning", 9) == 0))
			return true;
	}
	return false;
}

/*
 * Does the body of this function name "name" (as any part of its text,
 * case-insensitive), or use "*" for all columns, which a new column joins?
 * What it does not name, a new column cannot change.
 */
static bool
body_mentions(Oid funcid, const char *name)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	bool		isnull;
	bool		found = false;

	if (HeapTupleIsValid(tuple))
	{
		Datum		src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);

		if (!isnull)
		{
			char	   *lower_body = ascii_lower(TextDatumGetCString(src));

			found = strstr(lower_body, ascii_lower(pstrdup(name))) != NULL ||
				uses_star(lower_body);
		}
		ReleaseSysCache(tuple);
	}
	return found;
}

/*
 * Is this ALTER TABLE subcommand a setting: storage, statistics, options,
 * ownership, NOT NULL, clustering, triggers and rules enabled or disabled,
 * row security, replica identity?  It changes neither what a body reads
 * nor what the table's own dependents are made of.
 */
static bool
is_setting(AlterTableType subtype)
{
	switch (subtype)
	{
		case AT_SetStatistics:
		case AT_SetOptions:
		case AT_ResetOptions:
		case AT_SetStorage:
		case AT_SetCompression:
		case AT_ChangeOwner:
		case AT_ClusterOn:
		case AT_DropCluster:
		case AT_SetLogged:
		case AT_SetUnLogged:
		case AT_SetTableSpace:
		case AT_SetRelOptions:
		case AT_ResetRelOptions:
		case AT_ReplaceRelOptions:
		case AT_EnableTrig:
		case AT_EnableAlwaysTrig:
		case AT_EnableReplicaTrig:
		case AT_DisableTrig:
		case AT_EnableTrigAll:
		case AT_DisableTrigAll:
		case AT_EnableTrigUser:
		case AT_DisableTrigUser:
		case AT_EnableRule:
		case AT_EnableAlwaysRule:
		case AT_EnableReplicaRule:
		case AT_DisableRule:
		case AT_ReplicaIdentity:
		case AT_EnableRowSecurity:
		case AT_DisableRowSecurity:
		case AT_ForceRowSecurity:
		case AT_NoForceRowSecurity:
		case AT_GenericOptions:
		case AT_DropNotNull:
		case AT_SetNotNull:
			return true;
		default:
			return false;
	}
}

/*
 * Is this ALTER TABLE one that changes nothing the table's own dependents
 * are made of (its defaults, constraints, indexes, triggers, policies,
 * statistics and rules)?  A plain ADD COLUMN (no default, no constraint
 * but NOT NULL, not generated, not identity), a DROP COLUMN (what goes
 * with the column is reported to sql_drop, and the triggers that read it
 * are analyzed again there), and settings: then the table is not analyzed
 * again.
 */
static bool
keeps_own_lineage(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt) ||
		((AlterTableStmt *) parsetree)->objtype != OBJECT_TABLE)
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
				{
					ColumnDef  *def = castNode(ColumnDef, cmd->def);
					ListCell   *cc;

					if (def->raw_default != NULL || def->cooked_default != NULL ||
						def->identity != '\0' || def->generated != '\0' ||
						def->identitySequence != NULL)
						return false;
					foreach(cc, def->constraints)
					{
						ConstrType	type = castNode(Constraint, lfirst(cc))->contype;

						if (type != CONSTR_NOTNULL && type != CONSTR_NULL)
							return false;
					}
				}
				break;
			case AT_DropColumn:
				break;
			default:
				if (!is_setting(cmd->subtype))
					return false;
				break;
		}
	}
	return true;
}

/*
 * readers_of_change
 *		The functions an ALTER TABLE (or a rename, or SET SCHEMA) may break
 *		or change, as far as what they read goes: only those that can be
 *		affected are analyzed again (a DROP COLUMN's are, by sql_drop).
 *		ADD COLUMN: those that read the table and name the column (or use
 *		*); ALTER COLUMN TYPE, RENAME COLUMN: those that read the column;
 *		RENAME, SET SCHEMA: those that read the table; a constraint, a
 *		default, storage, statistics, an index, ownership...: none.  An
 *		ALTER of another kind of object: those that read it.
 */
static List *
readers_of_change(const ObjectAddress *object, Node *parsetree)
{
	List	   *readers = NIL;
	ListCell   *lc;

	if (object->classId != RelationRelationId || parsetree == NULL)
		return lineage_functions_reading(object);
	if (IsA(parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) parsetree;
		ObjectAddress column;

		if (stmt->renameType != OBJECT_COLUMN)
			return lineage_functions_reading(object);
		/* the column has its new name already */
		ObjectAddressSubSet(column, RelationRelationId, object->objectId,
							get_attnum(object->objectId, stmt->newname));
		return column.objectSubId > 0 ? lineage_functions_reading(&column) : NIL;
	}
	if (!IsA(parsetree, AlterTableStmt))
		return lineage_functions_reading(object);
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
			case AT_AddColumnRecurse:
			case AT_AddColumnToView:
				{
					const char *name = castNode(ColumnDef, cmd->def)->colname;
					ListCell   *fc;

					/* a superset (store.c); body_mentions reads each one's row */
					foreach(fc, lineage_functions_maybe_reading(object))
					{
						ObjectAddress *f = (ObjectAddress *) lfirst(fc);

						if (body_mentions(f->objectId, name))
							readers = add_unique(readers, f);
					}
				}
				break;
			case AT_AlterColumnType:
				{
					ObjectAddress column;

					ObjectAddressSubSet(column, RelationRelationId, object->objectId,
										get_attnum(object->objectId, cmd->name));
					if (column.objectSubId > 0)
						readers = add_all_unique(readers, lineage_functions_reading(&column));
				}
				break;
			case AT_DropColumn:
			case AT_DropColumnRecurse:
			case AT_ColumnDefault:
			case AT_CookedColumnDefault:
			case AT_CheckNotNull:
			case AT_DropExpression:
			case AT_AddIndex:
			case AT_ReAddIndex:
			case AT_AddConstraint:
			case AT_AddConstraintRecurse:
			case AT_ReAddConstraint:
			case AT_AlterConstraint:
			case AT_ValidateConstraint:
			case AT_ValidateConstraintRecurse:
			case AT_AddIndexConstraint:
			case AT_DropConstraint:
			case AT_DropConstraintRecurse:
			case AT_ReAddComment:
			case AT_AlterColumnGenericOptions:
			case AT_SetAccessMethod:
			case AT_AttachPartition:
			case AT_DetachPartition:
			case AT_DetachPartitionFinalize:
			case AT_AddIdentity:
			case AT_SetIdentity:
			case AT_DropIdentity:
			case AT_ReAddStatistics:
				break;			/* what a body reads is the same */
			default:
				if (!is_setting(cmd->subtype))
					readers = add_all_unique(readers, lineage_functions_reading(object));
				break;
		}
	}
	return readers;
}

/*
 * The tables with a foreign key referencing one of these relations: a
 * partition attached to (or detached from, created in) a referenced
 * partitioned table adds (or drops) constraints on them, unreported.
 */
static List *
referencing_tables(List *relids)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *tables = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);

		if (con->contype == CONSTRAINT_FOREIGN && list_member_oid(relids, con->confrelid))
			tables = list_append_unique_oid(tables, con->conrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return tables;
}

/*
 * partition_family
 *		What attaching, detaching or creating a partition can change the
 *		catalog entries of, unreported: the partition and its partitions
 *		(indexes, foreign keys and triggers cloned onto them or left on
 *		them), the partitioned tables above it, and the tables whose
 *		foreign keys reference any of them.  Their edges of entries that no
 *		longer exist are forgotten, and all of them are analyzed again.
 */
static List *
partition_family(List *owners, Oid partition)
{
	List	   *relids;
	ListCell   *lc;

	if (!OidIsValid(partition) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(partition)))
		return owners;
	relids = list_concat_unique_oid(find_all_inheritors(partition, NoLock, NULL),
									get_partition_ancestors(partition));
	relids = list_concat_unique_oid(relids, referencing_tables(relids));
	foreach(lc, relids)
	{
		lineage_store_forget_vanished(lfirst_oid(lc));
		owners = add_relation(owners, lfirst_oid(lc));
	}
	return owners;
}

/* The partitions a command attaches, detaches or creates (their OIDs). */
static List *
partitions_moved(Node *parsetree)
{
	List	   *partitions = NIL;
	ListCell   *lc;

	if (parsetree == NULL)
		return NIL;
	if (IsA(parsetree, CreateStmt) && ((CreateStmt *) parsetree)->partbound != NULL)
		partitions = lappend_oid(partitions,
								 RangeVarGetRelid(((CreateStmt *) parsetree)->relation,
												  NoLock, true));
	if (!IsA(parsetree, AlterTableStmt))
		return partitions;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		Oid			relid;

		if (cmd->subtype != AT_AttachPartition && cmd->subtype != AT_DetachPartition &&
			cmd->subtype != AT_DetachPartitionFinalize)
			continue;
		relid = RangeVarGetRelid(castNode(PartitionCmd, cmd->def)->name, NoLock, true);
		/* ALTER INDEX ... ATTACH PARTITION: the index's table */
		if (OidIsValid(relid) && (get_rel_relkind(relid) == RELKIND_INDEX ||
								  get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX))
			relid = IndexGetRelation(relid, true);
		partitions = lappend_oid(partitions, relid);
	}
	return partitions;
}

/* Does this relation have (or had) triggers?  (pg_class.relhastriggers) */
static bool
has_triggers(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		result = false;

	if (HeapTupleIsValid(tuple))
	{
		result = ((Form_pg_class) GETSTRUCT(tuple))->relhastriggers;
		ReleaseSysCache(tuple);
	}
	return result;
}

Datum
schemaguard_on_ddl_command_end(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	ObjectAddress *objects;
	List	   *owners = NIL;
	int			effects;
	bool		keep_own;
	bool		any_unresolved;
	int			n;
	int			i;

	check_event_trigger_call(fcinfo, "schemaguard.on_ddl_command_end");
	trigdata = (EventTriggerData *) fcinfo->context;
	effects = command_effects(trigdata->tag);
	if (effects == 0 || IsBinaryUpgrade)
		PG_RETURN_NULL();
	(void) lineage_ensure_current();	/* after pg_upgrade */

	/*
	 * Make the command's last catalog changes visible (e.g. the relkind of a
	 * table just turned into a view by CREATE RULE "_RETURN").
	 */
	CommandCounterIncrement();

	objects = altered_table(trigdata->parsetree, &n);
	if (objects == NULL)
		objects = event_objects(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &n);

	/*
	 * ALTER COLUMN TYPE rebuilds what is built on the column under new OIDs
	 * and drops the old objects internally, unreported by sql_drop: forget
	 * their edges, on the table and the partitions or children it reached
	 * (which the command reports as the table only), and compute theirs.
	 */
	if (alters_column_type(trigdata->parsetree))
	{
		for (i = 0; i < n; i++)
		{
			ListCell   *lc;

			if (objects[i].classId != RelationRelationId)
				continue;
			foreach(lc, find_all_inheritors(objects[i].objectId, NoLock, NULL))
			{
				ObjectAddress member;

				lineage_store_forget_vanished(lfirst_oid(lc));
				ObjectAddressSet(member, RelationRelationId, lfirst_oid(lc));
				owners = add_unique(owners, &member);
			}
		}
	}

	keep_own = keeps_own_lineage(trigdata->parsetree);
	for (i = 0; i < n; i++)
	{
		ObjectAddress owner = lineage_owner(&objects[i]);
		Oid			trigger_function = lineage_trigger_function(&objects[i]);

		/*
		 * An ADD COLUMN or a setting leaves the table's own lineage as it is
		 * -- unless it has triggers, whose functions may read NEW.* (which a
		 * new column joins)
		 */
		if (keep_own && owner.classId == RelationRelationId &&
			!has_triggers(owner.objectId))
			owner.objectId = InvalidOid;
		if (OidIsValid(owner.objectId))
			owners = add_unique(owners, &owner);
		/*
		 * What the command did to a table with partitions or children it
		 * did to them too (an index, a foreign key, a trigger cloned onto
		 * each partition; a default or a CHECK inherited), unreported.
		 */
		if (owner.classId == RelationRelationId && OidIsValid(owner.objectId) &&
			has_subclass(owner.objectId))
		{
			ListCell   *lc;

			foreach(lc, find_all_inheritors(owner.objectId, NoLock, NULL))
				owners = add_relation(owners, lfirst_oid(lc));
		}
		/* a trigger types its function's NEW and OLD (see plpgsql.c) */
		if (OidIsValid(trigger_function))
		{
			ObjectAddressSet(owner, ProcedureRelationId, trigger_function);
			owners = add_unique(owners, &owner);
		}
		/* a trigger function's body: what each of its triggers reads */
		if (objects[i].classId == ProcedureRelationId)
		{
			ListCell   *lc;

			foreach(lc, lineage_trigger_relations(objects[i].objectId))
				owners = add_relation(owners, lfirst_oid(lc));
		}
		/* a renamed or changed table or function may break what reads it */
		if (effects & ALTERS_NAMES)
			owners = add_all_unique(owners, readers_of_change(&objects[i],
															  trigdata->parsetree));
	}
	/* partitions attached, detached or created */
	{
		List	   *moved = partitions_moved(trigdata->parsetree);
		ListCell   *lc;

		foreach(lc, moved)
			owners = partition_family(owners, lfirst_oid(lc));
		/* the triggers DETACH dropped from the partition, unreported */
		if (moved != NIL)
			lineage_store_forget_vanished_class(TriggerRelationId);
	}
	/* what could not be analyzed before (store.c, "Deferred analysis") */
	owners = add_all_unique(owners, lineage_deferred_objects(&any_unresolved));
	/* a new or renamed name may resolve what did not */
	if ((effects & ADDS_NAMES) && any_unresolved)
	{
		List	   *names = NIL;

		for (i = 0; i < n; i++)
			names = list_concat(names, object_names(&objects[i]));
		if (names != NIL)
			owners = add_all_unique(owners, lineage_unresolved_objects(names));
	}

	lineage_store_refresh(owners);
	before_alter.relid = InvalidOid;	/* used once */
	PG_RETURN_NULL();
}

Datum
schemaguard_on_sql_drop(PG_FUNCTION_ARGS)
{
	ObjectAddress *objects;
	List	   *readers = NIL;
	Oid			table,
				source_index,
				dependent_index;
	bool		defaults = false;
	int			n;
	int			i;

	check_event_trigger_call(fcinfo, "schemaguard.on_sql_drop");

	/* DROP EXTENSION schemaguard itself: nothing left to maintain */
	if (!lineage_catalog_oids(&table, &source_index, &dependent_index) ||
		IsBinaryUpgrade)
		PG_RETURN_NULL();
	(void) lineage_ensure_current();	/* after pg_upgrade */

	/*
	 * Forget every dropped object; then analyze again the functions that
	 * read one of them (and were not dropped too): they are broken now, and
	 * say so as unresolved references.  What other edges tell is read
	 * before any is deleted; the readers are found by the very scans that
	 * delete the edges from each object (lineage_store_forget): an edge
	 * from an object that went with an earlier one (a column with its
	 * table) was found there, and one deleted as an edge to a dropped
	 * object leads to that object, which is not analyzed.
	 */
	objects = event_objects(F_PG_EVENT_TRIGGER_DROPPED_OBJECTS, &n);
	for (i = 0; i < n; i++)
		defaults |= (objects[i].classId == AttrDefaultRelationId);
	for (i = 0; i < n; i++)
	{
		/* a dropped trigger takes the table of its function's NEW and OLD */
		if (objects[i].classId == TriggerRelationId)
			readers = add_all_unique(readers, lineage_functions_called_by(&objects[i]));
		/* a trigger reading a dropped column through NEW or OLD: its table */
		if (objects[i].classId == RelationRelationId && objects[i].objectSubId != 0 &&
			has_triggers(objects[i].objectId))
		{
			ListCell   *lc;

			foreach(lc, lineage_dependents(&objects[i]))
			{
				if (((ObjectAddress *) lfirst(lc))->classId == TriggerRelationId)
					readers = add_unique(readers, (ObjectAddress *) lfirst(lc));
			}
		}
	}
	for (i = 0; i < n; i++)
	{
		List	   *reading = NIL;

		/*
		 * The only edges to a table's column are those of a generated
		 * column (object.c), whose expression, a pg_attrdef row, is dropped
		 * with it: without one in the list, no dropped column has edges to
		 * it (an index probe fewer for each, e.g. a DROP COLUMN's).
		 */
		lineage_store_forget(&objects[i], &reading,
							 objects[i].classId != RelationRelationId ||
							 objects[i].objectSubId == 0 || defaults);
		readers = add_all_unique(readers, reading);
	}
	for (i = 0; i < n; i++)
	{
		ListCell   *lc;

		foreach(lc, readers)
		{
			ObjectAddress *f = (ObjectAddress *) lfirst(lc);

			if (f->classId == objects[i].classId && f->objectId == objects[i].objectId)
			{
				readers = foreach_delete_current(readers, lc);
				break;
			}
		}
	}
	lineage_store_refresh(readers);
	PG_RETURN_NULL();
}
