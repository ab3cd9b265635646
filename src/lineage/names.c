/*-------------------------------------------------------------------------
 *
 * names.c
 *	  Names in raw (not yet analyzed) statements of function bodies: the
 *	  relations a statement names, bound before it is analyzed; and what
 *	  the names of a statement that does not analyze still resolve to.
 *
 * Binding (lineage_bind_relations).  Parse analysis opens every relation a
 * statement names, with the lock the statement would take (RowExclusiveLock
 * for the target of an UPDATE): a body analyzed by upkeep would wait behind
 * any session holding one of its tables, inside the DDL of another session,
 * and two sessions could deadlock.  So before a statement is analyzed, each
 * relation it names is looked up without a lock and locked here only if
 * that needs no wait (ConditionalLockRelationOid, in the analysis's
 * subtransaction, which releases it).  If one is held by another
 * transaction, the statement is not analyzed now: the caller records "could
 * not analyze now" and the object is analyzed again at commit or on the
 * next change (store.c).  A name is never bound to a temporary relation
 * (one of the session running the DDL, which the body would not see when
 * another session runs it): an unqualified name that a temporary relation
 * shadows is qualified with the permanent schema it resolves to, and a name
 * only a temporary relation has is not bound.
 *
 * Fallback (lineage_raw_name_edges).  A statement that does not analyze (it
 * calls a function that does not exist, or joins a table the body creates
 * at run time) must not lose the names it carries: the tables it names get
 * "dynamic" edges as a whole, and each column reference is matched against
 * the FROM items of its own query level, then the outer ones, as the
 * server's own rules match them (a qualified name by its FROM item's alias,
 * or its table name when it has none; an unqualified one when exactly one
 * table of the nearest level that has such a column has it).  A column read
 * gets "dynamic", a column an INSERT column list or UPDATE SET assigns gets
 * "write".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/scansup.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"

#include "lineage/internal.h"

/* A piece of dynamic SQL the body does not show (dynamic_sql.c) */
#define PLACEHOLDER_NAME	LINEAGE_DYNAMIC_PLACEHOLDER

/*
 * Binding
 */

typedef struct BindContext
{
	List	   *ctes;			/* String: CTE names of the statement */
	List	   *relations;		/* RangeVar * */
	List	   *lockmodes;		/* int, in step with relations */
	LOCKMODE	mode;			/* for RangeVars met now */
} BindContext;

static bool bind_walker(Node *node, BindContext *cx);

static void
bind_relation(RangeVar *rv, BindContext *cx, LOCKMODE mode)
{
	if (rv == NULL)
		return;
	cx->relations = lappend(cx->relations, rv);
	cx->lockmodes = lappend_int(cx->lockmodes, (int) mode);
}

/* Walk part of a statement with RangeVars locked in this mode. */
static void
bind_walk_mode(Node *node, BindContext *cx, LOCKMODE mode)
{
	LOCKMODE	saved = cx->mode;

	cx->mode = mode;
	(void) bind_walker(node, cx);
	cx->mode = saved;
}

static void
bind_with(WithClause *with, BindContext *cx)
{
	ListCell   *lc;

	if (with == NULL)
		return;
	foreach(lc, with->ctes)
		cx->ctes = lappend(cx->ctes,
						   makeString(lfirst_node(CommonTableExpr, lc)->ctename));
}

