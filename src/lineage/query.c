/*-------------------------------------------------------------------------
 *
 * query.c
 *	  Column lineage of analyzed query trees and stored expressions: views
 *	  and materialized views (the tree the server stores as their "_RETURN"
 *	  rule), rule actions, SQL function bodies, and the expressions of
 *	  generated columns, constraints, indexes, policies and triggers.
 *
 * Every column reference in an analyzed tree is already bound to a range
 * table entry and an attribute number, so nothing is resolved by name here:
 * we follow Vars through joins (and their alias columns), subqueries, CTEs
 * (recursive ones by iterating to a fixed point), set operations, function,
 * VALUES and table-function ranges until they reach a relation column, and
 * record how each output column, or the row set as a whole, uses it.  Calls
 * of user functions are recorded too ("call"), and the columns a data-
 * modifying query assigns ("write").
 *
 * A relation column reached this way may itself be a column of another view;
 * the edge stops there and transitive questions are answered by following
 * the stored edges (impact.c), so each view is analyzed on its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/indexing.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteSupport.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

const char *const lineage_usage_names[] = {
	"identity",
	"transformation",
	"aggregation",
	"conditional",
	"filter",
	"join",
	"group_by",
	"sort",
	"window",
	"write",
	"call",
	"dynamic"
};
StaticAssertDecl(lengthof(lineage_usage_names) == LINEAGE_NUM_USAGES,
				 "lineage_usage_names must name every LineageUsage");

/* The usage a stored text (schemaguard.lineage_edge.usage) names, or -1. */
int
lineage_usage_of(Datum value)
{
	static int	lengths[LINEAGE_NUM_USAGES];
	text	   *t = DatumGetTextPP(value);
	int			len = VARSIZE_ANY_EXHDR(t);
	int			i;

	if (lengths[0] == 0)
	{
		for (i = 0; i < LINEAGE_NUM_USAGES; i++)
			lengths[i] = strlen(lineage_usage_names[i]);
	}
	for (i = 0; i < LINEAGE_NUM_USAGES; i++)
	{
		if (lengths[i] == len &&
			memcmp(lineage_usage_names[i], VARDATA_ANY(t), len) == 0)
			return i;
	}
	return -1;
}

/* A source (a column, or a function called) and how it is used. */
typedef struct SourceItem
{
	Oid			classid;		/* RelationRelationId or ProcedureRelationId */
	Oid			objid;
	int32		subid;			/* column number; 0 for a function */
	LineageUsage usage;
} SourceItem;

/*
 * What one Query (the view itself, a subquery, a CTE or a set-operation leaf)
 * depends on: per target-list entry, and for its row set as a whole.
 */
typedef struct QueryLineage
{
	Query	   *query;
	int			ncols;			/* length of query->targetList */
	List	  **cols;			/* SourceItem lists, indexed by resno - 1 */
	List	   *rows;			/* SourceItems that shape the row set */
	int			depth;			/* nesting depth while in progress */
	bool		in_progress;
	bool		self_referenced;	/* read while in progress (recursive CTE) */
} QueryLineage;

/*
 * State of the analysis of one view.  Finished QueryLineages are memoized by
 * Query pointer, except those computed from a still-growing recursive CTE
 * ("tainted": they are recomputed on the next iteration).
 */
typedef struct LineageWalk
{
	List	   *memo;
	int			depth;
	int			taint_floor;	/* lowest in-progress depth read so far */
	bool		keep_sorts;		/* ORDER BY counts without LIMIT too */
} LineageWalk;

/* Where expression sources go, and how they are used there. */
typedef struct CollectContext
{
	LineageWalk *walk;
	List	   *levels;			/* Query stack, innermost first */
	LineageUsage usage;
	bool		forced;			/* usage applies whatever the inner usage is */
	List	  **out;
} CollectContext;

static QueryLineage *analyze_query(LineageWalk *walk, Query *query,
								   List *levels);
static bool collect_walker(Node *node, CollectContext *cxt);

/*
 * push_level
 *		The query stack of a nested query.  lcons() would extend the caller's
 *		list in place (PostgreSQL 13+ lists are arrays), so copy it first.
 */
static List *
push_level(Query *query, List *levels)
{
	return lcons(query, list_copy(levels));
}

/*
 * add_item
 *		Add a source to a list unless it is already there.
 */
static void
add_source(List **list, Oid classid, Oid objid, int32 subid, LineageUsage usage)
{
	ListCell   *lc;
	SourceItem *item;

	foreach(lc, *list)
	{
		item = (SourceItem *) lfirst(lc);
		if (item->objid == objid && item->subid == subid &&
			item->classid == classid && item->usage == usage)
			return;
	}
	item = palloc(sizeof(SourceItem));
	item->classid = classid;
	item->objid = objid;
	item->subid = subid;
	item->usage = usage;
	*list = lappend(*list, item);
}

/*
 * With params_only, only what stands behind parameters is collected: the
 * analysis of a trigger function for one trigger keeps the columns of its
 * table read through NEW and OLD, and leaves the rest to the function's own
 * lineage.
 */
static bool params_only = false;

/* A column source (none while only parameters are collected). */
static void
add_item(List **list, Oid relid, AttrNumber attnum, LineageUsage usage)
{
	if (!params_only)
		add_source(list, RelationRelationId, relid, attnum, usage);
}

/* Copy a source into another list, with a (possibly) new usage. */
static void
copy_item(List **list, const SourceItem *item, LineageUsage usage)
{
	add_source(list, item->classid, item->objid, item->subid, usage);
}

/*
 * compose
 *		The usage of an inner source seen through the current context: a
 *		forced (indirect) context wins; an indirect inner usage is kept; two
 *		direct usages give the stronger.
 */
