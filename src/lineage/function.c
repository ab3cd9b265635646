/*-------------------------------------------------------------------------
 *
 * function.c
 *	  Lineage of function and procedure bodies: what an SQL function reads,
 *	  writes and calls.
 *
 * A BEGIN ATOMIC (or RETURN expression) body is stored analyzed, in
 * prosqlbody: it is read as it is.  A string body is parsed and analyzed
 * the way the server does when it runs the function (functions.c): with
 * sql_fn_parser_setup, so its parameters, by name or $n, are values and
 * every column reference is bound exactly.  Every edge attaches to the
 * function as a whole: its reads with their usage, the columns it assigns
 * ("write"), and the user functions it calls ("call", which impact_of
 * follows transitively).
 *
 * Names in a string body are resolved with the function's own SET
 * search_path if it has one, else with the session's default search_path
 * (what a caller with default settings gets), never the search_path of
 * whoever happens to run the DDL: so a rebuild gives what upkeep gave.
 *
 * Analysis runs in a subtransaction that is always rolled back: it releases
 * the locks analysis takes (a rebuild reads thousands of bodies) and turns
 * an error -- a body naming a table that does not exist -- into an
 * unresolved reference (notes.c) instead of a failed DDL command; a cancel
 * or a timeout goes on to the user's statement.  Each statement of a string
 * body is analyzed after the relations it names are bound and locked if
 * that needs no wait (names.c); one that does not analyze still gives what
 * its names resolve to: a body is first read with all its statements in
 * that one subtransaction, and only if one of them fails read again with
 * each statement in a subtransaction of its own (body_lineage).
 *
 * A PL/pgSQL trigger function is also read once per trigger
 * (function_trigger_lineage): what its NEW and OLD read and write of that
 * trigger's table belongs to the trigger (see plpgsql.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/proclang.h"
#include "executor/functions.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

static List *raw_name_edges_guarded(const char *src, int location, int len,
									const ObjectAddress *function);

/* The search_path a function body is resolved with (see above). */
static const char *
body_search_path(HeapTuple proctup)
{
	bool		isnull;
	Datum		config = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_proconfig,
										 &isnull);

	if (!isnull)
	{
		ArrayType  *array = DatumGetArrayTypeP(config);
		Datum	   *items;
		int			nitems;
		int			i;

		deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT,
						  &items, NULL, &nitems);
		for (i = 0; i < nitems; i++)
		{
			char	   *item = TextDatumGetCString(items[i]);

			if (strncmp(item, "search_path=", 12) == 0)
				return item + 12;
		}
	}
	return GetConfigOptionResetString("search_path");
}

/*
 * statement_edges
 *		The edges of one statement of a string body, its relations bound
 *		first (names.c).
 */
static List *
statement_edges(RawStmt *raw, const char *src, SQLFunctionParseInfoPtr pinfo,
				List *runtime_temps, const ObjectAddress *function)
{
	List	   *edges = NIL;
	char	   *name;

	switch (lineage_bind_relations(raw->stmt, runtime_temps, &name))
	{
		case BIND_OK:
			edges = query_lineage_edges(lineage_call_as_select(parse_analyze_withcb(raw, src,
																				  (ParserSetupHook) sql_fn_parser_setup,
																				  pinfo, NULL)),
										function, false);
			break;
		case BIND_LOCKED:
			lineage_note_deferred(function, name,
								  psprintf("relation \"%s\" is locked by another transaction", name));
			break;
		case BIND_RUNTIME_TEMP:
			lineage_note_unresolved(function, name, LINEAGE_RUNTIME_TEMP_REASON);
			edges = lineage_raw_name_edges(raw->stmt, function, NULL, NULL, false);
			break;
		case BIND_TEMPORARY:
			/* as in a session without it; a permanent relation of the name resolves it */
			lineage_note_unresolved(function, name,
									psprintf(LINEAGE_TEMPORARY_REASON, name));
			edges = lineage_raw_name_edges(raw->stmt, function, NULL, NULL, false);
			break;
	}
	return edges;
}

/*
 * sql_statement_edges
 *		The edges of one statement of a string body, in a subtransaction of
 *		its own: a statement that does not analyze is noted, and still gives
 *		what its names resolve to (names.c).  In an optimistic reading (see
 *		body_lineage) it runs in the body's subtransaction: an error ends
 *		that reading.
 */
