/*-------------------------------------------------------------------------
 *
 * plpgsql.c
 *	  Lineage of PL/pgSQL bodies: every embedded SQL statement and
 *	  expression, found by libpg_query's PL/pgSQL parser and bound to the
 *	  catalog by the server's own analyzer.
 *
 * libpg_query (pg_query_sealed.c) turns the function's CREATE statement
 * (its cursor statements rewritten first: plpgsql_cursors.c) into a JSON
 * tree of PL/pgSQL statements; each PLpgSQL_expr in it carries its text.
 * The tree is walked in the order the function runs it (plpgsql_walk.c): a
 * statement's expressions before its body, a FOR loop's query before the
 * loop's record is read.  The parse mode follows from where an expression
 * stands, as in PL/pgSQL's own compiler: a whole SQL statement (an SQL
 * statement, a FOR or cursor query, RETURN QUERY), an assignment (target
 * := expression), or an expression.  Each is parsed with raw_parser(), its
 * relations bound (names.c: never a temporary one; locked only if that
 * needs no wait, else the object is analyzed again later) and analyzed
 * with parse_analyze_withcb() under column-reference hooks that apply
 * PL/pgSQL's rule for names: a name that is a variable or parameter is a
 * value, not a column, according to #variable_conflict (or
 * plpgsql.variable_conflict): use_variable (the variable wins), use_column
 * (the column wins), error (the default: the column is kept and the
 * reference recorded as ambiguous).  Conditions of IF, WHILE, EXIT WHEN,
 * CASE and ASSERT are "conditional".
 *
 * Variables are typed NULL constants; PL/pgSQL's own (FOUND, SQLSTATE,
 * SQLERRM, and in a trigger function TG_OP, TG_ARGV, TG_TABLE_NAME and the
 * others, TG_EVENT and TG_TAG in an event trigger function) are variables
 * too, not missing columns.  A record a query fills (FOR r IN SELECT ...,
 * SELECT ... INTO rec) knows the query's columns: r.amount is a Param that
 * stands for what that column was made of (query.c reads it), so the field
 * read is traced to its source.  A %ROWTYPE or composite variable knows its
 * fields' types.
 *
 * Trigger functions.  A function may be used by triggers of many tables
 * (the common last_updated, audit and replication triggers).  Its own
 * lineage (dependent: the function) is what it reads, writes and calls
 * whatever its table: NEW and OLD are typed as the row of one of its
 * tables (the first trigger's, so that NEW.r resolves to its type) but
 * stand for no column.  What NEW and OLD read and write of a table belongs
 * to each trigger: for each trigger the body is read again
 * (function_trigger_lineage, per_trigger), NEW and OLD typed as that
 * table's row, and only the columns read through them and assigned to
 * NEW.col are kept, attached to the trigger.  So a shared function reading
 * OLD.link on one of its tables makes that table's trigger depend on
 * link; a field its table lacks is an unresolved reference of that trigger
 * (record "old" has no field "link").
 *
 * Dynamic SQL (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN
 * QUERY EXECUTE): the text it runs, as far as the body shows it, is built
 * by dynamic_sql.c from literal pieces, format(), quoting functions and
 * string variables the body assigned from such pieces.  A text entirely
 * known is analyzed as any SQL; one with placeholders (pieces known only at
 * run time) is analyzed too, and its columns get "dynamic"; where it does
 * not analyze, what its names resolve to does (names.c).  A statement
 * whose text the body does not show at all is listed as an unresolved
 * reference, "(dynamic SQL)": never silently dropped.
 *
 * Each statement is analyzed in its own subtransaction, always rolled back
 * (locks released, an error in one statement does not lose the others) --
 * or, in the first, optimistic reading of a body (function.c's
 * body_lineage), all in the body's one subtransaction; if any of them fails
 * there, the body is read again the first way, and gets what that way gives.
 * An error of the analysis is an unresolved reference, and what the
 * statement's names still resolve to is kept (names.c); a table the body
 * creates as TEMP at run time is listed as "created at run time by this
 * function".  A cancel or a timeout goes on to the user's statement.
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
#include "miscadmin.h"
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
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"

#include "lineage/internal.h"
#include "lineage/plpgsql.h"

/* Params standing for NEW/OLD columns and record fields get ids from here. */
#define PARAM_BASE	100000

Variable *
lineage_pl_find_variable(PlpgsqlContext *cx, const char *name)
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

Variable *
lineage_pl_add_variable(PlpgsqlContext *cx, const char *name, Oid typid, bool is_record)
{
	Variable   *v = palloc0(sizeof(Variable));

	v->name = pstrdup(name);
	v->typid = typid;
	v->typmod = -1;
	v->is_record = is_record;
	cx->variables = lappend(cx->variables, v);
	return v;
}

