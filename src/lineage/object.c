/*-------------------------------------------------------------------------
 *
 * object.c
 *	  Which edges an object's definition gives, by kind of object; which
 *	  object owns a catalog entry a DDL command reports; and the list of
 *	  every object whose lineage is kept.
 *
 * A relation owns the edges of:
 *	- its stored query, if it is a view or materialized view
 *	  (query.c);
 *	- its generated columns (dependent: the column) and the functions its
 *	  column defaults call (dependent: the default, pg_attrdef);
 *	- its CHECK constraints (filter) and foreign keys (join, both sides);
 *	- its indexes: key columns (identity), expressions (transformation),
 *	  partial-index predicates (filter);
 *	- its triggers: UPDATE OF columns and WHEN condition (conditional), the
 *	  trigger function (call), what a PL/pgSQL trigger function's NEW and
 *	  OLD read and write of this table (function.c), the columns the
 *	  arguments of a known C trigger function name (trigger_args.c);
 *	- its row-level security policies: USING and WITH CHECK (filter);
 *	- its extended statistics: columns (identity), expressions;
 *	- its rules other than a view's "_RETURN": condition (filter) and
 *	  actions (what they read, and "write" for the columns they assign).
 * A DDL command that creates or changes any of these reports the entry
 * itself; its owner relation is recomputed as a whole, which is cheap and
 * cannot miss a sibling the command changed too (ALTER COLUMN TYPE rewrites
 * every expression over the column).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "rewrite/rewriteSupport.h"
#include "utils/array.h"
#include "utils/fmgrprotos.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

static ObjectAddress *
new_address(Oid classid, Oid objid)
{
	ObjectAddress *address = palloc(sizeof(ObjectAddress));

	ObjectAddressSet(*address, classid, objid);
	return address;
}

/* An edge from a column, or from a function called, to a dependent. */
static LineageEdge *
new_edge(Oid source_classid, Oid source_objid, int32 source_subid,
		 const ObjectAddress *dependent, LineageUsage usage)
{
	LineageEdge *edge = palloc(sizeof(LineageEdge));

	edge->source.classId = source_classid;
	edge->source.objectId = source_objid;
	edge->source.objectSubId = source_subid;
	edge->dependent = *dependent;
	edge->usage = usage;
	return edge;
}

/* The tree stored in a pg_node_tree column, or NULL. */
static Node *
stored_tree(HeapTuple tuple, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, attnum, desc, &isnull);

	return isnull ? NULL : (Node *) stringToNode(TextDatumGetCString(value));
}

/* The elements of an int2vector column. */
static int2vector *
stored_int2vector(HeapTuple tuple, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, attnum, desc, &isnull);

	return isnull ? NULL : (int2vector *) DatumGetPointer(value);
}

/*
 * scan_by_relation
 *		Every row of a catalog whose index's first column is the relation.
 *		Calls fn for each with the row and the catalog's descriptor.
 */
typedef void (*RowFn) (HeapTuple tuple, TupleDesc desc, Oid relid,
					   List **edges, List **owned);

static void
scan_by_relation(Oid catalog, Oid index, AttrNumber relid_attnum, Oid relid,
				 RowFn fn, List **edges, List **owned)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&key, relid_attnum, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, index, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		fn(tuple, RelationGetDescr(rel), relid, edges, owned);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* Generated columns, and the calls column defaults make. */
static void
attrdef_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
			List **owned)
{
	Form_pg_attrdef def = (Form_pg_attrdef) GETSTRUCT(tuple);
	Node	   *expr = stored_tree(tuple, Anum_pg_attrdef_adbin, desc);
	ObjectAddress dependent;

	if (get_attgenerated(relid, def->adnum) != '\0')
		ObjectAddressSubSet(dependent, RelationRelationId, relid, def->adnum);
	else
	{
		ObjectAddressSet(dependent, AttrDefaultRelationId, def->oid);
		*owned = lappend(*owned, new_address(AttrDefaultRelationId, def->oid));
	}
	*edges = list_concat(*edges, expression_lineage_edges(expr, relid, &dependent,
														  USAGE_IDENTITY));
}

