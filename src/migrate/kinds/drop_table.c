/*-------------------------------------------------------------------------
 *
 * drop_table.c
 *	  Change kind drop_table: DROP TABLE, put aside first.  The table (its
 *	  rows, indexes, constraints, triggers, sequences, privileges) is
 *	  renamed and moved into the holding schema schemaguard_holding, where
 *	  nothing finds it by its name any more; contract drops it for good,
 *	  rollback moves it back.
 *
 * expand   ALTER TABLE t RENAME TO _sg_dropped_t, then SET SCHEMA
 *          schemaguard_holding (ACCESS EXCLUSIVE, catalog only; the move as
 *          the extension's owner, who owns the holding schema)
 * contract DROP TABLE in the holding schema
 * rollback SET SCHEMA back, then the old name again
 *
 * As for DROP TABLE without CASCADE, what PostgreSQL tracks must not
 * depend on the table (a view, another table's foreign key): refused, named.
 * Function bodies that name it (the lineage catalog) fail from expand on,
 * as after a DROP; plan() lists them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

#define HOLDING_SCHEMA "schemaguard_holding"

/* What PostgreSQL tracks that depends on the table, from outside it. */
static char *
tracked_dependents(Migration *m)
{
	StringInfoData buf;
	ListCell   *lc;
	Oid			rowtype = get_rel_type_id(m->relid);

	initStringInfo(&buf);
	foreach(lc, list_concat(mig_depend_on(RelationRelationId, m->relid, -1),
							OidIsValid(rowtype) ? mig_depend_on(TypeRelationId, rowtype, 0) : NIL))
	{
		MigDep	   *d = lfirst(lc);
		ObjectAddress owner = lineage_owner(&d->object);

		if (d->deptype != DEPENDENCY_NORMAL)
			continue;
		if (owner.classId == RelationRelationId && owner.objectId == m->relid)
			continue;			/* its own */
		if (d->object.classId == TypeRelationId)
			continue;			/* its row type's array */
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 getObjectDescription(owner.classId == RelationRelationId &&
											  d->object.classId != ConstraintRelationId
											  ? &owner : &d->object, false));
	}
	return buf.len ? buf.data : NULL;
}

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	DropStmt   *ds = (DropStmt *) stmt;
	MigChange  *c;
	char	   *deps;
	Oid			holding = get_namespace_oid(HOLDING_SCHEMA, false);

	if (!IsA(stmt, DropStmt) || ds->removeType != OBJECT_TABLE)
		return NULL;
	if (ds->behavior == DROP_CASCADE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot run DROP TABLE ... CASCADE"),
				 errhint("Drop what depends on the table first; the migration puts the table aside until contract.")));
	if ((deps = tracked_dependents(m)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop table %s because other objects depend on it", m->qualname),
				 errdetail("%s depend%s on it.", deps, strchr(deps, ',') ? "" : "s"),
				 errhint("Drop or change them first, as DROP TABLE without CASCADE would ask.")));
	c = mig_new_change(m, &mig_kind_drop_table, m->relname);
	c->oldcol = pstrdup(m->nspname);
	c->newcol = mig_choose_relation_name(holding, m->relname, "dropped", NIL);
	while (OidIsValid(get_relname_relid(c->newcol, get_rel_namespace(m->relid))))
		c->newcol = mig_choose_relation_name(holding, c->newcol, "dropped", NIL);
	return c;
}

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	MigStep    *step;
	ObjectAddress source;
	ListCell   *lc;

	mig_step(plan, psprintf("ALTER TABLE %s RENAME TO %s", m->qualname, quote_identifier(c->newcol)),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 "Put aside, not dropped: renamed...");
	step = mig_step(plan, psprintf("ALTER TABLE %s SET SCHEMA %s",
								   quote_qualified_identifier(m->nspname, c->newcol),
								   quote_identifier(HOLDING_SCHEMA)),
					NULL,
					psprintf("...and moved into the holding schema %s, with its rows, indexes, constraints, triggers, sequences and privileges, until contract drops it.",
							 HOLDING_SCHEMA));
	step->role = ROLE_EXTENSION_OWNER;
	ObjectAddressSet(source, RelationRelationId, m->relid);
	foreach(lc, lineage_dependents(&source))
	{
		ObjectAddress *dep = lfirst(lc);

		if (dep->classId != ProcedureRelationId)
			continue;
		step = mig_step(plan, NULL, NULL,
						psprintf("%s names the table: it fails from now on, as after DROP TABLE (rollback brings the table back).",
								 getObjectDescription(dep, false)));
		step->how = STEP_SHOWN;
		step->lock = NULL;
	}
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
	MigStep    *step;

	step = mig_step(plan, psprintf("DROP TABLE %s",
								   quote_qualified_identifier(HOLDING_SCHEMA, c->newcol)),
					psprintf("ACCESS EXCLUSIVE on %s",
							 quote_qualified_identifier(HOLDING_SCHEMA, c->newcol)),
					psprintf("The table dropped as %s.%s goes for good, with its rows.",
							 quote_identifier(c->oldcol), quote_identifier(c->colname)));
	step->role = ROLE_EXTENSION_OWNER;
	step->reversible = false;
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	MigStep    *step;

	step = mig_step(plan, psprintf("ALTER TABLE %s SET SCHEMA %s",
								   quote_qualified_identifier(HOLDING_SCHEMA, c->newcol),
								   quote_identifier(c->oldcol)),
					psprintf("ACCESS EXCLUSIVE on %s",
							 quote_qualified_identifier(HOLDING_SCHEMA, c->newcol)),
					"The table comes back from the holding schema...");
	step->role = ROLE_EXTENSION_OWNER;
	mig_step(plan, psprintf("ALTER TABLE %s RENAME TO %s",
							quote_qualified_identifier(c->oldcol, c->newcol),
							quote_identifier(c->colname)),
			 NULL, "...under its own name.");
}

const MigKind mig_kind_drop_table = {
	.name = "drop_table",
	.recognize = recognize,
	.resolve = mig_no_resolve,
	.expand = expand,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = mig_no_swap,
	.contract = contract,
	.rollback = rollback,
	.repoints = false,
	.names_object = true,
	.no_rows = true,
	.swaps = mig_never_swaps
};