static bool
bind_walker(Node *node, BindContext *cx)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_RangeVar:
			bind_relation((RangeVar *) node, cx, cx->mode);
			return false;
		case T_InsertStmt:
			{
				InsertStmt *stmt = (InsertStmt *) node;

				bind_with(stmt->withClause, cx);
				bind_relation(stmt->relation, cx, RowExclusiveLock);
				bind_walk_mode((Node *) stmt->withClause, cx, AccessShareLock);
				bind_walk_mode(stmt->selectStmt, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->onConflictClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->returningList, cx, AccessShareLock);
				return false;
			}
		case T_UpdateStmt:
			{
				UpdateStmt *stmt = (UpdateStmt *) node;

				bind_with(stmt->withClause, cx);
				bind_relation(stmt->relation, cx, RowExclusiveLock);
				bind_walk_mode((Node *) stmt->withClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->targetList, cx, AccessShareLock);
				bind_walk_mode(stmt->whereClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->fromClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->returningList, cx, AccessShareLock);
				return false;
			}
		case T_DeleteStmt:
			{
				DeleteStmt *stmt = (DeleteStmt *) node;

				bind_with(stmt->withClause, cx);
				bind_relation(stmt->relation, cx, RowExclusiveLock);
				bind_walk_mode((Node *) stmt->withClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->usingClause, cx, AccessShareLock);
				bind_walk_mode(stmt->whereClause, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->returningList, cx, AccessShareLock);
				return false;
			}
		case T_MergeStmt:
			{
				MergeStmt  *stmt = (MergeStmt *) node;

				bind_with(stmt->withClause, cx);
				bind_relation(stmt->relation, cx, RowExclusiveLock);
				bind_walk_mode((Node *) stmt->withClause, cx, AccessShareLock);
				bind_walk_mode(stmt->sourceRelation, cx, AccessShareLock);
				bind_walk_mode(stmt->joinCondition, cx, AccessShareLock);
				bind_walk_mode((Node *) stmt->mergeWhenClauses, cx, AccessShareLock);
				return false;
			}
		case T_SelectStmt:
			{
				SelectStmt *stmt = (SelectStmt *) node;

				bind_with(stmt->withClause, cx);
				/* FOR UPDATE/SHARE: the relations of this level get RowShareLock */
				if (stmt->lockingClause != NIL)
				{
					LOCKMODE	saved = cx->mode;

					cx->mode = RowShareLock;
					(void) raw_expression_tree_walker(node, bind_walker, cx);
					cx->mode = saved;
					return false;
				}
				break;
			}
		case T_CallStmt:
			return bind_walker((Node *) ((CallStmt *) node)->funccall, cx);
		default:
			break;
	}
	return raw_expression_tree_walker(node, bind_walker, cx);
}

/* Is this RangeVar a reference to one of the statement's CTEs? */
static bool
names_cte(RangeVar *rv, List *ctes)
{
	ListCell   *lc;

	if (rv->schemaname != NULL)
		return false;
	foreach(lc, ctes)
	{
		if (strcmp(strVal(lfirst(lc)), rv->relname) == 0)
			return true;
	}
	return false;
}

/* Is this (unqualified) name one the body creates as TEMP at run time? */
static bool
created_at_run_time(const char *relname, List *runtime_temps)
{
	ListCell   *lc;

	foreach(lc, runtime_temps)
	{
		if (strcmp(strVal(lfirst(lc)), relname) == 0)
			return true;
	}
	return false;
}

/*
 * permanent_relation
 *		The permanent relation an unqualified name resolves to through the
 *		search path, temporary schemas left out; *nspid gets its schema.
 */
static Oid
permanent_relation(const char *relname, Oid *nspid)
{
	ListCell   *lc;

	foreach(lc, fetch_search_path(true))
	{
		Oid			nsp = lfirst_oid(lc);
		Oid			relid;

		if (isAnyTempNamespace(nsp))
			continue;
		relid = get_relname_relid(relname, nsp);
		if (OidIsValid(relid))
		{
			*nspid = nsp;
			return relid;
		}
	}
	return InvalidOid;
}

/*
 * lineage_bind_relations
 *		Prepare a raw statement for analysis (see the header): resolve the
 *		relations it names without binding temporary ones, and lock each
 *		one as analysis will, if that needs no wait.  Returns BIND_OK, or
 *		the reason it must not be analyzed now, with *name the relation.
 */
BindResult
lineage_bind_relations(Node *stmt, List *runtime_temps, char **name)
{
	BindContext cx;
	ListCell   *lc;
	ListCell   *mc;

	memset(&cx, 0, sizeof(cx));
	cx.mode = AccessShareLock;
	(void) bind_walker(stmt, &cx);
	*name = NULL;

	forboth(lc, cx.relations, mc, cx.lockmodes)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);
		LOCKMODE	mode = (LOCKMODE) lfirst_int(mc);
		Oid			relid;

		if (names_cte(rv, cx.ctes) || strcmp(rv->relname, PLACEHOLDER_NAME) == 0)
			continue;
		relid = RangeVarGetRelid(rv, NoLock, true);
		if (OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		{
			Oid			nspid = InvalidOid;

			relid = rv->schemaname == NULL
				? permanent_relation(rv->relname, &nspid) : InvalidOid;
			if (!OidIsValid(relid))
			{
				if (rv->schemaname == NULL &&
					created_at_run_time(rv->relname, runtime_temps))
				{
					*name = pstrdup(rv->relname);
					return BIND_RUNTIME_TEMP;
				}
				*name = rv->schemaname
					? psprintf("%s.%s", rv->schemaname, rv->relname)
					: pstrdup(rv->relname);
				return BIND_TEMPORARY;
			}
			/* the permanent one the body means, not the session's temporary one */
			rv->schemaname = get_namespace_name(nspid);
		}
		if (!OidIsValid(relid))
		{
			if (rv->schemaname == NULL &&
				created_at_run_time(rv->relname, runtime_temps))
			{
				*name = pstrdup(rv->relname);
				return BIND_RUNTIME_TEMP;
			}
			continue;			/* analysis says it does not exist */
		}
		if (!ConditionalLockRelationOid(relid, mode))
		{
			*name = rv->schemaname
				? psprintf("%s.%s", rv->schemaname, rv->relname)
				: pstrdup(rv->relname);
			return BIND_LOCKED;
		}
	}
	return BIND_OK;
}