/* CHECK constraints and foreign keys (unique and primary keys: their index). */
static void
constraint_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
			   List **owned)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tuple);
	ObjectAddress dependent;

	ObjectAddressSet(dependent, ConstraintRelationId, con->oid);
	if (con->contype == CONSTRAINT_CHECK)
	{
		*edges = list_concat(*edges,
							 expression_lineage_edges(stored_tree(tuple, Anum_pg_constraint_conbin, desc),
													  relid, &dependent, USAGE_FILTER));
	}
	else if (con->contype == CONSTRAINT_FOREIGN)
	{
		bool		isnull;
		Datum		keys[2];
		Oid			rels[2] = {relid, con->confrelid};
		int			side;

		keys[0] = heap_getattr(tuple, Anum_pg_constraint_conkey, desc, &isnull);
		keys[1] = heap_getattr(tuple, Anum_pg_constraint_confkey, desc, &isnull);
		for (side = 0; side < 2; side++)
		{
			Datum	   *elems;
			int			nelems;
			int			i;

			deconstruct_array(DatumGetArrayTypeP(keys[side]), INT2OID, 2, true,
							  TYPALIGN_SHORT, &elems, NULL, &nelems);
			for (i = 0; i < nelems; i++)
				*edges = lappend(*edges, new_edge(RelationRelationId, rels[side],
												  DatumGetInt16(elems[i]),
												  &dependent, USAGE_JOIN));
		}
	}
	else
		return;
	*owned = lappend(*owned, new_address(ConstraintRelationId, con->oid));
}

/* Indexes: key columns, expressions, partial-index predicate. */
static void
index_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
		  List **owned)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tuple);
	ObjectAddress dependent;
	int			i;

	ObjectAddressSet(dependent, RelationRelationId, idx->indexrelid);
	for (i = 0; i < idx->indnatts; i++)
	{
		if (idx->indkey.values[i] > 0)
			*edges = lappend(*edges, new_edge(RelationRelationId, relid,
											  idx->indkey.values[i],
											  &dependent, USAGE_IDENTITY));
	}
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_index_indexprs, desc),
												  relid, &dependent, USAGE_TRANSFORMATION));
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_index_indpred, desc),
												  relid, &dependent, USAGE_FILTER));
	*owned = lappend(*owned, new_address(RelationRelationId, idx->indexrelid));
}

/* Triggers: UPDATE OF columns, WHEN condition, the trigger function. */
static void
trigger_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
			List **owned)
{
	Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);
	ObjectAddress dependent;
	int2vector *columns;
	int			i;

	/* foreign-key enforcement: the constraint stands for it */
	if (trig->tgisinternal)
		return;
	ObjectAddressSet(dependent, TriggerRelationId, trig->oid);
	columns = stored_int2vector(tuple, Anum_pg_trigger_tgattr, desc);
	for (i = 0; columns && i < columns->dim1; i++)
		*edges = lappend(*edges, new_edge(RelationRelationId, relid,
										  columns->values[i], &dependent,
										  USAGE_CONDITIONAL));
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_trigger_tgqual, desc),
												  relid, &dependent, USAGE_CONDITIONAL));
	if (lineage_function_tracked(trig->tgfoid))
	{
		*edges = lappend(*edges, new_edge(ProcedureRelationId, trig->tgfoid, 0,
										  &dependent, USAGE_CALL));
		/* what its NEW and OLD read and write of this table */
		*edges = list_concat(*edges,
							 function_trigger_lineage(trig->tgfoid, relid, &dependent));
	}
	if (trig->tgnargs > 0)
	{
		/* columns named by the arguments of a known C trigger function */
		bool		isnull;
		Datum		args = heap_getattr(tuple, Anum_pg_trigger_tgargs, desc, &isnull);

		if (!isnull)
			*edges = list_concat(*edges,
								 trigger_argument_edges(trig->tgfoid,
														VARDATA_ANY(DatumGetByteaPP(args)),
														trig->tgnargs, relid, &dependent));
	}
	*owned = lappend(*owned, new_address(TriggerRelationId, trig->oid));
}

/* Row-level security policies: USING and WITH CHECK. */
static void
policy_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
		   List **owned)
{
	Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tuple);
	ObjectAddress dependent;

	ObjectAddressSet(dependent, PolicyRelationId, pol->oid);
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_policy_polqual, desc),
												  relid, &dependent, USAGE_FILTER));
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_policy_polwithcheck, desc),
												  relid, &dependent, USAGE_FILTER));
	*owned = lappend(*owned, new_address(PolicyRelationId, pol->oid));
}

