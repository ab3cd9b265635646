/*-------------------------------------------------------------------------
 *
 * lock_timeout.c
 *	  Rule lock-timeout: a risky command, or any ACCESS EXCLUSIVE lock on a
 *	  large table, while lock_timeout is 0; and any command whose lock
 *	  conflicts with one another session holds or awaits right now, at
 *	  severity error (unless configured off).
 *
 * A command waiting for its lock behind a long transaction makes every
 * later query on the table queue behind it: with lock_timeout 0 it waits
 * for ever, and the table is unavailable all that time even before the
 * command starts.  With a lock_timeout it gives up and can be retried.
 * When a session holds or awaits a conflicting lock now (sessions.c), the
 * wait is certain, not a risk: the finding names the session and blocks.
 * A table whose lock would block nobody (new, or unwatched: sessions.c) is
 * not looked at.  Runs last: it looks at the other rules' findings for the
 * statement.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "guard/guard.h"

void
rule_lock_timeout(GuardStatement *st)
{
	ListCell   *lc;
	GuardChange *worst = NULL;
	bool		risky = false;
	char	   *holders;
	GuardFinding *f;

	if (st->lock_timeout_ms != 0)
		return;
	foreach(lc, st->findings)
	{
		f = lfirst(lc);
		if (f->rule != RULE_LOCK_TIMEOUT && f->severity != SEVERITY_OFF)
			risky = true;
	}
	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);

		if (change->rel == NULL || change->rel->is_new ||
			guard_relation_is_unwatched(change->rel))
			continue;
		if (worst == NULL || change->lockmode > worst->lockmode)
			worst = change;
	}
	if (worst == NULL)
		return;
	holders = guard_statement_lock_holders(st);
	if (holders == NULL && !risky &&
		!(worst->lockmode == AccessExclusiveLock && guard_relation_large(worst->rel)))
		return;

	guard_add_finding(st, RULE_LOCK_TIMEOUT,
					  psprintf("%s waits for %s on table \"%s.%s\" with no lock_timeout",
							   worst->command, guard_lock_phrase(worst->lockmode),
							   worst->rel->nspname, worst->rel->relname),
					  psprintf("lock_timeout is 0, so the statement waits for its lock for as long as any transaction using the table runs, and every query on the table that comes after it waits too.%s%s%s%s",
							   guard_relation_large(worst->rel) ? " " : "",
							   guard_relation_large(worst->rel) ? guard_size_evidence(worst->rel) : "",
							   holders ? " " : "", holders ? holders : ""),
					  pstrdup("Set a lock_timeout, and retry the statement if it times out:\nSET lock_timeout = '5s';"));

	/* a wait that is certain blocks, whatever the configured warning */
	f = st->findings ? llast(st->findings) : NULL;
	if (holders && f && f->rule == RULE_LOCK_TIMEOUT && f->severity == SEVERITY_WARNING)
		f->severity = SEVERITY_ERROR;
}
