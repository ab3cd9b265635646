/*-------------------------------------------------------------------------
 *
 * lock_timeout.c
 *	  Rule lock-timeout: a risky command, or any ACCESS EXCLUSIVE lock on a
 *	  large table, while lock_timeout is 0.
 *
 * A command waiting for its lock behind a long transaction makes every
 * later query on the table queue behind it: with lock_timeout 0 it waits
 * for ever, and the table is unavailable all that time even before the
 * command starts.  With a lock_timeout it gives up and can be retried.
 * Runs last: it looks at the other rules' findings for the statement.
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

	if (st->lock_timeout_ms != 0)
		return;
	foreach(lc, st->findings)
	{
		GuardFinding *f = lfirst(lc);

		if (f->rule != RULE_LOCK_TIMEOUT && f->severity != SEVERITY_OFF)
			risky = true;
	}
	foreach(lc, st->changes)
	{
		GuardChange *change = lfirst(lc);

		if (change->rel == NULL || change->rel->is_new)
			continue;
		if (worst == NULL || change->lockmode > worst->lockmode)
			worst = change;
	}
	if (worst == NULL)
		return;
	if (!risky && !(worst->lockmode == AccessExclusiveLock &&
					guard_relation_large(worst->rel)))
		return;

	guard_add_finding(st, RULE_LOCK_TIMEOUT,
					  psprintf("%s waits for %s on table \"%s.%s\" with no lock_timeout",
							   worst->command, guard_lock_phrase(worst->lockmode),
							   worst->rel->nspname, worst->rel->relname),
					  psprintf("lock_timeout is 0, so the statement waits for its lock for as long as any transaction using the table runs, and every query on the table that comes after it waits too.%s%s",
							   guard_relation_large(worst->rel) ? " " : "",
							   guard_relation_large(worst->rel) ? guard_size_evidence(worst->rel) : ""),
					  pstrdup("Set a lock_timeout, and retry the statement if it times out:\nSET lock_timeout = '5s';"));
}