static Node *
unknown_value(void)
{
	return (Node *) makeNullConst(UNKNOWNOID, -1, InvalidOid);
}

static Node *
variable_value(Variable *v)
{
	return (Node *) makeNullConst(v->typid, v->typmod,
								  get_typcollation(v->typid));
}

/*
 * new_param
 *		A Param standing for a value made of these sources (LineageSource *),
 *		typed so that the analysis resolves operators and functions as
 *		PL/pgSQL would.
 */
static Node *
new_param(PlpgsqlContext *cx, Oid typid, int32 typmod, Oid collid,
		  List *sources)
{
	Param	   *param;

	if (cx->nparams >= cx->maxparams)
	{
		cx->maxparams = Max(16, cx->maxparams * 2);
		cx->param_sources = cx->param_sources
			? repalloc(cx->param_sources, sizeof(List *) * cx->maxparams)
			: palloc(sizeof(List *) * cx->maxparams);
	}
	cx->param_sources[cx->nparams] = sources;
	param = makeNode(Param);
	param->paramkind = PARAM_EXTERN;
	param->paramid = PARAM_BASE + cx->nparams;
	param->paramtype = typid;
	param->paramtypmod = typmod;
	param->paramcollid = collid;
	param->location = -1;
	cx->nparams++;
	lineage_set_param_sources(PARAM_BASE, cx->nparams, cx->param_sources);
	return (Node *) param;
}

static List *
column_source(Oid relid, AttrNumber attnum, LineageUsage usage)
{
	LineageSource *src = palloc(sizeof(LineageSource));

	ObjectAddressSubSet(src->source, RelationRelationId, relid, attnum);
	src->usage = usage;
	return list_make1(src);
}

/* The fields of a relation's row type, with their types (no source). */
List *
lineage_pl_relation_fields(Oid relid)
{
	List	   *fields = NIL;
	ListCell   *lc;

	foreach(lc, lineage_relation_columns(relid))
	{
		LineageColumn *f = palloc0(sizeof(LineageColumn));
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);

		f->name = get_attname(relid, attnum, false);
		get_atttypetypmodcoll(relid, attnum, &f->typid, &f->typmod, &f->collid);
		fields = lappend(fields, f);
	}
	return fields;
}

/*
 * newold_value
 *		NEW or OLD (field NULL: the whole row) of a trigger function whose
 *		table is known.  Read for one trigger, it stands for that table's
 *		column; for the function itself, it only has its type.
 */
static Node *
newold_value(PlpgsqlContext *cx, Variable *v, const char *field)
{
	AttrNumber	attnum;
	Oid			typid;
	int32		typmod;
	Oid			collid;

	cx->used_newold = true;
	if (!OidIsValid(cx->trigger_table))
		return field ? unknown_value() : variable_value(v);
	if (field == NULL && cx->per_trigger)
	{
		/* the whole row: a ROW() of its columns, so NEW.* keeps each apart */
		TupleDesc	desc = lookup_rowtype_tupdesc(get_rel_type_id(cx->trigger_table), -1);
		RowExpr    *row = makeNode(RowExpr);
		int			i;

		for (i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (att->attisdropped)
				row->args = lappend(row->args, makeNullConst(INT4OID, -1, InvalidOid));
			else
				row->args = lappend(row->args,
									new_param(cx, att->atttypid, att->atttypmod,
											  att->attcollation,
											  column_source(cx->trigger_table, att->attnum,
															USAGE_IDENTITY)));
			row->colnames = lappend(row->colnames,
									makeString(pstrdup(NameStr(att->attname))));
		}
		row->row_typeid = get_rel_type_id(cx->trigger_table);
		row->row_format = COERCE_IMPLICIT_CAST;
		row->location = -1;
		ReleaseTupleDesc(desc);
		return (Node *) row;
	}
	if (field == NULL)
		return new_param(cx, get_rel_type_id(cx->trigger_table), -1, InvalidOid, NIL);
	attnum = get_attnum(cx->trigger_table, field);
	if (attnum <= 0)
	{
		/* PL/pgSQL: record "old" has no field "link", when it runs */
		if (cx->per_trigger)
			lineage_note_unresolved(cx->dependent, psprintf("%s.%s", v->name, field),
									psprintf("record \"%s\" has no field \"%s\"",
											 v->name, field));
		return unknown_value();
	}
	get_atttypetypmodcoll(cx->trigger_table, attnum, &typid, &typmod, &collid);
	return new_param(cx, typid, typmod, collid,
					 cx->per_trigger
					 ? column_source(cx->trigger_table, attnum, USAGE_IDENTITY) : NIL);
}