static List *
sql_statement_edges(RawStmt *raw, const char *src,
					SQLFunctionParseInfoPtr pinfo, List *runtime_temps,
					const ObjectAddress *function, bool optimistic)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *failed = NULL;
	List	   *edges = NIL;

	if (optimistic)
		return statement_edges(raw, src, pinfo, runtime_temps, function);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		edges = statement_edges(raw, src, pinfo, runtime_temps, function);
	}
	PG_CATCH();
	{
		failed = lineage_catch_error(cxt);
	}
	PG_END_TRY();
	lineage_end_subtransaction(cxt, owner, failed);
	if (failed != NULL)
	{
		lineage_note_error(function, failed);
		/* parsed again: analysis writes into the raw tree it analyzes */
		edges = raw_name_edges_guarded(src, raw->stmt_location, raw->stmt_len,
									   function);
	}
	return edges;
}

/*
 * raw_name_edges_guarded
 *		lineage_raw_name_edges() of a statement that did not analyze (at
 *		location, len bytes, in src), in a subtransaction: a name it cannot
 *		look up costs only its own edges.
 */
static List *
raw_name_edges_guarded(const char *src, int location, int len,
					   const ObjectAddress *function)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *failed = NULL;
	List	   *edges = NIL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		char	   *text = len > 0 ? pnstrdup(src + location, len) : pstrdup(src + location);
		ListCell   *lc;

		foreach(lc, raw_parser(text, RAW_PARSE_DEFAULT))
			edges = list_concat(edges,
								lineage_raw_name_edges(lfirst_node(RawStmt, lc)->stmt,
													   function, NULL, NULL, false));
	}
	PG_CATCH();
	{
		failed = lineage_catch_error(cxt);
	}
	PG_END_TRY();
	lineage_end_subtransaction(cxt, owner, failed);
	return failed ? NIL : edges;
}

/*
 * sql_body_edges
 *		The edges of an SQL function's body; runs inside the subtransaction.
 */
static List *
sql_body_edges(HeapTuple proctup, const ObjectAddress *function, bool optimistic)
{
	bool		isnull;
	Datum		body;
	List	   *edges = NIL;
	ListCell   *lc;

	body = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
	{
		/* BEGIN ATOMIC: a list holding the list of queries; RETURN: a query */
		Node	   *n = stringToNode(TextDatumGetCString(body));
		List	   *queries = IsA(n, List) ? linitial_node(List, castNode(List, n))
			: list_make1(n);

		foreach(lc, queries)
		{
			if (IsA(lfirst(lc), Query))
				edges = list_concat(edges,
									query_lineage_edges((Query *) lfirst(lc),
														function, false));
		}
	}
	else
	{
		char	   *src;
		SQLFunctionParseInfoPtr pinfo;
		List	   *runtime_temps;

		body = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc, &isnull);
		src = TextDatumGetCString(body);
		pinfo = prepare_sql_fn_parse_info(proctup, NULL, InvalidOid);
		runtime_temps = lineage_runtime_temp_tables(src);
		foreach(lc, pg_parse_query(src))
		{
			RawStmt    *raw = lfirst_node(RawStmt, lc);

			/* other utility statements read no columns we could bind */
			if (!IsA(raw->stmt, SelectStmt) && !IsA(raw->stmt, InsertStmt) &&
				!IsA(raw->stmt, UpdateStmt) && !IsA(raw->stmt, DeleteStmt) &&
				!IsA(raw->stmt, MergeStmt) && !IsA(raw->stmt, CallStmt))
				continue;
			edges = list_concat(edges,
								sql_statement_edges(raw, src, pinfo, runtime_temps,
													function, optimistic));
		}
	}
	return edges;
}

