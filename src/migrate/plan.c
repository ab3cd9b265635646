/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  The steps of each phase of a migration, made from its changes (each
 *	  kind adds its own) and from the live catalog at the moment the phase
 *	  runs; and schemaguard.plan(ddl), which shows the steps of every phase
 *	  of a migration not started yet, with their SQL and their locks, and
 *	  changes nothing.
 *
 * Steps are grouped: the steps of one group run in one subtransaction
 * whose lock waits are bounded by schemaguard.migration_lock_timeout, and
 * which is tried again after a pause if a lock was not granted (exec.c).
 * switch has three groups: the validation of the constraints copied NOT
 * VALID (SHARE UPDATE EXCLUSIVE: writes go on), the replacements of
 * materialized views built before the lock, and the swap itself, which
 * takes ACCESS EXCLUSIVE on the table and on every dependent it re-creates
 * (the most dependent first, as a reader takes them: so that no reader can
 * hold one while waiting for another) and holds it only for catalog
 * changes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "migrate/internal.h"

static const char *const phase_names[] = {
	"expand", "backfill", "verify", "switch", "contract", "rollback"
};

const char *
mig_phase_name(MigPhase phase)
{
	return phase_names[phase];
}

char *
mig_lock_on(Migration *m, const char *mode)
{
	return psprintf("%s on %s", mode, m->qualname);
}

/*
 * mig_drop_column_step
 *		A step of contract or rollback dropping column `colname' of the
 *		table under ACCESS EXCLUSIVE.
 */
MigStep *
mig_drop_column_step(Migration *m, MigPlan *plan, const char *colname,
					 const char *description, bool reversible)
{
	MigStep    *step = mig_step(plan, psprintf("ALTER TABLE %s DROP COLUMN %s", m->qualname,
											   quote_identifier(colname)),
								mig_lock_on(m, "ACCESS EXCLUSIVE"), description);

	step->reversible = reversible;
	return step;
}

/*
 * mig_step
 *		A step added to the plan's current group: SQL run through SPI as the
 *		table's owner unless the caller says otherwise.  lock NULL: the
 *		group's lock.
 */
MigStep *
mig_step(MigPlan *plan, const char *sql, const char *lock, const char *description)
{
	MigStep    *step = palloc0(sizeof(MigStep));

	step->phase = plan->phase;
	step->how = STEP_SQL;
	step->sql = sql ? pstrdup(sql) : NULL;
	step->lock = lock ? pstrdup(lock) : plan->lock;
	step->description = description ? pstrdup(description) : NULL;
	step->reversible = true;
	step->role = ROLE_TABLE_OWNER;
	step->group = plan->group;
	plan->steps = lappend(plan->steps, step);
	return step;
}

/* A new group of steps, with the lock they share. */
static void
new_group(MigPlan *plan, char *lock)
{
	plan->group++;
	plan->lock = lock;
}

static MigStep *
shown_step(MigPlan *plan, char *sql, char *lock, char *description)
{
	MigStep    *step = mig_step(plan, sql, lock, description);

	step->how = STEP_SHOWN;
	return step;
}

/* The key a backfill walks, and the batch UPDATE as plan() shows it. */
static void
backfill_steps(Migration *m, MigPlan *plan)
{
	StringInfoData set;
	StringInfoData todo;
	ListCell   *lc;
	MigBackfillKey *key = mig_backfill_key(m);

	initStringInfo(&set);
	initStringInfo(&todo);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->backfill(m, c, "t", &set, &todo);
	}
	if (set.len > 0)
	{
		new_group(plan, mig_lock_on(m, "ROW EXCLUSIVE"));
		shown_step(plan, mig_backfill_sql(m, key, set.data, todo.data, true, true), NULL,
				   psprintf("Repeated until the table is done, one committed transaction per batch of rows walked in %s order: only the rows of the batch are locked, for the batch's time. Rows the triggers have written already are not written again. Resumed where it stopped after a crash or a cancel.",
							key->ctid ? "ctid (the table has no primary key)" : "primary key"));
	}
	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);
		MigStep    *step;

		if (!mig_object_toplevel(o))
			continue;
		new_group(plan, mig_lock_on(m, "SHARE UPDATE EXCLUSIVE"));
		step = mig_step(plan, o->sql, NULL,
						mig_object_description(o));
		step->how = STEP_TOPLEVEL;
		step->object = o->ordinal;
	}
	if (mig_analyze_sql(m))
	{
		new_group(plan, mig_lock_on(m, "SHARE UPDATE EXCLUSIVE"));
		mig_step(plan, mig_analyze_sql(m), NULL,
				 "Statistics of the new columns, so that the planner knows them from the switch on.");
	}
}

/* ANALYZE of the columns the migration added (NULL if none). */
char *
mig_analyze_sql(Migration *m)
{
	StringInfoData cols;
	ListCell   *lc;

	initStringInfo(&cols);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		if (c->newcol && c->kind != &mig_kind_direct && !c->kind->names_object)
			appendStringInfo(&cols, "%s%s", cols.len ? ", " : "", quote_identifier(c->newcol));
	}
	if (cols.len == 0)
		return NULL;
	return psprintf("ANALYZE %s (%s)", m->qualname, cols.data);
}

