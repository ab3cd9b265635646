/*-------------------------------------------------------------------------
 *
 * rewrite.c
 *	  The guard and the migration engine's safe forms: every finding on a
 *	  statement the engine has a plan for names schemaguard.plan() in its
 *	  HINT; and rewrite mode (schemaguard.rewrite = on), in which a
 *	  statement the guard would block is carried out in its safe form
 *	  instead (migrate/migrate.h: migrate_rewrite), with a NOTICE saying
 *	  what ran and an audit row "rewritten".
 *
 * Rewrite mode takes over only a top-level statement run on its own
 * outside a transaction block (as CREATE INDEX CONCURRENTLY requires:
 * PreventInTransactionBlock's conditions, a pipeline of the extended
 * protocol included), and only in the ProcessUtility hook: a statement the
 * ddl_command_start event trigger judges (the session's first DDL, which
 * loads the library) is already running.  Otherwise the statement is
 * blocked as without rewrite mode, and the HINT says why rewrite mode did
 * not take it.  check_ddl() reports what rewrite mode would do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/builtins.h"

#include "guard/guard.h"
#include "guard/predict.h"
#include "migrate/migrate.h"

/*
 * guard_plan_hints
 *		After the rules: if the migration engine has a plan for the
 *		statement, each finding (but lock-timeout's, whose way is a
 *		timeout) names plan() in its HINT, unless it does already.
 */
void
guard_plan_hints(GuardStatement *st)
{
	ListCell   *lc;
	bool		starts_only;
	bool		any = false;
	char	   *hint;

	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (f->rule != RULE_LOCK_TIMEOUT && f->severity != SEVERITY_OFF &&
			(f->hint == NULL || strstr(f->hint, GUARD_PLAN_HINT_START) == NULL))
			any = true;
	}
	if (!any || migrate_rewrite_form(st->text, &starts_only) == NULL)
		return;
	hint = guard_plan_hint_text(st->text);
	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (f->rule == RULE_LOCK_TIMEOUT || f->severity == SEVERITY_OFF ||
			(f->hint && strstr(f->hint, GUARD_PLAN_HINT_START) != NULL))
			continue;
		f->hint = f->hint ? psprintf("%s%s", f->hint, hint) : pstrdup(hint + 1);
	}
}

/* Add a line after the plan hint of the findings that have one. */
static void
add_to_plan_hints(List *findings, const char *line)
{
	ListCell   *lc;

	foreach(lc, findings)
	{
		GuardFinding *f = lfirst(lc);

		if (f->hint && (strstr(f->hint, GUARD_PLAN_HINT_START) != NULL ||
						strncmp(f->hint, &GUARD_PLAN_HINT_START[1],
								strlen(GUARD_PLAN_HINT_START) - 1) == 0))
			f->hint = psprintf("%s\n%s", f->hint, line);
	}
}

/*
 * guard_rewrite_blocked
 *		Rewrite mode, for a statement whose findings block it: carry it out
 *		in its safe form if it may be (true: done, the statement must not
 *		run); else say in the blocking findings' HINT why rewrite mode did
 *		not take it (false).
 */
bool
guard_rewrite_blocked(GuardStatement *st, List *blocking, GuardRewriteWhere where)
{
	bool		starts_only;
	char	   *form = migrate_rewrite_form(st->text, &starts_only);
	char	   *ran;
	char	   *state;
	char	   *next;
	int64		id;

	if (form == NULL)
		return false;
	if (where == REWRITE_IN_BLOCK)
	{
		add_to_plan_hints(blocking, "Rewrite mode (schemaguard.rewrite = on) carries it out so itself only when the statement runs on its own, outside a transaction block (autocommit), as CREATE INDEX CONCURRENTLY must: run it alone, not inside BEGIN ... COMMIT, a function or a multi-statement query.");
		return false;
	}
	if (where == REWRITE_NOT_LOADED)
	{
		add_to_plan_hints(blocking, "Rewrite mode (schemaguard.rewrite = on) did not take it: it was judged while it ran, by the event trigger that loaded schemaguard in this session. Run it again (schemaguard is loaded now), or preload schemaguard: ALTER DATABASE ... SET session_preload_libraries = 'schemaguard'.");
		return false;
	}

	/* CREATE INDEX CONCURRENTLY's rule: commit at once when done */
	PreventInTransactionBlock(true, "rewrite mode");
	ran = migrate_rewrite(st->text, &id, &state, &next, &starts_only);
	guard_audit(st, DECISION_REWRITTEN,
				psprintf("migration " INT64_FORMAT " (%s): %s", id, state, ran));
	ereport(NOTICE,
			(errmsg("rewrite mode carried out the statement in its safe form: migration " INT64_FORMAT " is %s",
					id, state),
			 *ran == '\0'
			 ? errdetail("Nothing has changed yet: contract carries it out; plan() lists what still depends on it.")
			 : errdetail("%s\n%s", starts_only
						 ? "Its changes write rows: it was registered and expanded, and ran:"
						 : "It ran, one line per transaction:", ran),
			 next ? errhint("Next: %s", next) : 0));
	return true;
}
