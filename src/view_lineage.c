/*-------------------------------------------------------------------------
 *
 * view_lineage.c
 *	  Column lineage of views and materialized views, read from the analyzed
 *	  query tree the server stores for them (their pg_rewrite "_RETURN" rule).
 *
 * Every column reference in a stored view tree is already bound to a range
 * table entry and an attribute number, so nothing is resolved by name here:
 * we follow Vars through joins (and their alias columns), subqueries, CTEs
 * (recursive ones by iterating to a fixed point), set operations, function,
 * VALUES and table-function ranges until they reach a relation column, and
 * record how each output column, or the view's row set as a whole, uses it.
 *
 * A relation column reached this way may itself be a column of another view;
 * the edge stops there and transitive questions are answered by following
 * the stored edges (impact.c), so each view is analyzed on its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_rewrite.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteSupport.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "schemaguard.h"

const char *const lineage_usage_names[LINEAGE_NUM_USAGES] = {
	"identity",
	"transformation",
	"aggregation",
	"conditional",
	"filter",
	"join",
	"group_by",
	"sort",
	"window"
};

/* A relation column and how it is used. */
typedef struct SourceItem
{
	Oid			relid;
	AttrNumber	attnum;
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
add_item(List **list, Oid relid, AttrNumber attnum, LineageUsage usage)
{
	ListCell   *lc;
	SourceItem *item;

	foreach(lc, *list)
	{
		item = (SourceItem *) lfirst(lc);
		if (item->relid == relid && item->attnum == attnum &&
			item->usage == usage)
			return;
	}
	item = palloc(sizeof(SourceItem));
	item->relid = relid;
	item->attnum = attnum;
	item->usage = usage;
	*list = lappend(*list, item);
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

			add_item(cxt->out, item->relid, item->attnum,
					 compose(cxt, item->usage));
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

		add_item(cxt->out, item->relid, item->attnum, compose(cxt, item->usage));
	}
}

static bool
collect_walker(Node *node, CollectContext *cxt)
{
	CollectContext sub;

	if (node == NULL)
		return false;

	switch (nodeTag(node))
	{
		case T_Var:
			collect_var((Var *) node, cxt);
			return false;

		case T_RelabelType:
		case T_CollateExpr:
		case T_CoerceToDomain:
			/* value-preserving wrappers keep an identity an identity */
			return expression_tree_walker(node, collect_walker, cxt);

		case T_FieldSelect:
			{
				FieldSelect *fs = (FieldSelect *) node;

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

		add_item(rows, item->relid, item->attnum, item->usage);
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

				add_item(&ql->cols[i], item->relid, item->attnum, item->usage);
			}
		}
		add_rows(leaf, &ql->rows);
	}
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

				add_item(&ql->rows, item->relid, item->attnum, USAGE_SORT);
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
	foreach(lc, query->windowClause)
	{
		WindowClause *wc = lfirst_node(WindowClause, lc);

		collect_clauses(wc->partitionClause, query, walk, levels,
						USAGE_WINDOW, &ql->rows);
		collect_clauses(wc->orderClause, query, walk, levels,
						USAGE_WINDOW, &ql->rows);
	}
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

/*
 * view_lineage_tracked
 *		Is this relation a view or materialized view whose lineage we keep?
 *		System schemas and temporary relations (which vanish at session end
 *		without any event we could see) are left out.
 */
bool
view_lineage_tracked(Oid relid)
{
	HeapTuple	tuple;
	Form_pg_class form;
	bool		tracked;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return false;
	form = (Form_pg_class) GETSTRUCT(tuple);
	tracked = (form->relkind == RELKIND_VIEW || form->relkind == RELKIND_MATVIEW) &&
		form->relpersistence != RELPERSISTENCE_TEMP &&
		!IsCatalogNamespace(form->relnamespace) &&
		!IsToastNamespace(form->relnamespace) &&
		form->relnamespace != get_namespace_oid("information_schema", true);
	ReleaseSysCache(tuple);
	return tracked;
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
make_edge(SourceItem *item, Oid relid, int32 objsubid)
{
	LineageEdge *edge = palloc(sizeof(LineageEdge));

	edge->source_relid = item->relid;
	edge->source_attnum = item->attnum;
	edge->dep_classid = RelationRelationId;
	edge->dep_objid = relid;
	edge->dep_objsubid = objsubid;
	edge->usage = item->usage;
	return edge;
}

/*
 * view_lineage_edges
 *		The column edges of one view or materialized view, allocated in the
 *		current memory context (the caller resets it).  A view column's
 *		attribute number is its target entry's resno.
 */
List *
view_lineage_edges(Oid relid)
{
	Query	   *query = stored_view_query(relid);
	LineageWalk walk;
	QueryLineage *ql;
	List	   *edges = NIL;
	ListCell   *lc;

	if (query == NULL)
		return NIL;

	memset(&walk, 0, sizeof(walk));
	walk.taint_floor = INT_MAX;
	ql = analyze_query(&walk, query, list_make1(query));

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		ListCell   *ic;

		if (tle->resjunk)
			continue;
		foreach(ic, ql->cols[tle->resno - 1])
			edges = lappend(edges, make_edge((SourceItem *) lfirst(ic), relid,
											 tle->resno));
	}
	foreach(lc, ql->rows)
		edges = lappend(edges, make_edge((SourceItem *) lfirst(lc), relid, 0));

	return edges;
}