/* Extended statistics: columns and expressions. */
static void
statistics_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
			   List **owned)
{
	Form_pg_statistic_ext stx = (Form_pg_statistic_ext) GETSTRUCT(tuple);
	ObjectAddress dependent;
	int			i;

	ObjectAddressSet(dependent, StatisticExtRelationId, stx->oid);
	for (i = 0; i < stx->stxkeys.dim1; i++)
		*edges = lappend(*edges, new_edge(RelationRelationId, relid,
										  stx->stxkeys.values[i], &dependent,
										  USAGE_IDENTITY));
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_statistic_ext_stxexprs, desc),
												  relid, &dependent, USAGE_TRANSFORMATION));
	*owned = lappend(*owned, new_address(StatisticExtRelationId, stx->oid));
}

/* Rules other than a view's "_RETURN": condition and actions. */
static void
rule_row(HeapTuple tuple, TupleDesc desc, Oid relid, List **edges,
		 List **owned)
{
	Form_pg_rewrite rule = (Form_pg_rewrite) GETSTRUCT(tuple);
	ObjectAddress dependent;
	List	   *actions;
	ListCell   *lc;

	if (strcmp(NameStr(rule->rulename), ViewSelectRuleName) == 0)
		return;
	ObjectAddressSet(dependent, RewriteRelationId, rule->oid);
	*edges = list_concat(*edges,
						 expression_lineage_edges(stored_tree(tuple, Anum_pg_rewrite_ev_qual, desc),
												  relid, &dependent, USAGE_FILTER));
	actions = (List *) stored_tree(tuple, Anum_pg_rewrite_ev_action, desc);
	foreach(lc, actions)
	{
		if (IsA(lfirst(lc), Query))
			*edges = list_concat(*edges,
								 query_lineage_edges((Query *) lfirst(lc),
													 &dependent, false));
	}
	*owned = lappend(*owned, new_address(RewriteRelationId, rule->oid));
}

/*
 * relation_tracked
 *		Is this a relation whose lineage we keep?  System schemas, our own,
 *		and temporary relations (which vanish at session end without any
 *		event we could see) are left out.
 */
static bool
relation_tracked(Form_pg_class form)
{
	return (form->relkind == RELKIND_RELATION ||
			form->relkind == RELKIND_PARTITIONED_TABLE ||
			form->relkind == RELKIND_FOREIGN_TABLE ||
			form->relkind == RELKIND_VIEW ||
			form->relkind == RELKIND_MATVIEW) &&
		form->relpersistence != RELPERSISTENCE_TEMP &&
		lineage_namespace_tracked(form->relnamespace);
}

/*
 * Presence: during a rebuild, which relations have any row in each catalog
 * their dependents live in.  Reading each catalog once, for every
 * relation, costs a few milliseconds; looking in each one with an index
 * for each of thousands of relations (most of which have nothing there)
 * cost tens.
 */
#define IN_ATTRDEF		0x01
#define IN_CONSTRAINT	0x02
#define IN_INDEX		0x04
#define IN_POLICY		0x08
#define IN_STATISTIC	0x10
#define IN_TRIGGER		0x20
#define IN_RULE			0x40

typedef struct Presence
{
	Oid			relid;
	int			in;
} Presence;

static HTAB *presence = NULL;

static void
note_presence(Oid relid, int in)
{
	Presence   *entry;
	bool		found;

	if (!OidIsValid(relid))
		return;
	entry = hash_search(presence, &relid, HASH_ENTER, &found);
	if (!found)
		entry->in = 0;
	entry->in |= in;
}

/* Is there possibly a row of this catalog for this relation? */
static bool
present(Oid relid, int in)
{
	Presence   *entry;

	if (presence == NULL)
		return true;
	entry = hash_search(presence, &relid, HASH_FIND, NULL);
	return entry != NULL && (entry->in & in) != 0;
}

/*
 * lineage_catalog_presence
 *		Start (on) or end a rebuild's reading of the catalogs, made in the
 *		current memory context (see "Presence" above).
 */
