/*-------------------------------------------------------------------------
 *
 * deparse.c
 *	  The SQL the engine writes for expressions, indexes and queries, always
 *	  from the server's own deparser (ruleutils.c), never by searching and
 *	  replacing in text.
 *
 * Two ways to point a definition at another column:
 *	- an expression (a CHECK, an index's expressions and predicate, a
 *	  conversion) is printed through a deparse context whose one range
 *	  table entry carries the column names the engine chooses: the old
 *	  column's attribute number printed with the new column's name, or the
 *	  names columns will have once expanded (plan() prints them before they
 *	  exist);
 *	- a query (a materialized view built before the switch) has its Vars
 *	  re-pointed from one attribute number to another, and relations from
 *	  one OID to another, and is printed with pg_get_querydef(); the
 *	  columns must exist then.
 * The text is run again, so the server analyzes it again: an operator or
 * function chosen for the old type is chosen again for the new one.
 *
 * Everything here is called with search_path = pg_catalog, pg_temp (the
 * engine pins it), so every name of a user object is printed qualified.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/plannodes.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteSupport.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "migrate/internal.h"

/*
 * mig_column_names
 *		The table's column names by attribute number (1..m->natts; NULL for
 *		a dropped column), the columns plan() will add included.
 */
char **
mig_column_names(Migration *m)
{
	char	  **names = palloc0((m->natts + 1) * sizeof(char *));
	ListCell   *lc;

	if (m->names_override)
	{
		memcpy(names, m->names_override, (m->natts + 1) * sizeof(char *));
		return names;
	}
	for (AttrNumber a = 1; a <= m->natts; a++)
	{
		HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(m->relid),
											Int16GetDatum(a));

		if (!HeapTupleIsValid(tuple))
			continue;
		if (!((Form_pg_attribute) GETSTRUCT(tuple))->attisdropped)
			names[a] = pstrdup(NameStr(((Form_pg_attribute) GETSTRUCT(tuple))->attname));
		ReleaseSysCache(tuple);
	}
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->new_attnum > 0 && c->new_attnum <= m->natts && names[c->new_attnum] == NULL)
			names[c->new_attnum] = c->newcol;
	}
	return names;
}

/*
 * deparse_with_names
 *		An expression whose Vars (varno 1) name columns by attnum, printed
 *		with these names: a range table entry that is not a relation takes
 *		its column names from eref, not from the catalog.  alias: printed
 *		before each column name ("new".amount), or no prefix if NULL.
 */
static char *
deparse_with_names(Node *expr, char **names, int nnames, const char *alias,
				   const char *relname)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	PlannedStmt *pstmt = makeNode(PlannedStmt);
	List	   *colnames = NIL;
	List	   *context;

	for (int a = 1; a <= nnames; a++)
		colnames = lappend(colnames, makeString(names[a] ? names[a] : ""));
	rte->rtekind = RTE_VALUES;
	rte->eref = makeAlias(alias ? alias : relname, colnames);
	rte->alias = rte->eref;
	rte->inFromCl = true;
	pstmt->rtable = list_make1(rte);
	context = deparse_context_for_plan_tree(pstmt, list_make1(alias ? pstrdup(alias) : pstrdup(relname)));
	return deparse_expression(expr, context, alias != NULL, false);
}

char *
mig_deparse_expr(Migration *m, Node *expr, const char *alias)
{
	return deparse_with_names(expr, mig_column_names(m), m->natts, alias, m->relname);
}

/* An expression over the table with column `from' printed as column `to'. */
char *
mig_deparse_expr_renamed(Migration *m, Node *expr, AttrNumber from, AttrNumber to)
{
	char	  **names = mig_column_names(m);

	names[from] = names[to];
	return deparse_with_names(expr, names, m->natts, NULL, m->relname);
}