static LineageUsage
compose(const CollectContext *cxt, LineageUsage inner)
{
	if (inner == USAGE_CALL)
		return inner;			/* a call stays a call wherever it is */
	if (cxt->forced)
		return cxt->usage;
	if (!USAGE_IS_DIRECT(inner))
		return inner;
	return Max(cxt->usage, inner);
}

static void
collect(Node *node, LineageWalk *walk, List *levels, LineageUsage usage,
		bool forced, List **out)
{
	CollectContext cxt;

	cxt.walk = walk;
	cxt.levels = levels;
	cxt.usage = usage;
	cxt.forced = forced;
	cxt.out = out;
	(void) collect_walker(node, &cxt);
}

/* A copy of the context whose direct usage is at least "usage". */
static CollectContext
context_at_least(const CollectContext *cxt, LineageUsage usage)
{
	CollectContext sub = *cxt;

	if (!sub.forced)
		sub.usage = Max(sub.usage, usage);
	return sub;
}

/* A copy of the context that forces an indirect usage (unless already forced). */
static CollectContext
context_forced(const CollectContext *cxt, LineageUsage usage)
{
	CollectContext sub = *cxt;

	if (!sub.forced)
	{
		sub.forced = true;
		sub.usage = usage;
	}
	return sub;
}

/*
 * add_lineage_column
 *		Add what column attno of an analyzed query depends on (attno 0: the
 *		whole row, i.e. every output column, as a transformation).
 */
static void
add_lineage_column(QueryLineage *ql, AttrNumber attno, CollectContext *cxt)
{
	ListCell   *lc;

	if (attno > 0)
	{
		if (attno > ql->ncols)
			return;
		foreach(lc, ql->cols[attno - 1])
		{
			SourceItem *item = (SourceItem *) lfirst(lc);

			copy_item(cxt->out, item, compose(cxt, item->usage));
		}
	}
	else if (attno == 0)
	{
		CollectContext sub = context_at_least(cxt, USAGE_TRANSFORMATION);
		ListCell   *tl;

		foreach(tl, ql->query->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, tl);

			if (!tle->resjunk)
				add_lineage_column(ql, tle->resno, &sub);
		}
	}
}

/*
 * add_all_columns
 *		A whole-row reference to a relation uses every live column of it.
 */
static void
add_all_columns(Oid relid, LineageUsage usage, List **out)
{
	ListCell   *lc;

	foreach(lc, lineage_relation_columns(relid))
		add_item(out, relid, (AttrNumber) lfirst_int(lc), usage);
}

/*
 * analyze_cte
 *		The lineage of the CTE a RTE_CTE entry names.  "levels" starts at the
 *		query that holds the RTE.
 */
static QueryLineage *
analyze_cte(LineageWalk *walk, RangeTblEntry *rte, List *levels)
{
	List	   *owner_levels;
	Query	   *owner;
	ListCell   *lc;

	if (rte->ctelevelsup >= list_length(levels))
		return NULL;
	owner_levels = list_copy_tail(levels, rte->ctelevelsup);
	owner = (Query *) linitial(owner_levels);

	foreach(lc, owner->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (strcmp(cte->ctename, rte->ctename) == 0 &&
			IsA(cte->ctequery, Query))
		{
			Query	   *cq = (Query *) cte->ctequery;

			return analyze_query(walk, cq, push_level(cq, owner_levels));
		}
	}
	return NULL;
}

/*
 * collect_rte_column
 *		Sources of column attno of a range table entry; "levels" starts at the
 *		query whose range table holds it.
 */
static void
collect_rte_column(RangeTblEntry *rte, AttrNumber attno, List *levels,
				   CollectContext *cxt)
{
	CollectContext sub = *cxt;
	ListCell   *lc;

	sub.levels = levels;

	switch (rte->rtekind)
	{
		case RTE_RELATION:
			if (attno > 0)
				add_item(cxt->out, rte->relid, attno,
						 compose(cxt, USAGE_IDENTITY));
			else if (attno == 0)
				add_all_columns(rte->relid,
								compose(cxt, USAGE_TRANSFORMATION), cxt->out);
			/* system columns carry no lineage */
			break;

		case RTE_SUBQUERY:
			add_lineage_column(analyze_query(cxt->walk, rte->subquery,
											 push_level(rte->subquery, levels)),
							   attno, cxt);
			break;

		case RTE_CTE:
			{
				QueryLineage *ql = analyze_cte(cxt->walk, rte, levels);

				if (ql != NULL)
					add_lineage_column(ql, attno, cxt);
			}
			break;

		case RTE_JOIN:
			if (attno > 0)
			{
				if (attno <= list_length(rte->joinaliasvars))
					(void) collect_walker((Node *) list_nth(rte->joinaliasvars,
															attno - 1), &sub);
			}
			else if (attno == 0)
			{
				sub = context_at_least(&sub, USAGE_TRANSFORMATION);
				(void) collect_walker((Node *) rte->joinaliasvars, &sub);
			}
			break;

		case RTE_FUNCTION:
			/* every output column of a function is computed from its arguments */
			sub = context_at_least(&sub, USAGE_TRANSFORMATION);
			foreach(lc, rte->functions)
			{
				RangeTblFunction *rtfunc = lfirst_node(RangeTblFunction, lc);

				(void) collect_walker(rtfunc->funcexpr, &sub);
			}
			break;

		case RTE_VALUES:
			foreach(lc, rte->values_lists)
			{
				List	   *row = (List *) lfirst(lc);

				if (attno > 0 && attno <= list_length(row))
					(void) collect_walker((Node *) list_nth(row, attno - 1), &sub);
				else if (attno == 0)
				{
					CollectContext whole = context_at_least(&sub,
															USAGE_TRANSFORMATION);

					(void) collect_walker((Node *) row, &whole);
				}
			}
			break;

		case RTE_TABLEFUNC:
			sub = context_at_least(&sub, USAGE_TRANSFORMATION);
			(void) collect_walker((Node *) rte->tablefunc, &sub);
			break;

		default:
			/* RTE_RESULT, RTE_NAMEDTUPLESTORE: no columns of ours */
			break;
	}
}