/* Skip white space and comments; returns where the next token starts. */
static const char *
skip_blank(const char *p)
{
	for (;;)
	{
		while (scanner_isspace(*p))
			p++;
		if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		}
		else
			return p;
	}
}

/* Is the word at p (case-insensitive, then a non-identifier character)? */
static bool
at_word(const char *p, const char *word)
{
	size_t		n = strlen(word);

	return pg_strncasecmp(p, word, n) == 0 &&
		!(IS_HIGHBIT_SET(p[n]) || isalnum((unsigned char) p[n]) || p[n] == '_' ||
		  p[n] == '$');
}

/*
 * lineage_runtime_temp_tables
 *		The tables a body creates as TEMP (CREATE [LOCAL|GLOBAL]
 *		TEMP[ORARY]|UNLOGGED... TABLE [IF NOT EXISTS] name, SELECT ... INTO
 *		TEMP name), wherever they stand: in an SQL statement or in the
 *		string of a dynamic one.  Names are folded as the parser folds them
 *		(String nodes).  A plain scan of the text: a name it finds that the
 *		body does not create is harmless, it only changes the reason given
 *		for that name.
 */
List *
lineage_runtime_temp_tables(const char *source)
{
	List	   *names = NIL;
	const char *p;

	/* most bodies create no temporary table: say so fast */
	for (p = source; *p; p++)
	{
		if ((*p == 't' || *p == 'T') && pg_strncasecmp(p, "temp", 4) == 0)
			break;
	}
	if (*p == '\0')
		return NIL;
	for (p = source; *p; p++)
	{
		const char *q;
		const char *start;
		bool		into;

		if (!(at_word(p, "create") || at_word(p, "into")) ||
			(p > source && (isalnum((unsigned char) p[-1]) || p[-1] == '_')))
			continue;
		into = at_word(p, "into");
		q = skip_blank(p + (into ? 4 : 6));
		if (at_word(q, "local") || at_word(q, "global"))
			q = skip_blank(q + (at_word(q, "local") ? 5 : 6));
		if (at_word(q, "temporary"))
			q = skip_blank(q + 9);
		else if (at_word(q, "temp"))
			q = skip_blank(q + 4);
		else
			continue;
		if (at_word(q, "table"))
			q = skip_blank(q + 5);
		else if (!into)
			continue;
		if (at_word(q, "if"))
		{
			q = skip_blank(q + 2);
			if (at_word(q, "not"))
				q = skip_blank(q + 3);
			if (at_word(q, "exists"))
				q = skip_blank(q + 6);
		}
		/* the name, maybe quoted, as the parser folds it */
		if (*q == '"')
		{
			const char *end = strchr(q + 1, '"');

			if (end != NULL)
				names = lappend(names, makeString(pnstrdup(q + 1, end - q - 1)));
			continue;
		}
		for (start = q; IS_HIGHBIT_SET(*q) || isalnum((unsigned char) *q) ||
			 *q == '_' || *q == '$'; q++)
			;
		if (q > start)
			names = lappend(names,
							makeString(downcase_identifier(start, q - start, false, false)));
	}
	return names;
}

/*
 * Fallback
 */

/* A FROM item of one query level: its name and relation (or none). */
typedef struct ScopeItem
{
	const char *refname;
	Oid			relid;			/* InvalidOid: a subquery, function, CTE */
} ScopeItem;

typedef struct Scope
{
	List	   *items;			/* ScopeItem * */
	struct Scope *parent;
} Scope;

typedef struct NamesContext
{
	const ObjectAddress *dependent;
	RawRefHook	ref_hook;
	void	   *hook_arg;
	bool		variables_only;
	List	   *ctes;			/* String */
	List	   *edges;
	Scope	   *scope;
} NamesContext;

