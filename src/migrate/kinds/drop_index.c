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

const MigKind mig_kind_drop_index = {
	.name = "drop_index",
	.recognize = recognize,
	.resolve = mig_no_resolve,
	.expand = mig_no_steps,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = mig_no_swap,
	.contract = mig_no_steps,
	.rollback = mig_no_steps,
	.repoints = false,
	.names_object = true,
	.no_rows = true,
	.swaps = mig_never_swaps
};
