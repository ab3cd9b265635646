/*-------------------------------------------------------------------------
 *
 * drop_index.c
 *	  Change kind drop_index: DROP INDEX without CONCURRENTLY, which takes
 *	  ACCESS EXCLUSIVE on the table and waits, holding up every query that
 *	  comes after it, for the queries running on it.
 *
 * backfill DROP INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: it waits for
 *          running queries without blocking new ones), at top level between
 *          transactions; one cut short (the index left INVALID) is run again
 *
 * Not reversible: once dropped, the index is gone (rollback before that
 * changes nothing).  One index per statement, without CASCADE; an index
 * that a constraint uses is PostgreSQL's own refusal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	DropStmt   *ds = (DropStmt *) stmt;
	Oid			indexid;
	char	   *name;
	MigChange  *c;
	MigObject  *o;

	if (!IsA(stmt, DropStmt) || ds->removeType != OBJECT_INDEX || ds->concurrent)
		return NULL;
	if (ds->behavior == DROP_CASCADE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot run DROP INDEX ... CASCADE"),
				 errhint("DROP INDEX CONCURRENTLY does not take CASCADE: drop what depends on the index first.")));
	indexid = RangeVarGetRelid(makeRangeVarFromNameList(linitial(ds->objects)), NoLock, false);
	name = get_rel_name(indexid);
	c = mig_new_change(m, &mig_kind_drop_index, name);
	c->sql = psprintf("DROP INDEX CONCURRENTLY %s", quote_qualified_identifier(m->nspname, name));
	o = mig_new_object(m, c, "drop_index", NULL, name, c->sql);
	o->description = pstrdup("The index goes without blocking reads or writes: it waits for the queries running on the table, and new ones go on meanwhile. Not reversible.");
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
}

static void
nothing(Migration *m, MigChange *c, MigPlan *plan)
{
}

static bool
kept_in_step(Migration *m, MigChange *c, MigSyncPair *pair)
{
	return false;
}

static void
backfill(Migration *m, MigChange *c, const char *alias, StringInfo set, StringInfo todo)
{
}

static void
verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
}

static bool
swaps(Migration *m, MigChange *c)
{
	return false;
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
}

const MigKind mig_kind_drop_index = {
	.name = "drop_index",
	.recognize = recognize,
	.resolve = resolve,
	.expand = nothing,
	.sync = kept_in_step,
	.backfill = backfill,
	.verify = verify,
	.swap = swap,
	.contract = nothing,
	.rollback = nothing,
	.repoints = false,
	.names_object = true,
	.no_rows = true,
	.swaps = swaps
};
