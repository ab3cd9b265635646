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
 * unresolved reference (notes.c) instead of a failed DDL command.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "commands/proclang.h"
#include "executor/functions.h"
#include "parser/analyze.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "lineage/internal.h"

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
 * sql_body_edges
 *		The edges of an SQL function's body; runs inside the subtransaction.
 */
static List *
sql_body_edges(HeapTuple proctup, const ObjectAddress *function)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(proctup);
	bool		isnull;
	Datum		body;
	List	   *queries = NIL;
	List	   *edges = NIL;
	ListCell   *lc;

	body = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
	{
		/* BEGIN ATOMIC: a list holding the list of queries; RETURN: a query */
		Node	   *n = stringToNode(TextDatumGetCString(body));

		queries = IsA(n, List) ? linitial_node(List, castNode(List, n))
			: list_make1(n);
	}
	else
	{
		char	   *src;
		SQLFunctionParseInfoPtr pinfo;

		body = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc, &isnull);
		src = TextDatumGetCString(body);
		pinfo = prepare_sql_fn_parse_info(proctup, NULL, InvalidOid);
		foreach(lc, pg_parse_query(src))
		{
			RawStmt    *raw = lfirst_node(RawStmt, lc);

			Query	   *query;

			/* other utility statements read no columns we could bind */
			if (!IsA(raw->stmt, SelectStmt) && !IsA(raw->stmt, InsertStmt) &&
				!IsA(raw->stmt, UpdateStmt) && !IsA(raw->stmt, DeleteStmt) &&
				!IsA(raw->stmt, MergeStmt) && !IsA(raw->stmt, CallStmt))
				continue;
			query = parse_analyze_withcb(raw, src,
										 (ParserSetupHook) sql_fn_parser_setup,
										 pinfo, NULL);
			queries = lappend(queries, lineage_call_as_select(query));
		}
	}
	(void) proc;

	foreach(lc, queries)
	{
		if (IsA(lfirst(lc), Query))
			edges = list_concat(edges,
								query_lineage_edges((Query *) lfirst(lc),
													function, false));
	}
	return edges;
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
	List	   *edges = NIL;
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	ObjectAddressSet(*function, ProcedureRelationId, funcid);
	*owned = lappend(*owned, function);
	if (!lineage_function_tracked(funcid))
		return NIL;
	proctup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(proctup))
		return NIL;
	lang = ((Form_pg_proc) GETSTRUCT(proctup))->prolang;
	if (lang != SQLlanguageId && lang != get_language_oid("plpgsql", true))
	{
		ReleaseSysCache(proctup);
		return NIL;
	}

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
			edges = sql_body_edges(proctup, function);
		else
			edges = plpgsql_body_edges(proctup, function);
	}
	PG_CATCH();
	{
		/* a body that does not analyze (yet) has no edges: say why */
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		lineage_set_param_columns(0, 0, NULL);
		lineage_note_error(function, edata);
		edges = NIL;
	}
	PG_END_TRY();
	/* always roll back: release analysis locks, undo the search_path */
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;

	ReleaseSysCache(proctup);
	return edges;
}