static bool names_walker(Node *node, NamesContext *cx);
static void names_statement(Node *stmt, NamesContext *cx, Scope *parent);

static void
names_edge(NamesContext *cx, Oid relid, AttrNumber attnum, LineageUsage usage)
{
	LineageEdge *edge = palloc(sizeof(LineageEdge));

	ObjectAddressSubSet(edge->source, RelationRelationId, relid, attnum);
	edge->dependent = *cx->dependent;
	edge->usage = usage;
	cx->edges = lappend(cx->edges, edge);
}

/* The relation a RangeVar names, never a temporary one; InvalidOid if none. */
static Oid
names_relation(RangeVar *rv, NamesContext *cx)
{
	Oid			relid;
	Oid			nspid;

	if (names_cte(rv, cx->ctes) || strcmp(rv->relname, PLACEHOLDER_NAME) == 0)
		return InvalidOid;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		relid = rv->schemaname == NULL ? permanent_relation(rv->relname, &nspid)
			: InvalidOid;
	if (OidIsValid(relid) && !lineage_namespace_tracked(get_rel_namespace(relid)))
		return InvalidOid;
	return relid;
}

static void
add_scope_item(Scope *scope, const char *refname, Oid relid)
{
	ScopeItem  *item = palloc(sizeof(ScopeItem));

	item->refname = refname;
	item->relid = relid;
	scope->items = lappend(scope->items, item);
}

/* Build a level's scope from a FROM list, walking what is inside it. */
static void
names_from(Node *node, NamesContext *cx, Scope *scope)
{
	if (node == NULL)
		return;
	if (IsA(node, List))
	{
		ListCell   *lc;

		foreach(lc, (List *) node)
			names_from((Node *) lfirst(lc), cx, scope);
	}
	else if (IsA(node, RangeVar))
	{
		RangeVar   *rv = (RangeVar *) node;
		Oid			relid = names_relation(rv, cx);

		if (OidIsValid(relid) && !cx->variables_only)
			names_edge(cx, relid, 0, USAGE_DYNAMIC);
		add_scope_item(scope, rv->alias ? rv->alias->aliasname : rv->relname, relid);
	}
	else if (IsA(node, RangeSubselect))
	{
		RangeSubselect *sub = (RangeSubselect *) node;

		names_statement(sub->subquery, cx, scope->parent);
		if (sub->alias)
			add_scope_item(scope, sub->alias->aliasname, InvalidOid);
	}
	else if (IsA(node, JoinExpr))
	{
		JoinExpr   *join = (JoinExpr *) node;
		Scope	   *saved = cx->scope;

		names_from(join->larg, cx, scope);
		names_from(join->rarg, cx, scope);
		if (join->alias)
			add_scope_item(scope, join->alias->aliasname, InvalidOid);
		cx->scope = scope;
		(void) names_walker(join->quals, cx);
		cx->scope = saved;
	}
	else if (IsA(node, RangeFunction))
	{
		RangeFunction *fn = (RangeFunction *) node;
		Scope	   *saved = cx->scope;

		cx->scope = scope->parent;
		(void) names_walker((Node *) fn->functions, cx);
		cx->scope = saved;
		if (fn->alias)
			add_scope_item(scope, fn->alias->aliasname, InvalidOid);
	}
}

/* Does this relation have a (live) column of that name? */
static AttrNumber
column_of(Oid relid, const char *colname)
{
	AttrNumber	attnum = OidIsValid(relid) ? get_attnum(relid, colname) : InvalidAttrNumber;

	return attnum > 0 ? attnum : InvalidAttrNumber;
}

/* Every column of a relation, read. */
static void
names_all_columns(NamesContext *cx, Oid relid)
{
	ListCell   *lc;

	foreach(lc, lineage_relation_columns(relid))
		names_edge(cx, relid, (AttrNumber) lfirst_int(lc), USAGE_DYNAMIC);
}

/* The FROM item a qualifier names, in the nearest level that has it. */
static ScopeItem *
find_refname(Scope *scope, const char *refname)
{
	for (; scope != NULL; scope = scope->parent)
	{
		ListCell   *lc;

		foreach(lc, scope->items)
		{
			ScopeItem  *item = (ScopeItem *) lfirst(lc);

			if (strcmp(item->refname, refname) == 0)
				return item;
		}
	}
	return NULL;
}