/*
 * record_field
 *		A field of a record variable whose fields are known: a Param typed as
 *		the field, standing for what it was made of.  (Read for one trigger,
 *		only NEW and OLD count: the field's sources are the function's.)
 */
static Node *
record_field(PlpgsqlContext *cx, Variable *v, const char *name)
{
	ListCell   *lc;

	foreach(lc, v->fields)
	{
		LineageColumn *f = (LineageColumn *) lfirst(lc);

		if (f->name != NULL && strcmp(f->name, name) == 0)
			return new_param(cx, f->typid, f->typmod, f->collid,
							 cx->per_trigger ? NIL : f->sources);
	}
	/* filled elsewhere with other columns, maybe: a value of unknown type */
	return unknown_value();
}

/*
 * The strings of a column reference's fields, a leading block label or
 * function name dropped; their number, or 0 if it is not such a name.
 */
static int
reference_names(PlpgsqlContext *cx, ColumnRef *cref, const char *names[3])
{
	int			n = list_length(cref->fields);
	int			i;

	if (n > 3)
		return 0;
	for (i = 0; i < n; i++)
	{
		Node	   *field = (Node *) list_nth(cref->fields, i);

		if (!IsA(field, String))
			return 0;			/* rec.* */
		names[i] = strVal(field);
	}
	if (n >= 2 && lineage_pl_find_variable(cx, names[0]) == NULL &&
		list_member(cx->labels, makeString((char *) names[0])))
	{
		for (i = 1; i < n; i++)
			names[i - 1] = names[i];
		n--;
	}
	return n;
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
	const char *names[3] = {NULL, NULL, NULL};
	int			n = reference_names(cx, cref, names);
	Variable   *v;

	/* NEW.*: the whole row, which the parser expands */
	if (n == 0 && list_length(cref->fields) == 2 && IsA(linitial(cref->fields), String) &&
		IsA(lsecond(cref->fields), A_Star) &&
		(v = lineage_pl_find_variable(cx, strVal(linitial(cref->fields)))) != NULL && v->is_newold)
		return newold_value(cx, v, NULL);
	if (n == 0 || (v = lineage_pl_find_variable(cx, names[0])) == NULL)
		return NULL;
	if (v->is_newold)
		return newold_value(cx, v, n == 1 ? NULL : names[1]);
	if (n == 1)
		return variable_value(v);
	if (!v->is_record)
		return NULL;
	if (v->fields != NIL)
		return record_field(cx, v, names[1]);
	return unknown_value();
}

/* A placeholder of dynamic SQL (dynamic_sql.c) is a value of unknown type. */
static bool
is_placeholder(ColumnRef *cref)
{
	return list_length(cref->fields) == 1 && IsA(linitial(cref->fields), String) &&
		strcmp(strVal(linitial(cref->fields)), LINEAGE_DYNAMIC_PLACEHOLDER) == 0;
}

static Node *
pre_columnref(ParseState *pstate, ColumnRef *cref)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) pstate->p_ref_hook_state;

	if (cx->in_dynamic && is_placeholder(cref))
		return unknown_value();
	if (cx->in_dynamic || cx->conflict != CONFLICT_USE_VARIABLE)
		return NULL;
	return resolve_variable(cx, cref);
}

static Node *
post_columnref(ParseState *pstate, ColumnRef *cref, Node *var)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) pstate->p_ref_hook_state;

	/* dynamic SQL runs on its own: the body's variables are not in it */
	if (cx->in_dynamic)
		return NULL;

	/* a column was found: it stays (use_column; ambiguous under "error") */
	if (var != NULL)
	{
		Variable   *v = (list_length(cref->fields) == 1 &&
						 IsA(linitial(cref->fields), String))
			? lineage_pl_find_variable(cx, strVal(linitial(cref->fields))) : NULL;

		/* variables are not scoped here: a loop's may be out of scope */
		if (cx->conflict == CONFLICT_ERROR && v != NULL && !v->loop_scoped &&
			!cx->per_trigger)
			lineage_note_unresolved(cx->dependent, strVal(linitial(cref->fields)),
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

	/* in dynamic SQL, $n are the values of USING */
	if (cx->in_dynamic)
		return unknown_value();
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

/*
 * rawref
 *		For names.c, what a raw column reference is: a variable, NEW.col of
 *		the trigger's table (read for one trigger), or a name to match.
 */
static RawRef
rawref(ColumnRef *cref, void *arg, Oid *relid, AttrNumber *attnum)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) arg;
	const char *names[3] = {NULL, NULL, NULL};
	int			n;
	Variable   *v;

	if (cx->in_dynamic)
		return is_placeholder(cref) ? RAWREF_VARIABLE : RAWREF_NAME;
	n = reference_names(cx, cref, names);
	if (n == 0 || (v = lineage_pl_find_variable(cx, names[0])) == NULL)
		return RAWREF_NAME;
	if (v->is_newold && n == 2 && cx->per_trigger && OidIsValid(cx->trigger_table))
	{
		*relid = cx->trigger_table;
		*attnum = get_attnum(cx->trigger_table, names[1]);
		if (*attnum > 0)
			return RAWREF_COLUMN;
	}
	return RAWREF_VARIABLE;
}

