/*-------------------------------------------------------------------------
 *
 * create_index.c
 *	  Change kind create_index: CREATE [UNIQUE] INDEX without CONCURRENTLY,
 *	  which holds SHARE on the table (every writer waits) for the whole
 *	  build.
 *
 * backfill CREATE INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and
 *          writes go on), at top level between transactions; one left
 *          INVALID by a failure is dropped CONCURRENTLY and built again
 * rollback the index goes (valid or not)
 *
 * The statement is analyzed as the server analyzes it (transformIndexStmt:
 * names resolved with the caller's search_path) and written again with
 * every name qualified: the engine runs it with search_path pinned.  The
 * index gets the name PostgreSQL would have given it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_type.h"
#include "parser/parse_utilcmd.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "migrate/internal.h"

/*
 * One key: its column or expression, collation, operator class, order.
 * coll and opclass were resolved with the caller's search_path; this runs
 * with the engine's, so that what is printed is qualified.
 */
static char *
elem_sql(Migration *m, IndexElem *ielem, Oid coll, Oid opclass)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (ielem->name)
		appendStringInfoString(&buf, quote_identifier(ielem->name));
	else
		appendStringInfo(&buf, "(%s)", mig_deparse_expr(m, ielem->expr, NULL));
	if (OidIsValid(coll))
		appendStringInfo(&buf, " COLLATE %s", generate_collation_name(coll));
	if (OidIsValid(opclass))
		appendStringInfo(&buf, " %s", generate_opclass_name(opclass));
	if (ielem->ordering == SORTBY_DESC)
		appendStringInfoString(&buf, " DESC");
	else if (ielem->ordering == SORTBY_ASC)
		appendStringInfoString(&buf, " ASC");
	if (ielem->nulls_ordering == SORTBY_NULLS_FIRST)
		appendStringInfoString(&buf, " NULLS FIRST");
	else if (ielem->nulls_ordering == SORTBY_NULLS_LAST)
		appendStringInfoString(&buf, " NULLS LAST");
	return buf.data;
}

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	IndexStmt  *is = (IndexStmt *) stmt;
	IndexStmt  *t;
	Relation	rel;
	const char *amname;
	Oid			amoid;
	List	   *colnames = NIL;
	List	   *colls = NIL;
	List	   *opclasses = NIL;
	StringInfoData sql;
	ListCell   *lc;
	char	   *name;
	MigChange  *c;
	MigObject  *o;
	int			nestlevel;

	if (!IsA(stmt, IndexStmt) || is->concurrent)
		return NULL;
	rel = relation_open(m->relid, AccessShareLock);
	t = transformIndexStmt(m->relid, copyObject(is), source);
	relation_close(rel, NoLock);

	amname = t->accessMethod ? t->accessMethod : DEFAULT_INDEX_TYPE;
	amoid = get_am_oid(amname, false);
	foreach(lc, list_concat_copy(t->indexParams, t->indexIncludingParams))
	{
		IndexElem  *ielem = lfirst(lc);

		colnames = lappend(colnames, ielem->indexcolname ? ielem->indexcolname
						   : ielem->name ? ielem->name : "expr");
	}
	/* collations and operator classes, with the caller's search_path */
	foreach(lc, t->indexParams)
	{
		IndexElem  *ielem = lfirst(lc);
		Oid			keytype = InvalidOid;

		if (ielem->opclassopts)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("a migration cannot build an index with operator class options")));
		if (ielem->name)
		{
			AttrNumber	attnum = get_attnum(m->relid, ielem->name);

			if (attnum == InvalidAttrNumber)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" does not exist", ielem->name)));
			keytype = get_atttype(m->relid, attnum);
		}
		else
			keytype = exprType(ielem->expr);
		colls = lappend_oid(colls, ielem->collation
							? LookupCollation(NULL, ielem->collation, -1) : InvalidOid);
		opclasses = lappend_oid(opclasses, ielem->opclass
								? ResolveOpClass(ielem->opclass, keytype, amname, amoid)
								: InvalidOid);
	}
	name = t->idxname ? pstrdup(t->idxname) : mig_index_name(m, colnames, "idx");
	if (OidIsValid(get_relname_relid(name, get_rel_namespace(m->relid))))
	{
		if (t->if_not_exists)
			return NULL;		/* nothing to do: run it as written */
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("relation \"%s\" already exists", name)));
	}

	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE %sINDEX CONCURRENTLY %s ON %s USING %s (",
					 t->unique ? "UNIQUE " : "", quote_identifier(name), m->qualname,
					 quote_identifier(amname));
	foreach(lc, t->indexParams)
		appendStringInfo(&sql, "%s%s", foreach_current_index(lc) ? ", " : "",
						 elem_sql(m, lfirst(lc), list_nth_oid(colls, foreach_current_index(lc)),
								  list_nth_oid(opclasses, foreach_current_index(lc))));
	appendStringInfoChar(&sql, ')');
	if (t->indexIncludingParams)
	{
		appendStringInfoString(&sql, " INCLUDE (");
		foreach(lc, t->indexIncludingParams)
			appendStringInfo(&sql, "%s%s", foreach_current_index(lc) ? ", " : "",
							 quote_identifier(((IndexElem *) lfirst(lc))->name));
		appendStringInfoChar(&sql, ')');
	}
	if (t->nulls_not_distinct)
		appendStringInfoString(&sql, " NULLS NOT DISTINCT");
	if (t->options)
	{
		appendStringInfoString(&sql, " WITH (");
		foreach(lc, t->options)
		{
			DefElem    *def = lfirst(lc);

			appendStringInfo(&sql, "%s%s = %s", foreach_current_index(lc) ? ", " : "",
							 quote_identifier(def->defname), quote_literal_cstr(defGetString(def)));
		}
		appendStringInfoChar(&sql, ')');
	}
	if (t->tableSpace)
		appendStringInfo(&sql, " TABLESPACE %s", quote_identifier(t->tableSpace));
	if (t->whereClause)
		appendStringInfo(&sql, " WHERE %s", mig_deparse_expr(m, t->whereClause, NULL));
	AtEOXact_GUC(true, nestlevel);

	c = mig_new_change(m, &mig_kind_create_index, name);
	c->sql = sql.data;
	o = mig_new_object(m, c, "index", NULL, name, sql.data);
	o->description = pstrdup("The index, built without blocking writes; a build that failed (an INVALID index) is dropped and built again.");
	return c;
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_step(plan, psprintf("DROP INDEX IF EXISTS %s",
							quote_qualified_identifier(m->nspname, c->colname)),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"), "The index goes (valid or not).");
}

const MigKind mig_kind_create_index = {
	.name = "create_index",
	.recognize = recognize,
	.resolve = mig_no_resolve,
	.expand = mig_no_steps,
	.sync = mig_no_sync,
	.backfill = mig_no_backfill,
	.verify = mig_no_verify,
	.swap = mig_no_swap,
	.contract = mig_no_steps,
	.rollback = rollback,
	.repoints = false,
	.names_object = true,
	.no_rows = true,
	.swaps = mig_never_swaps
};
