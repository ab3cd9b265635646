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
 * that table names mean what the earlier statements left them meaning (a
 * table one creates is new and empty, one renamed is found under its new
 * name, one dropped is gone), and lock_timeout is what the earlier SET, SET
 * LOCAL, RESET and transaction control statements left it.  Severities are the configured ones
 * (schemaguard.rule_config); schemaguard.mode and overrides do not apply.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "parser/parser.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "guard/guard.h"
#include "migrate/migrate.h"

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

/*
 * The lock_timeout the statements of the script run with, as its SET, SET
 * LOCAL, RESET and transaction control statements leave it (a script is
 * taken to run statement by statement, as psql runs a file).
 */
typedef struct TimeoutState
{
	int			session;		/* SET's value */
	int			local;			/* SET LOCAL's, until the transaction ends */
	bool		has_local;
} TimeoutState;

typedef struct ScriptTimeout
{
	TimeoutState now;
	bool		in_block;		/* between BEGIN and COMMIT or ROLLBACK */
	TimeoutState at_begin;		/* what ROLLBACK goes back to */
	List	   *savepoints;		/* Savepoint, innermost first */
} ScriptTimeout;

typedef struct Savepoint
{
	char	   *name;
	TimeoutState state;			/* what ROLLBACK TO goes back to */
} Savepoint;

static int
effective_timeout(ScriptTimeout *t)
{
	return t->now.has_local ? t->now.local : t->now.session;
}

/* lock_timeout's reset value: what RESET and SET ... TO DEFAULT give. */
static int
reset_timeout(void)
{
	const char *value = GetConfigOptionResetString("lock_timeout");
	int			ms;

	return value && parse_int(value, &ms, GUC_UNIT_MS, NULL) ? ms : 0;
}

/* The value of SET lock_timeout = value; false if it is not one. */
static bool
set_value(VariableSetStmt *set, int *ms)
{
	Node	   *arg;
	const char *text;

	if (list_length(set->args) != 1 || !IsA(linitial(set->args), A_Const))
		return false;
	arg = (Node *) &linitial_node(A_Const, set->args)->val;
	if (IsA(arg, Integer))
		text = psprintf("%d", intVal(arg));
	else if (IsA(arg, Float))
		text = castNode(Float, arg)->fval;
	else if (IsA(arg, String))
		text = strVal(arg);
	else
		return false;
	return parse_int(text, ms, GUC_UNIT_MS, NULL);
}

/* The transaction ends: SET LOCAL's value goes, savepoints too. */
static void
end_block(ScriptTimeout *t, bool commit, bool chain)
{
	if (!t->in_block)
		return;
	if (!commit)
		t->now = t->at_begin;
	t->now.has_local = false;
	t->savepoints = NIL;
	t->in_block = chain;
	t->at_begin = t->now;
}

static void
transaction_statement(ScriptTimeout *t, TransactionStmt *stmt)
{
	ListCell   *lc;

	switch (stmt->kind)
	{
		case TRANS_STMT_BEGIN:
		case TRANS_STMT_START:
			if (!t->in_block)
			{
				t->in_block = true;
				t->at_begin = t->now;
			}
			break;
		case TRANS_STMT_COMMIT:
		case TRANS_STMT_PREPARE:
			end_block(t, true, stmt->chain);
			break;
		case TRANS_STMT_ROLLBACK:
			end_block(t, false, stmt->chain);
			break;
		case TRANS_STMT_SAVEPOINT:
			if (t->in_block)
			{
				Savepoint  *sp = palloc(sizeof(Savepoint));

				sp->name = pstrdup(stmt->savepoint_name);
				sp->state = t->now;
				t->savepoints = lcons(sp, t->savepoints);
			}
			break;
		case TRANS_STMT_RELEASE:
		case TRANS_STMT_ROLLBACK_TO:
			foreach(lc, t->savepoints)
			{
				Savepoint  *sp = lfirst(lc);

				if (strcmp(sp->name, stmt->savepoint_name) != 0)
					continue;
				if (stmt->kind == TRANS_STMT_ROLLBACK_TO)
				{
					/* the savepoint stays; those after it go */
					t->now = sp->state;
					t->savepoints = list_copy_tail(t->savepoints, foreach_current_index(lc));
				}
				else
					t->savepoints = list_copy_tail(t->savepoints, foreach_current_index(lc) + 1);
				break;
			}
			break;
		default:
			break;
	}
}

/* A statement that sets lock_timeout: the value the next ones run with. */
static void
note_lock_timeout(Node *stmt, ScriptTimeout *t)
{
	VariableSetStmt *set;
	int			value;

	if (IsA(stmt, TransactionStmt))
	{
		transaction_statement(t, (TransactionStmt *) stmt);
		return;
	}
	if (IsA(stmt, DiscardStmt) && ((DiscardStmt *) stmt)->target == DISCARD_ALL)
	{
		t->now.session = reset_timeout();
		t->now.has_local = false;
		return;
	}
	if (!IsA(stmt, VariableSetStmt))
		return;
	set = (VariableSetStmt *) stmt;
	switch (set->kind)
	{
		case VAR_RESET_ALL:
			value = reset_timeout();
			break;
		case VAR_SET_DEFAULT:
		case VAR_RESET:
			if (strcmp(set->name, "lock_timeout") != 0)
				return;
			value = reset_timeout();
			break;
		case VAR_SET_VALUE:
			if (strcmp(set->name, "lock_timeout") != 0 || !set_value(set, &value))
				return;
			break;
		default:
			return;
	}
	if (set->is_local)
	{
		/* outside a transaction block SET LOCAL does nothing */
		if (t->in_block)
		{
			t->now.local = value;
			t->now.has_local = true;
		}
	}
	else
	{
		t->now.session = value;
		t->now.has_local = false;
	}
}