/* For dynamic_sql.c: the SQL text a variable holds, if the body shows it. */
static DynText *
variable_text(ColumnRef *cref, void *arg)
{
	PlpgsqlContext *cx = (PlpgsqlContext *) arg;
	const char *names[3] = {NULL, NULL, NULL};
	Variable   *v;
	DynText    *copy;

	if (reference_names(cx, cref, names) != 1 ||
		(v = lineage_pl_find_variable(cx, names[0])) == NULL || v->text == NULL)
		return NULL;
	copy = palloc(sizeof(DynText));
	*copy = *v->text;
	return copy;
}

/*
 * analyze_raw
 *		Bind, analyze one raw statement and keep its edges, and the columns
 *		of its result (for a record it fills).
 */
static void
analyze_raw(PlpgsqlContext *cx, RawStmt *raw, const char *text)
{
	Query	   *query;
	char	   *name;

	if (!IsA(raw->stmt, SelectStmt) && !IsA(raw->stmt, InsertStmt) &&
		!IsA(raw->stmt, UpdateStmt) && !IsA(raw->stmt, DeleteStmt) &&
		!IsA(raw->stmt, MergeStmt) && !IsA(raw->stmt, CallStmt))
		return;					/* other utility statements bind no columns */
	switch (lineage_bind_relations(raw->stmt, cx->runtime_temps, &name))
	{
		case BIND_OK:
			break;
		case BIND_LOCKED:
			lineage_note_deferred(cx->dependent, name,
								  psprintf("relation \"%s\" is locked by another transaction",
										   name));
			return;
		case BIND_RUNTIME_TEMP:
			if (!cx->per_trigger)
				lineage_note_unresolved(cx->dependent, name, LINEAGE_RUNTIME_TEMP_REASON);
			cx->edges = list_concat(cx->edges,
									lineage_raw_name_edges(raw->stmt, cx->dependent,
														   rawref, cx, cx->per_trigger));
			return;
		case BIND_TEMPORARY:
			/* as in a session without it; a permanent relation of the name resolves it */
			if (!cx->per_trigger)
				lineage_note_unresolved(cx->dependent, name,
										psprintf(LINEAGE_TEMPORARY_REASON, name));
			cx->edges = list_concat(cx->edges,
									lineage_raw_name_edges(raw->stmt, cx->dependent,
														   rawref, cx, cx->per_trigger));
			return;
	}
	query = lineage_call_as_select(parse_analyze_withcb(raw, text, parser_setup,
														cx, NULL));
	cx->edges = list_concat(cx->edges,
							query_lineage_edges_columns(query, cx->dependent, false,
														&cx->columns));
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
assign_writes(PlpgsqlContext *cx, List *names)
{
	AttrNumber	attnum;
	LineageEdge *edge;

	if (!cx->per_trigger || !OidIsValid(cx->trigger_table) ||
		list_length(names) != 2 || pg_strcasecmp((char *) linitial(names), "new") != 0)
		return;
	cx->used_newold = true;
	attnum = get_attnum(cx->trigger_table, (char *) lsecond(names));
	if (attnum <= 0)
	{
		lineage_note_unresolved(cx->dependent,
								psprintf("new.%s", (char *) lsecond(names)),
								psprintf("record \"new\" has no field \"%s\"",
										 (char *) lsecond(names)));
		return;
	}
	edge = palloc(sizeof(LineageEdge));
	ObjectAddressSubSet(edge->source, RelationRelationId, cx->trigger_table, attnum);
	edge->dependent = *cx->dependent;
	edge->usage = USAGE_WRITE;
	cx->edges = lappend(cx->edges, edge);
}

/*
 * The raw statements of an embedded expression, parsed as it stands.  With
 * effects, what an assignment or a default does is noted too: the text a
 * string variable holds, the column NEW.col := writes.
 */
static List *
parse_embedded(PlpgsqlContext *cx, const char *text, ExprKind kind,
			   Variable *default_of, bool effects)
{
	switch (kind)
	{
		case EXPR_SQL:
			return raw_parser(text, RAW_PARSE_DEFAULT);
		case EXPR_ASSIGN:
			{
				char	   *target;
				int			parts = assign_target_parts(text, &target);
				List	   *names;
				PLAssignStmt *assign;
				RawStmt    *val;

				assign = (PLAssignStmt *) linitial_node(RawStmt,
														raw_parser(text, RAW_PARSE_PLPGSQL_ASSIGN1 + (parts - 1)))->stmt;
				val = makeNode(RawStmt);
				val->stmt = (Node *) assign->val;
				if (effects && SplitIdentifierString(target, '.', &names))
				{
					Variable   *v;

					/* the SQL text a string variable holds from now on */
					if (list_length(names) == 1 && assign->indirection == NIL &&
						(v = lineage_pl_find_variable(cx, (char *) linitial(names))) != NULL &&
						!v->is_record && !cx->per_trigger)
						v->text = lineage_dynamic_text((Node *) ((ResTarget *) linitial(((SelectStmt *) assign->val)->targetList))->val,
													   variable_text, cx);
					assign_writes(cx, names);
				}
				return list_make1(val);
			}
		case EXPR_EXPRESSION:
		case EXPR_CONDITION:
		case EXPR_DYNAMIC:
			{
				List	   *raw = raw_parser(text, RAW_PARSE_PLPGSQL_EXPR);
				SelectStmt *select = (SelectStmt *) linitial_node(RawStmt, raw)->stmt;

				if (effects && default_of != NULL && !default_of->is_record && !cx->per_trigger &&
					IsA(select, SelectStmt) && list_length(select->targetList) == 1)
					default_of->text = lineage_dynamic_text(((ResTarget *) linitial(select->targetList))->val,
															variable_text, cx);
				return raw;
			}
	}
	return NIL;
}

/*
 * lineage_pl_run_guarded
 *		Run a step in a subtransaction that is always rolled back: its locks
 *		are released and an error of the analysis (a table that does not
 *		exist) only costs the edges it was adding.  Returns that error, or
 *		NULL; a cancel or a timeout goes on.
 */
ErrorData *
lineage_pl_run_guarded(PlpgsqlContext *cx, GuardedStep step, void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int			before = list_length(cx->edges);	/* list_concat extends in place */
	ErrorData  *failed = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		step(cx, arg);
	}
	PG_CATCH();
	{
		failed = lineage_catch_error(cxt);
	}
	PG_END_TRY();
	cx->in_dynamic = false;
	lineage_end_subtransaction(cxt, owner, failed);
	if (failed != NULL)
		cx->edges = list_truncate(cx->edges, before);
	return failed;
}

