/*-------------------------------------------------------------------------
 *
 * plpgsql.c
 *	  Lineage of PL/pgSQL bodies: every embedded SQL statement and
 *	  expression, found by libpg_query's PL/pgSQL parser and bound to the
 *	  catalog by the server's own analyzer.
 *
 * libpg_query (pg_query_sealed.c) turns the function's CREATE statement
 * into a JSON tree of PL/pgSQL statements; each PLpgSQL_expr in it carries
 * its text.  The parse mode follows from where it stands, as in PL/pgSQL's
 * own compiler: a whole SQL statement (an SQL statement, a FOR or cursor
 * query, RETURN QUERY), an assignment (target := expression), or an
 * expression.  Each is parsed with raw_parser() and analyzed with
 * parse_analyze_withcb() under column-reference hooks that apply PL/pgSQL's
 * rule for names: a name that is a variable or parameter is a value, not a
 * column, according to #variable_conflict (or plpgsql.variable_conflict):
 * use_variable (the variable wins), use_column (the column wins), error (the
 * default: the column is kept and the reference recorded as ambiguous).
 * Conditions of IF, WHILE, EXIT WHEN, CASE and ASSERT are "conditional".
 * Variables become typed NULL constants; in a trigger function, NEW.col and
 * OLD.col become Params standing for the trigger table's column
 * (query.c reads them as that column), and assigning NEW.col writes
 * it.
 *
 * Dynamic SQL (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN
 * QUERY EXECUTE): a string literal, or format() of a literal template whose
 * arguments are literals, is analyzed as SQL.  Otherwise the tables the
 * string visibly names get "dynamic" edges (the relation as a whole), so
 * impact_of shows the function instead of silently missing it.
 *
 * Each statement is analyzed in its own subtransaction, always rolled back
 * (locks released, an error in one statement does not lose the others; it
 * is recorded as an unresolved reference).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "lineage/internal.h"

/* Params standing for NEW/OLD columns get ids from here up. */
#define NEWOLD_PARAM_BASE	100000

typedef enum VariableConflict
{
	CONFLICT_ERROR,
	CONFLICT_USE_VARIABLE,
	CONFLICT_USE_COLUMN
} VariableConflict;

typedef struct Variable
{
	char	   *name;
	Oid			typid;			/* UNKNOWNOID if not known */
	int32		typmod;
	bool		is_record;		/* a record or row: name.field is a field */
	bool		loop_scoped;	/* a FOR loop's variable: only inside it */
} Variable;

typedef struct PlpgsqlContext
{
	const ObjectAddress *function;
	char	   *funcname;
	List	   *variables;		/* Variable * */
	List	   *labels;			/* block labels, and the function's name */
	int			nargs;
	Oid		   *argtypes;
	VariableConflict conflict;
	Oid			trigger_table;	/* NEW/OLD's table, or InvalidOid */
	ObjectAddress *newold;		/* columns behind NEW/OLD Params */
	int			nnewold;
	List	   *edges;
} PlpgsqlContext;

/* An embedded expression and how to parse it. */
typedef enum ExprKind
{
	EXPR_SQL,					/* a whole SQL statement */
	EXPR_ASSIGN,				/* target := expression */
	EXPR_EXPRESSION,			/* an expression */
	EXPR_CONDITION,				/* an expression deciding control flow */
	EXPR_DYNAMIC				/* an expression giving SQL to EXECUTE */
} ExprKind;

static Variable *
find_variable(PlpgsqlContext *cx, const char *name)
{
	ListCell   *lc;

	foreach(lc, cx->variables)
	{
		Variable   *v = (Variable *) lfirst(lc);

		if (strcmp(v->name, name) == 0)
			return v;
	}
	return NULL;
}

static Node *
variable_value(Variable *v)
{
	return (Node *) makeNullConst(v->typid, v->typmod,
								  get_typcollation(v->typid));
}

/* A Param standing for column "colname" of the trigger table, or NULL. */
static Node *
newold_column(PlpgsqlContext *cx, const char *colname)
{
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	Param	   *param;

	if (!OidIsValid(cx->trigger_table))
		return NULL;
	attnum = get_attnum(cx->trigger_table, colname);
	if (attnum <= 0)
		return NULL;
	get_atttypetypmodcoll(cx->trigger_table, attnum, &typid, &typmod, &collid);
	cx->newold = cx->newold
		? repalloc(cx->newold, sizeof(ObjectAddress) * (cx->nnewold + 1))
		: palloc(sizeof(ObjectAddress));
	ObjectAddressSubSet(cx->newold[cx->nnewold], RelationRelationId,
						cx->trigger_table, attnum);
	param = makeNode(Param);
	param->paramkind = PARAM_EXTERN;
	param->paramid = NEWOLD_PARAM_BASE + cx->nnewold;
	param->paramtype = typid;
	param->paramtypmod = typmod;
	param->paramcollid = collid;
	param->location = -1;
	cx->nnewold++;
	lineage_set_param_columns(NEWOLD_PARAM_BASE, cx->nnewold, cx->newold);
	return (Node *) param;
}