static void
names_columnref(ColumnRef *cref, NamesContext *cx)
{
	int			n = list_length(cref->fields);
	Node	   *last = (Node *) llast(cref->fields);
	Oid			relid;
	AttrNumber	attnum;
	Scope	   *scope;
	int			i;

	/* a PL/pgSQL variable, or a column standing behind one (NEW.col) */
	if (cx->ref_hook)
	{
		switch (cx->ref_hook(cref, cx->hook_arg, &relid, &attnum))
		{
			case RAWREF_VARIABLE:
				return;
			case RAWREF_COLUMN:
				names_edge(cx, relid, attnum, USAGE_DYNAMIC);
				return;
			default:
				break;
		}
	}
	if (cx->variables_only)
		return;
	for (i = 0; i < n - 1; i++)
	{
		if (!IsA(list_nth(cref->fields, i), String))
			return;
	}

	if (n == 1)
	{
		/* "*" is every column of every item; a name, the one item that has it */
		for (scope = cx->scope; scope != NULL; scope = scope->parent)
		{
			ScopeItem  *found = NULL;
			int			matches = 0;
			bool		unknown = false;
			ListCell   *lc;

			foreach(lc, scope->items)
			{
				ScopeItem  *item = (ScopeItem *) lfirst(lc);

				if (IsA(last, A_Star))
				{
					if (OidIsValid(item->relid))
						names_all_columns(cx, item->relid);
					continue;
				}
				if (!OidIsValid(item->relid))
					unknown = true;
				else if (column_of(item->relid, strVal(last)) != InvalidAttrNumber)
				{
					found = item;
					matches++;
				}
			}
			if (IsA(last, A_Star))
				return;
			if (matches == 1 && !unknown)
			{
				names_edge(cx, found->relid, column_of(found->relid, strVal(last)),
						   USAGE_DYNAMIC);
				return;
			}
			if (matches > 0 || unknown)
				return;			/* ambiguous, or maybe a column we cannot see */
		}
		return;
	}
	if (n > 3)
		return;
	{
		ScopeItem  *item = find_refname(cx->scope,
										strVal(list_nth(cref->fields, n - 2)));

		if (item == NULL || !OidIsValid(item->relid))
			return;
		if (IsA(last, A_Star))
			names_all_columns(cx, item->relid);
		else if ((attnum = column_of(item->relid, strVal(last))) != InvalidAttrNumber)
			names_edge(cx, item->relid, attnum, USAGE_DYNAMIC);
	}
}

static bool
names_walker(Node *node, NamesContext *cx)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_ColumnRef:
			names_columnref((ColumnRef *) node, cx);
			return false;
		case T_SubLink:
			{
				SubLink    *sublink = (SubLink *) node;

				(void) names_walker(sublink->testexpr, cx);
				names_statement(sublink->subselect, cx, cx->scope);
				return false;
			}
		case T_SelectStmt:
		case T_InsertStmt:
		case T_UpdateStmt:
		case T_DeleteStmt:
		case T_MergeStmt:
			names_statement(node, cx, cx->scope);
			return false;
		case T_CallStmt:
			return names_walker((Node *) ((CallStmt *) node)->funccall, cx);
		case T_RangeVar:
			return false;		/* FROM items are read by names_from */
		default:
			return raw_expression_tree_walker(node, names_walker, cx);
	}
}

static void
names_with(WithClause *with, NamesContext *cx, Scope *parent)
{
	ListCell   *lc;

	if (with == NULL)
		return;
	foreach(lc, with->ctes)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		cx->ctes = lappend(cx->ctes, makeString(cte->ctename));
		names_statement(cte->ctequery, cx, parent);
	}
}

/* The columns an INSERT's column list or an UPDATE's SET assigns. */
static void
names_writes(List *targets, Oid relid, NamesContext *cx)
{
	ListCell   *lc;

	if (!OidIsValid(relid) || cx->variables_only)
		return;
	foreach(lc, targets)
	{
		ResTarget  *rt = lfirst_node(ResTarget, lc);
		AttrNumber	attnum = rt->name ? column_of(relid, rt->name) : InvalidAttrNumber;

		if (attnum != InvalidAttrNumber)
			names_edge(cx, relid, attnum, USAGE_WRITE);
	}
}

/* Walk expressions of a statement with this scope. */
static void
names_in_scope(Node *node, NamesContext *cx, Scope *scope)
{
	Scope	   *saved = cx->scope;

	cx->scope = scope;
	(void) names_walker(node, cx);
	cx->scope = saved;
}

