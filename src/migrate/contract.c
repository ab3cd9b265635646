/*-------------------------------------------------------------------------
 *
 * contract.c
 *	  schemaguard.contract(id): the old shape goes for good -- the
 *	  dual-write triggers and the old columns (with their indexes and
 *	  constraints) are dropped; and schemaguard.rollback(id): back to the
 *	  old shape at any time before contract.
 *
 * Both run in one transaction, under the same lock rules as switch
 * (lock_timeout, retries with backoff).  Dropping a column changes the
 * catalog only; its space is reused as rows are written.  contract fails,
 * and changes nothing, if something other than the migration still uses an
 * old column (PostgreSQL's own dependency check names it).
 *
 * rollback of a switched migration first swaps back (switch.c's steps the
 * other way round: dependents re-created on the old columns, which the
 * triggers kept current), then drops what expand added.  What cannot be
 * undone is said by plan() (reversible = false): a type change that needed
 * no migration, a generated column turned into a plain one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

static void
do_contract(Migration *m, void *arg)
{
	List	   *steps = mig_phase_steps(m, PHASE_CONTRACT, NULL);

	mig_run_steps(m, "contract", steps);
	mig_set_state(m, STATE_CONTRACTED, "contract: done");
	mig_audit(m, "contract", steps, NULL);
}

typedef struct RollbackArgs
{
	List	   *steps;
	MigDependents *deps;
	bool		switched;
} RollbackArgs;

static void
do_rollback(Migration *m, void *arg)
{
	RollbackArgs *a = arg;

	mig_run_steps(m, "roll back", a->steps);
	if (a->deps)
		lineage_refresh_objects(mig_dependents_reader_objects(a->deps));
	mig_set_state(m, STATE_ROLLED_BACK, a->switched ? "rollback: done, after the switch" : "rollback: done");
	mig_audit(m, "rollback", a->steps, NULL);
}

PG_FUNCTION_INFO_V1(schemaguard_contract);

/*
 * schemaguard.contract(id bigint, drop_dependents bool DEFAULT false)
 *		RETURNS void
 *
 * drop_dependents: a deprecated column's dependents that still use it are
 * dropped too (kinds/drop_column.c); without it contract refuses.
 */
Datum
schemaguard_contract(PG_FUNCTION_ARGS)
{
	int			nestlevel;
	Migration  *m = mig_begin_call(fcinfo, "contract", &nestlevel);
	static const MigState allowed[] = {STATE_SWITCHED};

	m->drop_dependents = PG_NARGS() > 1 && !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	mig_require_state(m, "contract", lengthof(allowed), allowed);
	mig_phase(m, "contract", do_contract, NULL);
	ereport(NOTICE,
			(errmsg("migration " INT64_FORMAT " is contracted", m->id)));
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(schemaguard_rollback);

/* schemaguard.rollback(id bigint) RETURNS void */
Datum
schemaguard_rollback(PG_FUNCTION_ARGS)
{
	int			nestlevel;
	Migration  *m = mig_begin_call(fcinfo, "roll back", &nestlevel);
	static const MigState allowed[] = {STATE_EXPANDED, STATE_BACKFILLED, STATE_VERIFIED,
	STATE_SWITCHED};
	RollbackArgs a;

	mig_require_state(m, "rollback", lengthof(allowed), allowed);
	a.switched = (m->state == STATE_SWITCHED);
	a.steps = mig_phase_steps(m, PHASE_ROLLBACK, &a.deps);
	mig_phase(m, "rollback", do_rollback, &a);
	ereport(NOTICE,
			(errmsg("migration " INT64_FORMAT " is rolled back", m->id)));
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}
