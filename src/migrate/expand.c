/*-------------------------------------------------------------------------
 *
 * expand.c
 *	  schemaguard.start(ddl, name): register a migration and run its expand
 *	  phase -- the new columns beside the old ones, the dual-write triggers,
 *	  the copies of the constraints NOT VALID -- in the caller's transaction,
 *	  under lock_timeout with retries (exec.c).  Nothing is rewritten and no
 *	  row is scanned: every statement changes the catalog only.
 *
 * One table has at most one migration that is not finished (contracted or
 * rolled back); starts of two migrations of one table are serialized by an
 * advisory lock on the table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "migrate/internal.h"

/* The advisory lock of a table's starts: (START_LOCK_KEY, table oid). */
#define START_LOCK_KEY 0x5354	/* "ST" */

static void
refuse_direct(Migration *m)
{
	StringInfoData sql;
	ListCell   *lc;

	initStringInfo(&sql);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->kind != &mig_kind_direct)
			return;
		appendStringInfo(&sql, "%s%s;", sql.len ? "\n" : "", c->sql);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("nothing to migrate: the ddl rewrites nothing"),
			 errdetail("Every change of the ddl changes the catalog only (the guard predicts no rewrite)."),
			 errhint("Run it as it is, with a short lock_timeout:\nSET lock_timeout = '2s';\n%s",
					 sql.data)));
}

static void
no_other_migration(Migration *m)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, START_LOCK_KEY, m->relid, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	if (mig_active_migration(m->relid) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s has a migration in progress already", m->qualname),
				 errdetail("Migration " INT64_FORMAT " is not contracted nor rolled back.",
						   mig_active_migration(m->relid)),
				 errhint("Finish it first (SELECT * FROM schemaguard.migrations).")));
}

static void
expand(Migration *m, void *arg)
{
	mig_run_steps(m, "expand", (List *) arg);
	mig_audit(m, "expand", (List *) arg, NULL);
}

/*
 * mig_start
 *		Register a migration parsed from its ddl and run its expand phase,
 *		in the current transaction (SPI connected, search_path pinned);
 *		returns the steps it ran.
 */
List *
mig_start(Migration *m, const char *name)
{
	List	   *steps;

	refuse_direct(m);
	mig_check_may_run(m, "start");
	m->name = name ? pstrdup(name) : NULL;
	no_other_migration(m);

	steps = mig_phase_steps(m, PHASE_EXPAND, NULL);
	mig_store_new(m);
	mig_phase(m, "expand", expand, steps);
	return steps;
}

PG_FUNCTION_INFO_V1(schemaguard_start);

/* schemaguard.start(ddl text, name text DEFAULT NULL) RETURNS bigint */
Datum
schemaguard_start(PG_FUNCTION_ARGS)
{
	Migration  *m;
	int			nestlevel;

	SPI_connect();
	m = mig_parse(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	(void) mig_start(m, PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	mig_pass_empty_phases(m);
	ereport(NOTICE,
			(errmsg("migration " INT64_FORMAT " is %s", m->id, mig_state_name(m->state)),
			 mig_next_call(m) ? errhint("Next: %s", mig_next_call(m)) : 0));
	AtEOXact_GUC(true, nestlevel);
	SPI_finish();
	PG_RETURN_INT64(m->id);
}