/*
 * lineage_pl_run_step
 *		A step that fails only when the body does not analyze (an embedded
 *		statement, a declared type): guarded as lineage_pl_run_guarded()
 *		guards it, or, in an optimistic reading of the body (see
 *		function.c's body_lineage), run as it is, in the body's own
 *		subtransaction: an error ends that reading, and the body is read
 *		again with every step guarded.  Steps that fail in bodies that
 *		analyze (dynamic SQL, whose text may hold placeholders) are always
 *		guarded.
 */
ErrorData *
lineage_pl_run_step(PlpgsqlContext *cx, GuardedStep step, void *arg)
{
	if (!cx->optimistic)
		return lineage_pl_run_guarded(cx, step, arg);
	step(cx, arg);
	cx->in_dynamic = false;
	return NULL;
}

/* What one embedded expression is, for the guarded steps below. */
typedef struct Embedded
{
	const char *text;
	ExprKind	kind;
	bool		sql_text;		/* the SQL text dynamic SQL runs */
	Variable   *default_of;		/* a variable's DECLARE default */
	List	   *raw;			/* its parsed statements */
	bool		literal;		/* dynamic SQL: a text entirely known */
	DynText    *sql;			/* dynamic SQL: what it runs */
} Embedded;

static void
analyze_step(PlpgsqlContext *cx, void *arg)
{
	Embedded   *e = (Embedded *) arg;
	int			before = list_length(cx->edges);
	ListCell   *lc;

	e->raw = parse_embedded(cx, e->text, e->kind, e->default_of, true);
	if (e->kind == EXPR_DYNAMIC && e->raw != NIL)
	{
		SelectStmt *select = (SelectStmt *) linitial_node(RawStmt, e->raw)->stmt;

		if (IsA(select, SelectStmt) && list_length(select->targetList) == 1)
			e->sql = lineage_dynamic_text(((ResTarget *) linitial(select->targetList))->val,
										  variable_text, cx);
	}
	foreach(lc, e->raw)
		analyze_raw(cx, lfirst_node(RawStmt, lc), e->text);
	if (e->kind == EXPR_CONDITION)
	{
		/* the values it reads decide a branch, they flow nowhere */
		for_each_from(lc, cx->edges, before)
		{
			LineageEdge *edge = (LineageEdge *) lfirst(lc);

			if (USAGE_IS_DIRECT(edge->usage))
				edge->usage = USAGE_CONDITIONAL;
		}
	}
}

