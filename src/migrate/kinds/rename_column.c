/*-------------------------------------------------------------------------
 *
 * rename_column.c
 *	  Change kind rename_column: ALTER TABLE ... RENAME COLUMN a TO b, with
 *	  both names working for readers and writers until contract.
 *
 * expand   a copy of the column under the new name b, empty
 * sync     both columns are written, either one by its writers, and kept
 *          equal both ways
 * backfill b = a, where it differs
 * verify   every row: b = a
 * switch   the names swap: the original column (with every index,
 *          constraint, view and trigger on it, which PostgreSQL keeps by
 *          attribute number) takes the name b, and the copy the name a,
 *          still kept equal for the code that names a
 * contract the copy (now named a) is dropped
 * rollback the copy is dropped (after a switch, once the names are back)
 *
 * Nothing is re-created: the dependents stay on the original column and
 * follow its new name.  Function bodies that name a keep working on the
 * copy until contract; plan() lists them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_attribute.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "migrate/internal.h"

static MigChange *
recognize(Migration *m, Node *stmt, const char *source)
{
	RenameStmt *rs = (RenameStmt *) stmt;
	AttrNumber	attnum;
	MigChange  *c;
	HeapTuple	tuple;
	Form_pg_attribute att;
	int			nestlevel;

	if (!IsA(stmt, RenameStmt) || rs->renameType != OBJECT_COLUMN)
		return NULL;
	attnum = get_attnum(m->relid, rs->subname);
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist", rs->subname)));
	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot rename system column \"%s\"", rs->subname)));
	if (get_attnum(m->relid, rs->newname) != InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" already exists",
						rs->newname, m->relname)));
	tuple = SearchSysCache2(ATTNUM, ObjectIdGetDatum(m->relid), Int16GetDatum(attnum));
	att = (Form_pg_attribute) GETSTRUCT(tuple);
	if (att->attidentity || att->attgenerated)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a migration cannot rename column \"%s\" of %s", rs->subname, m->qualname),
				 errdetail("Not covered by this release: it is %s column.",
						   att->attidentity ? "an identity" : "a generated")));

	c = mig_new_change(m, &mig_kind_rename_column, rs->subname);
	c->newcol = pstrdup(rs->newname);
	c->attnum = attnum;
	c->oldtype = c->newtype = att->atttypid;
	c->oldtypmod = c->newtypmod = att->atttypmod;
	c->oldcoll = c->newcoll = att->attcollation;
	ReleaseSysCache(tuple);
	nestlevel = NewGUCNestLevel();
	mig_search_path_pinned();
	c->type_sql = format_type_with_typemod(c->newtype, c->newtypmod);
	if (OidIsValid(c->newcoll) && c->newcoll != get_typcollation(c->newtype))
		c->collation_sql = generate_collation_name(c->newcoll);
	AtEOXact_GUC(true, nestlevel);
	c->new_attnum = ++m->natts;
	return c;
}

static void
resolve(Migration *m, MigChange *c)
{
	const char *original = c->colname;
	const char *copy = c->newcol;

	if (m->state == STATE_PLANNED)
		return;					/* recognize() set it all */
	if (m->state == STATE_SWITCHED)
	{
		original = c->newcol;
		copy = c->colname;
	}
	else if (m->state == STATE_CONTRACTED)
	{
		original = c->newcol;
		copy = NULL;
	}
	else if (m->state == STATE_ROLLED_BACK)
		copy = NULL;
	c->attnum = get_attnum(m->relid, original);
	c->new_attnum = copy ? get_attnum(m->relid, copy) : 0;
	if (c->attnum == InvalidAttrNumber ||
		(copy && c->new_attnum == InvalidAttrNumber))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a column of %s that migration " INT64_FORMAT " needs does not exist",
						m->qualname, m->id),
				 errdetail("Column \"%s\" or \"%s\" was renamed or dropped outside the migration.",
						   c->colname, c->newcol)));
	get_atttypetypmodcoll(m->relid, c->attnum, &c->oldtype, &c->oldtypmod, &c->oldcoll);
	c->newtype = c->oldtype;
	c->newtypmod = c->oldtypmod;
	c->newcoll = c->oldcoll;
}

static void
expand(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_step(plan,
			 psprintf("ALTER TABLE %s ADD COLUMN %s %s%s%s", m->qualname,
					  quote_identifier(c->newcol), c->type_sql,
					  c->collation_sql ? " COLLATE " : "",
					  c->collation_sql ? c->collation_sql : ""),
			 mig_lock_on(m, "ACCESS EXCLUSIVE"),
			 psprintf("A copy of \"%s\" under the new name, empty: no row is written. Readers of \"%s\" see NULL until backfill reaches their row.",
					  c->colname, c->newcol));
}

static bool
kept_in_step(Migration *m, MigChange *c, MigSyncPair *pair)
{
	if (m->state == STATE_CONTRACTED || m->state == STATE_ROLLED_BACK)
		return false;
	pair->p = c->attnum;
	pair->s = c->new_attnum;
	pair->f = mig_column_var(m, c->attnum);
	pair->g = mig_column_var(m, c->new_attnum);
	return true;
}