/*
 * resolve_variable
 *		What a column reference means as a PL/pgSQL name: a variable (or
 *		parameter, also as function.param or label.var), a field of a record
 *		variable (NEW.col in a trigger function: the table's column), or
 *		nothing (NULL).
 */
static Node *
resolve_variable(PlpgsqlContext *cx, ColumnRef *cref)
{
	int			n = list_length(cref->fields);
	const char *names[3] = {NULL, NULL, NULL};
	int			i;
	Variable   *v;

	if (n > 3)
		return NULL;
	for (i = 0; i < n; i++)
	{
		Node	   *field = (Node *) list_nth(cref->fields, i);

		if (!IsA(field, String))
			return NULL;		/* rec.* */
		names[i] = strVal(field);
	}

	/* skip a leading block label or function name */
	if (n >= 2 && find_variable(cx, names[0]) == NULL &&
		list_member(cx->labels, makeString((char *) names[0])))
	{
		for (i = 1; i < n; i++)
			names[i - 1] = names[i];
		n--;
	}

	v = find_variable(cx, names[0]);
	if (v == NULL)
		return NULL;
	if (n == 1)
		return variable_value(v);
	if (!v->is_record)
		return NULL;
	if (pg_strcasecmp(v->name, "new") == 0 || pg_strcasecmp(v->name, "old") == 0)
	{
		Node	   *column = newold_column(cx, names[1]);

		if (column)
			return column;
	}
	return (Node *) makeNullConst(UNKNOWNOID, -1, InvalidOid);
}

static Node *
pre_columnref(ParseState *pstate, ColumnRef *cref)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) pstate->p_ref_hook_state;

	if (cx->conflict != CONFLICT_USE_VARIABLE)
		return NULL;
	return resolve_variable(cx, cref);
}

static Node *
post_columnref(ParseState *pstate, ColumnRef *cref, Node *var)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) pstate->p_ref_hook_state;

	/* a column was found: it stays (use_column; ambiguous under "error") */
	if (var != NULL)
	{
		Variable   *v = (list_length(cref->fields) == 1 &&
						 IsA(linitial(cref->fields), String))
			? find_variable(cx, strVal(linitial(cref->fields))) : NULL;

		/* variables are not scoped here: a loop's may be out of scope */
		if (cx->conflict == CONFLICT_ERROR && v != NULL && !v->loop_scoped)
			lineage_note_unresolved(cx->function, strVal(linitial(cref->fields)),
									psprintf("column reference \"%s\" is ambiguous: it is also a variable (variable_conflict = error)",
											 strVal(linitial(cref->fields))));
		return NULL;
	}
	return resolve_variable(cx, cref);
}

static Node *
paramref(ParseState *pstate, ParamRef *pref)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) pstate->p_ref_hook_state;

	if (pref->number < 1 || pref->number > cx->nargs)
		return NULL;
	return (Node *) makeNullConst(cx->argtypes[pref->number - 1], -1,
								  get_typcollation(cx->argtypes[pref->number - 1]));
}

static void
parser_setup(ParseState *pstate, void *arg)
{
	pstate->p_pre_columnref_hook = pre_columnref;
	pstate->p_post_columnref_hook = post_columnref;
	pstate->p_paramref_hook = paramref;
	pstate->p_ref_hook_state = arg;
}

/* Analyze one raw statement and keep its edges. */
static void
analyze_raw(PlpgsqlContext *cx, RawStmt *raw, const char *text)
{
	Query	   *query;

	if (!IsA(raw->stmt, SelectStmt) && !IsA(raw->stmt, InsertStmt) &&
		!IsA(raw->stmt, UpdateStmt) && !IsA(raw->stmt, DeleteStmt) &&
		!IsA(raw->stmt, MergeStmt) && !IsA(raw->stmt, CallStmt))
		return;					/* other utility statements bind no columns */
	query = lineage_call_as_select(parse_analyze_withcb(raw, text, parser_setup,
														cx, NULL));
	cx->edges = list_concat(cx->edges,
							query_lineage_edges(query, cx->function, false));
}

/* "target := expr": the number of dotted parts of the target (1..3). */
static int
assign_target_parts(const char *text, char **target)
{
	const char *p = text;
	bool		quoted = false;
	int			parts = 1;

	for (; *p; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '.')
			parts++;
		else if (!quoted && (*p == ':' || *p == '=' || *p == '['))
			break;
	}
	*target = pnstrdup(text, p - text);
	return Min(parts, 3);
}

