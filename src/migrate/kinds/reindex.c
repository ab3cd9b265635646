/*-------------------------------------------------------------------------
 *
 * reindex.c
 *	  Change kind reindex: REINDEX INDEX or REINDEX TABLE without
 *	  CONCURRENTLY, which holds SHARE on the table (every writer waits) and
 *	  ACCESS EXCLUSIVE on the index (every query that would use it waits)
 *	  for the whole rebuild.
 *
 * backfill REINDEX ... CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and
 *          writes go on), at top level between transactions; a copy left
 *          INVALID by a failure (<index>_ccnew) is dropped CONCURRENTLY and
 *          the rebuild run again
 *
 * Nothing to roll back: the index is the same, rebuilt.
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
	ReindexStmt *rs = (ReindexStmt *) stmt;
	ListCell   *lc;
	char	   *name;
	MigChange  *c;
	MigObject  *o;
	bool		index = false;

	if (!IsA(stmt, ReindexStmt))
		return NULL;
	foreach(lc, rs->params)
	{
		DefElem    *opt = lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0)
			return NULL;
		if (strcmp(opt->defname, "verbose") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("a migration cannot run REINDEX with option \"%s\"", opt->defname)));
	}
	if (rs->kind == REINDEX_OBJECT_INDEX)
	{
		name = get_rel_name(RangeVarGetRelid(rs->relation, NoLock, false));
		index = true;
	}
	else if (rs->kind == REINDEX_OBJECT_TABLE)
		name = pstrdup(m->relname);
	else
		return NULL;
	c = mig_new_change(m, &mig_kind_reindex, name);
	c->type_sql = pstrdup(index ? "INDEX" : "TABLE");
	c->sql = psprintf("REINDEX %s CONCURRENTLY %s", c->type_sql,
					  quote_qualified_identifier(m->nspname, name));
	o = mig_new_object(m, c, "reindex", index ? name : NULL, name, c->sql);
	o->description = pstrdup("Rebuilt without blocking reads or writes: a new copy is built beside the old and takes its place; a copy left INVALID by a failure (<index>_ccnew) is dropped and the rebuild run again.");
	return c;
}

const MigKind mig_kind_reindex = {
	.name = "reindex",
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
