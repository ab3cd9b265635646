/*-------------------------------------------------------------------------
 *
 * drop_column.c
 *	  Change kind drop_column: DROP COLUMN, deprecated first.  The column
 *	  stays, with its values, until contract; plan() lists every dependent
 *	  that still uses it -- from the lineage catalog (function bodies
 *	  included, which PostgreSQL does not track) and pg_depend -- and
 *	  contract refuses while any remains, unless the call says to drop them
 *	  too: schemaguard.contract(id, drop_dependents => true), which drops
 *	  each (as its owner, the most dependent kinds first) before the column;
 *	  the statements are in the contract's audit row.
 *
 * expand   nothing changes: the column is deprecated (the migration says so)
 * contract the dependents left (with drop_dependents), then DROP COLUMN
 *          (ACCESS EXCLUSIVE, catalog only; its indexes and constraints go
 *          with it)
 * rollback nothing to undo
 *
 * What goes with the column without being listed: the table's own indexes,
 * constraints, statistics objects and default on it, as with any DROP
 * COLUMN.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	AttrNumber	attnum;
	MigChange  *c;

	if (!IsA(stmt, AlterTableCmd) || cmd->subtype != AT_DropColumn)
		return NULL;
	attnum = mig_user_column(m, cmd->name, "drop", cmd->missing_ok);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist: nothing to migrate",
						cmd->name, m->relname),
				 errhint("Leave DROP COLUMN IF EXISTS out of the migration: it would do nothing.")));
	c = mig_new_change(m, &mig_kind_drop_column, cmd->name);
	c->attnum = attnum;
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
	if (m->state == STATE_PLANNED)
		return;
	c->attnum = get_attnum(m->relid, c->colname);
	if (c->attnum == InvalidAttrNumber && m->state != STATE_CONTRACTED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of %s, which migration " INT64_FORMAT " deprecates, does not exist",
						c->colname, m->qualname, m->id),
				 errdetail("It was renamed or dropped outside the migration.")));
}

/* A dependent still using the column: what it is, how it goes, as whom. */
typedef struct Dependent
{
	ObjectAddress object;
	char	   *description;
	char	   *drop_sql;		/* NULL: not dropped by the engine */
	Oid			owner;
	int			order;			/* dropped in this order */
} Dependent;

static bool
listed(List *deps, const ObjectAddress *object)
{
	ListCell   *lc;

	foreach(lc, deps)
	{
		Dependent  *d = lfirst(lc);

		if (d->object.classId == object->classId && d->object.objectId == object->objectId)
			return true;
	}
	return false;
}