/* An assignment to NEW.col in a trigger function writes the column. */
static void
assign_writes(PlpgsqlContext *cx, const char *target)
{
	List	   *names;
	char	   *copy = pstrdup(target);
	AttrNumber	attnum;
	LineageEdge *edge;

	if (!OidIsValid(cx->trigger_table) ||
		!SplitIdentifierString(copy, '.', &names) || list_length(names) != 2 ||
		pg_strcasecmp((char *) linitial(names), "new") != 0)
		return;
	attnum = get_attnum(cx->trigger_table, (char *) lsecond(names));
	if (attnum <= 0)
		return;
	edge = palloc(sizeof(LineageEdge));
	ObjectAddressSubSet(edge->source, RelationRelationId, cx->trigger_table, attnum);
	edge->dependent = *cx->function;
	edge->usage = USAGE_WRITE;
	cx->edges = lappend(cx->edges, edge);
}

/* A "dynamic" edge: the function runs SQL naming this relation. */
static void
dynamic_edge(PlpgsqlContext *cx, RangeVar *rv)
{
	Oid			relid = RangeVarGetRelid(rv, NoLock, true);
	LineageEdge *edge;

	/* noted, so that the table's creation (a restore's order) resolves it */
	if (!OidIsValid(relid))
	{
		char	   *name = rv->schemaname ? psprintf("%s.%s", rv->schemaname, rv->relname)
			: rv->relname;

		lineage_note_unresolved(cx->function, name,
								psprintf("relation \"%s\" named by dynamic SQL does not exist",
										 name));
		return;
	}
	edge = palloc(sizeof(LineageEdge));
	ObjectAddressSubSet(edge->source, RelationRelationId, relid, 0);
	edge->dependent = *cx->function;
	edge->usage = USAGE_DYNAMIC;
	cx->edges = lappend(cx->edges, edge);
}

static bool
range_var_walker(Node *node, PlpgsqlContext *cx)
{
	if (node == NULL)
		return false;
	if (IsA(node, RangeVar))
	{
		dynamic_edge(cx, (RangeVar *) node);
		return false;
	}
	return raw_expression_tree_walker(node, range_var_walker, cx);
}

/*
 * The SQL a dynamic statement runs, when it is knowable: a string
 * literal, or format() of a literal template with literal arguments.
 * Otherwise NULL, and *visible gets the literal text it contains (the
 * template), with placeholders made parseable, for its table names.
 */
/* Flatten a || chain: literals as they are, anything else a placeholder. */
static void
flatten_concat(Node *expr, StringInfo out, bool *all_literal)
{
	if (IsA(expr, A_Expr) && ((A_Expr *) expr)->kind == AEXPR_OP &&
		strcmp(strVal(llast(((A_Expr *) expr)->name)), "||") == 0)
	{
		flatten_concat(((A_Expr *) expr)->lexpr, out, all_literal);
		flatten_concat(((A_Expr *) expr)->rexpr, out, all_literal);
	}
	else if (IsA(expr, A_Const) && IsA(&((A_Const *) expr)->val, String))
		appendStringInfoString(out, strVal(&((A_Const *) expr)->val));
	else
	{
		*all_literal = false;
		appendStringInfoString(out, "schemaguard_dynamic");
	}
}

static char *
dynamic_sql_text(Node *expr, char **visible)
{
	*visible = NULL;
	if (IsA(expr, A_Expr) && ((A_Expr *) expr)->kind == AEXPR_OP &&
		strcmp(strVal(llast(((A_Expr *) expr)->name)), "||") == 0)
	{
		StringInfoData out;
		bool		all_literal = true;

		initStringInfo(&out);
		flatten_concat(expr, &out, &all_literal);
		if (all_literal)
			return out.data;
		*visible = out.data;
		return NULL;
	}
	if (IsA(expr, A_Const) && IsA(&((A_Const *) expr)->val, String))
		return pstrdup(strVal(&((A_Const *) expr)->val));
	if (IsA(expr, FuncCall))
	{
		FuncCall   *call = (FuncCall *) expr;
		char	   *fname = strVal(llast(call->funcname));
		Node	   *first;
		StringInfoData out;
		const char *p;
		ListCell   *arg;
		bool		all_literal = true;

		if (strcmp(fname, "format") != 0 || call->args == NIL)
			return NULL;
		first = (Node *) linitial(call->args);
		if (!IsA(first, A_Const) || !IsA(&((A_Const *) first)->val, String))
			return NULL;
		initStringInfo(&out);
		arg = list_second_cell(call->args);
		for (p = strVal(&((A_Const *) first)->val); *p; p++)
		{
			if (*p == '%' && (p[1] == 'I' || p[1] == 's' || p[1] == 'L'))
			{
				Node	   *value = arg ? (Node *) lfirst(arg) : NULL;
				char		kind = p[1];

				if (value && IsA(value, A_Const) &&
					IsA(&((A_Const *) value)->val, String))
				{
					const char *s = strVal(&((A_Const *) value)->val);

					appendStringInfoString(&out, kind == 'I' ? quote_identifier(s)
										   : kind == 'L' ? quote_literal_cstr(s) : s);
				}
				else
				{
					all_literal = false;
					/* keep it parseable for its table names */
					appendStringInfoString(&out, kind == 'L' ? "NULL" : "schemaguard_dynamic");
				}
				if (arg)
					arg = lnext(call->args, arg);
				p++;
			}
			else
				appendStringInfoChar(&out, *p);
		}
		if (all_literal)
			return out.data;
		*visible = out.data;
	}
	return NULL;
}