static void
collect_var(Var *var, CollectContext *cxt)
{
	List	   *levels;
	Query	   *query;

	if (var->varlevelsup >= list_length(cxt->levels))
		return;
	levels = list_copy_tail(cxt->levels, var->varlevelsup);
	query = (Query *) linitial(levels);
	if (var->varno < 1 || var->varno > list_length(query->rtable))
		return;
	collect_rte_column(rt_fetch(var->varno, query->rtable), var->varattno,
					   levels, cxt);
}

/*
 * collect_sublink
 *		A subquery inside an expression.  Where the context forces a usage
 *		(e.g. EXISTS in WHERE: a filter), everything inside takes it.  In a
 *		direct context the subquery's output flows into the value (kept as is
 *		for a scalar or ARRAY subquery, a transformation otherwise) and what
 *		shapes its rows keeps its own kind.
 */
static void
collect_sublink(SubLink *sublink, CollectContext *cxt)
{
	Query	   *subquery = castNode(Query, sublink->subselect);
	QueryLineage *ql;
	CollectContext sub = *cxt;
	ListCell   *lc;

	ql = analyze_query(cxt->walk, subquery, push_level(subquery, cxt->levels));

	if (sublink->subLinkType != EXPR_SUBLINK &&
		sublink->subLinkType != ARRAY_SUBLINK &&
		sublink->subLinkType != MULTIEXPR_SUBLINK)
		sub = context_at_least(cxt, USAGE_TRANSFORMATION);

	(void) collect_walker(sublink->testexpr,
						  (CollectContext *) &sub);
	add_lineage_column(ql, 0, &sub);
	foreach(lc, ql->rows)
	{
		SourceItem *item = (SourceItem *) lfirst(lc);

		copy_item(cxt->out, item, compose(cxt, item->usage));
	}
}

/*
 * The answers of lineage_namespace_tracked() for the last schemas asked
 * about, and of lineage_function_tracked() for functions (by OID, one slot
 * each of 256): a rebuild asks for each function and relation its
 * definitions name.  Kept until a pg_namespace row changes (a schema
 * created, renamed or dropped: information_schema or ours among them), and
 * for functions until a pg_proc row does (a function moved to another
 * schema, dropped, created).
 */
#define TRACKED_SCHEMAS 16
#define TRACKED_FUNCTIONS 256

static Oid	tracked_nspid[TRACKED_SCHEMAS];
static bool tracked_answer[TRACKED_SCHEMAS];
static int	tracked_count = 0;
static int	tracked_next = 0;
static Oid	tracked_funcid[TRACKED_FUNCTIONS];
static bool tracked_function_answer[TRACKED_FUNCTIONS];
static bool tracked_callback = false;

static void
forget_tracked_functions(Datum arg, int cacheid, uint32 hashvalue)
{
	memset(tracked_funcid, 0, sizeof(tracked_funcid));
}

static void
forget_tracked_schemas(Datum arg, int cacheid, uint32 hashvalue)
{
	tracked_count = 0;
	tracked_next = 0;
	forget_tracked_functions(arg, cacheid, hashvalue);
}

static void
register_tracked_callbacks(void)
{
	if (tracked_callback)
		return;
	CacheRegisterSyscacheCallback(NAMESPACEOID, forget_tracked_schemas, (Datum) 0);
	CacheRegisterSyscacheCallback(PROCOID, forget_tracked_functions, (Datum) 0);
	tracked_callback = true;
}

/* Is this type in a temporary schema (a temporary table's row type)? */
static bool
type_is_temporary(Oid typid)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	bool		temporary = false;

	if (HeapTupleIsValid(tuple))
	{
		temporary = isAnyTempNamespace(((Form_pg_type) GETSTRUCT(tuple))->typnamespace);
		ReleaseSysCache(tuple);
	}
	return temporary;
}

/*
 * function_is_temporary
 *		Does this function, in a permanent schema, depend on an object in a
 *		temporary one: a temporary table's row type as its result or a
 *		parameter's type, or, in a SQL-standard body or a parameter's
 *		default, any object?  PostgreSQL drops it with that object when its
 *		session ends, which no event trigger sees: it is as temporary.
 */
