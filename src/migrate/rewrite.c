/*-------------------------------------------------------------------------
 *
 * rewrite.c
 *	  Rewrite mode (schemaguard.rewrite = on): a statement the guard would
 *	  block, run at top level outside a transaction block, is carried out
 *	  in its safe form instead -- the migration plan() shows for it, run
 *	  phase after phase, each in transactions of its own -- as CREATE INDEX
 *	  CONCURRENTLY carries itself out (src/backend/commands/indexcmds.c):
 *	  the caller has checked PreventInTransactionBlock's conditions, the
 *	  statement's snapshot is popped, and transactions are committed and
 *	  started between the steps; the last one is left open for the caller
 *	  to commit.
 *
 * A migration that writes no row (SET NOT NULL, ADD CONSTRAINT, the index
 * statements, DROP COLUMN, RENAME TO, DROP TABLE) runs expand, its
 * top-level statements (CREATE INDEX, DROP INDEX, REINDEX CONCURRENTLY:
 * one left INVALID is dropped and run once more, then reported), each
 * validation in a transaction of its own, and the swap; it stops before a
 * contract that has something to do (a deprecated column's drop, a
 * renamed table's view, a dropped table put aside), which stays the
 * person's call.  A migration that writes rows is registered and expanded
 * (start()) and stops there: the backfill is the person's call.
 *
 * Every lock is taken as the migration engine takes it (exec.c: each wait
 * at most schemaguard.migration_lock_timeout, retried with backoff), so a
 * writer never waits behind the rewritten form for longer than that.  A
 * failure leaves the migration in the last state it reached, as consistent
 * as after any phase: rollback(), or the next call, takes it on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "migrate/internal.h"
#include "migrate/migrate.h"

/* What a run did so far: one line per transaction. */
typedef struct RewriteRun
{
	MemoryContext cxt;			/* lives across the transactions */
	int64		id;
	StringInfoData ran;
	int			transactions;
	Oid			userid;
	int			sec_context;
	bool		pushed;			/* begin_step pushed a snapshot */
} RewriteRun;

/*
 * The SQL of steps, "; "-separated (NULL: none); a statement of several
 * lines (the dual-write function) by its first line only: plan() shows it.
 */
static char *
steps_sql(List *steps, bool toplevel_too)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, steps)
	{
		MigStep    *step = lfirst(lc);
		const char *nl;

		if (step->sql == NULL || step->how == STEP_SHOWN ||
			(step->how == STEP_TOPLEVEL && !toplevel_too))
			continue;
		if ((nl = strchr(step->sql, '\n')) != NULL)
			appendStringInfo(&buf, "%s%.*s ...", buf.len ? "; " : "",
							 (int) (nl - step->sql), step->sql);
		else
			appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", step->sql);
	}
	return buf.len ? buf.data : NULL;
}

/* Does a phase of a migration have a statement to run? */
static bool
has_statements(List *steps)
{
	return steps_sql(steps, true) != NULL;
}

static char *
dollar_quoted(const char *statement)
{
	return mig_dollar_quote(statement, "ddl");
}

/*
 * form_text
 *		What rewrite mode runs for the migration, one line per transaction
 *		(steps computed as plan() computes them); *starts_only when it only
 *		registers and expands it.
 */