static void
names_statement(Node *stmt, NamesContext *cx, Scope *parent)
{
	Scope	   *scope = palloc0(sizeof(Scope));

	scope->parent = parent;
	if (stmt == NULL)
		return;
	check_stack_depth();
	switch (nodeTag(stmt))
	{
		case T_SelectStmt:
			{
				SelectStmt *s = (SelectStmt *) stmt;

				names_with(s->withClause, cx, parent);
				if (s->op != SETOP_NONE)
				{
					names_statement((Node *) s->larg, cx, parent);
					names_statement((Node *) s->rarg, cx, parent);
					return;
				}
				names_from((Node *) s->fromClause, cx, scope);
				names_in_scope((Node *) s->targetList, cx, scope);
				names_in_scope(s->whereClause, cx, scope);
				names_in_scope((Node *) s->groupClause, cx, scope);
				names_in_scope(s->havingClause, cx, scope);
				names_in_scope((Node *) s->windowClause, cx, scope);
				names_in_scope((Node *) s->sortClause, cx, scope);
				names_in_scope((Node *) s->distinctClause, cx, scope);
				names_in_scope(s->limitCount, cx, scope);
				names_in_scope(s->limitOffset, cx, scope);
				names_in_scope((Node *) s->valuesLists, cx, scope);
				break;
			}
		case T_InsertStmt:
			{
				InsertStmt *s = (InsertStmt *) stmt;
				Oid			relid;

				names_with(s->withClause, cx, parent);
				names_statement(s->selectStmt, cx, parent);
				names_from((Node *) s->relation, cx, scope);
				relid = ((ScopeItem *) linitial(scope->items))->relid;
				names_writes(s->cols, relid, cx);
				if (s->onConflictClause)
				{
					names_writes(s->onConflictClause->targetList, relid, cx);
					names_in_scope((Node *) s->onConflictClause->targetList, cx, scope);
					names_in_scope(s->onConflictClause->whereClause, cx, scope);
				}
				names_in_scope((Node *) s->returningList, cx, scope);
				break;
			}
		case T_UpdateStmt:
			{
				UpdateStmt *s = (UpdateStmt *) stmt;
				Oid			relid;

				names_with(s->withClause, cx, parent);
				names_from((Node *) s->relation, cx, scope);
				relid = ((ScopeItem *) linitial(scope->items))->relid;
				names_from((Node *) s->fromClause, cx, scope);
				names_writes(s->targetList, relid, cx);
				names_in_scope((Node *) s->targetList, cx, scope);
				names_in_scope(s->whereClause, cx, scope);
				names_in_scope((Node *) s->returningList, cx, scope);
				break;
			}
		case T_DeleteStmt:
			{
				DeleteStmt *s = (DeleteStmt *) stmt;

				names_with(s->withClause, cx, parent);
				names_from((Node *) s->relation, cx, scope);
				names_from((Node *) s->usingClause, cx, scope);
				names_in_scope(s->whereClause, cx, scope);
				names_in_scope((Node *) s->returningList, cx, scope);
				break;
			}
		case T_MergeStmt:
			{
				MergeStmt  *s = (MergeStmt *) stmt;

				names_with(s->withClause, cx, parent);
				names_from((Node *) s->relation, cx, scope);
				names_from(s->sourceRelation, cx, scope);
				names_in_scope(s->joinCondition, cx, scope);
				names_in_scope((Node *) s->mergeWhenClauses, cx, scope);
				break;
			}
		default:
			/* an expression (PERFORM, an assignment, a condition...) */
			names_in_scope(stmt, cx, parent);
			break;
	}
}

/*
 * lineage_raw_name_edges
 *		The edges the names of a raw statement that did not analyze still
 *		give (see the header), attached to "dependent".  ref_hook says which
 *		column references are PL/pgSQL variables, or columns behind them;
 *		with variables_only, only those are kept (a trigger function read
 *		for one trigger keeps only its NEW and OLD).
 */
List *
lineage_raw_name_edges(Node *stmt, const ObjectAddress *dependent,
					   RawRefHook ref_hook, void *hook_arg, bool variables_only)
{
	NamesContext cx;

	memset(&cx, 0, sizeof(cx));
	cx.dependent = dependent;
	cx.ref_hook = ref_hook;
	cx.hook_arg = hook_arg;
	cx.variables_only = variables_only;
	if (IsA(stmt, CallStmt))
		stmt = (Node *) ((CallStmt *) stmt)->funccall;
	names_statement(stmt, &cx, NULL);
	return cx.edges;
}