static bool
function_is_temporary(Oid funcid)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Form_pg_proc form;
	bool		temporary = false;
	bool		isnull;
	Datum		datum;

	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_proc) GETSTRUCT(tuple);
	temporary = type_is_temporary(form->prorettype);
	for (int i = 0; !temporary && i < form->proargtypes.dim1; i++)
		temporary = type_is_temporary(form->proargtypes.values[i]);
	datum = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_proallargtypes, &isnull);
	if (!temporary && !isnull)
	{
		ArrayType  *array = DatumGetArrayTypeP(datum);
		Oid		   *types = (Oid *) ARR_DATA_PTR(array);

		for (int i = 0; !temporary && i < ARR_DIMS(array)[0]; i++)
			temporary = type_is_temporary(types[i]);
	}
	if (!temporary &&
		(!heap_attisnull(tuple, Anum_pg_proc_prosqlbody, NULL) ||
		 !heap_attisnull(tuple, Anum_pg_proc_proargdefaults, NULL)))
	{
		Relation	depend = table_open(DependRelationId, AccessShareLock);
		ScanKeyData keys[2];
		SysScanDesc scan;
		HeapTuple	dep;

		ScanKeyInit(&keys[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ProcedureRelationId));
		ScanKeyInit(&keys[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(funcid));
		scan = systable_beginscan(depend, DependDependerIndexId, true, NULL, 2, keys);
		while (!temporary && HeapTupleIsValid(dep = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(dep);
			ObjectAddress referenced;
			Oid			nspid;

			if (d->refclassid == NamespaceRelationId)
				continue;
			ObjectAddressSet(referenced, d->refclassid, d->refobjid);
			nspid = is_objectclass_supported(d->refclassid) ?
				get_object_namespace(&referenced) : InvalidOid;
			temporary = OidIsValid(nspid) && isAnyTempNamespace(nspid);
		}
		systable_endscan(scan);
		table_close(depend, AccessShareLock);
	}
	ReleaseSysCache(tuple);
	return temporary;
}

/*
 * lineage_function_tracked
 *		Is this a function whose own lineage we keep (not a built-in, not
 *		one of ours, not temporary -- in a temporary schema or depending on
 *		an object there: it vanishes without an event)?
 */
bool
lineage_function_tracked(Oid funcid)
{
	int			slot = funcid % TRACKED_FUNCTIONS;
	bool		answer;

	if (OidIsValid(funcid) && tracked_funcid[slot] == funcid)
		return tracked_function_answer[slot];
	answer = lineage_namespace_tracked(get_func_namespace(funcid)) &&
		!function_is_temporary(funcid);
	if (OidIsValid(funcid))
	{
		register_tracked_callbacks();
		tracked_funcid[slot] = funcid;
		tracked_function_answer[slot] = answer;
	}
	return answer;
}

/*
 * lineage_namespace_tracked
 *		Is this a schema whose objects' lineage we keep?  Not the system
 *		schemas, not ours, not a temporary schema (its objects vanish at
 *		session end without any event we could see).
 */
bool
lineage_namespace_tracked(Oid nspid)
{
	bool		answer;
	int			i;

	if (!OidIsValid(nspid))
		return false;
	for (i = 0; i < tracked_count; i++)
	{
		if (tracked_nspid[i] == nspid)
			return tracked_answer[i];
	}
	answer = !IsCatalogNamespace(nspid) &&
		!IsToastNamespace(nspid) && !isAnyTempNamespace(nspid) &&
		nspid != get_namespace_oid("information_schema", true) &&
		nspid != get_namespace_oid(SCHEMAGUARD_SCHEMA, true);
	register_tracked_callbacks();
	tracked_nspid[tracked_next] = nspid;
	tracked_answer[tracked_next] = answer;
	tracked_next = (tracked_next + 1) % TRACKED_SCHEMAS;
	tracked_count = Max(tracked_count, tracked_next == 0 ? TRACKED_SCHEMAS : tracked_next);
	return answer;
}

/*
 * What stands behind parameters: while a PL/pgSQL body is analyzed, NEW.col
 * and OLD.col of a trigger function, and the fields of a record variable
 * filled by a query, are Params with ids from "base" up (see plpgsql.c);
 * reading one reads what its sources[k] list holds (LineageSource *).
 */
static int	param_source_base = 0;
static int	param_source_count = 0;
static List **param_sources = NULL;

void
lineage_set_param_sources(int base, int count, List **sources)
{
	param_source_base = base;
	param_source_count = count;
	param_sources = sources;
}


/* See params_only above. */
void
lineage_set_params_only(bool on)
{
	params_only = on;
}

/* A call of a user function is a source of what calls it. */
static void
add_call(CollectContext *cxt, Oid funcid)
{
	if (!params_only && OidIsValid(funcid) && lineage_function_tracked(funcid))
		add_source(cxt->out, ProcedureRelationId, funcid, 0, USAGE_CALL);
}

/*
 * collect_window
 *		A window function's value is computed over its window: the columns
 *		of its PARTITION BY and ORDER BY feed the output column it stands in
 *		("window"), not the rows of the query, which a window changes none
 *		of.
 */
static void
collect_window(WindowFunc *wfunc, CollectContext *cxt)
{
	Query	   *query = (Query *) linitial(cxt->levels);
	CollectContext win = context_forced(cxt, USAGE_WINDOW);
	ListCell   *lc;

	foreach(lc, query->windowClause)
	{
		WindowClause *wc = lfirst_node(WindowClause, lc);
		List	   *clauses;
		ListCell   *cc;

		if (wc->winref != wfunc->winref)
			continue;
		clauses = list_concat_copy(wc->partitionClause, wc->orderClause);
		foreach(cc, clauses)
		{
			SortGroupClause *sgc = lfirst_node(SortGroupClause, cc);

			(void) collect_walker((Node *) get_sortgroupclause_tle(sgc, query->targetList)->expr,
								  &win);
		}
	}
}

static bool
collect_walker(Node *node, CollectContext *cxt)
{
	CollectContext sub;

	if (node == NULL)
		return false;

	/* calls, wherever they are */
	switch (nodeTag(node))
	{
		case T_FuncExpr:
			add_call(cxt, ((FuncExpr *) node)->funcid);
			break;
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
			set_opfuncid((OpExpr *) node);
			add_call(cxt, ((OpExpr *) node)->opfuncid);
			break;
		case T_ScalarArrayOpExpr:
			set_sa_opfuncid((ScalarArrayOpExpr *) node);
			add_call(cxt, ((ScalarArrayOpExpr *) node)->opfuncid);
			break;
		case T_Aggref:
			add_call(cxt, ((Aggref *) node)->aggfnoid);
			break;
		case T_WindowFunc:
			add_call(cxt, ((WindowFunc *) node)->winfnoid);
			break;
		default:
			break;
	}

	switch (nodeTag(node))
	{
		case T_Var:
			collect_var((Var *) node, cxt);
			return false;

		case T_Param:
			{
				Param	   *param = (Param *) node;
				int			k = param->paramid - param_source_base;
				ListCell   *lc;

				if (param->paramkind != PARAM_EXTERN || param_sources == NULL ||
					k < 0 || k >= param_source_count)
					return false;
				foreach(lc, param_sources[k])
				{
					LineageSource *src = (LineageSource *) lfirst(lc);

					add_source(cxt->out, src->source.classId, src->source.objectId,
							   src->source.objectSubId, compose(cxt, src->usage));
				}
				return false;
			}

		case T_RelabelType:
		case T_CollateExpr:
		case T_CoerceToDomain:
			/* value-preserving wrappers keep an identity an identity */
			return expression_tree_walker(node, collect_walker, cxt);

		case T_FieldSelect:
			{
				FieldSelect *fs = (FieldSelect *) node;

				/* (ROW(a, b)).f2 is b (NEW.* of a trigger function, see plpgsql.c) */
				if (IsA(fs->arg, RowExpr) && fs->fieldnum >= 1 &&
					fs->fieldnum <= list_length(((RowExpr *) fs->arg)->args))
					return collect_walker((Node *) list_nth(((RowExpr *) fs->arg)->args,
															fs->fieldnum - 1), cxt);
				/* (rel).col on a relation's whole row is that very column */
				if (IsA(fs->arg, Var) && ((Var *) fs->arg)->varattno == 0)
				{
					Var		   *var = (Var *) fs->arg;

					if (var->varlevelsup < list_length(cxt->levels))
					{
						List	   *levels = list_copy_tail(cxt->levels,
															var->varlevelsup);
						Query	   *query = (Query *) linitial(levels);

						if (var->varno >= 1 &&
							var->varno <= list_length(query->rtable) &&
							rt_fetch(var->varno, query->rtable)->rtekind == RTE_RELATION)
						{
							add_item(cxt->out,
									 rt_fetch(var->varno, query->rtable)->relid,
									 fs->fieldnum,
									 compose(cxt, USAGE_IDENTITY));
							return false;
						}
					}
				}
				sub = context_at_least(cxt, USAGE_TRANSFORMATION);
				return expression_tree_walker(node, collect_walker, &sub);
			}

		case T_Aggref:
			{
				Aggref	   *agg = (Aggref *) node;
				CollectContext cond = context_forced(cxt, USAGE_CONDITIONAL);

				sub = context_at_least(cxt, USAGE_AGGREGATION);
				(void) collect_walker((Node *) agg->aggdirectargs, &sub);
				(void) collect_walker((Node *) agg->args, &sub);
				(void) collect_walker((Node *) agg->aggfilter, &cond);
				return false;
			}

		case T_WindowFunc:
			{
				WindowFunc *wfunc = (WindowFunc *) node;
				CollectContext cond = context_forced(cxt, USAGE_CONDITIONAL);

				sub = context_at_least(cxt, USAGE_AGGREGATION);
				(void) collect_walker((Node *) wfunc->args, &sub);
				(void) collect_walker((Node *) wfunc->aggfilter, &cond);
				collect_window(wfunc, cxt);
				return false;
			}

		case T_CaseExpr:
			{
				CaseExpr   *ce = (CaseExpr *) node;
				CollectContext cond = context_forced(cxt, USAGE_CONDITIONAL);
				ListCell   *lc;

				sub = context_at_least(cxt, USAGE_TRANSFORMATION);
				(void) collect_walker((Node *) ce->arg, &cond);
				foreach(lc, ce->args)
				{
					CaseWhen   *when = lfirst_node(CaseWhen, lc);

					(void) collect_walker((Node *) when->expr, &cond);
					(void) collect_walker((Node *) when->result, &sub);
				}
				(void) collect_walker((Node *) ce->defresult, &sub);
				return false;
			}

		case T_SubLink:
			collect_sublink((SubLink *) node, cxt);
			return false;

		case T_Query:
			/* reached only through a SubLink, handled above */
			return false;

		default:
			sub = context_at_least(cxt, USAGE_TRANSFORMATION);
			return expression_tree_walker(node, collect_walker, &sub);
	}
}

/* Which range table entries of the current level an expression reads. */
static bool
varnos_walker(Node *node, Bitmapset **varnos)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup == 0)
			*varnos = bms_add_member(*varnos, var->varno);
		return false;
	}
	if (IsA(node, Query))
		return false;
	return expression_tree_walker(node, varnos_walker, varnos);
}