static char *
form_text(Migration *m, const char *statement, bool *starts_only)
{
	StringInfoData buf;
	ListCell   *lc;
	List	   *steps;
	int			group = -1;
	char	   *sql;

	initStringInfo(&buf);
	*starts_only = !mig_writes_no_rows(m);
	if (*starts_only)
	{
		appendStringInfo(&buf, "SELECT schemaguard.start(%s);", dollar_quoted(statement));
		if ((sql = steps_sql(mig_phase_steps(m, PHASE_EXPAND, NULL), false)) != NULL)
			appendStringInfo(&buf, "\n-- which runs: %s;", sql);
		appendStringInfoString(&buf, "\n-- then: CALL schemaguard.backfill(id); and the next calls it names");
		return buf.data;
	}
	if ((sql = steps_sql(mig_phase_steps(m, PHASE_EXPAND, NULL), false)) != NULL)
		appendStringInfo(&buf, "%s;", sql);
	foreach(lc, mig_phase_steps(m, PHASE_BACKFILL, NULL))
	{
		MigStep    *step = lfirst(lc);

		if (step->sql && step->how != STEP_SHOWN)
			appendStringInfo(&buf, "%s%s;", buf.len ? "\n" : "", step->sql);
	}
	steps = mig_phase_steps(m, PHASE_SWITCH, NULL);
	foreach(lc, steps)
	{
		MigStep    *step = lfirst(lc);

		if (step->sql == NULL || step->how != STEP_SQL)
			continue;
		if (group >= 0 && step->group == group)
			appendStringInfoChar(&buf, ' ');	/* the same transaction */
		else if (buf.len > 0)
			appendStringInfoChar(&buf, '\n');
		appendStringInfo(&buf, "%s;", step->sql);
		group = step->group;
	}
	steps = mig_phase_steps(m, PHASE_CONTRACT, NULL);
	if (has_statements(steps))
		appendStringInfo(&buf, "\n-- then, yours to call: SELECT schemaguard.contract(id);  -- %s",
						 steps_sql(steps, true));
	return buf.data;
}

/*
 * migrate_rewrite_form
 *		What rewrite mode would do with one statement: the statements it
 *		would run, one line per transaction; NULL if the migration engine
 *		has no plan for it (a statement it does not cover, a table it
 *		cannot change, an error).  *starts_only: it would only start the
 *		migration (its backfill writes rows).  Changes nothing: worked out
 *		in a subtransaction that is rolled back.
 */
char *
migrate_rewrite_form(const char *statement, bool *starts_only)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile result = NULL;

	*starts_only = false;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Migration  *m = mig_parse(statement);

		if (mig_is_migration(m))
		{
			int			nestlevel = NewGUCNestLevel();

			mig_search_path_pinned();
			result = form_text(m, statement, starts_only);
			AtEOXact_GUC(true, nestlevel);
		}
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			mig_rethrow(edata);
		result = NULL;
	}
	PG_END_TRY();
	return result;
}

/*
 * Commit the current transaction and start the next one, as the caller.
 * The snapshot begin_step pushed goes first; the statement's own (the
 * portal's) goes with the first commit (ForgetPortalSnapshots).
 */
static void
next_transaction(RewriteRun *run)
{
	if (run->pushed)
		PopActiveSnapshot();
	run->pushed = false;
	mig_restart_transaction(true, run->userid, run->sec_context);
	MemoryContextSwitchTo(run->cxt);
}

static void
note_ran(RewriteRun *run, const char *sql)
{
	MemoryContext old;

	if (sql == NULL)
		return;
	old = MemoryContextSwitchTo(run->cxt);
	appendStringInfo(&run->ran, "%s%s;", run->ran.len ? "\n" : "", sql);
	run->transactions++;
	MemoryContextSwitchTo(old);
}

/*
 * Connected to SPI with the engine's search_path, the migration loaded
 * (locked FOR UPDATE) into the run's context.
 */
static Migration *
begin_step(RewriteRun *run, int *nestlevel)
{
	Migration  *m;

	PushActiveSnapshot(GetTransactionSnapshot());
	run->pushed = true;
	SPI_connect();
	MemoryContextSwitchTo(run->cxt);
	*nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	m = mig_load(run->id, true);
	return m;
}

static void
end_step(RewriteRun *run, int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	MemoryContextSwitchTo(run->cxt);
	next_transaction(run);
}

/*
 * One top-level statement of an object (CREATE INDEX, DROP INDEX or
 * REINDEX CONCURRENTLY): what an earlier failure left INVALID is dropped
 * first; if it fails, what it left is dropped and it is run once more;
 * a second failure is reported.
 */