/*
 * visible_tables
 *		The tables the literal text of unknowable dynamic SQL names get
 *		"dynamic" edges.  The text may not parse (its placeholders stand where
 *		anything could): that only means no table is visible.
 */
static void
visible_tables(PlpgsqlContext *cx, const char *text)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			before = list_length(cx->edges);

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		ListCell   *lc;

		foreach(lc, raw_parser(text, RAW_PARSE_DEFAULT))
			(void) range_var_walker(lfirst_node(RawStmt, lc)->stmt, cx);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		cx->edges = list_truncate(cx->edges, before);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/*
 * analyze_dynamic
 *		EXECUTE's expression: analyzed itself (it reads variables, maybe
 *		columns), and the SQL it gives analyzed if it is knowable, else its
 *		visibly named tables recorded as "dynamic".
 */
static void
analyze_dynamic(PlpgsqlContext *cx, const char *text)
{
	List	   *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select;
	char	   *sql;
	char	   *visible;

	analyze_raw(cx, linitial_node(RawStmt, raw), text);
	select = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;
	if (!IsA(select, SelectStmt) || list_length(select->targetList) != 1)
		return;
	sql = dynamic_sql_text(((ResTarget *) linitial(select->targetList))->val,
						   &visible);
	if (sql != NULL)
	{
		ListCell   *lc;

		foreach(lc, raw_parser(sql, RAW_PARSE_DEFAULT))
			analyze_raw(cx, lfirst_node(RawStmt, lc), sql);
	}
	else if (visible != NULL)
		visible_tables(cx, visible);
}

/* Analyze one embedded expression (the caller catches errors). */
static void
analyze_expression(PlpgsqlContext *cx, const char *text, ExprKind kind)
{
	ListCell   *lc;

	switch (kind)
	{
		case EXPR_SQL:
			foreach(lc, raw_parser(text, RAW_PARSE_DEFAULT))
				analyze_raw(cx, lfirst_node(RawStmt, lc), text);
			break;
		case EXPR_ASSIGN:
			{
				char	   *target;
				int			parts = assign_target_parts(text, &target);
				List	   *raw;
				PLAssignStmt *assign;
				RawStmt    *val;

				raw = raw_parser(text, RAW_PARSE_PLPGSQL_ASSIGN1 + (parts - 1));
				assign = (PLAssignStmt *) linitial_node(RawStmt, raw)->stmt;
				val = makeNode(RawStmt);
				val->stmt = (Node *) assign->val;
				analyze_raw(cx, val, text);
				assign_writes(cx, target);
			}
			break;
		case EXPR_EXPRESSION:
		case EXPR_CONDITION:
			analyze_raw(cx, linitial_node(RawStmt, raw_parser(text, RAW_PARSE_PLPGSQL_EXPR)),
						text);
			break;
		case EXPR_DYNAMIC:
			analyze_dynamic(cx, text);
			break;
	}
}

/*
 * analyze_guarded
 *		analyze_expression() in a subtransaction that is always rolled back:
 *		its locks are released and an error (a table that does not exist)
 *		only costs this statement's edges.
 */