static void
verify_steps(Migration *m, MigPlan *plan)
{
	StringInfoData wrong;
	ListCell   *lc;

	initStringInfo(&wrong);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->verify(m, c, "t", &wrong);
	}
	if (wrong.len == 0)
		return;
	new_group(plan, mig_lock_on(m, "ACCESS SHARE"));
	shown_step(plan,
			   psprintf("SELECT count(*), count(*) FILTER (WHERE %s) FROM %s AS t WHERE t.ctid >= $1 AND t.ctid < $2",
						wrong.data, m->qualname),
			   NULL,
			   "Every row checked, in ranges of pages: the new columns must hold what the old ones convert to. switch refuses until a verify finds no mismatch.");
}

/* The columns the swap moves readers from and to. */
static List *
moves(Migration *m, bool back)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		MigRepoint *r;

		if (!c->kind->repoints)
			continue;
		r = palloc0(sizeof(MigRepoint));
		r->relid = m->relid;
		r->from = back ? c->new_attnum : c->attnum;
		r->to = back ? c->attnum : c->new_attnum;
		result = lappend(result, r);
	}
	return result;
}

/*
 * LOCK TABLE of the dependents (most dependent first), then the table, each
 * as its owner (who may lock it whoever calls).
 */
static void
lock_steps(Migration *m, MigPlan *plan, MigDependents *deps)
{
	List	   *relids = list_copy(mig_dependents_locks(deps));
	ListCell   *lc;
	bool		first = true;

	relids = list_append_unique_oid(relids, m->relid);
	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		Oid			nspid = get_rel_namespace(relid);
		MigStep    *step;

		if (get_rel_relkind(relid) == RELKIND_MATVIEW)
			continue;			/* LOCK takes no matview: its DROP locks it */
		step = mig_step(plan,
						psprintf("LOCK TABLE %s IN ACCESS EXCLUSIVE MODE",
								 quote_qualified_identifier(get_namespace_name(nspid),
															get_rel_name(relid))),
						NULL,
						first ? psprintf("Every lock of the swap first, dependents before the table, each wait at most schemaguard.migration_lock_timeout (%d ms); tried again after a pause if one is not granted. Held only for the catalog changes below.",
										 migrate_lock_timeout_ms) : NULL);
		step->role = ROLE_OBJECT_OWNER;
		step->owner = mig_rel_owner(relid);
		step->hidden = pg_namespace_aclcheck(nspid, GetUserId(), ACL_USAGE) != ACLCHECK_OK;
		first = false;
	}
}

/*
 * swap_steps
 *		The swap (switch, or back: the switch undone by rollback): the
 *		replacements built before the lock, then under it the dependents
 *		dropped, each change's renames, the dependents created again, and
 *		(forward) the dual-write triggers turned round.
 */
static MigDependents *
swap_steps(Migration *m, MigPlan *plan, bool back)
{
	MigDependents *deps = mig_dependents(m, moves(m, back), back);
	ListCell   *lc;
	MigState	state = m->state;
	char	  **names;

	new_group(plan, mig_lock_on(m, "ACCESS SHARE"));
	mig_dependents_prebuild(m, deps, plan);

	new_group(plan, psprintf("ACCESS EXCLUSIVE on %s%s, for the swap's short transaction",
							 m->qualname,
							 list_length(mig_dependents_locks(deps)) > 1 ? " and its re-created dependents" : ""));
	lock_steps(m, plan, deps);
	mig_dependents_drop(m, deps, plan);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);

		c->kind->swap(m, c, plan, back);
	}
	mig_dependents_create(m, deps, plan);
	if (!back)
	{
		/* the triggers as they must be after the swap: names and roles turned */
		names = mig_column_names(m);
		foreach(lc, m->changes)
		{
			MigChange  *c = lfirst(lc);

			if (c->kind->rename)
				c->kind->rename(m, c, names, false);
		}
		m->names_override = names;
		m->state = STATE_SWITCHED;
		mig_sync_steps(m, plan, true);
		m->state = state;
		m->names_override = NULL;
	}
	mig_dependents_readers(m, deps, plan);
	foreach(lc, m->changes)
	{
		MigChange  *c = lfirst(lc);
		MigSyncPair pair;

		if (!back && !c->kind->repoints && c->attnum > 0 && c->kind->sync(m, c, &pair))
			mig_dependents_name_readers(m, deps, plan, c->attnum, c->colname, c->newcol);
	}
	return deps;
}

/*
 * mig_phase_steps
 *		The steps of a phase, from the migration's state and the live
 *		catalog.  *deps: the dependents a swap re-creates (switch, rollback
 *		of a switch), or NULL.
 */