/*
 * What the names of a statement that did not analyze still resolve to.  It
 * is parsed again: analysis writes into the raw tree it analyzes.
 */
static void
names_step(PlpgsqlContext *cx, void *arg)
{
	Embedded   *e = (Embedded *) arg;
	ListCell   *lc;

	cx->in_dynamic = e->sql_text;
	foreach(lc, e->sql_text ? raw_parser(e->text, RAW_PARSE_DEFAULT)
			: parse_embedded(cx, e->text, e->kind, NULL, false))
		cx->edges = list_concat(cx->edges,
								lineage_raw_name_edges(lfirst_node(RawStmt, lc)->stmt,
													   cx->dependent, rawref, cx,
													   cx->per_trigger));
}

/*
 * note_failure
 *		Record why a statement did not analyze, unless another reading will:
 *		what a trigger function's NEW and OLD do is judged per trigger, and
 *		read for one trigger nothing else is.
 */
static void
note_failure(PlpgsqlContext *cx, ErrorData *edata)
{
	if (cx->per_trigger ? !cx->used_newold
		: (cx->trigger_function && cx->used_newold))
		return;
	lineage_note_error(cx->dependent, edata);
}

/* Does the text name NEW or OLD at all (case-insensitive, as a word)? */
static bool
mentions_newold(const char *text)
{
	const char *p;

	for (p = text; *p; p++)
	{
		if ((pg_strncasecmp(p, "new", 3) == 0 || pg_strncasecmp(p, "old", 3) == 0) &&
			(p == text || !(isalnum((unsigned char) p[-1]) || p[-1] == '_')) &&
			!(isalnum((unsigned char) p[3]) || p[3] == '_'))
			return true;
	}
	return false;
}

/* Mark the edges added since "before" as "dynamic" (calls stay calls). */
static void
mark_dynamic(PlpgsqlContext *cx, int before)
{
	ListCell   *lc;

	for_each_from(lc, cx->edges, before)
	{
		LineageEdge *edge = (LineageEdge *) lfirst(lc);

		if (edge->usage != USAGE_CALL)
			edge->usage = USAGE_DYNAMIC;
	}
}

static void
dynamic_step(PlpgsqlContext *cx, void *arg)
{
	Embedded   *e = (Embedded *) arg;
	ListCell   *lc;

	cx->in_dynamic = true;
	e->raw = raw_parser(e->text, RAW_PARSE_DEFAULT);
	foreach(lc, e->raw)
		analyze_raw(cx, lfirst_node(RawStmt, lc), e->text);
	cx->in_dynamic = false;
}

/* Are these raw statements all utility statements (which bind no column)? */
static bool
all_utility(List *raw)
{
	ListCell   *lc;

	foreach(lc, raw)
	{
		Node	   *stmt = lfirst_node(RawStmt, lc)->stmt;

		if (IsA(stmt, SelectStmt) || IsA(stmt, InsertStmt) || IsA(stmt, UpdateStmt) ||
			IsA(stmt, DeleteStmt) || IsA(stmt, MergeStmt) || IsA(stmt, CallStmt))
			return false;
	}
	return raw != NIL;
}

/*
 * Is an error of SQL text with placeholders about the body, not about a
 * placeholder?  Only a table or column that does not exist and is not a
 * placeholder: anything else (a type the placeholder's unknown value does
 * not fit) is the placeholder's doing.
 */
static bool
dynamic_error_is_real(ErrorData *edata)
{
	return (edata->sqlerrcode == ERRCODE_UNDEFINED_TABLE ||
			edata->sqlerrcode == ERRCODE_UNDEFINED_COLUMN) &&
		edata->message != NULL &&
		strstr(edata->message, LINEAGE_DYNAMIC_PLACEHOLDER) == NULL;
}

