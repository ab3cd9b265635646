/*-------------------------------------------------------------------------
 *
 * check_ddl.c
 *	  schemaguard.check_ddl(script text): the guard's dry run.  Every
 *	  statement of a migration script is judged against the live database
 *	  as the guard would judge it, and nothing is executed.
 *
 * The script is split and parsed by the server's own parser, so a syntax
 * error is the server's own error, with its position in the script.  The
 * statements are judged in order with the catalogs as they are now, except
 * that a table an earlier statement creates is new and empty, and an
 * earlier SET lock_timeout counts.  Severities are the configured ones
 * (schemaguard.rule_config); schemaguard.mode and overrides do not apply.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "parser/parser.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "guard.h"

PG_FUNCTION_INFO_V1(schemaguard_check_ddl);

/* Report a syntax error's position within the script, as psql shows it. */
static void
script_error_callback(void *arg)
{
	int			position = geterrposition();

	if (position > 0)
	{
		errposition(0);
		internalerrposition(position);
		internalerrquery((const char *) arg);
	}
}

/* A SET lock_timeout in the script: the value the next statements run with. */
static void
note_lock_timeout(Node *stmt, int *lock_timeout_ms)
{
	VariableSetStmt *set;
	int			value;

	if (!IsA(stmt, VariableSetStmt))
		return;
	set = (VariableSetStmt *) stmt;
	if (set->name == NULL || strcmp(set->name, "lock_timeout") != 0)
		return;
	if (set->kind == VAR_SET_DEFAULT || set->kind == VAR_RESET)
		*lock_timeout_ms = 0;
	else if (set->kind == VAR_SET_VALUE && list_length(set->args) == 1)
	{
		A_Const    *con = linitial_node(A_Const, set->args);
		const char *text = IsA(&con->val, Integer)
			? psprintf("%d", intVal(&con->val)) : strVal(&con->val);

		if (parse_int(text, &value, GUC_UNIT_MS, NULL))
			*lock_timeout_ms = value;
	}
}

Datum
schemaguard_check_ddl(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *script;
	List	   *stmts;
	List	   *created = NIL;
	int			lock_timeout_ms = LockTimeout;
	ErrorContextCallback callback;
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be null")));
	script = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);

	callback.callback = script_error_callback;
	callback.arg = script;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	stmts = raw_parser(script, RAW_PARSE_DEFAULT);
	error_context_stack = callback.previous;

	foreach(lc, stmts)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		GuardStatement st;
		ListCell   *lf;

		memset(&st, 0, sizeof(st));
		st.parsetree = raw->stmt;
		st.source = script;
		st.text = raw->stmt_len > 0
			? pnstrdup(script + raw->stmt_location, raw->stmt_len)
			: pstrdup(script + raw->stmt_location);
		st.dry_run = true;
		st.created = created;
		st.lock_timeout_ms = lock_timeout_ms;

		guard_judge_safely(&st, &created);
		note_lock_timeout(raw->stmt, &lock_timeout_ms);

		foreach(lf, st.findings)
		{
			GuardFinding *f = lfirst(lf);
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};

			values[0] = Int32GetDatum(foreach_current_index(lc) + 1);
			values[1] = CStringGetTextDatum(guard_rule_name(f->rule));
			values[2] = CStringGetTextDatum(guard_severity_name(f->severity));
			values[3] = CStringGetTextDatum(f->message);
			values[4] = CStringGetTextDatum(f->detail);
			if (f->hint)
				values[5] = CStringGetTextDatum(f->hint);
			else
				nulls[5] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