void
lineage_catalog_presence(bool on)
{
	static const Oid catalogs[] = {AttrDefaultRelationId, ConstraintRelationId,
		IndexRelationId, PolicyRelationId, StatisticExtRelationId,
	TriggerRelationId, RewriteRelationId};
	HASHCTL		ctl;
	int			i;

	if (presence != NULL)
		hash_destroy(presence);
	presence = NULL;
	if (!on)
		return;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Presence);
	ctl.hcxt = CurrentMemoryContext;
	presence = hash_create("schemaguard catalog presence", 4096, &ctl,
						   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (i = 0; i < lengthof(catalogs); i++)
	{
		Relation	rel = table_open(catalogs[i], AccessShareLock);
		SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
		HeapTuple	tuple;

		while (HeapTupleIsValid(tuple = systable_getnext(scan)))
		{
			switch (catalogs[i])
			{
				case AttrDefaultRelationId:
					note_presence(((Form_pg_attrdef) GETSTRUCT(tuple))->adrelid, IN_ATTRDEF);
					break;
				case ConstraintRelationId:
					note_presence(((Form_pg_constraint) GETSTRUCT(tuple))->conrelid, IN_CONSTRAINT);
					break;
				case IndexRelationId:
					note_presence(((Form_pg_index) GETSTRUCT(tuple))->indrelid, IN_INDEX);
					break;
				case PolicyRelationId:
					note_presence(((Form_pg_policy) GETSTRUCT(tuple))->polrelid, IN_POLICY);
					break;
				case StatisticExtRelationId:
					note_presence(((Form_pg_statistic_ext) GETSTRUCT(tuple))->stxrelid, IN_STATISTIC);
					break;
				case TriggerRelationId:
					note_presence(((Form_pg_trigger) GETSTRUCT(tuple))->tgrelid, IN_TRIGGER);
					break;
				case RewriteRelationId:
					if (strcmp(NameStr(((Form_pg_rewrite) GETSTRUCT(tuple))->rulename),
							   ViewSelectRuleName) != 0)
						note_presence(((Form_pg_rewrite) GETSTRUCT(tuple))->ev_class, IN_RULE);
					break;
			}
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
}

/* The catalogs a relation's dependents live in, and how each row is read. */
typedef struct DependentCatalog
{
	Oid			catalog;
	Oid			index;			/* its index by relation */
	AttrNumber	relid_attnum;
	RowFn		row;
	int			in;				/* its presence bit (above) */
	bool		not_views;		/* a view has none */
} DependentCatalog;

static const DependentCatalog dependent_catalogs[] = {
	{AttrDefaultRelationId, AttrDefaultIndexId, Anum_pg_attrdef_adrelid, attrdef_row, IN_ATTRDEF, true},
	{ConstraintRelationId, ConstraintRelidTypidNameIndexId, Anum_pg_constraint_conrelid, constraint_row, IN_CONSTRAINT, true},
	{IndexRelationId, IndexIndrelidIndexId, Anum_pg_index_indrelid, index_row, IN_INDEX, true},
	{PolicyRelationId, PolicyPolrelidPolnameIndexId, Anum_pg_policy_polrelid, policy_row, IN_POLICY, true},
	{StatisticExtRelationId, StatisticExtRelidIndexId, Anum_pg_statistic_ext_stxrelid, statistics_row, IN_STATISTIC, true},
	{TriggerRelationId, TriggerRelidNameIndexId, Anum_pg_trigger_tgrelid, trigger_row, IN_TRIGGER, false},
	{RewriteRelationId, RewriteRelRulenameIndexId, Anum_pg_rewrite_ev_class, rule_row, IN_RULE, false}
};

static List *
relation_lineage(Oid relid, List **owned)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Form_pg_class form;
	char		relkind;
	bool		tracked;
	List	   *edges = NIL;
	int			absent;
	int			i;

	*owned = lappend(*owned, new_address(RelationRelationId, relid));
	if (!HeapTupleIsValid(tuple))
		return NIL;
	form = (Form_pg_class) GETSTRUCT(tuple);
	relkind = form->relkind;
	tracked = relation_tracked(form);
	/* what pg_class says a relation has none of */
	absent = (form->relhastriggers ? 0 : IN_TRIGGER) | (form->relhasindex ? 0 : IN_INDEX) |
		(form->relhasrules ? 0 : IN_RULE);
	ReleaseSysCache(tuple);
	if (!tracked)
		return NIL;

	if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
		edges = view_lineage_edges(relid);
	for (i = 0; i < lengthof(dependent_catalogs); i++)
	{
		const DependentCatalog *c = &dependent_catalogs[i];

		if ((relkind != RELKIND_VIEW || !c->not_views) && !(absent & c->in) &&
			present(relid, c->in))
			scan_by_relation(c->catalog, c->index, c->relid_attnum, relid, c->row,
							 &edges, owned);
	}
	return edges;
}

typedef LineageEdge *EdgePointer;

static inline int
compare_edges(const EdgePointer *a, const EdgePointer *b)
{
	return memcmp(*a, *b, sizeof(LineageEdge));
}

/* sort_edges(): an array of edge pointers sorted with compare_edges, inline */
#define ST_SORT			sort_edges
#define ST_ELEMENT_TYPE	EdgePointer
#define ST_COMPARE(a, b) compare_edges(a, b)
#define ST_SCOPE		static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * unique_edges
 *		The same edges, each once: an object can reach the same column in
 *		the same way from two places (a trigger's UPDATE OF list and its
 *		WHEN condition).  LineageEdge has no padding, so memcmp compares it.
 */
static List *
unique_edges(List *edges)
{
	int			n = list_length(edges);
	LineageEdge **array;
	List	   *result = NIL;
	int			i;

	if (n < 2)
		return edges;
	array = palloc(sizeof(LineageEdge *) * n);
	for (i = 0; i < n; i++)
		array[i] = (LineageEdge *) list_nth(edges, i);
	sort_edges(array, n);
	for (i = 0; i < n; i++)
	{
		if (i == 0 || compare_edges(&array[i - 1], &array[i]) != 0)
			result = lappend(result, array[i]);
	}
	return result;
}

/*
 * object_lineage
 *		The edges an object's definition gives, each once, allocated in the
 *		current memory context.  *owned gets every dependent whose edges the
 *		object owns (ObjectAddress pointers, objectSubId 0), so that a
 *		refresh can delete them first; *unresolved the names it uses that do
 *		not resolve (UnresolvedRef pointers).
 */
List *
object_lineage(const ObjectAddress *object, List **owned, List **unresolved)
{
	List	   *edges = NIL;

	lineage_notes_reset();
	if (object->classId == RelationRelationId)
		edges = unique_edges(relation_lineage(object->objectId, owned));
	else if (object->classId == ProcedureRelationId)
		edges = unique_edges(function_lineage(object->objectId, owned));
	*unresolved = lineage_notes_take();
	return edges;
}

/* The first column (an oid) of the row with this OID in a catalog. */
static Oid
catalog_row_oid(Oid catalog, Oid oid_index, AttrNumber oid_attnum, Oid objid,
				AttrNumber want)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			result = InvalidOid;

	ScanKeyInit(&key, oid_attnum, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, oid_index, true, NULL, 1, &key);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;

		result = DatumGetObjectId(heap_getattr(tuple, want,
											   RelationGetDescr(rel), &isnull));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * Catalog entries that belong to a relation: where to find an entry by OID,
 * and its relation's column.
 */
typedef struct OwnedCatalog
{
	Oid			catalog;
	Oid			oid_index;
	AttrNumber	oid_attnum;
	AttrNumber	relid_attnum;
} OwnedCatalog;

static const OwnedCatalog owned_catalogs[] = {
	{TriggerRelationId, TriggerOidIndexId, Anum_pg_trigger_oid, Anum_pg_trigger_tgrelid},
	{PolicyRelationId, PolicyOidIndexId, Anum_pg_policy_oid, Anum_pg_policy_polrelid},
	{ConstraintRelationId, ConstraintOidIndexId, Anum_pg_constraint_oid, Anum_pg_constraint_conrelid},
	{StatisticExtRelationId, StatisticExtOidIndexId, Anum_pg_statistic_ext_oid, Anum_pg_statistic_ext_stxrelid},
	{RewriteRelationId, RewriteOidIndexId, Anum_pg_rewrite_oid, Anum_pg_rewrite_ev_class},
	{AttrDefaultRelationId, AttrDefaultOidIndexId, Anum_pg_attrdef_oid, Anum_pg_attrdef_adrelid}
};

/*
 * lineage_owner
 *		The object whose lineage a catalog entry belongs to (an index, a
 *		trigger, a policy...: their relation; a function: itself), or
 *		InvalidOid in objectId if it has none.
 */
ObjectAddress
lineage_owner(const ObjectAddress *object)
{
	ObjectAddress owner;
	Oid			relid = InvalidOid;
	int			i;

	ObjectAddressSet(owner, InvalidOid, InvalidOid);
	if (object->classId == ProcedureRelationId)
		ObjectAddressSet(owner, ProcedureRelationId, object->objectId);
	else if (object->classId == RelationRelationId)
	{
		char		relkind = get_rel_relkind(object->objectId);

		relid = (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX)
			? IndexGetRelation(object->objectId, true) : object->objectId;
	}
	else
	{
		for (i = 0; i < lengthof(owned_catalogs); i++)
		{
			const OwnedCatalog *c = &owned_catalogs[i];

			if (c->catalog == object->classId)
				relid = catalog_row_oid(c->catalog, c->oid_index, c->oid_attnum,
										object->objectId, c->relid_attnum);
		}
	}
	if (OidIsValid(relid))
		ObjectAddressSet(owner, RelationRelationId, relid);
	return owner;
}

/*
 * lineage_trigger_function
 *		For a trigger, its function (whose NEW and OLD it gives a table);
 *		InvalidOid otherwise.
 */
Oid
lineage_trigger_function(const ObjectAddress *object)
{
	if (object->classId != TriggerRelationId)
		return InvalidOid;
	return catalog_row_oid(TriggerRelationId, TriggerOidIndexId,
						   Anum_pg_trigger_oid, object->objectId,
						   Anum_pg_trigger_tgfoid);
}

/*
 * lineage_trigger_relations
 *		The tables with a trigger calling this function (their OIDs, each
 *		once): what each of them reads through its NEW and OLD changes with
 *		the function's body.
 */
List *
lineage_trigger_relations(Oid funcid)
{
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tuple;
	List	   *relids = NIL;

	if (get_func_rettype(funcid) != TRIGGEROID)
		return NIL;
	rel = table_open(TriggerRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);

		if (trig->tgfoid == funcid && !trig->tgisinternal)
			relids = list_append_unique_oid(relids, trig->tgrelid);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return relids;
}

/*
 * lineage_names_by_text
 *		Does a trigger name a column of its table as text that PostgreSQL
 *		does not track -- its PL/pgSQL function through NEW and OLD, or the
 *		arguments of a known C trigger function -- so that dropping or
 *		renaming the column breaks the trigger instead of dropping or
 *		following it?  (UPDATE OF and WHEN are tracked: PostgreSQL refuses
 *		the drop, and follows the rename.)  source is a column, or a
 *		relation (any of its columns).
 */
bool
lineage_names_by_text(const ObjectAddress *dependent, const ObjectAddress *source)
{
	TriggerRow	trig;
	List	   *edges = NIL;
	ListCell   *lc;
	bool		found = false;

	if (dependent->classId != TriggerRelationId || source->classId != RelationRelationId ||
		!lineage_trigger_row(dependent->objectId, &trig) || trig.internal ||
		trig.relid != source->objectId)
		return false;
	if (lineage_function_tracked(trig.funcid))
		edges = function_trigger_lineage(trig.funcid, trig.relid, dependent);
	if (trig.nargs > 0)
		edges = list_concat(edges,
							trigger_argument_edges(trig.funcid, trig.args, trig.nargs,
												   trig.relid, dependent));
	lineage_notes_reset();
	foreach(lc, edges)
	{
		LineageEdge *edge = (LineageEdge *) lfirst(lc);

		if (edge->source.objectId == source->objectId &&
			(source->objectSubId == 0 || edge->source.objectSubId == source->objectSubId))
			found = true;
	}
	return found;
}

/*
 * lineage_object_schema
 *		The schema whose USAGE decides whether a role may see an object's
 *		name: its own, or for objects without one (triggers, policies, rules,
 *		defaults), their relation's.
 */
Oid
lineage_object_schema(const ObjectAddress *object)
{
	ObjectAddress owner;

	switch (object->classId)
	{
		case TriggerRelationId:
		case PolicyRelationId:
		case RewriteRelationId:
		case AttrDefaultRelationId:
			owner = lineage_owner(object);
			return OidIsValid(owner.objectId) ? get_rel_namespace(owner.objectId)
				: InvalidOid;
		default:
			return get_object_namespace(object);
	}
}

/*
 * lineage_all_objects
 *		Every object whose lineage is kept: the relations and the functions
 *		of user schemas.
 */
List *
lineage_all_objects(void)
{
	Relation	rel = table_open(RelationRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	List	   *objects = NIL;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tuple);

		if (relation_tracked(form))
			objects = lappend(objects, new_address(RelationRelationId, form->oid));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);

	rel = table_open(ProcedureRelationId, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_proc form = (Form_pg_proc) GETSTRUCT(tuple);

		if ((form->prokind == PROKIND_FUNCTION || form->prokind == PROKIND_PROCEDURE) &&
			lineage_function_tracked(form->oid))
			objects = lappend(objects, new_address(ProcedureRelationId, form->oid));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return objects;
}