static void
analyze_guarded(PlpgsqlContext *cx, const char *text, ExprKind kind)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			before = list_length(cx->edges);	/* list_concat extends in place */

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		analyze_expression(cx, text, kind);
		if (kind == EXPR_CONDITION)
		{
			/* the values it reads decide a branch, they flow nowhere */
			ListCell   *lc;

			for_each_from(lc, cx->edges, before)
			{
				LineageEdge *edge = (LineageEdge *) lfirst(lc);

				if (USAGE_IS_DIRECT(edge->usage))
					edge->usage = USAGE_CONDITIONAL;
			}
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		cx->edges = list_truncate(cx->edges, before);
		lineage_note_error(cx->function, edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
}

/* Where an embedded expression stands decides how it is parsed. */
static ExprKind
expression_kind(const char *statement, const char *field)
{
	if (strcmp(field, "cursor_explicit_expr") == 0)
		return EXPR_SQL;		/* c CURSOR FOR query, in a declaration */
	if (statement == NULL)
		return EXPR_EXPRESSION;
	if (strcmp(statement, "PLpgSQL_stmt_assign") == 0)
		return EXPR_ASSIGN;
	if (strcmp(field, "dynquery") == 0 ||
		(strcmp(field, "query") == 0 &&
		 (strcmp(statement, "PLpgSQL_stmt_dynexecute") == 0 ||
		  strcmp(statement, "PLpgSQL_stmt_dynfors") == 0)))
		return EXPR_DYNAMIC;
	if (strcmp(field, "sqlstmt") == 0 || strcmp(field, "query") == 0 ||
		strcmp(statement, "PLpgSQL_stmt_perform") == 0 ||
		strcmp(statement, "PLpgSQL_stmt_call") == 0)
		return EXPR_SQL;		/* PERFORM's text is stored as SELECT ...;
								 * CALL's as CALL ... */
	if (strcmp(field, "cond") == 0 || strcmp(field, "t_expr") == 0 ||
		(strcmp(field, "expr") == 0 && strcmp(statement, "PLpgSQL_stmt_case") == 0))
		return EXPR_CONDITION;
	return EXPR_EXPRESSION;
}

/* Is the current object a FOR loop's variable (under "var" of a FOR)? */
static bool
in_loop_header(char **keys, int depth)
{
	int			d;

	if (depth < 3 || depth - 2 >= 256 || keys[depth - 2] == NULL ||
		strcmp(keys[depth - 2], "var") != 0)
		return false;
	for (d = depth - 3; d >= 0 && d < 256; d--)
	{
		if (keys[d] != NULL && strncmp(keys[d], "PLpgSQL_stmt_", 13) == 0)
			return strcmp(keys[d], "PLpgSQL_stmt_fori") == 0;
	}
	return false;
}

/*
 * walk_json
 *		Visit the PL/pgSQL tree: declare each variable (PLpgSQL_var,
 *		PLpgSQL_rec), then analyze each PLpgSQL_expr's query, knowing the
 *		statement and field it stands in.  Called twice: first to declare
 *		every variable (the whole tree), then to analyze, so that every
 *		variable is known before any expression is analyzed.
 */
static void
walk_json(PlpgsqlContext *cx, Jsonb *jb, bool declare)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	v;
	JsonbIteratorToken token;
	char	   *keys[256];
	int			depth = 0;
	char	   *key = NULL;
	Variable   *current = NULL;

	while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (token)
		{
			case WJB_BEGIN_OBJECT:
			case WJB_BEGIN_ARRAY:
				if (depth < lengthof(keys))
					keys[depth] = key;
				depth++;
				key = NULL;
				break;
			case WJB_END_OBJECT:
			case WJB_END_ARRAY:
				depth--;
				key = depth < lengthof(keys) ? keys[depth] : NULL;
				break;
			case WJB_KEY:
				key = pnstrdup(v.val.string.val, v.val.string.len);
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				if (v.type == jbvString && key != NULL && depth >= 2 &&
					depth - 1 < lengthof(keys) && keys[depth - 1] != NULL)
				{
					char	   *value = pnstrdup(v.val.string.val, v.val.string.len);
					const char *owner = keys[depth - 1];

					if (declare && strcmp(key, "refname") == 0 &&
						strcmp(owner, "PLpgSQL_var") == 0 && in_loop_header(keys, depth))
					{
						/*
						 * FOR i IN 1..n: i exists only inside the loop.  (jsonb
						 * sorts keys: "action" comes before "datums", so it may
						 * not be declared yet.)
						 */
						Variable   *v = find_variable(cx, value);

						if (v == NULL)
						{
							v = palloc0(sizeof(Variable));
							v->name = value;
							v->typid = INT4OID;
							v->typmod = -1;
							cx->variables = lappend(cx->variables, v);
						}
						v->loop_scoped = true;
					}
					else if (declare && strcmp(key, "refname") == 0 &&
						(strcmp(owner, "PLpgSQL_var") == 0 ||
						 strcmp(owner, "PLpgSQL_rec") == 0))
					{
						current = palloc0(sizeof(Variable));
						current->name = value;
						current->typid = UNKNOWNOID;
						current->typmod = -1;
						current->is_record = (strcmp(owner, "PLpgSQL_rec") == 0);
						cx->variables = lappend(cx->variables, current);
					}
					else if (declare && strcmp(key, "label") == 0 &&
							 strcmp(owner, "PLpgSQL_stmt_block") == 0)
						cx->labels = lappend(cx->labels, makeString(value));
					else if (declare && strcmp(key, "typname") == 0 && current &&
							 !current->is_record)
					{
						Oid			typid;
						int32		typmod;

						if (pg_strcasecmp(value, "record") == 0)
							current->is_record = true;
						else if (strchr(value, '%') != NULL)
							current->is_record = (strlen(value) >= 8 &&
												  pg_strcasecmp(value + strlen(value) - 8, "%rowtype") == 0);
						else
						{
							/* missing_ok: an unknown type leaves it unknown */
							parseTypeString(value, &typid, &typmod, true);
							if (OidIsValid(typid))
							{
								current->typid = typid;
								current->typmod = typmod;
							}
						}
					}
					else if (!declare && strcmp(key, "query") == 0 &&
							 strcmp(owner, "PLpgSQL_expr") == 0 && depth >= 3)
					{
						const char *statement = NULL;
						const char *field = depth - 2 < lengthof(keys) ? keys[depth - 2] : NULL;
						int			d;

						for (d = depth - 2; d >= 0 && statement == NULL; d--)
						{
							if (d < lengthof(keys) && keys[d] != NULL &&
								strncmp(keys[d], "PLpgSQL_stmt_", 13) == 0)
								statement = keys[d];
						}
						analyze_guarded(cx, value,
										expression_kind(statement, field ? field : ""));
					}
				}
				break;
			default:
				break;
		}
	}
}