List *
mig_phase_steps(Migration *m, MigPhase phase, MigDependents **deps)
{
	MigPlan		plan;
	ListCell   *lc;

	memset(&plan, 0, sizeof(plan));
	plan.phase = phase;
	if (deps)
		*deps = NULL;
	switch (phase)
	{
		case PHASE_EXPAND:
			new_group(&plan, mig_lock_on(m, "ACCESS EXCLUSIVE"));
			foreach(lc, m->changes)
			{
				MigChange  *c = lfirst(lc);

				c->kind->expand(m, c, &plan);
			}
			mig_sync_steps(m, &plan, true);
			foreach(lc, m->objects)
			{
				MigObject  *o = lfirst(lc);

				if (!mig_object_constraint(o))
					continue;
				mig_step(&plan, o->sql, NULL, mig_object_description(o));
			}
			break;
		case PHASE_BACKFILL:
			backfill_steps(m, &plan);
			break;
		case PHASE_VERIFY:
			verify_steps(m, &plan);
			break;
		case PHASE_SWITCH:
			foreach(lc, m->objects)
			{
				MigObject  *o = lfirst(lc);

				if (!mig_object_constraint(o))
					continue;
				new_group(&plan, mig_lock_on(m, "SHARE UPDATE EXCLUSIVE"));
				mig_step(&plan, psprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", m->qualname,
										 quote_identifier(o->created)),
						 NULL, "Before the lock: the rows written before the constraint existed are checked; reads and writes go on.");
			}
			if (mig_swaps(m))
			{
				MigDependents *d = swap_steps(m, &plan, false);

				if (deps)
					*deps = d;
			}
			break;
		case PHASE_CONTRACT:
			new_group(&plan, mig_lock_on(m, "ACCESS EXCLUSIVE"));
			mig_sync_steps(m, &plan, false);
			foreach(lc, m->changes)
			{
				MigChange  *c = lfirst(lc);

				c->kind->contract(m, c, &plan);
			}
			break;
		case PHASE_ROLLBACK:
			if (m->state == STATE_SWITCHED && mig_swaps(m))
			{
				MigDependents *d = swap_steps(m, &plan, true);

				if (deps)
					*deps = d;
			}
			else
				new_group(&plan, mig_lock_on(m, "ACCESS EXCLUSIVE"));
			mig_sync_steps(m, &plan, false);
			foreach(lc, m->changes)
			{
				MigChange  *c = lfirst(lc);

				c->kind->rollback(m, c, &plan);
			}
			break;
	}
	return plan.steps;
}

/* Does any change of the migration need more than running as written? */
bool
mig_is_migration(Migration *m)
{
	ListCell   *lc;

	foreach(lc, m->changes)
		if (((MigChange *) lfirst(lc))->kind != &mig_kind_direct)
			return true;
	return false;
}

PG_FUNCTION_INFO_V1(schemaguard_plan);

/*
 * schemaguard.plan(ddl text)
 *		RETURNS TABLE(step int, phase text, sql text, lock text,
 *					  description text, reversible bool)
 */
Datum
schemaguard_plan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Migration  *m;
	int			nestlevel;
	int			n = 0;
	static const MigPhase phases[] = {PHASE_EXPAND, PHASE_BACKFILL, PHASE_VERIFY,
	PHASE_SWITCH, PHASE_CONTRACT, PHASE_ROLLBACK};

	InitMaterializedSRF(fcinfo, 0);
	m = mig_parse(PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0)));
	mig_check_may_see(m->relid);

	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	for (int p = 0; p < lengthof(phases); p++)
	{
		List	   *steps;
		ListCell   *lc;

		if (!mig_is_migration(m))
		{
			if (p > 0)
				break;
			steps = mig_phase_steps(m, PHASE_EXPAND, NULL);
		}
		else
			steps = mig_phase_steps(m, phases[p], NULL);
		foreach(lc, steps)
		{
			MigStep    *step = lfirst(lc);
			Datum		values[6];
			bool		nulls[6] = {false, false, false, false, false, false};

			if (step->how == STEP_SQL && step->sql == NULL)
				continue;
			values[0] = Int32GetDatum(++n);
			values[1] = CStringGetTextDatum(mig_is_migration(m) ? mig_phase_name(step->phase) : "direct");
			if (step->sql == NULL || step->hidden)
				nulls[2] = true;
			else
				values[2] = CStringGetTextDatum(step->sql);
			if (step->lock)
				values[3] = CStringGetTextDatum(step->lock);
			else
				nulls[3] = true;
			if (step->hidden)
				values[4] = CStringGetTextDatum("A dependent in a schema you have no USAGE on.");
			else if (!mig_is_migration(m))
				values[4] = CStringGetTextDatum(psprintf("%s Not a migration: run it as it is.",
														 step->description));
			else if (step->description)
				values[4] = CStringGetTextDatum(step->description);
			else
				nulls[4] = true;
			values[5] = BoolGetDatum(step->reversible);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	AtEOXact_GUC(true, nestlevel);
	return (Datum) 0;
}