/*
 * analyze_dynamic_text
 *		One text dynamic SQL may run: analyzed as SQL; with placeholders, its
 *		edges are "dynamic".  Where it does not analyze, its names still
 *		give what they resolve to.  Returns whether it was understood: it
 *		gave an edge, or it is entirely known, or it names a table or column
 *		that does not exist (noted: its creation resolves it), or it is a
 *		utility statement (which binds no column, as in static SQL).
 */
static bool
analyze_dynamic_text(PlpgsqlContext *cx, const char *sql, bool literal)
{
	Embedded	e;
	int			before = list_length(cx->edges);
	ErrorData  *failed;
	bool		missing = false;	/* it names what does not exist (yet) */

	memset(&e, 0, sizeof(e));
	e.text = sql;
	e.kind = EXPR_SQL;
	e.sql_text = true;
	e.literal = literal;
	failed = lineage_pl_run_guarded(cx, dynamic_step, &e);
	if (failed == NULL && !literal)
	{
		/* a piece unknown till run time may read any column of them */
		(void) lineage_pl_run_guarded(cx, names_step, &e);
	}
	else if (failed != NULL)
	{
		if (failed->sqlerrcode == ERRCODE_SYNTAX_ERROR)
		{
			/* the text as a whole does not parse: run time would refuse it */
			if (literal)
				lineage_note_error(cx->dependent, failed);
		}
		else
		{
			missing = dynamic_error_is_real(failed);
			if (literal || missing)
				lineage_note_error(cx->dependent, failed);
			(void) lineage_pl_run_guarded(cx, names_step, &e);
		}
	}
	if (!literal)
		mark_dynamic(cx, before);
	return list_length(cx->edges) > before || literal || missing ||
		(failed == NULL && all_utility(e.raw));
}

/*
 * lineage_pl_analyze_embedded
 *		One embedded expression: parsed as it stands, analyzed, its edges
 *		kept; if it does not analyze, noted, and its names' edges kept.  For
 *		dynamic SQL, the SQL it runs is analyzed too (see the header).
 */
void
lineage_pl_analyze_embedded(PlpgsqlContext *cx, const char *text, ExprKind kind,
				 Variable *default_of)
{
	Embedded	e;
	ErrorData  *failed;
	bool		any = false;
	int			i;

	CHECK_FOR_INTERRUPTS();
	/* read for one trigger, only what names NEW or OLD matters */
	if (cx->per_trigger && !mentions_newold(text))
		return;
	memset(&e, 0, sizeof(e));
	e.text = text;
	e.kind = kind;
	e.default_of = default_of;
	cx->used_newold = false;
	cx->columns = NIL;
	failed = lineage_pl_run_step(cx, analyze_step, &e);
	if (failed != NULL)
	{
		note_failure(cx, failed);
		if (e.raw != NIL)
			(void) lineage_pl_run_guarded(cx, names_step, &e);
	}
	if (kind != EXPR_DYNAMIC || cx->per_trigger || e.sql == NULL)
		return;
	/* a record it fills gets the columns of the SQL it runs, not its own */
	cx->columns = NIL;

	/* the SQL a dynamic statement runs */
	if (!lineage_dynamic_text_opaque(e.sql))
	{
		for (i = 0; i < e.sql->n; i++)
			any |= analyze_dynamic_text(cx, e.sql->text[i], e.sql->literal[i]);
	}
	if (!any)
		lineage_note_unresolved(cx->dependent, "(dynamic SQL)",
								"dynamic SQL whose statement is built at run time: the tables it reads and writes are not known");
}

/*
 * trigger_table_of
 *		The table NEW and OLD of a trigger function are typed as for its own
 *		lineage: that of its first trigger (lowest OID), or InvalidOid if it
 *		has none.
 */