/* "ON schema.table" of a trigger, policy or constraint's table */
static char *
on_table(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

static Dependent *
dependent(Migration *m, const ObjectAddress *object)
{
	Dependent  *d = palloc0(sizeof(Dependent));
	ObjectAddress owner = lineage_owner(object);

	d->object = *object;
	d->object.objectSubId = 0;
	d->description = getObjectDescription(&d->object, false);
	switch (object->classId)
	{
		case RelationRelationId:
			{
				char		relkind = get_rel_relkind(object->objectId);

				if (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)
				{
					d->drop_sql = psprintf("DROP %s %s",
										   relkind == RELKIND_VIEW ? "VIEW" : "MATERIALIZED VIEW",
										   on_table(object->objectId));
					d->owner = mig_rel_owner(object->objectId);
					d->order = 2;
				}
				break;
			}
		case ProcedureRelationId:
			d->drop_sql = psprintf("DROP %s %s",
								   get_func_prokind(object->objectId) == PROKIND_PROCEDURE
								   ? "PROCEDURE" : "FUNCTION",
								   format_procedure_qualified(object->objectId));
			d->owner = mig_func_owner(object->objectId);
			d->order = 3;
			break;
		case TriggerRelationId:
			d->drop_sql = psprintf("DROP TRIGGER %s ON %s",
								   quote_identifier(mig_trigger_name(object->objectId)),
								   on_table(owner.objectId));
			d->owner = mig_rel_owner(owner.objectId);
			d->order = 1;
			break;
		case PolicyRelationId:
			d->drop_sql = psprintf("DROP POLICY %s ON %s",
								   quote_identifier(mig_policy_name(object->objectId)),
								   on_table(owner.objectId));
			d->owner = mig_rel_owner(owner.objectId);
			d->order = 1;
			break;
		case ConstraintRelationId:
			d->drop_sql = psprintf("ALTER TABLE %s DROP CONSTRAINT %s", on_table(owner.objectId),
								   quote_identifier(get_constraint_name(object->objectId)));
			d->owner = mig_rel_owner(owner.objectId);
			d->order = 1;
			break;
		default:
			break;
	}
	return d;
}

static int
compare_dependents(const ListCell *a, const ListCell *b)
{
	Dependent  *x = lfirst(a);
	Dependent  *y = lfirst(b);

	if (x->order != y->order)
		return x->order - y->order;
	return strcmp(x->description, y->description);
}

/*
 * Every object still using the column, but the table's own indexes,
 * constraints, statistics and default on it (they go with it).
 */
static List *
column_dependents(Migration *m, MigChange *c)
{
	ObjectAddress source;
	List	   *result = NIL;
	List	   *found = NIL;
	ListCell   *lc;

	ObjectAddressSubSet(source, RelationRelationId, m->relid, c->attnum);
	foreach(lc, lineage_dependents(&source))
		found = lappend(found, lfirst(lc));
	foreach(lc, mig_depend_on(RelationRelationId, m->relid, c->attnum))
	{
		MigDep	   *d = lfirst(lc);

		if (d->deptype == DEPENDENCY_NORMAL)
			found = lappend(found, &d->object);
	}
	foreach(lc, found)
	{
		ObjectAddress *object = lfirst(lc);
		ObjectAddress owner = lineage_owner(object);
		ObjectAddress listed_as = *object;

		if (owner.classId == RelationRelationId && owner.objectId == m->relid &&
			object->classId != TriggerRelationId && object->classId != PolicyRelationId)
			continue;			/* goes with the column */
		/* a view's rule or column: the view */
		if (owner.classId == RelationRelationId && object->classId != TriggerRelationId &&
			object->classId != PolicyRelationId && object->classId != ConstraintRelationId)
			listed_as = owner;
		if (!OidIsValid(listed_as.objectId) || listed(result, &listed_as))
			continue;
		result = lappend(result, dependent(m, &listed_as));
	}
	list_sort(result, compare_dependents);
	return result;
}

/*
 * contract: at plan() each dependent is listed (a row without SQL, or its
 * DROP for drop_dependents); at contract() they refuse it, or are dropped.
 */
static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
	List	   *deps = c->attnum > 0 ? column_dependents(m, c) : NIL;
	ListCell   *lc;
	MigStep    *step;
	StringInfoData names;

	if (m->state == STATE_PLANNED || m->listing)
	{
		foreach(lc, deps)
		{
			Dependent  *d = lfirst(lc);

			step = mig_step(plan, NULL, NULL,
							psprintf("%s still uses column \"%s\": contract refuses while it does, unless called with drop_dependents => true%s.",
									 d->description, c->colname,
									 d->drop_sql ? psprintf(", which runs %s first", d->drop_sql)
									 : " (this one you drop yourself)"));
			step->how = STEP_SHOWN;
			step->lock = NULL;
			step->reversible = false;
		}
	}
	else if (deps != NIL)
	{
		initStringInfo(&names);
		foreach(lc, deps)
		{
			Dependent  *d = lfirst(lc);

			appendStringInfo(&names, "%s%s", names.len ? ", " : "", d->description);
			if (!m->drop_dependents || d->drop_sql == NULL)
				continue;
			step = mig_step(plan, d->drop_sql, mig_lock_on(m, "ACCESS EXCLUSIVE"),
							psprintf("%s used column \"%s\": dropped, as the call asked.",
									 d->description, c->colname));
			step->role = ROLE_OBJECT_OWNER;
			step->owner = d->owner;
			step->reversible = false;
		}
		foreach(lc, deps)
		{
			Dependent  *d = lfirst(lc);

			if (m->drop_dependents && d->drop_sql != NULL)
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
					 errmsg("column \"%s\" of %s is still used by %d dependent%s",
							c->colname, m->qualname, list_length(deps),
							list_length(deps) == 1 ? "" : "s"),
					 errdetail("Still using it: %s.", names.data),
					 m->drop_dependents
					 ? errhint("%s cannot be dropped by the migration: drop it yourself, then call contract again.",
							   d->description)
					 : errhint("Change them to stop using it, or drop them with it: SELECT schemaguard.contract(" INT64_FORMAT ", drop_dependents => true);",
							   m->id)));
		}
	}
	step = mig_drop_column_step(m, plan, c->colname,
								psprintf("The deprecated column \"%s\" goes, with its values, indexes and constraints.",
										 c->colname),
								false);
	step->lock = mig_lock_on(m, "ACCESS EXCLUSIVE");
}

const MigKind mig_kind_drop_column = {
	.name = "drop_column",
	.recognize = recognize,
	.resolve = resolve,
	.expand = mig_no_steps,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = mig_no_swap,
	.contract = contract,
	.rollback = mig_no_steps,
	.repoints = false,
	.no_rows = true,
	.swaps = mig_never_swaps
};