/* A Var for one of the table's columns (existing, or one plan() adds). */
Node *
mig_column_var(Migration *m, AttrNumber attnum)
{
	HeapTuple	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(m->relid),
										Int16GetDatum(attnum));
	ListCell   *lc;

	if (HeapTupleIsValid(tuple))
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tuple);
		Var		   *var = makeVar(1, attnum, att->atttypid, att->atttypmod,
								  att->attcollation, 0);

		ReleaseSysCache(tuple);
		return (Node *) var;
	}
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->new_attnum == attnum)
			return (Node *) makeVar(1, attnum, c->newtype, c->newtypmod, c->newcoll, 0);
	}
	elog(ERROR, "column %d of table %s does not exist", attnum, m->qualname);
	return NULL;				/* keep compiler quiet */
}

/*
 * mig_coerce
 *		expr converted to a type by an explicit cast, printed as one
 *		("(x)::numeric(12,2)"), so that the conversion and its typmod are
 *		the same wherever the text is used (a comparison would not apply
 *		the typmod).
 */
Node *
mig_coerce(Node *expr, Oid type, int32 typmod, Oid coll)
{
	Oid			exprtype = exprType(expr);
	Node	   *result;

	result = coerce_to_target_type(NULL, expr, exprtype, type, typmod,
								   COERCION_EXPLICIT, COERCE_EXPLICIT_CAST, -1);
	if (result == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CANNOT_COERCE),
				 errmsg("there is no cast from %s to %s",
						format_type_be(exprtype), format_type_with_typemod(type, typmod)),
				 errdetail("While both columns exist, each write to one is converted to the other's type, both ways."),
				 errhint("Give the change a USING expression, or create the cast first.")));
	if (OidIsValid(coll) && type_is_collatable(type) && exprCollation(result) != coll)
	{
		CollateExpr *ce = makeNode(CollateExpr);

		ce->arg = (Expr *) result;
		ce->collOid = coll;
		ce->location = -1;
		result = (Node *) ce;
	}
	return result;
}

/*
 * mig_transform_using
 *		The USING expression of an ALTER COLUMN TYPE, analyzed against the
 *		table, with the original column found by the name it had at start
 *		(after the switch its name belongs to the new column): an alias
 *		list names every column as the expression knows it.
 */
Node *
mig_transform_using(Migration *m, MigChange *c)
{
	ParseState *pstate = make_parsestate(NULL);
	List	   *raw;
	SelectStmt *select;
	ResTarget  *target;
	Relation	rel;
	List	   *aliases = NIL;
	ParseNamespaceItem *nsitem;
	Node	   *expr;

	raw = raw_parser(psprintf("SELECT %s", c->using_sql), RAW_PARSE_DEFAULT);
	select = castNode(SelectStmt, linitial_node(RawStmt, raw)->stmt);
	target = linitial_node(ResTarget, select->targetList);

	rel = relation_open(m->relid, AccessShareLock);
	for (int i = 0; i < RelationGetDescr(rel)->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);
		const char *name = NameStr(att->attname);

		if (att->attisdropped)
			continue;
		if (att->attnum == c->attnum)
			name = c->colname;
		else if (strcmp(name, c->colname) == 0)
			name = "";			/* the new column, after the switch */
		aliases = lappend(aliases, makeString(pstrdup(name)));
	}
	pstate->p_sourcetext = c->using_sql;
	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
										   makeAlias(m->relname, aliases), false, true);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	expr = transformExpr(pstate, target->val, EXPR_KIND_ALTER_COL_TRANSFORM);
	relation_close(rel, NoLock);
	expr = mig_coerce(expr, c->newtype, c->newtypmod, InvalidOid);
	assign_expr_collations(pstate, expr);
	return expr;
}

/* name = 'value' pairs of a reloptions array, for WITH (...) or SET (...). */
char *
mig_options_sql(Datum reloptions)
{
	StringInfoData buf;
	Datum	   *options;
	int			noptions;

	initStringInfo(&buf);
	deconstruct_array(DatumGetArrayTypeP(reloptions), TEXTOID, -1, false,
					  TYPALIGN_INT, &options, NULL, &noptions);
	for (int i = 0; i < noptions; i++)
	{
		char	   *option = TextDatumGetCString(options[i]);
		char	   *eq = strchr(option, '=');

		if (eq)
			*eq = '\0';
		appendStringInfo(&buf, "%s%s", i ? ", " : "", quote_identifier(option));
		if (eq)
			appendStringInfo(&buf, " = %s", quote_literal_cstr(eq + 1));
	}
	return buf.data;
}