/*
 * collect_where
 *		A WHERE clause: each AND-ed condition that compares columns of two or
 *		more FROM items is a join (FROM a, b WHERE a.x = b.y); the rest filter.
 */
static void
collect_where(Node *quals, LineageWalk *walk, List *levels, List **rows)
{
	Bitmapset  *varnos = NULL;

	if (quals == NULL)
		return;
	if (is_andclause(quals))
	{
		ListCell   *lc;

		foreach(lc, ((BoolExpr *) quals)->args)
			collect_where((Node *) lfirst(lc), walk, levels, rows);
		return;
	}
	if (IsA(quals, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) quals)
			collect_where((Node *) lfirst(lc), walk, levels, rows);
		return;
	}
	(void) varnos_walker(quals, &varnos);
	collect(quals, walk, levels,
			bms_num_members(varnos) > 1 ? USAGE_JOIN : USAGE_FILTER,
			true, rows);
	bms_free(varnos);
}

/* Add what shapes the rows of an analyzed query to another row list. */
static void
add_rows(QueryLineage *from, List **rows)
{
	ListCell   *lc;

	foreach(lc, from->rows)
	{
		SourceItem *item = (SourceItem *) lfirst(lc);

		copy_item(rows, item, item->usage);
	}
}

/*
 * fill_from
 *		Walk a FROM-list item: join conditions, and the row-shaping sources of
 *		subqueries and CTEs read there.
 */