/*
 * statement_start
 *		Where a statement's first token is: a RawStmt's location is just
 *		after the previous statement's semicolon, before the whitespace and
 *		comments (nested, as the server's lexer nests them) that lead to it.
 */
static int
statement_start(const char *script, int location)
{
	const char *p = script + location;

	for (;;)
	{
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
			*p == '\v')
			p++;
		else if (p[0] == '-' && p[1] == '-')
		{
			while (*p && *p != '\n')
				p++;
		}
		else if (p[0] == '/' && p[1] == '*')
		{
			int			depth = 1;

			p += 2;
			while (*p && depth > 0)
			{
				if (p[0] == '/' && p[1] == '*')
				{
					depth++;
					p += 2;
				}
				else if (p[0] == '*' && p[1] == '/')
				{
					depth--;
					p += 2;
				}
				else
					p++;
			}
		}
		else
			return p - script;
	}
}

/*
 * The 1-based line and column (in characters) of a byte offset, counted on
 * from an earlier offset whose line and column are known (statements come
 * in order, so the script is read once).
 */
typedef struct ScriptPlace
{
	int			offset;
	int			line;
	int			col;
} ScriptPlace;

static void
advance_place(const char *script, ScriptPlace *place, int offset)
{
	const char *p = script + place->offset;
	const char *end = script + offset;

	while (p < end)
	{
		if (*p == '\n')
		{
			place->line++;
			place->col = 1;
			p++;
		}
		else
		{
			place->col++;
			p += pg_mblen(p);
		}
	}
	place->offset = offset;
}

/*
 * rewrite_row
 *		With schemaguard.rewrite on, a statement that would be blocked gets
 *		one more row (rule "rewrite", severity "notice"): what rewrite mode
 *		would do with it -- run its safe form (detail: the statements, one
 *		line per transaction), start its migration, or nothing inside a
 *		transaction block.
 */
static void
rewrite_row(ReturnSetInfo *rsinfo, GuardStatement *st, int statement, bool in_block,
			ScriptPlace *place)
{
	ListCell   *lc;
	bool		blocked = false;
	bool		starts_only;
	char	   *form;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};

	if (!guard_rewrite)
		return;
	foreach(lc, st->findings)
		if (((GuardFinding *) lfirst(lc))->severity == SEVERITY_ERROR)
			blocked = true;
	if (!blocked || (form = migrate_rewrite_form(st->text, &starts_only)) == NULL)
		return;
	values[0] = Int32GetDatum(statement);
	values[1] = CStringGetTextDatum("rewrite");
	values[2] = CStringGetTextDatum("notice");
	values[3] = CStringGetTextDatum(in_block
									? "rewrite mode does not carry it out inside a transaction block: it is blocked"
									: starts_only
									? "rewrite mode starts its migration instead (it writes rows: the backfill is yours to call)"
									: "rewrite mode carries it out in its safe form instead");
	values[4] = CStringGetTextDatum(form);
	values[5] = CStringGetTextDatum(in_block
									? "Run it on its own, outside BEGIN ... COMMIT (autocommit), for rewrite mode to carry it out."
									: psprintf("SELECT * FROM schemaguard.plan(%s);",
											   quote_literal_cstr(guard_statement_sql(st->text))));
	values[6] = Int32GetDatum(place->line);
	values[7] = Int32GetDatum(place->col);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

Datum
schemaguard_check_ddl(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *script;
	List	   *stmts;
	List	   *names = NIL;
	ScriptTimeout timeout;
	ErrorContextCallback callback;
	ScriptPlace place = {0, 1, 1};
	ListCell   *lc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("script must not be null")));
	script = text_to_cstring(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);
	memset(&timeout, 0, sizeof(timeout));
	timeout.now.session = LockTimeout;

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
		st.names = names;
		st.lock_timeout_ms = effective_timeout(&timeout);

		guard_judge_safely(&st, &names);
		note_lock_timeout(raw->stmt, &timeout);
		advance_place(script, &place, statement_start(script, raw->stmt_location));

		foreach(lf, st.findings)
		{
			GuardFinding *f = lfirst(lf);
			Datum		values[8];
			bool		nulls[8] = {false, false, false, false, false, false, false, false};

			values[0] = Int32GetDatum(foreach_current_index(lc) + 1);
			values[1] = CStringGetTextDatum(guard_rule_name(f->rule));
			values[2] = CStringGetTextDatum(guard_severity_name(f->severity));
			values[3] = CStringGetTextDatum(f->message);
			values[4] = CStringGetTextDatum(f->detail);
			if (f->hint)
				values[5] = CStringGetTextDatum(f->hint);
			else
				nulls[5] = true;
			values[6] = Int32GetDatum(place.line);
			values[7] = Int32GetDatum(place.col);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		rewrite_row(rsinfo, &st, foreach_current_index(lc) + 1, timeout.in_block, &place);
	}
	return (Datum) 0;
}