/* The table a trigger function's NEW and OLD stand for, if just one. */
static Oid
trigger_table_of(Oid funcid)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	Oid			table = InvalidOid;
	bool		several = false;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);

		if (trig->tgfoid != funcid || trig->tgisinternal)
			continue;
		if (OidIsValid(table) && table != trig->tgrelid)
			several = true;
		table = trig->tgrelid;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return several ? InvalidOid : table;
}

/*
 * Cursor statements, neutralized for libpg_query
 *
 * libpg_query 15-4.0's PL/pgSQL parser rejects every OPEN, FETCH, MOVE and
 * CLOSE ("variable must be of type cursor or refcursor"): its stand-in for
 * the type lookup never gives a variable the refcursor type.  So before the
 * body is parsed, those statements are rewritten into ones that keep what
 * matters for lineage: OPEN x FOR query becomes PERFORM of that query,
 * OPEN x FOR EXECUTE e becomes EXECUTE e, the others become NULL.  A cursor
 * FOR loop over a declared cursor (rejected the same way) becomes WHILE
 * false LOOP: its body is still read, the cursor's query is read from its
 * declaration, and the loop's record is declared for the analysis.  The
 * scanner skips string literals, dollar quotes, comments and quoted
 * identifiers, and only looks at the first word of a statement.
 */

/* Length of the literal, quoted identifier or comment starting at p, or 0. */
static int
skip_quoted(const char *p)
{
	const char *q;

	if (p[0] == '\'' || p[0] == '"')
	{
		for (q = p + 1; *q; q++)
		{
			if (*q == p[0])
			{
				if (q[1] == p[0])
					q++;		/* doubled quote */
				else
					return q - p + 1;
			}
		}
		return q - p;
	}
	if (p[0] == '-' && p[1] == '-')
	{
		for (q = p; *q && *q != '\n'; q++)
			;
		return q - p;
	}
	if (p[0] == '/' && p[1] == '*')
	{
		q = strstr(p + 2, "*/");
		return q ? q - p + 2 : strlen(p);
	}
	if (p[0] == '$')
	{
		const char *end = p + 1;
		char	   *tag;
		const char *close;

		while (*end && (isalnum((unsigned char) *end) || *end == '_'))
			end++;
		if (*end != '$')
			return 0;
		tag = pnstrdup(p, end - p + 1);
		close = strstr(end + 1, tag);
		return close ? close - p + strlen(tag) : strlen(p);
	}
	return 0;
}

/* The end of the statement starting at p: its ';' (or the end). */
static const char *
statement_end(const char *p)
{
	int			depth = 0;

	while (*p)
	{
		int			skip = skip_quoted(p);

		if (skip > 0)
		{
			p += skip;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == ';' && depth <= 0)
			return p;
		p++;
	}
	return p;
}

static bool
word_is(const char *p, const char *word)
{
	size_t		n = strlen(word);

	return pg_strncasecmp(p, word, n) == 0 &&
		!(isalnum((unsigned char) p[n]) || p[n] == '_');
}

static const char *
skip_space(const char *p)
{
	while (isspace((unsigned char) *p))
		p++;
	return p;
}

/* What an OPEN statement (text between OPEN and ';') becomes. */
static char *
rewrite_open(const char *p, const char *end)
{
	/* the cursor variable, maybe quoted, maybe with arguments */
	p = skip_space(p);
	if (*p == '"')
		p += skip_quoted(p);
	else
		while (p < end && (isalnum((unsigned char) *p) || *p == '_' || *p == '.'))
			p++;
	p = skip_space(p);
	if (*p == '(')
		return pstrdup("NULL");	/* a bound cursor opened with arguments */
	if (word_is(p, "no"))
		p = skip_space(p + 2);
	if (word_is(p, "scroll"))
		p = skip_space(p + 6);
	if (!word_is(p, "for"))
		return pstrdup("NULL");	/* a bound cursor: its query is declared */
	p = skip_space(p + 3);
	if (word_is(p, "execute"))
		return pnstrdup(p, end - p);
	if (word_is(p, "select"))
		return psprintf("PERFORM %s", pnstrdup(p + 6, end - p - 6));
	return psprintf("PERFORM * FROM (%s) schemaguard_open", pnstrdup(p, end - p));
}