static void
run_toplevel_object(RewriteRun *run, int ordinal)
{
	for (int attempt = 1;; attempt++)
	{
		Migration  *m;
		MigObject  *o;
		MigStep		step;
		char	   *leftover;
		bool		done;
		int			nestlevel;
		ErrorData  *edata = NULL;

		m = begin_step(run, &nestlevel);
		o = list_nth(m->objects, ordinal);
		leftover = mig_object_leftover(m, o);
		done = !leftover && mig_object_done_already(m, o);
		if (done)
			mig_object_done(m, o);
		/* a fresh transaction: DROP INDEX CONCURRENTLY must be its first action */
		end_step(run, nestlevel);
		if (done)
			return;

		memset(&step, 0, sizeof(step));
		step.role = ROLE_TABLE_OWNER;
		if (leftover)
		{
			step.sql = psprintf("DROP INDEX CONCURRENTLY %s", leftover);
			ereport(NOTICE,
					(errmsg("dropping index %s, left invalid by a failed build, to run it again",
							leftover)));
			mig_exec_toplevel(m, &step);
			MemoryContextSwitchTo(run->cxt);
			note_ran(run, step.sql);
		}
		step.sql = o->sql;
		PG_TRY();
		{
			mig_exec_toplevel(m, &step);
		}
		PG_CATCH();
		{
			/* mig_exec_toplevel ended the failed transaction and began one */
			MemoryContextSwitchTo(run->cxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(run->cxt);
		if (edata == NULL)
		{
			note_ran(run, o->sql);
			m = begin_step(run, &nestlevel);
			mig_object_done(m, list_nth(m->objects, ordinal));
			end_step(run, nestlevel);
			return;
		}
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN || attempt == 2)
		{
			/* what it left goes, so that the state is as before it */
			m = begin_step(run, &nestlevel);
			leftover = mig_object_leftover(m, list_nth(m->objects, ordinal));
			mig_audit(m, "backfill", NIL, edata->message);
			end_step(run, nestlevel);
			if (leftover && edata->sqlerrcode != ERRCODE_ADMIN_SHUTDOWN)
			{
				step.sql = psprintf("DROP INDEX CONCURRENTLY %s", leftover);
				mig_exec_toplevel(m, &step);
				MemoryContextSwitchTo(run->cxt);
				note_ran(run, step.sql);
			}
			mig_rethrow(edata);
		}
		ereport(NOTICE,
				(errmsg("%s failed: %s", o->sql, edata->message),
				 errdetail("Trying once more, after dropping what it left.")));
		FreeErrorData(edata);
	}
}

/* One group of switch's steps; the last one ends the phase. */
typedef struct SwitchGroup
{
	List	   *group;
	List	   *all;
	bool		last;
} SwitchGroup;

static void
switch_group(Migration *m, void *arg)
{
	SwitchGroup *g = arg;

	mig_run_locked(m, "switch", g->group);
	if (g->last)
	{
		mig_set_state(m, STATE_SWITCHED, "switch: done");
		mig_audit(m, "switch", g->all, NULL);
	}
}

/* The switch: each group in a transaction of its own, the swap last. */
static void
run_switch(RewriteRun *run)
{
	Migration  *m;
	List	   *steps;
	List	   *groups = NIL;
	List	   *group = NIL;
	int			current = -1;
	int			nestlevel;
	ListCell   *lc;

	m = begin_step(run, &nestlevel);
	steps = mig_phase_steps(m, PHASE_SWITCH, NULL);
	foreach(lc, steps)
	{
		MigStep    *step = lfirst(lc);

		if (step->how != STEP_SQL || step->sql == NULL)
			continue;
		if (step->group != current && group != NIL)
		{
			groups = lappend(groups, group);
			group = NIL;
		}
		current = step->group;
		group = lappend(group, step);
	}
	if (group != NIL)
		groups = lappend(groups, group);
	if (groups == NIL)
	{
		mig_set_state(m, STATE_SWITCHED, "switch: nothing to do");
		end_step(run, nestlevel);
		return;
	}
	end_step(run, nestlevel);

	foreach(lc, groups)
	{
		SwitchGroup g;

		g.group = lfirst(lc);
		g.all = steps;
		g.last = (lnext(groups, lc) == NULL);
		m = begin_step(run, &nestlevel);
		mig_phase(m, "switch", switch_group, &g);
		note_ran(run, steps_sql(g.group, false));
		end_step(run, nestlevel);
	}
}

/* Where a rewrite stopped, in the CONTEXT of its error. */
static void
rewrite_error_context(void *arg)
{
	RewriteRun *run = arg;

	if (run->id != 0)
		errcontext("rewrite mode, migration " INT64_FORMAT " (SELECT * FROM schemaguard.migrations WHERE id = " INT64_FORMAT "; schemaguard.rollback(" INT64_FORMAT ") undoes what ran)",
				   run->id, run->id, run->id);
}

/*
 * migrate_rewrite
 *		Carry out a statement in its safe form (see the header comment).
 *		The caller has checked that it runs at top level outside any
 *		transaction block.  Returns what ran, one line per transaction, and
 *		the migration's id; ends in a new transaction, as the caller.
 */
char *
migrate_rewrite(const char *statement, int64 *id, char **state, char **next,
				bool *starts_only)
{
	RewriteRun	run;
	ErrorContextCallback callback;
	MemoryContext caller = CurrentMemoryContext;
	Migration  *m;
	List	   *steps;
	int			nestlevel;
	volatile bool locked = false;
	char	   *result;

	memset(&run, 0, sizeof(run));
	run.cxt = AllocSetContextCreate(TopMemoryContext, "schemaguard rewrite",
									ALLOCSET_DEFAULT_SIZES);
	callback.callback = rewrite_error_context;
	callback.arg = &run;
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	GetUserIdAndSecContext(&run.userid, &run.sec_context);
	MemoryContextSwitchTo(run.cxt);
	initStringInfo(&run.ran);
	PG_TRY();
	{
		/* expand (start), in the statement's own transaction */
		SPI_connect();
		MemoryContextSwitchTo(run.cxt);
		m = mig_parse(statement);
		nestlevel = NewGUCNestLevel();
		mig_search_path_pinned();
		steps = mig_start(m, "rewrite mode");
		run.id = m->id;
		note_ran(&run, steps_sql(steps, false));
		*starts_only = !mig_writes_no_rows(m);
		if (*starts_only)
		{
			/* rows to write: registered and expanded, the rest is the person's */
			*id = run.id;
			*state = pstrdup(mig_state_name(m->state));
			*next = mig_next_call(m);
			AtEOXact_GUC(true, nestlevel);
			SPI_finish();
			MemoryContextSwitchTo(run.cxt);
			result = run.ran.data;
		}
		else
		{
			mig_lock_migration_session(run.id);
			locked = true;
			end_step(&run, nestlevel);

			/* backfill: the top-level statements, between transactions */
			m = begin_step(&run, &nestlevel);
			end_step(&run, nestlevel);
			for (int i = 0; i < list_length(m->objects); i++)
				if (mig_object_toplevel(list_nth(m->objects, i)))
					run_toplevel_object(&run, i);
			m = begin_step(&run, &nestlevel);
			mig_set_state(m, STATE_BACKFILLED, "backfill: done");
			mig_audit(m, "backfill", mig_phase_steps(m, PHASE_BACKFILL, NULL), NULL);
			/* verify has nothing to check in a migration that writes no row */
			mig_pass_empty_phases(m);
			if (m->state == STATE_BACKFILLED)
				elog(ERROR, "migration " INT64_FORMAT " of rewrite mode has rows to verify", m->id);
			end_step(&run, nestlevel);

			if (m->state == STATE_VERIFIED)
				run_switch(&run);
			m = begin_step(&run, &nestlevel);
			mig_pass_empty_phases(m);	/* a contract with nothing to do */
			*id = run.id;
			*state = pstrdup(mig_state_name(m->state));
			*next = mig_next_call(m);
			AtEOXact_GUC(true, nestlevel);
			SPI_finish();
			MemoryContextSwitchTo(run.cxt);
			mig_unlock_migration_session(run.id);
			locked = false;
			result = run.ran.data;
		}
	}
	PG_CATCH();
	{
		if (locked)
			mig_unlock_migration_session(run.id);
		PG_RE_THROW();
	}
	PG_END_TRY();
	error_context_stack = callback.previous;
	if (run.pushed)
		PopActiveSnapshot();
	MemoryContextSwitchTo(caller);
	result = pstrdup(result);
	*state = pstrdup(*state);
	if (*next)
		*next = pstrdup(*next);
	MemoryContextDelete(run.cxt);
	return result;
}