static void
fill_from(LineageWalk *walk, Query *query, List *levels, Node *node,
		  QueryLineage *ql)
{
	if (node == NULL)
		return;
	if (IsA(node, RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(((RangeTblRef *) node)->rtindex,
									  query->rtable);

		if (rte->rtekind == RTE_SUBQUERY)
			add_rows(analyze_query(walk, rte->subquery,
								   push_level(rte->subquery, levels)), &ql->rows);
		else if (rte->rtekind == RTE_CTE)
		{
			QueryLineage *cte = analyze_cte(walk, rte, levels);

			if (cte != NULL)
				add_rows(cte, &ql->rows);
		}
	}
	else if (IsA(node, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) node;

		fill_from(walk, query, levels, join->larg, ql);
		fill_from(walk, query, levels, join->rarg, ql);
		collect(join->quals, walk, levels, USAGE_JOIN, true, &ql->rows);
	}
	else if (IsA(node, FromExpr))
	{
		FromExpr   *from = (FromExpr *) node;
		ListCell   *lc;

		foreach(lc, from->fromlist)
			fill_from(walk, query, levels, (Node *) lfirst(lc), ql);
		collect_where(from->quals, walk, levels, &ql->rows);
	}
}

/* Sources of the target entries a list of SortGroupClauses names. */
static void
collect_clauses(List *clauses, Query *query, LineageWalk *walk, List *levels,
				LineageUsage usage, List **rows)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);

		collect((Node *) tle->expr, walk, levels, usage, true, rows);
	}
}

/*
 * fill_setop
 *		Output column i of a set operation is column i of every leaf.
 */
static void
fill_setop(LineageWalk *walk, Query *query, List *levels, Node *node,
		   QueryLineage *ql)
{
	if (IsA(node, SetOperationStmt))
	{
		SetOperationStmt *op = (SetOperationStmt *) node;

		fill_setop(walk, query, levels, op->larg, ql);
		fill_setop(walk, query, levels, op->rarg, ql);
	}
	else if (IsA(node, RangeTblRef))
	{
		RangeTblEntry *rte = rt_fetch(((RangeTblRef *) node)->rtindex,
									  query->rtable);
		QueryLineage *leaf;
		int			i;

		if (rte->rtekind != RTE_SUBQUERY)
			return;
		leaf = analyze_query(walk, rte->subquery, push_level(rte->subquery, levels));
		for (i = 0; i < ql->ncols && i < leaf->ncols; i++)
		{
			ListCell   *lc;

			foreach(lc, leaf->cols[i])
			{
				SourceItem *item = (SourceItem *) lfirst(lc);

				copy_item(&ql->cols[i], item, item->usage);
			}
		}
		add_rows(leaf, &ql->rows);
	}
}

/*
 * sort_shapes_rows
 *		Does the ORDER BY of this query shape its rows?  Only with LIMIT,
 *		OFFSET or FETCH (it chooses which rows remain) or DISTINCT ON (which
 *		row of each group): otherwise it changes no row of a view's result,
 *		and must not make every column of the view (and every index on it)
 *		depend on the sort key.  In a function body or a rule action
 *		(keep_sorts) the order is what the caller sees, and it is kept.
 */
static bool
sort_shapes_rows(LineageWalk *walk, Query *query)
{
	return walk->keep_sorts || query->limitCount != NULL ||
		query->limitOffset != NULL || query->hasDistinctOn;
}

static void
fill_query_lineage(LineageWalk *walk, Query *query, List *levels,
				   QueryLineage *ql)
{
	ListCell   *lc;

	if (query->setOperations != NULL)
	{
		fill_setop(walk, query, levels, query->setOperations, ql);

		/* ORDER BY of a set operation names its output columns */
		if (!sort_shapes_rows(walk, query))
			return;
		foreach(lc, query->sortClause)
		{
			SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
			TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);
			ListCell   *ic;

			if (tle->resno > ql->ncols)
				continue;
			foreach(ic, ql->cols[tle->resno - 1])
			{
				SourceItem *item = (SourceItem *) lfirst(ic);

				copy_item(&ql->rows, item,
						  item->usage == USAGE_CALL ? USAGE_CALL : USAGE_SORT);
			}
		}
		return;
	}

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (!tle->resjunk)
			collect((Node *) tle->expr, walk, levels, USAGE_IDENTITY, false,
					&ql->cols[tle->resno - 1]);
	}

	fill_from(walk, query, levels, (Node *) query->jointree, ql);
	collect(query->havingQual, walk, levels, USAGE_FILTER, true, &ql->rows);
	collect(query->limitOffset, walk, levels, USAGE_FILTER, true, &ql->rows);
	collect(query->limitCount, walk, levels, USAGE_FILTER, true, &ql->rows);
	collect_clauses(query->groupClause, query, walk, levels, USAGE_GROUP_BY,
					&ql->rows);
	if (query->hasDistinctOn)
		collect_clauses(query->distinctClause, query, walk, levels,
						USAGE_GROUP_BY, &ql->rows);
	if (sort_shapes_rows(walk, query))
		collect_clauses(query->sortClause, query, walk, levels, USAGE_SORT,
						&ql->rows);
}

static int
lineage_size(QueryLineage *ql)
{
	int			n = list_length(ql->rows);
	int			i;

	for (i = 0; i < ql->ncols; i++)
		n += list_length(ql->cols[i]);
	return n;
}

/*
 * analyze_query
 *		The lineage of one Query; "levels" is the query stack with this query
 *		first (outer queries after it, for correlated references).
 *
 * A recursive CTE reads itself while it is being analyzed: that read gets
 * what has been found so far, and the CTE is analyzed again until nothing
 * new appears (sources only accumulate, so this terminates).  Results that
 * read an unfinished CTE are not memoized.
 */