static Oid
trigger_table_of(Oid funcid)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	HeapTuple	tuple;
	Oid			table = InvalidOid;
	Oid			first = InvalidOid;

	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_trigger trig = (Form_pg_trigger) GETSTRUCT(tuple);

		if (trig->tgfoid != funcid || trig->tgisinternal)
			continue;
		if (!OidIsValid(first) || trig->oid < first)
		{
			first = trig->oid;
			table = trig->tgrelid;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return table;
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

/* What TG_TABLE_NAME, TG_TABLE_SCHEMA, TG_NAME and TG_ARGV hold for a trigger. */
static void
trigger_values(PlpgsqlContext *cx, Oid trigger, Oid relid)
{
	TriggerRow	trig;

	cx->tg_table_name = get_rel_name(relid);
	cx->tg_table_schema = get_namespace_name(get_rel_namespace(relid));
	if (lineage_trigger_row(trigger, &trig))
	{
		cx->tg_name = trig.name;
		cx->tg_argv = trig.argv;
	}
}

/* PL/pgSQL's variables of a trigger or event trigger function. */
static const struct
{
	const char *name;
	Oid			typid;
}			trigger_variables[] = {
	{"tg_name", NAMEOID},
	{"tg_when", TEXTOID},
	{"tg_level", TEXTOID},
	{"tg_op", TEXTOID},
	{"tg_relid", OIDOID},
	{"tg_relname", NAMEOID},
	{"tg_table_name", NAMEOID},
	{"tg_table_schema", NAMEOID},
	{"tg_nargs", INT4OID},
	{"tg_argv", TEXTARRAYOID}
},			event_trigger_variables[] = {
	{"tg_event", TEXTOID},
	{"tg_tag", TEXTOID}
};

/*
 * plpgsql_body_edges
 *		The edges of a PL/pgSQL function's body, attached to "dependent": the
 *		function, or with per_trigger one of its triggers on trigger_table
 *		(see the header).  A body libpg_query cannot parse has none.
 */
List *
plpgsql_body_edges(HeapTuple proctup, const ObjectAddress *dependent,
				   Oid trigger_table, bool per_trigger, PlpgsqlParse *parse,
				   bool optimistic)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	PlpgsqlContext cx;
	char	   *source;
	ListCell   *lc;
	bool		isnull;
	int			i;

	source = TextDatumGetCString(SysCacheGetAttr(PROCOID, proctup,
												 Anum_pg_proc_prosrc, &isnull));
	/* read a second time (function.c's body_lineage), it is not parsed again */
	if (!parse->parsed)
	{
		char	   *definition = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_get_functiondef,
																					 ObjectIdGetDatum(proc->oid))));
		char	   *rewritten;
		char	   *at;
		char	   *json;

		/* the body appears verbatim in the definition: swap in the rewrite */
		parse->loop_records = NIL;
		rewritten = lineage_neutralize_cursors(source, &parse->loop_records);
		at = strcmp(rewritten, source) != 0 ? strstr(definition, source) : NULL;
		if (at != NULL)
			definition = psprintf("%.*s%s%s", (int) (at - definition), definition,
								  rewritten, at + strlen(source));
		json = lineage_parse_plpgsql(definition, &parse->error);
		parse->tree = json ? lineage_pl_tree(json) : NULL;
		parse->parsed = true;
	}
	if (parse->tree == NULL)
	{
		if (!per_trigger)
			lineage_note_unresolved(dependent, "(body)",
									psprintf("unparsable: %s",
											 parse->error ? parse->error : "no PL/pgSQL body"));
		return NIL;
	}

	memset(&cx, 0, sizeof(cx));
	cx.dependent = dependent;
	cx.per_trigger = per_trigger;
	cx.optimistic = optimistic;
	cx.funcname = pstrdup(NameStr(proc->proname));
	cx.labels = list_make1(makeString(cx.funcname));
	cx.conflict = variable_conflict(source);
	cx.runtime_temps = lineage_runtime_temp_tables(source);
	if (proc->prorettype == TRIGGEROID)
	{
		static const char *const records[] = {"new", "old"};

		cx.trigger_function = true;
		cx.trigger_table = per_trigger ? trigger_table : trigger_table_of(proc->oid);
		for (i = 0; i < lengthof(records); i++)
		{
			Variable   *v = lineage_pl_add_variable(&cx, records[i], RECORDOID, true);

			v->is_newold = true;
		}
		for (i = 0; i < lengthof(trigger_variables); i++)
			(void) lineage_pl_add_variable(&cx, trigger_variables[i].name,
								trigger_variables[i].typid, false);
	}
	else if (proc->prorettype == EVENT_TRIGGEROID)
	{
		for (i = 0; i < lengthof(event_trigger_variables); i++)
			(void) lineage_pl_add_variable(&cx, event_trigger_variables[i].name,
								event_trigger_variables[i].typid, false);
	}
	if (per_trigger && !cx.trigger_function)
		return NIL;
	if (per_trigger)
		trigger_values(&cx, dependent->objectId, trigger_table);
	lineage_set_params_only(per_trigger);

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
			if (argnames[i] == NULL || argnames[i][0] == '\0')
				continue;
			(void) lineage_pl_add_variable(&cx, argnames[i], types[i], false);
		}
	}

	/* the records of cursor FOR loops, which PL/pgSQL declares implicitly */
	foreach(lc, parse->loop_records)
		(void) lineage_pl_add_variable(&cx, strVal(lfirst(lc)), RECORDOID, true);

	lineage_pl_walk(&cx, parse->tree);

	lineage_set_param_sources(0, 0, NULL);
	lineage_set_params_only(false);
	return cx.edges;
}