/*
 * body_lineage
 *		The edges of a function body, for the function itself or, with
 *		trigger_table (per_trigger), for one trigger of a PL/pgSQL trigger
 *		function (see plpgsql.c), attached to "dependent".  Runs in a
 *		subtransaction that is always rolled back.
 *
 *		A body is read optimistically first: its statements are analyzed
 *		in this one subtransaction, not in one each (sql_statement_edges,
 *		plpgsql.c's lineage_pl_run_step), which is most of what reading a
 *		body that analyzes costs besides the analysis.  If anything in it
 *		fails, what that reading noted is forgotten and the body is read
 *		again, each statement in a subtransaction of its own, as if the
 *		first reading had not been: a statement that does not analyze costs
 *		only its own edges.  Either way the edges and notes are those of the
 *		second way.  A cancel or a timeout ends both.  What libpg_query made
 *		of a PL/pgSQL body is kept for the second reading (parse).
 */
static List *
body_lineage(HeapTuple proctup, Oid lang, const ObjectAddress *dependent,
			 Oid trigger_table, bool per_trigger)
{
	List	   *edges = NIL;
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *failed = NULL;
	bool		optimistic = true;
	int			mark = lineage_notes_mark();
	PlpgsqlParse parse = {false, NULL, NULL, NIL};

	for (;;)
	{
		failed = NULL;
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(cxt);
		PG_TRY();
		{
			/* undone by the subtransaction's rollback */
			(void) set_config_option("search_path", body_search_path(proctup),
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
			/* the body's own string literals are not the user's to be warned of */
			(void) set_config_option("escape_string_warning", "off",
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
			if (lang == SQLlanguageId)
				edges = sql_body_edges(proctup, dependent, optimistic);
			else
				edges = plpgsql_body_edges(proctup, dependent, trigger_table,
										   per_trigger, &parse, optimistic);
		}
		PG_CATCH();
		{
			failed = lineage_catch_error(cxt);
		}
		PG_END_TRY();
		lineage_set_param_sources(0, 0, NULL);
		lineage_set_params_only(false);
		/* always roll back: release analysis locks, undo the search_path */
		lineage_end_subtransaction(cxt, owner, failed);
		if (failed == NULL || !optimistic)
			break;
		/* read it again, each statement on its own (see above) */
		lineage_notes_rewind(mark);
		optimistic = false;
	}
	if (failed != NULL)
	{
		/* a body that does not analyze (yet) has no edges: say why */
		lineage_note_error(dependent, failed);
		edges = NIL;
	}
	return edges;
}

/* The pg_proc row of a function whose body is read, or NULL. */
static HeapTuple
readable_function(Oid funcid, Oid *lang)
{
	HeapTuple	proctup;

	if (!lineage_function_tracked(funcid))
		return NULL;
	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(proctup))
		return NULL;
	*lang = ((Form_pg_proc) GETSTRUCT(proctup))->prolang;
	if (*lang != SQLlanguageId && *lang != get_language_oid("plpgsql", true))
	{
		ReleaseSysCache(proctup);
		return NULL;
	}
	return proctup;
}

/*
 * function_lineage
 *		The edges of a function's body, allocated in the current memory
 *		context.  *owned gets the function.  A function of a language whose
 *		bodies are not read (C, internal...) has none.
 */
List *
function_lineage(Oid funcid, List **owned)
{
	ObjectAddress *function = palloc(sizeof(ObjectAddress));
	HeapTuple	proctup;
	Oid			lang;
	List	   *edges;

	ObjectAddressSet(*function, ProcedureRelationId, funcid);
	*owned = lappend(*owned, function);
	proctup = readable_function(funcid, &lang);
	if (proctup == NULL)
		return NIL;
	edges = body_lineage(proctup, lang, function, InvalidOid, false);
	ReleaseSysCache(proctup);
	return edges;
}

/*
 * function_trigger_lineage
 *		The edges a PL/pgSQL trigger function gives one trigger on relid:
 *		the columns of that table its NEW and OLD read and write.
 */
List *
function_trigger_lineage(Oid funcid, Oid relid, const ObjectAddress *trigger)
{
	HeapTuple	proctup;
	Oid			lang;
	List	   *edges = NIL;

	proctup = readable_function(funcid, &lang);
	if (proctup == NULL)
		return NIL;
	if (lang != SQLlanguageId &&
		((Form_pg_proc) GETSTRUCT(proctup))->prorettype == TRIGGEROID)
		edges = body_lineage(proctup, lang, trigger, relid, true);
	ReleaseSysCache(proctup);
	return edges;
}