static QueryLineage *
analyze_query(LineageWalk *walk, Query *query, List *levels)
{
	QueryLineage *ql;
	ListCell   *lc;
	int			saved_floor;
	int			before;
	int			iterations = 0;

	foreach(lc, walk->memo)
	{
		ql = (QueryLineage *) lfirst(lc);
		if (ql->query == query)
		{
			if (ql->in_progress)
			{
				ql->self_referenced = true;
				walk->taint_floor = Min(walk->taint_floor, ql->depth);
			}
			return ql;
		}
	}

	check_stack_depth();

	ql = palloc0(sizeof(QueryLineage));
	ql->query = query;
	ql->ncols = list_length(query->targetList);
	foreach(lc, query->targetList)	/* INSERT/UPDATE resnos are column numbers */
		ql->ncols = Max(ql->ncols, lfirst_node(TargetEntry, lc)->resno);
	ql->cols = palloc0(sizeof(List *) * Max(ql->ncols, 1));
	ql->depth = ++walk->depth;
	ql->in_progress = true;
	walk->memo = lappend(walk->memo, ql);

	saved_floor = walk->taint_floor;
	walk->taint_floor = INT_MAX;
	do
	{
		ql->self_referenced = false;
		before = lineage_size(ql);
		fill_query_lineage(walk, query, levels, ql);
	} while (ql->self_referenced && lineage_size(ql) != before &&
			 ++iterations < 64);

	ql->in_progress = false;
	walk->depth--;
	if (walk->taint_floor < ql->depth)
	{
		/* read an outer unfinished CTE: valid for now, not for later */
		walk->memo = list_delete_ptr(walk->memo, ql);
		walk->taint_floor = Min(saved_floor, walk->taint_floor);
	}
	else
		walk->taint_floor = saved_floor;

	return ql;
}

/* The query tree stored for a view or materialized view, or NULL. */
static Query *
stored_view_query(Oid relid)
{
	HeapTuple	tuple;
	Datum		action;
	bool		isnull;
	List	   *actions;

	tuple = SearchSysCache2(RULERELNAME, ObjectIdGetDatum(relid),
							PointerGetDatum(ViewSelectRuleName));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	action = SysCacheGetAttr(RULERELNAME, tuple, Anum_pg_rewrite_ev_action,
							 &isnull);
	actions = isnull ? NIL : (List *) stringToNode(TextDatumGetCString(action));
	ReleaseSysCache(tuple);

	if (list_length(actions) != 1 || !IsA(linitial(actions), Query))
		return NULL;
	return (Query *) linitial(actions);
}

static LineageEdge *
make_edge(const SourceItem *item, const ObjectAddress *dependent, int32 subid)
{
	LineageEdge *edge = palloc(sizeof(LineageEdge));

	edge->source.classId = item->classid;
	edge->source.objectId = item->objid;
	edge->source.objectSubId = item->subid;
	edge->dependent = *dependent;
	edge->dependent.objectSubId = subid;
	edge->usage = item->usage;
	return edge;
}

static void
init_walk(LineageWalk *walk)
{
	memset(walk, 0, sizeof(*walk));
	walk->taint_floor = INT_MAX;
}

/* The values of a target list, each read as itself (not transformed). */
static void
collect_targets(List *targets, LineageWalk *walk, List *levels, List **out)
{
	ListCell   *lc;

	foreach(lc, targets)
		collect((Node *) lfirst_node(TargetEntry, lc)->expr, walk, levels,
				USAGE_IDENTITY, false, out);
}

/*
 * collect_writes
 *		What a data-modifying query does besides reading: every column an
 *		INSERT, UPDATE, MERGE or ON CONFLICT assigns is written ("write"),
 *		what it assigns and returns is read, MERGE conditions are
 *		conditional; and the same for data-modifying CTEs.
 */
static void
collect_writes(LineageWalk *walk, Query *query, List *levels, List **out)
{
	Oid			target = InvalidOid;
	ListCell   *lc;

	if (query->resultRelation > 0 &&
		query->resultRelation <= list_length(query->rtable))
		target = rt_fetch(query->resultRelation, query->rtable)->relid;

	if (OidIsValid(target) &&
		(query->commandType == CMD_INSERT || query->commandType == CMD_UPDATE))
	{
		foreach(lc, query->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (!tle->resjunk)
				add_item(out, target, tle->resno, USAGE_WRITE);
		}
	}
	if (OidIsValid(target) && query->onConflict != NULL)
	{
		foreach(lc, query->onConflict->onConflictSet)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (!tle->resjunk)
				add_item(out, target, tle->resno, USAGE_WRITE);
		}
		collect_targets(query->onConflict->onConflictSet, walk, levels, out);
		collect(query->onConflict->onConflictWhere, walk, levels,
				USAGE_CONDITIONAL, true, out);
	}
#if PG_VERSION_NUM >= 150000
	foreach(lc, query->mergeActionList)
	{
		MergeAction *action = lfirst_node(MergeAction, lc);
		ListCell   *tl;

		foreach(tl, action->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, tl);

			if (OidIsValid(target) && !tle->resjunk)
				add_item(out, target, tle->resno, USAGE_WRITE);
		}
		collect_targets(action->targetList, walk, levels, out);
		collect(action->qual, walk, levels, USAGE_CONDITIONAL, true, out);
	}
#endif
	collect_targets(query->returningList, walk, levels, out);

	foreach(lc, query->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);
		Query	   *cq = (Query *) cte->ctequery;

		if (IsA(cq, Query) && cq->commandType != CMD_SELECT)
		{
			QueryLineage *ql = analyze_query(walk, cq, push_level(cq, levels));
			int			i;

			for (i = 0; i < ql->ncols; i++)
			{
				ListCell   *ic;

				foreach(ic, ql->cols[i])
					copy_item(out, (SourceItem *) lfirst(ic),
							  ((SourceItem *) lfirst(ic))->usage);
			}
			add_rows(ql, out);
			collect_writes(walk, cq, push_level(cq, levels), out);
		}
	}
}

/*
 * lineage_call_as_select
 *		An analyzed CALL, as a SELECT of its call (whose lineage is the call
 *		and what its arguments read); any other query as it is.
 */