/* Read an identifier (maybe quoted) at p; returns its end, sets *name. */
static const char *
read_identifier(const char *p, char **name)
{
	const char *start = p;

	*name = NULL;
	if (*p == '"')
	{
		p += skip_quoted(p);
		*name = pnstrdup(start + 1, p - start - 2);
		return p;
	}
	while (isalnum((unsigned char) *p) || *p == '_')
		p++;
	if (p > start)
		*name = downcase_identifier(start, p - start, false, false);
	return p;
}

/*
 * The cursors a body declares ("name [NO] [SCROLL] CURSOR"), found by a
 * plain scan: enough to recognize a cursor FOR loop over one of them.
 */
static List *
declared_cursors(const char *src)
{
	List	   *cursors = NIL;
	const char *p = src;

	while (*p)
	{
		int			skip = skip_quoted(p);
		char	   *name;
		const char *q;

		if (skip > 0)
		{
			p += skip;
			continue;
		}
		if (!(isalpha((unsigned char) *p) || *p == '_' || *p == '"') ||
			(p > src && (isalnum((unsigned char) p[-1]) || p[-1] == '_')))
		{
			p++;
			continue;
		}
		q = skip_space(read_identifier(p, &name));
		if (word_is(q, "no"))
			q = skip_space(q + 2);
		if (word_is(q, "scroll"))
			q = skip_space(q + 6);
		if (name != NULL && word_is(q, "cursor"))
			cursors = lappend(cursors, makeString(name));
		p = q > p ? q : p + 1;
	}
	return cursors;
}

/*
 * A cursor FOR loop header, "FOR r IN c [(args)] LOOP" over a declared
 * cursor: returns the end of the header (after LOOP) and sets *record to
 * the loop variable, or returns NULL.
 */
static const char *
cursor_for_loop(const char *p, List *cursors, char **record)
{
	char	   *cursor;

	p = skip_space(read_identifier(skip_space(p + 3), record));
	if (*record == NULL || !word_is(p, "in"))
		return NULL;
	p = skip_space(read_identifier(skip_space(p + 2), &cursor));
	if (cursor == NULL || !list_member(cursors, makeString(cursor)))
		return NULL;
	if (*p == '(')
	{
		int			depth = 0;

		for (; *p; p++)
		{
			int			skip = skip_quoted(p);

			if (skip > 0)
				p += skip - 1;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
			{
				p++;
				break;
			}
		}
		p = skip_space(p);
	}
	return word_is(p, "loop") ? p + 4 : NULL;
}

static char *
neutralize_cursor_statements(const char *src, List **loop_records)
{
	StringInfoData out;
	const char *p = src;
	bool		at_start = true;	/* at the first word of a statement */
	List	   *cursors = declared_cursors(src);

	initStringInfo(&out);
	while (*p)
	{
		int			skip = skip_quoted(p);

		if (skip > 0)
		{
			appendBinaryStringInfo(&out, p, skip);
			p += skip;
			at_start = false;
			continue;
		}
		if (isspace((unsigned char) *p))
		{
			appendStringInfoChar(&out, *p++);
			continue;
		}
		if (at_start && word_is(p, "return") &&
			word_is(skip_space(p + 6), "next") &&
			*skip_space(skip_space(p + 6) + 4) == ';')
		{
			/*
			 * RETURN NEXT; of a function with OUT parameters: libpg_query
			 * does not know them and rejects it; nothing is read anyway.
			 */
			appendStringInfoString(&out, "RETURN NEXT NULL");
			p = skip_space(skip_space(p + 6) + 4);
			at_start = false;
			continue;
		}
		if (at_start && word_is(p, "for") && cursors != NIL)
		{
			char	   *record;
			const char *end = cursor_for_loop(p, cursors, &record);

			if (end != NULL)
			{
				/* the loop body stays; the cursor's query is its declaration's */
				appendStringInfoString(&out, "WHILE false LOOP");
				*loop_records = lappend(*loop_records, makeString(record));
				p = end;
				at_start = true;
				continue;
			}
		}
		if (at_start && (word_is(p, "open") || word_is(p, "fetch") ||
						 word_is(p, "move") || word_is(p, "close")) &&
			!strchr(":=.[", *skip_space(p + strcspn(p, " \t\n\r:=.[;("))))
		{
			const char *end = statement_end(p);

			appendStringInfoString(&out, word_is(p, "open")
								   ? rewrite_open(p + 4, end) : "NULL");
			p = end;
			continue;
		}
		if (isalpha((unsigned char) *p) || *p == '_')
		{
			const char *w = p;

			while (isalnum((unsigned char) *p) || *p == '_')
				p++;
			appendBinaryStringInfo(&out, w, p - w);
			/* a statement starts after these */
			at_start = (p - w == 5 && pg_strncasecmp(w, "begin", 5) == 0) ||
				(p - w == 4 && (pg_strncasecmp(w, "then", 4) == 0 ||
								pg_strncasecmp(w, "else", 4) == 0 ||
								pg_strncasecmp(w, "loop", 4) == 0));
			continue;
		}
		at_start = (*p == ';');
		appendStringInfoChar(&out, *p++);
	}
	return out.data;
}

