/*-------------------------------------------------------------------------
 *
 * rename_table.c
 *	  Change kind rename_table: ALTER TABLE t RENAME TO n, with the old
 *	  name working until contract.
 *
 * expand   the table renamed, and a view under the old name that selects
 *          every column of it: a simple view, so that INSERT, UPDATE and
 *          DELETE through it reach the table (its defaults, triggers and
 *          constraints apply); security_invoker, so that privileges and row
 *          security are checked as for the table itself; the table's
 *          privileges (and its columns') granted on it, each by its
 *          grantor; owned by the table's owner.  One short transaction
 *          under ACCESS EXCLUSIVE: views, rules and SQL-standard bodies
 *          follow the rename by themselves, code naming the old name as
 *          text reaches the view.
 * contract the view goes: code that still names the old name fails from
 *          then on (plan() lists the function bodies that do)
 * rollback the view goes and the table takes its old name again
 *
 * The view shows the columns the table has at expand.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/dependency.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "lineage/lineage.h"
#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	RenameStmt *rs = (RenameStmt *) stmt;
	MigChange  *c;

	if (!IsA(stmt, RenameStmt) || rs->renameType != OBJECT_TABLE)
		return NULL;
	if (OidIsValid(get_relname_relid(rs->newname, get_rel_namespace(m->relid))))
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", rs->newname)));
	c = mig_new_change(m, &mig_kind_rename_table, m->relname);
	c->newcol = pstrdup(rs->newname);
	return c;
}

static char *
old_view(Migration *m, MigChange *c)
{
	return quote_qualified_identifier(m->nspname, c->colname);
}

/* "a, b, c": every column of the table */
static char *
column_list(Migration *m)
{
	Relation	rel = relation_open(m->relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
							 quote_identifier(NameStr(att->attname)));
	}
	relation_close(rel, AccessShareLock);
	return buf.data;
}

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	char	   *renamed = quote_qualified_identifier(m->nspname, c->newcol);

	mig_step(plan, psprintf("ALTER TABLE %s RENAME TO %s", m->qualname, quote_identifier(c->newcol)),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 psprintf("The table takes its new name %s; views, rules and SQL-standard bodies follow it.",
					  quote_identifier(c->newcol)));
	mig_step(plan, psprintf("CREATE VIEW %s WITH (security_invoker = true) AS SELECT %s FROM %s",
							old_view(m, c), column_list(m), renamed),
			 NULL,
			 psprintf("The old name %s keeps working until contract: a simple view of every column, which INSERT, UPDATE and DELETE write through, privileges and row security checked as for the table.",
					  quote_identifier(c->colname)));
	mig_relation_acl_steps(plan, m->relid, old_view(m, c), m->owner);
}

/* Function bodies that name the table as text: they find the view. */
static void
list_readers(Migration *m, MigChange *c, MigPlan *plan)
{
	ObjectAddress source;
	ListCell   *lc;

	ObjectAddressSet(source, RelationRelationId, m->relid);
	foreach(lc, lineage_dependents(&source))
	{
		ObjectAddress *dep = lfirst(lc);
		MigStep    *step;

		if (dep->classId != ProcedureRelationId)
			continue;
		step = mig_step(plan, NULL, NULL,
						psprintf("%s may name the table as \"%s\": it reaches the view until contract, and fails after it unless changed to the new name.",
								 getObjectDescription(dep, false), c->colname));
		step->how = STEP_SHOWN;
		step->lock = NULL;
		step->reversible = false;
	}
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
	MigStep    *step;

	if (m->state == STATE_PLANNED || m->listing)
		list_readers(m, c, plan);
	step = mig_step(plan, psprintf("DROP VIEW %s", old_view(m, c)),
					psprintf("ACCESS EXCLUSIVE on %s", old_view(m, c)),
					psprintf("The old name %s goes.", quote_identifier(c->colname)));
	step->reversible = false;
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	/* plan(): the table has its new name by then */
	char	   *renamed = m->state == STATE_PLANNED
		? quote_qualified_identifier(m->nspname, c->newcol) : m->qualname;

	mig_step(plan, psprintf("DROP VIEW IF EXISTS %s", old_view(m, c)),
			 psprintf("ACCESS EXCLUSIVE on %s", renamed), "The view under the old name goes...");
	mig_step(plan, psprintf("ALTER TABLE %s RENAME TO %s", renamed, quote_identifier(c->colname)),
			 NULL, "...and the table takes it again.");
}

const MigKind mig_kind_rename_table = {
	.name = "rename_table",
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