Query *
lineage_call_as_select(Query *query)
{
	Query	   *select;

	if (query->commandType != CMD_UTILITY || !IsA(query->utilityStmt, CallStmt) ||
		((CallStmt *) query->utilityStmt)->funcexpr == NULL)
		return query;
	select = makeNode(Query);
	select->commandType = CMD_SELECT;
	select->targetList = list_make1(makeTargetEntry((Expr *) ((CallStmt *) query->utilityStmt)->funcexpr,
													1, NULL, false));
	select->jointree = makeFromExpr(NIL, NULL);
	return select;
}

/*
 * query_lineage_edges
 *		The edges of one analyzed query whose results belong to "dependent",
 *		allocated in the current memory context.  With by_column, output
 *		column n feeds dependent column n (a view: a view column's attnum is
 *		its target entry's resno) and row-shaping sources attach to the
 *		dependent as a whole; otherwise every source attaches to the
 *		dependent as a whole (a function body, a rule action).
 */
List *
query_lineage_edges(Query *query, const ObjectAddress *dependent,
					bool by_column)
{
	return query_lineage_edges_columns(query, dependent, by_column, NULL);
}

/* A list of LineageSource for a list of SourceItem. */
static List *
source_list(List *items)
{
	List	   *sources = NIL;
	ListCell   *lc;

	foreach(lc, items)
	{
		SourceItem *item = (SourceItem *) lfirst(lc);
		LineageSource *src = palloc(sizeof(LineageSource));

		src->source.classId = item->classid;
		src->source.objectId = item->objid;
		src->source.objectSubId = item->subid;
		src->usage = item->usage;
		sources = lappend(sources, src);
	}
	return sources;
}

static LineageColumn *
output_column(TargetEntry *tle, List *items)
{
	LineageColumn *col = palloc(sizeof(LineageColumn));

	col->name = tle->resname ? pstrdup(tle->resname) : NULL;
	col->typid = exprType((Node *) tle->expr);
	col->typmod = exprTypmod((Node *) tle->expr);
	col->collid = exprCollation((Node *) tle->expr);
	col->sources = source_list(items);
	return col;
}

/*
 * output_columns
 *		What each column of a query's result is made of (LineageColumn *):
 *		its target list for a SELECT, its RETURNING list for a data-modifying
 *		query.  A PL/pgSQL record filled by the query reads these.
 */
static List *
output_columns(LineageWalk *walk, Query *query, QueryLineage *ql, List *levels)
{
	List	   *columns = NIL;
	ListCell   *lc;

	if (query->commandType == CMD_SELECT)
	{
		foreach(lc, query->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (!tle->resjunk)
				columns = lappend(columns, output_column(tle, ql->cols[tle->resno - 1]));
		}
		return columns;
	}
	foreach(lc, query->returningList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		List	   *items = NIL;

		if (tle->resjunk)
			continue;
		collect((Node *) tle->expr, walk, levels, USAGE_IDENTITY, false, &items);
		columns = lappend(columns, output_column(tle, items));
	}
	return columns;
}

/*
 * query_lineage_edges_columns
 *		query_lineage_edges(), and if columns is not NULL, what each output
 *		column of the query is made of (output_columns).
 */
List *
query_lineage_edges_columns(Query *query, const ObjectAddress *dependent,
							bool by_column, List **columns)
{
	LineageWalk walk;
	QueryLineage *ql;
	List	   *levels = list_make1(query);
	List	   *whole = NIL;
	List	   *edges = NIL;
	ListCell   *lc;
	int			i;

	init_walk(&walk);
	walk.keep_sorts = !by_column;
	ql = analyze_query(&walk, query, levels);
	if (columns != NULL)
		*columns = output_columns(&walk, query, ql, levels);

	if (by_column)
	{
		foreach(lc, query->targetList)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			ListCell   *ic;

			if (tle->resjunk)
				continue;
			foreach(ic, ql->cols[tle->resno - 1])
				edges = lappend(edges, make_edge((SourceItem *) lfirst(ic),
												 dependent, tle->resno));
		}
	}
	else
	{
		for (i = 0; i < ql->ncols; i++)
		{
			foreach(lc, ql->cols[i])
				copy_item(&whole, (SourceItem *) lfirst(lc),
						  ((SourceItem *) lfirst(lc))->usage);
		}
		collect_writes(&walk, query, levels, &whole);
	}
	add_rows(ql, &whole);

	foreach(lc, whole)
		edges = lappend(edges, make_edge((SourceItem *) lfirst(lc), dependent, 0));
	return edges;
}

/*
 * expression_lineage_edges
 *		The edges of an expression stored in the catalogs over one relation
 *		(a generated column, a CHECK constraint, an index expression or
 *		predicate, a policy, a trigger's WHEN condition: their Vars have
 *		varno 1, or 2 for a trigger's NEW), attached to "dependent".  With a
 *		direct usage (identity), a bare column is an identity and anything
 *		computed a transformation; an indirect usage (filter, conditional)
 *		applies to every column read.
 */
List *
expression_lineage_edges(Node *expr, Oid relid, const ObjectAddress *dependent,
						 LineageUsage usage)
{
	LineageWalk walk;
	Query	   *query = makeNode(Query);
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	List	   *sources = NIL;
	List	   *edges = NIL;
	ListCell   *lc;

	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	query->commandType = CMD_SELECT;
	query->rtable = list_make2(rte, rte);

	init_walk(&walk);
	collect(expr, &walk, list_make1(query), usage, !USAGE_IS_DIRECT(usage),
			&sources);
	foreach(lc, sources)
		edges = lappend(edges, make_edge((SourceItem *) lfirst(lc), dependent,
										 dependent->objectSubId));
	return edges;
}

/*
 * view_lineage_edges
 *		The edges of one view or materialized view, from its stored tree.
 */
List *
view_lineage_edges(Oid relid)
{
	Query	   *query = stored_view_query(relid);
	ObjectAddress view;

	if (query == NULL)
		return NIL;
	ObjectAddressSet(view, RelationRelationId, relid);
	return query_lineage_edges(query, &view, true);
}
