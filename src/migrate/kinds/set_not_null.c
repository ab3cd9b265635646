/*-------------------------------------------------------------------------
 *
 * set_not_null.c
 *	  Change kind set_not_null: ALTER COLUMN c SET NOT NULL, which scans
 *	  every row under ACCESS EXCLUSIVE unless a validated CHECK constraint
 *	  proves the column has no null.
 *
 * expand   CHECK (c IS NOT NULL) NOT VALID: new rows are checked at once,
 *          no scan (ACCESS EXCLUSIVE, catalog only)
 * backfill nothing (no row is written)
 * verify   nothing: the validation is the check
 * switch   VALIDATE CONSTRAINT before any lock that blocks (SHARE UPDATE
 *          EXCLUSIVE: reads and writes go on); then SET NOT NULL, which
 *          skips its scan since the validated check proves it, and the
 *          check is dropped (ACCESS EXCLUSIVE, catalog only)
 * contract nothing left to do
 * rollback before the switch the check goes; after it, DROP NOT NULL
 *
 * A row with a null makes the validation fail: the switch changes nothing,
 * the check NOT VALID stays (new rows are still checked), and a second
 * switch after the rows are fixed, or a rollback, takes it on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	AlterTableCmd *cmd = (AlterTableCmd *) stmt;
	AttrNumber	attnum;
	MigChange  *c;

	if (!IsA(stmt, AlterTableCmd) || cmd->subtype != AT_SetNotNull)
		return NULL;
	attnum = mig_user_column(m, cmd->name, "alter", false);
	c = mig_new_change(m, &mig_kind_set_not_null, cmd->name);
	c->attnum = attnum;
	c->not_null = true;
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
	if (m->state == STATE_PLANNED)
		return;
	c->attnum = get_attnum(m->relid, c->colname);
	if (c->attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of %s, which migration " INT64_FORMAT " needs, does not exist",
						c->colname, m->qualname, m->id),
				 errdetail("It was renamed or dropped outside the migration.")));
	c->old_notnull = mig_attnotnull(m->relid, c->attnum);
}

/* The migration's check of this change (the object of kind not_null). */
static MigObject *
check_of(Migration *m, MigChange *c)
{
	ListCell   *lc;

	foreach(lc, m->objects)
	{
		MigObject  *o = lfirst(lc);

		if (o->change == c->ordinal && strcmp(o->kind, "not_null") == 0)
			return o;
	}
	return NULL;
}

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	char	   *name = mig_constraint_name(m, c->colname, "not_null");
	MigObject  *o;

	o = mig_new_object(m, c, "not_null", NULL, name,
					   psprintf("ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID",
								m->qualname, quote_identifier(name),
								quote_identifier(c->colname)));
	o->description = psprintf("NOT NULL of \"%s\" as a CHECK constraint NOT VALID: rows written from now on are checked, no row is read. Validated before the switch, it lets SET NOT NULL skip its scan.",
							  c->colname);
}

static bool
swaps(Migration *m, MigChange *c)
{
	return true;
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	MigObject  *o = check_of(m, c);

	if (back)
	{
		mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s DROP NOT NULL", m->qualname,
								quote_identifier(c->colname)),
				 NULL, psprintf("\"%s\" takes nulls again.", c->colname));
		return;
	}
	mig_step(plan, psprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", m->qualname,
							quote_identifier(c->colname)),
			 NULL, o ? psprintf("Without a scan: the validated constraint %s proves it.",
								quote_identifier(o->created)) : NULL);
	if (o)
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT %s", m->qualname,
								quote_identifier(o->created)),
				 NULL, "The check has done its work: NOT NULL does it from now on.");
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	MigObject  *o = check_of(m, c);

	if (o && m->state != STATE_SWITCHED)
		mig_step(plan, psprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", m->qualname,
								quote_identifier(o->created)),
				 mig_lock_on(m, "ACCESS EXCLUSIVE"),
				 psprintf("The check NOT VALID of \"%s\" goes.", c->colname));
}

const MigKind mig_kind_set_not_null = {
	.name = "set_not_null",
	.recognize = recognize,
	.resolve = resolve,
	.expand = expand,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = swap,
	.contract = mig_no_steps,
	.rollback = rollback,
	.repoints = false,
	.no_rows = true,
	.swaps = swaps
};