/*
 * The options ALTER COLUMN ... SET (...) accepts of a column's attoptions
 * (n_distinct, n_distinct_inherited), as name = 'value' pairs; NULL if none.
 */
char *
mig_column_options_sql(Datum attoptions)
{
	StringInfoData buf;
	Datum	   *options;
	int			noptions;

	initStringInfo(&buf);
	deconstruct_array(DatumGetArrayTypeP(attoptions), TEXTOID, -1, false,
					  TYPALIGN_INT, &options, NULL, &noptions);
	for (int i = 0; i < noptions; i++)
	{
		char	   *option = TextDatumGetCString(options[i]);
		char	   *eq = strchr(option, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		if (strcmp(option, "n_distinct") != 0 && strcmp(option, "n_distinct_inherited") != 0)
			continue;
		appendStringInfo(&buf, "%s%s = %s", buf.len ? ", " : "", option,
						 quote_literal_cstr(eq + 1));
	}
	return buf.len ? buf.data : NULL;
}

/* " WITH (...)" for a relation with reloptions, or "". */
char *
mig_reloptions_clause(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		isnull;
	Datum		options;
	char	   *result = "";

	if (!HeapTupleIsValid(tuple))
		return result;
	options = SysCacheGetAttr(RELOID, tuple, Anum_pg_class_reloptions, &isnull);
	if (!isnull)
		result = psprintf(" WITH (%s)", mig_options_sql(options));
	ReleaseSysCache(tuple);
	return result;
}

/* " TABLESPACE x" for a relation not in the database's default, or "". */
char *
mig_tablespace_clause(Oid relid)
{
	Oid			spc = get_rel_tablespace(relid);

	if (!OidIsValid(spc))
		return "";
	return psprintf(" TABLESPACE %s", quote_identifier(get_tablespace_name(spc)));
}

/*
 * mig_index_sql
 *		CREATE INDEX for a copy of an index of table tableid, on target_sql,
 *		with names[] giving the target's column names by the original's
 *		attribute numbers.  An operator class or collation is written only
 *		if the original chose it explicitly (not the default of its column's
 *		type): a column whose type changes gets the defaults of its new type.
 */
char *
mig_index_sql(Oid indexrelid, const char *name, const char *target_sql,
			  char **names, int nnames, Oid tableid, bool concurrently)
{
	HeapTuple	idxtuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexrelid));
	HeapTuple	reltuple;
	Form_pg_index idx;
	Form_pg_class idxrel;
	IndexAmRoutine *amroutine;
	StringInfoData buf;
	bool		isnull;
	Datum		datum;
	oidvector  *indclass;
	oidvector  *indcollation;
	int2vector *indoption;
	List	   *indexprs = NIL;
	ListCell   *expr_lc;
	char	   *amname;

	if (!HeapTupleIsValid(idxtuple))
		elog(ERROR, "cache lookup failed for index %u", indexrelid);
	idx = (Form_pg_index) GETSTRUCT(idxtuple);
	reltuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexrelid));
	if (!HeapTupleIsValid(reltuple))
		elog(ERROR, "cache lookup failed for relation %u", indexrelid);
	idxrel = (Form_pg_class) GETSTRUCT(reltuple);
	amname = get_am_name(idxrel->relam);
	amroutine = GetIndexAmRoutineByAmId(idxrel->relam, false);

	datum = SysCacheGetAttr(INDEXRELID, idxtuple, Anum_pg_index_indclass, &isnull);
	indclass = (oidvector *) DatumGetPointer(datum);
	datum = SysCacheGetAttr(INDEXRELID, idxtuple, Anum_pg_index_indcollation, &isnull);
	indcollation = (oidvector *) DatumGetPointer(datum);
	datum = SysCacheGetAttr(INDEXRELID, idxtuple, Anum_pg_index_indoption, &isnull);
	indoption = (int2vector *) DatumGetPointer(datum);
	datum = SysCacheGetAttr(INDEXRELID, idxtuple, Anum_pg_index_indexprs, &isnull);
	if (!isnull)
		indexprs = (List *) stringToNode(TextDatumGetCString(datum));
	expr_lc = list_head(indexprs);

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sINDEX %s%s ON %s USING %s (",
					 idx->indisunique ? "UNIQUE " : "",
					 concurrently ? "CONCURRENTLY " : "",
					 quote_identifier(name), target_sql, quote_identifier(amname));
	for (int k = 0; k < idx->indnatts; k++)
	{
		AttrNumber	attnum = idx->indkey.values[k];
		Oid			keytype;
		Oid			keycoll;

		if (k == idx->indnkeyatts)
			appendStringInfoString(&buf, ") INCLUDE (");
		else if (k > 0)
			appendStringInfoString(&buf, ", ");
		if (attnum != 0)
		{
			if (attnum < 0 || attnum > nnames || names[attnum] == NULL)
				elog(ERROR, "index %u has a key on column %d, which has no name", indexrelid, attnum);
			appendStringInfoString(&buf, quote_identifier(names[attnum]));
			keytype = get_atttype(tableid, attnum);
			keycoll = mig_attcollation(tableid, attnum);
		}
		else
		{
			Node	   *expr;

			if (expr_lc == NULL)
				elog(ERROR, "too few entries in indexprs of index %u", indexrelid);
			expr = (Node *) lfirst(expr_lc);
			expr_lc = lnext(indexprs, expr_lc);
			appendStringInfo(&buf, "(%s)",
							 deparse_with_names(expr, names, nnames, NULL, "t"));
			keytype = exprType(expr);
			keycoll = exprCollation(expr);
		}
		if (k >= idx->indnkeyatts)
			continue;
		/* collation and operator class, when not the defaults */
		if (OidIsValid(indcollation->values[k]) && indcollation->values[k] != keycoll)
			appendStringInfo(&buf, " COLLATE %s", generate_collation_name(indcollation->values[k]));
		if (indclass->values[k] != GetDefaultOpClass(keytype, idxrel->relam))
			appendStringInfo(&buf, " %s", generate_opclass_name(indclass->values[k]));
		if (amroutine->amcanorder)
		{
			int16		opt = indoption->values[k];

			if (opt & INDOPTION_DESC)
			{
				appendStringInfoString(&buf, " DESC");
				if (!(opt & INDOPTION_NULLS_FIRST))
					appendStringInfoString(&buf, " NULLS LAST");
			}
			else if (opt & INDOPTION_NULLS_FIRST)
				appendStringInfoString(&buf, " NULLS FIRST");
		}
	}
	appendStringInfoChar(&buf, ')');
	if (idx->indnullsnotdistinct)
		appendStringInfoString(&buf, " NULLS NOT DISTINCT");
	appendStringInfoString(&buf, mig_reloptions_clause(indexrelid));
	appendStringInfoString(&buf, mig_tablespace_clause(indexrelid));
	datum = SysCacheGetAttr(INDEXRELID, idxtuple, Anum_pg_index_indpred, &isnull);
	if (!isnull)
		appendStringInfo(&buf, " WHERE %s",
						 deparse_with_names(stringToNode(TextDatumGetCString(datum)),
											names, nnames, NULL, "t"));
	ReleaseSysCache(reltuple);
	ReleaseSysCache(idxtuple);
	return buf.data;
}