static void
backfill(Migration *m, MigChange *c, const char *alias, StringInfo set, StringInfo todo)
{
	const char *a = quote_identifier(alias);

	appendStringInfo(set, "%s%s = %s.%s", set->len ? ", " : "",
					 quote_identifier(c->newcol), a, quote_identifier(c->colname));
	appendStringInfo(todo, "%s%s.%s IS DISTINCT FROM %s.%s", todo->len ? " OR " : "",
					 a, quote_identifier(c->newcol), a, quote_identifier(c->colname));
}

static void
verify(Migration *m, MigChange *c, const char *alias, StringInfo wrong)
{
	const char *a = quote_identifier(alias);

	appendStringInfo(wrong, "%s%s.%s IS DISTINCT FROM %s.%s", wrong->len ? " OR " : "",
					 a, quote_identifier(c->newcol), a, quote_identifier(c->colname));
}

static void
swap(Migration *m, MigChange *c, MigPlan *plan, bool back)
{
	char	   *tmp = mig_prefixed_name("_sg_tmp_", c->colname, 0);
	const char *first = back ? c->newcol : c->colname;
	const char *second = back ? c->colname : c->newcol;

	mig_step(plan, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", m->qualname,
							quote_identifier(first), quote_identifier(tmp)),
			 NULL, back ? "The names go back: the original column..." :
			 "The names swap: the original column, with everything on it, ...");
	mig_step(plan, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", m->qualname,
							quote_identifier(second), quote_identifier(first)),
			 NULL, NULL);
	mig_step(plan, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", m->qualname,
							quote_identifier(tmp), quote_identifier(second)),
			 NULL, back ? psprintf("...is \"%s\" again, the copy \"%s\".", c->colname, c->newcol)
			 : psprintf("...is \"%s\"; the copy, still kept equal, answers to \"%s\".",
						c->newcol, c->colname));
}

static void
renamed(Migration *m, MigChange *c, char **names, bool back)
{
	names[c->attnum] = back ? c->colname : c->newcol;
	names[c->new_attnum] = back ? c->newcol : c->colname;
}

/* "; "-joined */
static char *
joined(List *strings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, strings)
		appendStringInfo(&buf, "%s%s", buf.len ? "; " : "", (char *) lfirst(lc));
	return buf.data;
}

/*
 * The function bodies naming the old name: at plan() each one's CREATE OR
 * REPLACE FUNCTION with the name changed at the scanner's tokens (and what
 * a person must look at); at contract a refusal while any still names it.
 */
static void
body_steps(Migration *m, MigChange *c, MigPlan *plan)
{
	List	   *funcs = mig_text_body_readers(m, c->attnum);
	ListCell   *lc;
	StringInfoData still;

	if (c->new_attnum > 0 && m->state != STATE_PLANNED)
		foreach(lc, mig_text_body_readers(m, c->new_attnum))
			funcs = list_append_unique_oid(funcs, lfirst_oid(lc));
	initStringInfo(&still);
	foreach(lc, funcs)
	{
		Oid			funcid = lfirst_oid(lc);
		List	   *flags;
		int			count;
		char	   *sql = mig_body_rewritten(funcid, m->relid, c->colname, c->newcol,
											 &flags, &count);
		char	   *name = format_procedure_qualified(funcid);

		if (m->state == STATE_PLANNED || m->listing)
		{
			MigStep    *step;

			if (sql == NULL && flags == NIL)
				continue;
			step = mig_step(plan, sql, NULL,
							sql
							? psprintf("Function %s names \"%s\" %d time%s: run this before contract, \"%s\" in its place (changed only where the parser reads the name; comments and strings untouched)%s%s",
									   name, c->colname, count, count == 1 ? "" : "s", c->newcol,
									   flags ? ". To look at: " : ".", flags ? joined(flags) : "")
							: psprintf("Function %s: %s.", name, joined(flags)));
			step->how = STEP_SHOWN;
			step->lock = NULL;
			step->reversible = false;
		}
		else if (sql != NULL)
			appendStringInfo(&still, "%s%s", still.len ? ", " : "", name);
	}
	if (still.len > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("function bodies still name column \"%s\" of %s", c->colname, m->qualname),
				 errdetail("Still naming it: %s. Contract drops the copy that answers to that name: they would fail.",
						   still.data),
				 errhint("Replace them with their bodies naming \"%s\" (schemaguard.plan() of the rename shows each rewritten), then call contract again.",
						 c->newcol)));
}

static void
contract(Migration *m, MigChange *c, MigPlan *plan)
{
	body_steps(m, c, plan);
	mig_drop_column_step(m, plan, c->colname,
						 psprintf("The copy answering to the old name \"%s\" goes: code that still names it fails from now on.",
								  c->colname),
						 false);
}

static void
rollback(Migration *m, MigChange *c, MigPlan *plan)
{
	mig_drop_column_step(m, plan, c->newcol,
						 psprintf("The copy under the new name \"%s\" goes.", c->newcol), true);
}

const MigKind mig_kind_rename_column = {
	.name = "rename_column",
	.recognize = recognize,
	.resolve = resolve,
	.expand = expand,
	.sync = kept_in_step,
	.backfill = backfill,
	.verify = verify,
	.swap = swap,
	.contract = contract,
	.rollback = rollback,
	.rename = renamed,
	.repoints = false
};
