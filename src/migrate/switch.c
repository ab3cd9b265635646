/*-------------------------------------------------------------------------
 *
 * switch.c
 *	  schemaguard.switch(id): readers and dependents move to the new shape
 *	  in one short transaction; and the swap done the other way round, which
 *	  rollback() runs first on a switched migration.
 *
 * Before any lock that blocks: the constraints copied NOT VALID are
 * validated (SHARE UPDATE EXCLUSIVE: reads and writes go on), the
 * replacements of materialized views are built and filled (ACCESS SHARE on
 * the table).  Then one group of steps under ACCESS EXCLUSIVE on the table
 * and on each dependent re-created, each wait bounded by
 * schemaguard.migration_lock_timeout and the whole group tried again with
 * backoff: dependents dropped, names swapped, what goes with a column's
 * name moved, dependents created again from the definitions deparsed
 * before the swap, the dual-write triggers turned round (the old column
 * stays written, so that rollback is a second short swap).  Only catalog
 * changes happen under that lock.
 *
 * Afterwards nothing but the migration's own objects may depend on the
 * columns the readers left: if anything still does (a dependent the
 * re-creation did not move), the switch fails and changes nothing.  The
 * function bodies that name the columns are analyzed again (lineage.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

/* Is this dependent of a column one the migration owns or keeps on purpose? */
static bool
own_object(Migration *m, MigDep *d)
{
	ListCell   *lc;

	if (d->object.classId == TriggerRelationId)
	{
		char	   *name = mig_trigger_name(d->object.objectId);

		return name && (strcmp(name, SYNC_TRIGGER_FIRST) == 0 ||
						strcmp(name, SYNC_TRIGGER_LAST) == 0);
	}
	if (d->object.classId == RelationRelationId && d->deptype == DEPENDENCY_AUTO)
		return true;			/* its indexes, owned sequences: with the column */
	if (d->object.classId == ConstraintRelationId || d->object.classId == TypeRelationId)
		return true;			/* its constraints: with the column */
	foreach(lc, m->changes)
		(void) lc;
	return false;
}

/*
 * mig_check_left
 *		After a swap: nothing but the migration's own objects depends on the
 *		columns readers left (moves: from).
 */
void
mig_check_left(Migration *m, bool back)
{
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		AttrNumber	left = back ? c->new_attnum : c->attnum;
		ListCell   *dc;

		if (!c->kind->repoints)
			continue;
		foreach(dc, mig_depend_on(RelationRelationId, m->relid, left))
		{
			MigDep	   *d = lfirst(dc);

			if (own_object(m, d))
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("%s still reads the column the switch moves readers away from",
							getObjectDescription(&d->object, false)),
					 errdetail("After re-creating the dependents of column \"%s\" of %s, this one still depends on the old column: the switch changes nothing.",
							   c->colname, m->qualname),
					 errhint("Drop it, or change it to read the new column, then call switch again.")));
		}
	}
}

typedef struct SwapArgs
{
	List	   *steps;
	MigDependents *deps;
} SwapArgs;

static void
do_switch(Migration *m, void *arg)
{
	SwapArgs   *a = arg;

	mig_run_steps(m, "switch", a->steps);
	mig_check_left(m, false);
	if (a->deps)
		lineage_refresh_objects(mig_dependents_reader_objects(a->deps));
	mig_set_state(m, STATE_SWITCHED, "switch: done");
	mig_audit(m, "switch", a->steps, NULL);
}

PG_FUNCTION_INFO_V1(schemaguard_switch);

/* schemaguard.switch(id bigint) RETURNS void */
Datum
schemaguard_switch(PG_FUNCTION_ARGS)
{
	int			nestlevel;
	Migration  *m = mig_begin_call(fcinfo, "switch", &nestlevel);
	int64		id = m->id;
	SwapArgs	a;
	static const MigState allowed[] = {STATE_VERIFIED};

	if (m->state == STATE_BACKFILLED && strncmp(m->phase, "verify: ", 8) == 0 &&
		strstr(m->phase, "mismatches") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration " INT64_FORMAT " is backfilled, not verified: its last verify found mismatches",
						id),
				 errdetail("%s.", m->phase + 8),
				 errhint("CALL schemaguard.backfill(" INT64_FORMAT "); writes those rows again; then SELECT * FROM schemaguard.verify(" INT64_FORMAT ");",
						 id, id)));
	mig_require_state(m, "switch", lengthof(allowed), allowed);
	a.steps = mig_phase_steps(m, PHASE_SWITCH, &a.deps);
	mig_phase(m, "switch", do_switch, &a);
	mig_pass_empty_phases(m);
	ereport(NOTICE,
			(errmsg("migration " INT64_FORMAT " is %s", id, mig_state_name(m->state)),
			 mig_next_call(m) ? errhint("Next: %s", mig_next_call(m)) : 0));
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}