/* #variable_conflict in the body, else plpgsql.variable_conflict. */
static VariableConflict
variable_conflict(const char *source)
{
	const char *option = strstr(source, "#variable_conflict");
	const char *setting;

	if (option != NULL)
	{
		option += strlen("#variable_conflict");
		while (*option == ' ' || *option == '\t')
			option++;
		if (pg_strncasecmp(option, "use_variable", 12) == 0)
			return CONFLICT_USE_VARIABLE;
		if (pg_strncasecmp(option, "use_column", 10) == 0)
			return CONFLICT_USE_COLUMN;
		return CONFLICT_ERROR;
	}
	setting = GetConfigOption("plpgsql.variable_conflict", true, false);
	if (setting && strcmp(setting, "use_variable") == 0)
		return CONFLICT_USE_VARIABLE;
	if (setting && strcmp(setting, "use_column") == 0)
		return CONFLICT_USE_COLUMN;
	return CONFLICT_ERROR;
}

/*
 * plpgsql_body_edges
 *		The edges of a PL/pgSQL function's body.  A body libpg_query cannot
 *		parse has none.
 */
List *
plpgsql_body_edges(HeapTuple proctup, const ObjectAddress *function)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	PlpgsqlContext cx;
	char	   *definition;
	char	   *source;
	List	   *loop_records = NIL;
	ListCell   *lc;
	char	   *json;
	char	   *error;
	Jsonb	   *jb;
	bool		isnull;
	int			i;

	definition = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_get_functiondef,
																	ObjectIdGetDatum(proc->oid))));
	source = TextDatumGetCString(SysCacheGetAttr(PROCOID, proctup,
												 Anum_pg_proc_prosrc, &isnull));
	{
		/* the body appears verbatim in the definition: swap in the rewrite */
		char	   *at = strstr(definition, source);

		if (at != NULL)
			definition = psprintf("%.*s%s%s", (int) (at - definition), definition,
								  neutralize_cursor_statements(source, &loop_records),
								  at + strlen(source));
	}
	json = lineage_parse_plpgsql(definition, &error);
	if (json == NULL)
	{
		lineage_note_unresolved(function, "(body)",
								psprintf("unparsable: %s", error ? error : "no PL/pgSQL body"));
		return NIL;
	}

	memset(&cx, 0, sizeof(cx));
	cx.function = function;
	cx.funcname = pstrdup(NameStr(proc->proname));
	cx.labels = list_make1(makeString(cx.funcname));
	cx.conflict = variable_conflict(source);
	if (proc->prorettype == TRIGGEROID)
	{
		static const char *const records[] = {"new", "old"};

		cx.trigger_table = trigger_table_of(proc->oid);
		for (i = 0; i < lengthof(records); i++)
		{
			Variable   *v = palloc0(sizeof(Variable));

			v->name = pstrdup(records[i]);
			v->typid = RECORDOID;
			v->typmod = -1;
			v->is_record = true;
			cx.variables = lappend(cx.variables, v);
		}
	}

	/*
	 * Parameters, IN and OUT alike, with their real types (libpg_query does
	 * not know them).  get_func_arg_info pairs names with all argument
	 * types, in declaration order.
	 */
	{
		Oid		   *types;
		char	  **argnames;
		char	   *modes;
		int			nall = get_func_arg_info(proctup, &types, &argnames, &modes);

		/* $n numbers OUT parameters too, in PL/pgSQL */
		cx.nargs = nall;
		cx.argtypes = types;
		for (i = 0; argnames != NULL && i < nall; i++)
		{
			Variable   *v;

			if (argnames[i] == NULL || argnames[i][0] == '\0')
				continue;
			v = palloc0(sizeof(Variable));
			v->name = argnames[i];
			v->typid = types[i];
			v->typmod = -1;
			cx.variables = lappend(cx.variables, v);
		}
	}

	/* the records of cursor FOR loops, which PL/pgSQL declares implicitly */
	foreach(lc, loop_records)
	{
		Variable   *v = palloc0(sizeof(Variable));

		v->name = strVal(lfirst(lc));
		v->typid = RECORDOID;
		v->typmod = -1;
		v->is_record = true;
		cx.variables = lappend(cx.variables, v);
	}

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	walk_json(&cx, jb, true);
	walk_json(&cx, jb, false);
	lineage_set_param_columns(0, 0, NULL);
	return cx.edges;
}