/* Re-pointing a query: Vars of relation relid from attnum `from' to `to'. */
typedef struct RepointContext
{
	List	   *repoint;		/* MigRepoint */
	List	   *queries;		/* enclosing queries, innermost first */
} RepointContext;

static bool
repoint_walker(Node *node, RepointContext *cx)
{
	ListCell   *lc;

	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		Query	   *query;
		RangeTblEntry *rte;

		if (var->varlevelsup >= list_length(cx->queries) || var->varattno <= 0)
			return false;
		query = list_nth(cx->queries, var->varlevelsup);
		if (var->varno < 1 || var->varno > list_length(query->rtable))
			return false;
		rte = rt_fetch(var->varno, query->rtable);
		if (rte->rtekind != RTE_RELATION)
			return false;
		foreach(lc, cx->repoint)
		{
			MigRepoint *r = lfirst(lc);

			if (r->from != 0 && rte->relid == r->relid && var->varattno == r->from)
			{
				if (var->varnosyn == var->varno && var->varattnosyn == var->varattno)
					var->varattnosyn = r->to;
				var->varattno = r->to;
				break;
			}
		}
		return false;
	}
	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;

		if (rte->rtekind == RTE_RELATION)
			foreach(lc, cx->repoint)
			{
				MigRepoint *r = lfirst(lc);

				if (r->from == 0 && rte->relid == r->relid)
				{
					rte->relid = r->to_relid;
					break;
				}
			}
		return false;
	}
	if (IsA(node, Query))
	{
		bool		result;

		cx->queries = lcons(node, cx->queries);
		result = query_tree_walker((Query *) node, repoint_walker, cx,
								   QTW_EXAMINE_RTES_BEFORE);
		cx->queries = list_delete_first(cx->queries);
		return result;
	}
	return expression_tree_walker(node, repoint_walker, cx);
}

/* The stored query of a view or materialized view (a copy). */
static Query *
view_query(Oid viewid)
{
	HeapTuple	tuple = SearchSysCache2(RULERELNAME, ObjectIdGetDatum(viewid),
										CStringGetDatum(ViewSelectRuleName));
	bool		isnull;
	Datum		action;
	List	   *actions;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "relation %u has no %s rule", viewid, ViewSelectRuleName);
	action = SysCacheGetAttr(RULERELNAME, tuple, Anum_pg_rewrite_ev_action, &isnull);
	actions = (List *) stringToNode(TextDatumGetCString(action));
	ReleaseSysCache(tuple);
	return copyObject(linitial_node(Query, actions));
}

/*
 * mig_query_repointed
 *		The query of a view or materialized view as pg_get_querydef()
 *		prints it once repoint (MigRepoint) is applied: columns moved to
 *		other attribute numbers, relations to other OIDs.
 */
char *
mig_query_repointed(Oid viewid, List *repoint)
{
	Query	   *query = view_query(viewid);
	RepointContext cx = {repoint, NIL};
	char	   *sql;
	int			len;

	(void) repoint_walker((Node *) query, &cx);
	sql = pg_get_querydef(query, false);
	len = strlen(sql);
	while (len > 0 && (sql[len - 1] == ';' || isspace((unsigned char) sql[len - 1])))
		sql[--len] = '\0';
	return sql;
}

/*
 * mig_dollar_quote
 *		body between dollar quotes whose tag (based on `label') it does not
 *		contain.
 */
char *
mig_dollar_quote(const char *body, const char *label)
{
	char	   *tag = psprintf("$%s$", label);

	for (int i = 0; strstr(body, tag) != NULL; i++)
		tag = psprintf("$%s%d$", label, i);
	return psprintf("%s%s%s", tag, body, tag);
}

/* An identifier quoted for a "--" comment: no line break can end it early. */
char *
mig_comment_identifier(const char *name)
{
	char	   *s = pstrdup(quote_identifier(name));

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s;
}

/* A text[] literal of these strings (NULL elements allowed), every element quoted. */
char *
mig_literal_array(List *strings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, strings)
	{
		const char *s = lfirst(lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, ',');
		if (s == NULL)
		{
			appendStringInfoString(&buf, "NULL");
			continue;
		}
		appendStringInfoChar(&buf, '"');
		for (; *s; s++)
		{
			if (*s == '"' || *s == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *s);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}
